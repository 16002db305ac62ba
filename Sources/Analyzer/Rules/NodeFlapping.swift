import WireBytes

/// `node-flapping` (warning): a node declared offline that came back, twice or more
/// (a return that was not a false OFFLINE: it stayed away longer than T).
///
/// The firmware: a board that misses PINGs now and then (frozen, overloaded, on a
/// bad link) is declared offline by the peer whose PING it missed, and re-added when
/// it sends again. Opens at the second return; grows with every later one. Explained
/// by `legacy-firmware` about the same node (old firmware never answers PING).
struct NodeFlapping {
    /// Returns before it is flapping.
    static let threshold = 2

    struct Node {
        var firstOffline: Timestamp?
        var returns = 0
        var incident: Int32?
    }

    var nodes = NodeSlots(Node())
    /// The number of returns of each incident.
    var counts: [Int] = []

    mutating func declared(_ ip: IPv4Address, place: Int, at time: Timestamp) {
        let s = nodes.slot(place, ip)
        if nodes[s].firstOffline == nil { nodes[s].firstOffline = time }
    }

    func firstOffline(_ ip: IPv4Address, place: Int?) -> Timestamp? { nodes.peek(place, ip).firstOffline }

    mutating func returned(_ ip: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) {
        let s = nodes.slot(place, ip)
        nodes[s].returns += 1
        guard nodes[s].returns >= NodeFlapping.threshold else { return }
        if nodes[s].incident == nil {
            counts.append(nodes[s].returns)
            nodes[s].incident = ctx.log.open(.nodeFlapping, [ip], since: nodes[s].firstOffline ?? time, detail: counts.count - 1)
        }
        guard let k = nodes[s].incident else { return }
        counts[Int(ctx.log[k].detail)] = nodes[s].returns
        ctx.log[k].until = time
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let count = counts[Int(record.detail)]
        let text: DiagnosisMessage = "\(ctx.label(record.ips[0])) was declared offline and came back \(count) times, from \(time: record.since) to \(time: record.until ?? record.since): it misses PINGs now and then (frozen, overloaded or on a bad link)."
        return (text, [("count", .count(count))])
    }
}
