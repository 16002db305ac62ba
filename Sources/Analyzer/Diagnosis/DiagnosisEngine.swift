import DiscoveryCodec
import WireBytes

/// Follows the frames, the election events and each node's activity as they pass,
/// and tells the story of each incident: the failure modes of PROTOCOL.md's "How
/// discovery goes wrong", one rule a file (`Sources/Analyzer/Rules`), each recognised
/// from the firmware's behaviour and measured in units of `FirmwareTiming`.
///
/// The engine composes the rules as concrete stored values and calls each in turn
/// (no existential array, no allocation per frame), as swift-certificates'
/// `RFC5280Policy` composes its sub-policies. It sits beside the election rules: it
/// reads the analyzer's state and its events, never changes them. The flood policy is
/// applied here, where each input comes in (an OFFLINE, an owed FULL, a frame), and
/// once more to what is reported; what explains what is `Explanations`.
public final class DiagnosisEngine {
    @usableFromInline let ctx: DiagnosisContext

    var owedFull = OwedFull()
    var failover = RegistryFailover()
    var storm = OfflineStorm()
    var flapping = NodeFlapping()
    var falseOffline = FalseOffline()
    var splitBrain = SplitBrain()
    var twoRegistries = TwoRegistries()
    var oversize = OversizeFull()
    var legacy = LegacyFirmware()
    var malformedFrames = MalformedFrames()
    var restarted = NodeRestarted()
    var oneOff = OneOffSender()
    @usableFromInline var lanSilent: LanSilent
    var mismatch = ThresholdsMismatch()
    var stream = IncidentStream()
    /// The address flood began (the stream looks again once).
    var floodTold = false
    /// The stream looks again no sooner than this (capture time, ns).
    @usableFromInline var nextPoll = Int64.min

    /// Whether the incident stream may look again at `now` (one comparison: the
    /// caller asks at every packet).
    @inline(__always)
    @inlinable
    public func pollDue(_ now: Timestamp) -> Bool { now.totalNanoseconds >= nextPoll }
    let nodeLost = NodeLost()
    let addressFlood = AddressFloodRule()

    /// Incidents not followed beyond the log's bound.
    public var incidentsDropped: Int { ctx.log.dropped }
    /// The latest capture time seen.
    public var lastTime: Timestamp? { ctx.lastTime }

    public init(analyzer: ElectionAnalyzer, port: UInt16 = 37020) {
        ctx = DiagnosisContext(analyzer: analyzer, port: port)
        lanSilent = LanSilent(ctx.timing)
    }

    // MARK: Events

    /// An election event, as the analyzer emits it.
    public func event(_ event: ElectionEvent) {
        switch event.detail {
        case let .nodeDeclaredOffline(ip, by):
            declaredOffline(ip, by: by, at: event.time)
        case let .nodeReturned(ip):
            returned(ip, at: event.time)
        case let .registrySilent(expected, after):
            // A FULL owed for a one-off address's HELLO during a flood, or by one, is the flood's.
            if let after, ctx.isFloodNoise(after) { break }
            if ctx.isFloodNoise(expected) { break }
            late(expected, deadline: event.time)
        case let .registryConflict(ips) where ips.count == 2:
            twoRegistries.conflict(ips[0], ips[1])
        case let .registryUnexpected(ip, expected):
            twoRegistries.unexpected(ip, expected: expected)
        default:
            // No rule follows `peers-changed`: the bridge's relay to the engine alone does
            // not take it (`ElectionEventSink.takesPeersChanged`). A rule that does must
            // make that relay take it.
            break
        }
    }

    private func declaredOffline(_ ip: IPv4Address, by: IPv4Address, at time: Timestamp) {
        guard let place = ctx.place(ip) else { return }
        if ctx.analyzer.isCrowded && (ctx.isFloodNoise(ip) || ctx.isFloodNoise(by)) { return }
        let last = ctx.lastSent(place: place)
        storm.declared(ip, place: place, at: time, lastSent: last, ctx)
        let firstOfRun = storm.run(place, ip).count == 1
        falseOffline.declared(ip, place: place, by: by, at: time, lastSent: last, firstOfRun: firstOfRun, ctx)
        flapping.declared(ip, place: place, at: time)
        // The registry declared offline: a failover begins (complete when another node takes over).
        let actedAsRegistry = ctx.actingRegistry == ip || (ip == ctx.lowest && ctx.lowestHasSentFull)
        if firstOfRun, actedAsRegistry, !ctx.isOneOff(ip) {
            failover.declared(ip, place: place, by: by, at: time, lastSent: last, ctx)
        }
        // A node that owed a FULL leaves L: its wait ends.
        if owedFull.owes(ip, place: place) { owedFull.end(ip, place: place, at: time, by: .left, ctx, failover: &failover) }
    }

    private func returned(_ ip: IPv4Address, at time: Timestamp) {
        guard let place = ctx.place(ip) else { return }
        ctx.returnedThisFrame = ip
        if falseOffline.returned(ip, place: place, at: time, ctx) {
            // A registry falsely declared offline did not fail over.
            failover.discard(ip, place: place, ctx)
        } else {
            flapping.returned(ip, place: place, at: time, ctx)
            failover.returned(ip, place: place, at: time, ctx)
        }
        storm.heardFrom(ip, place: place, at: time, ctx)
    }

    /// A FULL owed by `expected` did not come by `deadline`.
    private func late(_ expected: IPv4Address, deadline: Timestamp) {
        guard let place = ctx.place(expected) else { return }
        // The lowest because a lower node left whose failover (or desktop client) still
        // waits for a successor: the wait for its FULL is part of that story.
        var absorbedInto: Int32?
        if ctx.lowest == expected, case let .lowerLeft(z) = ctx.lowestCause, !ctx.lowestHasSentFull {
            absorbedInto = failover.waitingSuccession(of: z, ctx) ?? owedFull.waitingDesktop(about: z, ctx)
        }
        owedFull.late(expected, place: place, deadline: deadline, absorbedInto: absorbedInto, ctx)
    }

    // MARK: Frames

    /// One decoded frame, after the analyzer has seen it. `fromDiscoveryPort`: the
    /// datagram was sent from the discovery port.
    public func frame(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, fromDiscoveryPort: Bool) {
        self.frame(frame, from: sender, place: -1, at: time, fromDiscoveryPort: fromDiscoveryPort)
    }

    /// The same, with the sender's place as `ElectionAnalyzer.observe` returned it (one
    /// lookup fewer; checked, since a FULL's listings may have given it away).
    public func frame(_ frame: FrameView, from sender: IPv4Address, place known: Int, at time: Timestamp, fromDiscoveryPort: Bool) {
        ctx.lastTime = time
        ctx.lastTimeNanoseconds = time.totalNanoseconds
        ctx.lastFrame = time
        let place: Int
        if known >= 0, ctx.analyzer.nodes.storage[known].ip == sender {
            place = known
        } else {
            guard let found = ctx.place(sender) else { return }
            place = found
        }
        // The flood policy: while the cap is reached, a one-off sender's frame is the flood's.
        let floodNoise = ctx.analyzer.isCrowded && ctx.isFloodNoise(sender)
        // The sender's frame before this one (the analyzer has just seen this one). At
        // another place than the analyzer saw it at, the node is new there: none.
        let previous = place == ctx.analyzer.previousFromSenderPlace ? ctx.analyzer.previousFromSender : nil
        lanSilent.frame(type: frame.type, at: time, ctx)
        if !floodTold && ctx.analyzer.isCrowded && !ctx.analyzer.flood.isEmpty {
            floodTold = true
            ctx.log.touch()
        }
        // A frame from a node in a run of OFFLINEs about it is its return (the analyzer
        // says so, and `returned` ends the run): nothing to do here per frame.

        switch frame.type {
        case .hello:
            owedFull.hello(from: sender, place: place, fromDiscoveryPort: fromDiscoveryPort)
            oversize.hello(from: sender, ctx)
            if let previous, time.totalNanoseconds - previous.totalNanoseconds >= ctx.timing.bootDelay {
                restarted.hello(from: sender, previous: previous, at: time, lastOversize: oversize.last,
                                latestFullWithout: splitBrain.latestFull(without: sender), ctx)
            }
        case .legacy:
            if legacy.first == nil { ctx.log.touch() }
            legacy.legacy(at: time)
        case .ping:
            let before = mismatch.intervals
            mismatch.ping(from: sender, place: place, at: time, ctx)
            // Enough intervals to judge: the stream looks again (later, at its next look).
            if before < ThresholdsMismatch.minimumIntervals && mismatch.intervals >= ThresholdsMismatch.minimumIntervals {
                ctx.log.touch()
            }
        case .full:
            full(frame, from: sender, place: place, at: time, floodNoise: floodNoise)
        default:
            break
        }

        followLowest(at: time, fullFrom: frame.type == .full ? sender : nil)
        if twoRegistries.hasPending {
            if floodNoise { twoRegistries.forgetFrame() }
            twoRegistries.endOfFrame(at: time, ctx)
        }
        // Back after a silence of a round or more.
        if let previous, time.totalNanoseconds - previous.totalNanoseconds >= ctx.timing.round {
            ctx.heard[ctx.heard.slot(place, sender)].backSince = time
        }
        ctx.returnedThisFrame = nil
    }

    private func full(_ frame: FrameView, from sender: IPv4Address, place: Int, at time: Timestamp, floodNoise: Bool) {
        if sender == ctx.lowest { ctx.lowestHasSentFull = true }
        storm.full(at: time, ctx)
        if !floodNoise {
            let before = oversize.count
            oversize.full(frame, from: sender, at: time)
            if before == 0 && oversize.count > 0 { ctx.log.touch() }
        }
        // The FULL it owed came.
        if owedFull.owes(sender, place: place) { owedFull.end(sender, place: place, at: time, by: .full, ctx, failover: &failover) }
        if !floodNoise { splitBrain.full(frame, from: sender, at: time, ctx) }
        // A FULL that is all that was heard of its sender claims; it does not reign,
        // take over or complete a failover (a stray or spoofed FULL: `OneOffSender`).
        guard !ctx.isOneOff(place: place) else {
            if ctx.analyzer.flood.isEmpty {
                oneOff.full(from: sender, at: time, ctx)
                ctx.log.touch()
            }
            return
        }
        ctx.actingRegistry = sender
        // Another node's FULL: a silent registry that owed one was taken over.
        while let owing = owedFull.owingRegistry(besides: sender, ctx) {
            owedFull.end(owing.ip, place: owing.place, at: time, by: .takenOver(sender), ctx, failover: &failover)
        }
        failover.full(from: sender, at: time, ctx)
        owedFull.full(from: sender, at: time, ctx)
    }

    /// The lowest address in L changed: since when, and why.
    private func followLowest(at time: Timestamp, fullFrom: IPv4Address?) {
        let now = ctx.analyzer.lowest
        guard now != ctx.lowest else { return }
        let previous = ctx.lowest
        if let previous, let now, now < previous {
            ctx.lowestCause = ctx.returnedThisFrame == now ? .returned : .joined
            // The old lowest no longer owes a FULL.
            if let p = ctx.place(previous), owedFull.owes(previous, place: p) {
                owedFull.end(previous, place: p, at: time, by: .lowerJoined, ctx, failover: &failover)
            }
        } else if let previous {
            ctx.lowestCause = .lowerLeft(previous)
        } else {
            ctx.lowestCause = .initial
        }
        ctx.lowest = now
        ctx.lowestSince = time
        ctx.lowestHasSentFull = now != nil && now == fullFrom
    }

    /// A malformed datagram from `sender` (nil: not IPv4).
    public func malformed(from sender: IPv4Address?, at time: Timestamp) {
        if malformedFrames.count == 0 { ctx.log.touch() }
        malformedFrames.malformed(from: sender, at: time)
    }

    /// Capture time passed (after the analyzer's deadlines).
    @inlinable
    public func clock(_ time: Timestamp) {
        let now = time.totalNanoseconds
        if now > ctx.lastTimeNanoseconds {
            ctx.lastTime = time
            ctx.lastTimeNanoseconds = now
        }
        lanSilent.clock(time, ctx)
    }

    /// Capture time reached `time`, for the analyzer this engine follows and then for
    /// the engine: the analyzer's deadlines pass first, then the engine's clock. True
    /// when the incident stream may look again (`pollDue`). One call a packet where
    /// three were. (In line: with link-time optimisation the bridge takes it whole, its
    /// rare paths left out of line.)
    @inlinable
    public func advance(to time: Timestamp) -> Bool {
        ctx.analyzer.advance(to: time)
        clock(time)
        return pollDue(time)
    }

    /// The last discovery frame's capture time.
    public var lastFrameTime: Timestamp? { ctx.lastFrame }
}
