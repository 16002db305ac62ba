import Analyzer
import DiscoveryCodec
import Testing
import WireBytes
import TestSupport

// lan-silent from the firmware's behaviour: every board PINGs a peer each liveness
// round (5 T), so where the observer sees the rounds (a mirror port), two rounds with
// no frame at all mean the LAN went dark (or the sensor's link did), not that each
// board died. At real time (T = 3 s) and at speed 10 (T = 0.3 s).

private let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40"

/// Three boards boot, .20 answers; then liveness rounds from `from` to `to` (seconds
/// of real time, divided by `scale`), each board PINGing the next, which PONGs.
private func lan(until end: Double, scale: Double, mirror: Bool = true) -> [SentFrame] {
    func t(_ s: Double) -> Double { s / scale }
    var steps: [SentFrame] = [
        at(t(0), a, .hello("A")), at(t(1), b, .hello("B")), at(t(1.5), a, firmwareFull(a, [b], names: { $0 })),
        at(t(2), c, .hello("C")), at(t(2.5), a, firmwareFull(a, [b, c], names: { $0 })),
    ]
    var r = 15.0
    while r <= end {
        for (i, (pinger, peer)) in [(b, a), (c, b), (a, c)].enumerated() {
            steps.append(at(t(r + Double(i)), pinger, .ping))
            steps.append(at(t(r + Double(i) + 0.5), peer, .pong))
        }
        r += 15
    }
    return mirror ? steps : steps.filter { $0.frame.type != .ping && $0.frame.type != .pong }
}

private func codes(_ run: AnalyzerHarness) -> [String] { run.diagnoses.map(\.code.rawValue) }

@Suite("lan-silent: the whole LAN goes dark")
struct LanSilentTests {
    @Test("Three rounds of silence after traffic: opens by the clock, two rounds after the last frame; frames close it",
          arguments: [1.0, 10.0])
    func silence(scale: Double) throws {
        let steps = lan(until: 45, scale: scale)
        let last = try #require(steps.last?.time)
        let run = AnalyzerHarness(steps, registryTimeout: 3 / scale, conflictWindow: 5 / scale, finish: false)
        // Just short of two rounds: nothing yet.
        run.advance(to: last.adding(nanoseconds: Int64(29.9e9 / scale)))
        #expect(!codes(run).contains("lan-silent"))
        _ = run.diagnosis.pollIncidents(now: last.adding(nanoseconds: Int64(29.9e9 / scale)))
        // Three rounds: open, by the clock alone (no packet), since the last frame.
        let now = last.adding(nanoseconds: Int64(45e9 / scale))
        run.advance(to: now)
        let opened = run.diagnosis.pollIncidents(now: now)
        let silent = try #require(run.diagnoses.first { $0.code == .lanSilent }, "\(codes(run))")
        #expect(silent.since == last && silent.until == nil)
        #expect(silent.severity == .warning)
        #expect(Set(silent.ips.map(\.description)).isSubset(of: [a, b, c]) && !silent.ips.isEmpty)
        #expect(opened.contains { $0.state == .open && $0.diagnosis.code == .lanSilent })
        // Frames come back: closed at the first of them.
        let back = now.adding(nanoseconds: Int64(1e9 / scale))
        run.feed(SentFrame(time: back, sender: b, frame: .ping))
        // The stream looks at most every listen period (T/2).
        let closed = run.diagnosis.pollIncidents(now: back.adding(nanoseconds: Int64(1.5e9 / scale)))
        #expect(run.diagnoses.first { $0.code == .lanSilent }?.until == back)
        #expect(closed.contains { $0.state == .closed && $0.diagnosis.code == .lanSilent })
    }

    @Test("The input ends during a silence with a FULL owed: the silence is told, not a registry death", arguments: [1.0, 10.0])
    func endsSilent(scale: Double) throws {
        var steps = lan(until: 45, scale: scale)
        let last = try #require(steps.last?.time)
        // A HELLO makes a FULL due from .20 just before everything goes dark.
        let hello = last.adding(nanoseconds: Int64(0.2e9 / scale))
        steps.append(SentFrame(time: hello, sender: b, frame: .hello("B")))
        let run = AnalyzerHarness(steps, registryTimeout: 3 / scale, conflictWindow: 5 / scale, finish: false)
        run.advance(to: hello.adding(nanoseconds: Int64(60e9 / scale)))
        run.finish()
        #expect(codes(run).contains("lan-silent"), "\(codes(run))")
        #expect(!codes(run).contains("registry-lost-unnoticed") && run.diagnoses.allSatisfy { $0.severity != .error },
                "\(run.diagnoses.map(\.text))")
    }

    @Test("A switched port sees no liveness rounds: a quiet steady state is not a silent LAN")
    func switchedPort() {
        let run = AnalyzerHarness(lan(until: 45, scale: 1, mirror: false), finish: false)
        run.advance(to: Timestamp(200))
        #expect(!codes(run).contains("lan-silent"), "\(codes(run))")
    }

    @Test("A gap shorter than two rounds is no silence")
    func shortGap() {
        var steps = lan(until: 45, scale: 1)
        steps += lan(until: 90, scale: 1).filter { $0.time.asDouble >= 75 }
        let run = AnalyzerHarness(steps)
        #expect(!codes(run).contains("lan-silent"), "\(codes(run))")
    }
}
