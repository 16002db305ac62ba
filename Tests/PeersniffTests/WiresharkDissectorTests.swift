import DiscoveryCodec
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// contrib/wireshark/peersniff-discovery.lua against the codec: tshark with the
/// dissector and `peersniff` read the same captures (every one of Fixtures/, and
/// hundreds of mutated datagrams made as the fuzz tests make them) and must agree on
/// every datagram, matched by packet number: type, names (byte for byte), peers, the
/// OFFLINE address, the legacy JSON (as text), every malformed reason with its offset,
/// length and sentence, every warning with its offset, each as expert info of the
/// right name and severity, and the Info column as peersniff's text line. Display
/// filters on the dissector's fields select what `--node` and `--type` select. The
/// dissector raises no Lua error on any mutated capture.
///
/// tshark runs with HOME in a folder of its own, so that a dissector installed in the
/// real personal plugin folder is not loaded twice; its one complaint as root
/// ("Running as user root ... could be dangerous") is not counted as stderr output.
@Suite("Wireshark dissector", .enabled(if: toolAvailable("tshark"), "tshark is not installed (scripts/setup.sh installs it)"))
struct WiresharkDissectorTests {
    static let script = Paths.root.appendingPathComponent("contrib/wireshark/peersniff-discovery.lua").path

    /// Every capture of Fixtures/ (Fixtures/*/*.pcap), every-code.pcap among them.
    static let fixtures: [String] = {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path)) ?? []
        return folders.sorted().flatMap { folder -> [String] in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: Paths.fixture(folder))) ?? []
            return files.filter { $0.hasSuffix(".pcap") }.sorted().map { "\(folder)/\($0)" }
        }
    }()

    @Test("the fixtures are all there, every-code.pcap among them")
    func fixtureList() {
        #expect(Self.fixtures.count >= 17, "\(Self.fixtures)")
        #expect(Self.fixtures.contains(EveryCodeFixture.relativePath))
    }

    // MARK: Differential: the fixtures

    @Test("tshark with the dissector and peersniff agree on every datagram of a fixture", arguments: WiresharkDissectorTests.fixtures)
    func fixture(_ name: String) throws {
        let comparison = try Differential.compare(capture: Paths.fixture(name))
        comparison.expectAgreement(name)
        #expect(comparison.frames + comparison.malformed > 0, "\(name): nothing compared")
        // And the datagrams it shows are the rows of the fixture's own tshark table
        // (tshark without the dissector, `-Y udp.port==37020`), one for one.
        if let table = Self.table(for: name) {
            #expect(comparison.dissected == table.rows.map(\.number), "\(name): the dissector's datagrams are not the rows of its table")
        }
    }

    /// The tshark table kept beside a fixture (TsharkTable): frames.tsv for bridge.pcap,
    /// frames-board-view.tsv for board-view.pcap, NAME.frames.tsv in big/.
    static func table(for name: String) -> TsharkTable? {
        let folder = (name as NSString).deletingLastPathComponent, file = (name as NSString).lastPathComponent
        let candidates: [String]
        switch file {
        case "bridge.pcap": candidates = ["frames.tsv"]
        case "board-view.pcap": candidates = ["frames-board-view.tsv"]
        default: candidates = [(file as NSString).deletingPathExtension + ".frames.tsv"]
        }
        for candidate in candidates where FileManager.default.fileExists(atPath: Paths.fixture("\(folder)/\(candidate)")) {
            return try? TsharkTable(path: Paths.fixture("\(folder)/\(candidate)"))
        }
        return nil
    }

    @Test("every-code.pcap: every reason and warning of CONTRACT.md is compared (incomplete-fragments as Wireshark's own unreassembled fragment)")
    func everyCode() throws {
        let comparison = try Differential.compare(capture: EveryCodeFixture.path)
        comparison.expectAgreement("every-code")
        #expect(Set(comparison.reasons) == Set(EveryCodeFixture.contractReasons))
        #expect(Set(comparison.warnings) == Set(EveryCodeFixture.contractWarnings))
        // Each problem at the offset the fixture was built with (peersniff's view, checked
        // above against tshark's).
        for problem in EveryCodeFixture.problems where problem.code != "incomplete-fragments" {
            #expect(comparison.offsets[problem.n]?[problem.code] == .some(problem.offset), "\(problem): \(comparison.offsets[problem.n] ?? [:])")
        }
    }

    /// The real captures beside the repository (../shared/captures/*/*.pcap), when present.
    static let sharedCaptures: [String] = {
        let root = Paths.sharedCaptures.path
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return folders.sorted().flatMap { folder -> [String] in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(folder)")) ?? []
            return files.filter { $0.hasSuffix(".pcap") }.sorted().map { "\(folder)/\($0)" }
        }
    }()

    @Test("tshark with the dissector and peersniff agree on every datagram of a shared capture", arguments: WiresharkDissectorTests.sharedCaptures)
    func sharedCapture(_ name: String) throws {
        let comparison = try Differential.compare(capture: Paths.sharedCaptures.appendingPathComponent(name).path)
        comparison.expectAgreement("shared \(name)")
        #expect(comparison.frames > 0, "\(name): nothing compared")
    }

    // MARK: Differential: mutated datagrams

    @Test("tshark with the dissector and peersniff agree on 600 mutated datagrams (seeded)", arguments: [UInt64(0x5EED_F00D), 0x0DD5_EED5])
    func mutated(_ seed: UInt64) throws {
        let capture = MutatedCapture.make(seed: seed, datagrams: 600)
        let path = try writeTestCapture(makeCapture(capture), name: "mutated.pcap")
        let comparison = try Differential.compare(capture: path)
        comparison.expectAgreement("mutated \(String(seed, radix: 16)) (\(path))")
        // The mix reaches every reason a datagram can have and most warnings.
        let reasons = Set(comparison.reasons)
        for reason in ["empty", "unknown-type", "truncated-header", "truncated-name", "truncated-peer", "trailing-bytes", "bad-json",
                       "truncated-capture", "bad-udp-checksum", "incomplete-fragments", "not-ipv4"] {
            #expect(reasons.contains(reason), "no \(reason) among \(reasons.sorted())")
        }
        let warnings = Set(comparison.warnings)
        for warning in ["name-not-utf8", "name-cut-mid-character", "name-too-long", "too-many-peers", "full-sender-not-first",
                        "full-not-sorted", "full-duplicate-ip", "exceeds-receive-buffer", "fragmented"] {
            #expect(warnings.contains(warning), "no \(warning) among \(warnings.sorted())")
        }
        #expect(comparison.frames > 150 && comparison.malformed > 150, "\(comparison.frames) frames, \(comparison.malformed) malformed")
        #expect(comparison.legacyFrames > 10, "\(comparison.legacyFrames) LEGACY frames")
        #expect(comparison.fullsFromTheirFirstEntry > 20, "\(comparison.fullsFromTheirFirstEntry) FULLs without full-sender-not-first")
    }

    /// Copies of the dissector with one deliberate mistake each: the comparison must
    /// find every one (the tests above can fail).
    static let mutants: [(name: String, find: String, replace: String)] = [
        ("full-not-sorted points one entry late", #"r.offsets["full-not-sorted"] = e.offset"#, #"r.offsets["full-not-sorted"] = e.offset + 5"#),
        ("a name cut inside a character is not-UTF-8", #"if i + good == last + 1 then return "cut" end"#, "if false then return \"cut\" end"),
        ("the Info column does not escape a quote in a name", #"(quoting and "\\" or "")"#, #""""#),
        ("an offloaded checksum is a bad one", "if field == fold(pseudo) then return nil end", ""),
        ("truncated-peer one byte late", #"return malformed(r, "truncated-peer", offset,"#, #"return malformed(r, "truncated-peer", offset + 1,"#),
        ("JSON nested one level less", "local JSON_MAX_DEPTH = 64", "local JSON_MAX_DEPTH = 63"),
        ("no fragmented warning", #"if fragmented and r.kind == "frame" then"#, "if false then"),
    ]

    @Test("a dissector with one mistake disagrees with peersniff", arguments: 0..<WiresharkDissectorTests.mutants.count)
    func mutant(_ index: Int) throws {
        let (name, find, replace) = Self.mutants[index]
        let source = try String(contentsOfFile: Self.script, encoding: .utf8)
        try #require(source.contains(find), "the mutant \(name) no longer applies: \(find)")
        let folder = Paths.temporaryFolder()
        let script = folder.appendingPathComponent("mutant.lua").path
        try source.replacingOccurrences(of: find, with: replace).write(toFile: script, atomically: true, encoding: .utf8)
        let mutated = try writeTestCapture(makeCapture(MutatedCapture.make(seed: 0x5EED_F00D, datagrams: 600)), name: "mutated.pcap", in: folder)
        var found = 0
        for capture in [EveryCodeFixture.path, mutated] {
            found += try Differential.compare(capture: capture, script: script).problems.count
        }
        #expect(found > 0, "the mutant \"\(name)\" went unnoticed")
    }

    // MARK: Display filters

    static let bridge = Paths.fixture("failover/bridge.pcap")
    /// failover was captured at ten times the firmware's speed.
    static let timing = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]

    /// The packet numbers of the frame and malformed records peersniff prints with `arguments`.
    static func peersniffNumbers(_ capture: String, _ arguments: [String]) throws -> [Int] {
        let run = try runPeersniff(["-r", capture, "--json"] + timing + arguments)
        try #require(run.status == 0, "peersniff \(arguments): \(run.stderr)")
        return run.datagramRecords.compactMap { $0["n"] as? Int }
    }

    @Test("-Y 'discovery && (ip.addr == NODE || discovery.offline.ip == NODE)' selects the frames of --node NODE, for every node of failover/bridge.pcap")
    func nodeFilter() throws {
        let all = try runPeersniff(["-r", Self.bridge, "--json"] + Self.timing)
        let nodes = Set(all.datagramRecords.compactMap { $0["src"] as? String }).sorted()
        try #require(nodes.count >= 3, "\(nodes)")
        for node in nodes {
            let expected = try Self.peersniffNumbers(Self.bridge, ["--node", node])
            let selected = try Tshark.numbers(Self.bridge, filter: "discovery && (ip.addr == \(node) || discovery.offline.ip == \(node))")
            #expect(selected == expected, "--node \(node)")
            #expect(!expected.isEmpty)
        }
        #expect(nodes.contains("10.37.0.40"))
        // The OFFLINEs about 10.37.0.20 that others broadcast are about it by their
        // payload alone: --node selects them, and so does discovery.offline.ip.
        let offline = try Tshark.numbers(Self.bridge, filter: "discovery.offline.ip == 10.37.0.20 && !(ip.addr == 10.37.0.20)")
        #expect(!offline.isEmpty, "no OFFLINE about 10.37.0.20 from another node")
        #expect(Set(offline).isSubset(of: Set(try Self.peersniffNumbers(Self.bridge, ["--node", "10.37.0.20"]))))
    }

    @Test("-Y 'discovery.type == \"TYPE\"' selects the frames of --type TYPE; discovery.malformed those of --type malformed",
          arguments: ["HELLO", "FULL", "PING", "PONG", "OFFLINE", "LEGACY", "malformed"])
    func typeFilter(_ type: String) throws {
        let filter = type == "malformed" ? "discovery.malformed" : "discovery.type == \"\(type)\""
        var total = 0
        for capture in [Self.bridge, Paths.fixture("legacy/bridge.pcap"), EveryCodeFixture.path] {
            var expected = try Self.peersniffNumbers(capture, ["--type", type])
            if type == "malformed" {
                // incomplete-fragments has no datagram in Wireshark to carry it (see the dissector's header).
                let run = try runPeersniff(["-r", capture, "--json", "--type", "malformed"] + Self.timing)
                let incomplete = Set(run.malformedRecords.filter { $0["reason"] as? String == "incomplete-fragments" }.compactMap { $0["n"] as? Int })
                expected.removeAll { incomplete.contains($0) }
            }
            let selected = try Tshark.numbers(capture, filter: filter)
            #expect(selected == expected, "\(type) in \(capture)")
            total += expected.count
        }
        #expect(total > 0, "no \(type) in any of the captures")
    }

    @Test("-Y 'discovery.type == \"FULL\" && discovery.peer.ip == 10.37.0.20' selects the FULLs --json lists 10.37.0.20 in")
    func peerFilter() throws {
        let run = try runPeersniff(["-r", Self.bridge, "--json", "--type", "FULL"] + Self.timing)
        let expected = run.frameRecords.filter { record in
            (record["peers"] as? [[String: Any]] ?? []).contains { $0["ip"] as? String == "10.37.0.20" }
        }.compactMap { $0["n"] as? Int }
        #expect(!expected.isEmpty)
        #expect(try Tshark.numbers(Self.bridge, filter: #"discovery.type == "FULL" && discovery.peer.ip == 10.37.0.20"#) == expected)
        // And a warning by name, and an expert info by name, select what --malformed reports.
        let report = try Differential.PeersniffReading(capture: EveryCodeFixture.path)
        for code in EveryCodeFixture.contractWarnings {
            let expected = report.offsets.filter { $0.value.keys.contains(code) }.map(\.key).sorted()
            #expect(try Tshark.numbers(EveryCodeFixture.path, filter: "discovery.warning == \"\(code)\"") == expected, "\(code)")
            #expect(try Tshark.numbers(EveryCodeFixture.path, filter: "discovery.warning.\(code)") == expected, "expert \(code)")
        }
    }

    // MARK: Robustness

    @Test("no Lua error and nothing on stderr, on captures of wild packets (seeded) in whole capture files")
    func noLuaErrorOnWildPackets() throws {
        var rng = SplitMix64(seed: 0x1A_E770)
        let folder = Paths.temporaryFolder()
        var failures: [String] = []
        for index in 0..<12 {
            var packets: [TestPacket] = []
            for k in 0..<150 {
                let ips: [[UInt8]]
                switch rng.below(3) {
                case 0: ips = [Fuzzing.randomIPPacket(&rng)]
                default: ips = Fuzzing.discoveryPackets(&rng)
                }
                for ip in ips {
                    let v6 = ip.first.map { $0 >> 4 == 6 } ?? false
                    var bytes = PacketBuilder.ethernet(ip, etherType: v6 ? 0x86DD : 0x0800)
                    var original: Int? = nil
                    if rng.oneIn(10) { original = bytes.count; bytes = Array(bytes.prefix(rng.below(bytes.count + 1))) }
                    packets.append(.at(UInt32(index * 200 + k), UInt32(rng.below(1_000_000)), bytes, originalLength: original))
                }
            }
            let path = try writeTestCapture(makeCapture(packets), name: "wild-\(index).pcap", in: folder)
            let run = try Tshark.run(["-r", path, "-V"])
            if run.status != 0 { failures.append("\(path): tshark exit \(run.status)") }
            if !Tshark.complaints(run.stderr).isEmpty { failures.append("\(path): stderr: \(Tshark.complaints(run.stderr).prefix(3))") }
            if run.stdout.contains("Lua Error") {
                let line = run.stdout.split(separator: "\n").first { $0.contains("Lua Error") } ?? ""
                failures.append("\(path): \(line)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10).joined(separator: "\n"))")
        if failures.isEmpty { try? FileManager.default.removeItem(at: folder) }
    }

    @Test("no Lua error on corrupted capture files (seeded, as the fuzz tests corrupt them)")
    func noLuaErrorOnCorruptedFiles() throws {
        var rng = SplitMix64(seed: 0xC022_0E7D)
        let folder = Paths.temporaryFolder()
        var failures: [String] = []
        for index in 0..<40 {
            let path = try writeTestCapture(Data(Fuzzing.captureFile(&rng)), name: "corrupt-\(index).pcap", in: folder)
            let run = try Tshark.run(["-r", path, "-V"])
            for text in [run.stdout, run.stderr] where text.contains("Lua Error") || text.contains("peersniff-discovery.lua:") {
                failures.append("\(path): \(text.split(separator: "\n").first { $0.contains("Lua") || $0.contains(".lua:") } ?? "")")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10).joined(separator: "\n"))")
        if failures.isEmpty { try? FileManager.default.removeItem(at: folder) }
    }

    @Test("loading the dissector prints nothing, and tshark knows its fields, expert infos and preferences")
    func registration() throws {
        // -G must come first; the script after it.
        let fields = try runProgram(try toolPath("tshark"), ["-G", "fields", "-X", "lua_script:\(Self.script)"], environment: Tshark.environment)
        #expect(fields.status == 0)
        #expect(Tshark.complaints(fields.stderr).isEmpty, "\(fields.stderr)")
        let rows = fields.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let names = Set(rows.compactMap { $0.count > 2 ? $0[2] : nil })
        for field in ["discovery", "discovery.type", "discovery.type_byte", "discovery.name", "discovery.peer", "discovery.peer.ip",
                      "discovery.peer.name", "discovery.peer_count", "discovery.offline.ip", "discovery.legacy.json",
                      "discovery.legacy.name", "discovery.legacy.version", "discovery.legacy.discover", "discovery.legacy.key",
                      "discovery.legacy.value", "discovery.malformed", "discovery.malformed.offset", "discovery.malformed.detail",
                      "discovery.warning", "discovery.warning.offset"] {
            #expect(names.contains(field), "no field \(field)")
        }
        // Every reason and warning of CONTRACT.md is an expert info of its own name (their
        // severities are checked on every datagram of the differential tests).
        for code in EveryCodeFixture.contractReasons.map({ "discovery.malformed.\($0)" }) + EveryCodeFixture.contractWarnings.map({ "discovery.warning.\($0)" }) {
            #expect(names.contains(code), "no expert info \(code)")
        }
        let preferences = try runProgram(try toolPath("tshark"), ["-G", "defaultprefs", "-X", "lua_script:\(Self.script)"], environment: Tshark.environment)
        for preference in ["discovery.port: 37020", "discovery.verify_checksums: TRUE", "discovery.heuristic: TRUE"] {
            #expect(preferences.stdout.contains("#\(preference)"), "no preference \(preference)")
        }
        // The port is a preference: on another port peersniff's --port and tshark's -o agree.
        let moved = Paths.temporaryFolder().appendingPathComponent("moved.pcap").path
        try makeCapture([.at(1, 0, PacketBuilder.discovery(DiscoveryPayload.ping, dst: "10.37.0.21", dport: 37021))]).write(to: URL(fileURLWithPath: moved))
        #expect(try Tshark.numbers(moved, filter: "discovery.type == \"PING\"", options: ["-o", "discovery.port:37021"]) == [1])
        #expect(try Tshark.numbers(moved, filter: "discovery", options: []) == [], "a PING on 37021 without the preference (too weak for the heuristic)")
        #expect(try runPeersniff(["-r", moved, "--json", "--port", "37021"]).frameRecords.count == 1)
    }

    @Test("the heuristic claims clean frames on other ports, and nothing that does not decode cleanly")
    func heuristic() throws {
        let claimed: [[UInt8]] = [
            DiscoveryPayload.hello("Attack from Mars"),
            DiscoveryPayload.full([("10.37.0.20", "A"), ("10.37.0.30", "B")]),
            DiscoveryPayload.offline("10.37.0.40"),
            Array(#"{"version":"1.4.0","name":"Medieval Madness"}"#.utf8),
        ]
        let left: [[UInt8]] = [
            DiscoveryPayload.ping, DiscoveryPayload.pong, [0x01, 9] + Array("Short".utf8), [0x07, 1, 2], Array("{not json}".utf8),
            [0x01, 2, 0xFF, 0xFE], DiscoveryPayload.full([("10.37.0.30", "B"), ("10.37.0.20", "A"), ("10.37.0.10", "C")]), [0x02, 0], Array("{}".utf8),
        ]
        let packets = (claimed + left).enumerated().map { i, payload in
            TestPacket.at(UInt32(i + 1), 0, PacketBuilder.discovery(payload, src: "10.37.0.20", sport: 40001, dport: 40002))
        }
        let path = try writeTestCapture(makeCapture(packets), name: "other-port.pcap")
        #expect(try Tshark.numbers(path, filter: "discovery") == Array(1...claimed.count))
        #expect(try Tshark.numbers(path, filter: "discovery", options: ["-o", "discovery.heuristic:FALSE"]) == [])
    }

    @Test("the Info column's table of invisible characters is the standard library's (the text line's)")
    func invisibleCharacters() throws {
        let source = try String(contentsOfFile: Self.script, encoding: .utf8)
        let body = try #require(source.components(separatedBy: "local FORMAT_RANGES = {").dropFirst().first?.components(separatedBy: "}\n").first)
        let pattern = try NSRegularExpression(pattern: #"\{ 0x([0-9A-F]+), 0x([0-9A-F]+) \}"#)
        let table = pattern.matches(in: body, range: NSRange(body.startIndex..., in: body)).map { match -> ClosedRange<UInt32> in
            let first = UInt32(body[Range(match.range(at: 1), in: body)!], radix: 16)!
            let last = UInt32(body[Range(match.range(at: 2), in: body)!], radix: 16)!
            return first...last
        }
        var expected: [ClosedRange<UInt32>] = []
        for value in UInt32(0x600)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                if let last = expected.last, last.upperBound + 1 == value { expected[expected.count - 1] = last.lowerBound...value } else { expected.append(value...value) }
            default: break
            }
        }
        #expect(table == expected)
    }
}

// The helpers, inside the suite: other test files may use the same names.
extension WiresharkDissectorTests {
    // MARK: - tshark

    /// tshark with the dissector loaded, in a home of its own.
    enum Tshark {
        static let home: String = {
            let folder = Paths.temporaryFolder().appendingPathComponent("home")
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return folder.path
        }()

        static var environment: [String: String] {
            ["HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        }

        /// tshark `arguments` with `script` loaded.
        static func run(_ arguments: [String], script: String = WiresharkDissectorTests.script) throws -> RunResult {
            try runProgram(try toolPath("tshark"), ["-X", "lua_script:\(script)"] + arguments, environment: environment)
        }

        /// stderr without tshark's warning about running as root.
        static func complaints(_ stderr: String) -> [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("Running as user \"root\"") }
        }

        /// The numbers of the packets a display filter selects.
        static func numbers(_ capture: String, filter: String, options: [String] = []) throws -> [Int] {
            let run = try Self.run(["-r", capture, "-Y", filter, "-T", "fields", "-e", "frame.number"] + options)
            try #require(run.status == 0 && complaints(run.stderr).isEmpty, "tshark -Y '\(filter)': \(run.stderr)")
            return run.stdout.split(separator: "\n").compactMap { Int($0) }
        }
    }

    // MARK: - The comparison

    /// One capture read by both, compared datagram by datagram.
    enum Differential {
        /// What peersniff printed about a capture: its records by packet number, the text
        /// line after the addresses, the raw JSON lines, and the warnings' offsets
        /// (`--malformed`).
        struct PeersniffReading {
            var records: [Int: [[String: Any]]] = [:]
            var lines: [Int: String] = [:]
            var textLines: [Int: [String]] = [:]
            /// Per packet, each warning or reason `--malformed` reports, with its offset (nil: the whole datagram).
            var offsets: [Int: [String: Int?]] = [:]

            init(capture: String) throws {
                let json = try runPeersniff(["-r", capture, "--json"])
                try #require(json.status == 0, "peersniff --json \(capture): \(json.stderr)")
                for line in json.stdout.split(separator: "\n") {
                    guard let record = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                          ["frame", "malformed"].contains(record["kind"] as? String), let n = record["n"] as? Int else { continue }
                    records[n, default: []].append(record)
                    lines[n] = String(line)
                }
                let text = try runPeersniff(["-r", capture, "--color", "never"])
                try #require(text.status == 0, "peersniff \(capture): \(text.stderr)")
                for line in text.stdout.split(separator: "\n") {
                    // "12:00:01.234567 #17 SRC:PORT > DST:PORT REST"
                    let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
                    guard parts.count == 6, parts[1].hasPrefix("#"), let n = Int(parts[1].dropFirst()), parts[3] == ">" else { continue }
                    textLines[n, default: []].append(String(parts[5]))
                }
                // -v: every report in full (without it, repeats of a code from one source are folded).
                let report = try runPeersniff(["-r", capture, "--malformed", "-v", "--color", "never"])
                try #require(report.status == 0, "peersniff --malformed \(capture): \(report.stderr)")
                let header = try NSRegularExpression(pattern: #"^#(\d+)  "#)
                let entry = try NSRegularExpression(pattern: #"^  (warning|malformed) (\S+?)( at offset (\d+))?: "#)
                var current: Int?
                for line in report.stdout.split(separator: "\n").map(String.init) {
                    let range = NSRange(line.startIndex..., in: line)
                    if let match = header.firstMatch(in: line, range: range) {
                        current = Int(line[Range(match.range(at: 1), in: line)!])
                    } else if let match = entry.firstMatch(in: line, range: range), let n = current {
                        let code = String(line[Range(match.range(at: 2), in: line)!])
                        let offset = Range(match.range(at: 4), in: line).flatMap { Int(line[$0]) }
                        offsets[n, default: [:]][code] = .some(offset)
                    }
                }
            }

            /// The compact JSON text of a LEGACY record's `json`, exactly as peersniff wrote it.
            func legacyText(_ n: Int) -> String? {
                guard let line = lines[n], let start = line.range(of: #","json":"#) else { return nil }
                var text = String(line[start.upperBound...])
                if let warnings = text.range(of: #",\"warnings\":\[[a-z\-\",]*\]\}$"#, options: .regularExpression) {
                    text = String(text[..<warnings.lowerBound])
                } else if text.hasSuffix("}") {
                    text.removeLast()
                }
                return text
            }
        }

        /// One item of tshark's PDML tree.
        final class Item {
            let name: String
            let show: String
            let value: String
            let pos: Int
            let size: Int
            var children: [Item] = []

            init(name: String, show: String, value: String, pos: Int, size: Int) {
                self.name = name; self.show = show; self.value = value; self.pos = pos; self.size = size
            }

            /// Every item below this one named `name`, in tree order.
            func all(_ name: String) -> [Item] {
                children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
            }

            func first(_ name: String) -> Item? { all(name).first }

            /// The bytes of its range (`value`, hex).
            var bytes: [UInt8] { bytesFromHex(value) ?? [] }
        }

        /// What tshark with the dissector shows of a capture: per packet, its tree (PDML),
        /// the discovery protocol's values as tshark's JSON writes them, and the Info column.
        struct TsharkReading {
            struct Packet {
                var root = Item(name: "packet", show: "", value: "", pos: 0, size: 0)
                var values: [String: [String]] = [:]
                var discovery: Item? { root.first("discovery") }
                var fieldNames: Set<String> = []
            }
            var packets: [Int: Packet] = [:]
            var stderr: [String] = []

            static let valueFields = ["_ws.col.Info", "discovery.name", "discovery.peer.name", "discovery.legacy.json", "discovery.malformed.detail"]

            init(capture: String, script: String) throws {
                let pdml = try Tshark.run(["-r", capture, "-T", "pdml"], script: script)
                try #require(pdml.status == 0, "tshark -T pdml \(capture): \(pdml.stderr)")
                stderr = Tshark.complaints(pdml.stderr)
                // One packet a document: libxml2 refuses a document of more than 10 MB given whole.
                let reader = PDMLReader()
                for element in pdml.stdout.components(separatedBy: "</packet>") {
                    guard let start = element.range(of: "<packet>") else { continue }
                    let parser = XMLParser(data: PDMLReader.sanitized(Data((element[start.lowerBound...] + "</packet>").utf8)))
                    parser.delegate = reader
                    try #require(parser.parse(), "the PDML of \(capture) does not parse: \(parser.parserError.map { "\($0)" } ?? "")")
                }
                for packet in reader.packets {
                    guard let number = packet.first("frame.number").flatMap({ Int($0.show) }) else { continue }
                    var entry = Packet()
                    entry.root = packet
                    var names: Set<String> = []
                    func walk(_ item: Item) { names.insert(item.name); item.children.forEach(walk) }
                    walk(packet)
                    entry.fieldNames = names
                    packets[number] = entry
                }
                let fields = try Tshark.run(["-r", capture, "-T", "json", "-E", "occurrence=a", "-e", "frame.number"]
                                            + Self.valueFields.flatMap { ["-e", $0] }, script: script)
                try #require(fields.status == 0, "tshark -T json \(capture): \(fields.stderr)")
                stderr += Tshark.complaints(fields.stderr)
                let list = try #require(try JSONSerialization.jsonObject(with: Data(fields.stdout.utf8)) as? [[String: Any]])
                for packet in list {
                    let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: Any] ?? [:]
                    guard let number = (layers["frame.number"] as? [String])?.first.flatMap({ Int($0) }) else { continue }
                    for field in Self.valueFields {
                        if let values = layers[field] as? [String] { packets[number, default: Packet()].values[field] = values }
                    }
                }
            }
        }

        /// Reads tshark's PDML into items, one root a packet.
        final class PDMLReader: NSObject, XMLParserDelegate {
            var packets: [Item] = []
            var stack: [Item] = []

            /// XML 1.0 has no room for most control characters, nor U+FFFE and U+FFFF, which
            /// PDML's `show` may hold as they were sent: made `?` (the comparisons read
            /// strings from tshark's JSON, bytes from `value`).
            static func sanitized(_ data: Data) -> Data {
                var bytes = [UInt8](data)
                var i = 0
                while i < bytes.count {
                    let b = bytes[i]
                    if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D { bytes[i] = UInt8(ascii: "?") }
                    if b == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBF, bytes[i + 2] == 0xBE || bytes[i + 2] == 0xBF {
                        bytes[i] = UInt8(ascii: "?"); bytes[i + 1] = UInt8(ascii: "?"); bytes[i + 2] = UInt8(ascii: "?")
                    }
                    i += 1
                }
                return Data(bytes)
            }

            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                switch elementName {
                case "packet":
                    stack = [Item(name: "packet", show: "", value: "", pos: 0, size: 0)]
                case "proto", "field":
                    let item = Item(name: attributes["name"] ?? "", show: attributes["show"] ?? "", value: attributes["value"] ?? "",
                                    pos: Int(attributes["pos"] ?? "") ?? -1, size: Int(attributes["size"] ?? "") ?? -1)
                    stack.last?.children.append(item)
                    stack.append(item)
                default:
                    break
                }
            }

            func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
                switch elementName {
                case "packet":
                    if let root = stack.first { packets.append(root) }
                    stack = []
                case "proto", "field":
                    if stack.count > 1 { stack.removeLast() }
                default:
                    break
                }
            }
        }

        /// Severities as PDML shows `_ws.expert.severity` (PI_ERROR, PI_WARN).
        static let errorSeverity = "8388608"
        static let warningSeverity = "6291456"

        /// The outcome of one comparison.
        struct Comparison {
            var problems: [String] = []
            var frames = 0
            var malformed = 0
            var legacyFrames = 0
            var fullsFromTheirFirstEntry = 0
            /// The packets tshark shows a discovery datagram in, in order.
            var dissected: [Int] = []
            var reasons: [String] = []
            var warnings: [String] = []
            /// Per packet, each reason and warning with its offset, as both agree on it.
            var offsets: [Int: [String: Int?]] = [:]

            func expectAgreement(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
                let listing = problems.prefix(15).joined(separator: "\n")
                #expect(problems.count == 0, "\(name): \(problems.count) disagreements between tshark and peersniff:\n\(listing)",
                        sourceLocation: sourceLocation)
            }
        }

        static func compare(capture: String, script: String = WiresharkDissectorTests.script) throws -> Comparison {
            let ours = try PeersniffReading(capture: capture)
            let theirs = try TsharkReading(capture: capture, script: script)
            var result = Comparison()
            func problem(_ n: Int, _ what: String) { result.problems.append("#\(n): \(what)") }
            if !theirs.stderr.isEmpty { result.problems.append("tshark's stderr: \(theirs.stderr.prefix(3))") }

            for n in ours.records.keys.sorted() {
                let records = ours.records[n]!
                let packet = theirs.packets[n]
                guard records.count == 1, let record = records.first else {
                    problem(n, "\(records.count) records for one packet")
                    continue
                }
                let kind = record["kind"] as? String
                if kind == "malformed", record["reason"] as? String == "incomplete-fragments" {
                    // Wireshark's own: a fragment that was never reassembled, and no discovery tree.
                    result.malformed += 1
                    result.reasons.append("incomplete-fragments")
                    guard let packet else { problem(n, "no such packet in tshark"); continue }
                    if packet.discovery != nil { problem(n, "incomplete-fragments, but tshark decodes a datagram") }
                    if !packet.fieldNames.contains("ip.frag_offset") || packet.fieldNames.contains("ip.reassembled_in") {
                        problem(n, "incomplete-fragments, but tshark shows no unreassembled fragment")
                    }
                    continue
                }
                guard let packet, let tree = packet.discovery else {
                    problem(n, "peersniff reports a \(kind ?? "?") (\(record["type"] ?? record["reason"] ?? "")); tshark shows no discovery datagram")
                    continue
                }
                // The text line and the Info column: the same, but where Wireshark cuts a long
                // column (4095 bytes; the dissector cuts at a character's start).
                if let line = ours.textLines[n]?.first, let info = packet.values["_ws.col.Info"]?.first {
                    if Array(info.utf8) != Array(line.utf8) && !(info.utf8.count > 4000 && line.utf8.starts(with: info.utf8)) {
                        problem(n, "Info column \(info.debugDescription) ≠ text line \(line.debugDescription)")
                    }
                } else {
                    problem(n, "no text line or no Info column")
                }
                let length = tree.first("discovery.length").flatMap { Int($0.show) }

                if kind == "malformed" {
                    result.malformed += 1
                    let reason = record["reason"] as? String ?? "?"
                    let offset = record["offset"] as? Int ?? -1
                    result.reasons.append(reason)
                    result.offsets[n, default: [:]][reason] = .some(offset)
                    if let type = tree.first("discovery.type") { problem(n, "malformed \(reason), but tshark has a type \(type.show)") }
                    guard let item = tree.first("discovery.malformed") else { problem(n, "malformed \(reason): tshark has none"); continue }
                    if item.show != reason { problem(n, "reason \(reason) ≠ tshark's \(item.show)") }
                    if item.pos - tree.pos != offset { problem(n, "\(reason) at offset \(offset), tshark's item at \(item.pos - tree.pos)") }
                    if item.first("discovery.malformed.offset")?.show != String(offset) { problem(n, "\(reason): discovery.malformed.offset ≠ \(offset)") }
                    if length != record["length"] as? Int { problem(n, "\(reason): length \(record["length"] ?? "") ≠ tshark's \(length.map(String.init) ?? "none")") }
                    let detail = record["detail"] as? String ?? ""
                    if packet.values["discovery.malformed.detail"] != [detail] {
                        problem(n, "detail \(detail.debugDescription) ≠ tshark's \(packet.values["discovery.malformed.detail"] ?? [])")
                    }
                    checkExpert(item, "discovery.malformed.\(reason)", errorSeverity, message: "\(reason): \(detail)", n: n, problem)
                    continue
                }

                result.frames += 1
                let type = record["type"] as? String ?? "?"
                if let item = tree.first("discovery.malformed") { problem(n, "\(type) frame, but tshark has malformed \(item.show)") }
                if tree.first("discovery.type")?.show != type { problem(n, "type \(type) ≠ tshark's \(tree.first("discovery.type")?.show ?? "none")") }
                switch type {
                case "HELLO":
                    let name = record["name"] as? String ?? "?"
                    if !sameText(packet.values["discovery.name"] ?? [], [fieldText(name)]) {
                        problem(n, "HELLO name \(name.debugDescription) ≠ tshark's \(packet.values["discovery.name"] ?? [])")
                    }
                    if let item = tree.first("discovery.name"), !sameText([String(decoding: item.bytes, as: UTF8.self)], [name]) {
                        problem(n, "HELLO name's bytes \(item.value) are not \(name.debugDescription)")
                    }
                case "FULL":
                    let peers = record["peers"] as? [[String: Any]] ?? []
                    let ips = peers.map { $0["ip"] as? String ?? "?" }
                    let names = peers.map { $0["name"] as? String ?? "?" }
                    let entries = tree.all("discovery.peer")
                    let theirIPs = entries.map { $0.first("discovery.peer.ip")?.show ?? "none" }
                    if theirIPs != ips { problem(n, "FULL peers \(ips) ≠ tshark's \(theirIPs)") }
                    if !sameText(packet.values["discovery.peer.name"] ?? [], names.map(fieldText)) && !(names.isEmpty && packet.values["discovery.peer.name"] == nil) {
                        problem(n, "FULL names \(names) ≠ tshark's \(packet.values["discovery.peer.name"] ?? [])")
                    }
                    let byteNames = entries.map { String(decoding: $0.first("discovery.peer.name")?.bytes ?? [], as: UTF8.self) }
                    if !sameText(byteNames, names) { problem(n, "FULL names' bytes \(byteNames) are not \(names)") }
                    if tree.first("discovery.peer_count").flatMap({ Int($0.show) }) != peers.count { problem(n, "peer count ≠ \(peers.count)") }
                    if let first = ips.first, first == record["src"] as? String { result.fullsFromTheirFirstEntry += 1 }
                case "OFFLINE":
                    let ip = record["ip"] as? String ?? "?"
                    if tree.first("discovery.offline.ip")?.show != ip { problem(n, "OFFLINE \(ip) ≠ tshark's \(tree.first("discovery.offline.ip")?.show ?? "none")") }
                case "LEGACY":
                    result.legacyFrames += 1
                    let text = ours.legacyText(n) ?? "?"
                    if !sameText(packet.values["discovery.legacy.json"] ?? [], [text]) {
                        problem(n, "LEGACY \(text) ≠ tshark's \(packet.values["discovery.legacy.json"] ?? [])")
                    }
                default:
                    break
                }
                // The warnings: the same, in the same order, each at peersniff's offset, each expert info.
                let warnings = record["warnings"] as? [String] ?? []
                let items = tree.all("discovery.warning")
                if items.map(\.show) != warnings { problem(n, "warnings \(warnings) ≠ tshark's \(items.map(\.show))") }
                result.warnings += warnings
                for item in items {
                    let code = item.show
                    guard let expected = ours.offsets[n]?[code] else { problem(n, "--malformed does not report \(code)"); continue }
                    result.offsets[n, default: [:]][code] = expected
                    if let offset = expected {
                        if item.pos - tree.pos != offset { problem(n, "\(code) at offset \(offset), tshark's item at \(item.pos - tree.pos)") }
                        if item.first("discovery.warning.offset")?.show != String(offset) { problem(n, "\(code): discovery.warning.offset ≠ \(offset)") }
                    } else if item.pos != tree.pos || item.size != length {
                        problem(n, "\(code) is about the whole datagram; tshark's item covers \(item.size) bytes at \(item.pos - tree.pos)")
                    }
                    checkExpert(item, "discovery.warning.\(code)", warningSeverity, message: nil, n: n, problem)
                }
            }
            result.dissected = theirs.packets.filter { $0.value.discovery != nil }.map(\.key).sorted()
            // Nothing tshark decodes that peersniff does not report.
            for (n, packet) in theirs.packets.sorted(by: { $0.key < $1.key }) where packet.discovery != nil && ours.records[n] == nil {
                problem(n, "tshark shows a discovery datagram (\(packet.values["_ws.col.Info"]?.first ?? "")) peersniff does not report")
            }
            return result
        }

        /// A name as a Wireshark string field holds it: up to its first NUL (a field's value
        /// is a C string; the item's bytes, compared whole, hold the rest).
        static func fieldText(_ name: String) -> String {
            String(String.UnicodeScalarView(name.unicodeScalars.prefix { $0 != "\0" }))
        }

        /// The same strings, scalar for scalar (Swift's `==` would equate canonically equivalent ones).
        static func sameText(_ a: [String], _ b: [String]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { Array($0.unicodeScalars) == Array($1.unicodeScalars) }
        }

        /// The expert info under `item`: its name, its severity, its message.
        static func checkExpert(_ item: Item, _ name: String, _ severity: String, message: String?, n: Int, _ problem: (Int, String) -> Void) {
            guard let expert = item.children.first(where: { $0.name == "_ws.expert" }) else { return problem(n, "no expert info under \(item.show)") }
            if expert.first(name) == nil { problem(n, "the expert info under \(item.show) is not \(name)") }
            if expert.first("_ws.expert.severity")?.show != severity { problem(n, "\(name): severity \(expert.first("_ws.expert.severity")?.show ?? "none")") }
            if let message, expert.first("_ws.expert.message")?.show != message {
                problem(n, "\(name): message \(expert.first("_ws.expert.message")?.show ?? "none") ≠ \(message)")
            }
        }
    }

    // MARK: - Mutated captures

    /// A capture of mutated discovery datagrams, made as the fuzz tests make them
    /// (`Fuzzing.mutatedFrame`, `jsonGarbage`, `randomPayload`, `randomFrame`), plus the
    /// packet-level troubles peersniff reports: bad, absent and offloaded checksums, snap
    /// length cuts, IPv6, fragments (complete, out of order, or missing one), and a
    /// registry repeating its FULL with small changes (the codec's memory of the last FULL).
    enum MutatedCapture {
        static func make(seed: UInt64, datagrams: Int) -> [TestPacket] {
            var rng = SplitMix64(seed: seed)
            var packets: [TestPacket] = []
            var identification: UInt16 = 0x100
            var registry: [(ip: String, name: [UInt8])] = [("10.37.0.20", Array("Attack from Mars".utf8))]
            func address() -> String { "10.37.0.\(10 + rng.below(40))" }
            func add(_ bytes: [UInt8], originalLength: Int? = nil) {
                let k = packets.count
                packets.append(.at(UInt32(k / 100), UInt32(k % 100) * 10_000, bytes, originalLength: originalLength))
            }

            for _ in 0..<datagrams {
                var source = address()
                let destination = rng.oneIn(3) ? address() : "255.255.255.255"
                var payload: [UInt8]
                switch rng.below(20) {
                case 0...5: payload = Fuzzing.mutatedFrame(&rng)
                case 6...8: payload = Fuzzing.randomFrame(&rng).encoded()
                case 9, 10: payload = Fuzzing.jsonGarbage(&rng)
                case 11: payload = Array(Fuzzing.randomFrame(&rng).encoded().prefix(1)) + (rng.oneIn(2) ? [] : Fuzzing.randomPayload(&rng))
                case 12: payload = Fuzzing.randomPayload(&rng)
                case 13: payload = []
                default:
                    // The registry's FULL: itself first, the rest sorted, one change a time.
                    switch rng.below(4) {
                    case 0...1 where registry.count < 70:
                        // One to three boards join: the list grows past the firmware's 51 entries now and then.
                        for _ in 0...rng.below(3) {
                            let name = rng.oneIn(3) ? Fuzzing.randomName(&rng) : Array("Board \(rng.below(1000))".utf8)
                            registry.append(("10.37.\(1 + rng.below(3)).\(rng.below(250))", name))
                        }
                    case 1 where registry.count > 2: registry.remove(at: 1 + rng.below(registry.count - 1))
                    case 2 where registry.count > 1: registry[1 + rng.below(registry.count - 1)].name = Fuzzing.randomName(&rng)
                    default: break
                    }
                    func value(_ ip: String) -> UInt32 { PacketBuilder.ip(ip).reduce(0) { $0 << 8 | UInt32($1) } }
                    let rest = registry.dropFirst().sorted { value($0.ip) < value($1.ip) }
                    let entries = [registry[0]] + rest
                    payload = [0x02, UInt8(min(255, entries.count))]
                    for entry in entries.prefix(255) { payload += PacketBuilder.ip(entry.ip) + [UInt8(min(255, entry.name.count))] + entry.name.prefix(255) }
                    source = rng.oneIn(8) ? address() : registry[0].ip
                }
                if payload.count > 6000 { payload = Array(payload.prefix(6000)) }
                // A FULL from its first entry, often: full-sender-not-first is then the codec's to judge.
                if payload.first == 0x02, payload.count >= 6, rng.oneIn(2) { source = payload[2...5].map(String.init).joined(separator: ".") }
                let sport: UInt16, dport: UInt16
                switch rng.below(10) {
                case 0: (sport, dport) = (37020, 45123)
                case 1: (sport, dport) = (37020, 37020)
                default: (sport, dport) = (45123, 37020)
                }

                if rng.oneIn(20) {
                    let ip6 = PacketBuilder.ipv6UDP(src: "fd00::\(rng.below(200))", dst: "ff02::1", sport: sport, dport: dport, payload: Array(payload.prefix(1400)))
                    add(LinkFraming.ethernet.frame(ip6, ipv6: true))
                    continue
                }
                var checksum: UInt16? = nil
                switch rng.below(25) {
                case 0, 1:
                    let good = PacketBuilder.udp(src: source, dst: destination, sport: sport, dport: dport, payload: payload)
                    let right = UInt16(good[6]) << 8 | UInt16(good[7])
                    let offloaded = PacketBuilder.offloadedChecksum(src: source, dst: destination, udpLength: 8 + payload.count)
                    var wrong = UInt16(truncatingIfNeeded: rng.next())
                    while wrong == 0 || wrong == right || wrong == offloaded { wrong &+= 1 }
                    checksum = wrong
                case 2: checksum = PacketBuilder.offloadedChecksum(src: source, dst: destination, udpLength: 8 + payload.count)
                case 3: checksum = 0
                default: break
                }
                let udp = PacketBuilder.udp(src: source, dst: destination, sport: sport, dport: dport, payload: payload, checksum: checksum)
                if udp.count + 20 > 1500 || rng.oneIn(15) {
                    identification &+= 1
                    let step = udp.count + 20 > 1500 ? 1480 : 8 * (1 + rng.below(8))
                    var pieces = PacketBuilder.fragments(src: source, dst: destination, udp: udp, id: identification,
                                                         sizes: Array(repeating: step, count: (udp.count + step - 1) / step))
                    if pieces.count > 1, rng.oneIn(5) { pieces.remove(at: 1 + rng.below(pieces.count - 1)) }
                    if rng.oneIn(4) { pieces.shuffle(using: &rng) }
                    for piece in pieces { add(PacketBuilder.ethernet(piece)) }
                    continue
                }
                let frame = PacketBuilder.ethernet(PacketBuilder.ipv4(src: source, dst: destination, payload: udp, id: identification))
                if rng.oneIn(15) {
                    // The snap length cut it: in the UDP header, right after it, or in the payload.
                    let cut = 14 + 20 + 4 + rng.below(max(1, frame.count - 14 - 20 - 4))
                    add(Array(frame.prefix(cut)), originalLength: frame.count)
                } else {
                    add(frame)
                }
            }
            return packets
        }
    }
}
