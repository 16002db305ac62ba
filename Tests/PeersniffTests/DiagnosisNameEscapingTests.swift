import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// A board's name is the network's: inside a diagnosis's words a `"` must not end the
/// quote and forge the rest of a sentence, and a control or a bidi override must not
/// reach a terminal or a page. The dead-registry story (DiagnosisRuleTests) with the
/// registry named `Evil" was declared healthy by 10.37.0.99 <BEL><RLO>`, through each
/// output of the built binary.
@Suite("Names inside diagnoses, escaped by each output")
struct DiagnosisNameEscapingTests {
    static let hostile = "Evil\" was declared healthy by 10.37.0.99 \u{07}\u{202E}"
    static let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40"

    /// .20 (the hostile name) is registry, sends its last frame at 17 s; .30 declares it
    /// offline at 45 s and takes over; the OFFLINE storm about it lasts to the end.
    static func capture(in folder: URL) throws -> String {
        let t0 = 1_780_000_000.0
        func packet(_ t: Double, _ src: String, _ payload: [UInt8]) -> TestPacket {
            let time = t0 + t, seconds = time.rounded(.down)
            return TestPacket(seconds: UInt32(seconds), fraction: UInt32(((time - seconds) * 1e6).rounded()),
                              bytes: PacketBuilder.discovery(payload, src: src))
        }
        let names = [a: hostile, b: "Medieval Madness", c: "Twilight Zone"]
        func full(_ sender: String, _ others: [String]) -> [UInt8] {
            DiscoveryPayload.full(([sender] + others).map { (ip: $0, name: names[$0]!) })
        }
        let packets = [
            packet(0, a, DiscoveryPayload.hello(hostile)),
            packet(1, b, DiscoveryPayload.hello(names[b]!)), packet(1.5, a, full(a, [b])),
            packet(2, c, DiscoveryPayload.hello(names[c]!)), packet(2.5, a, full(a, [b, c])),
            packet(15, b, DiscoveryPayload.ping), packet(15.5, a, DiscoveryPayload.pong), packet(17, a, DiscoveryPayload.ping),
            packet(45, b, DiscoveryPayload.offline(a)), packet(45.1, b, full(b, [c])),
            packet(46, c, DiscoveryPayload.offline(a)), packet(46.5, b, full(b, [c])),
            packet(60, b, DiscoveryPayload.offline(a)), packet(60.5, b, full(b, [c])),
        ]
        let path = folder.appendingPathComponent("hostile.pcap").path
        try makeCapture(packets).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// What no output may carry: the raw control and override, or the quote closed
    /// before the forged words.
    static func expectSafe(_ text: String, _ output: String) {
        #expect(!text.unicodeScalars.contains("\u{07}"), "\(output): a raw BEL")
        #expect(!text.unicodeScalars.contains("\u{202E}"), "\(output): a raw bidi override")
        #expect(!text.contains("\"Evil\" was declared"), "\(output): the name's quote ends the quote: \(text)")
    }

    @Test("Text: the summary's What happened quotes the name with its quote escaped")
    func text() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runPeersniff(["-r", try Self.capture(in: folder), "-q"])
        #expect(result.status == 0, "\(result.stderr)")
        let happened = result.stdout.components(separatedBy: "Summary").first ?? ""
        #expect(happened.contains("registry-failover"), "\(happened)")
        Self.expectSafe(result.stdout, "text")
        // The prose wraps at spaces: join the lines of the story again.
        let joined = happened.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(joined.contains("10.37.0.20 \"Evil\\\" was declared healthy by 10.37.0.99 \\x07\\u{202e}\", the registry, fell silent"), "\(joined)")
    }

    @Test("JSON: the text of each diagnosis names it quoted, its quote and controls escaped inside the string")
    func json() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runPeersniff(["-r", try Self.capture(in: folder), "--json", "-q"])
        let summary = result.records.last ?? [:]
        let diagnoses = summary["diagnoses"] as? [[String: Any]] ?? []
        let failover = try #require(diagnoses.first { $0["code"] as? String == "registry-failover" })
        let text = failover["text"] as? String ?? ""
        #expect(text.hasPrefix("10.37.0.20 \"Evil\\\" was declared healthy by 10.37.0.99 \\x07\\u{202e}\", the registry"), "\(text)")
        for d in diagnoses { Self.expectSafe(d["text"] as? String ?? "", "JSON \(d["code"] ?? "")") }
    }

    @Test("HTML: the name is text in a span of its own, its quote an entity after a backslash")
    func html() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("page.html").path
        let result = try runPeersniff(["-r", try Self.capture(in: folder), "-q", "--html", page])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("10.37.0.20 &quot;<span class=\"name\">Evil\\&quot; was declared healthy by 10.37.0.99 \\x07\\u{202e}</span>&quot;, the registry"))
        Self.expectSafe(html, "HTML")
        #expect(!html.contains("&quot;Evil&quot; was declared"), "the quote closed in the page")
    }

    @Test("Metrics: the open storm's incident names the node in a label, escaped as the format requires")
    func metrics() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("m.prom").path
        let result = try runPeersniff(["-r", try Self.capture(in: folder), "-q", "--metrics", file])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        Self.expectSafe(text, "metrics")
        let exposition = try Exposition(text)
        let storm = exposition.samples.first { $0.name == "peersniff_open_incident_info" && $0.labels["code"] == "offline-storm" }
        // Read back by the format's own rules: the name as a terminal shows it.
        #expect(storm?.labels["name"] == "Evil\" was declared healthy by 10.37.0.99 \\x07\\u{202e}", "\(String(describing: storm))")
    }
}
