@testable import Analyzer
import DiscoveryCodec
import Testing
import WireBytes
import TestSupport

// Each diagnosis fed the failure mode it names, built from the firmware's behaviour
// (PROTOCOL.md) with frames encoded by the codec, at the default thresholds (registry
// timeout T = 3 s, conflict window 5 s) and the firmware's real-time schedule (a
// board answers within its 1.5 s listen period; a liveness round every 15 s). Each
// is also fed its look-alike, where it must stay silent: a dead node vs. one that
// flaps; a desktop client vs. a board that is briefly the lowest without sending
// FULL; a merge vs. a transient conflict; the mirror-port view vs. a switched port
// where PING and PONG are not seen.

private let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40", e = "10.37.0.50", f = "10.37.0.60"
private let desk = "10.37.0.5", low = "10.37.0.10", legacyBoard = "10.37.0.45", legacyOld = "10.37.0.46"

private func names(_ ip: String) -> String {
    [a: "Attack from Mars", b: "Medieval Madness", c: "Twilight Zone", e: "Monster Bash", f: "Funhouse",
     low: "Jurassic Park", desk: "DesktopClient"][ip] ?? ip
}

/// A FULL as the firmware builds it: its sender first, then the others in ascending order.
private func full(_ sender: String, _ others: String...) -> Frame { firmwareFull(sender, others, names: names) }

/// Three boards boot; .20, the lowest, answers each HELLO with a FULL half a second later.
private let boot: [SentFrame] = [
    at(0, a, .hello(names(a))),
    at(1, b, .hello(names(b))), at(1.5, a, full(a, b)),
    at(2, c, .hello(names(c))), at(2.5, a, full(a, b, c)),
]

/// A liveness round seen on a mirror port: each board PINGs one peer, which PONGs.
private func round(_ t: Double, without dead: Set<String> = []) -> [SentFrame] {
    var steps: [SentFrame] = []
    for (i, (pinger, peer)) in [(b, a), (c, b), (a, c)].enumerated() where !dead.contains(pinger) {
        steps.append(at(t + Double(i), pinger, .ping))
        if !dead.contains(peer) { steps.append(at(t + Double(i) + 0.5, peer, .pong)) }
    }
    return steps
}

/// Drops the unicast PING and PONG: the view from a switched port.
private func switched(_ steps: [SentFrame]) -> [SentFrame] {
    steps.filter { $0.frame.type != .ping && $0.frame.type != .pong }
}

private func ips(_ d: Diagnosis?) -> [String] { d?.ips.map(\.description) ?? [] }

private func seconds(_ figure: Diagnosis.Figure?) -> Double? { figure?.seconds }
private func count(_ figure: Diagnosis.Figure?) -> Int? { figure?.count }

@Suite("Diagnosis rules: each failure mode, and its look-alike")
struct DiagnosisRuleTests {

    // MARK: A board dies

    /// .20, the registry, sends its last frame at 17 s; .30's PING of it goes
    /// unanswered; at 45 s .30 declares it offline and, now the lowest, FULLs at
    /// once; every OFFLINE after that is answered with a FULL (the storm).
    static func deadRegistry() -> [SentFrame] {
        boot + round(15) + [
            at(30, b, .ping),
            at(45, b, .offline(a)), at(45.1, b, full(b, c)),
            at(46, c, .offline(a)), at(46.5, b, full(b, c)),
            at(60, b, .offline(a)), at(60.5, b, full(b, c)),
            at(61, c, .offline(a)), at(61.5, b, full(b, c)),
        ]
    }

    @Test("A dead registry: registry-failover to its successor and the OFFLINE storm, never flapping", arguments: [false, true])
    func deadRegistryFailsOver(switchedPort: Bool) {
        let steps = switchedPort ? switched(Self.deadRegistry()) : Self.deadRegistry()
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["registry-failover", "offline-storm"], "\(run.diagnoses.map(\.text))")
        let failover = run.diagnosis(.registryFailover)
        #expect(ips(failover) == [a, b])
        // From its last frame (the PING at 17 s on a mirror port; its last FULL at 2.5 s
        // on a switched port) to .30's first FULL at 45.1 s.
        let last = switchedPort ? 2.5 : 17.0
        #expect(abs((seconds(failover?.figure("gap_s")) ?? -1) - (45.1 - last)) < 1e-6)
        #expect(failover?.since == Timestamp(last))
        #expect(failover?.until == Timestamp(45.1))
        let storm = run.diagnosis(.offlineStorm)
        #expect(ips(storm) == [a])
        #expect(count(storm?.figure("count")) == 4)
        #expect(count(storm?.figure("fulls")) == 4)
        #expect(storm?.until == nil, "the storm lasts while .20 stays dead")
        #expect(run.diagnosis(.nodeFlapping) == nil && run.diagnosis(.nodeLost) == nil)
        #expect(failover?.text.contains("fell silent at") == true)
    }

    @Test("A successor that answers late is part of the failover, not a handover gap")
    func lateSuccessor() {
        // .40 declares the dead registry first; .30 keeps it as registry until its own
        // PING of it fails a round later, so the FULL due from .30 comes late.
        let steps = boot + round(15) + [
            at(30, c, .ping),
            at(45, c, .offline(a)),
            at(60, b, .offline(a)), at(60.1, b, full(b, c)),
            at(61, c, .offline(a)), at(61.5, b, full(b, c)),
        ]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["registry-failover", "offline-storm"], "\(run.diagnoses.map(\.text))")
        let failover = run.diagnosis(.registryFailover)
        #expect(ips(failover) == [a, b])
        #expect(abs((seconds(failover?.figure("gap_s")) ?? -1) - (60.1 - 17)) < 1e-6)
    }

    @Test("A dead board that is not the registry: its storm and node-lost, no failover")
    func deadBoard() {
        let steps = boot + round(15) + [
            at(45, b, .offline(c)), at(45.5, a, full(a, b)),
            at(60, a, .offline(c)), at(60.5, a, full(a, b)),
            at(61, b, .offline(c)), at(61.5, a, full(a, b)),
        ]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["offline-storm"], "\(run.diagnoses.map(\.text))")
        #expect(ips(run.diagnosis(.offlineStorm)) == [c])
        #expect(ips(run.diagnosis(.nodeLost)) == [c])
        #expect(run.diagnosis(.nodeLost)?.severity == .note)
    }

    @Test("A node that comes back between OFFLINEs flaps; no storm, no loss")
    func flappingNode() {
        let steps = boot + round(15) + [
            at(45, b, .offline(c)), at(45.5, a, full(a, b)),
            at(50, c, .hello(names(c))), at(50.5, a, full(a, b, c)),
            at(75, b, .offline(c)), at(75.5, a, full(a, b)),
            at(80, c, .hello(names(c))), at(80.5, a, full(a, b, c)),
        ]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["node-flapping"], "\(run.diagnoses.map(\.text))")
        #expect(ips(run.diagnosis(.nodeFlapping)) == [c])
        #expect(count(run.diagnosis(.nodeFlapping)?.figure("count")) == 2)
        #expect(run.diagnosis(.nodeLost) == nil && run.diagnosis(.offlineStorm) == nil)
    }

    // MARK: The lowest address sends no FULL

    @Test("A desktop client with the lowest address: desktop-registry and its storm; the board after it is not blamed",
          arguments: [false, true])
    func desktopRegistry(switchedPort: Bool) {
        let steps = boot + round(15) + [
            fromPort(20, desk, .hello(names(desk))),
            at(30, b, .ping),
            at(45, b, .offline(desk)),
            // .20 still takes the desktop for registry until its own PING of it fails.
            at(47, a, .offline(desk)), at(47.2, a, full(a, b, c)),
            at(60, c, .offline(desk)), at(60.5, a, full(a, b, c)),
        ]
        let run = AnalyzerHarness(switchedPort ? switched(steps) : steps)
        #expect(run.problems == ["desktop-registry", "offline-storm"], "\(run.diagnoses.map(\.text))")
        let desktop = run.diagnosis(.desktopRegistry)
        #expect(ips(desktop) == [desk])
        #expect(desktop?.since == Timestamp(20))
        #expect(desktop?.until == Timestamp(47.2), "until a FULL answers again")
        #expect(ips(run.diagnosis(.offlineStorm)) == [desk])
        #expect(!run.diagnoses.contains { $0.ips.first?.description == a }, "nothing blames .20 for FULLs it sent")
    }

    @Test("A board that is briefly the lowest without FULL: a handover gap, not a desktop client")
    func lowerBoardJoins() {
        let steps = boot + round(15) + [
            at(20, low, .hello(names(low))),
            at(25, low, .hello(names(low))),
            at(30, b, .ping),
            at(30.5, low, full(low)), at(30.6, low, .pong),
            at(31, a, .hello(names(a))), at(31.5, low, full(low, a)),
        ]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["registry-handover-gap"], "\(run.diagnoses.map(\.text))")
        let gap = run.diagnosis(.registryHandoverGap)
        #expect(ips(gap) == [low])
        #expect(gap?.since == Timestamp(20) && gap?.until == Timestamp(30.5))
        #expect(abs((seconds(gap?.figure("gap_s")) ?? -1) - 10.5) < 1e-6)
    }

    @Test("A desktop client above the boards is answered: no diagnosis")
    func desktopAboveBoards() {
        let steps = boot + round(15) + [fromPort(26, e, .hello("DesktopClient")), at(27, a, full(a, b, c, e))]
        #expect(AnalyzerHarness(steps).diagnoses.isEmpty)
    }

    // MARK: Two registries

    /// Two groups (.20 with .40, .30 with .50) joined; a board's boot HELLO makes both
    /// registries FULL without each other; the boards HELLO back; .20 wins.
    static let merge: [SentFrame] = [
        at(100, f, .hello(names(f))),
        at(100.3, a, full(a, c, f)),
        at(100.4, b, full(b, e, f)),
        at(100.6, b, .hello(names(b))), at(100.7, e, .hello(names(e))), at(100.8, c, .hello(names(c))),
        at(101, a, full(a, b, c, e, f)),
    ]

    @Test("Two groups merging: split-brain until they converge, which explains the conflict and the FULL of the higher one")
    func mergingGroups() {
        let run = AnalyzerHarness(Self.merge)
        #expect(run.problems == ["split-brain"], "\(run.diagnoses.map(\.text))")
        let split = run.diagnosis(.splitBrain)
        #expect(ips(split) == [b, a], "the registry that gave way first, then the one they converged on")
        #expect(split?.since == Timestamp(100.3) && split?.until == Timestamp(101))
        #expect(run.events(.registryConflict).count == 1 && run.events(.registryUnexpected).count == 1,
                "the events are there; the diagnosis explains them")
    }

    @Test("A transient conflict between registries that list each other: two-registries, no split-brain")
    func transientConflict() {
        let steps = boot + [at(50, b, full(b, a, c)), at(50.5, a, full(a, b, c))]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["two-registries"], "\(run.diagnoses.map(\.text))")
        #expect(ips(run.diagnosis(.twoRegistries)) == [a, b])
    }

    @Test("FULLs from a node while a lower one is live, with no registry FULL near them: registry-not-lowest; alone, not two-registries")
    func registryNotLowest() {
        // .30 sends FULLs that list .20, the lowest and registry, whose last FULL is long
        // past the conflict window: no conflict, only FULLs from a node that is not the lowest.
        let steps = boot + [at(50, b, full(b, a, c)), at(70, b, full(b, a, c))]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["registry-not-lowest"], "\(run.diagnoses.map(\.text))")
        let wrong = run.diagnosis(.registryNotLowest)
        #expect(ips(wrong) == [b, a], "the sender, then the lower node")
        #expect(count(wrong?.figure("count")) == 2)
        #expect(wrong?.since == Timestamp(50) && wrong?.until == Timestamp(70))
    }

    // MARK: A registry lost unnoticed

    @Test("A registry that dies during a storm is never declared offline: registry-lost-unnoticed")
    func registryLostDuringStorm() {
        let steps = boot + round(15) + [
            at(45, b, .offline(c)), at(45.5, a, full(a, b)),
            // .20 dies after that FULL: OFFLINEs about .40 go unanswered now.
            at(60, b, .offline(c)),
            at(75, b, .offline(c)),
            at(90, b, .hello(names(b))),
        ]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["offline-storm", "registry-lost-unnoticed"], "\(run.diagnoses.map(\.text))")
        let lost = run.diagnosis(.registryLostUnnoticed)
        #expect(ips(lost) == [a])
        #expect(lost?.since == Timestamp(45.5) && lost?.until == nil)
        #expect(lost?.text.contains("OFFLINE storm about \(c)") == true, "the storm hides the second death")
        #expect(run.diagnosis(.registryFailover) == nil)
    }

    // MARK: False OFFLINEs

    @Test("An OFFLINE about a node that sent just before and answers at once is false-offline; a late return is not",
          arguments: [1.0, 14.0])
    func falseOffline(answerAfter: Double) {
        let steps = boot + round(15) + [
            at(21, b, .offline(c)), at(21.5, a, full(a, b)),
            at(21 + answerAfter, c, .hello(names(c))), at(21.4 + answerAfter, a, full(a, b, c)),
        ]
        let run = AnalyzerHarness(steps)
        if answerAfter <= 3 {
            #expect(run.problems == ["false-offline"], "\(run.diagnoses.map(\.text))")
            #expect(ips(run.diagnosis(.falseOffline)) == [b, c], "the declarer (at fault) first, then the accused")
        } else {
            #expect(run.problems.isEmpty, "\(run.diagnoses.map(\.text))")
        }
    }

    // MARK: Legacy firmware and large FULLs

    @Test("Legacy firmware: named, with the grammar of one device and of several", arguments: [1, 2])
    func legacyFirmware(devices: Int) {
        var steps = boot
        steps.append(at(5, legacyBoard, .legacy(name: "Party Zone")))
        if devices == 2 { steps.append(at(6, legacyOld, .legacy(name: "Getaway"))) }
        steps += [at(20, b, .offline(legacyBoard)), at(20.5, a, full(a, b, c)), at(35, legacyBoard, .legacy(name: "Party Zone"))]
        let run = AnalyzerHarness(steps)
        #expect(run.problems == ["legacy-firmware"], "\(run.diagnoses.map(\.text))")
        let legacy = run.diagnosis(.legacyFirmware)
        #expect(legacy?.ips.count == devices)
        let text = legacy?.text ?? ""
        #expect(text.hasPrefix(devices == 1 ? "1 device runs old JSON firmware" : "2 devices run old JSON firmware"), "\(text)")
        #expect(text.contains(devices == 1 ? "It never answers PING" : "They never answer PING"), "\(text)")
    }

    @Test("A FULL over the boards' 1024-byte receive buffer")
    func oversizeFull() {
        let many = (100..<140).map { "10.37.0.\($0)" }
        let peers = many.map { Peer(ip: IPv4Address($0)!, name: Name(String(repeating: "x", count: 32))) }
        let steps = [at(0, many[0], .hello("x")), at(1, many[1], .hello("y")), at(1.5, many[0], .full(peers: peers))]
        let run = AnalyzerHarness(steps)
        let oversize = run.diagnosis(.fullExceedsReceiveBuffer)
        #expect(ips(oversize) == [many[0]])
        #expect(count(oversize?.figure("largest_bytes")) == 2 + 40 * 37)
        #expect(oversize?.severity == .error)
    }

    @Test("A clean boot: no diagnosis")
    func cleanBoot() {
        #expect(AnalyzerHarness(boot + round(15) + round(30)).diagnoses.isEmpty)
    }

    @Test("Open incidents are told while they last")
    func openIncidents() {
        let run = AnalyzerHarness(Self.deadRegistry(), finish: false)
        let open = run.diagnosis.openIncidents(now: Timestamp(62))
        #expect(open.contains { $0.text.hasPrefix("OFFLINE storm about 10.37.0.20") && $0.text.contains("4 so far") }, "\(open)")
    }

    // MARK: Beyond the node cap

    @Test("A flood of one-off addresses beyond the node cap: counted, the boards kept, their failover still told")
    func addressFlood() {
        // The dead-registry story, with a spoofed HELLO from a new address every 10 ms
        // from 5 s on, and a cap of 32 nodes.
        var steps = Self.deadRegistry()
        var spoofed = 0
        for k in 0..<5500 {
            let t = 5 + Double(k) * 0.01
            steps.append(at(t, "10.99.\(k / 250).\(k % 250 + 1)", .hello("spoof")))
            spoofed += 1
        }
        steps.sort { $0.time < $1.time }
        let run = AnalyzerHarness(steps, maxNodes: 32)
        #expect(run.analyzer.nodes.count == 32)
        for board in [a, b, c] { #expect(run.analyzer.nodes[IPv4Address(board)!] != nil, "\(board) kept") }
        #expect(Set(run.problems) == ["address-flood", "registry-failover", "offline-storm"], "\(run.diagnoses.map(\.text))")
        #expect(ips(run.diagnosis(.registryFailover)) == [a, b])
        let flood = run.diagnosis(.addressFlood)
        let counted = count(flood?.figure("count")) ?? 0
        #expect(abs(counted - (spoofed - 29)) <= spoofed / 30, "counted \(counted) of \(spoofed) spoofed addresses")
        #expect(flood?.text.contains("beyond the node cap (32)") == true)
    }

    @Test("Below the cap nothing is evicted and no flood is told")
    func belowTheCap() {
        let run = AnalyzerHarness(Self.deadRegistry(), maxNodes: 3)
        #expect(run.analyzer.flood.isEmpty && run.diagnosis(.addressFlood) == nil)
    }
}
