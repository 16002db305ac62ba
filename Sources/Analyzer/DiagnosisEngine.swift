import DiscoveryCodec
import WireBytes

/// Follows the frames, the election events and each node's activity as they pass,
/// and tells the story of each incident: the failure modes of PROTOCOL.md's "How
/// discovery goes wrong", each recognised from the firmware's behaviour.
///
/// Durations are measured in units of the two thresholds: the registry timeout T
/// (how long a due FULL may take) and the liveness round, taken as 5 T (the
/// firmware's defaults: T = 3 s, a round of 15 s, a listen period of 1.5 s = T/2;
/// a `speed 10` capture run with T = 0.3 s keeps the ratios).
///
/// The engine sits beside the election rules: it reads the analyzer's state (who is
/// live, lowest, registry) and its events, never changes them. It keeps a few
/// fields per node (by the node's place in the analyzer's table) and one record per
/// incident; no allocation per frame.
public final class DiagnosisEngine {
    let analyzer: ElectionAnalyzer
    /// T, the liveness round and the conflict window, in nanoseconds.
    let timeout: Int64
    let round: Int64
    let window: Int64
    /// The discovery port: a HELLO sent *from* it comes from a desktop client (boards
    /// send from an ephemeral port).
    let port: UInt16

    var facts: [NodeFacts] = []
    var incidents: [Incident] = []
    /// Incidents not kept beyond `maxIncidents`.
    public private(set) var incidentsDropped = 0
    static let maxIncidents = 4096

    // The lowest address in L as the engine last saw it, since when, and why.
    var lowest: IPv4Address?
    var lowestSince: Timestamp?
    var lowestCause = LowestCause.initial
    /// The lowest has sent a FULL since it became the lowest: it acts as registry
    /// (the sender of the latest FULL may be someone else, a spoofer among them).
    var lowestHasSentFull = false

    // What the current frame's events said, classified at the end of the frame.
    var leftThisFrame: IPv4Address?
    var returnedThisFrame: IPv4Address?
    var conflictsThisFrame: [(a: IPv4Address, b: IPv4Address)] = []
    var unexpectedThisFrame: (ip: IPv4Address, expected: IPv4Address)?

    /// Incidents still going on that FULLs can end (few at a time; capacity reserved).
    var openOwedNodes: [Int] = []
    var openFailovers: [Int32] = []
    var awaitingDesktop: [Int32] = []
    var openSplits: [Int32] = []
    /// The latest capture time seen.
    public private(set) var lastTime: Timestamp?

    /// An OFFLINE the registry is expected to answer with a FULL: counted for its storm.
    var awaitingStormAnswer: (node: Int, deadline: Timestamp)?

    /// The last FULLs of the few most recent FULL senders (for split-brain).
    var recentFulls: [FullSnapshot] = []
    static let snapshots = 4
    var lastFullSender: IPv4Address?
    static let maxOpenSplits = 16

    /// Open two-registries incidents per pair.
    var pairIncidents: [ElectionAnalyzer.PairKey: Int] = [:]
    /// False-offline incidents per (accused, declarer): repeats add to one.
    var falseOfflinePairs: [UInt64: Int] = [:]
    static let maxPairs = 256

    // FULLs over the receive buffer and the storm around them.
    var hellos = 0, fulls = 0
    var oversize = OversizeTally()
    // LEGACY devices and malformed senders.
    var firstLegacy: Timestamp?
    var legacyFrames = 0
    var malformed = MalformedTally()

    public init(analyzer: ElectionAnalyzer, port: UInt16 = 37020) {
        self.analyzer = analyzer
        timeout = Int64((analyzer.thresholds.registryTimeout * 1e9).rounded())
        round = 5 * timeout
        window = Int64((analyzer.thresholds.conflictWindow * 1e9).rounded())
        self.port = port
        conflictsThisFrame.reserveCapacity(16)
        openOwedNodes.reserveCapacity(8)
        openFailovers.reserveCapacity(8)
        awaitingDesktop.reserveCapacity(8)
        openSplits.reserveCapacity(8)
    }

    // MARK: Per node

    /// What the engine keeps of one node.
    struct NodeFacts {
        /// The address these facts are about (a place the node cap gives to a new
        /// address starts afresh).
        var ip: UInt32 = 0
        /// OFFLINEs about it since its last frame, the first of them, and the FULLs that answered them.
        var offlineRun = 0
        var runStart: Timestamp?
        var runFulls = 0
        var storm: Int32 = -1
        /// The last OFFLINE about it, by whom, and whether it had sent a frame within a round before.
        var offlineAt: Timestamp?
        var offlineBy: IPv4Address?
        var aliveBefore = false
        var lastBeforeOffline: Timestamp?
        /// Returns after a real absence, the first OFFLINE of them, and the flapping incident.
        var returns = 0
        var firstOffline: Timestamp?
        var flapping: Int32 = -1
        /// An open "FULL owed" incident, and an open failover about it.
        var owed: Int32 = -1
        var failover: Int32 = -1
        /// Sent a HELLO from the discovery port (a desktop client).
        var fromDiscoveryPort = false
        /// The latest incident of a registry story it took part in, and when that ended.
        var storyUntil: Timestamp?
        var notLowest: Int32 = -1
        var falseOfflines = 0
        /// Its last return, and how long it had been silent before it.
        var lastReturn: Timestamp?
        var silenceBeforeReturn: Int64 = 0
    }

    enum LowestCause: Equatable {
        case initial
        case joined
        case returned
        case lowerLeft(IPv4Address)
    }

    struct FullSnapshot {
        var sender: IPv4Address
        var time: Timestamp
        var listed: [UInt32]
    }

    struct OversizeTally {
        var count = 0
        var first: Timestamp?
        var last: Timestamp?
        var largest = 0
        var largestPeers = 0
        var sender: IPv4Address?
        var otherSenders = 0
        var hellosAtFirst = 0, fullsAtFirst = 0
        var hellosAtLast = 0, fullsAtLast = 0
    }

    struct MalformedTally {
        var count = 0
        var first: Timestamp?
        var last: Timestamp?
        var bySender: [IPv4Address: Int] = [:]
        var otherSenders = 0
        static let maxSenders = 64
    }

    @inline(__always)
    func index(_ ip: IPv4Address) -> Int? {
        guard let index = analyzer.nodes.find(ip) else { return nil }
        if index >= facts.count { facts.append(contentsOf: repeatElement(NodeFacts(), count: index + 1 - facts.count)) }
        if facts[index].ip != ip.value { facts[index] = NodeFacts(ip: ip.value) }
        return index
    }

    func node(_ ip: IPv4Address) -> Node? { analyzer.nodes[ip] }

    /// Sent FULL, PING, PONG or OFFLINE: a board, not a desktop client.
    func isBoard(_ ip: IPv4Address) -> Bool {
        guard let counts = node(ip)?.framesByType else { return false }
        return counts[FrameType.full.index] + counts[FrameType.ping.index] + counts[FrameType.pong.index]
            + counts[FrameType.offline.index] > 0
    }

    /// While the node cap is reached, an address heard only once (or not kept) is
    /// part of the flood: incidents about it are the address-flood's, not its own.
    func suspect(_ ip: IPv4Address) -> Bool {
        guard analyzer.isCrowded || !analyzer.flood.isEmpty else { return false }
        guard let i = analyzer.nodes.find(ip) else { return true }
        return !analyzer.nodes.storage[i].isConfirmed
    }

    func isLegacy(_ ip: IPv4Address) -> Bool { (node(ip)?.framesByType[FrameType.legacy.index] ?? 0) > 0 }

    // MARK: Incidents

    @discardableResult
    func open(_ incident: Incident) -> Int32 {
        guard incidents.count < DiagnosisEngine.maxIncidents else {
            incidentsDropped += 1
            return -1
        }
        incidents.append(incident)
        return Int32(incidents.count - 1)
    }

    /// A registry story involving `ip` lasts at least until `time`: conflicts and
    /// unexpected FULLs near it are explained by it.
    func story(_ ip: IPv4Address, until time: Timestamp) {
        guard let i = index(ip) else { return }
        if let current = facts[i].storyUntil, current > time { return }
        facts[i].storyUntil = time
    }

    func explained(_ ip: IPv4Address, at time: Timestamp) -> Bool {
        guard let i = index(ip), let until = facts[i].storyUntil else { return false }
        return time.totalNanoseconds - until.totalNanoseconds <= round
    }

    // MARK: Events

    /// An election event, as the analyzer emits it.
    public func event(_ event: ElectionEvent) {
        switch event.detail {
        case let .nodeDeclaredOffline(ip, by):
            declaredOffline(ip, by: by, at: event.time)
        case let .nodeReturned(ip):
            returned(ip, at: event.time)
        case let .registrySilent(expected, _):
            // During a flood, a FULL owed for a one-off address's HELLO, or by a node
            // heard once (the flood's addresses fill L), is the flood's, not a failure.
            if case let .registrySilent(_, after) = event.detail, let after, suspect(after) { break }
            if suspect(expected) { break }
            silent(expected, at: event.time)
        case let .registryConflict(ips) where ips.count == 2:
            if conflictsThisFrame.count < 16 { conflictsThisFrame.append((ips[0], ips[1])) }
        case let .registryUnexpected(ip, expected):
            unexpectedThisFrame = (ip, expected)
        default:
            break
        }
    }

    private func declaredOffline(_ ip: IPv4Address, by: IPv4Address, at time: Timestamp) {
        guard let i = index(ip) else { return }
        if analyzer.isCrowded && (suspect(ip) || suspect(by)) { return }
        leftThisFrame = ip
        let last = node(ip)?.lastSent
        facts[i].offlineRun += 1
        if facts[i].offlineRun == 1 {
            facts[i].runStart = time
            facts[i].runFulls = 0
            facts[i].lastBeforeOffline = last
            if facts[i].firstOffline == nil { facts[i].firstOffline = time }
        }
        facts[i].offlineAt = time
        facts[i].offlineBy = by
        facts[i].aliveBefore = last.map { time.totalNanoseconds - $0.totalNanoseconds <= round } ?? false
        awaitingStormAnswer = (i, time.adding(nanoseconds: timeout))

        // Three OFFLINEs with no frame from it in between: the firmware's OFFLINE storm.
        if facts[i].offlineRun == 3 {
            var storm = Incident(.offlineStorm, [ip], since: facts[i].runStart!)
            storm.count = 3
            storm.fulls = facts[i].runFulls
            storm.lastSent = facts[i].lastBeforeOffline
            storm.latest = time
            storm.isOpen = true
            facts[i].storm = open(storm)
        } else if facts[i].storm >= 0 {
            incidents[Int(facts[i].storm)].count += 1
            incidents[Int(facts[i].storm)].latest = time
        }

        // The registry declared offline: a failover begins (confirmed when another
        // node takes over while it stays silent).
        let actedAsRegistry = analyzer.registry == ip || (ip == lowest && lowestHasSentFull)
        if facts[i].offlineRun == 1, actedAsRegistry, facts[i].failover < 0, !suspect(ip) {
            var failover = Incident(.registryFailover, [ip], since: last ?? time)
            failover.lastSent = last
            failover.declaredAt = time
            failover.declaredBy = by
            failover.isOpen = true
            facts[i].failover = open(failover)
            if facts[i].failover >= 0 { openFailovers.append(facts[i].failover) }
        }

        // A node that owed a FULL leaves L: its incident closes.
        if facts[i].owed >= 0 {
            closeOwed(i, at: time, by: .left)
        }
    }

    private func returned(_ ip: IPv4Address, at time: Timestamp) {
        guard let i = index(ip) else { return }
        returnedThisFrame = ip
        facts[i].lastReturn = time
        facts[i].silenceBeforeReturn = facts[i].lastBeforeOffline.map { time.totalNanoseconds - $0.totalNanoseconds } ?? 0
        let quick = facts[i].offlineAt.map { time.totalNanoseconds - $0.totalNanoseconds <= timeout } ?? false
        if quick && facts[i].aliveBefore, let at = facts[i].offlineAt, let by = facts[i].offlineBy {
            // Plainly alive: it sent a frame within a round before the OFFLINE and
            // answered within the registry timeout after it.
            facts[i].falseOfflines += 1
            let pair = UInt64(ip.value) << 32 | UInt64(by.value)
            if let k = falseOfflinePairs[pair] {
                incidents[k].count += 1
                incidents[k].latest = at
                incidents[k].until = time
            } else if !isLegacy(ip), falseOfflinePairs.count < DiagnosisEngine.maxPairs {
                var wrong = Incident(.falseOffline, [ip, by], since: at)
                wrong.until = time
                wrong.count = 1
                wrong.latest = at
                wrong.lastSent = facts[i].lastBeforeOffline
                if let d = index(by), let back = facts[d].lastReturn, at.totalNanoseconds - back.totalNanoseconds <= round {
                    wrong.declarerSilence = facts[d].silenceBeforeReturn
                    wrong.declarerBack = back
                }
                let k = open(wrong)
                if k >= 0 { falseOfflinePairs[pair] = Int(k) }
            } else if !isLegacy(ip) {
                incidentsDropped += 1
            }
            story(ip, until: time)
            story(by, until: time)
            // A registry falsely declared offline did not fail over.
            if facts[i].failover >= 0 {
                incidents[Int(facts[i].failover)].discarded = true
                openFailovers.removeAll { $0 == facts[i].failover }
                facts[i].failover = -1
            }
        } else {
            facts[i].returns += 1
            if facts[i].returns >= 2 {
                if facts[i].flapping < 0 {
                    var flapping = Incident(.nodeFlapping, [ip], since: facts[i].firstOffline ?? time)
                    flapping.count = facts[i].returns
                    flapping.until = time
                    facts[i].flapping = open(flapping)
                } else {
                    incidents[Int(facts[i].flapping)].count = facts[i].returns
                    incidents[Int(facts[i].flapping)].until = time
                }
            }
            if facts[i].failover >= 0 {
                let f = Int(facts[i].failover)
                if incidents[f].successor == nil { incidents[f].discarded = true }
                openFailovers.removeAll { $0 == facts[i].failover }
                facts[i].failover = -1
            }
        }
        if facts[i].storm >= 0 {
            incidents[Int(facts[i].storm)].until = time
            incidents[Int(facts[i].storm)].isOpen = false
            facts[i].storm = -1
        }
        facts[i].offlineRun = 0
        facts[i].offlineAt = nil
    }

    /// A FULL owed by `expected` did not come within the registry timeout.
    private func silent(_ expected: IPv4Address, at deadline: Timestamp) {
        guard let i = index(expected) else { return }
        if facts[i].owed >= 0 {
            incidents[Int(facts[i].owed)].count += 1
            return
        }
        let due = deadline.adding(nanoseconds: -timeout)
        var owed = Incident(.registryHandoverGap, [expected], since: due)
        owed.count = 1
        owed.isOpen = true
        owed.lastSent = node(expected)?.lastSent
        owed.wasRegistry = lowest == expected ? lowestHasSentFull : analyzer.registry == expected
        owed.lowestSince = lowest == expected ? lowestSince : nil
        owed.lowestCause = lowest == expected ? lowestCause : .initial
        owed.dueAt = due
        // The lowest because a lower node left that a failover or a desktop client
        // explains: the wait for its FULL is part of that story.
        if case let .lowerLeft(z) = owed.lowestCause, let zi = index(z) {
            if facts[zi].failover >= 0 {
                owed.absorbedInto = facts[zi].failover
            } else if let d = awaitingDesktop.last(where: { incidents[Int($0)].ips.first == z }) {
                owed.absorbedInto = d
            }
        }
        facts[i].owed = open(owed)
        if facts[i].owed >= 0 { openOwedNodes.append(i) }
    }

    enum OwedEnd { case full, left, lowerJoined, takenOver(IPv4Address) }

    /// The node stopped owing a FULL: it sent one, left L, was no longer the lowest,
    /// or another node took over. Decides what the incident was.
    func closeOwed(_ i: Int, at time: Timestamp, by end: OwedEnd) {
        let k = Int(facts[i].owed)
        facts[i].owed = -1
        openOwedNodes.removeAll { $0 == i }
        guard k >= 0 else { return }
        incidents[k].isOpen = false
        incidents[k].until = time
        incidents[k].end = end
        let incident = classified(incidents[k], final: false)
        incidents[k] = incident
        guard !incident.discarded else {
            if let target = incident.absorbedInto, target >= 0 { incidents[Int(target)].successorWaits += incident.count }
            return
        }
        let x = incident.ips[0]
        story(x, until: time)
        if incident.code == .desktopRegistry {
            if let l = analyzer.lowest { story(l, until: time) }
            if incident.awaitingFull { awaitingDesktop.append(Int32(k)) }
        }
        if let successor = incident.successor { story(successor, until: time) }
    }

    /// What an owed FULL was: a desktop client, a registry that fell silent, or a
    /// board that became the lowest and answered late or never. `final`: the input
    /// ended with it open.
    func classified(_ owed: Incident, final: Bool) -> Incident {
        var incident = owed
        let x = incident.ips[0]
        let xFacts = analyzer.nodes.find(x).flatMap { $0 < facts.count ? facts[$0] : nil } ?? NodeFacts()
        let counts = node(x)?.framesByType ?? FrameCounts()
        let helloOnly = counts[FrameType.hello.index] > 0 && !isBoard(x) && counts[FrameType.legacy.index] == 0
        let end = incident.until ?? lastTime ?? incident.since
        let lowestFor = end.totalNanoseconds - (incident.lowestSince ?? incident.since).totalNanoseconds
        let declared = node(x)?.declaredOffline == true
        if helloOnly && (xFacts.fromDiscoveryPort || lowestFor >= round || declared) {
            // A desktop client elected as registry: it never sends FULL.
            incident.code = .desktopRegistry
            incident.since = incident.lowestSince ?? incident.since
            if declared, case .left? = incident.end {
                incident.awaitingFull = true
                incident.declaredAt = incident.until
            }
            if final && incident.isOpen { incident.until = nil }
        } else if incident.absorbedInto != nil {
            incident.discarded = true
        } else if incident.wasRegistry {
            switch incident.end {
            case .left?, .lowerJoined?, .full?:
                // Declared offline: the failover tells it. Answered late or passed
                // on to a lower node: the events show it.
                incident.discarded = true
            case let .takenOver(successor)?:
                if let last = incident.lastSent, node(x)?.lastSent == last {
                    incident.code = .registryFailover
                    incident.ips = [x, successor]
                    incident.since = last
                    incident.successor = successor
                } else {
                    incident.discarded = true
                }
            case nil:
                if final, let last = incident.lastSent, node(x)?.lastSent == last, !declared {
                    incident.code = .registryLostUnnoticed
                    incident.since = last
                    incident.until = nil
                } else {
                    incident.discarded = final
                }
            }
        } else {
            // A board became the lowest and its FULL came late or never.
            incident.code = .registryHandoverGap
            incident.since = incident.lowestSince ?? incident.since
            if final && incident.isOpen { incident.until = nil }
        }
        return incident
    }

    // MARK: Frames

    /// One decoded frame, after the analyzer has seen it. `fromDiscoveryPort`: the
    /// datagram was sent from the discovery port.
    public func frame(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, fromDiscoveryPort: Bool) {
        lastTime = time
        guard let s = index(sender) else { return }
        if frame.type == .hello && fromDiscoveryPort { facts[s].fromDiscoveryPort = true }
        // Any frame from it ends a run of OFFLINEs about it (a return says so too).
        if facts[s].offlineRun > 0 && returnedThisFrame != sender { facts[s].offlineRun = 0 }

        switch frame.type {
        case .hello: hellos += 1
        case .legacy:
            legacyFrames += 1
            if firstLegacy == nil { firstLegacy = time }
        case .full: full(frame, from: sender, index: s, at: time)
        default: break
        }

        followLowest(at: time, fullFrom: frame.type == .full ? sender : nil)
        classifyConflicts(at: time)
        leftThisFrame = nil
        returnedThisFrame = nil
    }

    private func full(_ frame: FrameView, from sender: IPv4Address, index s: Int, at time: Timestamp) {
        fulls += 1
        if sender == lowest { lowestHasSentFull = true }
        if let awaiting = awaitingStormAnswer, time <= awaiting.deadline {
            facts[awaiting.node].runFulls += 1
            if facts[awaiting.node].storm >= 0 { incidents[Int(facts[awaiting.node].storm)].fulls += 1 }
            awaitingStormAnswer = nil
        }
        if frame.payload.count > FirmwareLimits.receiveBuffer, !(analyzer.isCrowded && suspect(sender)) {
            oversizeFull(frame, from: sender, at: time)
        }

        // The FULL it owed came.
        if facts[s].owed >= 0 { closeOwed(s, at: time, by: .full) }
        // Another node's FULL: a silent registry that owed one was taken over.
        var n = 0
        while n < openOwedNodes.count {
            let x = openOwedNodes[n]
            let k = Int(facts[x].owed)
            if k >= 0, incidents[k].wasRegistry, incidents[k].ips[0] != sender {
                closeOwed(x, at: time, by: .takenOver(sender))
            } else {
                n += 1
            }
        }
        // A failover completes with the first FULL of another node while the lost registry stays silent.
        if !openFailovers.isEmpty {
            for k in openFailovers.map(Int.init) where incidents[k].ips[0] != sender {
                incidents[k].successor = sender
                incidents[k].ips = [incidents[k].ips[0], sender]
                incidents[k].until = time
                incidents[k].isOpen = false
                story(sender, until: time)
                story(incidents[k].ips[0], until: time)
            }
            openFailovers.removeAll { incidents[Int($0)].successor != nil }
        }
        // A desktop client's incident ends when a FULL answers again.
        if !awaitingDesktop.isEmpty {
            for k in awaitingDesktop.map(Int.init) {
                incidents[k].awaitingFull = false
                incidents[k].until = time
                incidents[k].successor = sender
            }
            awaitingDesktop.removeAll(keepingCapacity: true)
            story(sender, until: time)
        }
        splitBrain(frame, from: sender, at: time)
    }

    /// The lowest address in L changed: since when, and why.
    private func followLowest(at time: Timestamp, fullFrom: IPv4Address?) {
        let now = analyzer.lowest
        guard now != lowest else { return }
        let previous = lowest
        if let previous, let now, now < previous {
            lowestCause = returnedThisFrame == now ? .returned : .joined
            // The old lowest no longer owes a FULL.
            if let p = index(previous), facts[p].owed >= 0 { closeOwed(p, at: time, by: .lowerJoined) }
        } else if let previous {
            lowestCause = .lowerLeft(previous)
        } else {
            lowestCause = .initial
        }
        lowest = now
        lowestSince = time
        lowestHasSentFull = now != nil && now == fullFrom
    }

    // MARK: Two registries

    /// FULLs from two senders that do not list each other while both are live: two
    /// groups, each with its registry. Converged when one lists the other.
    private func splitBrain(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp) {
        if analyzer.isCrowded && suspect(sender) { return }
        let entries = analyzer.fullComparison.previousEntries
        // Open split-brains of this sender: converged when its FULL lists the other.
        if !openSplits.isEmpty {
            for k in openSplits.map(Int.init) where incidents[k].ips.contains(sender) {
                let other = incidents[k].ips[0] == sender ? incidents[k].ips[1] : incidents[k].ips[0]
                if lists(entries, other) {
                    incidents[k].isOpen = false
                    incidents[k].until = time
                    incidents[k].successor = sender
                    story(sender, until: time)
                    story(other, until: time)
                } else {
                    incidents[k].fulls += 1
                }
            }
            openSplits.removeAll { !incidents[Int($0)].isOpen }
        }
        for j in recentFulls.indices where recentFulls[j].sender != sender
            && time.totalNanoseconds - recentFulls[j].time.totalNanoseconds < window {
            let other = recentFulls[j].sender
            guard node(other)?.live == true, !suspect(other), !lists(entries, other),
                  !recentFulls[j].listed.contains(sender.value) else { continue }
            if openSplits.contains(where: { incidents[Int($0)].ips.contains(sender) && incidents[Int($0)].ips.contains(other) }) { continue }
            // Spoofed FULLs from ever new senders: a few splits at a time are followed, the rest counted.
            guard openSplits.count < DiagnosisEngine.maxOpenSplits else {
                incidentsDropped += 1
                continue
            }
            var split = Incident(.splitBrain, [other, sender], since: recentFulls[j].time)
            split.isOpen = true
            split.fulls = 2
            let k = open(split)
            if k >= 0 { openSplits.append(k) }
            story(sender, until: time)
            story(other, until: time)
        }
        // Keep this FULL's addresses as the sender's latest (a repeat of the sender's
        // own previous FULL changes only the time).
        if let j = recentFulls.firstIndex(where: { $0.sender == sender }) {
            let repeated = analyzer.lastFullWasIdentical && lastFullSender == sender
            recentFulls[j].time = time
            if !repeated { keepListing(entries, at: j) }
        } else {
            let j: Int
            if recentFulls.count < DiagnosisEngine.snapshots {
                recentFulls.append(FullSnapshot(sender: sender, time: time, listed: []))
                recentFulls[recentFulls.count - 1].listed.reserveCapacity(256)
                j = recentFulls.count - 1
            } else {
                j = recentFulls.indices.min { recentFulls[$0].time < recentFulls[$1].time }!
            }
            recentFulls[j].sender = sender
            recentFulls[j].time = time
            keepListing(entries, at: j)
        }
        lastFullSender = sender
    }

    private func keepListing(_ entries: EntryBuffer, at j: Int) {
        recentFulls[j].listed.removeAll(keepingCapacity: true)
        for k in 0..<entries.count { recentFulls[j].listed.append(entries.base[k].ip) }
    }

    private func lists(_ entries: EntryBuffer, _ ip: IPv4Address) -> Bool {
        for k in 0..<entries.count where entries.base[k].ip == ip.value { return true }
        return false
    }

    /// Conflicts and unexpected FULLs of this frame that no incident explains.
    private func classifyConflicts(at time: Timestamp) {
        for (a, b) in conflictsThisFrame {
            if explained(a, at: time) || explained(b, at: time) || suspect(a) || suspect(b) { continue }
            let pair = ElectionAnalyzer.PairKey(a, b)
            if let k = pairIncidents[pair] {
                incidents[k].count += 1
                incidents[k].until = time
            } else if pairIncidents.count < DiagnosisEngine.maxPairs {
                var two = Incident(.twoRegistries, [pair.low, pair.high], since: time)
                two.count = 1
                two.until = time
                let k = open(two)
                if k >= 0 { pairIncidents[pair] = Int(k) }
            } else {
                incidentsDropped += 1
            }
        }
        conflictsThisFrame.removeAll(keepingCapacity: true)
        if let (ip, expected) = unexpectedThisFrame {
            unexpectedThisFrame = nil
            if explained(ip, at: time) || explained(expected, at: time) || suspect(ip) { return }
            guard let i = index(ip) else { return }
            if facts[i].notLowest >= 0 {
                incidents[Int(facts[i].notLowest)].count += 1
                incidents[Int(facts[i].notLowest)].until = time
            } else {
                var wrong = Incident(.registryNotLowest, [ip, expected], since: time)
                wrong.count = 1
                wrong.until = time
                facts[i].notLowest = open(wrong)
            }
        }
    }

    // MARK: Sizes, legacy, malformed

    private func oversizeFull(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp) {
        if oversize.first == nil {
            oversize.first = time
            oversize.sender = sender
            oversize.hellosAtFirst = hellos
            oversize.fullsAtFirst = fulls - 1
        } else if oversize.sender != sender {
            oversize.otherSenders += 1
        }
        oversize.count += 1
        oversize.last = time
        oversize.hellosAtLast = hellos
        oversize.fullsAtLast = fulls
        if frame.payload.count > oversize.largest {
            oversize.largest = frame.payload.count
            oversize.largestPeers = frame.peers.count
        }
    }

    /// A malformed datagram from `sender` (nil: not IPv4).
    public func malformed(from sender: IPv4Address?, at time: Timestamp) {
        malformed.count += 1
        if malformed.first == nil { malformed.first = time }
        malformed.last = time
        guard let sender else { return }
        if let count = malformed.bySender[sender] {
            malformed.bySender[sender] = count + 1
        } else if malformed.bySender.count < MalformedTally.maxSenders {
            malformed.bySender[sender] = 1
        } else {
            malformed.otherSenders += 1
        }
    }

    /// Capture time passed (after the analyzer's deadlines).
    public func clock(_ time: Timestamp) {
        if lastTime == nil || time > lastTime! { lastTime = time }
        if let awaiting = awaitingStormAnswer, time > awaiting.deadline { awaitingStormAnswer = nil }
    }
}

/// One incident as the engine follows it; its words are made when it is reported.
struct Incident {
    var code: DiagnosisCode
    var ips: [IPv4Address]
    var since: Timestamp
    var until: Timestamp?
    /// Still going on (an owed FULL, a storm, a failover waiting for a successor, a split).
    var isOpen = false
    /// Explained by another incident: not reported on its own.
    var discarded = false
    var count = 0
    var fulls = 0
    var latest: Timestamp?
    /// The node's last frame before the incident.
    var lastSent: Timestamp?
    var declaredAt: Timestamp?
    var declaredBy: IPv4Address?
    var successor: IPv4Address?
    /// FULLs the successor owed and sent late (a failover's or a desktop's aftermath).
    var successorWaits = 0
    // An owed FULL: why the node was the lowest, whether it was the registry.
    var wasRegistry = false
    var lowestSince: Timestamp?
    var lowestCause = DiagnosisEngine.LowestCause.initial
    var dueAt: Timestamp?
    var end: DiagnosisEngine.OwedEnd?
    var absorbedInto: Int32?
    /// A desktop client's incident lasts until a FULL answers again.
    var awaitingFull = false
    /// A false OFFLINE's declarer had itself been silent this long (ns) until `declarerBack`.
    var declarerSilence: Int64 = 0
    var declarerBack: Timestamp?

    init(_ code: DiagnosisCode, _ ips: [IPv4Address], since: Timestamp) {
        self.code = code
        self.ips = ips
        self.since = since
    }
}
