@testable import Analyzer
import DiscoveryCodec
@testable import Output
import Testing
import WireBytes
import TestSupport

/// The live picture as issue 18 wants it: open incidents first by severity with their
/// age, the recently closed ones with their span, quiet nodes with how long, the
/// registry's quiet said first, the nodes in trouble first, and the whole picture
/// within its window (columns counted as a terminal counts them).
@Suite("Live view: incidents, quiet nodes, the window")
struct LiveViewWindowTests {
    /// A window size, as a test argument.
    struct Window: CustomTestStringConvertible, Sendable {
        var rows: Int
        var columns: Int
        var testDescription: String { "\(columns)x\(rows)" }
    }
    static let windows = [Window(rows: 24, columns: 80), Window(rows: 50, columns: 160)]

    /// The view fed as peersniff feeds it (events, then the engine's incident stream
    /// after each frame), at T = `timeout`.
    final class Fed {
        let harness: AnalyzerHarness
        let view: LiveView
        init(_ steps: [SentFrame], timeout: Double = 3, until end: Double? = nil) {
            harness = AnalyzerHarness(registryTimeout: timeout, conflictWindow: timeout * 5 / 3)
            let view = LiveView(stream: Output.OutputStream(descriptor: -1), analyzer: harness.analyzer, style: .plain, title: "eth0")
            self.view = view
            view.diagnosis = harness.diagnosis
            let engine = harness.diagnosis
            harness.analyzer.emit = { event in
                engine.event(event)
                view.write(event)
            }
            for step in steps {
                harness.feed(step)
                for change in engine.pollIncidents(now: step.time) { view.write(change) }
            }
            if let end { advance(to: end) }
        }

        /// The wall clock passes with no packet, in steps of 0.1 s (as the live loop's ticks).
        func advance(to end: Double) {
            var t = (harness.diagnosis.lastTime?.asDouble ?? 0)
            while t < end {
                t = min(end, t + 0.1)
                harness.advance(to: Timestamp(t))
                for change in harness.diagnosis.pollIncidents(now: Timestamp(t)) { view.write(change) }
            }
        }

        func lines(at now: Double, _ window: Window) -> [String] {
            view.picture(now: Timestamp(now), rows: window.rows, columns: window.columns)
        }
    }

    /// Every line within the width (in columns) and no more lines than the height.
    func expectWithin(_ lines: [String], _ window: Window, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lines.count < window.rows, "\(lines.count) lines in \(window.rows) rows", sourceLocation: sourceLocation)
        for line in lines {
            #expect(displayWidth(line) < window.columns, "\(displayWidth(line)) columns: \(line)", sourceLocation: sourceLocation)
        }
    }

    static let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40", d = "10.37.0.50", desktop = "10.37.0.5"
    static let names = [a: "Attack from Mars", b: "Medieval Madness", c: "Twilight Zone", d: "Monster Bash", desktop: "DesktopClient"]
    static func full(_ sender: String, _ others: [String]) -> Frame {
        firmwareFull(sender, others) { names[$0] ?? $0 }
    }

    /// The registry .20 dies at 17 s; .30 declares it offline at 45 s and takes over
    /// (a failover, closed once told); the OFFLINE storm about .20 goes on; .50 falls
    /// quiet after 16.5 s; a desktop client with the lowest address HELLOs at 50 s
    /// and owes a FULL ever since.
    static let story: [SentFrame] = [
        at(0, a, .hello(names[a]!)), at(1, b, .hello(names[b]!)), at(1.5, a, full(a, [b])),
        at(2, c, .hello(names[c]!)), at(2.5, a, full(a, [b, c])), at(3, d, .hello(names[d]!)), at(3.5, a, full(a, [b, c, d])),
        at(15, b, .ping), at(15.5, a, .pong), at(16, d, .ping), at(16.5, c, .pong), at(17, a, .ping), at(17.5, d, .pong),
        at(30, b, .ping), at(31, c, .ping),
        at(45, b, .offline(a)), at(45.1, b, full(b, [c, d])), at(46, c, .offline(a)), at(46.5, b, full(b, [c, d])),
        fromPort(50, desktop, .hello("DesktopClient")),
        at(60, b, .offline(a)), at(60.5, b, full(b, [c, d, desktop])), at(61, c, .offline(a)), at(61.5, b, full(b, [c, d, desktop])),
    ]

    @Test("open incidents first, worst first, each with its code and age; the failover still there after it closed, with its span",
          arguments: windows)
    func incidents(window: Window) throws {
        let fed = Fed(Self.story, until: 62)
        let lines = fed.lines(at: 62, window)
        let text = lines.joined(separator: "\n")
        expectWithin(lines, window)
        // The header, then the incidents.
        #expect(lines.first?.hasPrefix("peersniff watching eth0 · 00:01:02 UTC") == true, "\(text)")
        let open = lines.filter { $0.hasPrefix("▲ ") }
        try #require(open.count >= 2, "\(text)")
        #expect(lines.firstIndex { $0.hasPrefix("▲ ") } == 1, "the incidents come first: \(text)")
        // The error (a desktop client owes a FULL, 12 s) before the older warning (the storm, 17 s).
        #expect(open[0].hasPrefix("▲ desktop-registry 12 s · no registry answer for 12 s: 10.37.0.5"), "\(open)")
        #expect(open.contains { $0.hasPrefix("▲ offline-storm 17 s · OFFLINE storm about 10.37.0.20") }, "\(open)")
        let severities = open.map { $0.contains("desktop-registry") || $0.contains("failover") ? 2 : 1 }
        #expect(severities == severities.sorted(by: >), "worst first: \(open)")
        // The failover closed at .30's FULL and is still shown, with its span.
        let closed = try #require(lines.first { $0.hasPrefix("✓ registry-failover") }, "\(text)")
        #expect(closed.hasPrefix("✓ registry-failover 00:00:17–00:00:45 (28.1 s), closed"), "\(closed)")
        // Open before closed, both before the registry.
        let registry = try #require(lines.firstIndex { $0.hasPrefix("Registry:") })
        #expect(lines.firstIndex { $0.hasPrefix("✓ ") }! < registry)
        #expect(lines.lastIndex { $0.hasPrefix("▲ ") }! < lines.firstIndex { $0.hasPrefix("✓ ") }!)
    }

    @Test("a node silent for a liveness round is quiet, with how long, among the first rows", arguments: windows)
    func quietNodes(window: Window) throws {
        let fed = Fed(Self.story, until: 62)
        let lines = fed.lines(at: 62, window)
        expectWithin(lines, window)
        let text = lines.joined(separator: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("address") }, "\(text)")
        let rows = lines[(header + 1)...].prefix { !$0.isEmpty && !$0.hasPrefix("…") }
        // .20 declared offline and .50 quiet since 17.5 s come before the healthy nodes.
        let order = rows.map { String($0.prefix(15)).trimmingCharacters(in: .whitespaces) }
        #expect(Array(order.prefix(2)) == [Self.a, Self.desktop] || Array(order.prefix(3)).contains(Self.d), "\(text)")
        let quiet = try #require(rows.first { $0.hasPrefix(Self.d) }, "\(text)")
        #expect(quiet.contains("44 s ago") && quiet.contains("quiet for 44 s"), "\(quiet)")
        #expect(order.firstIndex(of: Self.d)! < order.firstIndex(of: Self.c)!, "the quiet node before the healthy ones: \(order)")
        #expect(rows.first { $0.hasPrefix(Self.a) }?.contains("declared offline") == true)
        #expect(rows.first { $0.hasPrefix(Self.c) }?.contains("quiet") == false)
    }

    @Test("a registry quiet for a round: its row says so first", arguments: windows)
    func quietRegistry(window: Window) throws {
        // .20 is the registry and the last to send, at 17.5 s; at 40 s everyone is quiet.
        let steps = Array(Self.story.prefix(13))
        let fed = Fed(steps, until: 40)
        let lines = fed.lines(at: 40, window)
        expectWithin(lines, window)
        let registry = try #require(lines.first { $0.hasPrefix("Registry:") }, "\(lines.joined(separator: "\n"))")
        #expect(registry.hasPrefix("Registry: quiet for 23 s · 10.37.0.20 \"Attack from Mars\""), "\(registry)")
        let row = try #require(lines.first { $0.hasPrefix(Self.a) })
        #expect(row.contains("quiet for 23 s · registry"), "\(row)")
    }

    @Test("a silent LAN: lan-silent opens by the clock and shows, every node quiet", arguments: windows)
    func lanSilent(window: Window) throws {
        let fed = Fed(Array(Self.story.prefix(13)), until: 17.5 + 31)
        let lines = fed.lines(at: 48.5, window)
        expectWithin(lines, window)
        let text = lines.joined(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("▲ lan-silent 31 s · No discovery frame at all from 00:00:17") }, "\(text)")
        for ip in [Self.b, Self.c, Self.d] {
            #expect(lines.first { $0.hasPrefix(ip) }?.contains("quiet for") == true, "\(ip): \(text)")
        }
    }

    @Test("the picture fits the window: many nodes with hostile names, trouble first, the rest counted", arguments: windows)
    func hostileNamesWithinTheWindow(window: Window) throws {
        let hostile = "Evil\" 東京ピンボール王🎯\u{07}\u{1B}[31m\u{202E}"
        var steps = Self.story
        // 60 more boards with wide names, heard once at 40 s.
        for k in 0..<60 {
            steps.append(at(40 + Double(k) * 0.01, "10.37.1.\(k + 1)", .hello(k % 2 == 0 ? hostile : "板\(k)")))
        }
        steps.sort { $0.time < $1.time }
        let fed = Fed(steps, until: 62)
        let lines = fed.lines(at: 62, window)
        expectWithin(lines, window)
        let text = lines.joined(separator: "\n")
        #expect(!text.unicodeScalars.contains("\u{07}") && !text.unicodeScalars.contains("\u{202E}") && !text.unicodeScalars.contains("\u{1B}"),
                "controls, escapes and the bidi override stay escaped")
        #expect(text.contains("\"Evil\\\" 東京"), "the quote escaped, the wide characters shown: \(text)")
        if window.columns >= 160 {
            #expect(text.contains("\\x07\\e[31m\\u{202e}\""), "\(text)")
        }
        #expect(lines.contains { $0.hasPrefix("… ") && $0.contains("more nodes") }, "the rest counted: \(text)")
        // The incidents are still at the top.
        #expect(lines[1].hasPrefix("▲ desktop-registry"), "\(text)")
        #expect(lines.contains { $0.hasPrefix(Self.a) && $0.contains("declared offline") }, "trouble first: \(text)")
    }

    @Test("a line cut to the width counts wide characters and emoji as two columns and ends in an ellipsis")
    func cutting() {
        #expect(displayWidth("東京") == 4)
        #expect(displayWidth("🎯x") == 3)
        #expect(displayWidth("e\u{301}") == 1)
        #expect(displayWidth("\u{1B}[1mab\u{1B}[0m") == 2)
        #expect(cut("東京ピンボール", to: 7) == "東京ピ…")
        #expect(displayWidth(cut("東京ピンボール", to: 8)) <= 8)
        #expect(cut("abc", to: 3) == "abc")
        #expect(cut("abcd", to: 3) == "ab…")
        #expect(cut("\u{1B}[1mabcdef\u{1B}[0m", to: 4) == "\u{1B}[1mabc…\u{1B}[0m")
        #expect(fitted("東京ピンボール", 6) == "東京… ")
    }

    @Test("the first sentence of a diagnosis; a name's `. ` never ends it")
    func sentences() {
        let name = Name("Dr. Who. Yes")
        let message: DiagnosisMessage = "Registry \(node: IPv4Address("10.0.0.1")!, name) fell silent. Then more. And more."
        #expect(firstSentence(message).terminalText == "Registry 10.0.0.1 \"Dr. Who. Yes\" fell silent.")
    }
}

extension LiveViewWindowTests {
    @Test("the thresholds' mismatch as a line near the top; a withdrawn incident is not shown; the last few closed, newest first",
          arguments: windows)
    func streamRecords(window: Window) throws {
        let fed = Fed(Array(Self.story.prefix(13)))
        let message: DiagnosisMessage = "The boards' PINGs come ten times faster than --registry-timeout 3 assumes. Use --registry-timeout 0.3."
        let mismatch = Diagnosis(id: 1, code: .thresholdsMismatch, ips: [], since: Timestamp(16), until: nil, message: message)
        fed.view.write(IncidentChange(state: .open, time: Timestamp(17), diagnosis: mismatch))
        // A withdrawn incident: opened, then withdrawn; never among the closed.
        let withdrawn = Diagnosis(id: 2, code: .twoRegistries, ips: [IPv4Address(Self.b)!], since: Timestamp(16), until: nil, message: "Withdrawn.")
        fed.view.write(IncidentChange(state: .open, time: Timestamp(17), diagnosis: withdrawn))
        var gone = withdrawn
        gone.until = Timestamp(17.2)
        fed.view.write(IncidentChange(state: .closed, time: Timestamp(17.2), diagnosis: gone, withdrawn: true))
        // Seven notes opened and closed: the last five are kept.
        for k in 0..<7 {
            let d = Diagnosis(id: 10 + k, code: .nodeRestarted, ips: [IPv4Address(Self.c)!], since: Timestamp(Double(k)),
                              until: Timestamp(Double(k) + 0.5), message: "Restart \(k). More words.")
            fed.view.write(IncidentChange(state: .open, time: Timestamp(Double(k) + 0.5), diagnosis: d))
            fed.view.write(IncidentChange(state: .closed, time: Timestamp(Double(k) + 0.5), diagnosis: d))
        }
        let lines = fed.lines(at: 18, window)
        expectWithin(lines, window)
        let text = lines.joined(separator: "\n")
        #expect(lines[1].hasPrefix("⚠ thresholds-mismatch: The boards' PINGs come ten times faster"), "\(text)")
        #expect(!lines[1].contains("Use --registry"), "its first sentence only: \(lines[1])")
        #expect(!text.contains("Withdrawn") && !text.contains("two-registries"), "\(text)")
        let closed = lines.filter { $0.hasPrefix("✓ node-restarted") }
        #expect(!closed.isEmpty && closed.count <= 5, "\(text)")
        #expect(closed.first?.contains("Restart 6.") == true, "the newest first: \(closed)")
        if window.rows >= 50 {
            #expect(closed.count == 5 && closed.last?.contains("Restart 2.") == true, "\(closed)")
            #expect(closed.first?.hasPrefix("✓ node-restarted 00:00:06–00:00:06 (500 ms), closed 11 s ago · Restart 6.") == true, "\(closed)")
        }
    }
}
