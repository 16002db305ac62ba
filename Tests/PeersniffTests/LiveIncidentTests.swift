import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// The live view on a real terminal (a pseudo-terminal of 80x24 and of 160x50), fed by
// captures replayed in real time through a veth pair (the test sender puts the
// fixtures' Ethernet frames on the wire as recorded), and the incident records of a
// parallel `--json -o FILE` run. Needs root and iproute2; skipped otherwise.

@Suite("Live view and incidents through a veth pair", .serialized,
       .enabled(if: LiveTestEnvironment.available, "\(LiveTestEnvironment.reason)"))
struct LiveIncidentTests {
    /// The speed-10 captures' thresholds.
    static let thresholds = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]
    static let sizes = [(rows: 24, columns: 80), (rows: 50, columns: 160)]

    /// peersniff -i on the capture side, its output on a terminal of `rows`×`columns`;
    /// returns once it draws its picture.
    func watch(_ net: TestNetwork, rows: Int, columns: Int, _ extra: [String] = [],
               sourceLocation: SourceLocation = #_sourceLocation) throws -> TerminalProgram {
        let program = try TerminalProgram(LiveTestEnvironment.ip!,
                                          ["netns", "exec", net.captureNamespace, Paths.peersniff.path, "-i", net.captureInterface]
                                              + Self.thresholds + extra, rows: rows, columns: columns)
        let drawn = program.waitForScreen(timeout: 5) { $0.first?.contains("peersniff watching \(net.captureInterface)") == true }
        if !drawn.met { program.signal(SIGKILL) }
        try #require(drawn.met, "no picture drawn: \(program.stderr) \(drawn.screen)", sourceLocation: sourceLocation)
        return program
    }

    /// Replays the first `until` seconds of a fixture's bridge capture from the sender's side.
    func replay(_ net: TestNetwork, _ fixture: String, until: Double) throws -> SpawnedProgram {
        try net.start(in: .sender, Paths.testSender.path,
                      ["--scenario", "replay", "--pcap", Paths.fixture("\(fixture)/bridge.pcap"),
                       "--interface", net.senderInterface, "--until", String(until)])
    }

    /// The incident records written so far to a JSON Lines file.
    func incidents(in path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return RunResult(status: 0, stdout: text, stderr: "").records.filter { $0["kind"] as? String == "incident" }
    }

    /// Every line of the screen within the window: nothing reached the last column, nothing scrolled.
    func expectWithinWindow(_ program: TerminalProgram, sourceLocation: SourceLocation = #_sourceLocation) {
        let counts = program.screen.counts
        #expect(counts.overflows == 0, "lines reached the last column of \(program.screen.columns)", sourceLocation: sourceLocation)
        #expect(counts.scrolls == 0, "the picture scrolled a \(program.screen.rows)-row window", sourceLocation: sourceLocation)
        #expect(counts.redraws >= 4, "redrawn in place: \(counts.redraws)", sourceLocation: sourceLocation)
    }

    /// Keeps a screen for the record (the report quotes one).
    func keep(_ lines: [String], _ name: String) {
        try? (lines.joined(separator: "\n") + "\n").write(toFile: "/tmp/peersniff-live18-\(name).txt", atomically: true, encoding: .utf8)
    }

    struct Story: CustomTestStringConvertible, Sendable {
        var fixture: String
        /// Seconds of the capture replayed (after its first discovery packet).
        var until: Double
        var code: String
        var testDescription: String { "\(fixture): \(code)" }
    }

    @Test("a story replayed in real time: its incident on the screen before the replay ends, still there once closed; the incident record written meanwhile",
          arguments: [Story(fixture: "failover", until: 11, code: "registry-failover"),
                      Story(fixture: "desktop-lowest", until: 9, code: "desktop-registry")])
    func replayedStory(story: Story) throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonPath = folder.appendingPathComponent("incidents.jsonl").path
        try withTestNetwork { net in
            let json = try net.start(in: .capture, Paths.peersniff.path,
                                     ["-i", net.captureInterface, "--json", "-o", jsonPath] + Self.thresholds)
            try net.waitUntilCapturing(json)
            let terminals = try Self.sizes.map { try watch(net, rows: $0.rows, columns: $0.columns) }
            let sender = try replay(net, story.fixture, until: story.until)
            var shown = [Bool](repeating: false, count: terminals.count)
            var recorded = false
            while sender.isRunning {
                for (k, terminal) in terminals.enumerated() where !shown[k] {
                    shown[k] = terminal.screen.lines.contains { $0.contains(story.code) }
                }
                if !recorded {
                    recorded = incidents(in: jsonPath).contains {
                        $0["state"] as? String == "open" && $0["code"] as? String == story.code
                    }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            let replayed = sender.result()
            #expect(replayed.status == 0 && replayed.stdout.hasPrefix("sent="), "the replay: \(replayed.stdout) \(replayed.stderr)")
            for (k, terminal) in terminals.enumerated() {
                let size = "\(terminal.screen.columns)x\(terminal.screen.rows)"
                #expect(shown[k], "\(story.code) on the \(size) screen before the replay ended: \(terminal.screen.lines.joined(separator: "\n"))")
                // Closed, and still there to read.
                let after = terminal.waitForScreen(timeout: 4) { $0.contains { $0.hasPrefix("✓ \(story.code) ") } }
                #expect(after.met, "\(story.code) still on the \(size) screen, as recently closed: \(after.screen.joined(separator: "\n"))")
                keep(after.screen, "\(story.fixture)-\(size)")
                expectWithinWindow(terminal)
            }
            #expect(recorded, "the incident record (open, \(story.code)) written before the replay ended: \(incidents(in: jsonPath))")
            for terminal in terminals { terminal.signal(SIGINT) }
            json.signal(SIGINT)
            for terminal in terminals { #expect(terminal.finish() == 0, "\(terminal.stderr)") }
            #expect(net.awaitExit(json, within: 3, "SIGINT").status == 0)
            let closed = incidents(in: jsonPath).filter { $0["code"] as? String == story.code }.map { $0["state"] as? String }
            #expect(closed == ["open", "closed"], "\(closed)")
        }
    }

    @Test("three liveness rounds of silence: lan-silent by the clock on the screen, the nodes quiet, in the metrics; the summary tells lan-silent and no lost registry")
    func silence() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let metricsPath = folder.appendingPathComponent("peersniff.prom").path
        try withTestNetwork { net in
            let terminal = try watch(net, rows: 24, columns: 80, ["--metrics", metricsPath, "--metrics-interval", "0.5"])
            // The failover capture's first 4.5 s: four boards converged, doing their
            // liveness rounds (PING/PONG seen on the bridge), before the registry dies.
            let sender = try replay(net, "failover", until: 4.5)
            let replayed = sender.result()
            #expect(replayed.status == 0, "\(replayed.stdout) \(replayed.stderr)")
            let silentSince = Date()
            // Two rounds (3 s at T = 0.3 s) after the last frame lan-silent opens, with no packet.
            let opened = terminal.waitForScreen(timeout: 6) { $0.contains { $0.hasPrefix("▲ lan-silent ") } }
            #expect(opened.met, "lan-silent on the screen: \(opened.screen.joined(separator: "\n"))")
            #expect(Date().timeIntervalSince(silentSince) >= 2.5, "not before two rounds")
            // Three rounds of silence.
            Thread.sleep(forTimeInterval: max(0, 4.6 - Date().timeIntervalSince(silentSince)))
            let screen = terminal.screen.lines
            keep(screen, "silence-80x24")
            #expect(screen.contains { $0.hasPrefix("▲ lan-silent ") }, "\(screen.joined(separator: "\n"))")
            for ip in ["10.37.0.20", "10.37.0.30", "10.37.0.40", "10.37.0.50"] {
                #expect(screen.first { $0.hasPrefix(ip) }?.contains("quiet for") == true, "\(ip) quiet: \(screen.joined(separator: "\n"))")
            }
            #expect(screen.first { $0.hasPrefix("Registry:") }?.hasPrefix("Registry: quiet for") == true, "\(screen.joined(separator: "\n"))")
            // The metrics file: the incident open, the silence growing.
            func since(_ text: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix("peersniff_seconds_since_last_discovery_frame") }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
            }
            let first = (try? String(contentsOfFile: metricsPath, encoding: .utf8)) ?? ""
            #expect(first.split(separator: "\n").contains { $0.hasPrefix("peersniff_open_incidents{code=\"lan-silent\"") && $0.hasSuffix(" 1") },
                    "lan-silent open in the metrics: \(first)")
            Thread.sleep(forTimeInterval: 1.1)
            let second = (try? String(contentsOfFile: metricsPath, encoding: .utf8)) ?? ""
            if let a = since(first), let b = since(second) {
                #expect(a >= 4 && b > a, "seconds since the last discovery frame grow: \(a) then \(b)")
            } else {
                Issue.record("no peersniff_seconds_since_last_discovery_frame in the metrics: \(second)")
            }
            expectWithinWindow(terminal)
            terminal.signal(SIGINT)
            #expect(terminal.finish() == 0, "\(terminal.stderr)")
            let all = terminal.plainTranscript
            let tail = String(all.suffix(4000))
            #expect(tail.contains("lan-silent"), "the summary tells lan-silent: \(tail)")
            #expect(!tail.contains("registry-lost-unnoticed"), "and no registry lost unnoticed: \(tail)")
        }
    }

    @Test("under a flood of 5,000 discovery frames a second the picture still refreshes and shows the open incident")
    func flood() throws {
        let late = "10.99.0.5"
        try withTestNetwork(senderAddresses: [late]) { net in
            let terminal = try watch(net, rows: 24, columns: 80)
            // 10.99.0.1 is alone, then 10.99.0.5 says HELLO: 10.99.0.1, the lowest, owes a FULL and never
            // sends one (the engine tells it as a desktop client elected: HELLO only, no FULL, PING or PONG).
            try net.send("hello", bind: TestNetwork.senderAddress, ["--name", "Registry Board"])
            Thread.sleep(forTimeInterval: 0.1)
            try net.send("hello", bind: late, ["--name", "Late Board"])
            let owed = terminal.waitForScreen(timeout: 3) { $0.contains { $0.hasPrefix("▲ ") && $0.contains("10.99.0.1 ") } }
            #expect(owed.met, "the owed FULL is an open incident: \(owed.screen.joined(separator: "\n"))")
            // 5,000 frames a second for 4 s, from 10.99.0.5 (HELLOs and PINGs).
            let flood = try net.start(in: .sender, Paths.testSender.path,
                                      ["--scenario", "flood", "--bind", late, "--unicast", TestNetwork.unicastPeer,
                                       "--count", "20000", "--rate", "5000"])
            var clocks: [String] = []
            var frames: [Int] = []
            var withIncident = 0, samples = 0
            Thread.sleep(forTimeInterval: 0.5)
            while flood.isRunning {
                let screen = terminal.screen.lines
                samples += 1
                if let clock = screen.first?.firstMatch(of: /(\d\d:\d\d:\d\d) UTC · (\d+) frames/) {
                    clocks.append(String(clock.1))
                    frames.append(Int(clock.2) ?? 0)
                }
                if screen.contains(where: { $0.hasPrefix("▲ ") && $0.contains("10.99.0.1 ") }) {
                    withIncident += 1
                } else {
                    Issue.record("no open incident on the screen during the flood: \(screen.joined(separator: "\n"))")
                }
                keep(screen, "flood-80x24")
                Thread.sleep(forTimeInterval: 0.4)
            }
            let flooded = flood.result()
            #expect(flooded.stdout.contains("sent="), "\(flooded.stdout) \(flooded.stderr)")
            #expect(Set(clocks).count >= 3, "the clock line changes during the flood: \(clocks)")
            #expect(frames == frames.sorted() && (frames.last ?? 0) > (frames.first ?? 0) + 5000, "the frame count grows: \(frames)")
            #expect(samples > 0 && withIncident == samples, "the open incident shown on every sample: \(withIncident) of \(samples)")
            expectWithinWindow(terminal)
            terminal.signal(SIGINT)
            #expect(terminal.finish() == 0, "\(terminal.stderr)")
        }
    }
}
