import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// Issue 20, the malformed report: the caret under the byte at fault (built payloads,
/// where that byte is known by construction), while `--json` keeps CONTRACT.md's
/// `offset` (where the element begins); and the big capture's report folded, its
/// counts adding up to what `--json` reports.
@Suite("Malformed report: the byte at fault, repeats folded")
struct MalformedCaretTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var payload: [UInt8]
        var code: String
        var isWarning: Bool
        /// CONTRACT.md's offset: where the element begins (the JSON record's, unchanged).
        var elementOffset: Int
        /// The byte at fault, known by how the payload is built.
        var fault: Int
        var testDescription: String { label }
    }

    static let katakana: [UInt8] = Array("ピ".utf8)  // e3 83 94

    static let cases: [Case] = {
        var cases: [Case] = []
        // A HELLO whose name "Pinball " ends with two of ピ's three bytes: the cut character begins at 2 + 8.
        let cutName = Array("Pinball ".utf8) + katakana.prefix(2)
        cases.append(Case(label: "name cut mid-character (HELLO)", payload: [0x01, UInt8(cutName.count)] + cutName,
                          code: "name-cut-mid-character", isWarning: true, elementOffset: 1, fault: 2 + 8))
        // A FULL whose second entry's name is cut after one byte of ピ. Entries: 2 + (5 + 5) = 12 is the
        // second entry; its length byte at 16, its name from 17, "Game " (5 bytes), then e3 at 22.
        let first = PacketBuilder.ip("10.37.0.20") + [5] + Array("Alpha".utf8)
        let second = PacketBuilder.ip("10.37.0.30") + [6] + Array("Game ".utf8) + [katakana[0]]
        cases.append(Case(label: "name cut mid-character (FULL, second entry)", payload: [0x02, 2] + first + second,
                          code: "name-cut-mid-character", isWarning: true, elementOffset: 16, fault: 22))
        // Not UTF-8: "Ab", 0xFF, "cd": the bad byte at 2 + 2.
        let bad = Array("Ab".utf8) + [0xFF] + Array("cd".utf8)
        cases.append(Case(label: "name not UTF-8", payload: [0x01, UInt8(bad.count)] + bad,
                          code: "name-not-utf8", isWarning: true, elementOffset: 1, fault: 4))
        // 40 bytes of name: the 33rd, the first past the firmware's 32, at 2 + 32.
        cases.append(Case(label: "name too long", payload: [0x01, 40] + Array(repeating: UInt8(ascii: "N"), count: 40),
                          code: "name-too-long", isWarning: true, elementOffset: 1, fault: 34))
        // JSON with a `}` where a key should be: the parser stops at that `}`, byte 18.
        let trailingComma = Array(#"{"name":"Medieval",}"#.utf8)
        cases.append(Case(label: "bad JSON: a comma before }", payload: trailingComma, code: "bad-json", isWarning: false,
                          elementOffset: 0, fault: trailingComma.count - 1))
        // JSON cut short: the parser stops at the end, just past the last byte.
        let cutJSON = Array(#"{"name":"Medieval","version":"1.2"#.utf8)
        cases.append(Case(label: "bad JSON: the text ends inside a string", payload: cutJSON, code: "bad-json", isWarning: false,
                          elementOffset: 0, fault: cutJSON.count))
        // A value no JSON value begins with (`?`), in the middle.
        let question = Array(#"{"name":?,"version":"1"}"#.utf8)
        cases.append(Case(label: "bad JSON: a value that is not one", payload: question, code: "bad-json", isWarning: false,
                          elementOffset: 0, fault: 8))
        // A FULL of 3 entries: two whole, the third announces an 8-byte name and has 3 bytes: the first
        // missing byte is the payload's length; the entry begins at 2 + 10 + 10.
        let entries = PacketBuilder.ip("10.37.0.20") + [5] + Array("Alpha".utf8) + PacketBuilder.ip("10.37.0.30") + [5] + Array("Bravo".utf8)
        let truncated = [0x02, 3] + entries + PacketBuilder.ip("10.37.0.40") + [8] + Array("Cha".utf8)
        cases.append(Case(label: "truncated peer", payload: truncated, code: "truncated-peer", isWarning: false,
                          elementOffset: 22, fault: truncated.count))
        // A FULL of 2 entries with only two bytes of the second's address: the entry begins at 12.
        let shortEntry = [0x02, 2] + PacketBuilder.ip("10.37.0.20") + [5] + Array("Alpha".utf8) + [10, 37]
        cases.append(Case(label: "truncated peer, inside the address", payload: shortEntry, code: "truncated-peer", isWarning: false,
                          elementOffset: 12, fault: shortEntry.count))
        // A HELLO announcing 20 name bytes with 4 there.
        let shortName: [UInt8] = [0x01, 20] + Array("Cut!".utf8)
        cases.append(Case(label: "truncated name", payload: shortName, code: "truncated-name", isWarning: false,
                          elementOffset: 2, fault: shortName.count))
        return cases
    }()

    @Test("The caret sits under the byte at fault; --json keeps the element's offset", arguments: cases)
    func caret(_ c: Case) throws {
        // Two packets from two sources (nothing folds), the case's first.
        let capture = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(c.payload, src: "10.37.0.20")),
            .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Clean"), src: "10.37.0.21")),
        ]))
        let run = try runPeersniff(["-r", capture, "--malformed", "--color", "never"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let report = MalformedReportTests.parseReport(run.stdout)
        #expect(report.unparsed.isEmpty, "\(report.unparsed)")
        let entries = report.entries.filter { $0.code == c.code }
        #expect(entries.count == 1, "\(c.label): \(report.entries.map(\.code))")
        guard let entry = entries.first else { return }
        #expect(entry.offset == c.elementOffset, "\(c.label): the text's offset \(String(describing: entry.offset))")
        #expect(entry.marked == (c.fault == c.elementOffset ? nil : c.fault), "\(c.label): marked \(String(describing: entry.marked))")
        let expected = ExpectedProblem(n: 1, source: "10.37.0.20", code: c.code, isWarning: c.isWarning, offset: c.elementOffset,
                                       payload: c.payload, length: c.payload.count, packets: [1])
        // The same rule the every-code fixture is held to, and the case's own number.
        #expect(MalformedReportTests.byteAtFault(code: c.code, offset: c.elementOffset, payload: c.payload) == c.fault,
                "\(c.label): the tests' rule disagrees with the case")
        MalformedReportTests.checkDump(entry, expected)

        // --json: the offset of CONTRACT.md, unchanged.
        let json = try peersniffJSON(capture, ["--malformed"])
        if c.isWarning {
            let frame = json.frameRecords.first { $0["n"] as? Int == 1 }
            #expect((frame?["warnings"] as? [String])?.contains(c.code) == true, "\(c.label): \(String(describing: frame))")
        } else {
            let record = json.malformedRecords.first { $0["n"] as? Int == 1 }
            #expect(record?["reason"] as? String == c.code)
            #expect(record?["offset"] as? Int == c.elementOffset, "\(c.label): JSON offset \(String(describing: record?["offset"]))")
        }
    }

    @Test("The big capture's report: folded under 200 lines, every report counted, ranges as --json lists them",
          .enabled(if: FileManager.default.fileExists(atPath: Paths.sharedCaptures.appendingPathComponent("big/bridge.pcap").path)))
    func bigCaptureFolded() throws {
        let path = Paths.sharedCaptures.appendingPathComponent("big/bridge.pcap").path
        let run = try runPeersniff(["-r", path, "--malformed", "--color", "never"])
        #expect(run.status == 0)
        let lineCount = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(lineCount < 200, "\(lineCount) lines")
        let report = MalformedReportTests.parseReport(run.stdout)
        #expect(report.unparsed.isEmpty, "\(report.unparsed.prefix(5))")

        // What --json says: every (source, code) and the packets that carry it, in order.
        let json = try peersniffJSON(path, ["--malformed"])
        var packets: [String: [Int]] = [:]
        for record in json.frameRecords {
            for code in record["warnings"] as? [String] ?? [] {
                packets["\(record["src"] as? String ?? "?") \(code)", default: []].append(record["n"] as? Int ?? -1)
            }
        }
        for record in json.malformedRecords {
            packets["\(record["src"] as? String ?? "?") \(record["reason"] as? String ?? "?")", default: []].append(record["n"] as? Int ?? -1)
        }
        #expect(!packets.isEmpty)
        // One in full per source and code, the rest in its fold line: count and range.
        for (key, numbers) in packets {
            let parts = key.split(separator: " ").map(String.init)
            let full = report.entries.filter { $0.source == parts[0] && $0.code == parts[1] }
            #expect(full.map(\.n) == [numbers[0]], "\(key): in full \(full.map(\.n)), first \(numbers[0])")
            let folds = report.folds.filter { $0.source == parts[0] && $0.code == parts[1] }
            if numbers.count == 1 {
                #expect(folds.isEmpty, "\(key): a fold for one report")
            } else {
                #expect(folds.count == 1 && folds.first?.count == numbers.count - 1 && folds.first?.first == numbers[1] && folds.first?.last == numbers.last!,
                        "\(key): \(folds), --json: \(numbers.count) reports, #\(numbers[1])–#\(numbers.last!)")
            }
        }
        #expect(report.entries.count == packets.count)
        // The tallies: by code as the summary counts warnings and malformed reasons.
        let summary = json.summaryRecord
        var tallies = summary?["warnings_by_code"] as? [String: Int] ?? [:]
        for (reason, count) in summary?["malformed_by_reason"] as? [String: Int] ?? [:] { tallies[reason, default: 0] += count }
        #expect(report.byCode == tallies.filter { $0.value > 0 }, "by code \(report.byCode), summary \(tallies)")
        var counted: [String: Int] = [:]
        for entry in report.entries { counted[entry.code, default: 0] += 1 }
        for fold in report.folds { counted[fold.code, default: 0] += fold.count }
        #expect(counted == report.byCode, "shown and folded \(counted), tallies \(report.byCode)")
        // The name cut mid-character: the caret under the first byte of the cut character.
        for entry in report.entries where entry.code == "name-cut-mid-character" {
            #expect(entry.marked != nil && entry.markers.count == 1, "#\(entry.n): \(String(describing: entry.marked))")
        }
    }
}
