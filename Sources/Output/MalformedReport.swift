import Analyzer
import DiscoveryCodec
import WireBytes

/// `--malformed`: every malformed datagram and every frame with warnings, each
/// with the packet, the time, the source (and its name), the code, a sentence,
/// and a hex dump whose offending byte is marked; then tallies by code and by
/// source, so that one bad firmware build stands out.
public final class MalformedReportWriter: RecordWriter {
    let stream: OutputStream
    let style: TextStyle
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

    public init(stream: OutputStream, style: TextStyle = .plain) {
        self.stream = stream
        self.style = style
    }

    public func flush() { stream.flush() }
    public func write(_ event: ElectionEvent) {}

    public func write(_ record: FrameRecord) {
        let frame = record.frame
        guard !frame.warnings.isEmpty else { return }
        for (warning, staticCode) in FrameWarnings.all where frame.warnings.contains(warning) {
            let code = staticCode.description
            let offset = frame.offset(of: warning)
            entry(origin: record.origin, endpoints: record.endpoints, code: code, isWarning: true,
                  sentence: FrameWarnings.explanation(of: code) + " (\(frame.type.name) still decoded)",
                  offset: offset, payload: frame.payload)
        }
    }

    public func write(_ record: MalformedRecord) {
        let m = record.malformation
        malformedEntries += 1
        entry(origin: record.origin, endpoints: record.endpoints, code: m.reason.description, isWarning: false,
              sentence: m.detail, offset: m.offset, payload: record.payload)
    }

    func entry(origin: PacketOrigin, endpoints: Endpoints, code: String, isWarning: Bool, sentence: String,
               offset: Int?, payload: UnsafeRawBufferPointer) {
        entries += 1
        byCode[code, default: 0] += 1
        if bySource[endpoints.source] != nil || bySource.count < MalformedReportWriter.maxSources {
            bySource[endpoints.source, default: SourceTally()].count += 1
            bySource[endpoints.source]!.codes[code, default: 0] += 1
        } else {
            otherSources += 1
        }

        var line = "#\(origin.number)  \(origin.time.rfc3339)"
        if let file = origin.file { line += "  [\(terminalSafe(file))]" }
        line += "  \(source(endpoints.source)):\(endpoints.sourcePort) → \(endpoints.destination):\(endpoints.destinationPort)"
        stream.append("\(style.bold)\(line)\(style.reset)\n")
        let color = isWarning ? style.warning : style.error
        let place = offset.map { " at offset \($0)" } ?? ""
        stream.append("  \(color)\(isWarning ? "warning" : "malformed") \(code)\(style.reset)\(place): \(terminalSafe(sentence, quoting: false))\n")
        stream.append("  payload: \(payload.count) byte\(payload.count == 1 ? "" : "s")\n")
        hexDump(payload, mark: offset)
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
    func hexDump(_ bytes: UnsafeRawBufferPointer, mark: Int?) {
        let rows = max(1, (bytes.count + 15) / 16 + (mark.map { $0 >= bytes.count && bytes.count % 16 == 0 && bytes.count > 0 ? 1 : 0 } ?? 0))
        for row in 0..<rows {
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
            var offsetText = String(start, radix: 16)
            while offsetText.count < 4 { offsetText = "0" + offsetText }
            stream.append("  \(offsetText)  \(hex) |\(ascii)|\n")
            if let i = marked {
                // Layout: 2 spaces, 4 offset digits, 2 spaces (8), 16 × "xx " plus the gap
                // after eight (49), " |" (2), then the characters.
                let hexColumn = 8 + i * 3 + (i >= 8 ? 1 : 0)
                let asciiColumn = 8 + 49 + 2 + i
                var marker = String(repeating: " ", count: hexColumn) + "^^"
                marker += String(repeating: " ", count: asciiColumn - marker.count) + "^"
                stream.append("\(style.error)\(marker)\(style.reset)\n")
            }
        }
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
        for line in lines { stream.append(line); stream.buffer.append(0x0A) }
        stream.flush()
    }
}
