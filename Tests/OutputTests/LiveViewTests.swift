@testable import Analyzer
import DiscoveryCodec
import Foundation
@testable import Output
import Testing
import WireBytes
import TestSupport

/// The live picture: the incidents open now at the top, and repeats folded in the
/// list of latest events so that a storm never pushes a registry change out of sight.
@Suite("Live view")
struct LiveViewTests {
    /// Renders the picture after `steps` into a file and returns it without colour codes.
    func picture(_ steps: [SentFrame], now: Double) throws -> String {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("view.txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let harness = AnalyzerHarness()
        let view = LiveView(stream: Output.OutputStream(descriptor: fd), analyzer: harness.analyzer, style: .plain, title: "eth0")
        view.diagnosis = harness.diagnosis
        view.windowSize = (50, 200)
        let engine = harness.diagnosis
        harness.analyzer.emit = { event in
            engine.event(event)
            view.write(event)
        }
        harness.feed(steps)
        view.redraw(now: Timestamp(now))
        close(fd)
        return try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
    }

    @Test("A dead registry: the storm is the open incident, its OFFLINEs fold into one line, the registry change stays")
    func storm() throws {
        // The dead-registry story of DiagnosisRuleTests: .20, the registry, sends its last
        // frame at 17 s; .30 declares it offline at 45 s and FULLs at once; the storm follows.
        let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40"
        let full = { (sender: String, others: [String]) -> Frame in
            .full(peers: ([sender] + others).map { Peer(ip: IPv4Address($0)!, name: Name($0 == a ? "Attack from Mars" : $0 == b ? "Medieval Madness" : "Twilight Zone")) })
        }
        let steps: [SentFrame] = [
            at(0, a, .hello("Attack from Mars")), at(1, b, .hello("Medieval Madness")), at(1.5, a, full(a, [b])),
            at(2, c, .hello("Twilight Zone")), at(2.5, a, full(a, [b, c])),
            at(15, b, .ping), at(15.5, a, .pong), at(16, c, .ping), at(16.5, b, .pong), at(17, a, .ping), at(17.5, c, .pong),
            at(30, b, .ping),
            at(45, b, .offline(a)), at(45.1, b, full(b, [c])), at(46, c, .offline(a)), at(46.5, b, full(b, [c])),
            at(60, b, .offline(a)), at(60.5, b, full(b, [c])), at(61, c, .offline(a)), at(61.5, b, full(b, [c])),
        ]
        let text = try picture(steps, now: 62)
        #expect(text.contains("▲ offline-storm 17 s · OFFLINE storm about 10.37.0.20 \"Attack from Mars\": 4 so far"), "\(text)")
        let latest = text.components(separatedBy: "Latest events").last ?? ""
        #expect(latest.contains("registry-changed"), "the registry change stays in sight: \(latest)")
        let offlineLines = latest.split(separator: "\n").filter { $0.contains("node-declared-offline") }
        #expect(offlineLines.count == 1 && offlineLines.first?.contains("00:01:01.000 ×4 node-declared-offline") == true, "\(offlineLines)")
    }

    @Test("A desktop client owing a FULL: no registry answer, counted from when it became the lowest")
    func owed() throws {
        let steps = [at(0, "10.37.0.20", .hello("A")), at(1, "10.37.0.30", .hello("B")),
                     at(1.5, "10.37.0.20", .full(("10.37.0.20", "A"), ("10.37.0.30", "B"))),
                     fromPort(20, "10.37.0.5", .hello("DesktopClient")), at(30, "10.37.0.30", .ping)]
        let text = try picture(steps, now: 32)
        #expect(text.contains("▲ desktop-registry 12 s · no registry answer for 12 s: 10.37.0.5 \"DesktopClient\" owes a FULL"), "\(text)")
    }
}

extension LiveViewTests {
    @Test("A name with a quote and controls in an open incident: quoted and escaped on the picture")
    func hostileName() throws {
        let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40"
        let hostile = "Evil\" storm ended \u{07}\u{202E}"
        let full = { (sender: String, others: [String]) -> Frame in
            .full(peers: ([sender] + others).map { Peer(ip: IPv4Address($0)!, name: Name($0 == a ? hostile : $0)) })
        }
        let steps: [SentFrame] = [
            at(0, a, .hello(hostile)), at(1, b, .hello(b)), at(1.5, a, full(a, [b])), at(2, c, .hello(c)), at(2.5, a, full(a, [b, c])),
            at(17, a, .ping),
            at(45, b, .offline(a)), at(45.1, b, full(b, [c])), at(46, c, .offline(a)), at(46.5, b, full(b, [c])),
            at(60, b, .offline(a)), at(60.5, b, full(b, [c])),
        ]
        let text = try picture(steps, now: 61)
        #expect(text.contains("OFFLINE storm about 10.37.0.20 \"Evil\\\" storm ended \\x07\\u{202e}\": 3 so far"), "\(text)")
        #expect(!text.unicodeScalars.contains("\u{07}") && !text.unicodeScalars.contains("\u{202E}"))
    }
}
