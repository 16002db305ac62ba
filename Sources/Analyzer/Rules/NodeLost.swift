import DiscoveryCodec
import WireBytes

/// `node-lost` (note): a node that is not the registry fell silent, was declared
/// offline and never came back.
///
/// The firmware: a dead board sends nothing more; a board whose liveness round PINGs
/// it gets no answer and broadcasts OFFLINE. Told at the end of what was read, for
/// every node still declared offline. Explained by the registry stories about the
/// same node (`registry-failover`, `desktop-registry`, `registry-lost-unnoticed`) and
/// by `legacy-firmware` (`Explanations`).
struct NodeLost {
    /// At most this many lost nodes are told.
    static let maxTold = 64

    /// `ripeBefore`: only nodes declared offline before it (a node is lost once it has
    /// stayed away a round; nil: the input ended, every one).
    func diagnose(_ ctx: DiagnosisContext, storm: OfflineStorm, falseOffline: FalseOffline, flapping: NodeFlapping,
                  ripeBefore: Timestamp? = nil) -> [Diagnosis] {
        var out: [Diagnosis] = []
        for node in ctx.analyzer.nodes.storage where node.declaredOffline {
            guard out.count < NodeLost.maxTold else { break }
            let place = ctx.place(node.ip)
            let run = place.map { storm.run($0, node.ip) } ?? OfflineStorm.Run()
            let accused = falseOffline.nodes.peek(place, node.ip)
            if let ripeBefore {
                // While it lasts: a round away, and not a node that flaps (it came back
                // twice already: told as flapping, lost only if the input ends with it away).
                if node.timesReturned >= NodeFlapping.threshold { continue }
                if let declared = run.start ?? accused.offlineAt, declared > ripeBefore { continue }
            }
            let since = node.lastSent ?? flapping.firstOffline(node.ip, place: place) ?? accused.offlineAt ?? ctx.lastTime!
            var text: DiagnosisMessage = node.lastSent.map { "\(ctx.label(node.ip)) fell silent at \(time: $0)" } ?? "\(ctx.label(node.ip)), never heard itself,"
            if let at = run.start {
                text += " and was declared offline at \(time: at)"
                if run.count == 1, let by = accused.offlineBy { text += " by \(by)" }
            } else {
                text += " and was declared offline"
            }
            text += "; it never came back. Check its power or link if it should be running."
            out.append(Diagnosis(code: .nodeLost, ips: [node.ip], since: since, until: nil, message: text))
        }
        return out
    }
}
