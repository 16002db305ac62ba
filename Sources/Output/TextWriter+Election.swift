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
        let start: Int
        if let origin = event.origin {
            start = prefix(origin)
        } else {
            start = stream.buffer.count
            stream.buffer.write(reserving: 32) { event.time.writeTimeOfDay(to: &$0) }
            stream.buffer.append(" (deadline) ")
        }
        if colored { stream.buffer.append(string: style.event) }
        stream.buffer.append("▶ ")
        stream.buffer.append(event.kind.staticName)
        if colored { stream.buffer.append(string: style.reset) }
        stream.buffer.append(UInt8(ascii: " "))
        // Every part that came from the network is escaped on the way.
        writeDescription(event, to: &stream.buffer)
        endLine(start)
    }

    /// Prints the folded line, if events were folded.
    public func endFold() {
        guard let fold else { return }
        self.fold = nil
        guard fold.count > 0 else { return }
        let start = stream.buffer.count
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
        endLine(start)
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
            if via != .full { out.append(via.staticName); out.append(")") }
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
            // The story under it, indented; on a terminal, within the window.
            let indent = (layout.columns ?? 110) >= 60 ? 10 : 4
            let width = min(100, (layout.columns ?? 110) - indent)
            for line in wrap(diagnosis.message.terminalText, width: width) { lines.append(String(repeating: " ", count: indent) + line) }
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
        // A screenful per table: the nodes that sent frames first, then those only listed.
        let shownNodes = report.nodes.count > TextWriter.tableRows
            ? Array(report.nodes.filter { $0.firstSent != nil }.prefix(TextWriter.tableRows)
                    + report.nodes.filter { $0.firstSent == nil }.prefix(TextWriter.tableRows)).prefix(TextWriter.tableRows).sorted { $0.ip < $1.ip }
            : report.nodes
        func nodeStates(short: Bool) -> [String] {
            shownNodes.map { node in
                var state = nodeState(node)
                if node.timesDeclaredOffline > 0 {
                    state += short ? " (\(node.timesDeclaredOffline)×)" : " (declared offline \(node.timesDeclaredOffline)×)"
                }
                if let version = node.legacyVersion { state += " legacy \(terminalSafe(version))" }
                return state
            }
        }
        var states = nodeStates(short: false)
        var table = NodeTableLayout(kinds: kinds, timeWidth: timeWidth)
        if let columns = layout.columns {
            table.narrow(to: columns - 2, nodes: shownNodes, states: states)
            // Narrowed, a state says "offline (45×)" for "offline (declared offline 45×)".
            if table.narrowed { states = nodeStates(short: true) }
        }
        lines.append("  " + table.header())
        for (node, state) in zip(shownNodes, states) {
            let row = table.row(node, name: node.name.map(quotedName) ?? "-", state: state, timeOfDay: timeOfDay)
            lines.append(layout.columns.map { cutText("  " + row, to: $0) } ?? "  " + row)
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
        // The label column narrows to the window, names cut with an ellipsis.
        let spans = reigns.map { reign in
            var text = " from " + timeOfDay(reign.since)
            if let until = reign.until {
                text += " for " + formatSeconds(until.seconds(since: reign.since))
            } else {
                text += " to the end"
            }
            return text + " (\(reign.fulls) FULL\(reign.fulls == 1 ? "" : "s"))"
        }
        let labelWidth = layout.columns.map { min(40, max(16, $0 - 2 - (spans.map(terminalColumns).max() ?? 0))) }
        for (reign, span) in zip(reigns, spans) {
            let cellText = labelWidth.map { cell(label(reign.ip), $0) } ?? pad(label(reign.ip), 40)
            // (cell() keeps one space after a cut name, pad() none after a full one: the same column.)
            lines.append("  " + (labelWidth == nil ? cellText : String(cellText.dropLast())) + span)
        }
        return lines
    }

    func timeOfDay(_ time: Timestamp) -> String { time.timeOfDayText() }
}

/// Words to lines of at most `width` terminal columns (a longer word stands alone).
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    var lineWidth = 0
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
        let wordWidth = terminalColumns(String(word))
        if !line.isEmpty && lineWidth + 1 + wordWidth > width {
            lines.append(line)
            line = ""
            lineWidth = 0
        }
        lineWidth += (line.isEmpty ? 0 : 1) + wordWidth
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

/// Pads to a width in terminal columns (names are short; this is display only).
func pad(_ text: String, _ width: Int) -> String {
    let count = terminalColumns(text)
    return count >= width ? text + " " : text + String(repeating: " ", count: width - count)
}

extension TextWriter {
    /// An incident opened or closed, on a line of its own: open, its severity, code,
    /// nodes and first sentence; closed, its span.
    public func write(_ incident: IncidentChange) {
        guard !quiet else { return }
        endFold()
        let d = incident.diagnosis
        let start = stream.buffer.count
        stream.buffer.write(reserving: 32) { incident.time.writeTimeOfDay(to: &$0) }
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
        // Its sentence is read, not scanned: wrapped at words on a terminal, never cut.
        if let columns = layout.columns { stream.buffer.wrapLine(from: start, to: columns) }
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

/// The columns of the summary's node table. Where the window allows, today's layout;
/// narrower, step by step: the address and type columns as wide as their contents
/// (type columns no node sent dropped), the name column narrower (names cut with
/// `…`), times to the second, then no "first seen". Rows are cut last.
struct NodeTableLayout {
    var kinds: [FrameType]
    var timeWidth: Int
    var addressWidth = 16
    var nameWidth = 34
    var kindWidths: [Int]
    var showFirst = true
    var shortTimes = false
    var narrowed = false

    init(kinds: [FrameType], timeWidth: Int) {
        self.kinds = kinds
        self.timeWidth = timeWidth
        kindWidths = kinds.map { _ in 8 }
    }

    func width(stateWidth: Int) -> Int {
        addressWidth + nameWidth + (showFirst ? timeWidth : 0) + timeWidth + kindWidths.reduce(0, +) + stateWidth
    }

    mutating func narrow(to columns: Int, nodes: [Node], states: [String]) {
        let stateWidth = max(5, states.map(terminalColumns).max() ?? 0)
        guard width(stateWidth: stateWidth) > columns else { return }
        narrowed = true
        addressWidth = max(7, nodes.map { $0.ip.description.utf8.count }.max() ?? 0) + 1
        let sent = kinds.filter { kind in nodes.contains { $0.framesByType[kind.index] > 0 } }
        kinds = sent
        kindWidths = sent.map { kind in max(kind.name.utf8.count, nodes.map { String($0.framesByType[kind.index]).utf8.count }.max() ?? 0) + 1 }
        let names = nodes.map { $0.name.map(quotedName) ?? "-" }
        nameWidth = min(34, max(5, names.map(terminalColumns).max() ?? 0) + 1)
        let state = min(stateWidth, 14)
        if width(stateWidth: state) > columns { nameWidth = max(16, nameWidth - (width(stateWidth: state) - columns)) }
        if width(stateWidth: state) > columns { shortTimes = true; timeWidth = 9 }
        if width(stateWidth: state) > columns { showFirst = false }
        if width(stateWidth: state) > columns { nameWidth = max(8, nameWidth - (width(stateWidth: state) - columns)) }
    }

    func header() -> String {
        var text = pad("address", addressWidth) + pad("name", nameWidth)
        if showFirst { text += pad(shortTimes ? "first" : "first seen", timeWidth) }
        text += pad(shortTimes ? "last" : "last seen", timeWidth)
        return text + zip(kinds, kindWidths).map { pad($0.name, $1) }.joined() + "state"
    }

    func row(_ node: Node, name: String, state: String, timeOfDay: (Timestamp) -> String) -> String {
        func time(_ t: Timestamp?) -> String { t.map { shortTimes ? String(timeOfDay($0).prefix(8)) : timeOfDay($0) } ?? "-" }
        var text = pad(node.ip.description, addressWidth) + (narrowed ? cell(name, nameWidth) : pad(name, nameWidth))
        if showFirst { text += pad(time(node.firstSent), timeWidth) }
        text += pad(time(node.lastSent), timeWidth)
        text += zip(kinds, kindWidths).map { pad(String(node.framesByType[$0.index]), $1) }.joined()
        return text + state
    }
}
