import DiscoveryCodec
import WireBytes

/// `registry-failover` (error): the registry fell silent and another node took over.
///
/// The firmware: a dead registry is noticed only when some board's liveness round
/// PINGs it (up to two rounds), and that board broadcasts OFFLINE. The next lowest
/// board considers itself registry once it drops the dead one itself, and answers
/// the next HELLO, OFFLINE or unknown sender with a FULL; until then a newcomer's
/// HELLO gets no FULL.
///
/// Opens when the acting registry is declared offline (or, in the owed-FULL family,
/// when a registry that owed FULLs is taken over while silent); completes at the
/// first FULL of another node that is not a one-off sender; `gap_s` runs from the
/// registry's last frame to that FULL. FULLs due from the next board before the
/// takeover are counted here (`late_fulls`), with the board that let them pass.
/// A registry declared offline that answers within T was falsely declared
/// (`false-offline`); one that comes back before any takeover did not fail over; one
/// that comes back after is told here (its return and handback).
struct RegistryFailover {
    struct Detail {
        var lastSent: Timestamp?
        var declaredAt: Timestamp?
        var declaredBy: IPv4Address?
        var successor: IPv4Address?
        /// FULLs due before the takeover that came late or never, and who owed them.
        var lateFulls = 0
        var lateBy: IPv4Address?
        /// The lost registry came back, and sent FULLs as registry again.
        var returnedAt: Timestamp?
        var handbackAt: Timestamp?
    }

    var details: [Detail] = []
    /// The failover about each node, until it comes back.
    var about = NodeSlots<Int32?>(nil)
    /// Failovers waiting for a successor; failovers whose registry came back, waiting for its FULL.
    var waiting: [Int32] = []
    var awaitingHandback: [Int32] = []

    init() {
        waiting.reserveCapacity(8)
        awaitingHandback.reserveCapacity(8)
    }

    /// The acting registry was declared offline: a failover begins.
    mutating func declared(_ ip: IPv4Address, place: Int, by: IPv4Address, at time: Timestamp, lastSent: Timestamp?, _ ctx: DiagnosisContext) {
        let s = about.slot(place, ip)
        guard about[s] == nil else { return }
        details.append(Detail(lastSent: lastSent, declaredAt: time, declaredBy: by))
        let k = ctx.log.open(.registryFailover, [ip], since: lastSent ?? time, detail: details.count - 1, isOpen: true)
        about[s] = k
        if let k { waiting.append(k) }
    }

    /// A registry that owed FULLs was taken over by `successor` while silent since `lastSent`.
    mutating func takenOver(_ ip: IPv4Address, by successor: IPv4Address, lastSent: Timestamp, at time: Timestamp, _ ctx: DiagnosisContext) {
        details.append(Detail(lastSent: lastSent, successor: successor))
        let k = ctx.log.open(.registryFailover, [ip, successor], since: lastSent, detail: details.count - 1)
        guard let k else { return }
        ctx.log[k].until = time
        if let place = ctx.place(ip) { about[about.slot(place, ip)] = k }
    }

    /// The failover about `z` still waiting for its successor (FULLs due meanwhile are its own).
    func waitingSuccession(of z: IPv4Address, _ ctx: DiagnosisContext) -> Int32? {
        guard let k = about.peek(ctx.place(z), z), details[Int(ctx.log[k].detail)].successor == nil, !ctx.log[k].discarded else { return nil }
        return k
    }

    /// FULLs due from `by` before the takeover that came late or never.
    mutating func absorb(_ count: Int, by: IPv4Address, into k: Int32, _ ctx: DiagnosisContext) {
        let d = Int(ctx.log[k].detail)
        details[d].lateFulls += count
        if details[d].lateBy == nil { details[d].lateBy = by }
    }

    /// A FULL from `sender` (not a one-off sender): it completes the failovers waiting
    /// for a successor, and hands the registry back to one that came back.
    mutating func full(from sender: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        if !waiting.isEmpty {
            for k in waiting where ctx.log[k].ips[0] != sender {
                details[Int(ctx.log[k].detail)].successor = sender
                ctx.log[k].ips = [ctx.log[k].ips[0], sender]
                ctx.log.close(k, at: time)
                ctx.story(sender, until: time)
                ctx.story(ctx.log[k].ips[0], until: time)
            }
            waiting.removeAll { details[Int(ctx.log[$0].detail)].successor != nil }
        }
        if !awaitingHandback.isEmpty {
            for k in awaitingHandback where ctx.log[k].ips[0] == sender {
                details[Int(ctx.log[k].detail)].handbackAt = time
                ctx.story(sender, until: time)
            }
            awaitingHandback.removeAll { ctx.log[$0].ips[0] == sender }
        }
    }

    /// The registry was falsely declared offline: it did not fail over.
    mutating func discard(_ ip: IPv4Address, place: Int, _ ctx: DiagnosisContext) {
        let s = about.slot(place, ip)
        guard let k = about[s] else { return }
        ctx.log[k].discarded = true
        ctx.log.touch()
        waiting.removeAll { $0 == k }
        about[s] = nil
    }

    /// The lost registry sent a frame again: before a takeover it did not fail over;
    /// after one, its return is part of the story.
    mutating func returned(_ ip: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) {
        let s = about.slot(place, ip)
        guard let k = about[s] else { return }
        about[s] = nil
        let d = Int(ctx.log[k].detail)
        if details[d].successor == nil {
            ctx.log[k].discarded = true
            ctx.log.touch()
            waiting.removeAll { $0 == k }
        } else if details[d].returnedAt == nil {
            details[d].returnedAt = time
            if awaitingHandback.count < 16 { awaitingHandback.append(k) }
            ctx.story(ip, until: time)
        }
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)], [IPv4Address]) {
        let d = details[Int(record.detail)]
        let x = record.ips[0]
        var ips = record.ips
        var figures: [(name: String, value: Diagnosis.Figure)] = []
        let last = d.lastSent ?? record.since
        var text: DiagnosisMessage = "\(ctx.label(x)), the registry, fell silent at \(time: last) (its last frame)."
        if let declared = d.declaredAt, let by = d.declaredBy {
            text += " \(ctx.label(by)) declared it offline \(span: declared, last) later"
            figures.append(("declared_after_s", .seconds(declared.seconds(since: last))))
        }
        if let successor = d.successor, let end = record.until {
            let gap = end.seconds(since: last)
            if d.declaredBy == successor {
                text += " and took over as registry at \(time: end)"
            } else {
                text += (d.declaredAt == nil ? " " : "; ") + "\(ctx.label(successor)) took over as registry at \(time: end)"
            }
            text += ": for \(span: gap) a newcomer's HELLO would have gone unanswered."
            if d.lateFulls > 0 {
                let owing = d.lateBy ?? successor
                if owing == successor {
                    text += " \(ctx.label(successor)) let \(d.lateFulls) due FULL\(prose: plural(d.lateFulls)) pass first: a board drops a dead registry only when its own PING of it fails."
                } else {
                    text += " \(ctx.label(owing)), the next lowest, never took over: it let \(d.lateFulls) due FULL\(prose: plural(d.lateFulls)) pass (a board drops a dead registry only when its own PING of it fails)"
                    text += successor < owing ? ", and \(successor), a lower address, became registry when it joined." : "."
                }
                figures.append(("late_fulls", .count(d.lateFulls)))
            }
            if let back = d.returnedAt {
                text += " \(x) came back at \(time: back): it had stalled, not died"
                text += d.handbackAt.map { "; as the lowest address it was registry again from \(time: $0)." } ?? "."
            }
            figures.insert(("gap_s", .seconds(gap)), at: 0)
        } else {
            let end = ctx.lastTime ?? last
            text += ", but no other node has sent a FULL since, up to the end of the capture (\(span: end, last) after its last frame): HELLOs and OFFLINEs go unanswered. The lowest live address now is "
            text += ctx.analyzer.lowest.map { ctx.label($0) } ?? "none"
            text += "."
            if let l = ctx.analyzer.lowest, l != x { ips = [x, l] }
        }
        text += " If \(x) should be running, check its power and its network link."
        return (text, figures, ips)
    }

    func openLine(_ record: IncidentRecord, now: Timestamp, _ ctx: DiagnosisContext) -> DiagnosisMessage {
        let d = details[Int(record.detail)]
        let declared = d.declaredAt ?? record.since
        return "registry \(ctx.label(record.ips[0])) declared offline \(span: now, declared) ago; no other node has sent a FULL yet"
    }
}
