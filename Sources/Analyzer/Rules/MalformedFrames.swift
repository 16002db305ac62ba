import WireBytes

/// `malformed-frames` (warning): datagrams on the discovery port that do not decode.
/// The boards' decoder is lenient (it ignores a FULL's missing tail and bytes past the
/// end, and tries JSON for an unknown type), so they may read them differently than
/// they were meant. Names the senders that sent the most.
struct MalformedFrames {
    static let maxSenders = 64

    var count = 0
    var first: Timestamp?
    var last: Timestamp?
    var bySender: [IPv4Address: Int] = [:]
    var otherSenders = 0

    mutating func malformed(from sender: IPv4Address?, at time: Timestamp) {
        count += 1
        if first == nil { first = time }
        last = time
        guard let sender else { return }
        if let n = bySender[sender] {
            bySender[sender] = n + 1
        } else if bySender.count < MalformedFrames.maxSenders {
            bySender[sender] = 1
        } else {
            otherSenders += 1
        }
    }

    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        guard let first else { return nil }
        let senders = bySender.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let more = senders.count - min(senders.count, 5) + otherSenders
        var text: DiagnosisMessage = "\(count) malformed datagram\(prose: plural(count)) on the discovery port from \(time: first)"
        if !senders.isEmpty {
            text += ", from "
            for (n, sender) in senders.prefix(5).enumerated() { text += (n == 0 ? "" : ", ") + ctx.label(sender.key) + " (\(sender.value))" }
            if more > 0 { text += " and \(more) more sender\(prose: plural(more))" }
        }
        text += ": the boards' lenient decoder may read them differently than they were meant. See --malformed for the bytes."
        return Diagnosis(code: .malformedFrames, ips: senders.prefix(16).map(\.key), since: first, until: last, message: text,
                         figures: [("count", .count(count))])
    }
}
