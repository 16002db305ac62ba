import DiscoveryCodec
import WireBytes

/// `node-restarted` (note): a live node booted again.
///
/// The firmware: a board HELLOs about 10 s after power-on (the boot delay, 10/3 T). A
/// board that loses power or crashes for less time than its peers take to declare it
/// offline (up to two rounds) is still in everyone's list when its boot HELLO comes:
/// nobody notices anything, and a registry's glitch leaves HELLOs unanswered meanwhile.
///
/// A HELLO from a board in L (no OFFLINE about it since its last frame: that would be
/// a return) that runs the firmware (it sent PING, PONG, FULL or OFFLINE: a desktop
/// client HELLOs again and again by design), after a silence of at least the boot
/// delay, and not
/// explained by a FULL that left it out since its last frame (the firmware HELLOs
/// again when a FULL does not list it; a FULL over the receive buffer may cut it off).
struct NodeRestarted {
    struct Detail {
        var silence: Double
        var wasRegistry: Bool
    }

    var details: [Detail] = []

    /// A HELLO from `ip`, whose frame before it was at `previous`.
    mutating func hello(from ip: IPv4Address, previous: Timestamp?, at time: Timestamp, lastOversize: Timestamp?,
                        latestFullWithout: Timestamp?, _ ctx: DiagnosisContext) {
        guard let previous, ctx.returnedThisFrame != ip, let node = ctx.node(ip), node.live,
              time.totalNanoseconds - previous.totalNanoseconds >= ctx.timing.bootDelay else { return }
        guard ctx.isBoard(ip) else { return }
        if let cut = lastOversize, cut > previous { return }
        if let without = latestFullWithout, without > previous { return }
        details.append(Detail(silence: time.seconds(since: previous), wasRegistry: ctx.actingRegistry == ip))
        let k = ctx.log.open(.nodeRestarted, [ip], since: previous, detail: details.count - 1)
        if let k { ctx.log[k].until = time }
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let d = details[Int(record.detail)]
        let x = record.ips[0]
        var text: DiagnosisMessage = "\(ctx.label(x)) booted again: its HELLO at \(time: record.until ?? record.since) came after \(span: d.silence) of silence (its last frame at \(time: record.since)), with no OFFLINE about it and no FULL that left it out. It lost power or crashed and restarted before any board declared it offline (a board HELLOs \(span: Double(ctx.timing.bootDelay) / 1e9) after power-on)."
        if d.wasRegistry {
            text += " It is the registry: while it was down, HELLOs and OFFLINEs went unanswered."
        }
        text += " If it repeats, check \(x)'s power supply."
        return (text, [("silent_s", .seconds(d.silence))])
    }
}
