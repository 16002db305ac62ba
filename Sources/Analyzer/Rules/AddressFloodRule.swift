import DiscoveryCodec
import WireBytes

/// `address-flood` (warning): more addresses than peersniff keeps (`--max-nodes`).
///
/// The firmware adds every HELLO sender as a peer and lists up to 255 addresses a FULL,
/// so anyone on the LAN can invent addresses. The node cap keeps the boards (heard
/// from twice, or heard and listed by another node) and counts the rest
/// (`AddressFlood`). Dated from the flood's first address (the first one-off address
/// of those that filled the table), not from the moment the cap filled; the senders
/// named are those that brought the addresses, never a board that only listed
/// addresses it heard (its FULLs list the flood's HELLO senders). While the cap is
/// reached, what happens about a one-off address is the flood's (`Explanations`).
struct AddressFloodRule {
    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        let flood = ctx.analyzer.flood
        guard !flood.isEmpty, let capFilled = flood.first else { return nil }
        let first = ctx.analyzer.floodStart ?? capFilled
        let addresses = flood.distinctAddresses, senders = flood.distinctSenders
        // A FULL sender that is a confirmed board only listed what it heard.
        let top = flood.topSenders.filter { !isListingBoard($0.ip, ctx) }.prefix(5)
        var text: DiagnosisMessage = "\(prose: approximately(addresses)) address\(prose: addresses == 1 ? "" : "es") beyond the node cap (\(ctx.analyzer.maxNodes)) were counted, not kept, from \(time: first)"
        if let last = flood.last, last > first { text += " to \(time: last)" }
        text += ": spoofed or invented, since anyone on the LAN can send discovery frames from any address and a FULL can list 255. They came from \(prose: approximately(senders)) sender\(prose: senders == 1 ? "" : "s")"
        let recent = flood.recentSenders.filter { !isListingBoard($0, ctx) }
        if senders > top.count, !top.isEmpty {
            text += "; the most from "
            for (n, s) in top.enumerated() { text += (n == 0 ? "" : ", ") + ctx.label(s.ip) + " (at least \(s.count))" }
        } else if !top.isEmpty {
            text += ": "
            for (n, s) in top.enumerated() { text += (n == 0 ? "" : ", ") + ctx.label(s.ip) }
        } else if !recent.isEmpty {
            text += ", none standing out (each announced itself); the last: "
            for (n, ip) in recent.enumerated() { text += (n == 0 ? "" : ", ") + ctx.label(ip) }
        }
        text += ". Boards heard from twice keep their place, so the diagnoses of the real boards stand. Find the host sending them (its MAC address is in the capture); raise --max-nodes only if the LAN really has this many devices."
        return Diagnosis(code: .addressFlood, ips: top.isEmpty ? recent : top.map(\.ip), since: first, until: flood.last, message: text,
                         figures: [("count", .count(addresses)), ("times", .count(flood.times)), ("senders", .count(senders))])
    }

    /// A confirmed board that sends FULLs, while the addresses came from many senders:
    /// it lists the flood's addresses because it heard their HELLOs, it did not invent them.
    private func isListingBoard(_ ip: IPv4Address, _ ctx: DiagnosisContext) -> Bool {
        guard let node = ctx.node(ip), ctx.analyzer.flood.distinctSenders > 1 else { return false }
        return node.isConfirmed && node.framesByType[FrameType.full.index] > 0
    }
}
