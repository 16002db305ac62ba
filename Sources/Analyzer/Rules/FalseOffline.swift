import DiscoveryCodec
import WireBytes

/// `false-offline` (warning): nodes declared offline while plainly alive.
///
/// The firmware: a board whose process stalls (its kernel still queues datagrams) is
/// declared offline; when it resumes, it handles the queued frames in one burst and
/// its overdue liveness rounds run back to back, declaring healthy peers OFFLINE
/// within a millisecond.
///
/// An accusation is false when the accused had sent a frame within a round before it
/// and answered within T after it. One incident per declarer: the declarer first, then
/// every node it accused (at most `maxAccused` named), so that a stall that declared
/// three boards offline is one entry, and a board that does it again adds to it. The answer time is measured
/// from each accusation to its own answer. Legacy devices, which never answer PING,
/// are `legacy-firmware`'s.
struct FalseOffline {
    struct Accused {
        /// The last OFFLINE about it, by whom, and whether it had sent a frame within a round before.
        var offlineAt: Timestamp?
        var offlineBy: IPv4Address?
        var aliveBefore = false
        /// Its last frame before its current run of OFFLINEs.
        var lastBeforeOffline: Timestamp?
        /// Its last return, and how long it had been silent before it (ns).
        var lastReturn: Timestamp?
        var silenceBeforeReturn: Int64 = 0
        /// Shortcuts, checked against what they stand for: the incident this node
        /// declared (as `declarers` holds it), and the incident it is listed in as accused.
        var declares: Int32 = -1
        var listedIn: Int32 = -1
    }

    struct Detail {
        var declarer: IPv4Address
        var count = 0
        /// Accusations made together (within T of the first of them): the current run
        /// and the largest, counted as they come, in time order.
        var burst: Burst
        var largestBurst: Burst
        var latest: Timestamp
        var longestAnswer: Int64 = 0
        /// The accused's frame before the first accusation, how long before it.
        var sentBefore: Int64?
        /// The declarer had itself been silent this long (ns) until `declarerBack`.
        var declarerSilence: Int64 = 0
        var declarerBack: Timestamp?
    }

    /// Accusations within T of the first of them.
    struct Burst {
        var count: Int
        var first: Timestamp
        var last: Timestamp
    }

    static let maxAccused = 64
    static let maxDeclarers = 256

    var nodes = NodeSlots(Accused())
    var details: [Detail] = []
    /// The incident of each declarer.
    var declarers: [IPv4Address: Int32] = [:]

    mutating func declared(_ ip: IPv4Address, place: Int, by: IPv4Address, at time: Timestamp, lastSent: Timestamp?,
                           firstOfRun: Bool, _ ctx: DiagnosisContext) {
        let s = nodes.slot(place, ip)
        if firstOfRun { nodes[s].lastBeforeOffline = lastSent }
        nodes[s].offlineAt = time
        nodes[s].offlineBy = by
        nodes[s].aliveBefore = lastSent.map { FirmwareTiming.within(ctx.timing.round, time, after: $0) } ?? false
    }

    /// The node came back: whether the OFFLINE about it was false (it answered within T).
    mutating func returned(_ ip: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        let s = nodes.slot(place, ip)
        let accused = nodes[s]
        nodes[s].lastReturn = time
        nodes[s].silenceBeforeReturn = accused.lastBeforeOffline.map { time.totalNanoseconds - $0.totalNanoseconds } ?? 0
        nodes[s].offlineAt = nil
        guard let at = accused.offlineAt, let by = accused.offlineBy, accused.aliveBefore,
              FirmwareTiming.within(ctx.timing.registryTimeout, time, after: at) else { return false }
        guard !ctx.isLegacy(place: place) else { return true }
        let answer = time.totalNanoseconds - at.totalNanoseconds
        let declarerPlace = ctx.place(by)
        if let k = incident(declaredBy: by, place: declarerPlace) {
            let d = Int(ctx.log[k].detail)
            details[d].count += 1
            details[d].latest = max(details[d].latest, at)
            details[d].longestAnswer = max(details[d].longestAnswer, answer)
            if FirmwareTiming.within(ctx.timing.registryTimeout, at, after: details[d].burst.first) {
                details[d].burst.count += 1
                details[d].burst.last = at
            } else {
                details[d].burst = Burst(count: 1, first: at, last: at)
            }
            if details[d].burst.count > details[d].largestBurst.count { details[d].largestBurst = details[d].burst }
            if nodes[s].listedIn != k, ctx.log[k].ips.count <= FalseOffline.maxAccused {
                if !ctx.log[k].ips.contains(ip) { insertAccused(ip, into: k, ctx) }
                nodes[s].listedIn = k
            }
            ctx.log[k].until = max(ctx.log[k].until ?? time, time)
        } else if declarers.count < FalseOffline.maxDeclarers {
            let burst = Burst(count: 1, first: at, last: at)
            var detail = Detail(declarer: by, count: 1, burst: burst, largestBurst: burst, latest: at, longestAnswer: answer,
                                sentBefore: accused.lastBeforeOffline.map { at.totalNanoseconds - $0.totalNanoseconds })
            if let d = declarerPlace {
                let declarer = nodes.peek(d, by)
                if let back = declarer.lastReturn, FirmwareTiming.within(ctx.timing.round, at, after: back) {
                    detail.declarerSilence = declarer.silenceBeforeReturn
                    detail.declarerBack = back
                }
            }
            details.append(detail)
            let k = ctx.log.open(.falseOffline, [by, ip], since: at, detail: details.count - 1)
            if let k {
                ctx.log[k].until = time
                declarers[by] = k
                if let d = declarerPlace { nodes[nodes.slot(d, by)].declares = k }
                // Opened with the accused listed.
                nodes[nodes.slot(place, ip)].listedIn = k
            }
        } else {
            ctx.log.countDropped()
        }
        ctx.story(ip, place: place, until: time)
        if let d = declarerPlace { ctx.story(by, place: d, until: time) }
        return true
    }

    /// The incident `by` declared, if any: through its slot's shortcut, else `declarers`.
    private mutating func incident(declaredBy by: IPv4Address, place: Int?) -> Int32? {
        if let place {
            let s = nodes.slot(place, by)
            let cached = nodes[s].declares
            if cached >= 0 { return cached }
            guard let k = declarers[by] else { return nil }
            nodes[s].declares = k
            return k
        }
        return declarers[by]
    }

    /// The accused in address order after the declarer.
    private func insertAccused(_ ip: IPv4Address, into k: Int32, _ ctx: DiagnosisContext) {
        let at = ctx.log[k].ips.dropFirst().firstIndex { $0 > ip } ?? ctx.log[k].ips.count
        ctx.log[k].ips.insert(ip, at: at)
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let d = details[Int(record.detail)]
        let by = record.ips[0], accused = Array(record.ips.dropFirst())
        let answer = Double(d.longestAnswer) / 1e9
        var text: DiagnosisMessage
        if accused.count == 1 {
            let x = accused[0]
            text = "\(ctx.label(by)) declared \(ctx.label(x)) offline at \(time: record.since) though it was plainly alive: it had sent a frame \(d.sentBefore.map { "\(span: Double($0) / 1e9)" } ?? "shortly") before and answered \(span: answer) after."
            if d.count > 1 {
                text += " It happened \(d.count) times, the last at \(time: d.latest); each time it answered within \(span: answer)."
            }
        } else {
            var list = DiagnosisMessage()
            for (n, x) in accused.enumerated() { list += (n == 0 ? "" : ", ") + ctx.label(x) }
            text = "\(ctx.label(by)) declared \(accused.count) healthy nodes offline from \(time: record.since) to \(time: d.latest) though each was plainly alive (a frame shortly before, an answer within \(span: answer) after): \(list)."
        }
        let burst = d.largestBurst
        if burst.count > 1 {
            text += " \(by) declared \(burst.count) healthy nodes offline within \(span: burst.last, burst.first)."
        }
        if d.declarerSilence > 0, let back = d.declarerBack {
            text += " \(by) itself had been silent for \(span: Double(d.declarerSilence) / 1e9) until \(time: back): a board that stalled and, catching up, ran its overdue liveness rounds back to back."
        }
        text += " They recovered at once; if it repeats, find out why \(by) stalls."
        return (text, [("count", .count(d.count)), ("declared_together", .count(burst.count)), ("answered_s", .seconds(answer))])
    }
}
