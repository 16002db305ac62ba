import DiscoveryCodec
import WireBytes

/// Why the lowest address in L is the lowest.
enum LowestCause: Equatable {
    case initial
    case joined
    case returned
    case lowerLeft(IPv4Address)
}

/// What every rule may read, and where every rule writes its incidents: the
/// analyzer's state (who is live, lowest, registry), the firmware's timing, the
/// incident log, and the few facts the engine follows for all rules (the lowest
/// node and why, the acting registry, each node's registry story, each node's frame
/// before the current one). Rules never change the analyzer.
@usableFromInline
final class DiagnosisContext {
    @usableFromInline let analyzer: ElectionAnalyzer
    let timing: FirmwareTiming
    /// The discovery port: a HELLO sent *from* it comes from a desktop client.
    let port: UInt16
    var log = IncidentLog()
    /// The latest capture time seen (live, the wall clock), and the last discovery frame's.
    @usableFromInline var lastTime: Timestamp?
    /// `lastTime` in nanoseconds (`Int64.min`: none), set with it.
    @usableFromInline var lastTimeNanoseconds = Int64.min
    var lastFrame: Timestamp?

    // The lowest address in L as the engine last saw it, since when, and why.
    var lowest: IPv4Address?
    var lowestSince: Timestamp?
    var lowestCause = LowestCause.initial
    /// The lowest has sent a FULL since it became the lowest: it acts as registry.
    var lowestHasSentFull = false
    /// The registry the boards follow: the sender of the latest FULL that was not its
    /// sender's first frame (a one-off sender's FULL claims, it does not reign).
    var actingRegistry: IPv4Address?

    /// The node the current frame's events said came back.
    var returnedThisFrame: IPv4Address?

    /// The latest time each node took part in a registry story (a failover, a
    /// desktop client, a split, a false OFFLINE, an owed FULL): conflicts and
    /// unexpected FULLs within a round of it are explained by it (`Explanations`).
    var storyUntil = NodeSlots<Timestamp?>(nil)
    /// Since when each node has been sending again after a silence of a round or more
    /// (its frame before the current one is the analyzer's `previousFromSender`).
    struct Heard {
        var backSince: Timestamp?
    }
    var heard = NodeSlots(Heard())

    init(analyzer: ElectionAnalyzer, port: UInt16) {
        self.analyzer = analyzer
        timing = FirmwareTiming(analyzer.thresholds)
        self.port = port
    }

    @inline(__always)
    func place(_ ip: IPv4Address) -> Int? { analyzer.nodes.find(ip) }

    func node(_ ip: IPv4Address) -> Node? { analyzer.nodes[ip] }

    /// A node's fields read in place (`node(_:)` copies the whole node, names and all).
    func isLive(_ ip: IPv4Address) -> Bool { analyzer.isLive(ip) }

    func firstSent(_ ip: IPv4Address) -> Timestamp? {
        guard let i = analyzer.nodes.find(ip) else { return nil }
        return analyzer.nodes.storage[i].firstSent
    }

    /// Sent FULL, PING, PONG or OFFLINE: a board, not a desktop client.
    func isBoard(_ ip: IPv4Address) -> Bool {
        guard let counts = node(ip)?.framesByType else { return false }
        return counts[FrameType.full.index] + counts[FrameType.ping.index] + counts[FrameType.pong.index]
            + counts[FrameType.offline.index] > 0
    }

    func isLegacy(_ ip: IPv4Address) -> Bool {
        guard let i = analyzer.nodes.find(ip) else { return false }
        return isLegacy(place: i)
    }

    /// The same for the node at `place`.
    @inline(__always)
    func isLegacy(place: Int) -> Bool { analyzer.nodes.storage[place].framesByType[FrameType.legacy.index] > 0 }

    /// The last frame the node at `place` sent (without copying the node).
    @inline(__always)
    func lastSent(place: Int) -> Timestamp? { analyzer.nodes.storage[place].lastSent }

    /// Heard from once only, never listed by another node, or not kept at all: one
    /// packet's worth of evidence, too little for an incident of its own.
    func isOneOff(_ ip: IPv4Address) -> Bool {
        guard let i = analyzer.nodes.find(ip) else { return true }
        return !analyzer.nodes.storage[i].isConfirmed
    }

    /// The same for the node at `place`.
    @inline(__always)
    func isOneOff(place: Int) -> Bool { !analyzer.nodes.storage[place].isConfirmed }

    /// The flood policy: while the node cap is reached (or was), an address heard
    /// only once is part of the address flood; what happens about it is the flood's.
    func isFloodNoise(_ ip: IPv4Address) -> Bool {
        guard analyzer.isCrowded || !analyzer.flood.isEmpty else { return false }
        return isOneOff(ip)
    }

    /// A label part: the address and the name the observer knows.
    func label(_ ip: IPv4Address) -> DiagnosisMessage { "\(node: ip, node(ip)?.name)" }

    // MARK: Registry stories

    /// A registry story involving `ip` lasts at least until `time`.
    func story(_ ip: IPv4Address, until time: Timestamp) {
        guard let p = place(ip) else { return }
        story(ip, place: p, until: time)
    }

    /// The same for the node at `place`.
    func story(_ ip: IPv4Address, place p: Int, until time: Timestamp) {
        let s = storyUntil.slot(p, ip)
        if let current = storyUntil[s], current > time { return }
        storyUntil[s] = time
    }

    /// `ip` took part in a registry story that ended less than a round before `time`.
    func inStory(_ ip: IPv4Address, at time: Timestamp) -> Bool {
        guard let until = storyUntil.peek(place(ip), ip) else { return false }
        return time.totalNanoseconds - until.totalNanoseconds <= timing.round
    }
}
