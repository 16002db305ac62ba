import DiscoveryCodec
import WireBytes

/// `full-exceeds-receive-buffer` (error): FULLs longer than the boards' 1024-byte
/// receive buffer, and the HELLO/FULL storm they cause.
///
/// The firmware reads with a 1024-byte buffer: a longer FULL is cut on every board,
/// the boards past the cut HELLO again, and the registry answers each HELLO with
/// another FULL (hundreds a second). Past about 40 boards with long names this is the
/// boards' own doing; during an address flood (HELLOs from one-off addresses the
/// registry lists) it is the flood's, and the words say so. Counted from the first
/// such FULL; over once none has come for a liveness round.
struct OversizeFull {
    var count = 0
    var first: Timestamp?
    var last: Timestamp?
    var largest = 0
    var largestPeers = 0
    var sender: IPv4Address?
    var otherSenders = 0
    /// HELLOs and FULLs seen in all, and when the first oversize FULL came.
    var hellos = 0, fulls = 0
    var hellosAtFirst = 0, fullsAtFirst = 0
    /// HELLOs from one-off senders since the first oversize FULL.
    var oneOffHellos = 0

    mutating func hello(from ip: IPv4Address, _ ctx: DiagnosisContext) {
        hellos += 1
        if first != nil, ctx.isOneOff(ip) { oneOffHellos += 1 }
    }

    mutating func full(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp) {
        fulls += 1
        guard frame.payload.count > FirmwareLimits.receiveBuffer else { return }
        if first == nil {
            first = time
            self.sender = sender
            hellosAtFirst = hellos
            fullsAtFirst = fulls - 1
        } else if self.sender != sender {
            otherSenders += 1
        }
        count += 1
        last = time
        if frame.payload.count > largest {
            largest = frame.payload.count
            largestPeers = frame.peers.count
        }
    }

    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        guard let first, let last, let sender else { return nil }
        let hellos = hellos - hellosAtFirst
        let fulls = fulls - fullsAtFirst
        // Rates over the span of the traffic, not of a silence after it.
        let end = max(last, ctx.lastFrame ?? last)
        let seconds = end.seconds(since: first)
        // Most of the HELLOs came from addresses heard once: an address flood drives it.
        let flood = hellos > 0 && oneOffHellos * 2 > hellos
        var text: DiagnosisMessage = "\(count) FULL\(prose: plural(count)) from \(ctx.label(sender))\(prose: otherSenders > 0 ? " and others" : "") \(prose: count == 1 ? "was" : "were") longer than the boards' 1024-byte receive buffer (the largest \(largest) bytes, \(largestPeers) peers), from \(time: first): every board reads them cut and loses the peers past the cut."
        var figures: [(name: String, value: Diagnosis.Figure)] = [("count", .count(count)), ("largest_bytes", .count(largest))]
        if seconds > 0 {
            let rate = Double(hellos + fulls) / seconds
            text += flood
                ? " The HELLOs came from one-off addresses (\(oneOffHellos) of \(hellos) from senders heard once), and the registry answers each with another FULL listing them: \(hellos) HELLOs and \(fulls) FULLs in \(span: seconds) (\(Int(rate.rounded())) a second)."
                : " The boards missing from the list HELLO again and the registry answers each with another FULL: \(hellos) HELLOs and \(fulls) FULLs in \(span: seconds) (\(Int(rate.rounded())) a second)."
            figures += [("hellos", .count(hellos)), ("fulls", .count(fulls)), ("per_second", .seconds(rate))]
        }
        text += flood
            ? " The boards are not at fault: find the host sending HELLOs from invented addresses (its MAC address is in the capture); the FULLs shrink once it stops and the addresses are declared offline."
            : " Shorter names or fewer boards per network keep FULL under 1024 bytes."
        // Over once no FULL too long has come for a liveness round: it lasts no more.
        let over = end.totalNanoseconds - last.totalNanoseconds > ctx.timing.round ? last : nil
        return Diagnosis(code: .fullExceedsReceiveBuffer, ips: [sender], since: first, until: over, message: text, figures: figures)
    }

    /// Going on now: the last oversize FULL less than a round ago.
    func isGoingOn(now: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        guard let last else { return false }
        return now.totalNanoseconds - last.totalNanoseconds <= ctx.timing.round
    }
}
