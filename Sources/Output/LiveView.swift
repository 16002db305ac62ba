import Analyzer
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// The live picture on a terminal (`-i` on a tty): who is registry, every node
/// with its name, last seen and state, and the latest events, redrawn in place a
/// few times a second. Names are made terminal-safe like everywhere else.
public final class LiveView: RecordWriter {
    let stream: OutputStream
    let analyzer: ElectionAnalyzer
    let style: TextStyle
    let title: String
    /// The summary at the end is the text writer's.
    let summaryWriter: TextWriter
    /// The latest events, a repeat (same kind, same node) folded into its earlier
    /// line with a count, so that a storm takes one line and never pushes a
    /// registry change or a conflict out of sight.
    var latestEvents: [(key: UInt64, count: Int, stamp: String, line: String)] = []
    static let eventLines = 10
    /// The diagnosis engine, for the incidents open now.
    public var diagnosis: DiagnosisEngine?
    var frames = 0
    var malformed = 0
    /// FULLs a node had sent when its last registry-silent fired: it is "silent"
    /// until it sends another.
    var silentAt: [IPv4Address: Int] = [:]

    public init(stream: OutputStream, analyzer: ElectionAnalyzer, style: TextStyle, title: String) {
        self.stream = stream
        self.analyzer = analyzer
        self.style = style
        self.title = title
        summaryWriter = TextWriter(stream: stream, quiet: true, style: style)
        summaryWriter.nameOf = { [unowned analyzer] in analyzer.nodes[$0]?.name }
    }

    public func write(_ record: FrameRecord) { frames += 1 }
    public func write(_ record: MalformedRecord) { malformed += 1 }

    public func write(_ event: ElectionEvent) {
        if case let .registrySilent(expected, _) = event.detail {
            silentAt[expected] = analyzer.nodes[expected]?.framesByType[FrameType.full.index] ?? 0
        }
        var stamp: [UInt8] = []
        event.time.writeTimeOfDay(to: &stamp)
        let line = style.event + event.kind.rawValue + style.reset + " " + summaryWriter.describe(event)
        let key = UInt64(event.kind.index) << 32 | UInt64(summaryWriter.primaryAddress(event)?.value ?? 0)
        var count = 1
        if let earlier = latestEvents.lastIndex(where: { $0.key == key }) {
            count += latestEvents[earlier].count
            latestEvents.remove(at: earlier)
        }
        latestEvents.append((key, count, String(decoding: stamp.prefix(12), as: UTF8.self), line))
        if latestEvents.count > LiveView.eventLines { latestEvents.removeFirst(latestEvents.count - LiveView.eventLines) }
    }

    public func flush() {}

    /// Redraws the picture (called on the live loop's tick).
    public func redraw(now: Timestamp) {
        var lines: [String] = []
        var clock: [UInt8] = []
        now.writeTimeOfDay(to: &clock)
        lines.append("\(style.bold)peersniff\(style.reset) watching \(terminalSafe(title)) · \(String(decoding: clock.prefix(8), as: UTF8.self)) UTC · \(frames) frames, \(malformed) malformed · Ctrl-C for the summary")
        lines.append("")
        // What is wrong right now, worst first.
        if let open = diagnosis?.openIncidentList(now: now), !open.isEmpty {
            for incident in open.prefix(5) {
                let colour = incident.severity == .error ? style.error : style.warning
                lines.append("\(colour)▲ \(incident.message.terminalText)\(style.reset)")
            }
            if open.count > 5 { lines.append("  … and \(open.count - 5) more open incidents") }
            lines.append("")
        }
        if let registry = analyzer.confirmedRegistry {
            var line = "Registry: \(style.bold)\(summaryWriter.label(registry))\(style.reset)"
            if let reign = analyzer.history.last { line += " since \(time(reign.since)) (\(reign.fulls) FULL\(reign.fulls == 1 ? "" : "s"))" }
            if let lowest = analyzer.lowest, lowest != registry {
                line += "  \(style.warning)but the lowest live address is \(summaryWriter.label(lowest))\(style.reset)"
            }
            lines.append(line)
        } else {
            lines.append("Registry: none yet (no FULL seen)" + (analyzer.lowest.map { "; lowest live address \(summaryWriter.label($0))" } ?? ""))
        }
        if let due = analyzer.pending {
            lines.append("  waiting for a FULL from \(summaryWriter.label(due.expected)) until \(time(due.deadline))")
        }
        lines.append("")
        lines.append(style.bold + pad("address", 16) + pad("name", 36) + pad("last seen", 12) + "state" + style.reset)
        // Fit the terminal: the nodes that send first, then those only listed; the
        // rest summed up in one line.
        let (rows, columns) = terminalSize()
        let eventLines = min(latestEvents.count, LiveView.eventLines)
        let room = max(3, rows - lines.count - eventLines - 4)
        let ordered = analyzer.nodes.values.sorted { a, b in
            if (a.firstSent == nil) != (b.firstSent == nil) { return a.firstSent != nil }
            return a.ip < b.ip
        }
        let shown = ordered.count > room ? Array(ordered.prefix(room - 1)) : ordered
        for node in shown {
            let name = node.name.map(summaryWriter.quote) ?? "-"
            let seen = node.lastSent.map { formatAgo(now.seconds(since: $0)) } ?? "listed"
            var state = nodeState(node)
            if let fulls = silentAt[node.ip], fulls == node.framesByType[FrameType.full.index], !node.declaredOffline {
                state = "\(style.warning)silent\(style.reset) (owes a FULL)"
            } else if node.declaredOffline {
                state = "\(style.error)declared offline\(style.reset)"
            }
            if node.ip == analyzer.confirmedRegistry { state += " · registry" }
            lines.append(pad(node.ip.description, 16) + pad(name, 36) + pad(seen, 12) + state)
        }
        if shown.count < ordered.count {
            let hidden = ordered.count - shown.count
            let listedOnly = ordered.dropFirst(shown.count).filter { $0.firstSent == nil }.count
            lines.append("… \(hidden) more node\(hidden == 1 ? "" : "s")" + (listedOnly == hidden ? " (listed in FULLs only)" : "") + "; the summary lists them all")
        }
        lines.append("")
        lines.append("\(style.bold)Latest events\(style.reset)")
        lines.append(contentsOf: latestEvents.isEmpty ? ["  none yet"] : latestEvents.map {
            // The count of a folded repeat comes first, where a narrow terminal keeps it.
            "  " + $0.stamp + " " + ($0.count > 1 ? "\(style.bold)×\($0.count)\(style.reset) " : "") + $0.line
        })
        // Home, draw each line (cut to the width) clearing its rest, then clear below.
        stream.append("\u{1B}[H")
        for line in lines.prefix(max(1, rows - 1)) { stream.append(cut(line, to: columns) + "\u{1B}[K\n") }
        stream.append("\u{1B}[J")
        stream.flush()
    }

    public func write(_ summary: Summary) {
        stream.append("\u{1B}[H\u{1B}[2J")
        summaryWriter.write(summary)
    }

    func time(_ t: Timestamp) -> String { millisecondClock(t) }
}

/// `HH:MM:SS.mmm` (UTC): the live view's and the page's time of day.
func millisecondClock(_ t: Timestamp) -> String {
    var out: [UInt8] = []
    t.writeTimeOfDay(to: &out)
    return String(decoding: out.prefix(12), as: UTF8.self)
}

/// The terminal's rows and columns (80×24 if it cannot say).
func terminalSize() -> (rows: Int, columns: Int) {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
        return (Int(size.ws_row), Int(size.ws_col))
    }
    return (24, 80)
}

/// A line cut to `columns` visible characters; colour codes do not count, and a
/// cut line ends its colour.
func cut(_ line: String, to columns: Int) -> String {
    var visible = 0
    var out = ""
    var inEscape = false
    for character in line {
        if character == "\u{1B}" { inEscape = true }
        if inEscape {
            out.append(character)
            if character == "m" { inEscape = false }
            continue
        }
        if visible >= columns - 1 { return out + "\u{1B}[0m" }
        out.append(character)
        visible += 1
    }
    return out
}

/// "0.4 s ago", "12 s ago", "3 min ago".
func formatAgo(_ seconds: Double) -> String {
    if seconds < 10 { return "\((seconds * 10).rounded() / 10) s ago" }
    if seconds < 120 { return "\(Int(seconds)) s ago" }
    return "\(Int(seconds / 60)) min ago"
}
