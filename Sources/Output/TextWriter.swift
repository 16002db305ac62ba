import Analyzer
import DiscoveryCodec
import WireBytes

/// The default output: one readable line per frame, tcpdump-like, with names quoted
/// and made terminal-safe, and a summary at the end.
///
///     12:00:01.234567 #17 10.37.0.20:51980 > 255.255.255.255:37020 FULL 2 peers: 10.37.0.20 "Attack from Mars", 10.37.0.30 "Medieval Madness"
///
/// A FULL shows its count and its first few peers (all with `-v`); on a terminal
/// every line fits the window (`TextLayout`).
public final class TextWriter: RecordWriter {
    let stream: OutputStream
    let quiet: Bool
    public var style: TextStyle { didSet { colored = style.colors } }
    /// Whether the style has colours: without, the per-line writers do not read its
    /// strings (each read costs a reference count).
    private(set) var colored: Bool
    /// The window's width (read once at the start) and `-v`. A constant: reading it
    /// costs no exclusivity check per line.
    public let layout: TextLayout
    /// `--events`: events only.
    let eventsOnly: Bool
    /// The names the analyzer knows, to show beside addresses in events.
    public var nameOf: (IPv4Address) -> Name? = { _ in nil }
    /// The run of same-kind events being folded into one line.
    var fold: EventFold? = nil
    private var lastDay: Int64? = nil

    public init(stream: OutputStream, quiet: Bool = false, eventsOnly: Bool = false, style: TextStyle = .plain,
                layout: TextLayout = TextLayout()) {
        self.stream = stream
        self.quiet = quiet
        self.eventsOnly = eventsOnly
        self.style = style
        colored = style.colors
        self.layout = layout
    }

    public func flush() {
        stream.flush()
    }

    /// The time, packet number and file of a line; returns where the line begins
    /// (after the date line written when the day changes).
    @discardableResult
    func prefix(_ origin: PacketOrigin) -> Int {
        // A date line whenever the UTC day changes, so lines can show time of day only.
        let day = origin.time.seconds >= 0 ? origin.time.seconds / 86_400 : (origin.time.seconds - 86_399) / 86_400
        if day != lastDay {
            lastDay = day
            stream.buffer.append(string: style.dim)
            stream.buffer.append("-- ")
            var stamp: [UInt8] = []
            origin.time.writeRFC3339(to: &stamp)
            stream.buffer.append(contentsOf: stamp.prefix(10))
            stream.buffer.append(" (UTC) --")
            stream.buffer.append(string: style.reset)
            stream.buffer.append(0x0A)
        }
        let start = stream.buffer.count
        // The clock in place: one capacity check for its 15 or 18 bytes.
        stream.buffer.write(reserving: 32) { origin.time.writeTimeOfDay(to: &$0) }
        stream.buffer.append(" #")
        appendDecimal(UInt64(origin.number), to: &stream.buffer)
        if let file = origin.file {
            stream.buffer.append(" [")
            appendTerminalSafe(file, to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: "]"))
        }
        stream.buffer.append(UInt8(ascii: " "))
        return start
    }

    /// Ends the line that began at `start`: within the window (cut with `…`, or with
    /// `-v` continued on lines of its own), then its line feed.
    @inline(__always)
    func endLine(_ start: Int) {
        if let columns = layout.columns {
            if layout.verbose {
                stream.buffer.wrapLine(from: start, to: columns)
            } else {
                stream.buffer.cutLine(from: start, to: columns, reset: style.reset)
            }
        }
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    func endpoints(_ e: Endpoints) {
        e.source.write(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(e.sourcePort), to: &stream.buffer)
        stream.buffer.append(" > ")
        e.destination.write(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(e.destinationPort), to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: " "))
    }

    func quoted(_ bytes: UnsafeRawBufferPointer) {
        stream.buffer.append(UInt8(ascii: "\""))
        appendTerminalSafe(bytes, to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: "\""))
    }

    public var takesFrames: Bool { !quiet && !eventsOnly }
    public var takesEvents: Bool { !quiet }

    public func write(_ record: FrameRecord) {
        guard !quiet, !eventsOnly else { return }
        var start = prefix(record.origin)
        endpoints(record.endpoints)
        let frame = record.frame
        if colored { stream.buffer.append(string: style.bold) }
        stream.buffer.append(frame.type.staticName)
        if colored { stream.buffer.append(string: style.reset) }
        switch frame.type {
        case .hello:
            stream.buffer.append(UInt8(ascii: " "))
            quoted(frame.helloName)
        case .full:
            stream.buffer.append(UInt8(ascii: " "))
            appendDecimal(UInt64(frame.peers.count), to: &stream.buffer)
            stream.buffer.append(frame.peers.count == 1 ? " peer" : " peers")
            if layout.verbose, let columns = layout.columns {
                start = writeEveryPeer(frame, lineStart: start, columns: columns)
            } else {
                writeFirstPeers(frame, lineStart: start)
            }
        case .offline:
            stream.buffer.append(UInt8(ascii: " "))
            frame.offlineIP.write(to: &stream.buffer)
        case .legacy:
            stream.buffer.append(UInt8(ascii: " "))
            appendTerminalSafe((frame.legacy ?? .null).jsonText, to: &stream.buffer, quoting: false)
        case .ping, .pong:
            break
        }
        if !frame.warnings.isEmpty {
            if layout.verbose, let columns = layout.columns, stream.buffer.columns(from: start) + warningsColumns(frame.warnings) > columns {
                // The warnings on a line of their own, after the line so far (wrapped).
                stream.buffer.wrapLine(from: start, to: columns)
                stream.buffer.append(0x0A)
                start = stream.buffer.count
                stream.buffer.append(string: TextLayout.continuation)
            } else {
                stream.buffer.append("  ")
            }
            if colored { stream.buffer.append(string: style.warning) }
            stream.buffer.append("warning:")
            for entry in FrameWarnings.all where frame.warnings.contains(entry.warning) {
                stream.buffer.append(UInt8(ascii: " "))
                stream.buffer.append(entry.code)
            }
            if colored { stream.buffer.append(string: style.reset) }
        }
        endLine(start)
    }

    func peer(_ peer: PeerView) {
        peer.ip.write(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: " "))
        quoted(peer.name)
    }

    /// The columns of "  warning: code …".
    func warningsColumns(_ warnings: FrameWarnings) -> Int {
        var width = 10
        for entry in FrameWarnings.all where warnings.contains(entry.warning) { width += 1 + entry.code.utf8CodeUnitCount }
        return width
    }

    /// A FULL's first few peers, then `…` if it lists more (its count is said before).
    /// On a terminal, fewer if they do not fit: whole peers, room kept for the
    /// warnings (the first peer is shown, cut if it must be).
    func writeFirstPeers(_ frame: FrameView, lineStart: Int) {
        let total = frame.peers.count
        let limit = layout.verbose ? Int.max : TextLayout.peersShown
        var shown = 0
        var width = 0
        var reserve = 0
        if let columns = layout.columns, total > 0 {
            width = stream.buffer.columns(from: lineStart)
            reserve = frame.warnings.isEmpty ? 0 : warningsColumns(frame.warnings)
            if width >= columns { return stream.buffer.append(": …") }
        }
        for p in frame.peers {
            if shown == limit { break }
            let mark = stream.buffer.count
            stream.buffer.append(shown == 0 ? ": " : ", ")
            peer(p)
            if let columns = layout.columns {
                let w = stream.buffer.columns(from: mark)
                let tail = shown + 1 < total ? 3 : 0
                if width + w + tail + reserve > columns, shown > 0 || columns - width < 24 {
                    // Whole peers only; the first is cut rather than left out if there is room for much of it.
                    stream.buffer.shorten(to: mark)
                    break
                }
                width += w
            }
            shown += 1
        }
        if shown < total { stream.buffer.append(shown == 0 ? ": …" : ", …") }
    }

    /// `-v` on a terminal: every peer of a FULL, whole peers wrapped onto indented
    /// lines of the window's width. Returns where the last line begins.
    func writeEveryPeer(_ frame: FrameView, lineStart start: Int, columns: Int) -> Int {
        var lineStart = start
        var width = stream.buffer.columns(from: lineStart)
        let total = frame.peers.count
        var index = 0
        for p in frame.peers {
            let mark = stream.buffer.count
            stream.buffer.append(index == 0 ? ": " : ", ")
            peer(p)
            let w = stream.buffer.columns(from: mark)
            // A comma follows every peer but the last.
            if width + w + (index + 1 < total ? 1 : 0) > columns, width > TextLayout.continuation.count {
                stream.buffer.shorten(to: mark)
                stream.buffer.append(index == 0 ? ":" : ",")
                stream.buffer.append(0x0A)
                lineStart = stream.buffer.count
                stream.buffer.append(string: TextLayout.continuation)
                peer(p)
                width = stream.buffer.columns(from: lineStart)
                if width + 1 > columns {
                    // One peer wider than the window (a name of escapes): its own lines.
                    stream.buffer.wrapLine(from: lineStart, to: columns - 1)
                    lineStart = lastLineStart(after: lineStart)
                    width = stream.buffer.columns(from: lineStart)
                }
            } else {
                width += w
            }
            index += 1
        }
        return lineStart
    }

    /// Where the last line of the buffer begins, at or after `start`.
    func lastLineStart(after start: Int) -> Int {
        stream.buffer.withUnsafeBytes { bytes in
            var i = bytes.count
            while i > start, bytes[i - 1] != 0x0A { i -= 1 }
            return i
        }
    }

    public func write(_ record: MalformedRecord) {
        guard !quiet, !eventsOnly else { return }
        let start = prefix(record.origin)
        endpoints(record.endpoints)
        let m = record.malformation
        stream.buffer.append(string: style.error)
        stream.buffer.append("MALFORMED ")
        stream.buffer.append(string: m.reason.description)
        stream.buffer.append(string: style.reset)
        stream.buffer.append(" at offset ")
        appendDecimal(UInt64(max(0, m.offset)), to: &stream.buffer)
        stream.buffer.append(" of ")
        appendDecimal(UInt64(max(0, m.length)), to: &stream.buffer)
        stream.buffer.append(": ")
        appendTerminalSafe(m.detail, to: &stream.buffer, quoting: false)
        endLine(start)
    }

    public func write(_ summary: Summary) {
        endFold()
        var lines: [String] = []
        lines.append("")
        if let election = summary.election { lines.append(contentsOf: whatHappened(election)) }
        lines.append("\(style.bold)Summary\(style.reset)")
        var packets = "  packets: \(summary.packetsRead) read, \(summary.packetsMatched) on the discovery port"
        if summary.datagramsReassembled > 0 { packets += ", \(summary.datagramsReassembled) datagrams reassembled from fragments" }
        lines.append(packets)
        if summary.duplicates > 0 {
            lines.append("  duplicates: \(summary.duplicates) datagrams seen in two inputs (two views of one LAN), analysed once")
        }
        if let display = summary.display { lines.append("  shown: " + display.sentence) }
        if let warning = summary.filterWarning { lines.append("  \(style.warning)warning\(style.reset): \(terminalSafe(warning, quoting: false))") }
        if let first = summary.firstTime, let last = summary.lastTime {
            lines.append("  time: \(first.rfc3339) to \(last.rfc3339) (\(formatSeconds(last.seconds(since: first))))")
        }
        let byType = FrameType.allCases.filter { summary.framesByType[$0.index] > 0 }
            .map { "\($0.name) \(summary.framesByType[$0.index])" }.joined(separator: ", ")
        lines.append("  frames: \(summary.frames)" + (byType.isEmpty ? "" : " (\(byType))"))
        let reasons = MalformationReason.allCases.filter { summary.malformedByReason[$0.index] > 0 }
            .map { "\($0) \(summary.malformedByReason[$0.index])" }.joined(separator: ", ")
        lines.append("  malformed: \(summary.malformed)" + (reasons.isEmpty ? "" : " (\(reasons))"))
        let warnings = FrameWarnings.all.enumerated().filter { summary.warningsByCode[$0.offset] > 0 }
            .map { "\($0.element.code) \(summary.warningsByCode[$0.offset])" }.joined(separator: ", ")
        if !warnings.isEmpty { lines.append("  frames with warnings: \(warnings)") }
        var checksums = "  UDP checksums: \(summary.checksumsValid) valid"
        if summary.checksumsOffloaded > 0 { checksums += ", \(summary.checksumsOffloaded) offloaded (left for the sender's NIC; not errors)" }
        if summary.checksumsAbsent > 0 { checksums += ", \(summary.checksumsAbsent) absent" }
        if summary.checksumsNotVerified > 0 { checksums += ", \(summary.checksumsNotVerified) not verified" }
        lines.append(checksums)
        if summary.reassemblyGaveUpForRoom > 0 {
            lines.append("  \(style.warning)reassembly bounds reached\(style.reset): \(summary.reassemblyGaveUpForRoom) fragmented datagrams given up to stay within 1024 datagrams and 16 MiB (reported as incomplete-fragments)")
        }
        if summary.fragmentsUnattributed > 0 {
            lines.append("  incomplete fragment sets of unknown port (first fragment never seen): \(summary.fragmentsUnattributed)")
        }
        if let received = summary.kernelReceived {
            lines.append("  kernel: \(received) received, \(summary.kernelDropped ?? 0) dropped by the kernel, \(summary.interfaceDropped ?? 0) by the interface")
        }
        if let election = summary.election { lines.append(contentsOf: electionLines(election)) }
        if let error = summary.inputError { lines.append("  \(style.error)input ended early\(style.reset): \(terminalSafe(error))") }
        if let error = summary.outputError { lines.append("  \(style.error)output failed, the run ended there\(style.reset): \(terminalSafe(error))") }
        for line in lines {
            for part in layout.columns.map({ wrapText(line, to: $0) }) ?? [line] {
                stream.append(part)
                stream.buffer.append(0x0A)
            }
        }
        stream.flush()
    }
}

/// "12.5 s", "3 min 4 s", "2 h 5 min".
public func formatSeconds(_ seconds: Double) -> String {
    if seconds < 60 {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
    return "\(whole / 3600) h \(whole / 60 % 60) min"
}

/// Colours for a terminal; `.plain` when piped, `--color never` or NO_COLOR.
public struct TextStyle: Sendable {
    public var bold: String
    public var dim: String
    public var warning: String
    public var error: String
    public var event: String
    public var reverse: String
    public var reset: String

    /// Whether any of its strings is not empty.
    public var colors: Bool { ![bold, dim, warning, error, event, reverse, reset].allSatisfy(\.isEmpty) }

    public static let plain = TextStyle(bold: "", dim: "", warning: "", error: "", event: "", reverse: "", reset: "")
    public static let ansi = TextStyle(bold: "\u{1B}[1m", dim: "\u{1B}[2m", warning: "\u{1B}[33m",
                                       error: "\u{1B}[31m", event: "\u{1B}[1;36m", reverse: "\u{1B}[7m", reset: "\u{1B}[0m")
}
