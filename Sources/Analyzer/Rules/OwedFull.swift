import DiscoveryCodec
import WireBytes

/// The owed-FULL family: a FULL was due from the lowest node (CONTRACT.md's due rule:
/// the analyzer's `registry-silent`) and did not come within T. What it was is decided
/// when the wait ends (or as the input stands):
///
/// - `desktop-registry` (error): the lowest address only HELLOs (never FULL, PING or
///   PONG; sends from the discovery port, or stays the lowest a round): a desktop
///   client the boards elected, which never sends FULL. It lasts until a FULL answers
///   again after the boards declared it offline.
/// - `registry-lost-unnoticed` (error): the registry fell silent, FULLs it owed never
///   came, and up to the end nobody declared it offline or took over (the second death
///   an OFFLINE storm hides: each OFFLINE makes every board PING the storm's subject and
///   forget the one PING it was waiting on). Told as soon as a FULL it owed is late.
/// - `registry-failover`: a silent registry that owed FULLs was taken over by another
///   node's FULL (`RegistryFailover` tells it).
/// - `registry-handover-gap` (warning): a board became the lowest (joined, came back, a
///   lower one left) and its first FULL came late or never.
///
/// FULLs owed by the next board while a failover or a desktop client waits for a
/// successor are that story's, counted there.
struct OwedFull {
    enum End { case full, left, lowerJoined, takenOver(IPv4Address) }


    struct Detail {
        var count = 1
        var lastSent: Timestamp?
        var wasRegistry = false
        var lowestSince: Timestamp?
        var lowestCause = LowestCause.initial
        var dueAt: Timestamp
        var end: End?
        /// The failover or desktop incident whose successor owed it.
        var absorbedInto: Int32?
        // A desktop client's incident: declared offline, waiting for a FULL again.
        var awaitingFull = false
        var declaredAt: Timestamp?
        var successor: IPv4Address?
        var successorWaits = 0
    }

    var details: [Detail] = []
    var owed = NodeSlots<Int32?>(nil)
    /// Places of the nodes that owe a FULL now (few at a time).
    var openPlaces: [Int] = []
    /// Desktop incidents waiting for a FULL again.
    var awaitingDesktop: [Int32] = []
    /// Sent a HELLO from the discovery port (a desktop client).
    var fromDiscoveryPort = NodeSlots(false)

    init() {
        openPlaces.reserveCapacity(8)
        awaitingDesktop.reserveCapacity(8)
    }

    mutating func hello(from ip: IPv4Address, place: Int, fromDiscoveryPort port: Bool) {
        if port { fromDiscoveryPort[fromDiscoveryPort.slot(place, ip)] = true }
    }

    /// A desktop incident still waiting for a FULL about `z`.
    func waitingDesktop(about z: IPv4Address, _ ctx: DiagnosisContext) -> Int32? {
        awaitingDesktop.last { ctx.log[$0].ips.first == z }
    }

    /// A FULL owed by `expected` did not come by `deadline`. `absorbedInto`: the
    /// failover or desktop incident whose successor owes it.
    mutating func late(_ expected: IPv4Address, place: Int, deadline: Timestamp, absorbedInto: Int32?, _ ctx: DiagnosisContext) {
        let s = owed.slot(place, expected)
        if let k = owed[s] {
            details[Int(ctx.log[k].detail)].count += 1
            return
        }
        let due = deadline.adding(nanoseconds: -ctx.timing.registryTimeout)
        let isLowest = ctx.lowest == expected
        details.append(Detail(lastSent: ctx.node(expected)?.lastSent,
                              wasRegistry: isLowest ? ctx.lowestHasSentFull : ctx.actingRegistry == expected,
                              lowestSince: isLowest ? ctx.lowestSince : nil,
                              lowestCause: isLowest ? ctx.lowestCause : .initial,
                              dueAt: due, absorbedInto: absorbedInto))
        owed[s] = ctx.log.open(.registryHandoverGap, [expected], since: due, detail: details.count - 1, isOpen: true)
        if owed[s] != nil { openPlaces.append(place) }
    }

    /// Whether the node at `place` owes a FULL now.
    func owes(_ ip: IPv4Address, place: Int) -> Bool { owed.peek(place, ip) != nil }

    /// A node other than `sender` owing a FULL that acted as registry (for a takeover).
    func owingRegistry(besides sender: IPv4Address, _ ctx: DiagnosisContext) -> (place: Int, ip: IPv4Address)? {
        for place in openPlaces {
            let ip = ctx.analyzer.nodes.storage[place].ip
            if ip != sender, let k = owed.peek(place, ip), details[Int(ctx.log[k].detail)].wasRegistry { return (place, ip) }
        }
        return nil
    }

    /// The wait ends: the FULL came, the node left L, a lower node joined, or another
    /// node took over. Decides what it was; returns what the engine must pass on.
    mutating func end(_ ip: IPv4Address, place: Int, at time: Timestamp, by end: End, _ ctx: DiagnosisContext,
                      failover: inout RegistryFailover) {
        let s = owed.slot(place, ip)
        let k = owed[s]
        owed[s] = nil
        openPlaces.removeAll { $0 == place }
        guard let k else { return }
        ctx.log.close(k, at: time)
        details[Int(ctx.log[k].detail)].end = end
        let (record, detail) = classified(ctx.log[k], details[Int(ctx.log[k].detail)], final: false, ctx)
        ctx.log[k] = record
        ctx.log.touch()
        details[Int(record.detail)] = detail
        if case let .takenOver(successor) = end, record.code == .registryFailover {
            // A silent registry taken over: the failover tells it.
            ctx.log[k].discarded = true
            failover.takenOver(ip, by: successor, lastSent: detail.lastSent ?? record.since, at: time, ctx)
            ctx.story(ip, until: time)
            ctx.story(successor, until: time)
            return
        }
        guard !record.discarded else {
            if let target = detail.absorbedInto { pass(detail.count, by: ip, to: target, ctx, failover: &failover) }
            return
        }
        ctx.story(ip, until: time)
        if record.code == .desktopRegistry {
            if let l = ctx.analyzer.lowest { ctx.story(l, until: time) }
            if detail.awaitingFull { awaitingDesktop.append(k) }
        }
    }

    /// FULLs owed by a successor, counted in the story that explains them.
    private mutating func pass(_ count: Int, by ip: IPv4Address, to target: Int32, _ ctx: DiagnosisContext, failover: inout RegistryFailover) {
        if ctx.log[target].code == .registryFailover {
            failover.absorb(count, by: ip, into: target, ctx)
        } else {
            details[Int(ctx.log[target].detail)].successorWaits += count
        }
    }

    /// A FULL (not from a one-off sender): a desktop client's incident ends when a FULL answers again.
    mutating func full(from sender: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        guard !awaitingDesktop.isEmpty else { return }
        for k in awaitingDesktop {
            let d = Int(ctx.log[k].detail)
            details[d].awaitingFull = false
            details[d].successor = sender
            ctx.log[k].until = time
        }
        awaitingDesktop.removeAll(keepingCapacity: true)
        ctx.story(sender, until: time)
    }

    /// What an owed FULL was. `final`: the input ends (or is asked about) with it open.
    func classified(_ owedRecord: IncidentRecord, _ owedDetail: Detail, final: Bool, _ ctx: DiagnosisContext) -> (IncidentRecord, Detail) {
        var record = owedRecord, detail = owedDetail
        let x = record.ips[0]
        let counts = ctx.node(x)?.framesByType ?? FrameCounts()
        let helloOnly = counts[FrameType.hello.index] > 0 && !ctx.isBoard(x) && counts[FrameType.legacy.index] == 0
        let end = record.until ?? ctx.lastTime ?? record.since
        let lowestFor = end.totalNanoseconds - (detail.lowestSince ?? record.since).totalNanoseconds
        let declared = ctx.node(x)?.declaredOffline == true
        let fromPort = fromDiscoveryPort.peek(ctx.place(x), x)
        if helloOnly && (fromPort || lowestFor >= ctx.timing.round || declared) {
            // A desktop client elected as registry: it never sends FULL.
            record.code = .desktopRegistry
            record.since = detail.lowestSince ?? record.since
            if declared, case .left? = detail.end {
                detail.awaitingFull = true
                detail.declaredAt = record.until
            }
            if final && record.isOpen { record.until = nil }
        } else if detail.absorbedInto != nil {
            record.discarded = true
        } else if detail.wasRegistry {
            switch detail.end {
            case .left?, .lowerJoined?, .full?:
                // Declared offline: the failover tells it. Answered late or passed on to a
                // lower node: the events show it.
                record.discarded = true
            case let .takenOver(successor)?:
                if let last = detail.lastSent, ctx.node(x)?.lastSent == last {
                    record.code = .registryFailover
                    record.ips = [x, successor]
                    record.since = last
                } else {
                    record.discarded = true
                }
            case nil:
                if final, let last = detail.lastSent, ctx.node(x)?.lastSent == last, !declared {
                    record.code = .registryLostUnnoticed
                    record.since = last
                    record.until = nil
                } else {
                    record.discarded = final
                }
            }
        } else {
            // A board became the lowest and its FULL came late or never.
            record.code = .registryHandoverGap
            record.since = detail.lowestSince ?? record.since
            if final && record.isOpen { record.until = nil }
        }
        return (record, detail)
    }

    /// The owed FULLs still open, decided as the input stands (for the report), with
    /// their place in the log.
    func standing(_ ctx: DiagnosisContext) -> [(index: Int, record: IncidentRecord, detail: Detail)] {
        openPlaces.compactMap { place in
            let ip = ctx.analyzer.nodes.storage[place].ip
            guard let k = owed.peek(place, ip) else { return nil }
            let (record, detail) = classified(ctx.log[k], details[Int(ctx.log[k].detail)], final: true, ctx)
            return (Int(k), record, detail)
        }
    }

    func describe(_ record: IncidentRecord, _ detail: Detail, _ ctx: DiagnosisContext, storms: [IncidentRecord])
        -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)], Timestamp?) {
        let x = record.ips[0]
        var figures: [(name: String, value: Diagnosis.Figure)] = []
        var until = record.until
        var text: DiagnosisMessage
        switch record.code {
        case .registryLostUnnoticed:
            let last = detail.lastSent ?? record.since
            let end = ctx.lastTime ?? last
            text = "\(ctx.label(x)), the registry, fell silent at \(time: last) (its last frame): \(detail.count) FULL\(prose: plural(detail.count)) it owed never came, and up to the end of the capture (\(span: end, last) later) no board declared it offline or took over, so HELLOs and OFFLINEs stay unanswered."
            if let storm = storms.first(where: { $0.ips[0] != x && ($0.until ?? ctx.lastTime ?? $0.since) >= last }) {
                text += " The OFFLINE storm about \(ctx.label(storm.ips[0])) explains why: each of its OFFLINEs makes every board PING \(storm.ips[0]) and forget the one PING it was waiting on, so no board's PING of \(x) ever times out."
            }
            text += " Power-cycle \(x) or check its link: the boards will not elect another registry on their own."
            figures = [("count", .count(detail.count)), ("silent_s", .seconds(end.seconds(since: last)))]
        case .desktopRegistry:
            let fromPort = fromDiscoveryPort.peek(ctx.place(x), x)
            text = "\(ctx.label(x)) has the lowest address, so the boards elected it registry at \(time: record.since), but it only sends HELLO (never FULL, PING or PONG\(prose: fromPort ? ", and it sends from port \(ctx.port)" : "")): it is a desktop client. \(detail.count) FULL\(prose: plural(detail.count)) it owed never came"
            if let declared = detail.declaredAt, let end = record.until, let successor = detail.successor {
                text += "; it was declared offline at \(time: declared) and a FULL came again from \(ctx.label(successor)) at \(time: end): discovery stalled for \(span: end, record.since)."
                if detail.successorWaits > 0 {
                    text += " Meanwhile \(detail.successorWaits) FULL\(prose: plural(detail.successorWaits)) due from \(successor) came late: a board drops the desktop only when its own PING of it fails."
                }
                figures.append(("gap_s", .seconds(end.seconds(since: record.since))))
            } else if let declared = detail.declaredAt {
                text += "; it was declared offline at \(time: declared), and no FULL has come since, up to the end of the capture."
                until = nil
            } else {
                text += ", up to " + (record.until.map { "\(time: $0)" } ?? "the end of the capture") + ": discovery stalled."
            }
            text += " Give the desktop client an address above every board's."
            figures.insert(("count", .count(detail.count)), at: 0)
        default:
            text = "\(ctx.label(x)) became the lowest address at \(time: record.since) (\(cause(detail.lowestCause))), so every board took it as registry, but "
            if let end = record.until, case .full? = detail.end {
                let gap = end.seconds(since: record.since)
                text += "its first FULL came only at \(time: end), \(span: gap) later"
                figures.append(("gap_s", .seconds(gap)))
            } else if let end = record.until {
                text += "it sent no FULL before it stopped being the lowest at \(time: end), \(span: end, record.since) later"
                figures.append(("gap_s", .seconds(end.seconds(since: record.since))))
            } else {
                text += "it sent no FULL up to the end of the capture (\(span: ctx.lastTime ?? record.since, record.since))"
            }
            text += "; \(detail.count) FULL\(prose: plural(detail.count)) due from it did not come within \(prose: formatThreshold(ctx.analyzer.thresholds.registryTimeout)). The firmware's registry sends FULL only in reply to a HELLO, an OFFLINE or an unknown sender, so meanwhile nobody answered as registry. Booting boards in ascending address order (or giving the first board the lowest address) avoids the gap."
            figures.append(("count", .count(detail.count)))
        }
        return (text, figures, until)
    }

    private func cause(_ cause: LowestCause) -> DiagnosisMessage {
        switch cause {
        case .initial: "the first node heard"
        case .joined: "it joined"
        case .returned: "it came back"
        case let .lowerLeft(z): "\(z) was declared offline"
        }
    }
}
