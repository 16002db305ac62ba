import Analyzer
import DiscoveryCodec
import WireBytes

/// A run of events of one kind, printed as one line with a count so that a storm
/// (of OFFLINEs, of unexpected FULLs) does not bury the story.
struct EventFold {
    var kind: ElectionEventKind
    /// Events of the run printed in full (the first few), then folded ones.
    var printed = 1
    var count = 0
    var last: Timestamp
    var addresses: [IPv4Address] = []
    /// A run of one kind prints this many events in full before folding the rest.
    static let shownInFull = 3
}

extension TextWriter {
    /// Rows per summary table: a screenful.
    static let tableRows = 40

    public func write(_ event: ElectionEvent) {
        guard !quiet else { return }
        if var fold, fold.kind == event.kind, fold.printed < EventFold.shownInFull {
            // The same kind again, but the run is short yet: print it in full.
            fold.printed += 1
            self.fold = fold
        } else if var fold, fold.kind == event.kind {
            // The same kind again: fold it, print nothing now.
            fold.count += 1
            fold.last = event.time
            if let ip = primaryAddress(event), !fold.addresses.contains(ip), fold.addresses.count < 6 { fold.addresses.append(ip) }
            self.fold = fold
            return
        }
        if fold?.kind != event.kind {
            endFold()
            fold = EventFold(kind: event.kind, last: event.time)
        }
        if let origin = event.origin {
            prefix(origin)
        } else {
            event.time.writeTimeOfDay(to: &stream.buffer)
            stream.buffer.append(" (deadline) ")
        }
        stream.buffer.append(string: style.event)
        stream.buffer.append("▶ ")
        stream.buffer.append(string: event.kind.rawValue)
        stream.buffer.append(string: style.reset)
        stream.buffer.append(UInt8(ascii: " "))
        // Every part that came from the network is escaped on the way.
        writeDescription(event, to: &stream.buffer)
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    /// Prints the folded line, if events were folded.
    public func endFold() {
        guard let fold else { return }
        self.fold = nil
        guard fold.count > 0 else { return }
        stream.buffer.append(string: style.dim)
        var line = "  … \(fold.count) more \(fold.kind.rawValue) until "
        var stamp: [UInt8] = []
        fold.last.writeTimeOfDay(to: &stamp)
        line += String(decoding: stamp, as: UTF8.self)
        if !fold.addresses.isEmpty {
            line += " (" + fold.addresses.map(\.description).joined(separator: ", ") + (fold.count > fold.addresses.count ? ", …" : "") + ")"
        }
        stream.append(line)
        stream.buffer.append(string: style.reset)
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    func primaryAddress(_ event: ElectionEvent) -> IPv4Address? {
        switch event.detail {
        case let .nodeSeen(ip, _, _), let .nodeDeclaredOffline(ip, _), let .nodeReturned(ip), let .registryElected(ip),
             let .registryUnexpected(ip, _):
            return ip
        case let .nodeRenamed(rename): return rename.ip
        case let .registryChanged(_, to): return to
        case let .registryConflict(ips): return ips.first
        case let .registrySilent(expected, _): return expected
        case .peersChanged: return nil
        }
    }

    /// An address with its name when known: `10.37.0.20 "Attack from Mars"`.
    func label(_ ip: IPv4Address) -> String { addressAndName(ip, nameOf(ip)) }

    /// The event as text, for the live view.
    func describe(_ event: ElectionEvent) -> String {
        var out: [UInt8] = []
        writeDescription(event, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// An address with its name when known: `10.37.0.20 "Attack from Mars"`.
    func writeLabel<Sink: ByteSink>(_ ip: IPv4Address, to out: inout Sink) {
        appendAddressAndName(ip, nameOf(ip), to: &out)
    }

    func writeQuoted<Sink: ByteSink>(_ name: Name, to out: inout Sink) {
        out.append(UInt8(ascii: "\""))
        name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// What the event says, written straight into `out` (no strings built).
    func writeDescription<Sink: ByteSink>(_ event: ElectionEvent, to out: inout Sink) {
        switch event.detail {
        case let .nodeSeen(ip, name, via):
            ip.write(to: &out)
            if let name { out.append(" "); writeQuoted(name, to: &out) }
            out.append(via == .full ? " (first FULL listing or frame)" : " (first ")
            if via != .full { out.append(string: via.name); out.append(")") }
        case let .nodeRenamed(rename):
            rename.ip.write(to: &out)
            out.append(" ")
            writeQuoted(rename.from, to: &out)
            out.append(" → ")
            writeQuoted(rename.to, to: &out)
        case let .nodeDeclaredOffline(ip, by):
            writeLabel(ip, to: &out)
            out.append(" declared offline by ")
            writeLabel(by, to: &out)
        case let .nodeReturned(ip):
            writeLabel(ip, to: &out)
            out.append(" is back")
        case let .registryElected(ip):
            writeLabel(ip, to: &out)
            out.append(" is registry (first FULL)")
        case let .registryChanged(from, to):
            writeLabel(from, to: &out)
            out.append(" → ")
            writeLabel(to, to: &out)
        case let .registryConflict(ips):
            for (i, ip) in ips.enumerated() {
                if i > 0 { out.append(" and ") }
                writeLabel(ip, to: &out)
            }
            out.append(" both send FULL")
        case let .registryUnexpected(ip, expected):
            out.append("FULL from ")
            writeLabel(ip, to: &out)
            out.append(" while ")
            writeLabel(expected, to: &out)
            out.append(" is the lowest address")
        case let .registrySilent(expected, after):
            writeLabel(expected, to: &out)
            out.append(" owed a FULL")
            if let after {
                out.append(" (after ")
                writeLabel(after, to: &out)
                out.append(")")
            }
            out.append(" and sent none")
        case let .peersChanged(added, removed, renamed):
            var first = true
            for ip in added {
                out.append(first ? "+" : " +"); first = false
                ip.write(to: &out)
            }
            for ip in removed {
                out.append(first ? "-" : " -"); first = false
                ip.write(to: &out)
            }
            for rename in renamed {
                if !first { out.append(", ") }
                first = false
                rename.ip.write(to: &out)
                out.append(" ")
                writeQuoted(rename.from, to: &out)
                out.append(" → ")
                writeQuoted(rename.to, to: &out)
            }
        }
    }

    /// "What happened": the diagnoses in the order the incidents began, severity
    /// marked (coloured on a terminal), each with its story wrapped below it.
    func whatHappened(_ report: ElectionReport) -> [String] {
        var lines = ["\(style.bold)What happened\(style.reset)"]
        if report.diagnoses.isEmpty {
            lines.append("  nothing wrong seen: no diagnosis")
        }
        for diagnosis in report.diagnoses {
            let colour: String
            switch diagnosis.severity {
            case .error: colour = style.error + style.bold
            case .warning: colour = style.warning
            case .note: colour = style.dim
            }
            var when = timeOfDay(diagnosis.since).prefix(11) + " → "
            when += diagnosis.until.map { timeOfDay($0).prefix(11) } ?? "the end"
            let about = diagnosis.ips.prefix(4).map(\.description).joined(separator: ", ") + (diagnosis.ips.count > 4 ? ", …" : "")
            lines.append("  " + colour + pad(diagnosis.severity.rawValue.uppercased(), 8) + style.reset
                         + pad(String(when), 28) + style.bold + diagnosis.code.rawValue + style.reset + " (" + about + ")")
            for line in wrap(diagnosis.message.terminalText, width: 100) { lines.append("          " + line) }
        }
        if report.diagnosesDropped > 0 {
            lines.append("  … and \(report.diagnosesDropped) more incident\(report.diagnosesDropped == 1 ? "" : "s") not followed (the engine follows at most 4096, and a few of each kind at a time)")
        }
        lines.append("")
        return lines
    }

    /// The analyzer's part of the text summary: nodes, registry history, events.
    func electionLines(_ report: ElectionReport) -> [String] {
        var lines: [String] = []
        let counted = report.eventCounts.filter { $0.count > 0 }.map { "\($0.kind.rawValue) \($0.count)" }
        lines.append("  events: " + (counted.isEmpty ? "none" : counted.joined(separator: ", ")))
        if !report.limitsReached.isEmpty {
            lines.append("  \(style.warning)limits reached\(style.reset) (what was left out to stay bounded): "
                         + report.limitsReached.map { "\(String($0.name.map { $0 == "_" ? " " : $0 })) \($0.count)" }.joined(separator: ", "))
        }
        lines.append("")
        var title = "\(style.bold)Nodes\(style.reset) (\(report.nodes.count))"
        if !report.flood.isEmpty {
            title += " \(style.warning)and about \(report.flood.distinctAddresses) more addresses beyond the cap of \(report.maxNodes), counted, not kept\(style.reset)"
        }
        lines.append(title)
        let kinds = FrameType.allCases
        // Times to the nanosecond (live captures) need three more columns.
        let timeWidth = report.nodes.contains { ($0.firstSent ?? $0.lastSent)?.precision == .nanoseconds } ? 20 : 17
        let header = pad("address", 16) + pad("name", 34) + pad("first seen", timeWidth) + pad("last seen", timeWidth)
            + kinds.map { pad($0.name, 8) }.joined() + "state"
        lines.append("  " + header)
        // A screenful per table: the nodes that sent frames first, then those only listed.
        let shownNodes = report.nodes.count > TextWriter.tableRows
            ? Array(report.nodes.filter { $0.firstSent != nil }.prefix(TextWriter.tableRows)
                    + report.nodes.filter { $0.firstSent == nil }.prefix(TextWriter.tableRows)).prefix(TextWriter.tableRows).sorted { $0.ip < $1.ip }
            : report.nodes
        for node in shownNodes {
            let name = node.name.map(quotedName) ?? "-"
            var row = pad(node.ip.description, 16) + pad(name, 34)
            row += pad(node.firstSent.map(timeOfDay) ?? "-", timeWidth) + pad(node.lastSent.map(timeOfDay) ?? "-", timeWidth)
            row += kinds.map { pad(String(node.framesByType[$0.index]), 8) }.joined()
            var state = nodeState(node)
            if node.timesDeclaredOffline > 0 { state += " (declared offline \(node.timesDeclaredOffline)×)" }
            if let version = node.legacyVersion { state += " legacy \(terminalSafe(version))" }
            lines.append("  " + row + state)
        }
        if shownNodes.count < report.nodes.count {
            lines.append("  … and \(report.nodes.count - shownNodes.count) more (--json lists them all)")
        }
        lines.append("")
        lines.append("\(style.bold)Registry history\(style.reset)")
        if report.history.isEmpty {
            lines.append("  no FULL seen: no registry acted")
        }
        if report.historyDropped > 0 { lines.append("  (\(report.historyDropped) earlier reigns not kept)") }
        let reigns = report.history.count > TextWriter.tableRows ? Array(report.history.suffix(TextWriter.tableRows)) : report.history
        if reigns.count < report.history.count {
            lines.append("  … \(report.history.count - reigns.count) earlier reigns (--json lists them all), then:")
        }
        for reign in reigns {
            var line = "  " + pad(label(reign.ip), 40) + " from " + timeOfDay(reign.since)
            if let until = reign.until {
                line += " for " + formatSeconds(until.seconds(since: reign.since))
            } else {
                line += " to the end"
            }
            line += " (\(reign.fulls) FULL\(reign.fulls == 1 ? "" : "s"))"
            lines.append(line)
        }
        return lines
    }

    func timeOfDay(_ time: Timestamp) -> String {
        var out: [UInt8] = []
        time.writeTimeOfDay(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Words to lines of at most `width` characters (a longer word stands alone).
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
        if !line.isEmpty && line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

/// Pads to a width in characters (names are short; this is display only).
func pad(_ text: String, _ width: Int) -> String {
    let count = text.count
    return count >= width ? text + " " : text + String(repeating: " ", count: width - count)
}

extension TextWriter {
    /// An incident opened or closed, on a line of its own: open, its severity, code,
    /// nodes and first sentence; closed, its span.
    public func write(_ incident: IncidentChange) {
        guard !quiet else { return }
        endFold()
        let d = incident.diagnosis
        incident.time.writeTimeOfDay(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: " "))
        let colour: String
        switch d.severity {
        case .error: colour = style.error + style.bold
        case .warning: colour = style.warning
        case .note: colour = style.dim
        }
        let about = d.ips.prefix(4).map(\.description).joined(separator: ", ") + (d.ips.count > 4 ? ", …" : "")
        switch incident.state {
        case .open:
            stream.buffer.append(string: colour + "● " + d.severity.rawValue.uppercased() + " #\(d.id) " + d.code.rawValue + style.reset)
            if !about.isEmpty { stream.buffer.append(string: " (" + about + ")") }
            stream.buffer.append(string: ": " + firstSentence(d.message.terminalText))
        case .closed:
            stream.buffer.append(string: style.dim + "○ closed #\(d.id) " + d.code.rawValue + style.reset)
            if !about.isEmpty { stream.buffer.append(string: " (" + about + ")") }
            if incident.withdrawn {
                stream.buffer.append(" withdrawn: another incident tells it")
            } else if let until = d.until {
                var from: [UInt8] = [], to: [UInt8] = []
                d.since.writeTimeOfDay(to: &from)
                until.writeTimeOfDay(to: &to)
                stream.buffer.append(string: " after \(formatSpan(until.seconds(since: d.since))), "
                                     + String(decoding: from.prefix(11), as: UTF8.self) + " → " + String(decoding: to.prefix(11), as: UTF8.self))
            }
        }
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    /// The text up to its first sentence's end (". " outside a quoted name).
    func firstSentence(_ text: String) -> String {
        var quoted = false
        var previous: Character = " "
        var end = text.endIndex
        for i in text.indices {
            let c = text[i]
            if c == "\"" && previous != "\\" { quoted.toggle() }
            if !quoted, c == ".", previous != "\\", text.index(after: i) < text.endIndex, text[text.index(after: i)] == " " {
                end = text.index(after: i)
                break
            }
            previous = c
        }
        return String(text[..<end])
    }
}
