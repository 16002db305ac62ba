import DiscoveryCodec
import WireBytes

/// `offline-storm` (warning): a node declared offline three times or more with no
/// frame from it in between.
///
/// The firmware: an OFFLINE(x) makes every other board PING x "to check"; x does not
/// answer, so each of them broadcasts OFFLINE(x) a round later, and the registry
/// answers every OFFLINE with a FULL. While x stays dead it never stops. It is a
/// consequence of x's silence, not a flapping node.
///
/// Opens at the third OFFLINE of a run; closes when x sends a frame again. Counts the
/// FULLs that answer the OFFLINEs (a FULL within T of an OFFLINE still unanswered,
/// oldest first, so that two OFFLINEs answered by two FULLs count two). Explained by
/// `legacy-firmware` about the same node (`Explanations`).
struct OfflineStorm {
    /// OFFLINEs in a run before it is a storm.
    static let threshold = 3

    struct Run {
        /// OFFLINEs about it since its last frame, the first, and the FULLs that answered them.
        var count = 0
        var start: Timestamp?
        var fulls = 0
        /// Its last frame before the run.
        var lastSent: Timestamp?
        var incident: Int32?
    }

    struct Detail {
        var count: Int
        var fulls: Int
        var latest: Timestamp
        var lastSent: Timestamp?
    }

    var runs = NodeSlots(Run())
    var details: [Detail] = []
    /// OFFLINEs not yet answered by a FULL (the oldest first): the node's place and
    /// address, and until when. A ring of `maxUnanswered`; the oldest gives way.
    struct Unanswered {
        var place: Int
        var ip: IPv4Address
        var deadline: Timestamp
    }
    var unanswered: [Unanswered]
    var oldest = 0, waiting = 0
    static let maxUnanswered = 16

    init() {
        unanswered = Array(repeating: Unanswered(place: 0, ip: IPv4Address(0), deadline: Timestamp(seconds: 0, nanoseconds: 0)),
                           count: OfflineStorm.maxUnanswered)
    }

    /// OFFLINEs about the node at `place` since its last frame (1 for the first).
    func run(_ place: Int, _ ip: IPv4Address) -> Run { runs.peek(place, ip) }

    mutating func declared(_ ip: IPv4Address, place: Int, at time: Timestamp, lastSent: Timestamp?, _ ctx: DiagnosisContext) {
        let s = runs.slot(place, ip)
        runs[s].count += 1
        if runs[s].count == 1 {
            runs[s].start = time
            runs[s].fulls = 0
            runs[s].lastSent = lastSent
        }
        if waiting == OfflineStorm.maxUnanswered { oldest = (oldest + 1) % OfflineStorm.maxUnanswered; waiting -= 1 }
        unanswered[(oldest + waiting) % OfflineStorm.maxUnanswered] = Unanswered(place: place, ip: ip, deadline: time.adding(nanoseconds: ctx.timing.registryTimeout))
        waiting += 1

        if runs[s].count == OfflineStorm.threshold {
            details.append(Detail(count: runs[s].count, fulls: runs[s].fulls, latest: time, lastSent: runs[s].lastSent))
            runs[s].incident = ctx.log.open(.offlineStorm, [ip], since: runs[s].start!, detail: details.count - 1, isOpen: true)
        } else if let k = runs[s].incident {
            let d = Int(ctx.log[k].detail)
            details[d].count = runs[s].count
            details[d].latest = time
        }
    }

    /// A FULL: the answer to the oldest OFFLINE still waiting for one.
    mutating func full(at time: Timestamp, _ ctx: DiagnosisContext) {
        while waiting > 0, time > unanswered[oldest].deadline { oldest = (oldest + 1) % OfflineStorm.maxUnanswered; waiting -= 1 }
        guard waiting > 0 else { return }
        let answered = unanswered[oldest]
        oldest = (oldest + 1) % OfflineStorm.maxUnanswered
        waiting -= 1
        let s = runs.slot(answered.place, answered.ip)
        runs[s].fulls += 1
        if let k = runs[s].incident { details[Int(ctx.log[k].detail)].fulls = runs[s].fulls }
    }

    /// A frame from the node: its run of OFFLINEs ends, and its storm with it.
    mutating func heardFrom(_ ip: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) {
        guard runs.peek(place, ip).count > 0 else { return }
        let s = runs.slot(place, ip)
        guard runs[s].count > 0 else { return }
        if let k = runs[s].incident { ctx.log.close(k, at: time) }
        runs[s] = Run()
    }

    /// The storms going on now.
    func open(_ ctx: DiagnosisContext) -> [(record: IncidentRecord, detail: Detail)] {
        ctx.log.records.filter { $0.code == .offlineStorm && $0.isOpen && !$0.discarded }.map { ($0, details[Int($0.detail)]) }
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let d = details[Int(record.detail)]
        let x = record.ips[0]
        var text: DiagnosisMessage = "\(ctx.label(x)) was declared offline \(d.count) times from \(time: record.since) to \(time: d.latest) with no frame from it in between, and the registry answered with \(d.fulls) FULL\(prose: plural(d.fulls)): the firmware's OFFLINE storm (each OFFLINE makes every board PING it again, and each unanswered PING gives another OFFLINE)."
        if let end = record.until {
            text += " It ended when \(x) sent again at \(time: end)" + (d.lastSent.map { " after \(span: end, $0) of silence." } ?? ".")
            text += " The storm was a consequence of that silence, not a fault of its own."
        } else {
            text += " It lasts while \(x) stays silent" + (d.lastSent.map { " (its last frame at \(time: $0))." } ?? ".")
            text += " The storm is a consequence: bring \(x) back or take it off the network and it stops."
        }
        return (text, [("count", .count(d.count)), ("fulls", .count(d.fulls))])
    }

    func openLine(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> DiagnosisMessage {
        let d = details[Int(record.detail)]
        return "OFFLINE storm about \(ctx.label(record.ips[0])): \(d.count) so far, \(d.fulls) FULL\(prose: plural(d.fulls)) in answer"
    }
}
