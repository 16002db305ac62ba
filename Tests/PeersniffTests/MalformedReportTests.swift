import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `--malformed`, `--json --malformed`, `--write-malformed` and `--fail-on` against
/// `Fixtures/malformed/every-code.pcap` (every reason and warning of CONTRACT.md,
/// each from its own source; see `EveryCodeFixture`) and the firmware's own
/// names cut mid-character in the big capture. Every expectation comes from how
/// the packets were built, not from peersniff's output.
@Suite("Malformed-frame report")
struct MalformedReportTests {
    // MARK: The fixture

    @Test("The committed every-code.pcap is what the generator makes")
    func fixtureIsUpToDate() throws {
        let data = EveryCodeFixture.data
        if ProcessInfo.processInfo.environment["PEERSNIFF_WRITE_FIXTURES"] == "1" {
            let url = URL(fileURLWithPath: EveryCodeFixture.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        let committed = try Data(contentsOf: URL(fileURLWithPath: EveryCodeFixture.path))
        #expect(committed == data, "Fixtures/\(EveryCodeFixture.relativePath) differs from EveryCodeFixture; regenerate it")
        #expect(committed.count < 4096, "keep the fixture small")
    }

    @Test("The fixture holds every reason and warning of the contract, each from its own source address")
    func fixtureCoversTheContract() {
        let problems = EveryCodeFixture.problems
        #expect(Set(problems.filter { !$0.isWarning }.map(\.code)) == Set(EveryCodeFixture.contractReasons))
        #expect(Set(problems.filter(\.isWarning).map(\.code)) == Set(EveryCodeFixture.contractWarnings))
        #expect(problems.count == EveryCodeFixture.contractReasons.count + EveryCodeFixture.contractWarnings.count)
        #expect(Set(problems.map(\.source)).count == problems.count, "one source address per code")
        #expect(!problems.map(\.source).contains(EveryCodeFixture.cleanSource))
    }

    // MARK: The text report

    /// One entry of the report, as printed.
    struct ReportEntry {
        var n: Int
        var time: String
        var source: String
        var sourcePort: Int
        var destination: String
        var destinationPort: Int
        var isWarning: Bool
        var code: String
        var offset: Int?
        var sentence: String
        var payloadCount: Int
        /// The byte the caret marks when it is not the element's offset ("marked: byte N").
        var marked: Int? = nil
        /// Lines saying rows of a long dump were left out (without -v).
        var elided: [String] = []
        /// The dump's rows: their offset and the whole line.
        var rows: [(start: Int, line: String)] = []
        /// Marker lines: the row above each, and the line.
        var markers: [(rowStart: Int, line: String)] = []
    }

    struct Report {
        var entries: [ReportEntry] = []
        var headline = ""
        var byCode: [String: Int] = [:]
        var bySource: [String: (count: Int, codes: [String: Int])] = [:]
        /// "… and N more CODE from SOURCE, #first–#last": the repeats folded.
        var folds: [(count: Int, code: String, source: String, first: Int, last: Int)] = []
        var unparsed: [String] = []
    }

    static func firstMatch(_ pattern: String, _ line: String) -> [String?]? {
        guard let regex = try? Regex(pattern), let match = try? regex.wholeMatch(in: line) else { return nil }
        return (0..<match.output.count).map { match.output[$0].substring.map(String.init) }
    }

    /// Parses `--malformed --color never`. Lines it does not expect go to `unparsed`.
    static func parseReport(_ text: String) -> Report {
        var report = Report()
        var section = "entries"
        var current: ReportEntry? = nil
        func close() { if let entry = current { report.entries.append(entry) }; current = nil }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if section == "entries" {
                if let m = firstMatch(#"#(\d+)  (\S+)  (.*):(\d+) → (.*):(\d+)"#, line) {
                    close()
                    let source = String(m[3]!.split(separator: " ").first ?? "")
                    current = ReportEntry(n: Int(m[1]!)!, time: m[2]!, source: source, sourcePort: Int(m[4]!)!,
                                          destination: m[5]!, destinationPort: Int(m[6]!)!, isWarning: false, code: "",
                                          offset: nil, sentence: "", payloadCount: -1)
                    continue
                }
                if line.hasPrefix("Malformed-frame report") {
                    close()
                    report.headline = line
                    section = "headline"
                    continue
                }
                if line.isEmpty { close(); continue }
                guard current != nil else { report.unparsed.append(line); continue }
                if let m = firstMatch(#"  (warning|malformed) (\S+)(?: at offset (\d+))?: (.*)"#, line) {
                    current!.isWarning = m[1] == "warning"
                    current!.code = m[2]!
                    current!.offset = m[3].flatMap { Int($0) }
                    current!.sentence = m[4]!
                } else if let m = firstMatch(#"  payload: (\d+) bytes?(?:; marked: byte (\d+), .+)?"#, line) {
                    current!.payloadCount = Int(m[1]!)!
                    current!.marked = m[2].flatMap { Int($0) }
                } else if line.hasPrefix("  …     "), line.contains(" not shown (") {
                    current!.elided.append(line)
                } else if let m = firstMatch(#"  ([0-9a-f]{4})  (.{49}) \|(.*)\|"#, line) {
                    current!.rows.append((Int(m[1]!, radix: 16)!, line))
                } else if line.contains("^"), line.allSatisfy({ $0 == " " || $0 == "^" }), let row = current!.rows.last {
                    current!.markers.append((row.start, line))
                } else {
                    report.unparsed.append(line)
                }
            } else {
                if line.hasPrefix("Repeats folded") { section = "repeats"; continue }
                if line == "By code:" { section = "code"; continue }
                if line == "By source:" { section = "source"; continue }
                if line.isEmpty { continue }
                if section == "repeats", let m = firstMatch(#"  … and (\d+) more (\S+) from (\S+).*, #(\d+)(?:–#(\d+))?"#, line) {
                    let first = Int(m[4]!)!
                    report.folds.append((Int(m[1]!)!, m[2]!, m[3]!, first, m[5].flatMap { Int($0) } ?? first))
                } else if section == "code", let m = firstMatch(#"  (\S+) +(\d+)"#, line) {
                    report.byCode[m[1]!] = Int(m[2]!)!
                } else if section == "source",
                          let m = firstMatch(#"  (\S+).*?\s(\d+)\s+([a-z0-9-]+ \d+(?:, [a-z0-9-]+ \d+)*)"#, line) {
                    var codes: [String: Int] = [:]
                    for part in m[3]!.components(separatedBy: ", ") {
                        let pieces = part.split(separator: " ")
                        codes[String(pieces[0])] = Int(pieces[1])!
                    }
                    report.bySource[m[1]!] = (Int(m[2]!)!, codes)
                } else {
                    report.unparsed.append(line)
                }
            }
        }
        close()
        return report
    }

    /// The column of byte `i` (0-15) of a row in the dump: "  OOOO  " (8), then
    /// "xx " per byte with one more space after the eighth.
    static func hexColumn(_ i: Int) -> Int { 8 + 3 * i + (i >= 8 ? 1 : 0) }

    /// The byte at fault, from how the payload was built (not from peersniff's code):
    /// the first byte of the character a cut left incomplete (the last lead byte of the
    /// name), the first byte of a name that is not UTF-8 (where decoding first gives
    /// U+FFFD), the 33rd byte of a long name, the first missing byte of a truncated
    /// payload, where a JSON text stops being JSON; else the element's offset.
    static func byteAtFault(code: String, offset: Int?, payload: [UInt8]) -> Int? {
        guard let offset else { return nil }
        func name() -> ArraySlice<UInt8> {
            let start = offset + 1
            return payload[start..<min(payload.count, start + Int(payload[offset]))]
        }
        switch code {
        case "truncated-header", "truncated-name", "truncated-peer", "empty":
            return payload.count
        case "bad-json":
            // The fixtures' bad JSON: a value that cannot begin with `?`, a `}` where a key
            // should be, or a text that ends early (the parser stops at its end).
            if let bad = payload.firstIndex(of: UInt8(ascii: "?")) { return bad }
            if let comma = payload.indices.last(where: { payload[$0] == UInt8(ascii: ",") }), comma + 1 < payload.count,
               payload[comma + 1] == UInt8(ascii: "}") { return comma + 1 }
            return payload.count
        case "name-cut-mid-character":
            let bytes = name()
            return bytes.indices.last { bytes[$0] >= 0xC0 }
        case "name-not-utf8":
            let bytes = name()
            let decoded = String(decoding: bytes, as: UTF8.self)
            let good = decoded.unicodeScalars.prefix { $0 != "\u{FFFD}" }
            return bytes.startIndex + String(String.UnicodeScalarView(good)).utf8.count
        case "name-too-long":
            return offset + 1 + 32
        default:
            return offset
        }
    }

    /// Checks one entry's hex dump against the payload and its caret against the byte
    /// at fault. With `whole`, every row is there; else a long payload shows its first
    /// row and the marked one, and says which rows it leaves out.
    static func checkDump(_ entry: ReportEntry, _ expected: ExpectedProblem, whole: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        let payload = expected.payload
        let fault = byteAtFault(code: expected.code, offset: expected.offset, payload: payload)
        // The rows reproduce the payload, sixteen bytes a row.
        for row in entry.rows {
            #expect(row.start % 16 == 0, "\(expected): a row starts at \(row.start)", sourceLocation: sourceLocation)
            let hexPart = Array(row.line)[8..<57]
            let pairs = String(hexPart).split(separator: " ").compactMap { UInt8($0, radix: 16) }
            let bytes = Array(payload[min(payload.count, row.start)..<min(payload.count, row.start + 16)])
            #expect(pairs == bytes, "\(expected): row \(row.start) shows \(hexString(pairs)), the payload has \(hexString(bytes))", sourceLocation: sourceLocation)
            let bar = Array(row.line).firstIndex(of: "|")
            #expect(bar == 58, "\(expected): the ASCII column of row \(row.start) opens at \(String(describing: bar))", sourceLocation: sourceLocation)
        }
        let rowCount = max(1, (payload.count + 15) / 16 + (fault.map { $0 >= payload.count && payload.count % 16 == 0 && payload.count > 0 ? 1 : 0 } ?? 0))
        if whole || rowCount <= 8 {
            #expect(entry.rows.map(\.start) == (0..<rowCount).map { $0 * 16 }, "\(expected): rows \(entry.rows.map(\.start))", sourceLocation: sourceLocation)
            #expect(entry.elided.isEmpty, "\(expected): \(entry.elided)", sourceLocation: sourceLocation)
        } else {
            let wanted = Set([0] + (fault.map { [$0 / 16 * 16] } ?? []))
            #expect(entry.rows.map(\.start) == wanted.sorted(), "\(expected): rows \(entry.rows.map(\.start)) of a long dump", sourceLocation: sourceLocation)
            #expect(!entry.elided.isEmpty, "\(expected): rows left out without saying so", sourceLocation: sourceLocation)
        }
        // The text says the byte at fault where it is not the element's offset (which --json keeps).
        #expect(entry.marked == (fault == expected.offset ? nil : fault), "\(expected): marked \(String(describing: entry.marked)), at fault \(String(describing: fault))",
                sourceLocation: sourceLocation)

        guard let offset = fault else {
            #expect(entry.markers.isEmpty, "\(expected): a mark without an offset", sourceLocation: sourceLocation)
            return
        }
        #expect(entry.markers.count == 1, "\(expected): \(entry.markers.count) marker lines", sourceLocation: sourceLocation)
        guard let marker = entry.markers.first else { return }
        let rowStart = offset / 16 * 16
        let i = offset % 16
        #expect(marker.rowStart == rowStart, "\(expected): the mark is under row \(marker.rowStart), the byte at fault is in row \(rowStart)",
                sourceLocation: sourceLocation)
        guard let row = entry.rows.first(where: { $0.start == rowStart }) else {
            Issue.record("\(expected): no row \(rowStart) in the dump", sourceLocation: sourceLocation)
            return
        }
        let markChars = Array(marker.line)
        let carets = markChars.indices.filter { markChars[$0] == "^" }
        let hexAt = hexColumn(i)
        let asciiAt = Array(row.line).firstIndex(of: "|")! + 1 + i
        #expect(carets == [hexAt, hexAt + 1, asciiAt],
                "\(expected): carets at \(carets), byte \(offset) is at columns \(hexAt) and \(asciiAt)\n\(row.line)\n\(marker.line)",
                sourceLocation: sourceLocation)
        let rowChars = Array(row.line)
        if offset < payload.count {
            let byte = payload[offset]
            #expect(String(rowChars[hexAt...hexAt + 1]) == String(format: "%02x", byte),
                    "\(expected): the marked hex is not byte \(offset)", sourceLocation: sourceLocation)
            let char: Character = byte >= 0x20 && byte < 0x7F ? Character(UnicodeScalar(byte)) : "."
            #expect(rowChars[asciiAt] == char, "\(expected): the marked character is not byte \(offset)", sourceLocation: sourceLocation)
        } else {
            // A mark just past the last byte (a missing element): blank there.
            #expect(rowChars[hexAt] == " " && rowChars[hexAt + 1] == " ", "\(expected): mark past the end over a byte", sourceLocation: sourceLocation)
            #expect(rowChars[asciiAt] == "|", "\(expected): mark past the end is not just after the last character", sourceLocation: sourceLocation)
        }
    }

    /// "2026-11-25T12:00:kk.0kk000Z": the generator's stamp of packet k.
    static func stamp(_ k: Int) -> String {
        let seconds = String(format: "%02d", k)
        return "\(CaptureClock.baseText.dropLast(2))\(seconds).\(String(format: "%06d", k * 1000))Z"
    }

    @Test("--malformed names each record's packet, code and offset, marks the byte, and tallies by code and source")
    func textReport() throws {
        for verbose in [true, false] {
            try textReport(verbose: verbose)
        }
    }

    func textReport(verbose: Bool) throws {
        let run = try runPeersniff(["-r", EveryCodeFixture.path, "--malformed", "--color", "never"] + (verbose ? ["-v"] : []))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let report = Self.parseReport(run.stdout)
        #expect(report.folds.isEmpty, "one report per source: nothing to fold")
        #expect(report.unparsed.isEmpty, "lines the report should not have: \(report.unparsed)")
        let problems = EveryCodeFixture.problems

        #expect(report.entries.count == problems.count,
                "entries: \(report.entries.map { "#\($0.n) \($0.code)" })")
        for expected in problems {
            let found = report.entries.filter { $0.n == expected.n && $0.code == expected.code }
            #expect(found.count == 1, "\(expected): \(found.count) entries")
            guard let entry = found.first else { continue }
            #expect(entry.isWarning == expected.isWarning, "\(expected)")
            #expect(entry.offset == expected.offset, "\(expected): offset \(String(describing: entry.offset))")
            #expect(entry.source == expected.source, "\(expected): source \(entry.source)")
            #expect(entry.sourcePort == 45123 && entry.destinationPort == 37020, "\(expected)")
            #expect(entry.time == Self.stamp(expected.n), "\(expected): time \(entry.time)")
            #expect(entry.payloadCount == expected.payload.count, "\(expected): payload \(entry.payloadCount)")
            #expect(!entry.sentence.isEmpty, "\(expected)")
            Self.checkDump(entry, expected, whole: verbose)
        }
        if !verbose {
            // The fixture's one long payload (too-many-peers: 262 bytes, 17 rows) shows only its first row.
            #expect(report.entries.contains { !$0.elided.isEmpty }, "no dump was shortened")
        }
        #expect(!report.entries.contains { $0.n == EveryCodeFixture.cleanPacket }, "the clean HELLO is reported")

        let reasons = problems.filter { !$0.isWarning }.count
        #expect(report.headline == "Malformed-frame report: \(reasons) malformed datagrams, \(problems.count - reasons) warnings on decoded frames, in \(EveryCodeFixture.packets.count) packets")
        // Tallies: one of each code, one entry from each source.
        #expect(report.byCode == Dictionary(uniqueKeysWithValues: problems.map { ($0.code, 1) }))
        #expect(report.bySource.count == problems.count, "sources: \(report.bySource.keys.sorted())")
        for expected in problems {
            let tally = report.bySource[expected.source]
            #expect(tally?.count == 1 && tally?.codes == [expected.code: 1], "\(expected): by source \(String(describing: tally))")
        }
    }

    @Test("--json --malformed gives the same records, with hex, offset and detail")
    func jsonReport() throws {
        let problems = EveryCodeFixture.problems
        let json = try peersniffJSON(EveryCodeFixture.path, ["--malformed"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        var jsonPairs: [String] = []
        for record in json.malformedRecords {
            let n = record["n"] as? Int ?? -1
            let reason = record["reason"] as? String ?? "?"
            jsonPairs.append("\(n) \(reason)")
            guard let expected = problems.first(where: { $0.n == n && $0.code == reason }) else { continue }
            #expect(record["src"] as? String == expected.source, "\(expected)")
            #expect(record["offset"] as? Int == expected.offset, "\(expected): offset \(String(describing: record["offset"]))")
            #expect(record["length"] as? Int == expected.length, "\(expected): length \(String(describing: record["length"]))")
            #expect(record["hex"] as? String == hexString(expected.payload), "\(expected): hex \(String(describing: record["hex"]))")
            #expect((record["detail"] as? String)?.isEmpty == false, "\(expected): no detail")
            #expect(record["sport"] as? Int == 45123 && record["dport"] as? Int == 37020, "\(expected)")
        }
        for record in json.frameRecords {
            let n = record["n"] as? Int ?? -1
            let warnings = record["warnings"] as? [String] ?? []
            #expect(!warnings.isEmpty, "frame #\(n) without warnings in --malformed")
            for code in warnings { jsonPairs.append("\(n) \(code)") }
            if let expected = problems.first(where: { $0.n == n }) {
                #expect(record["src"] as? String == expected.source, "\(expected)")
                #expect(warnings == [expected.code], "\(expected): warnings \(warnings)")
            }
        }
        let expectedPairs = problems.map { "\($0.n) \($0.code)" }
        #expect(jsonPairs.sorted() == expectedPairs.sorted())

        // The text report lists the same set.
        let text = Self.parseReport(try runPeersniff(["-r", EveryCodeFixture.path, "--malformed", "--color", "never"]).stdout)
        #expect(text.entries.map { "\($0.n) \($0.code)" }.sorted() == jsonPairs.sorted())

        // The summary counts each reason and warning once.
        let summary = json.summaryRecord
        #expect(summary?["malformed_by_reason"] as? [String: Int] == Dictionary(uniqueKeysWithValues: EveryCodeFixture.contractReasons.map { ($0, 1) }))
        #expect(summary?["warnings_by_code"] as? [String: Int] == Dictionary(uniqueKeysWithValues: EveryCodeFixture.contractWarnings.map { ($0, 1) }))
    }

    @Test("--write-malformed saves exactly the packets behind the records, all fragments included")
    func writeMalformed() throws {
        let out = Paths.temporaryFolder().appendingPathComponent("malformed.pcap").path
        let run = try runPeersniff(["-r", EveryCodeFixture.path, "-q", "--write-malformed", out])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let problems = EveryCodeFixture.problems
        let numbers = Set(problems.flatMap(\.packets))
        #expect(numbers.count == EveryCodeFixture.packets.count - 1, "every packet but the clean one")

        let written = try readClassicPcap(out)
        #expect(written.linkType == 1)
        let expected = numbers.sorted().map { n -> ReadPacket in
            let p = EveryCodeFixture.packets[n - 1]
            return ReadPacket(seconds: p.seconds, fraction: p.fraction, bytes: p.bytes, originalLength: p.originalLength ?? p.bytes.count)
        }
        #expect(written.packets.count == expected.count, "\(written.packets.count) packets written, \(expected.count) behind the records")
        #expect(Set(written.packets) == Set(expected), "the written packets are not the input's")

        if toolAvailable("tshark") {
            // tshark opens it, counts the same packets and reassembles the fragmented FULL from its two fragments.
            let frames = try runProgram("/usr/bin/env", ["tshark", "-r", out, "-T", "fields", "-e", "frame.number"])
            #expect(frames.status == 0, "tshark: \(frames.stderr)")
            #expect(frames.stdout.split(separator: "\n").count == expected.count)
            let reassembled = try runProgram("/usr/bin/env", ["tshark", "-o", "ip.defragment:TRUE", "-r", out, "-Y", "udp.port==37020 && ip.src==10.99.0.20",
                                                              "-T", "fields", "-e", "udp.payload"])
            let fragmented = problems.first { $0.code == "fragmented" }!
            #expect(reassembled.stdout.split(separator: "\n").map(String.init) == [hexString(fragmented.payload)], "tshark: \(reassembled.stdout) \(reassembled.stderr)")
        }

        // Read back, the file gives the same codes from the same sources.
        let again = try peersniffJSON(out, ["--malformed"])
        var pairs: [String] = again.malformedRecords.map { "\($0["src"] as? String ?? "?") \($0["reason"] as? String ?? "?")" }
        for record in again.frameRecords {
            for code in record["warnings"] as? [String] ?? [] { pairs.append("\(record["src"] as? String ?? "?") \(code)") }
        }
        #expect(pairs.sorted() == problems.map { "\($0.source) \($0.code)" }.sorted())
    }

    // MARK: --fail-on

    struct FailCase: Sendable, CustomTestStringConvertible {
        var capture: String
        var what: String
        var status: Int32
        var why: String
        var testDescription: String { "\(capture) --fail-on \(what) → \(status) (\(why))" }
    }

    static let failCases: [FailCase] = [
        FailCase(capture: EveryCodeFixture.relativePath, what: "malformed", status: 3, why: "11 malformed datagrams"),
        FailCase(capture: EveryCodeFixture.relativePath, what: "anomaly", status: 3, why: "a malformed-frames diagnosis"),
        // boot3: no malformed datagram and nothing wrong (its README: three boards and a desktop
        // client with a high address boot and converge): no diagnosis above note.
        FailCase(capture: "boot3/bridge.pcap", what: "malformed", status: 0, why: "nothing malformed"),
        FailCase(capture: "boot3/bridge.pcap", what: "anomaly", status: 0, why: "no diagnosis above note"),
        // rejoin: no malformed datagram, but a frozen board's storm and its false OFFLINEs: warnings.
        FailCase(capture: "rejoin/bridge.pcap", what: "malformed", status: 0, why: "nothing malformed"),
        FailCase(capture: "rejoin/bridge.pcap", what: "anomaly", status: 3, why: "offline-storm and false-offline"),
        // big's first seconds: the firmware's names cut mid-character are frame warnings, not
        // malformed datagrams, and no FULL is over 1024 bytes yet: no diagnosis.
        FailCase(capture: "big/bridge-start.pcap", what: "malformed", status: 0, why: "warnings only"),
        FailCase(capture: "big/bridge-start.pcap", what: "anomaly", status: 0, why: "frame warnings are not diagnoses"),
    ]

    @Test("--fail-on exits 3 when such records exist, 0 otherwise", arguments: failCases)
    func failOn(_ c: FailCase) throws {
        let path = Paths.fixture(c.capture)
        for extra in [["-q"], ["--json", "-q"], ["--malformed"]] {
            let run = try runPeersniff(["-r", path, "--fail-on", c.what, "--color", "never"] + extra)
            #expect(run.status == c.status, "\(extra): status \(run.status); stderr: \(run.stderr)")
            #expect(run.stderr.isEmpty, "\(extra): stderr: \(run.stderr)")
        }
        // Without --fail-on the same run is a success.
        #expect(try runPeersniff(["-r", path, "-q"]).status == 0)
    }

    @Test("The anomaly events are what the fail-on cases say they are")
    func failCaseFacts() throws {
        func facts(_ capture: String) throws -> (malformed: Int, warnings: Int, anomalies: Int) {
            let summary = try peersniffJSON(Paths.fixture(capture), ["-q"]).summaryRecord
            let events = summary?["events_by_kind"] as? [String: Int] ?? [:]
            let anomalies = ["registry-conflict", "registry-unexpected", "registry-silent"].map { events[$0] ?? 0 }.reduce(0, +)
            let warnings = (summary?["warnings_by_code"] as? [String: Int] ?? [:]).values.reduce(0, +)
            return (summary?["malformed"] as? Int ?? -1, warnings, anomalies)
        }
        let boot3 = try facts("boot3/bridge.pcap")
        #expect(boot3.malformed == 0 && boot3.warnings == 0 && boot3.anomalies == 0, "boot3: \(boot3)")
        let rejoin = try facts("rejoin/bridge.pcap")
        #expect(rejoin.malformed == 0 && rejoin.warnings == 0 && rejoin.anomalies > 0, "rejoin: \(rejoin)")
    }

    @Test("--fail-on on small made captures: a diagnosis is an anomaly, a frame warning alone is not")
    func failOnMadeCaptures() throws {
        let clean = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.20")),
        ]))
        let warned = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello(String(repeating: "N", count: 40)), src: "10.37.0.20")),
        ]))
        #expect(try runPeersniff(["-r", clean, "-q", "--fail-on", "malformed", "--fail-on", "anomaly"]).status == 0)
        #expect(try runPeersniff(["-r", warned, "-q", "--fail-on", "malformed"]).status == 0)
        #expect(try runPeersniff(["-r", warned, "-q", "--fail-on", "anomaly"]).status == 0)
        // Three OFFLINEs about a silent node: an offline-storm, a warning.
        let storm = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.20")),
            .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Funhouse"), src: "10.37.0.30")),
            .at(20, 0, PacketBuilder.discovery(DiscoveryPayload.offline("10.37.0.20"), src: "10.37.0.30")),
            .at(35, 0, PacketBuilder.discovery(DiscoveryPayload.offline("10.37.0.20"), src: "10.37.0.30")),
            .at(50, 0, PacketBuilder.discovery(DiscoveryPayload.offline("10.37.0.20"), src: "10.37.0.30")),
        ]))
        #expect(try runPeersniff(["-r", storm, "-q", "--fail-on", "anomaly"]).status == 3)
        #expect(try runPeersniff(["-r", storm, "-q", "--fail-on", "malformed"]).status == 0)
    }

    // MARK: The firmware's own cut names

    @Test("The big capture's names cut mid-character by the firmware are warnings with their bytes shown")
    func firmwareCutNames() throws {
        // tshark's reading of the slice: 10.37.0.105's HELLOs, whose 32-byte name ends in e3 83.
        let table = try TsharkTable(path: Paths.fixture("big/bridge-start.frames.tsv"))
        let hellos: [(n: Int, payload: [UInt8])] = table.rows.compactMap { row in
            let f = [String(row.number), row.epoch, row.source, row.destination, String(row.sourcePort), String(row.destinationPort), String(row.udpLength), row.payloadHex]
            guard f[2] == "10.37.0.105", f[7].hasPrefix("0120"), f[7].hasSuffix("e383") else { return nil }
            var bytes: [UInt8] = []
            var i = f[7].startIndex
            while i < f[7].endIndex {
                let j = f[7].index(i, offsetBy: 2)
                bytes.append(UInt8(f[7][i..<j], radix: 16)!)
                i = j
            }
            return (Int(f[0])!, bytes)
        }
        #expect(!hellos.isEmpty, "no cut HELLO of 10.37.0.105 in tshark's reading")

        #expect(hellos.count >= 3, "too few cut HELLOs of 10.37.0.105 to fold: \(hellos.count)")

        let path = Paths.fixture("big/bridge-start.pcap")
        let all = Self.parseReport(try runPeersniff(["-r", path, "--malformed", "--color", "never", "-v"]).stdout)
        let folded = Self.parseReport(try runPeersniff(["-r", path, "--malformed", "--color", "never"]).stdout)
        #expect(all.unparsed.isEmpty && folded.unparsed.isEmpty, "\(all.unparsed.prefix(3)) \(folded.unparsed.prefix(3))")
        #expect(all.entries.allSatisfy { $0.code == "name-cut-mid-character" && $0.isWarning }, "only cut names in this slice")
        #expect(all.folds.isEmpty, "-v folds nothing")
        // Folded: 10.37.0.105's first cut HELLO in full, the others one line with their count and range.
        let first = folded.entries.filter { $0.source == "10.37.0.105" }
        #expect(first.map(\.n) == [hellos[0].n], "in full: \(first.map(\.n)), tshark's first: \(hellos[0].n)")
        let fold = folded.folds.filter { $0.source == "10.37.0.105" }
        #expect(fold.count == 1 && fold.first?.code == "name-cut-mid-character", "\(fold)")
        #expect(fold.first?.count == hellos.count - 1 && fold.first?.first == hellos[1].n && fold.first?.last == hellos.last!.n,
                "\(fold), tshark: \(hellos.count) cut HELLOs, #\(hellos[1].n)–#\(hellos.last!.n)")
        // In both, the counts add up to the tallies.
        for report in [all, folded] {
            let shown = report.entries.count + report.folds.map(\.count).reduce(0, +)
            #expect(shown == report.byCode.values.reduce(0, +), "\(shown) reports, tallies \(report.byCode)")
        }
        let json = try peersniffJSON(path, ["--malformed"])
        #expect(json.malformedRecords.isEmpty, "a cut name is not a malformed frame")
        for hello in hellos {
            let expected = ExpectedProblem(n: hello.n, source: "10.37.0.105", code: "name-cut-mid-character", isWarning: true,
                                           offset: 1, payload: hello.payload, length: hello.payload.count, packets: [hello.n])
            let found = all.entries.filter { $0.n == hello.n }
            #expect(found.count == 1, "#\(hello.n): \(found.count) entries")
            if let entry = found.first {
                #expect(entry.code == "name-cut-mid-character" && entry.offset == 1 && entry.source == "10.37.0.105", "#\(hello.n)")
                #expect(entry.payloadCount == 34, "#\(hello.n)")
                #expect(entry.rows.last?.line.hasPrefix("  0020  e3 83 ") == true, "#\(hello.n): \(entry.rows.last?.line ?? "")")
                // The caret under e3, byte 32: where the katakana character the firmware cut begins.
                #expect(entry.marked == 32, "#\(hello.n): marked \(String(describing: entry.marked))")
                Self.checkDump(entry, expected)
            }
            let frame = json.frameRecords.first { $0["n"] as? Int == hello.n }
            #expect(frame?["warnings"] as? [String] == ["name-cut-mid-character"], "#\(hello.n)")
            let name = frame?["name"] as? String
            #expect(name?.hasSuffix("\u{FFFD}") == true && name?.unicodeScalars.filter({ $0 == "\u{FFFD}" }).count == 1,
                    "#\(hello.n): one U+FFFD for the cut character: \(name ?? "nil")")
            #expect(name.map { String($0.dropLast()) } == String(decoding: hello.payload[2..<32], as: UTF8.self), "#\(hello.n)")
        }
    }
}
