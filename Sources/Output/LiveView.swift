import Analyzer
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// The live picture on a terminal (`-i` on a tty), redrawn in place a few times a
/// second and always within its window:
///
/// 1. what is wrong right now: the thresholds' mismatch (every diagnosis is measured
///    with them), then the open incidents, worst first, each with its code and age;
/// 2. the incidents closed lately with their span, so that one that lasted two
///    seconds is still there to read;
/// 3. the registry (saying first when it has been quiet for a liveness round);
/// 4. the nodes, those in trouble first (declared offline, owing a FULL, at fault in
///    an open incident, quiet for a round), cut to the window with a count of the rest;
/// 5. the latest events, as room allows.
///
/// Everything from the network is made terminal-safe, every line is cut to the
/// window's width (wide characters count two columns) and the picture never has more
/// lines than the window. Per record it only counts (no allocation); strings are built
/// in `redraw`.
public final class LiveView: RecordWriter {
    let stream: OutputStream
    let analyzer: ElectionAnalyzer
    let style: TextStyle
    let title: String
    /// The summary at the end is the text writer's.
    let summaryWriter: TextWriter
    /// The diagnosis engine, for the incidents it still follows (an owed FULL, a storm).
    public var diagnosis: DiagnosisEngine?
    /// The window's size; nil: asked of the terminal on `outputDescriptor` at each redraw.
    public var windowSize: (rows: Int, columns: Int)?
    /// The descriptor whose terminal gives the window's size.
    public var outputDescriptor: Int32 = 1

    /// The latest events, a repeat (same kind, same node) folded into its earlier
    /// line with a count, so that a storm takes one line and never pushes a
    /// registry change or a conflict out of sight. Rendered only when drawn.
    struct LatestEvent {
        var key: UInt64
        var count: Int
        var event: ElectionEvent
    }
    var latestEvents: [LatestEvent] = []
    static let eventLines = 10
    /// Incidents the engine's stream opened and has not closed, in the order told.
    var openIncidents: [Diagnosis] = []
    /// The incidents closed lately, oldest first (withdrawn ones are not shown).
    var closedIncidents: [(diagnosis: Diagnosis, closedAt: Timestamp)] = []
    static let closedLines = 5
    var frames = 0
    var malformed = 0
    /// FULLs a node had sent when its last registry-silent fired: it is "silent"
    /// until it sends another.
    var silentAt: [IPv4Address: (fulls: Int, since: Timestamp)] = [:]

    public init(stream: OutputStream, analyzer: ElectionAnalyzer, style: TextStyle, title: String) {
        self.stream = stream
        self.analyzer = analyzer
        self.style = style
        self.title = title
        summaryWriter = TextWriter(stream: stream, quiet: true, style: style)
        summaryWriter.nameOf = { [unowned analyzer] in analyzer.nodes[$0]?.name }
        latestEvents.reserveCapacity(LiveView.eventLines + 1)
        closedIncidents.reserveCapacity(LiveView.closedLines + 1)
    }

    public func write(_ record: FrameRecord) { frames += 1 }
    public func write(_ record: MalformedRecord) { malformed += 1 }

    public func write(_ event: ElectionEvent) {
        if case let .registrySilent(expected, _) = event.detail {
            let fulls = analyzer.nodes[expected]?.framesByType[FrameType.full.index] ?? 0
            // Since the first deadline it missed, while it sends no FULL.
            let since = silentAt[expected].flatMap { $0.fulls == fulls ? $0.since : nil } ?? event.time
            silentAt[expected] = (fulls, since)
        }
        let key = UInt64(event.kind.index) << 32 | UInt64(summaryWriter.primaryAddress(event)?.value ?? 0)
        var count = 1
        if let earlier = latestEvents.lastIndex(where: { $0.key == key }) {
            count += latestEvents[earlier].count
            latestEvents.remove(at: earlier)
        }
        if latestEvents.count == LiveView.eventLines { latestEvents.removeFirst() }
        latestEvents.append(LatestEvent(key: key, count: count, event: event))
    }

    /// An incident opened or closed (the engine's stream): open ones are shown until
    /// they close, then among the recently closed with their span.
    public func write(_ incident: IncidentChange) {
        let id = incident.diagnosis.id
        switch incident.state {
        case .open:
            guard !incident.withdrawn else { return }
            openIncidents.removeAll { $0.id == id }
            openIncidents.append(incident.diagnosis)
        case .closed:
            openIncidents.removeAll { $0.id == id }
            guard !incident.withdrawn else { return }
            closedIncidents.removeAll { $0.diagnosis.id == id }
            if closedIncidents.count == LiveView.closedLines { closedIncidents.removeFirst() }
            closedIncidents.append((incident.diagnosis, incident.time))
        }
    }

    public func flush() {}

    /// The window's rows and columns.
    var window: (rows: Int, columns: Int) { windowSize ?? terminalSize(of: outputDescriptor) }

    /// Redraws the picture (called on the live loop's tick).
    public func redraw(now: Timestamp) {
        let (rows, columns) = window
        stream.append("\u{1B}[H")
        for line in picture(now: now, rows: rows, columns: columns) { stream.append(line + "\u{1B}[K\n") }
        stream.append("\u{1B}[J")
        stream.flush()
    }

    /// One incident line to show: its severity, code, since when, and its first sentence.
    struct IncidentLine {
        var severity: Severity
        /// Nil: a FULL owed (`registry-silent`), not a diagnosis (yet).
        var code: DiagnosisCode?
        var since: Timestamp
        var ips: [IPv4Address]
        var message: DiagnosisMessage
    }

    /// The incidents open now, worst first and oldest first within a severity: what the
    /// engine follows (an owed FULL, a storm, with words that grow), then what its
    /// stream told and did not close (one line per code and node at fault).
    func openLines(now: Timestamp) -> [IncidentLine] {
        var lines: [IncidentLine] = []
        for incident in diagnosis?.openIncidentList(now: now) ?? [] {
            lines.append(IncidentLine(severity: incident.severity, code: incident.code, since: incident.since, ips: incident.ips, message: incident.message))
        }
        for d in openIncidents where d.code != .thresholdsMismatch {
            if lines.contains(where: { $0.code == d.code && $0.ips.first == d.ips.first }) { continue }
            lines.append(IncidentLine(severity: d.severity, code: d.code, since: d.since, ips: d.ips, message: d.message))
        }
        // A FULL owed and still not sent (registry-silent fired, no FULL since) that the
        // engine is not telling at this moment (between one due moment and the next): it
        // stays in sight, told by the event that says so.
        for (ip, silent) in silentAt where !lines.contains(where: { $0.ips.first == ip }) {
            guard let node = analyzer.nodes[ip], node.live, silent.fulls == node.framesByType[FrameType.full.index] else { continue }
            lines.append(IncidentLine(severity: .error, code: nil, since: silent.since, ips: [ip],
                                      message: "\(node: ip, node.name) owes a FULL and has sent none since \(time: silent.since)"))
        }
        return lines.enumerated().sorted { a, b in
            if a.element.severity != b.element.severity { return a.element.severity > b.element.severity }
            if a.element.since != b.element.since { return a.element.since < b.element.since }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// The picture as lines, at most `rows - 1` (the cursor rests on the last row),
    /// each at most `columns - 1` columns wide (a terminal that wraps at the last
    /// column never scrolls).
    func picture(now: Timestamp, rows: Int, columns: Int) -> [String] {
        let height = max(1, rows - 1)
        let width = max(8, columns - 1)
        var lines: [String] = []
        func room() -> Int { height - lines.count }
        func add(_ line: String) { if room() > 0 { lines.append(cut(line, to: width)) } }
        let round = Int64((analyzer.thresholds.registryTimeout * 5 * 1e9).rounded())
        func quietFor(_ node: Node) -> Double? {
            guard let last = node.lastSent, !node.declaredOffline,
                  now.totalNanoseconds - last.totalNanoseconds >= round else { return nil }
            return now.seconds(since: last)
        }

        // The clock stays in sight on a narrow window (it shows the picture is alive).
        add("\(style.bold)peersniff\(style.reset) watching \(terminalSafe(title, quoting: false)) · \(String(millisecondClock(now).prefix(8))) UTC · \(frames) frames, \(malformed) malformed" + (width >= 100 ? " · Ctrl-C for the summary" : ""))
        // The thresholds in use do not fit the boards' cadence: every line below may be wrong.
        if let mismatch = openIncidents.first(where: { $0.code == .thresholdsMismatch }) {
            add("\(style.warning)⚠ \(mismatch.code.rawValue): \(firstSentence(mismatch.message).terminalText)\(style.reset)")
        }

        // Open incidents, worst first, each with its age.
        let open = openLines(now: now)
        if !open.isEmpty {
            // At most half the window, so that the registry and the nodes stay in sight.
            let cap = max(1, (height - lines.count - 4) / 2)
            let shown = open.count > cap ? max(0, cap - 1) : open.count
            for incident in open.prefix(shown) {
                let colour = incident.severity == .error ? style.error : incident.severity == .warning ? style.warning : ""
                add("\(colour)▲ \(incident.code?.rawValue ?? ElectionEventKind.registrySilent.rawValue)\(colour.isEmpty ? "" : style.reset) \(style.bold)\(formatAge(now.seconds(since: incident.since)))\(style.reset) · \(firstSentence(incident.message).terminalText)")
            }
            if shown < open.count { add("  … and \(open.count - shown) more open incident\(open.count - shown == 1 ? "" : "s")") }
        }
        // Recently closed, newest first, with their span.
        if !closedIncidents.isEmpty, room() > 4 {
            let cap = min(closedIncidents.count, max(1, (room() - 4) / 3))
            for closed in closedIncidents.suffix(cap).reversed() {
                let d = closed.diagnosis
                let until = d.until ?? closed.closedAt
                add("✓ \(d.code.rawValue) \(String(millisecondClock(d.since).prefix(8)))–\(String(millisecondClock(until).prefix(8))) (\(formatSpan(max(0, until.seconds(since: d.since))))), closed \(formatAgo(now.seconds(since: closed.closedAt))) · \(firstSentence(d.message).terminalText)")
            }
        }
        if lines.count > 1 { add("") }

        // The registry: quiet first when it is.
        if let registry = analyzer.confirmedRegistry {
            var line = "Registry: "
            if let node = analyzer.nodes[registry], let quiet = quietFor(node) {
                line += "\(style.warning)quiet for \(formatAge(quiet))\(style.reset) · "
            }
            line += "\(style.bold)\(summaryWriter.label(registry))\(style.reset)"
            if let reign = analyzer.latestReign { line += " since \(time(reign.since)) (\(reign.fulls) FULL\(reign.fulls == 1 ? "" : "s"))" }
            if let lowest = analyzer.lowest, lowest != registry {
                line += "  \(style.warning)but the lowest live address is \(summaryWriter.label(lowest))\(style.reset)"
            }
            add(line)
        } else {
            add("Registry: none yet (no FULL seen)" + (analyzer.lowest.map { "; lowest live address \(summaryWriter.label($0))" } ?? ""))
        }
        if let due = analyzer.pending {
            add("  waiting for a FULL from \(summaryWriter.label(due.expected)) until \(time(due.deadline))")
        }

        // The nodes, those in trouble first; the rest as room allows.
        let atFault = Set(open.compactMap(\.ips.first))
        func trouble(_ node: Node) -> Int {
            if node.declaredOffline || atFault.contains(node.ip) { return 0 }
            if let silent = silentAt[node.ip], silent.fulls == node.framesByType[FrameType.full.index] { return 0 }
            if quietFor(node) != nil { return 1 }
            return node.firstSent == nil ? 3 : 2
        }
        let ordered = analyzer.nodes.values.map { (trouble($0), $0) }.sorted { a, b in
            a.0 != b.0 ? a.0 < b.0 : a.1.ip < b.1.ip
        }
        // Wide windows give long (escaped) names more room.
        let nameWidth = width >= 120 ? min(60, width - 16 - 12 - 40) : max(12, min(36, width - 16 - 12 - 26))
        if room() >= 2, !ordered.isEmpty {
            add(style.bold + fitted("address", 16) + fitted("name", nameWidth) + fitted("last seen", 12) + "state" + style.reset)
            // Leave the latest events a few lines when the nodes do not need them all.
            let rowsForNodes = room()
            let shown = ordered.count > rowsForNodes ? max(0, rowsForNodes - 1) : ordered.count
            for (_, node) in ordered.prefix(shown) {
                let name = node.name.map(quotedName) ?? "-"
                let seen = node.lastSent.map { formatAgo(now.seconds(since: $0)) } ?? "listed"
                var state = nodeState(node)
                if node.declaredOffline {
                    state = "\(style.error)declared offline\(style.reset)"
                } else if let silent = silentAt[node.ip], silent.fulls == node.framesByType[FrameType.full.index] {
                    state = "\(style.warning)silent\(style.reset) (owes a FULL)"
                } else if let quiet = quietFor(node) {
                    state = "\(style.warning)quiet for \(formatAge(quiet))\(style.reset)"
                }
                if node.ip == analyzer.confirmedRegistry { state += " · registry" }
                add(fitted(node.ip.description, 16) + fitted(name, nameWidth) + fitted(seen, 12) + state)
            }
            if shown < ordered.count {
                let hidden = ordered.count - shown
                let listedOnly = ordered.dropFirst(shown).filter { $0.1.firstSent == nil }.count
                add("… \(hidden) more node\(hidden == 1 ? "" : "s")" + (listedOnly == hidden ? " (listed in FULLs only)" : "") + "; the summary lists them all")
            }
        } else if ordered.isEmpty {
            add("No node heard yet.")
        }

        // The latest events, newest last, as room allows.
        if room() >= 3 {
            add("")
            add("\(style.bold)Latest events\(style.reset)")
            if latestEvents.isEmpty { add("  none yet") }
            for entry in latestEvents.suffix(room()) {
                // The count of a folded repeat comes first, where a narrow terminal keeps it.
                let line = style.event + entry.event.kind.rawValue + style.reset + " " + summaryWriter.describe(entry.event)
                add("  " + millisecondClock(entry.event.time) + " " + (entry.count > 1 ? "\(style.bold)×\(entry.count)\(style.reset) " : "") + line)
            }
        }
        return lines
    }

    public func write(_ summary: Summary) {
        stream.append("\u{1B}[H\u{1B}[2J")
        // The summary fits the window as the picture did.
        let writer = TextWriter(stream: stream, quiet: true, style: style, layout: TextLayout(columns: window.columns))
        writer.nameOf = summaryWriter.nameOf
        writer.write(summary)
    }

    func time(_ t: Timestamp) -> String { millisecondClock(t) }
}

/// A diagnosis's first sentence (up to its first `. ` in peersniff's own words; a
/// name from the network never ends it).
func firstSentence(_ message: DiagnosisMessage) -> DiagnosisMessage {
    var out = DiagnosisMessage()
    for part in message.parts {
        switch part {
        case let .prose(text):
            let scalars = Array(text.unicodeScalars)
            if let k = scalars.indices.first(where: { $0 + 1 < scalars.count && scalars[$0] == "." && scalars[$0 + 1] == " " }) {
                var sentence = ""
                sentence.unicodeScalars.append(contentsOf: scalars[...k])
                out += DiagnosisMessage(stringLiteral: sentence)
                return out
            }
            out += DiagnosisMessage(stringLiteral: text)
        case let .node(ip, name): out += "\(node: ip, name)"
        case let .time(t): out += "\(time: t)"
        case let .span(s): out += "\(span: s)"
        }
    }
    return out
}

/// `HH:MM:SS.mmm` (UTC): the live view's and the page's time of day.
func millisecondClock(_ t: Timestamp) -> String { t.timeOfDayText(limit: 12) }

/// The rows and columns of the terminal on `descriptor` (80×24 if it cannot say).
func terminalSize(of descriptor: Int32 = 1) -> (rows: Int, columns: Int) {
    var size = winsize()
    if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
        return (Int(size.ws_row), Int(size.ws_col))
    }
    return (24, 80)
}

/// The columns a terminal gives one character: 2 for East Asian wide and fullwidth
/// characters and emoji shown as emoji, 0 for combining marks and invisible ones, else 1.
func displayColumns(_ character: Character) -> Int {
    guard let first = character.unicodeScalars.first else { return 0 }
    if character.unicodeScalars.contains("\u{FE0F}") { return 2 }
    return displayColumns(first)
}

func displayColumns(_ scalar: Unicode.Scalar) -> Int {
    let v = scalar.value
    if v < 0x300 { return v < 0x20 || (0x7F..<0xA0).contains(v) ? 0 : 1 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    switch v {
    case 0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
         0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
         0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x1FA70...0x1FAFF,
         0x20000...0x2FFFD, 0x30000...0x3FFFD:
        return 2
    default:
        return scalar.properties.isEmojiPresentation ? 2 : 1
    }
}

/// The columns `text` takes on a terminal (colour codes take none).
func displayWidth(_ text: String) -> Int {
    var width = 0
    var inEscape = false
    for character in text {
        if character == "\u{1B}" { inEscape = true }
        if inEscape {
            if let letter = character.unicodeScalars.first, letter.properties.isAlphabetic, character != "[" { inEscape = false }
            continue
        }
        width += displayColumns(character)
    }
    return width
}

/// A line cut to at most `columns` columns, ending in `…` where it was cut; colour
/// codes do not count, wide characters count two, and a cut line ends its colour.
func cut(_ line: String, to columns: Int) -> String {
    guard displayWidth(line) > columns else { return line }
    var visible = 0
    var out = ""
    var inEscape = false
    for character in line {
        if character == "\u{1B}" { inEscape = true }
        if inEscape {
            out.append(character)
            if let letter = character.unicodeScalars.first, letter.properties.isAlphabetic, character != "[" { inEscape = false }
            continue
        }
        let w = displayColumns(character)
        if visible + w > columns - 1 { break }
        out.append(character)
        visible += w
    }
    return out + (line.contains("\u{1B}") ? "…\u{1B}[0m" : "…")
}

/// `text` in exactly `width` columns: cut with `…`, or padded with spaces (one space
/// at least separates it from the next column).
func fitted(_ text: String, _ width: Int) -> String {
    let cutText = cut(text, to: width - 1)
    return cutText + String(repeating: " ", count: max(1, width - displayWidth(cutText)))
}

/// "0.4 s ago", "12 s ago", "3 min ago".
func formatAgo(_ seconds: Double) -> String { formatAge(seconds) + " ago" }

/// How long something has lasted, steady on a picture redrawn a few times a second:
/// "0.4 s", "12 s", "3 min", "2 h 5 min".
func formatAge(_ seconds: Double) -> String {
    let s = max(0, seconds)
    if s < 10 { return "\((s * 10).rounded(.down) / 10) s" }
    if s < 120 { return "\(Int(s)) s" }
    if s < 7200 { return "\(Int(s / 60)) min" }
    return "\(Int(s / 3600)) h \(Int(s / 60) % 60) min"
}
