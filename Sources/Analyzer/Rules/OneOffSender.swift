import WireBytes

/// A stray or spoofed FULL: a FULL from a sender heard that once (no other frame from
/// it, no other node listing it). One packet is too little evidence for a registry
/// story: the incidents it would set off (a failover, an owed FULL, a conflict) are
/// not told; instead they are one `two-registries` warning that names them as one-off
/// senders, and says whether the boards plainly ignored them (their registry went on
/// sending FULLs). It never becomes the report's registry and renames no node
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

    /// One warning for all of them: each is one packet, together one story.
    func diagnose(_ ctx: DiagnosisContext) -> [Diagnosis] {
        let stray = claims.filter { ctx.isOneOff($0.ip) }
        guard let first = stray.first, let last = stray.last else { return [] }
        var text: DiagnosisMessage
        if stray.count == 1 {
            text = "\(ctx.label(first.ip)) sent a single FULL at \(time: first.at), claiming to be registry, and nothing else: a one-off sender (no other frame from it, no board listed it), a stray or spoofed packet."
        } else {
            text = "\(stray.count + notKept) one-off senders each sent a single FULL, claiming to be registry, and nothing else, from \(time: first.at) to \(time: last.at): "
            for (n, claim) in stray.prefix(5).enumerated() { text += (n == 0 ? "" : ", ") + ctx.label(claim.ip) }
            if stray.count + notKept > 5 { text += " and \(stray.count + notKept - 5) more" }
            text += ". No other frame came from them and no board listed them: stray or spoofed packets."
        }
        var ips = Array(stray.prefix(16).map(\.ip))
        // Whether the boards plainly ignored them: the registry before them sent FULLs after.
        if let registry = last.registryBefore {
            if ctx.analyzer.reigns.contains(where: { $0.ip == registry && $0.since > last.at }) {
                text += " The boards ignored \(prose: stray.count == 1 ? "it" : "them"): \(ctx.label(registry)) went on as registry."
            } else {
                text += " \(ctx.label(registry)), the registry before, sent no FULL after, up to the end of the capture."
            }
            ips.append(registry)
        }
        text += " Find the host that sent \(prose: stray.count == 1 ? "it" : "them") (its MAC address is in the capture)."
        return [Diagnosis(code: .twoRegistries, ips: ips, since: first.at, until: last.at, message: text,
                          figures: [("count", .count(stray.count + notKept)), ("one_off", .count(stray.count + notKept))])]
    }
}
