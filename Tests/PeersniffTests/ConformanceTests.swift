import Testing
import Foundation
@testable import DiscoveryCodec
import WireBytes
import EndToEndSupport
import TestSupport

/// peersniff against an independent reading of real captures.
///
/// The oracle for every capture in Fixtures/ is tshark's reading of it (the
/// frames TSVs, `tshark -o ip.defragment:TRUE -Y udp.port==37020 -T fields …`),
/// its fragment list, and the counts in the capture's README.txt. The payload
/// hex from tshark is decoded here by a small decoder of this file, written
/// from PROTOCOL.md and CONTRACT.md alone: peersniff's codec is not used to
/// judge peersniff.
@Suite("Conformance: peersniff -r --json against tshark and the capture READMEs")
struct ConformanceTests {

    // MARK: - The captures

    /// One capture file of Fixtures/ with its oracle.
    struct Capture: Sendable, CustomTestStringConvertible {
        /// The pcap, relative to Fixtures/.
        var pcap: String
        /// tshark's reading of the pcap, relative to Fixtures/.
        var frames: String
        /// Fragment packets of the pcap (tshark, renumbered for slices), or nil
        /// when the capture's README says it holds no fragments.
        var fragments: String?
        /// The README.txt with the capture's counts and the label of its
        /// line ("bridge.pcap" or "board-view.pcap"), for whole captures.
        var readme: (path: String, label: String)?

        var testDescription: String { pcap }
    }

    static let scenarios = ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"]

    /// The six whole captures in both views.
    static let wholeCaptures: [Capture] = scenarios.flatMap { name in [
        Capture(pcap: "\(name)/bridge.pcap", frames: "\(name)/frames.tsv",
                readme: ("\(name)/README.txt", "bridge.pcap")),
        Capture(pcap: "\(name)/board-view.pcap", frames: "\(name)/frames-board-view.tsv",
                readme: ("\(name)/README.txt", "board-view.pcap")),
    ] }

    /// The slices of `big` (see Fixtures/big/make-slices.sh).
    static let bigSlices: [Capture] = ["bridge-start", "board-view-start", "bridge-fragments", "board-view-fragments"].map {
        Capture(pcap: "big/\($0).pcap", frames: "big/\($0).frames.tsv", fragments: "big/\($0).fragments.tsv")
    }

    static let allCaptures = wholeCaptures + bigSlices

    // MARK: - Tests

    /// Exactly the packets tshark decodes on the discovery port, with tshark's
    /// addresses, ports and capture time.
    @Test("same datagrams as tshark: n, src, dst, ports, ts", arguments: allCaptures)
    func sameDatagramsAsTshark(_ capture: Capture) throws {
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)
        var problems = Problems()

        let expected = Set(oracle.rows.map(\.number))
        let actual = Set(run.datagrams.keys)
        for n in expected.subtracting(actual).sorted() { problems.add("n \(n): in tshark's reading, no frame/malformed record") }
        for n in actual.subtracting(expected).sorted() {
            problems.add("n \(n): \(run.datagrams[n]!["kind"] ?? "?") record that tshark has no row for")
        }
        for n in run.duplicateNumbers { problems.add("n \(n): more than one frame/malformed record") }

        let digits = try Self.fractionDigits(ofCaptureAt: Paths.fixture(capture.pcap))
        for row in oracle.rows {
            guard let record = run.datagrams[row.number] else { continue }
            func same(_ key: String, _ expected: String) {
                let value = record[key].map { "\($0)" } ?? "nil"
                if value != expected { problems.add("n \(row.number): \(key) \(value), tshark \(expected)") }
            }
            same("src", row.source)
            same("dst", row.destination)
            same("sport", String(row.sourcePort))
            same("dport", String(row.destinationPort))
            let ts = record["ts"] as? String ?? "nil"
            if let epoch = Self.epochString(rfc3339: ts, fractionDigits: digits) {
                if epoch != row.epoch { problems.add("n \(row.number): ts \(ts) = \(epoch), tshark \(row.epoch)") }
            } else {
                problems.add("n \(row.number): ts \(ts) is not RFC 3339 UTC with \(digits) fraction digits")
            }
        }
        #expect(run.status == 0, "exit status \(run.status): \(run.stderr)")
        #expect(!oracle.rows.isEmpty)
        problems.expectNone(capture)
    }

    /// Each datagram means what the independent decoder of this file reads in
    /// tshark's payload hex: the same type and fields, or the same malformation.
    @Test("same payload meaning as an independent decoding of tshark's hex", arguments: allCaptures)
    func samePayloadMeaning(_ capture: Capture) throws {
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)
        var problems = Problems()
        for row in oracle.rows {
            guard let record = run.datagrams[row.number] else { continue }   // reported by sameDatagramsAsTshark
            let expected = Reading(payload: row.payload)
            for difference in expected.differences(from: record) { problems.add("n \(row.number): \(difference)") }
            if case .malformed = expected.meaning {
                if record["hex"] as? String != row.payloadHex { problems.add("n \(row.number): hex differs from tshark's payload") }
                if (record["length"] as? Int) != row.payload.count { problems.add("n \(row.number): length \(record["length"] ?? "nil"), payload has \(row.payload.count)") }
            }
        }
        problems.expectNone(capture)
    }

    /// `fragmented` exactly on the datagrams that arrived as IP fragments
    /// (per the fragment list), `exceeds-receive-buffer` exactly when the
    /// payload (udp.length - 8) is over the boards' 1024 bytes.
    @Test("fragmented and exceeds-receive-buffer warnings", arguments: allCaptures)
    func fragmentAndBufferWarnings(_ capture: Capture) throws {
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)
        var problems = Problems()
        var fragmentedRows = 0, oversizedRows = 0
        for row in oracle.rows {
            guard let record = run.datagrams[row.number], record["kind"] as? String == "frame" else { continue }
            let warnings = Set(record["warnings"] as? [String] ?? [])
            let fragmented = oracle.fragmentNumbers.contains(row.number)
            let oversized = row.udpLength - 8 > 1024
            if fragmented { fragmentedRows += 1 }
            if oversized { oversizedRows += 1 }
            if warnings.contains("fragmented") != fragmented {
                problems.add("n \(row.number): fragmented warning \(!fragmented), fragment list says \(fragmented)")
            }
            if warnings.contains("exceeds-receive-buffer") != oversized {
                problems.add("n \(row.number): exceeds-receive-buffer \(!oversized) for udp.length \(row.udpLength)")
            }
        }
        if capture.pcap.hasSuffix("-fragments.pcap") {
            // The slice was taken for these: make sure it still holds them.
            #expect(fragmentedRows > 40 && oversizedRows >= fragmentedRows)
        }
        problems.expectNone(capture)
    }

    /// Every frame's whole `warnings` list equals what this file derives from
    /// the payload, the sender, the fragment list and the payload length.
    @Test("all warnings as derived independently from the payload", arguments: allCaptures)
    func allWarnings(_ capture: Capture) throws {
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)
        var problems = Problems()
        for row in oracle.rows {
            guard let record = run.datagrams[row.number], record["kind"] as? String == "frame" else { continue }
            let reading = Reading(payload: row.payload)
            var expected = reading.warnings(sender: row.source)
            if oracle.fragmentNumbers.contains(row.number) { expected.insert("fragmented") }
            let actual = record["warnings"] as? [String] ?? []
            if Set(actual) != expected || actual.count != expected.count {
                problems.add("n \(row.number): warnings \(actual.sorted()), expected \(expected.sorted())")
            }
            if record["warnings"] != nil && actual.isEmpty { problems.add("n \(row.number): empty warnings list (present only when non-empty)") }
        }
        problems.expectNone(capture)
    }

    /// `incomplete-fragments` for every datagram whose first fragment (the
    /// one with the UDP header, so known to be on the discovery port) is in
    /// the file but not all of its fragments; never for a complete one. A
    /// lone later fragment carries no port, so reporting it is optional.
    @Test("incomplete-fragments for datagrams cut by the slice", arguments: allCaptures)
    func incompleteFragments(_ capture: Capture) throws {
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)
        var problems = Problems()
        let incomplete = oracle.fragmentGroups.filter { !$0.isComplete }
        let reported = run.incompleteFragments.compactMap { $0["n"] as? Int }
        for group in incomplete where group.hasFirstFragment {
            if !reported.contains(where: group.numbers.contains) {
                problems.add("fragments \(group.numbers) (ip.id \(group.id)) never complete: no incomplete-fragments record")
            }
        }
        for n in reported where !incomplete.contains(where: { $0.numbers.contains(n) }) {
            problems.add("n \(n): incomplete-fragments, but it is not a fragment of an incomplete datagram")
        }
        if capture.pcap.hasSuffix("-fragments.pcap") {
            #expect(incomplete.contains { $0.hasFirstFragment }, "the slice should end inside a fragmented FULL")
        }
        problems.expectNone(capture)
    }

    /// The counts each README.txt states for the whole capture: discovery
    /// datagrams in total and by type, and no IP fragments.
    @Test("counts by type as stated in the capture's README.txt", arguments: wholeCaptures)
    func countsMatchReadme(_ capture: Capture) throws {
        let readme = try #require(capture.readme)
        let stated = try ReadmeCounts(path: Paths.fixture(readme.path), label: readme.label)
        let oracle = try Oracle(capture)
        let run = try PeersniffRun(capture)

        var byType: [String: Int] = [:]
        for record in run.datagrams.values {
            let type = record["kind"] as? String == "frame" ? (record["type"] as? String ?? "?") : "malformed"
            byType[type, default: 0] += 1
        }
        // The README writes LEGACY_JSON for what the contract calls LEGACY.
        let statedByType = Dictionary(uniqueKeysWithValues: stated.byType.map { ($0.key == "LEGACY_JSON" ? "LEGACY" : $0.key, $0.value) })
        #expect(byType == statedByType)
        #expect(run.datagrams.count == stated.datagrams)
        #expect(oracle.rows.count == stated.datagrams, "the fixture's frames TSV disagrees with its README")
        #expect(stated.fragmentFrames == 0)
    }

    /// The oracle's own pieces, on values worked out by hand.
    @Test("the independent reading itself")
    func independentReadingSelfCheck() throws {
        #expect(Self.epochString(rfc3339: "2026-11-25T12:43:51.856080Z", fractionDigits: 6) == "1795610631.856080000")
        #expect(Self.epochString(rfc3339: "1970-01-01T00:00:00.000000001Z", fractionDigits: 9) == "0.000000001")
        #expect(Self.epochString(rfc3339: "2024-02-29T23:59:59.5Z", fractionDigits: 6) == nil)
        #expect(Self.utf8Verdict(Array("Ω ok".utf8)) == .valid)
        #expect(Self.utf8Verdict([0x61, 0xC3]) == .cutMidCharacter)          // é cut after its first byte
        #expect(Self.utf8Verdict([0x61, 0xE3, 0x83]) == .cutMidCharacter)    // ボ cut after two bytes
        #expect(Self.utf8Verdict([0x61, 0xF0, 0x9F, 0x8E]) == .cutMidCharacter)
        #expect(Self.utf8Verdict([0x61, 0xED, 0xA0]) == .invalid)            // would be a surrogate
        #expect(Self.utf8Verdict([0x61, 0xFF]) == .invalid)
        #expect(Self.utf8Verdict([0xC3, 0x61]) == .invalid)
        // boot3/bridge.pcap, packet 5: FULL [.20 "Attack from Mars", .30 "Medieval Madness"].
        let full = try #require(Self.bytes(hex: "02020a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e657373"))
        let reading = Reading(payload: full)
        guard case .full(let peers) = reading.meaning else { Issue.record("not a FULL: \(reading.meaning)"); return }
        #expect(peers.map { Self.dotted($0.ip) } == ["10.37.0.20", "10.37.0.30"])
        #expect(peers.map { Self.text($0.name) } == ["Attack from Mars", "Medieval Madness"])
        #expect(reading.warnings(sender: "10.37.0.30") == ["full-sender-not-first"])
        #expect(Reading(payload: full + [0]).differences(from: ["kind": "malformed", "reason": "trailing-bytes", "offset": 44]).isEmpty)
        #expect(!Reading(payload: [0x04]).differences(from: ["kind": "frame", "type": "PING"]).isEmpty)
    }

    // MARK: - Running peersniff

    /// `peersniff -r PCAP --json`, its datagram records by packet number.
    struct PeersniffRun {
        var status: Int32
        var stderr: String
        /// `frame` and `malformed` records by `n`, except `incomplete-fragments`
        /// (datagrams tshark does not decode at all).
        var datagrams: [Int: [String: Any]] = [:]
        var duplicateNumbers: [Int] = []
        var incompleteFragments: [[String: Any]] = []

        init(_ capture: Capture) throws {
            let result = try runPeersniff(["-r", Paths.fixture(capture.pcap), "--json"])
            status = result.status
            stderr = result.stderr
            for record in result.records {
                let kind = record["kind"] as? String
                guard kind == "frame" || kind == "malformed" else { continue }
                if record["reason"] as? String == "incomplete-fragments" { incompleteFragments.append(record); continue }
                guard let n = record["n"] as? Int else { duplicateNumbers.append(-1); continue }
                if datagrams[n] != nil { duplicateNumbers.append(n) }
                datagrams[n] = record
            }
        }
    }

    /// Mismatches of one capture, reported as one failure (a capture of a
    /// thousand FULLs should not print a thousand issues).
    struct Problems {
        var lines: [String] = []
        mutating func add(_ line: String) { lines.append(line) }
        func expectNone(_ capture: Capture, sourceLocation: SourceLocation = #_sourceLocation) {
            let shown = lines.prefix(12).joined(separator: "\n  ")
            let more = lines.count > 12 ? "\n  … and \(lines.count - 12) more" : ""
            let mismatches = lines.count
            #expect(mismatches == 0, "\(capture.pcap): \(mismatches) mismatches:\n  \(shown)\(more)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - The oracle files

    /// A row of tshark's reading.
    struct Row {
        var number: Int
        var epoch: String
        var source: String
        var destination: String
        var sourcePort: Int
        var destinationPort: Int
        var udpLength: Int
        var payloadHex: String
        var payload: [UInt8]
    }

    /// The IP fragments of one datagram (same source, destination and IP id).
    struct FragmentGroup {
        var id: String
        var numbers: [Int] = []
        /// (offset in bytes, length in bytes, more fragments) of each fragment.
        var pieces: [(offset: Int, length: Int, more: Bool)] = []

        var hasFirstFragment: Bool { pieces.contains { $0.offset == 0 } }
        /// From offset 0 to a last fragment (MF clear) without a hole.
        var isComplete: Bool {
            var end = 0
            for piece in pieces.sorted(by: { $0.offset < $1.offset }) {
                guard piece.offset <= end else { return false }
                end = max(end, piece.offset + piece.length)
                if !piece.more { return piece.offset + piece.length == end }
            }
            return false
        }
    }

    /// tshark's frames TSV and the fragment list of one capture.
    struct Oracle {
        var rows: [Row] = []
        var fragmentNumbers: Set<Int> = []
        var fragmentGroups: [FragmentGroup] = []

        static let framesHeader = "frame.number\tframe.time_epoch\tip.src\tip.dst\tudp.srcport\tudp.dstport\tudp.length\tudp.payload"
        static let fragmentsHeader = "frame.number\tframe.time_epoch\tip.src\tip.dst\tip.id\tip.frag_offset\tip.flags.mf\tip.len"

        init(_ capture: Capture) throws {
            let table = try TsharkTable(path: Paths.fixture(capture.frames))
            try #require(table.headerLine == Self.framesHeader && Self.framesHeader == TsharkTable.header, "\(capture.frames): unexpected header")
            for row in table.rows {
                let payload = try #require(row.payload, "\(capture.frames): bad hex in row \(row.number)")
                rows.append(Row(number: row.number, epoch: row.epoch, source: row.source, destination: row.destination,
                                sourcePort: row.sourcePort, destinationPort: row.destinationPort,
                                udpLength: row.udpLength, payloadHex: row.payloadHex, payload: payload))
            }

            if let fragments = capture.fragments {
                let lines = try String(contentsOfFile: Paths.fixture(fragments), encoding: .utf8)
                    .split(separator: "\n", omittingEmptySubsequences: true)
                try #require(lines.first.map(String.init) == Self.fragmentsHeader, "\(fragments): unexpected header")
                var groups: [String: FragmentGroup] = [:]
                var order: [String] = []
                for line in lines.dropFirst() {
                    let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                    try #require(f.count == 8, "\(fragments): \(line)")
                    let n = try #require(Int(f[0]))
                    let key = "\(f[2])>\(f[3])#\(f[4])"
                    if groups[key] == nil { groups[key] = FragmentGroup(id: f[4]); order.append(key) }
                    groups[key]!.numbers.append(n)
                    // ip.frag_offset is in bytes/8 as tshark prints it here; ip.len includes the 20-byte header.
                    groups[key]!.pieces.append((offset: try #require(Int(f[5])) * 8, length: try #require(Int(f[7])) - 20, more: f[6] == "1"))
                    fragmentNumbers.insert(n)
                }
                fragmentGroups = order.map { groups[$0]! }
            } else {
                // Whole captures: their README states that they hold no fragment.
                let readme = try #require(capture.readme)
                let stated = try ReadmeCounts(path: Paths.fixture(readme.path), label: readme.label)
                try #require(stated.fragmentFrames == 0, "\(capture.pcap): fragments, but no fragment list")
            }
        }
    }

    /// The counts line of a README.txt, e.g.
    /// `bridge.pcap: 65 frames, 44 discovery datagrams (after reassembly) by type {"FULL": 10, …}; ARP 20, ICMP 0;`
    /// `             IP fragment frames 0 (0 fragmented datagrams)`.
    struct ReadmeCounts {
        var datagrams: Int
        var byType: [String: Int]
        var fragmentFrames: Int

        init(path: String, label: String) throws {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            let index = try #require(lines.firstIndex { $0.hasPrefix("\(label):") }, "\(path): no line for \(label)")
            // The bridge line continues on the next, indented line.
            var text = lines[index]
            if index + 1 < lines.count, lines[index + 1].hasPrefix(" ") { text += " " + lines[index + 1] }
            datagrams = try #require(Self.number(preceding: " discovery datagrams", in: text), "\(path): \(text)")
            fragmentFrames = try #require(Self.number(following: "fragment frames ", in: text), "\(path): \(text)")
            let open = try #require(text.range(of: "by type {"))
            let close = try #require(text.range(of: "}", range: open.upperBound..<text.endIndex))
            let json = "{" + text[open.upperBound..<close.lowerBound] + "}"
            byType = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Int], "\(path): \(json)")
        }

        /// The integer just before `marker`.
        static func number(preceding marker: String, in text: String) -> Int? {
            guard let range = text.range(of: marker) else { return nil }
            let digits = text[..<range.lowerBound].reversed().prefix { $0.isNumber }
            return Int(String(digits.reversed()))
        }

        /// The integer just after `marker`.
        static func number(following marker: String, in text: String) -> Int? {
            guard let range = text.range(of: marker) else { return nil }
            return Int(String(text[range.upperBound...].prefix { $0.isNumber }))
        }
    }

    // MARK: - An independent reading of a payload

    /// What PROTOCOL.md and CONTRACT.md say a payload is.
    struct Reading {
        enum Meaning {
            case hello(name: [UInt8])
            case full(peers: [(ip: [UInt8], name: [UInt8])])
            case ping
            case pong
            case offline(ip: [UInt8])
            case legacy(NSDictionary)
            /// `offset` only where the contract pins it down.
            case malformed(reason: String, offset: Int?)
        }

        var meaning: Meaning
        let payload: [UInt8]

        init(payload p: [UInt8]) {
            payload = p
            meaning = Self.read(p)
        }

        static func read(_ p: [UInt8]) -> Meaning {
            guard let type = p.first else { return .malformed(reason: "empty", offset: 0) }
            switch type {
            case 0x01:
                guard p.count >= 2 else { return .malformed(reason: "truncated-header", offset: nil) }
                let end = 2 + Int(p[1])
                guard end <= p.count else { return .malformed(reason: "truncated-name", offset: nil) }
                guard end == p.count else { return .malformed(reason: "trailing-bytes", offset: end) }
                return .hello(name: Array(p[2..<end]))
            case 0x02:
                guard p.count >= 2 else { return .malformed(reason: "truncated-header", offset: nil) }
                var peers: [(ip: [UInt8], name: [UInt8])] = []
                var at = 2
                for _ in 0..<Int(p[1]) {
                    guard at + 5 <= p.count, at + 5 + Int(p[at + 4]) <= p.count else {
                        return .malformed(reason: "truncated-peer", offset: nil)
                    }
                    let end = at + 5 + Int(p[at + 4])
                    peers.append((ip: Array(p[at..<at + 4]), name: Array(p[at + 5..<end])))
                    at = end
                }
                guard at == p.count else { return .malformed(reason: "trailing-bytes", offset: at) }
                return .full(peers: peers)
            case 0x03, 0x04:
                guard p.count == 1 else { return .malformed(reason: "trailing-bytes", offset: 1) }
                return type == 0x03 ? .ping : .pong
            case 0x05:
                guard p.count >= 5 else { return .malformed(reason: "truncated-header", offset: nil) }
                guard p.count == 5 else { return .malformed(reason: "trailing-bytes", offset: 5) }
                return .offline(ip: Array(p[1..<5]))
            case UInt8(ascii: "{"):
                guard let object = try? JSONSerialization.jsonObject(with: Data(p)) as? NSDictionary else {
                    return .malformed(reason: "bad-json", offset: nil)
                }
                return .legacy(object)
            default:
                return .malformed(reason: "unknown-type", offset: 0)
            }
        }

        /// The contract's warnings for this frame, but `fragmented` (which
        /// the payload cannot tell).
        func warnings(sender: String) -> Set<String> {
            var out: Set<String> = []
            if payload.count > 1024 { out.insert("exceeds-receive-buffer") }
            func check(name: [UInt8]) {
                if name.count > 32 { out.insert("name-too-long") }
                switch ConformanceTests.utf8Verdict(name) {
                case .valid: break
                case .cutMidCharacter: out.insert("name-cut-mid-character")
                case .invalid: out.insert("name-not-utf8")
                }
            }
            switch meaning {
            case .hello(let name): check(name: name)
            case .full(let peers):
                peers.forEach { check(name: $0.name) }
                // The firmware lists more than 50 known devices + itself never.
                if peers.count > 51 { out.insert("too-many-peers") }
                // The firmware lists the sender first, then the others by IP ascending, each once.
                if let first = peers.first, ConformanceTests.dotted(first.ip) != sender { out.insert("full-sender-not-first") }
                let numeric = peers.map { $0.ip.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
                if numeric.count > 2, zip(numeric.dropFirst(), numeric.dropFirst(2)).contains(where: { $0 > $1 }) {
                    out.insert("full-not-sorted")
                }
                if Set(numeric).count != numeric.count { out.insert("full-duplicate-ip") }
            default: break
            }
            return out
        }

        /// Where a `peersniff --json` record says something else.
        func differences(from record: [String: Any]) -> [String] {
            var out: [String] = []
            let kind = record["kind"] as? String
            let type = record["type"] as? String
            func expectFrame(_ expectedType: String) -> Bool {
                guard kind == "frame", type == expectedType else {
                    out.append("expected \(expectedType) frame, got \(kind ?? "nil") \(type ?? record["reason"] as? String ?? "")")
                    return false
                }
                return true
            }
            switch meaning {
            case .hello(let name):
                if expectFrame("HELLO") {
                    let text = ConformanceTests.text(name)
                    if record["name"] as? String != text {
                        out.append("HELLO name \(ConformanceTests.quoted(record["name"])), expected \(ConformanceTests.quoted(text)) (bytes \(ConformanceTests.hex(name)))")
                    }
                }
            case .full(let peers):
                if expectFrame("FULL") {
                    let listed = record["peers"] as? [[String: Any]] ?? []
                    if listed.count != peers.count { out.append("FULL of \(listed.count) peers, payload has \(peers.count)") }
                    for (index, (entry, peer)) in zip(listed, peers).enumerated() {
                        let ip = ConformanceTests.dotted(peer.ip), text = ConformanceTests.text(peer.name)
                        if entry["ip"] as? String != ip { out.append("FULL peer \(index) ip \(entry["ip"] ?? "nil"), expected \(ip)") }
                        if entry["name"] as? String != text {
                            out.append("FULL peer \(index) (\(ip)) name \(ConformanceTests.quoted(entry["name"])), expected \(ConformanceTests.quoted(text)) (bytes \(ConformanceTests.hex(peer.name)))")
                        }
                    }
                }
            case .ping: _ = expectFrame("PING")
            case .pong: _ = expectFrame("PONG")
            case .offline(let ip):
                if expectFrame("OFFLINE"), record["ip"] as? String != ConformanceTests.dotted(ip) {
                    out.append("OFFLINE ip \(record["ip"] ?? "nil"), expected \(ConformanceTests.dotted(ip))")
                }
            case .legacy(let object):
                if expectFrame("LEGACY") {
                    let json = record["json"] as? NSDictionary
                    if json?.isEqual(object) != true { out.append("LEGACY json \(json.map { "\($0)" } ?? "nil"), expected \(object)") }
                }
            case .malformed(let reason, let offset):
                if kind != "malformed" || record["reason"] as? String != reason {
                    out.append("expected malformed \(reason), got \(kind ?? "nil") \(type ?? record["reason"] as? String ?? "")")
                } else if let offset, record["offset"] as? Int != offset {
                    out.append("\(reason) at offset \(record["offset"] ?? "nil"), expected \(offset)")
                }
            }
            return out
        }
    }

    // MARK: - Small independent helpers

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func dotted(_ ip: [UInt8]) -> String { ip.map(String.init).joined(separator: ".") }
    /// A name as text: invalid UTF-8 as the standard library's lossy decoding shows it.
    static func text(_ name: [UInt8]) -> String { String(decoding: name, as: UTF8.self) }
    static func quoted(_ value: Any?) -> String {
        guard let string = value as? String else { return "nil" }
        return "\"" + string.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "\""
    }

    enum UTF8Verdict { case valid, cutMidCharacter, invalid }

    /// Valid UTF-8; or valid up to a last, unfinished character that some
    /// continuation bytes would complete (what a byte cut inside a character
    /// leaves); or invalid. Judged by the standard library's validation.
    static func utf8Verdict(_ bytes: [UInt8]) -> UTF8Verdict {
        func valid(_ b: some Collection<UInt8>) -> Bool { String(validating: b, as: UTF8.self) != nil }
        if valid(bytes) { return .valid }
        for tail in 1...3 where tail <= bytes.count {
            let lead = bytes[bytes.count - tail]
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            guard length > tail, valid(bytes.dropLast(tail)) else { continue }
            // Only the byte after the lead has a narrower range than 80...BF.
            let seconds: ClosedRange<UInt8> = tail == 1 ? 0x80...0xBF : bytes[bytes.count - tail + 1]...bytes[bytes.count - tail + 1]
            let rest = [UInt8](repeating: 0x80, count: length - tail - (tail == 1 ? 1 : 0))
            if seconds.contains(where: { valid(bytes.suffix(tail) + (tail == 1 ? [$0] : []) + rest) }) { return .cutMidCharacter }
        }
        return .invalid
    }

    /// Fraction digits of a pcap's timestamps, from its magic number
    /// (a1b2c3d4: microseconds, a1b23c4d: nanoseconds; either byte order).
    static func fractionDigits(ofCaptureAt path: String) throws -> Int {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        let magic = Array(handle.readData(ofLength: 4))
        switch magic {
        case [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4]: return 6
        case [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]: return 9
        default:
            Issue.record("\(path): not a pcap file (magic \(hex(magic)))")
            return 6
        }
    }

    /// `2026-11-25T12:43:51.856080Z` as tshark's `frame.time_epoch`
    /// (`1795610631.856080000`), with integer arithmetic only; nil unless the
    /// fraction has exactly `fractionDigits` digits.
    static func epochString(rfc3339 ts: String, fractionDigits: Int) -> String? {
        let parts = ts.split(separator: "T")
        guard parts.count == 2, parts[1].hasSuffix("Z") else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        let clockAndFraction = parts[1].dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard date.count == 3, clockAndFraction.count == 2 else { return nil }
        let clock = clockAndFraction[0].split(separator: ":").compactMap { Int($0) }
        let fraction = clockAndFraction[1]
        guard clock.count == 3, fraction.count == fractionDigits, fraction.allSatisfy(\.isNumber) else { return nil }
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
        let (y, m, d) = (date[1] <= 2 ? date[0] - 1 : date[0], date[1], date[2])
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let seconds = days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
        return "\(seconds).\(fraction)" + String(repeating: "0", count: 9 - fractionDigits)
    }
}
