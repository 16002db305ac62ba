import DiscoveryCodec
import WireBytes

/// `lan-silent` (warning): no discovery frame at all for two liveness rounds or more
/// while nodes were known.
///
/// The firmware: every board PINGs one peer per round and a board alone HELLOs each
/// round, so a LAN with boards on it is never quiet for two rounds where the observer
/// sees the rounds (a mirror port, or a board's own interface: PINGs and PONGs heard
/// up to the silence). On a switched port a healthy LAN sends nothing visible in steady
/// state (PING and PONG are unicast), so there silence says nothing and is not told. When a switch, a
/// shared power strip or the sensor's own link fails, every board falls silent at
/// once and nobody is left to declare anyone offline: that is one incident, not a
/// death per board. Opens by the clock (live, with no packet needed) two rounds after
/// the last frame; closes when frames come back. It explains what its silence would
/// otherwise be told as: FULLs owed and never sent, a registry lost, nodes lost
/// (`Explanations`). Rates elsewhere are taken over the span of the traffic, not of
/// the silence.
@usableFromInline
struct LanSilent {
    /// Rounds without a frame before the LAN is silent.
    static let rounds: Int64 = 2
    static let lastSenders = 5

    /// The last discovery frame and the last PING or PONG (ns of capture time), two
    /// rounds and one round (ns), and the incident while it lasts.
    @usableFromInline var lastFrameAt = Int64.min
    var lastLivenessAt = Int64.min
    @usableFromInline let twoRounds: Int64
    let round: Int64
    var incident: Int32?

    init(_ timing: FirmwareTiming) {
        twoRounds = LanSilent.rounds * timing.round
        round = timing.round
    }

    /// A discovery frame: the LAN speaks; a silence ends.
    @inline(__always)
    mutating func frame(type: FrameType, at time: Timestamp, _ ctx: DiagnosisContext) {
        let now = time.totalNanoseconds
        if type == .ping || type == .pong { lastLivenessAt = now }
        if let k = incident {
            ctx.log.close(k, at: time)
            incident = nil
        }
        lastFrameAt = now
    }

    /// Capture time (or, live, the wall clock) reached `now`: two rounds without a
    /// frame, where the observer saw the liveness rounds up to the last one, open it.
    @inline(__always)
    @inlinable
    mutating func clock(_ now: Timestamp, _ ctx: DiagnosisContext) {
        guard now.totalNanoseconds &- lastFrameAt >= twoRounds, lastFrameAt != .min else { return }
        open(ctx)
    }

    @inline(never) @usableFromInline
    mutating func open(_ ctx: DiagnosisContext) {
        guard incident == nil, lastLivenessAt != .min, lastFrameAt - lastLivenessAt <= round, ctx.analyzer.liveCount > 0, let since = ctx.lastFrame else { return }
        incident = ctx.log.open(.lanSilent, lastHeard(ctx), since: since, detail: 0, isOpen: true)
    }

    /// The nodes heard last, the latest first (one scan, when a silence opens).
    func lastHeard(_ ctx: DiagnosisContext) -> [IPv4Address] {
        var latest: [(ip: IPv4Address, at: Timestamp)] = []
        for node in ctx.analyzer.nodes.storage {
            guard let at = node.lastSent else { continue }
            latest.append((node.ip, at))
        }
        return latest.sorted { $0.at > $1.at }.prefix(LanSilent.lastSenders).map(\.ip)
    }

    /// The time a silence's rates must not run into: the last frame.
    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let end = record.until ?? ctx.lastTime ?? record.since
        let silence = end.seconds(since: record.since)
        var last = DiagnosisMessage()
        for (n, ip) in record.ips.enumerated() { last += (n == 0 ? "" : ", ") + ctx.label(ip) }
        var text: DiagnosisMessage = "No discovery frame at all from \(time: record.since) "
        if let until = record.until {
            text += "to \(time: until) (\(span: silence)), when frames came back"
        } else {
            text += "on, \(span: silence) so far"
        }
        text += ", while \(ctx.analyzer.liveCount) node\(prose: plural(ctx.analyzer.liveCount)) were known; the last heard: \(last). Every board PINGs a peer each liveness round (\(span: Double(ctx.timing.round) / 1e9)), so a LAN with boards on it is never silent this long: the sensor's link, the switch or the LAN's power failed, not each board. Check the sensor's cable and port first, then the switch and the boards' power."
        return (text, [("silent_s", .seconds(silence))])
    }
}
