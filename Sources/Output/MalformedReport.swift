import Analyzer
import DiscoveryCodec
import WireBytes

/// `--malformed`: every malformed datagram and every frame with warnings, each
/// with the packet, the time, the source (and its name), the code, a sentence,
/// and a hex dump whose byte at fault is marked; then tallies by code and by
/// source, so that one bad firmware build stands out.
///
/// Repeats are folded: the first report of a code from a source is shown in full,
/// the later ones are counted and told in one line at the end with their packet
/// range (`-v` shows every one in full). Long payloads show the rows that matter
/// (the first, the marked one) and say which rows they leave out (`-v`: all).
public final class MalformedReportWriter: RecordWriter {
    let stream: OutputStream
    let style: TextStyle
    /// The window's width (read once at the start) and `-v`.
    let layout: TextLayout
    /// The names the analyzer knows.
    public var nameOf: (IPv4Address) -> Name? = { _ in nil }

    struct SourceTally {
        var count = 0
        var codes: [String: Int] = [:]
    }
    var byCode: [String: Int] = [:]
    var bySource: [IPAddress: SourceTally] = [:]
    /// Entries from sources beyond `maxSources` (spoofed addresses): counted, not listed.
    var otherSources = 0
    static let maxSources = 4096
    var entries = 0
    /// Entries that are malformed datagrams (the rest are warnings on decoded frames).
    var malformedEntries = 0

    /// One source's reports of one code (sources beyond the tallied ones share `nil`).
    struct FoldKey: Hashable {
        var source: IPAddress?
        var code: String
    }
    /// The reports after the first in full: how many, and their packets.
    struct Fold {
        var order: Int
        var count = 0
        var first: PacketOrigin? = nil
        var last: PacketOrigin? = nil
    }
    var folds: [FoldKey: Fold] = [:]

    /// Payloads of more rows than this show only their first and marked rows (without `-v`).
    static let rowsInFull = 8

    public init(stream: OutputStream, style: TextStyle = .plain, layout: TextLayout = TextLayout()) {
        self.stream = stream
        self.style = style
        self.layout = layout
    }

    public func flush() { stream.flush() }
    public func write(_ event: ElectionEvent) {}
    public var takesEvents: Bool { false }

    public func write(_ record: FrameRecord) {
        let frame = record.frame
        guard !frame.warnings.isEmpty else { return }
        for (warning, staticCode) in FrameWarnings.all where frame.warnings.contains(warning) {
            let code = staticCode.description
            // A repeat is only counted: nothing is looked for or written.
            guard tally(origin: record.origin, endpoints: record.endpoints, code: code) else { continue }
            let offset = frame.offset(of: warning)
            let fault = offset.flatMap { byteAtFault(warning, elementOffset: $0, payload: frame.payload) }
            entry(origin: record.origin, endpoints: record.endpoints, code: code, isWarning: true,
                  sentence: FrameWarnings.explanation(of: code) + " (\(frame.type.name) still decoded)",
                  offset: offset, fault: fault, payload: frame.payload)
        }
    }

    public func write(_ record: MalformedRecord) {
        let m = record.malformation
        malformedEntries += 1
        guard tally(origin: record.origin, endpoints: record.endpoints, code: m.reason.description) else { return }
        entry(origin: record.origin, endpoints: record.endpoints, code: m.reason.description, isWarning: false,
              sentence: m.detail, offset: m.offset, fault: byteAtFault(m, payload: record.payload), payload: record.payload)
    }

    /// Counts a report by code and source; whether to show it in full (the first of its
    /// code from its source, or every one with `-v`) rather than fold it.
    func tally(origin: PacketOrigin, endpoints: Endpoints, code: String) -> Bool {
        entries += 1
        byCode[code, default: 0] += 1
        let tallied = bySource[endpoints.source] != nil || bySource.count < MalformedReportWriter.maxSources
        if tallied {
            bySource[endpoints.source, default: SourceTally()].count += 1
            bySource[endpoints.source]!.codes[code, default: 0] += 1
        } else {
            otherSources += 1
        }
        let key = FoldKey(source: tallied ? endpoints.source : nil, code: code)
        guard var fold = folds[key] else {
            folds[key] = Fold(order: folds.count)
            return true
        }
        if layout.verbose { return true }
        fold.count += 1
        if fold.first == nil { fold.first = origin }
        fold.last = origin
        folds[key] = fold
        return false
    }

    /// Writes a line of the report within the window: prose wrapped, the rest cut.
    func line(_ text: String, wrap: Bool = false) {
        let start = stream.buffer.count
        stream.append(text)
        if let columns = layout.columns {
            if wrap { stream.buffer.wrapLine(from: start, to: columns) } else { stream.buffer.cutLine(from: start, to: columns, reset: style.reset) }
        }
        stream.buffer.append(0x0A)
    }

    func entry(origin: PacketOrigin, endpoints: Endpoints, code: String, isWarning: Bool, sentence: String,
               offset: Int?, fault: (offset: Int, why: String)?, payload: UnsafeRawBufferPointer) {
        var header = "#\(origin.number)  \(origin.time.rfc3339)"
        if let file = origin.file { header += "  [\(terminalSafe(file))]" }
        header += "  \(source(endpoints.source)):\(endpoints.sourcePort) → \(endpoints.destination):\(endpoints.destinationPort)"
        line("\(style.bold)\(header)\(style.reset)")
        let color = isWarning ? style.warning : style.error
        let place = offset.map { " at offset \($0)" } ?? ""
        line("  \(color)\(isWarning ? "warning" : "malformed") \(code)\(style.reset)\(place): \(terminalSafe(sentence, quoting: false))", wrap: true)
        var sizeLine = "  payload: \(payload.count) byte\(payload.count == 1 ? "" : "s")"
        // The element's offset (as in --json) and the byte at fault the caret marks, when they differ.
        if let fault, fault.offset != offset { sizeLine += "; marked: byte \(fault.offset), \(fault.why)" }
        line(sizeLine, wrap: true)
        hexDump(payload, mark: fault?.offset ?? offset)
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    func source(_ address: IPAddress) -> String {
        guard let ip = address.ipv4, let name = nameOf(ip) else { return address.description }
        var out: [UInt8] = []
        out.append(string: "\(ip) \"")
        name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out) }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// The classic dump: offset, sixteen bytes in hex, the same as ASCII. The row
    /// holding `mark` gets a line under it with `^^` below that byte's hex and `^`
    /// below its character; on a terminal the byte is also shown in reverse video.
    /// A mark at the payload's end (a missing element) points just past the last byte.
    /// A long payload (more than `rowsInFull` rows) shows its first row and the marked
    /// one, and a line for each run of rows left out; `-v` shows every row.
    func hexDump(_ bytes: UnsafeRawBufferPointer, mark: Int?) {
        let rows = max(1, (bytes.count + 15) / 16 + (mark.map { $0 >= bytes.count && bytes.count % 16 == 0 && bytes.count > 0 ? 1 : 0 } ?? 0))
        let markRow = mark.map { $0 / 16 }
        let all = layout.verbose || rows <= MalformedReportWriter.rowsInFull
        var skippedFrom: Int? = nil
        func endSkip(before row: Int) {
            guard let from = skippedFrom else { return }
            skippedFrom = nil
            let count = row - from
            line("  \(style.dim)…     \(count) row\(count == 1 ? "" : "s") not shown (\(hex4(from * 16))–\(hex4(row * 16 - 1)); -v shows them)\(style.reset)")
        }
        for row in 0..<rows {
            guard all || row == 0 || row == markRow else {
                if skippedFrom == nil { skippedFrom = row }
                continue
            }
            endSkip(before: row)
            let start = row * 16
            var hex = ""
            var ascii = ""
            var marked: Int? = nil
            for i in 0..<16 {
                let index = start + i
                if i == 8 { hex += " " }
                guard index < bytes.count else {
                    hex += "   "
                    if marked == nil, let mark, mark >= bytes.count, index == bytes.count { marked = i }
                    continue
                }
                let b = bytes[index]
                let pair = String(decoding: [hexDigit(b >> 4), hexDigit(b & 0x0F)], as: UTF8.self)
                let char = b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "."
                if index == mark {
                    marked = i
                    hex += style.reverse + pair + style.reset + " "
                    ascii += style.reverse + char + style.reset
                } else {
                    hex += pair + " "
                    ascii += char
                }
            }
            line("  \(hex4(start))  \(hex) |\(ascii)|")
            if let i = marked {
                // Layout: 2 spaces, 4 offset digits, 2 spaces (8), 16 × "xx " plus the gap
                // after eight (49), " |" (2), then the characters.
                let hexColumn = 8 + i * 3 + (i >= 8 ? 1 : 0)
                let asciiColumn = 8 + 49 + 2 + i
                var marker = String(repeating: " ", count: hexColumn) + "^^"
                marker += String(repeating: " ", count: asciiColumn - marker.count) + "^"
                line("\(style.error)\(marker)\(style.reset)")
            }
        }
        endSkip(before: rows)
    }

    func hex4(_ value: Int) -> String {
        var text = String(value, radix: 16)
        while text.count < 4 { text = "0" + text }
        return text
    }

    public func write(_ summary: Summary) {
        var lines: [String] = []
        let warnings = entries - malformedEntries
        lines.append("\(style.bold)Malformed-frame report\(style.reset): \(malformedEntries) malformed datagram\(malformedEntries == 1 ? "" : "s"), "
                     + "\(warnings) warning\(warnings == 1 ? "" : "s") on decoded frames, in \(summary.packetsRead) packets")
        if let display = summary.display { lines.append("  shown: " + display.sentence + "; the tallies below count what was shown") }
        if byCode.isEmpty {
            lines.append("  nothing malformed, no warnings")
        } else {
            let repeats = folds.filter { $0.value.count > 0 }.sorted { $0.value.order < $1.value.order }
            if !repeats.isEmpty {
                lines.append("")
                lines.append("Repeats folded (the first of each code from each source is shown in full above; -v shows all):")
                for (key, fold) in repeats {
                    let from = key.source.map(source) ?? "sources beyond the \(MalformedReportWriter.maxSources) tallied"
                    var range = "#\(fold.first!.number)"
                    if let file = fold.first!.file { range += " [\(terminalSafe(file))]" }
                    if fold.count > 1 {
                        range += "–#\(fold.last!.number)"
                        if let file = fold.last!.file, file != fold.first!.file { range += " [\(terminalSafe(file))]" }
                    }
                    lines.append("  … and \(fold.count) more \(key.code) from \(from), \(range)")
                }
            }
            lines.append("")
            lines.append("By code:")
            for (code, count) in byCode.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                lines.append("  " + pad(code, 26) + String(count))
            }
            lines.append("")
            lines.append("By source:")
            let sources = bySource.sorted(by: { a, b in
                if a.value.count != b.value.count { return a.value.count > b.value.count }
                if let x = a.key.ipv4, let y = b.key.ipv4 { return x < y }
                return a.key.description < b.key.description
            })
            // A screenful: the sources with the most first.
            for (address, tally) in sources.prefix(40) {
                let codes = tally.codes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                lines.append("  " + pad(source(address), 44) + pad(String(tally.count), 8) + codes)
            }
            if sources.count > 40 || otherSources > 0 {
                let more = sources.count - min(sources.count, 40)
                var line = "  … and \(more) more source\(more == 1 ? "" : "s")"
                if otherSources > 0 { line += ", and \(otherSources) entries from sources beyond the \(MalformedReportWriter.maxSources) tallied" }
                lines.append(line)
            }
        }
        for text in lines {
            for part in layout.columns.map({ wrapText(text, to: $0) }) ?? [text] {
                stream.append(part)
                stream.buffer.append(0x0A)
            }
        }
        stream.flush()
    }
}

// MARK: The byte at fault

/// The byte the report's caret points at, when it is not where the element begins
/// (the `offset` of CONTRACT.md, which the JSON records keep): the first byte of a
/// character the firmware's cut left incomplete, the first byte of a name that is not
/// UTF-8, the first byte past a name's 32, where the JSON parser stopped, the first
/// byte a truncated payload is missing. Nil: the element's offset is the byte.
func byteAtFault(_ warning: FrameWarnings, elementOffset: Int, payload: UnsafeRawBufferPointer) -> (offset: Int, why: String)? {
    // The element is a name: its length byte, then its bytes.
    guard elementOffset < payload.count else { return nil }
    let start = elementOffset + 1
    let end = min(payload.count, start + Int(payload[elementOffset]))
    guard start <= end else { return nil }
    let name = UnsafeRawBufferPointer(rebasing: payload[start..<end])
    switch warning {
    case .nameTooLong:
        guard name.count > FirmwareLimits.maxNameBytes else { return nil }
        return (start + FirmwareLimits.maxNameBytes, "the first byte past the firmware's \(FirmwareLimits.maxNameBytes)")
    case .nameCutMidCharacter, .nameNotUTF8:
        var i = 0
        while i < name.count {
            let b = name[i]
            if b < 0x80 { i += 1; continue }
            guard let lead = utf8Lead(b) else {
                return warning == .nameNotUTF8 ? (start + i, "the first byte that is not UTF-8") : nil
            }
            let wellFormed = utf8WellFormedPrefix(name, at: i, lead)
            if wellFormed < lead.width {
                if i + wellFormed == name.count, warning == .nameCutMidCharacter {
                    return (start + i, "where the character cut off begins (only \(wellFormed) of its \(lead.width) bytes)")
                }
                if warning == .nameNotUTF8 { return (start + i, "the first byte that is not UTF-8") }
                return nil
            }
            i += lead.width
        }
        return nil
    default:
        return nil
    }
}

/// The same for a malformed datagram.
func byteAtFault(_ m: Malformation, payload: UnsafeRawBufferPointer) -> (offset: Int, why: String)? {
    switch m.reason {
    case .truncatedPeer, .truncatedName, .truncatedHeader:
        return (payload.count, "the first byte missing (the payload ends after \(payload.count))")
    case .badJSON:
        // The codec says where its parser stopped.
        guard let stop = m.faultOffset, stop >= 0, stop <= payload.count else { return nil }
        return (stop, "where the JSON parser stopped")
    default:
        return nil
    }
}
