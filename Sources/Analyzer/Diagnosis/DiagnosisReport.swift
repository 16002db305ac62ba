#if canImport(Glibc)
import Glibc
#endif
import DiscoveryCodec
import WireBytes

extension DiagnosisEngine {
    /// The diagnoses so far, in the order the incidents began, each with the `id` the
    /// incident stream gave it. `final`: the input ended (or the run is being summed
    /// up), so an owed FULL still open is decided as the input stands and every node
    /// declared offline is lost; otherwise a lost registry or node is told once it has
    /// lasted a liveness round. The engine's state is not changed.
    public func diagnoses(final: Bool = true) -> [Diagnosis] {
        keyedDiagnoses(final: final).map { keyed in
            var d = keyed.diagnosis
            d.id = stream.id(for: keyed.key) ?? 0
            return d
        }
    }

    /// The incidents opened and closed since the stream last looked, at `now`
    /// (`final`: the input ends; every diagnosis of the summary is told by then).
    public func pollIncidents(now: Timestamp, final: Bool = false) -> [IncidentChange] {
        if !final {
            // At most once a listen period (T/2) of capture time: a flood that opens
            // incidents by the thousand is looked at a few times a second, not per packet.
            guard pollDue(now) else { return [] }
            nextPoll = now.totalNanoseconds &+ ctx.timing.listen
            guard ctx.log.version != stream.lastVersion || (stream.nextLook.map { now >= $0 } == true && somethingRipe(now)) else {
                if let next = stream.nextLook, now >= next { stream.nextLook = now.adding(nanoseconds: ctx.timing.round) }
                return []
            }
        }
        stream.lastVersion = ctx.log.version
        let current = keyedDiagnoses(final: final, now: now)
        let settle = final ? 0 : ctx.timing.registryTimeout
        let changes = stream.update(current, now: now, settle: settle)
        // Look again a round from now while something may ripen with time, and when a
        // new incident has stood for T.
        let ripening = !owedFull.openPlaces.isEmpty || ctx.analyzer.liveCount < ctx.analyzer.nodes.count
            || oversize.isGoingOn(now: now, ctx)
        var next = ripening ? now.adding(nanoseconds: ctx.timing.round) : nil
        if let settled = stream.nextSettled(settle: settle), next == nil || settled < next! { next = settled }
        stream.nextLook = next
        return changes
    }

    /// Whether, with no incident begun or ended, time alone made something ready to be
    /// told (a quick look, no words made): a new incident that has stood for T, a node
    /// declared offline a round ago and not yet told lost, a FULL owed a round without
    /// an answer and not yet told, oversize FULLs that stopped a round ago.
    func somethingRipe(_ now: Timestamp) -> Bool {
        if let settled = stream.nextSettled(settle: ctx.timing.registryTimeout), settled <= now { return true }
        let ripe = now.totalNanoseconds - ctx.timing.round
        if ctx.analyzer.liveCount < ctx.analyzer.nodes.count {
            for (place, node) in ctx.analyzer.nodes.storage.enumerated() where node.declaredOffline
                && node.timesReturned < NodeFlapping.threshold && !stream.toldLost.contains(node.ip.value) {
                let run = storm.run(place, node.ip)
                let declared = run.start ?? falseOffline.nodes.peek(place, node.ip).offlineAt
                if let declared, declared.totalNanoseconds <= ripe { return true }
            }
        }
        for place in owedFull.openPlaces {
            let ip = ctx.analyzer.nodes.storage[place].ip
            guard let k = owedFull.owed.peek(place, ip), !stream.toldSources.contains(Int(k) + 1) else { continue }
            if owedFull.details[Int(ctx.log[k].detail)].dueAt.totalNanoseconds + ctx.timing.registryTimeout <= ripe { return true }
        }
        if let last = oversize.last, last.totalNanoseconds <= ripe, !stream.oversizeEndTold { return true }
        return false
    }

    /// Incidents told by the stream beyond its bound.
    public var incidentsNotTold: Int { stream.notTold }

    func keyedDiagnoses(final: Bool, now: Timestamp? = nil) -> [(key: String, diagnosis: Diagnosis)] {
        let now = now ?? ctx.lastTime ?? Timestamp(seconds: 0, nanoseconds: 0)
        var records = ctx.log.records
        var owedDetails = owedFull.details
        var failoverRule = failover
        // Owed FULLs still open: decided as the input stands.
        for (k, record, detail) in owedFull.standing(ctx) {
            records[k] = record
            // A registry lost unnoticed is told once a FULL it owed has been late a round.
            if !final, record.code == .registryLostUnnoticed,
               now.totalNanoseconds - detail.dueAt.totalNanoseconds < ctx.timing.registryTimeout + ctx.timing.round {
                records[k].discarded = true
            }
            owedDetails[Int(record.detail)] = detail
            if record.discarded, let target = detail.absorbedInto {
                if ctx.log[target].code == .registryFailover {
                    failoverRule.absorb(detail.count, by: record.ips[0], into: target, ctx)
                } else {
                    owedDetails[Int(ctx.log[target].detail)].successorWaits += detail.count
                }
            }
        }
        let storms = records.filter { $0.code == .offlineStorm && !$0.discarded }
        var candidates: [(key: String, diagnosis: Diagnosis)] = []
        for (k, record) in records.enumerated() where !record.discarded {
            /// The words and numbers of a rule that keeps the record's nodes and span.
            func told(_ words: (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)])) -> Diagnosis {
                Diagnosis(code: record.code, ips: record.ips, since: record.since, until: record.until, message: words.0, figures: words.1)
            }
            // An incident closed and told stands as told until the end (no words made
            // again; it still explains, through the stream's index).
            if !final, !record.isOpen, stream.closedSources.contains(k + 1) { continue }
            var diagnosis: Diagnosis
            switch record.code {
            case .registryFailover:
                let (text, figures, ips) = failoverRule.describe(record, ctx)
                diagnosis = Diagnosis(code: record.code, ips: ips, since: record.since, until: record.until, message: text, figures: figures)
            case .registryLostUnnoticed, .desktopRegistry, .registryHandoverGap:
                let (text, figures, until) = owedFull.describe(record, owedDetails[Int(record.detail)], ctx, storms: storms)
                diagnosis = Diagnosis(code: record.code, ips: record.ips, since: record.since, until: until, message: text, figures: figures)
            case .offlineStorm:
                diagnosis = told(storm.describe(record, ctx))
            case .nodeFlapping:
                diagnosis = told(flapping.describe(record, ctx))
            case .falseOffline:
                diagnosis = told(falseOffline.describe(record, ctx))
            case .splitBrain:
                let (text, figures, ips) = splitBrain.describe(record, ctx)
                diagnosis = Diagnosis(code: record.code, ips: ips, since: record.since, until: record.until, message: text, figures: figures)
            case .twoRegistries, .registryNotLowest:
                diagnosis = told(twoRegistries.describe(record, ctx))
            case .nodeRestarted:
                diagnosis = told(restarted.describe(record, ctx))
            case .lanSilent:
                diagnosis = told(lanSilent.describe(record, ctx))
            default:
                continue
            }
            candidates.append((IncidentStream.key(diagnosis, source: k + 1), diagnosis))
        }
        var derived = nodeLost.diagnose(ctx, storm: storm, falseOffline: falseOffline, flapping: flapping,
                                        ripeBefore: final ? nil : now.adding(nanoseconds: -ctx.timing.round))
        if let d = legacy.diagnose(ctx) { derived.append(d) }
        if let d = oversize.diagnose(ctx) { derived.append(d) }
        if let d = malformedFrames.diagnose(ctx) { derived.append(d) }
        if let d = addressFlood.diagnose(ctx) { derived.append(d) }
        if let d = mismatch.diagnose(ctx) { derived.append(d) }
        derived += oneOff.diagnose(ctx)
        candidates += derived.map { (IncidentStream.key($0, source: 0), $0) }
        let kept = Explanations.apply(candidates.map(\.diagnosis), strays: oneOff.strays(ctx), ctx,
                                      told: final ? nil : stream.toldExplainers)
        // Explanations keeps the candidates' order: pair them with their keys again.
        var keyed: [(key: String, diagnosis: Diagnosis)] = []
        var k = 0
        for candidate in candidates where k < kept.count {
            if candidate.diagnosis.code == kept[k].code && candidate.diagnosis.ips == kept[k].ips && candidate.diagnosis.since == kept[k].since {
                keyed.append((candidate.key, kept[k]))
                k += 1
            }
        }
        let order = Dictionary(uniqueKeysWithValues: DiagnosisCode.allCases.enumerated().map { ($1, $0) })
        keyed.sort { x, y in
            let a = x.diagnosis, b = y.diagnosis
            // The thresholds' mismatch first: every diagnosis after it is measured with it.
            if (a.code == .thresholdsMismatch) != (b.code == .thresholdsMismatch) { return a.code == .thresholdsMismatch }
            if a.since != b.since { return a.since < b.since }
            if a.code != b.code { return order[a.code]! < order[b.code]! }
            return a.ips.lexicographicallyPrecedes(b.ips)
        }
        return keyed
    }

    /// What is going on right now, worst first: for the live view's top lines.
    public func openIncidents(now: Timestamp) -> [(severity: Severity, text: String)] {
        openIncidentList(now: now).map { ($0.severity, $0.text) }
    }

    /// An incident still going on: its code, the nodes at fault (first) and how it
    /// reads on the live view.
    public struct OpenIncident: Sendable {
        public var code: DiagnosisCode
        public var ips: [IPv4Address]
        /// Since when it lasts (for an owed FULL: since the FULL was due).
        public var since: Timestamp
        /// Whether it is a FULL owed and not sent: no registry answers.
        public var owesFull: Bool
        /// How the live view colours it (an owed FULL is an error while it lasts).
        public var severity: Severity
        public var message: DiagnosisMessage
        public var text: String { message.plainText }
    }

    /// The incidents going on now, worst first (the live view and the metrics).
    public func openIncidentList(now: Timestamp) -> [OpenIncident] {
        var list: [OpenIncident] = []
        let strays = oneOff.strays(ctx)
        for (_, record, detail) in owedFull.standing(ctx) {
            let x = record.ips[0]
            let since = record.code == .desktopRegistry || record.code == .registryHandoverGap ? record.since : detail.dueAt
            var text: DiagnosisMessage = "no registry answer for \(span: now, since): \(ctx.label(x)) owes a FULL"
            if record.code == .desktopRegistry { text += " (a desktop client: it never sends one)" }
            // Not yet told apart (the input may still decide it): a registry's silence, or
            // a new lowest node's first FULL.
            let code: DiagnosisCode = record.discarded ? (detail.wasRegistry ? .registryLostUnnoticed : .registryHandoverGap) : record.code
            list.append(OpenIncident(code: code, ips: [x], since: detail.dueAt, owesFull: true, severity: .error, message: text))
        }
        for k in failover.waiting where !ctx.log[k].discarded {
            let record = ctx.log[k]
            let d = failover.details[Int(record.detail)]
            list.append(OpenIncident(code: .registryFailover, ips: [record.ips[0]], since: d.declaredAt ?? record.since, owesFull: false,
                                     severity: .error, message: failover.openLine(record, now: now, ctx)))
        }
        for k in owedFull.awaitingDesktop {
            let record = ctx.log[k]
            let x = record.ips[0]
            list.append(OpenIncident(code: .desktopRegistry, ips: [x], since: record.since, owesFull: false, severity: .error,
                                     message: "no FULL since desktop client \(ctx.label(x)) was elected, \(span: now, record.since) ago"))
        }
        for k in splitBrain.open {
            let record = ctx.log[k]
            list.append(OpenIncident(code: .splitBrain, ips: record.ips, since: record.since, owesFull: false, severity: .error,
                                     message: splitBrain.openLine(record, ctx)))
        }
        for (record, _) in storm.open(ctx) where !ctx.isLegacy(record.ips[0]) {
            list.append(OpenIncident(code: .offlineStorm, ips: [record.ips[0]], since: record.since, owesFull: false, severity: .warning,
                                     message: storm.openLine(record, ctx)))
        }
        // A one-off sender's FULL sets off nothing of its own (`OneOffSender`).
        if !strays.isEmpty { list.removeAll { $0.ips.contains(where: strays.contains) } }
        // Worst first, in the order found within a severity (a stable sort).
        return list.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }

    /// Incidents going on now, one per code and node at fault: the diagnoses that
    /// last at the end of what was read (no `until`), then what the engine still
    /// follows (`following`: its `openIncidentList`, e.g. an owed FULL not yet told apart).
    public func goingOn(diagnoses: [Diagnosis], following: [OpenIncident]) -> [(code: DiagnosisCode, ips: [IPv4Address])] {
        var open: [(code: DiagnosisCode, ips: [IPv4Address])] = []
        func isOpen(_ code: DiagnosisCode, _ ip: IPv4Address) -> Bool { open.contains { $0.code == code && $0.ips[0] == ip } }
        for diagnosis in diagnoses where diagnosis.until == nil && !diagnosis.ips.isEmpty && !isOpen(diagnosis.code, diagnosis.ips[0]) {
            open.append((diagnosis.code, diagnosis.ips))
        }
        for incident in following where !isOpen(incident.code, incident.ips[0]) {
            open.append((incident.code, incident.ips))
        }
        return open
    }
}

func plural(_ count: Int) -> String { count == 1 ? "" : "s" }

/// An estimated count: exact below 100, else "about 12,300" (three significant digits).
func approximately(_ count: Int) -> String {
    guard count >= 100 else { return String(count) }
    var scale = 1
    while count / scale >= 1000 { scale *= 10 }
    let rounded = (count + scale / 2) / scale * scale
    var digits = String(rounded)
    var grouped = ""
    while digits.count > 3 {
        grouped = "," + digits.suffix(3) + grouped
        digits.removeLast(3)
    }
    return "about " + digits + grouped
}

/// `HH:MM:SS.ff`, the time of day to a hundredth of a second (UTC).
package func clockText(_ time: Timestamp) -> String { time.timeOfDayText(limit: 11) }

/// "1 ms", "86 ms", "1.8 s", "12 s", "2 min 5 s".
public func formatSpan(_ seconds: Double) -> String {
    if seconds < 1 {
        let ms = max(1, Int((seconds * 1000).rounded()))
        return ms >= 1000 ? "1 s" : "\(ms) ms"
    }
    return formatThreshold(seconds)
}

/// "0.3 s", "5 s", "2 min 5 s".
func formatThreshold(_ seconds: Double) -> String {
    if seconds < 60 {
        let rounded = (seconds * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) s" : "\(rounded) s"
    }
    let whole = Int(seconds.rounded())
    return whole < 3600 ? "\(whole / 60) min \(whole % 60) s" : "\(whole / 3600) h \(whole / 60 % 60) min"
}
