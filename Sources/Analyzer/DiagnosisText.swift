import DiscoveryCodec
import WireBytes

extension DiagnosisEngine {
    /// The diagnoses so far, in the order the incidents began. Incidents still open
    /// are told as they stand (`until` absent); the engine's state is not changed,
    /// so a live view or a page can ask at any moment.
    public func diagnoses() -> [Diagnosis] {
        var list = incidents
        // Owed FULLs still open: decided as the input stands.
        for i in openOwedNodes {
            let k = Int(facts[i].owed)
            guard k >= 0 else { continue }
            list[k] = classified(list[k], final: true)
            if list[k].discarded, let target = list[k].absorbedInto, target >= 0 {
                list[Int(target)].successorWaits += list[k].count
            }
        }
        var out: [Diagnosis] = []
        var told = Set<IPv4Address>()
        let bursts = falseOfflineBursts(list)
        let flooded = !analyzer.flood.isEmpty
        for incident in list where !incident.discarded {
            let x = incident.ips[0]
            // During a flood, incidents about one-off or dropped addresses are the flood's.
            if flooded, incident.ips.contains(where: suspect) { continue }
            switch incident.code {
            case .offlineStorm, .nodeFlapping, .falseOffline:
                // Legacy firmware never answers PING: its own diagnosis explains these.
                if isLegacy(x) { continue }
            default: break
            }
            // FULLs from a node that is not the lowest, in a conflict with that node: the
            // two-registries diagnosis tells them.
            if incident.code == .registryNotLowest, incident.ips.count == 2,
               let k = pairIncidents[ElectionAnalyzer.PairKey(incident.ips[0], incident.ips[1])] {
                let other = list[k]
                if other.since.totalNanoseconds - window <= (incident.until ?? incident.since).totalNanoseconds
                    && incident.since.totalNanoseconds - window <= (other.until ?? other.since).totalNanoseconds { continue }
            }
            if incident.code == .registryFailover || incident.code == .desktopRegistry || incident.code == .registryLostUnnoticed {
                told.insert(x)
            }
            out.append(describe(incident, all: list, bursts: bursts))
        }
        // Nodes declared offline that never came back, not told above.
        var lost = 0
        for node in analyzer.nodes.storage where node.declaredOffline && !told.contains(node.ip) && !isLegacy(node.ip)
            && !(flooded && suspect(node.ip)) {
            lost += 1
            if lost > 64 { continue }
            out.append(describeLost(node))
        }
        if let legacy = describeLegacy() { out.append(legacy) }
        if let oversize = describeOversize(), !(flooded && suspect(oversize.ips[0])) { out.append(oversize) }
        if let malformed = describeMalformed() { out.append(malformed) }
        if let flood = describeFlood() { out.append(flood) }
        let order = Dictionary(uniqueKeysWithValues: DiagnosisCode.allCases.enumerated().map { ($1, $0) })
        out.sort { a, b in
            if a.since != b.since { return a.since < b.since }
            if a.code != b.code { return order[a.code]! < order[b.code]! }
            return a.ips.lexicographicallyPrecedes(b.ips)
        }
        return out
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
        public var text: String
    }

    /// The incidents going on now, worst first (the live view and the metrics).
    public func openIncidentList(now: Timestamp) -> [OpenIncident] {
        var list: [OpenIncident] = []
        for i in openOwedNodes {
            let k = Int(facts[i].owed)
            guard k >= 0 else { continue }
            let owed = classified(incidents[k], final: true)
            let x = owed.ips[0]
            let since = owed.code == .desktopRegistry || owed.code == .registryHandoverGap ? owed.since : (owed.dueAt ?? owed.since)
            var text = "no registry answer for \(span(now, since)): \(label(x)) owes a FULL"
            if owed.code == .desktopRegistry { text += " (a desktop client: it never sends one)" }
            // Not yet told apart (the input may still decide it): a registry's silence,
            // or a new lowest node's first FULL.
            let code: DiagnosisCode = owed.discarded ? (owed.wasRegistry ? .registryLostUnnoticed : .registryHandoverGap) : owed.code
            list.append(OpenIncident(code: code, ips: [x], since: owed.dueAt ?? owed.since, owesFull: true, severity: .error, text: text))
        }
        for k in openFailovers.map(Int.init) where !incidents[k].discarded {
            let r = incidents[k].ips[0]
            let declared = incidents[k].declaredAt ?? incidents[k].since
            list.append(OpenIncident(code: .registryFailover, ips: [r], since: declared, owesFull: false, severity: .error,
                                     text: "registry \(label(r)) declared offline \(span(now, declared)) ago; no other node has sent a FULL yet"))
        }
        for k in awaitingDesktop.map(Int.init) {
            let x = incidents[k].ips[0]
            list.append(OpenIncident(code: .desktopRegistry, ips: [x], since: incidents[k].since, owesFull: false, severity: .error,
                                     text: "no FULL since desktop client \(label(x)) was elected, \(span(now, incidents[k].since)) ago"))
        }
        for k in openSplits.map(Int.init) {
            let ips = incidents[k].ips
            list.append(OpenIncident(code: .splitBrain, ips: ips, since: incidents[k].since, owesFull: false, severity: .error,
                                     text: "two registries that do not list each other: \(label(ips[0])) and \(label(ips[1]))"))
        }
        for incident in incidents where incident.code == .offlineStorm && incident.isOpen && !isLegacy(incident.ips[0]) {
            list.append(OpenIncident(code: .offlineStorm, ips: [incident.ips[0]], since: incident.since, owesFull: false, severity: .warning,
                                     text: "OFFLINE storm about \(label(incident.ips[0])): \(incident.count) so far, \(incident.fulls) FULL\(plural(incident.fulls)) in answer"))
        }
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

    // MARK: Words

    func label(_ ip: IPv4Address) -> String {
        if let name = node(ip)?.name { return "\(ip) \"\(name)\"" }
        return "\(ip)"
    }

    var windowText: String { formatThreshold(analyzer.thresholds.conflictWindow) }
    var timeoutText: String { formatThreshold(analyzer.thresholds.registryTimeout) }

    /// False OFFLINEs a declarer made within the registry timeout of each other (by
    /// the first OFFLINE's time and the declarer): how many, first and last.
    struct BurstKey: Hashable {
        var declarer: IPv4Address
        var time: Timestamp
    }

    func falseOfflineBursts(_ list: [Incident]) -> [BurstKey: (count: Int, first: Timestamp, last: Timestamp)] {
        var byDeclarer: [IPv4Address: [Timestamp]] = [:]
        for incident in list where incident.code == .falseOffline && !incident.discarded {
            byDeclarer[incident.ips[1], default: []].append(incident.since)
        }
        var out: [BurstKey: (count: Int, first: Timestamp, last: Timestamp)] = [:]
        for (declarer, times) in byDeclarer {
            let sorted = times.sorted()
            var start = 0
            while start < sorted.count {
                var end = start
                while end + 1 < sorted.count, sorted[end + 1].totalNanoseconds - sorted[start].totalNanoseconds <= timeout { end += 1 }
                for k in start...end {
                    out[BurstKey(declarer: declarer, time: sorted[k])] = (end - start + 1, sorted[start], sorted[end])
                }
                start = end + 1
            }
        }
        return out
    }

    private func describe(_ incident: Incident, all: [Incident], bursts: [BurstKey: (count: Int, first: Timestamp, last: Timestamp)]) -> Diagnosis {
        let x = incident.ips[0]
        var figures: [(name: String, value: Diagnosis.Figure)] = []
        var text: String
        var ips = incident.ips
        var until = incident.until
        switch incident.code {
        case .registryFailover:
            let last = incident.lastSent ?? incident.since
            text = "\(label(x)), the registry, fell silent at \(clockText(last)) (its last frame)."
            if let declared = incident.declaredAt, let by = incident.declaredBy {
                text += " \(label(by)) declared it offline \(span(declared, last)) later"
                figures.append(("declared_after_s", .seconds(declared.seconds(since: last))))
            }
            if let successor = incident.successor, let end = incident.until {
                let gap = end.seconds(since: last)
                if incident.declaredBy == successor {
                    text += " and took over as registry at \(clockText(end))"
                } else {
                    text += (incident.declaredAt == nil ? " " : "; ") + "\(label(successor)) took over as registry at \(clockText(end))"
                }
                text += ": for \(formatSpan(gap)) a newcomer's HELLO would have gone unanswered."
                if incident.successorWaits > 0 {
                    text += " \(label(successor)) let \(incident.successorWaits) due FULL\(plural(incident.successorWaits)) pass first: a board drops a dead registry only when its own PING of it fails."
                }
                figures.insert(("gap_s", .seconds(gap)), at: 0)
            } else {
                let lowest = analyzer.lowest.map(label) ?? "none"
                text += ", but no other node has sent a FULL since, up to the end of the capture (\(span(lastTime ?? last, last)) after its last frame): HELLOs and OFFLINEs go unanswered. The lowest live address now is \(lowest)."
                if let l = analyzer.lowest, l != x { ips = [x, l] }
                until = nil
            }
            text += " If \(x) should be running, check its power and its network link."
        case .registryLostUnnoticed:
            let last = incident.lastSent ?? incident.since
            text = "\(label(x)), the registry, fell silent at \(clockText(last)) (its last frame): \(incident.count) FULL\(plural(incident.count)) it owed never came, and up to the end of the capture (\(span(lastTime ?? last, last)) later) no board declared it offline or took over, so HELLOs and OFFLINEs stay unanswered."
            if let storm = all.first(where: { $0.code == .offlineStorm && !$0.discarded && $0.ips[0] != x && ($0.until ?? lastTime ?? $0.since) >= last }) {
                text += " The OFFLINE storm about \(label(storm.ips[0])) explains why: each of its OFFLINEs makes every board PING \(storm.ips[0]) and forget the one PING it was waiting on, so no board's PING of \(x) ever times out."
            }
            text += " Power-cycle \(x) or check its link: the boards will not elect another registry on their own."
            figures = [("count", .count(incident.count)), ("silent_s", .seconds((lastTime ?? last).seconds(since: last)))]
        case .registryHandoverGap:
            text = "\(label(x)) became the lowest address at \(clockText(incident.since)) (\(cause(incident.lowestCause))), so every board took it as registry, but "
            if let end = incident.until, case .full? = incident.end {
                let gap = end.seconds(since: incident.since)
                text += "its first FULL came only at \(clockText(end)), \(formatSpan(gap)) later"
                figures.append(("gap_s", .seconds(gap)))
            } else if let end = incident.until {
                text += "it sent no FULL before it stopped being the lowest at \(clockText(end)), \(span(end, incident.since)) later"
                figures.append(("gap_s", .seconds(end.seconds(since: incident.since))))
            } else {
                text += "it sent no FULL up to the end of the capture (\(span(lastTime ?? incident.since, incident.since)))"
            }
            text += "; \(incident.count) FULL\(plural(incident.count)) due from it did not come within \(timeoutText). The firmware's registry sends FULL only in reply to a HELLO, an OFFLINE or an unknown sender, so meanwhile nobody answered as registry. Booting boards in ascending address order (or giving the first board the lowest address) avoids the gap."
            figures.append(("count", .count(incident.count)))
        case .desktopRegistry:
            let fromPort = index(x).map { facts[$0].fromDiscoveryPort } ?? false
            text = "\(label(x)) has the lowest address, so the boards elected it registry at \(clockText(incident.since)), but it only sends HELLO (never FULL, PING or PONG\(fromPort ? ", and it sends from port \(port)" : "")): it is a desktop client. \(incident.count) FULL\(plural(incident.count)) it owed never came"
            if let declared = incident.declaredAt, let end = incident.until, incident.successor != nil {
                text += "; it was declared offline at \(clockText(declared)) and a FULL came again from \(label(incident.successor!)) at \(clockText(end)): discovery stalled for \(span(end, incident.since))."
                if incident.successorWaits > 0 {
                    text += " Meanwhile \(incident.successorWaits) FULL\(plural(incident.successorWaits)) due from \(incident.successor!) came late: a board drops the desktop only when its own PING of it fails."
                }
                figures.append(("gap_s", .seconds(end.seconds(since: incident.since))))
            } else if let declared = incident.declaredAt {
                text += "; it was declared offline at \(clockText(declared)), and no FULL has come since, up to the end of the capture."
                until = nil
            } else {
                text += ", up to \(incident.until.map(clockText) ?? "the end of the capture"): discovery stalled."
            }
            text += " Give the desktop client an address above every board's."
            figures.insert(("count", .count(incident.count)), at: 0)
        case .splitBrain:
            let a = incident.ips[0], b = incident.ips[1]
            text = "\(label(a)) and \(label(b)) both sent FULLs that do not list each other (from \(clockText(incident.since))): two groups, each with its own registry, came to hear each other."
            if let end = incident.until, let on = incident.successor {
                text += " They converged on \(label(on)) at \(clockText(end)), \(span(end, incident.since)) later, after \(incident.fulls) FULLs."
                ips = on == a ? [b, a] : [a, b]
            } else {
                text += " They had not converged by the end of the capture."
            }
            text += " Two switches, a VLAN split or a broken link kept them apart; the groups merge only when some board broadcasts (a boot HELLO, an OFFLINE)."
            figures.append(("fulls", .count(incident.fulls)))
        case .twoRegistries:
            text = "\(label(incident.ips[0])) and \(label(incident.ips[1])) both acted as registry: FULLs from both within \(windowText) (the conflict window), \(incident.count) time\(plural(incident.count)) from \(clockText(incident.since))\(incident.until.map { $0 > incident.since ? " to \(clockText($0))" : "" } ?? ""). Their views of the network differ: check that every board hears every other's broadcasts."
            figures.append(("count", .count(incident.count)))
        case .registryNotLowest:
            let lower = incident.ips.count > 1 ? incident.ips[1] : x
            text = "\(label(x)) sent \(incident.count) FULL\(plural(incident.count)) from \(clockText(incident.since)) while the lower address \(label(lower)) was live: it does not know \(lower), or not every board hears \(lower)."
            figures.append(("count", .count(incident.count)))
        case .offlineStorm:
            text = "\(label(x)) was declared offline \(incident.count) times from \(clockText(incident.since)) to \(clockText(incident.latest ?? incident.since)) with no frame from it in between, and the registry answered with \(incident.fulls) FULL\(plural(incident.fulls)): the firmware's OFFLINE storm (each OFFLINE makes every board PING it again, and each unanswered PING gives another OFFLINE)."
            if let end = incident.until {
                text += " It ended when \(x) sent again at \(clockText(end))" + (incident.lastSent.map { " after \(span(end, $0)) of silence." } ?? ".")
                text += " The storm was a consequence of that silence, not a fault of its own."
            } else {
                text += " It lasts while \(x) stays silent" + (incident.lastSent.map { " (its last frame at \(clockText($0)))." } ?? ".")
                text += " The storm is a consequence: bring \(x) back or take it off the network and it stops."
                until = nil
            }
            figures = [("count", .count(incident.count)), ("fulls", .count(incident.fulls))]
        case .nodeFlapping:
            text = "\(label(x)) was declared offline and came back \(incident.count) times, from \(clockText(incident.since)) to \(clockText(incident.until ?? incident.since)): it misses PINGs now and then (frozen, overloaded or on a bad link)."
            figures.append(("count", .count(incident.count)))
        case .falseOffline:
            let by = incident.ips[1]
            let burst = bursts[BurstKey(declarer: by, time: incident.since)] ?? (1, incident.since, incident.since)
            text = "\(label(by)) declared \(label(x)) offline at \(clockText(incident.since)) though it was plainly alive: it had sent a frame \(incident.lastSent.map { span(incident.since, $0) } ?? "shortly") before and answered \(span(incident.until ?? incident.since, incident.since)) after."
            if incident.count > 1 {
                text += " It happened \(incident.count) times, the last at \(clockText(incident.latest ?? incident.since))."
            }
            if burst.count > 1 {
                text += " \(by) declared \(burst.count) healthy nodes offline within \(span(burst.last, burst.first))."
            }
            if incident.declarerSilence > 0, let back = incident.declarerBack {
                text += " \(by) itself had been silent for \(formatSpan(Double(incident.declarerSilence) / 1e9)) until \(clockText(back)): a board that stalled and, catching up, ran its overdue liveness rounds back to back."
            }
            text += " They recovered at once; if it repeats, find out why \(by) stalls."
            figures.append(("count", .count(incident.count)))
            figures.append(("declared_together", .count(burst.count)))
        default:
            text = ""
        }
        return Diagnosis(code: incident.code, ips: ips, since: incident.since, until: until, text: text, figures: figures)
    }

    private func describeLost(_ node: Node) -> Diagnosis {
        let facts = index(node.ip).map { self.facts[$0] } ?? NodeFacts()
        let since = node.lastSent ?? facts.firstOffline ?? facts.offlineAt ?? lastTime!
        var text = node.lastSent.map { "\(label(node.ip)) fell silent at \(clockText($0))" } ?? "\(label(node.ip)), never heard itself,"
        if let at = facts.runStart {
            text += " and was declared offline at \(clockText(at))" + (facts.offlineAt != nil && facts.offlineBy != nil && facts.offlineRun == 1 ? " by \(facts.offlineBy!)" : "")
        } else {
            text += " and was declared offline"
        }
        text += "; it never came back. Check its power or link if it should be running."
        return Diagnosis(code: .nodeLost, ips: [node.ip], since: since, until: nil, text: text)
    }

    private func describeLegacy() -> Diagnosis? {
        guard let first = firstLegacy else { return nil }
        let devices = analyzer.nodes.storage.filter { $0.framesByType[FrameType.legacy.index] > 0 }.sorted { $0.ip < $1.ip }
        guard !devices.isEmpty else { return nil }
        let shown = devices.prefix(16)
        var list = shown.map { device in
            var item = label(device.ip)
            var notes: [String] = []
            if let version = device.legacyVersion { notes.append("version \(version)") }
            if device.timesDeclaredOffline > 0 { notes.append("declared offline \(device.timesDeclaredOffline) time\(plural(device.timesDeclaredOffline))") }
            if !notes.isEmpty { item += " (" + notes.joined(separator: ", ") + ")" }
            return item
        }.joined(separator: ", ")
        if devices.count > shown.count { list += " and \(devices.count - shown.count) more" }
        let one = devices.count == 1
        let declared = devices.reduce(0) { $0 + $1.timesDeclaredOffline }
        var text = "\(devices.count) device\(one ? " runs" : "s run") old JSON firmware (\(legacyFrames) announcement\(plural(legacyFrames))): \(list)."
        if declared > 0 {
            text += " \(one ? "It never answers" : "They never answer") PING, so current boards keep declaring \(one ? "it" : "them") offline between \(one ? "its" : "their") announcements (\(declared) time\(plural(declared)) in all) and re-adding \(one ? "it" : "them") at the next one."
        } else {
            text += " \(one ? "It never answers" : "They never answer") PING, so current boards will declare \(one ? "it" : "them") offline between announcements."
        }
        text += " \(one ? "It ignores" : "They ignore") binary frames and never learn the current boards. Update \(one ? "its" : "their") firmware."
        return Diagnosis(code: .legacyFirmware, ips: devices.prefix(64).map(\.ip), since: first, until: nil, text: text,
                         figures: [("count", .count(devices.count)), ("declared_offline", .count(declared))])
    }

    private func describeOversize() -> Diagnosis? {
        guard let first = oversize.first, let last = oversize.last, let sender = oversize.sender else { return nil }
        let hellos = hellos - oversize.hellosAtFirst
        let fulls = fulls - oversize.fullsAtFirst
        let end = max(last, lastTime ?? last)
        let seconds = end.seconds(since: first)
        var text = "\(oversize.count) FULL\(plural(oversize.count)) from \(label(sender))\(oversize.otherSenders > 0 ? " and others" : "") \(oversize.count == 1 ? "was" : "were") longer than the boards' 1024-byte receive buffer (the largest \(oversize.largest) bytes, \(oversize.largestPeers) peers), from \(clockText(first)): every board reads them cut and loses the peers past the cut."
        var figures: [(name: String, value: Diagnosis.Figure)] = [("count", .count(oversize.count)), ("largest_bytes", .count(oversize.largest))]
        if seconds > 0 {
            let rate = Double(hellos + fulls) / seconds
            text += " The boards missing from the list HELLO again and the registry answers each with another FULL: \(hellos) HELLOs and \(fulls) FULLs in \(formatSpan(seconds)) (\(Int(rate.rounded())) a second)."
            figures += [("hellos", .count(hellos)), ("fulls", .count(fulls)), ("per_second", .seconds(rate))]
        }
        text += " Shorter names or fewer boards per network keep FULL under 1024 bytes."
        // Over once no FULL too long has come for a liveness round: it lasts no more.
        let over = end.totalNanoseconds - last.totalNanoseconds > round ? last : nil
        return Diagnosis(code: .fullExceedsReceiveBuffer, ips: [sender], since: first, until: over, text: text, figures: figures)
    }

    private func describeMalformed() -> Diagnosis? {
        guard let first = malformed.first else { return nil }
        let senders = malformed.bySender.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let shown = senders.prefix(5).map { "\(label($0.key)) (\($0.value))" }.joined(separator: ", ")
        let more = senders.count - min(senders.count, 5) + malformed.otherSenders
        var text = "\(malformed.count) malformed datagram\(plural(malformed.count)) on the discovery port from \(clockText(first))"
        if !shown.isEmpty { text += ", from \(shown)" + (more > 0 ? " and \(more) more sender\(plural(more))" : "") }
        text += ": the boards' lenient decoder may read them differently than they were meant. See --malformed for the bytes."
        return Diagnosis(code: .malformedFrames, ips: senders.prefix(16).map(\.key), since: first, until: malformed.last, text: text,
                         figures: [("count", .count(malformed.count))])
    }

    private func describeFlood() -> Diagnosis? {
        let flood = analyzer.flood
        guard !flood.isEmpty, let first = flood.first else { return nil }
        let addresses = flood.distinctAddresses, senders = flood.distinctSenders
        let top = flood.topSenders.prefix(5)
        var text = "\(approximately(addresses)) address\(addresses == 1 ? "" : "es") beyond the node cap (\(analyzer.maxNodes)) were counted, not kept, from \(clockText(first))\(flood.last.map { $0 > first ? " to \(clockText($0))" : "" } ?? ""): spoofed or invented, since anyone on the LAN can send discovery frames from any address and a FULL can list 255. They came from \(approximately(senders)) sender\(senders == 1 ? "" : "s")"
        if senders > top.count, top.count > 0 {
            text += "; the most from " + top.map { "\(label($0.ip)) (at least \($0.count))" }.joined(separator: ", ")
        } else if !top.isEmpty {
            text += ": " + top.map { label($0.ip) }.joined(separator: ", ")
        } else if !flood.recentSenders.isEmpty {
            text += ", none standing out (each announced itself); the last: " + flood.recentSenders.map(label).joined(separator: ", ")
        }
        text += ". Boards heard from twice keep their place, so the diagnoses of the real boards stand. Find the host sending them (its MAC address is in the capture); raise --max-nodes only if the LAN really has this many devices."
        return Diagnosis(code: .addressFlood, ips: top.isEmpty ? flood.recentSenders : top.map(\.ip), since: first, until: flood.last, text: text,
                         figures: [("count", .count(addresses)), ("times", .count(flood.times)), ("senders", .count(senders))])
    }

    private func cause(_ cause: LowestCause) -> String {
        switch cause {
        case .initial: "the first node heard"
        case .joined: "it joined"
        case .returned: "it came back"
        case let .lowerLeft(z): "\(z) was declared offline"
        }
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
func clockText(_ time: Timestamp) -> String {
    var out: [UInt8] = []
    time.writeTimeOfDay(to: &out)
    return String(decoding: out.prefix(11), as: UTF8.self)
}

func span(_ later: Timestamp, _ earlier: Timestamp) -> String { formatSpan(later.seconds(since: earlier)) }

/// "1 ms", "86 ms", "1.8 s", "12 s", "2 min 5 s".
func formatSpan(_ seconds: Double) -> String {
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
