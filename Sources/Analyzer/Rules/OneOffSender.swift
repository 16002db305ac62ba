import WireBytes

/// A stray or spoofed FULL: a FULL from a sender heard that once (no other frame from
/// it, no other node listing it). One packet is too little evidence for a registry
/// story: the incidents it would set off (a failover, an owed FULL, a conflict) are
/// not told; instead each such sender is one `two-registries` warning that names it as
/// a one-off sender, and says whether the boards plainly ignored it (their registry
/// went on sending FULLs). It never becomes the report's registry and renames no node
/// that named itself (`ElectionAnalyzer`). During an address flood, the flood tells it.
struct OneOffSender {
    static let maxKept = 16

    struct Claim {
        var ip: IPv4Address
        var at: Timestamp
        var registryBefore: IPv4Address?
    }

    var claims: [Claim] = []
    var notKept = 0

    /// A FULL from `ip`, its first frame.
    mutating func full(from ip: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        guard claims.count < OneOffSender.maxKept else {
            notKept += 1
            return
        }
        claims.append(Claim(ip: ip, at: time, registryBefore: ctx.actingRegistry))
    }

    /// The senders still one-off at the end: their incidents are theirs.
    func strays(_ ctx: DiagnosisContext) -> Set<IPv4Address> {
        Set(claims.filter { ctx.isOneOff($0.ip) }.map(\.ip))
    }

    func diagnose(_ ctx: DiagnosisContext) -> [Diagnosis] {
        var out: [Diagnosis] = []
        for claim in claims where ctx.isOneOff(claim.ip) {
            var text: DiagnosisMessage = "\(ctx.label(claim.ip)) sent a single FULL at \(time: claim.at), claiming to be registry, and nothing else: a one-off sender (no other frame from it, no board listed it), a stray or spoofed packet."
            var ips = [claim.ip]
            if let registry = claim.registryBefore,
               ctx.analyzer.history.contains(where: { $0.ip == registry && $0.since > claim.at }) {
                text += " The boards ignored it: \(ctx.label(registry)) went on as registry."
                ips.append(registry)
            } else if let registry = claim.registryBefore {
                text += " \(ctx.label(registry)), the registry before it, sent no FULL after it, up to the end of the capture."
                ips.append(registry)
            }
            text += " Find the host that sent it (its MAC address is in the capture)."
            out.append(Diagnosis(code: .twoRegistries, ips: ips, since: claim.at, until: claim.at, message: text,
                                 figures: [("count", .count(1)), ("one_off", .count(1))]))
        }
        return out
    }
}
