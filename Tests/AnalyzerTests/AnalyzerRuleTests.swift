import Testing
@testable import Analyzer
import DiscoveryCodec
import WireBytes
import TestSupport

// Every rule of CONTRACT.md's `event` table, its live set L and its "due" rule,
// one suite per event kind. Expectations are written from the contract's sentences
// (quoted above each test), never from the analyzer's output. Thresholds are the
// contract's defaults unless a test says otherwise: registry timeout 3 s,
// conflict window 5 s.

private let a = "10.0.0.1"
private let b = "10.0.0.2"
private let c = "10.0.0.3"
private let d = "10.0.0.4"

// MARK: - The live set L

@Suite("Live set L")
struct LiveSetRules {
    /// "Any decoded frame (all types, LEGACY included) puts its sender in L."
    @Test(arguments: [
        Frame.hello("a"), .full((a, "a")), .ping, .pong, .offline("10.9.9.9"), .legacy(name: "a"),
        .legacy(.object([(key: "version", value: .string("1.0"))])),
    ])
    func everyFrameTypePutsItsSenderInL(frame: Frame) {
        let run = AnalyzerHarness([at(0, b, .hello("b")), at(1, a, frame)])
        #expect(run.isLive(a))
        #expect(run.lowest == a)
        // Seen from the other side: a FULL from b now has a lower address in L than its sender.
        run.feed(at(2, b, .full((b, "b"))))
        #expect(run.events(.registryUnexpected) == [.registryUnexpected(ip: b, expected: a)])
    }

    /// "… or is listed in a FULL": a listing alone enters L.
    @Test func aListingEntersL() {
        let run = AnalyzerHarness([at(0, b, .full((b, "b"), (c, "c")))])
        #expect(run.isLive(c))
        #expect(run.analyzer.liveCount == 2)
    }

    /// "a PING's destination is not evidence of life": a PING (whoever it is for)
    /// brings back only its sender, never a node declared offline.
    @Test func aPingIsEvidenceOnlyOfItsSender() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(2, b, .offline(a)),
            at(3, b, .ping),  // a PING b sends, perhaps to a: b alone is heard from
        ])
        #expect(!run.isLive(a))
        #expect(run.events(.nodeReturned).isEmpty)
        #expect(run.lowest == b)
    }

    /// "Note that 'lowest' is numeric: 10.0.0.9 < 10.0.0.10" (PROTOCOL.md): the
    /// lowest of L, and so the expected registry, is decided by number, not text.
    @Test(arguments: [
        ("10.0.0.9", "10.0.0.10"),
        ("10.0.0.99", "10.0.0.100"),
        ("10.0.0.255", "10.0.1.0"),
        ("10.2.0.0", "10.10.0.0"),
        ("9.255.255.255", "10.0.0.0"),
        ("192.168.1.20", "192.168.1.100"),
    ])
    func lowestIsNumeric(lower: String, higher: String) {
        let higherFirst = AnalyzerHarness([at(0, higher, .full((higher, "h"), (lower, "l")))])
        #expect(higherFirst.lowest == lower)
        #expect(higherFirst.events(.registryUnexpected) == [.registryUnexpected(ip: higher, expected: lower)])

        let lowerFirst = AnalyzerHarness([at(0, lower, .full((lower, "l"), (higher, "h")))])
        #expect(lowerFirst.lowest == lower)
        #expect(lowerFirst.events(.registryUnexpected).isEmpty)
    }
}

// MARK: - node-seen

@Suite("node-seen")
struct NodeSeenRules {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var frame: Frame
        var expected: [TimelineEvent]
        var testDescription: String { label }
    }

    /// "first frame from, or first listing of, an IP | ip, name (if known), via (frame type)"
    @Test(arguments: [
        Case(label: "HELLO", frame: .hello("Attack from Mars"),
             expected: [.nodeSeen(ip: b, name: "Attack from Mars", via: .hello)]),
        Case(label: "PING", frame: .ping, expected: [.nodeSeen(ip: b, name: nil, via: .ping)]),
        Case(label: "PONG", frame: .pong, expected: [.nodeSeen(ip: b, name: nil, via: .pong)]),
        // An OFFLINE about an address is neither a frame from it nor a listing of it.
        Case(label: "OFFLINE", frame: .offline(c), expected: [.nodeSeen(ip: b, name: nil, via: .offline)]),
        Case(label: "LEGACY with name", frame: .legacy(name: "Old Board"),
             expected: [.nodeSeen(ip: b, name: "Old Board", via: .legacy)]),
        Case(label: "LEGACY without name", frame: .legacy(.object([(key: "version", value: .string("0.9"))])),
             expected: [.nodeSeen(ip: b, name: nil, via: .legacy)]),
        Case(label: "FULL: its sender and every listing", frame: .full((b, "Medieval Madness"), (c, "Twilight Zone")),
             expected: [.nodeSeen(ip: b, name: "Medieval Madness", via: .full),
                        .nodeSeen(ip: c, name: "Twilight Zone", via: .full)]),
        Case(label: "FULL not listing its sender: the sender's name is not known",
             frame: .full((c, "Twilight Zone")),
             expected: [.nodeSeen(ip: b, name: nil, via: .full), .nodeSeen(ip: c, name: "Twilight Zone", via: .full)]),
    ])
    func firstFrameOrListing(_ row: Case) {
        let run = AnalyzerHarness([at(1, b, row.frame)])
        #expect(Set(run.events(.nodeSeen)) == Set(row.expected))
        #expect(run.events(.nodeSeen).count == row.expected.count)
    }

    /// Only the first frame or listing: later frames and listings of a known IP add nothing.
    @Test func onlyOnce() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, a, .ping), at(2, a, .hello("a")),
            at(3, b, .full((b, "b"), (a, "a"))),  // a listed after it was heard from
            at(4, c, .full((c, "c"), (b, "b"))),  // b listed after it was heard from
            at(5, b, .pong),
        ])
        #expect(run.events(.nodeSeen) == [
            .nodeSeen(ip: a, name: "a", via: .hello),
            .nodeSeen(ip: b, name: "b", via: .full),
            .nodeSeen(ip: c, name: "c", via: .full),
        ])
    }

    /// A node first listed, then heard from, was seen at its listing.
    @Test func listedThenHeard() {
        let run = AnalyzerHarness([at(0, a, .full((a, "a"), (b, "b"))), at(1, b, .hello("b"))])
        let seen = run.stamped(.nodeSeen).filter { $0.event == .nodeSeen(ip: b, name: "b", via: .full) }
        #expect(seen.count == 1)
        #expect(seen.first?.packet == 1)
        #expect(run.events(.nodeSeen).count == 2)
    }

    /// "Every event has ts and n of the packet that caused it."
    @Test func stampedWithTheCausingPacket() {
        let run = AnalyzerHarness()
        run.feed(at(1.25, a, .ping))
        run.feed(at(2.5, b, .hello("b")))
        #expect(run.stamped(.nodeSeen).map(\.packet) == [1, 2])
        #expect(run.stamped(.nodeSeen).map(\.time) == [Timestamp(1.25), Timestamp(2.5)])
    }
}

// MARK: - node-renamed

@Suite("node-renamed")
struct NodeRenamedRules {
    typealias Case = RuleCase

    /// "an IP's name (from its HELLO, its LEGACY name, or its FULL entry) differs from
    /// the last one known | ip, from, to"; the first name known is no rename.
    @Test(arguments: [
        Case(label: "HELLO then another HELLO name",
             steps: [at(0, a, .hello("Old")), at(1, a, .hello("New"))],
             expected: [.nodeRenamed(ip: a, from: "Old", to: "New")]),
        Case(label: "the same HELLO twice", steps: [at(0, a, .hello("Same")), at(1, a, .hello("Same"))], expected: []),
        Case(label: "first name, after a nameless PING, is no rename",
             steps: [at(0, a, .ping), at(1, a, .hello("First"))], expected: []),
        Case(label: "LEGACY name changes",
             steps: [at(0, a, .legacy(name: "v1")), at(1, a, .legacy(name: "v2"))],
             expected: [.nodeRenamed(ip: a, from: "v1", to: "v2")]),
        Case(label: "HELLO then LEGACY name",
             steps: [at(0, a, .hello("Board")), at(1, a, .legacy(name: "Legacy Board"))],
             expected: [.nodeRenamed(ip: a, from: "Board", to: "Legacy Board")]),
        Case(label: "FULL entry differs from the HELLO",
             // b is heard before its FULL: a one-off sender's FULL renames no node that named itself.
             steps: [at(0, a, .hello("Mine")), at(0.5, b, .hello("b")), at(1, b, .full((b, "b"), (a, "Theirs")))],
             expected: [.nodeRenamed(ip: a, from: "Mine", to: "Theirs")]),
        Case(label: "HELLO differs from the FULL entry",
             steps: [at(0, b, .full((b, "b"), (a, "Listed"))), at(1, a, .hello("Own"))],
             expected: [.nodeRenamed(ip: a, from: "Listed", to: "Own")]),
        Case(label: "the sender's own FULL entry differs from its HELLO",
             steps: [at(0, a, .hello("Hello name")), at(1, a, .full((a, "Full name")))],
             expected: [.nodeRenamed(ip: a, from: "Hello name", to: "Full name")]),
        Case(label: "first listing gives the first name",
             steps: [at(0, b, .full((b, "b"), (a, "x"))), at(1, b, .full((b, "b"), (a, "x")))], expected: []),
        Case(label: "back and forth: each change from the last name known",
             steps: [at(0, a, .hello("x")), at(1, a, .hello("y")), at(2, a, .hello("x"))],
             expected: [.nodeRenamed(ip: a, from: "x", to: "y"), .nodeRenamed(ip: a, from: "y", to: "x")]),
    ])
    func renamed(_ row: Case) {
        let run = AnalyzerHarness(row.steps)
        #expect(run.events(.nodeRenamed) == row.expected)
    }
}

// MARK: - node-declared-offline and node-returned

@Suite("node-declared-offline, node-returned")
struct OfflineAndReturnRules {
    /// "an OFFLINE about ip | ip, by (sender)"; and L is "minus those declared offline".
    @Test func declaredOfflineLeavesL() {
        let run = AnalyzerHarness([at(0, a, .hello("a")), at(1, b, .hello("b")), at(2, b, .offline(a))])
        #expect(run.events(.nodeDeclaredOffline) == [.nodeDeclaredOffline(ip: a, by: b)])
        #expect(run.stamped(.nodeDeclaredOffline).map(\.packet) == [3])
        #expect(!run.isLive(a))
        #expect(run.lowest == b)
        // With a out of L, b's FULL is no longer unexpected.
        run.feed(at(3, b, .full((b, "b"))))
        #expect(run.events(.registryUnexpected).isEmpty)
    }

    /// "an OFFLINE about ip": every one, each naming its sender (several boards may
    /// declare the same peer offline).
    @Test func everyOfflineIsReported() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(0.5, b, .hello("b")), at(1, c, .hello("c")),
            at(2, b, .offline(a)), at(2.1, c, .offline(a)),
        ])
        #expect(run.events(.nodeDeclaredOffline) == [
            .nodeDeclaredOffline(ip: a, by: b), .nodeDeclaredOffline(ip: a, by: c),
        ])
        #expect(!run.isLive(a))
    }

    /// "an OFFLINE about ip": even about an address never heard of.
    @Test func offlineAboutAnUnknownAddress() {
        let run = AnalyzerHarness([at(0, b, .offline(c))])
        #expect(run.events(.nodeDeclaredOffline) == [.nodeDeclaredOffline(ip: c, by: b)])
        #expect(!run.isLive(c))
    }

    /// "a node declared offline sends a frame again | ip": whatever the frame type.
    @Test(arguments: [Frame.hello("a"), .full((a, "a"), (b, "b")), .ping, .pong, .offline(d), .legacy(name: "a")])
    func returnsBySendingAnyFrame(frame: Frame) {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")), at(2, b, .offline(a)), at(3, a, frame),
        ])
        #expect(run.events(.nodeReturned) == [.nodeReturned(ip: a)])
        #expect(run.stamped(.nodeReturned).map(\.packet) == [4])
        #expect(run.isLive(a))
        #expect(run.lowest == a)
    }

    /// "a node declared offline re-enters L only when it sends a frame itself, since a
    /// FULL may still list a dead node": a listing neither returns it nor puts it in L.
    @Test func aDeadNodeStillListedStaysOut() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")), at(2, b, .offline(a)),
            at(3, c, .full((c, "c"), (a, "a"), (b, "b"))),
        ])
        #expect(run.events(.nodeReturned).isEmpty)
        #expect(!run.isLive(a))
        #expect(run.lowest == b)
        // a is not the lowest of L, so c's FULL is measured against b.
        #expect(run.events(.registryUnexpected) == [.registryUnexpected(ip: c, expected: b)])
        // Heard from again, it is back.
        run.feed(at(4, a, .pong))
        #expect(run.events(.nodeReturned) == [.nodeReturned(ip: a)])
        #expect(run.isLive(a))
    }

    /// A node first met as the subject of an OFFLINE is not in L; its first frame puts
    /// it there and is its first frame ("node-seen"). Whether that also counts as
    /// "returned" the contract leaves open, so it is not asserted here.
    @Test func firstMetInAnOfflineThenHeard() {
        let run = AnalyzerHarness([at(0, b, .hello("b")), at(1, b, .offline(a)), at(2, a, .hello("a"))])
        #expect(run.events(.nodeSeen).filter { if case .nodeSeen(a, _, _) = $0 { true } else { false } }
            == [.nodeSeen(ip: a, name: "a", via: .hello)])
        #expect(run.isLive(a))
    }

    /// A node never declared offline does not "return".
    @Test func noReturnWithoutDeclaration() {
        let run = AnalyzerHarness([at(0, a, .hello("a")), at(10, a, .hello("a")), at(100, a, .ping)])
        #expect(run.events(.nodeReturned).isEmpty)
    }
}

// MARK: - registry-elected and registry-changed

@Suite("registry-elected, registry-changed")
struct RegistryRules {
    /// "the first FULL of the input | ip", once; "the current registry (the sender of
    /// the latest FULL)"; "a FULL from a different sender than the previous FULL | from, to".
    @Test func electedOnceThenChanged() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(2, a, .full((a, "a"), (b, "b"))),
            at(3, a, .full((a, "a"), (b, "b"))),
            at(20, b, .full((b, "b"), (a, "a"))),
            at(21, b, .full((b, "b"), (a, "a"))),
            at(40, a, .full((a, "a"), (b, "b"))),
        ])
        #expect(run.events(.registryElected) == [.registryElected(ip: a)])
        #expect(run.stamped(.registryElected).map(\.packet) == [3])
        #expect(run.events(.registryChanged) == [
            .registryChanged(from: a, to: b), .registryChanged(from: b, to: a),
        ])
        #expect(run.stamped(.registryChanged).map(\.packet) == [5, 7])
        #expect(run.analyzer.registry?.description == a)
    }

    /// No FULL, no registry.
    @Test func noFullNoElection() {
        let run = AnalyzerHarness([at(0, a, .hello("a")), at(1, b, .hello("b")), at(2, a, .ping)])
        #expect(run.events(.registryElected).isEmpty)
        #expect(run.analyzer.registry == nil)
    }
}

// MARK: - registry-conflict

@Suite("registry-conflict")
struct ConflictRules {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var window: Double = 5
        var steps: [SentFrame]
        var expected: [TimelineEvent]
        var testDescription: String { label }
    }

    /// "a FULL from X while Y, not declared offline since, sent a FULL less than the
    /// conflict window ago; once per episode: not again for the same pair until a
    /// conflict window passes without such a FULL | ips (both)"
    @Test(arguments: [
        Case(label: "less than the window", steps: [at(0, b, .full((b, "b"))), at(4.9, a, .full((a, "a")))],
             expected: [.registryConflict(ips: [a, b])]),
        Case(label: "same timestamp", steps: [at(1, b, .full((b, "b"))), at(1, a, .full((a, "a")))],
             expected: [.registryConflict(ips: [a, b])]),
        Case(label: "exactly the window is not less", steps: [at(0, b, .full((b, "b"))), at(5, a, .full((a, "a")))],
             expected: []),
        Case(label: "beyond the window", steps: [at(0, b, .full((b, "b"))), at(7, a, .full((a, "a")))], expected: []),
        Case(label: "one sender's FULLs never conflict",
             steps: [at(0, a, .full((a, "a"))), at(0.5, a, .full((a, "a"))), at(1, a, .full((a, "a")))], expected: []),
        Case(label: "Y declared offline in between",
             steps: [at(0, b, .full((b, "b"))), at(1, c, .offline(b)), at(2, a, .full((a, "a")))], expected: []),
        Case(label: "Y declared offline, then back without a FULL",
             steps: [at(0, b, .full((b, "b"))), at(1, c, .offline(b)), at(1.5, b, .hello("b")),
                     at(2, a, .full((a, "a")))], expected: []),
        Case(label: "Y declared offline, then a new FULL from Y",
             steps: [at(0, b, .full((b, "b"))), at(1, c, .offline(b)), at(2, b, .full((b, "b"))),
                     at(3, a, .full((a, "a")))],
             expected: [.registryConflict(ips: [a, b])]),
        Case(label: "once per episode",
             steps: [at(0, b, .full((b, "b"))), at(1, a, .full((a, "a"))), at(2, b, .full((b, "b"))),
                     at(3, a, .full((a, "a"))), at(4, b, .full((b, "b")))],
             expected: [.registryConflict(ips: [a, b])]),
        Case(label: "the episode lasts while conflicting FULLs keep coming within a window",
             steps: [at(0, b, .full((b, "b"))), at(1, a, .full((a, "a"))), at(5.5, b, .full((b, "b"))),
                     at(10, a, .full((a, "a"))), at(14.5, b, .full((b, "b")))],
             expected: [.registryConflict(ips: [a, b])]),
        Case(label: "a new episode after a window without a conflicting FULL",
             steps: [at(0, b, .full((b, "b"))), at(1, a, .full((a, "a"))),
                     at(7, b, .full((b, "b"))),  // a's last FULL 6 s ago: no conflict
                     at(8, a, .full((a, "a")))],  // b's 1 s ago, last conflict 7 s ago: a new episode
             expected: [.registryConflict(ips: [a, b]), .registryConflict(ips: [a, b])]),
        Case(label: "a new episode after a long silence",
             steps: [at(0, b, .full((b, "b"))), at(1, a, .full((a, "a"))),
                     at(30, b, .full((b, "b"))), at(31, a, .full((a, "a")))],
             expected: [.registryConflict(ips: [a, b]), .registryConflict(ips: [a, b])]),
        Case(label: "the threshold is --conflict-window", window: 2,
             steps: [at(0, b, .full((b, "b"))), at(1.9, a, .full((a, "a"))),
                     at(10, b, .full((b, "b"))), at(12, a, .full((a, "a")))],
             expected: [.registryConflict(ips: [a, b])]),
    ])
    func conflict(_ row: Case) {
        let run = AnalyzerHarness(row.steps, conflictWindow: row.window)
        #expect(run.events(.registryConflict) == row.expected)
    }

    /// Episodes are per pair: a third registry conflicts with each of the other two.
    @Test func episodesArePerPair() {
        let run = AnalyzerHarness([
            at(0, b, .full((b, "b"))), at(1, a, .full((a, "a"))),
            at(2, c, .full((c, "c"))),
            at(3, a, .full((a, "a"))), at(3.5, c, .full((c, "c"))),
        ])
        let conflicts = run.events(.registryConflict)
        #expect(conflicts.count == 3)
        #expect(Set(conflicts) == [
            .registryConflict(ips: [a, b]), .registryConflict(ips: [a, c]), .registryConflict(ips: [b, c]),
        ])
        #expect(run.stamped(.registryConflict).map(\.packet) == [2, 3, 3])
    }
}

// MARK: - registry-unexpected

@Suite("registry-unexpected")
struct UnexpectedRules {
    typealias Case = RuleCase

    /// "a FULL from X while the lowest IP in L (after this FULL's listings) is Y ≠ X | ip, expected"
    @Test(arguments: [
        Case(label: "a lower node heard from", steps: [at(0, a, .hello("a")), at(1, b, .full((b, "b"), (a, "a")))],
             expected: [.registryUnexpected(ip: b, expected: a)]),
        Case(label: "a lower node in L though not listed",
             steps: [at(0, a, .pong), at(1, b, .full((b, "b")))],
             expected: [.registryUnexpected(ip: b, expected: a)]),
        Case(label: "a lower node first known from this FULL's listing",
             steps: [at(0, c, .full((c, "c"), (b, "b"), (a, "a")))],
             expected: [.registryUnexpected(ip: c, expected: a)]),
        Case(label: "the lowest sends it", steps: [at(0, b, .hello("b")), at(1, a, .full((a, "a"), (b, "b")))],
             expected: []),
        Case(label: "a lone sender", steps: [at(0, b, .full((b, "b")))], expected: []),
        Case(label: "the lower node was declared offline",
             steps: [at(0, a, .hello("a")), at(1, b, .hello("b")), at(2, b, .offline(a)),
                     at(3, b, .full((b, "b"), (a, "a")))],
             expected: []),
        Case(label: "one event per FULL",
             steps: [at(0, a, .hello("a")), at(1, b, .full((b, "b"))), at(2, b, .full((b, "b")))],
             expected: [.registryUnexpected(ip: b, expected: a), .registryUnexpected(ip: b, expected: a)]),
    ])
    func unexpected(_ row: Case) {
        let run = AnalyzerHarness(row.steps)
        #expect(run.events(.registryUnexpected) == row.expected)
    }
}

// MARK: - peers-changed

@Suite("peers-changed")
struct PeersChangedRules {
    typealias Case = RuleCase

    /// "a FULL's peer list differs from the previous FULL's (whoever sent it) | added,
    /// removed (lists of IPs), renamed (list of {ip, from, to})"
    @Test(arguments: [
        Case(label: "the first FULL has nothing to differ from", steps: [at(0, a, .full((a, "a"), (b, "b")))],
             expected: []),
        Case(label: "identical lists",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(1, a, .full((a, "a"), (b, "b")))], expected: []),
        Case(label: "added",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(1, a, .full((a, "a"), (b, "b"), (c, "c"), (d, "d")))],
             expected: [.peersChanged(added: [c, d], removed: [], renamed: [])]),
        Case(label: "removed",
             steps: [at(0, a, .full((a, "a"), (b, "b"), (c, "c"))), at(1, a, .full((a, "a")))],
             expected: [.peersChanged(added: [], removed: [b, c], renamed: [])]),
        Case(label: "renamed",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(1, a, .full((a, "a"), (b, "bee")))],
             expected: [.peersChanged(added: [], removed: [], renamed: [RenamedEntry(b, "b", "bee")])]),
        Case(label: "all three at once",
             steps: [at(0, a, .full((a, "a"), (b, "b"), (c, "c"))), at(1, a, .full((a, "ay"), (b, "b"), (d, "d")))],
             expected: [.peersChanged(added: [d], removed: [c], renamed: [RenamedEntry(a, "a", "ay")])]),
        Case(label: "against the previous FULL from another sender",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(10, b, .full((b, "b"), (a, "a"), (c, "c")))],
             expected: [.peersChanged(added: [c], removed: [], renamed: [])]),
        Case(label: "against the previous FULL, not the first",
             steps: [at(0, a, .full((a, "a"))), at(1, a, .full((a, "a"), (b, "b"))), at(2, a, .full((a, "a"), (b, "b")))],
             expected: [.peersChanged(added: [b], removed: [], renamed: [])]),
        Case(label: "against the previous FULL's entries, not the names known since",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(1, b, .hello("bee")), at(2, a, .full((a, "a"), (b, "b")))],
             expected: []),
        Case(label: "a HELLO in between does not count as a list",
             steps: [at(0, a, .full((a, "a"), (b, "b"))), at(1, c, .hello("c")), at(2, a, .full((a, "a"), (b, "b")))],
             expected: []),
    ])
    func peersChanged(_ row: Case) {
        let run = AnalyzerHarness(row.steps)
        #expect(run.events(.peersChanged) == row.expected)
    }

    /// Decision (the contract does not say): the same entries in another order are no
    /// change, since the event has only added, removed and renamed to report. The
    /// firmware lists its sender first, so every change of registry reorders the list.
    @Test func sameEntriesInAnotherOrderAreNoChange() {
        let run = AnalyzerHarness([at(0, a, .full((a, "a"), (b, "b"), (c, "c"))), at(10, b, .full((b, "b"), (c, "c"), (a, "a")))])
        #expect(run.events(.peersChanged).isEmpty)
    }
}

// MARK: - registry-silent and the "due" rule

@Suite("registry-silent")
struct SilentRules {
    /// "a HELLO or an OFFLINE from another node arrives (the firmware's registry answers
    /// both with a FULL)"; "The deadline is the due moment plus the registry timeout";
    /// "registry-silent, which has no n and is stamped at its deadline"; "expected (X),
    /// after (the sender of the HELLO or OFFLINE that made it due)".
    @Test func helloFromAnotherNodeMakesItDue() {
        let run = AnalyzerHarness()
        run.feed([at(0, a, .hello("a")), at(1, b, .hello("b"))])
        #expect(run.events(.registrySilent).isEmpty)
        let late = run.feed(at(4.5, c, .hello("c")))
        run.finish()
        let silent = run.stamped(.registrySilent)
        #expect(silent.map(\.event) == [.registrySilent(expected: a, after: b)])
        #expect(silent.first?.time == Timestamp(4))
        #expect(silent.first?.packet == nil)
        // It comes before the events of the packet that let the deadline pass.
        #expect(late.first?.event == .registrySilent(expected: a, after: b))
    }

    @Test func offlineFromAnotherNodeMakesItDue() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")), at(1.5, a, .full((a, "a"), (b, "b"))),
            at(2, b, .offline(d)),  // about a node nobody knew: L is unchanged, a stays lowest
            at(9, b, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: a, after: b)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(5)])
    }

    /// "A FULL stamped at or before a deadline is in time"; "it is cancelled when X sends a FULL".
    @Test(arguments: [
        Timestamp(seconds: 1, nanoseconds: 500_000_000),  // well before
        Timestamp(seconds: 4, nanoseconds: 0),  // exactly at the deadline
    ])
    func aFullInTimeCancels(fullAt: Timestamp) {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(fullAt, a, .full((a, "a"), (b, "b"))),
            at(20, b, .pong), at(30, b, .ping),
        ])
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// One nanosecond late is late: "a deadline passes when a later packet's timestamp is past it".
    @Test func aFullPastTheDeadlineIsLate() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(Timestamp(seconds: 4, nanoseconds: 1), a, .full((a, "a"), (b, "b"))),
        ])
        #expect(run.events(.registrySilent) == [.registrySilent(expected: a, after: b)])
        #expect(run.stamped(.registrySilent).first?.time == Timestamp(4))
    }

    /// "a deadline passes when a later packet's timestamp is past it" (any packet: here
    /// time moves on without a frame, as with a malformed payload).
    @Test func advancingPastTheDeadlineFiresIt() {
        let run = AnalyzerHarness()
        run.feed([at(0, a, .hello("a")), at(1, b, .hello("b"))])
        run.advance(to: Timestamp(4))
        #expect(run.events(.registrySilent).isEmpty)
        run.advance(to: Timestamp(seconds: 4, nanoseconds: 1))
        #expect(run.events(.registrySilent) == [.registrySilent(expected: a, after: b)])
        run.advance(to: Timestamp(100))
        #expect(run.events(.registrySilent).count == 1)
    }

    /// "deadlines still pending when the input ends are dropped (the capture did not reach them)".
    @Test(arguments: [0.0, 4.0])  // no later packet at all; one exactly at the deadline
    func pendingAtTheEndIsDropped(lastPacketAt: Double) {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")), at(max(lastPacketAt, 1), b, .pong),
        ])
        #expect(run.events(.registrySilent).isEmpty)
        run.advance(to: Timestamp(100))
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// "A due moment while one is already pending for X adds nothing": neither a later
    /// deadline nor another `after`.
    @Test func aDueMomentWhilePendingAddsNothing() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),  // due, deadline 4, after b
            at(2, c, .hello("c")), at(3, b, .offline(d)),  // due again: nothing added
            at(4.5, b, .pong), at(20, c, .pong),
        ])
        let silent = run.stamped(.registrySilent)
        #expect(silent.map(\.event) == [.registrySilent(expected: a, after: b)])
        #expect(silent.map(\.time) == [Timestamp(4)])
    }

    /// After a deadline has passed, the next due moment starts a new one.
    @Test func aNewDueMomentAfterADeadlinePassed() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),  // deadline 4
            at(10, c, .hello("c")),  // 4 passed; due again, deadline 13, after c
            at(14, b, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [
            .registrySilent(expected: a, after: b), .registrySilent(expected: a, after: c),
        ])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(4), Timestamp(13)])
    }

    /// "cancelled when X … leaves L": declared offline before its deadline.
    @Test func cancelledWhenXIsDeclaredOffline() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),  // due a, deadline 4
            at(2, b, .offline(a)),  // a leaves L; b is alone: never due
            at(10, b, .pong), at(20, b, .ping),
        ])
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// "cancelled when X … stops being the lowest (a lower node joins)", and the lower
    /// node "has just become the lowest IP in L (… X joined …)" while it did not send
    /// the latest FULL: due itself, with no HELLO or OFFLINE of another node to name.
    @Test func cancelledWhenALowerNodeJoins() {
        let run = AnalyzerHarness([
            at(0, b, .hello("b")), at(1, c, .hello("c")),  // due b, deadline 4
            at(2, a, .ping),  // a joins below b: b's deadline is cancelled; a due, deadline 5
            at(10, c, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: a, after: nil)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(5)])
    }

    /// A lower node joining with a FULL of its own: X's deadline is cancelled (X is no
    /// longer the lowest), and the newcomer is not due, since it sent the latest FULL.
    @Test func cancelledWhenALowerNodeJoinsWithAFull() {
        let run = AnalyzerHarness([
            at(0, b, .hello("b")), at(1, c, .hello("c")),  // due b, deadline 4
            at(2, a, .full((a, "a"), (b, "b"), (c, "c"))),
            at(10, c, .pong),
        ])
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// A lower node joining through another node's FULL listing does the same.
    @Test func cancelledWhenALowerNodeIsListed() {
        let run = AnalyzerHarness([
            at(0, b, .hello("b")), at(1, c, .hello("c")),  // due b, deadline 4
            at(2, c, .full((c, "c"), (b, "b"), (a, "a"))),  // a listed: lowest, did not send this FULL
            at(10, c, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: a, after: nil)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(5)])
    }

    /// "a lower node was declared offline": the next one up is due, here also by the
    /// OFFLINE of another node, which it names.
    @Test func dueWhenALowerNodeIsDeclaredOffline() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(0.5, b, .hello("b")), at(1, c, .hello("c")),
            at(2, a, .full((a, "a"), (b, "b"), (c, "c"))),  // a answers in time
            at(3, c, .offline(a)),  // b becomes the lowest: due, deadline 6
            at(7, c, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: b, after: c)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(6)])
    }

    /// "X has just become the lowest … while X did not send the latest FULL": a
    /// returning node that was the last registry is not due; one that was not, is.
    @Test(arguments: [true, false])
    func dueWhenXReturns(lastFullWasX: Bool) {
        var steps = [
            at(0, a, .hello("a")), at(0.5, b, .hello("b")),
            at(1, a, .full((a, "a"), (b, "b"))),  // answers b's HELLO
            at(2, b, .offline(a)),  // b alone in L
        ]
        if !lastFullWasX { steps.append(at(2.5, b, .full((b, "b")))) }
        steps += [at(3, a, .pong), at(10, b, .pong)]  // a returns below b, deadline 6
        let run = AnalyzerHarness(steps)
        #expect(run.events(.nodeReturned) == [.nodeReturned(ip: a)])
        if lastFullWasX {
            #expect(run.events(.registrySilent).isEmpty)
        } else {
            #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: a, after: nil)])
            #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(6)])
        }
    }

    /// The deadline is cancelled only "when X sends a FULL, leaves L or stops being the
    /// lowest": L shrinking to X alone after the due moment does not cancel it.
    @Test func aPendingDeadlineSurvivesLShrinkingToX() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),  // due a, deadline 4
            at(2, a, .offline(b)),  // b leaves L; a is still in L and the lowest
            at(5, a, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: a, after: b)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(4)])
    }

    /// "L holds at least two nodes": a lone node is never due, whatever it sends.
    @Test func aLoneNodeIsNeverDue() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, a, .hello("a")), at(2, a, .offline(d)), at(3, a, .ping),
            at(20, a, .hello("a")), at(40, a, .pong),
        ])
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// Only "X sends a FULL" answers: X's other frames leave the deadline pending.
    @Test(arguments: [Frame.hello("a"), .ping, .pong, .legacy(name: "a"), .offline(d)])
    func onlyAFullFromXAnswers(frame: Frame) {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),  // due a, deadline 4
            at(2, a, frame),
            at(5, b, .pong),
        ])
        #expect(run.events(.registrySilent) == [.registrySilent(expected: a, after: b)])
    }

    /// A lower node that joins and is declared offline before the deadline: X's
    /// deadline was cancelled when it stopped being the lowest; becoming the lowest
    /// again (it did not send the latest FULL) is a new due moment with a new deadline.
    @Test func lowestAgainAfterALowerNodeCameAndWent() {
        let run = AnalyzerHarness([
            at(0, b, .hello("b")), at(1, c, .hello("c")),  // due b, deadline 4
            at(1.5, a, .ping),  // b cancelled; a due, deadline 4.5
            at(2, c, .offline(a)),  // a cancelled; b lowest again, and c's OFFLINE: deadline 5
            at(10, c, .pong),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [.registrySilent(expected: b, after: c)])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(5)])
    }

    /// Only a HELLO or an OFFLINE "from another node": X's own HELLO, and other
    /// nodes' PING, PONG, LEGACY or FULL, do not make a FULL from X due.
    @Test(arguments: [
        at(3, a, .hello("a")), at(3, a, .offline(d)), at(3, b, .ping), at(3, b, .pong), at(3, b, .legacy(name: "b")),
        at(3, b, .full((b, "b"), (a, "a"))),
    ])
    func otherFramesDoNotMakeItDue(step: SentFrame) {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(2, a, .full((a, "a"), (b, "b"))),  // the due FULL, in time
            step,
            at(20, b, .pong),
        ])
        #expect(run.events(.registrySilent).isEmpty)
    }

    /// Another node's FULL is no answer: only "X sends a FULL" cancels.
    @Test func anotherNodesFullDoesNotCancel() {
        let run = AnalyzerHarness([
            at(0, a, .hello("a")), at(1, b, .hello("b")),
            at(2, b, .full((b, "b"), (a, "a"))),
            at(5, b, .pong),
        ])
        #expect(run.events(.registrySilent) == [.registrySilent(expected: a, after: b)])
    }

    /// The deadline is "the due moment plus the registry timeout" (`--registry-timeout`).
    @Test(arguments: [(0.5, Timestamp(1.5)), (10.0, Timestamp(11))])
    func theTimeoutIsTheThreshold(timeout: Double, deadline: Timestamp) {
        let run = AnalyzerHarness(
            [at(0, a, .hello("a")), at(1, b, .hello("b")), at(30, b, .pong)], registryTimeout: timeout)
        #expect(run.stamped(.registrySilent).map(\.time) == [deadline])
    }
}

// MARK: - The desktop client (PROTOCOL.md)

@Suite("Desktop client scenario")
struct DesktopClientScenario {
    /// "A desktop client with the lowest IP becomes everyone's registry but never sends
    /// FULL: discovery stalls. This is a real misconfiguration peersniff must make
    /// obvious." Boards that still send FULLs are unexpected; the client is silent.
    @Test func aClientWithTheLowestAddressStallsDiscovery() {
        let client = "10.0.0.5", mars = "10.0.0.20", madness = "10.0.0.21"
        let run = AnalyzerHarness([
            at(0, mars, .hello("Attack from Mars")),
            at(1, madness, .hello("Medieval Madness")),  // due mars, deadline 4
            at(1.2, mars, .full((mars, "Attack from Mars"), (madness, "Medieval Madness"))),  // in time
            at(10, client, .hello("desktop")),  // the client joins below both: due, deadline 13
            at(10.1, mars, .full((mars, "Attack from Mars"), (madness, "Medieval Madness"), (client, "desktop"))),
            at(10.2, madness, .full((madness, "Medieval Madness"), (mars, "Attack from Mars"), (client, "desktop"))),
            at(15, client, .hello("desktop")),  // 13 passed; the client's own HELLO does not make it due
            at(16, madness, .hello("Medieval Madness")),  // a board's HELLO does: deadline 19
            at(25, mars, .pong),
        ])
        #expect(run.events(.registryUnexpected) == [
            .registryUnexpected(ip: mars, expected: client), .registryUnexpected(ip: madness, expected: client),
        ])
        #expect(run.stamped(.registrySilent).map(\.event) == [
            .registrySilent(expected: client, after: nil), .registrySilent(expected: client, after: madness),
        ])
        #expect(run.stamped(.registrySilent).map(\.time) == [Timestamp(13), Timestamp(19)])
        #expect(run.events(.registryElected) == [.registryElected(ip: mars)])
        #expect(run.events(.registryChanged) == [.registryChanged(from: mars, to: madness)])
        #expect(run.events(.registryConflict) == [.registryConflict(ips: [mars, madness])])
        #expect(run.events(.peersChanged) == [.peersChanged(added: [client], removed: [], renamed: [])])
    }
}

// MARK: - The registry history

@Suite("The registry history")
struct RegistryHistoryTests {
    @Test("each reign counts the FULLs its registry sent until the next registry's first, read while the capture runs and at its end")
    func reignsCountTheirFulls() {
        let a = "10.0.0.1", b = "10.0.0.2"
        func full(_ from: String, _ t: Double) -> SentFrame { at(t, from, .full((a, "a"), (b, "b"))) }
        let run = AnalyzerHarness()
        run.feed([at(0, a, .hello("a")), at(0.1, b, .hello("b")), full(a, 1), full(a, 2), full(a, 3)])
        #expect(run.analyzer.history.map(\.fulls) == [3], "read while a reign lasts")
        run.feed([full(b, 4), full(b, 5), full(a, 6)])
        #expect(run.analyzer.history.map(\.fulls) == [3, 2, 1])
        run.feed([full(a, 7), full(a, 8), full(a, 9), full(a, 10)])
        run.finish()
        let history = run.analyzer.history
        #expect(history.map(\.fulls) == [3, 2, 5])
        #expect(history.map(\.ip.description) == [a, b, a])
        #expect(history.map(\.until) == [Timestamp(4), Timestamp(6), nil])
        #expect(run.analyzer.latestReign?.fulls == 5 && run.analyzer.latestReign?.ip.description == a)
    }
}

// MARK: - Where events go

@Suite("Events to a sink")
struct EventSinkTests {
    final class Collector: ElectionEventSink {
        var events: [TimelineEvent] = []
        override func receive(_ event: ElectionEvent) { events.append(TimelineEvent(event.detail)) }
    }

    /// A story with every kind of change: elections, a takeover, OFFLINE and return,
    /// a rename, peers added and removed.
    static let story = [
        at(0, b, .hello("b")), at(0.5, b, .full((b, "b"))), at(1, c, .hello("c")), at(1.5, b, .full((b, "b"), (c, "c"))),
        at(2, a, .hello("a")), at(2.5, b, .full((b, "b"), (a, "a"), (c, "c"))), at(6, a, .full((a, "a"), (b, "b"), (c, "c"))),
        at(8, a, .offline(c)), at(8.1, a, .full((a, "a"), (b, "b"))), at(9, c, .hello("c2")), at(9.1, a, .full((a, "a"), (b, "b"), (c, "c2"))),
    ]

    @Test("an analyzer with a sink hands it every event emit would have had, in the same order, and calls emit no more")
    func sinkGetsWhatEmitGets() {
        let plain = AnalyzerHarness(Self.story)
        let run = AnalyzerHarness()
        let collector = Collector()
        run.analyzer.sink = collector
        run.feed(Self.story)
        run.finish()
        #expect(!plain.stamped.isEmpty)
        #expect(collector.events == plain.stamped.map(\.event))
        #expect(run.stamped.isEmpty, "emit was called though a sink is set: \(run.stamped)")
    }

    @Test("a sink that does not take peers-changed gets every other event, in order, and the event is still counted")
    func sinkWithoutPeersChanged() throws {
        let plain = AnalyzerHarness(Self.story)
        let run = AnalyzerHarness()
        let collector = Collector(takesPeersChanged: false)
        run.analyzer.sink = collector
        run.feed(Self.story)
        run.finish()
        let peersChanged = plain.stamped.filter { if case .peersChanged = $0.event { true } else { false } }
        try #require(peersChanged.count >= 3, "the story changes the peer list")
        #expect(collector.events == plain.stamped.map(\.event).filter { if case .peersChanged = $0 { false } else { true } })
        #expect(run.analyzer.eventCounts == plain.analyzer.eventCounts)
        #expect(run.analyzer.eventCounts.count == ElectionEventKind.allCases.count, "a counter for every kind")
        for kind in ElectionEventKind.allCases {
            #expect(run.analyzer.eventCount(kind) == plain.stamped.filter { $0.event.kind == kind }.count, "\(kind)")
        }
        #expect(run.analyzer.eventCounts[ElectionEventKind.peersChanged.index] == peersChanged.count)
    }
}
