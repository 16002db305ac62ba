import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// How wide text output may be and how much it shows, decided once at the start of a
/// run (never per line).
///
/// On a terminal every line fits its window: long lines are cut with `…`, prose is
/// wrapped at word boundaries, tables are narrowed. Piped, with `COLUMNS` unset,
/// lines keep their natural length (what scripts and `grep` expect), except that a
/// FULL still lists only its first few peers unless `-v` asks for all.
public struct TextLayout: Sendable, Equatable {
    /// The columns a line may take; nil: no limit.
    public var columns: Int?
    /// `-v`: every peer of a FULL (wrapped onto lines of their own on a terminal);
    /// in the malformed report, every record in full with its whole dump.
    public var verbose: Bool

    public init(columns: Int? = nil, verbose: Bool = false) {
        self.columns = columns.map { max(TextLayout.minimumColumns, $0) }
        self.verbose = verbose
    }

    /// The peers a FULL line shows without `-v`.
    public static let peersShown = 3
    /// Narrower than this, nothing useful fits: lines are laid out for this width.
    public static let minimumColumns = 20
    /// The indent of a line continued (a wrapped FULL, a wrapped sentence).
    static let continuation = "    "

    /// The layout of standard output, as tcpdump and ls decide it: `COLUMNS` when it
    /// is set to a number, else the terminal's width (TIOCGWINSZ) when standard output
    /// is one, else no limit.
    public static func standardOutput(isTerminal: Bool, verbose: Bool) -> TextLayout {
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let value = Int(text), value > 0 {
            return TextLayout(columns: value, verbose: verbose)
        }
        if isTerminal {
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
                return TextLayout(columns: Int(size.ws_col), verbose: verbose)
            }
            return TextLayout(columns: 80, verbose: verbose)
        }
        return TextLayout(columns: nil, verbose: verbose)
    }
}

// MARK: Columns of bytes about to be printed

/// Where text of UTF-8 bytes (already made terminal-safe, possibly with SGR colour
/// codes) reaches a number of terminal columns: the end of the longest prefix that
/// takes at most `limit` columns (never inside a character or an escape sequence;
/// marks of width zero stay with their character), and the columns it takes.
/// Colour codes take no column, East Asian wide characters and emoji two.
/// Plain ASCII, the common case, goes eight bytes at a time.
func columnScan(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) -> (end: Int, columns: Int) {
    let n = bytes.count
    var i = 0
    var columns = 0
    var lastWidth = 0
    while i < n {
        // Printable ASCII, eight bytes at a time.
        while i + 8 <= n, columns <= limit - 8 {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            guard (word | ((word &- ones &* 0x20) & ~word)) & highs == 0 else { break }
            i += 8
            columns += 8
            lastWidth = 1
        }
        guard i < n else { break }
        let b = bytes[i]
        if b == 0x1B {
            // CSI: ESC [ parameters final byte; other escapes: two bytes.
            var j = i + 1
            if j < n, bytes[j] == UInt8(ascii: "[") {
                j += 1
                while j < n, !(0x40...0x7E).contains(bytes[j]) { j += 1 }
            }
            i = min(n, j + 1)
            continue
        }
        let width: Int
        let length: Int
        if b < 0x80 {
            width = b < 0x20 || b == 0x7F ? 0 : 1
            length = 1
        } else if let (scalar, count) = decodeScalar(bytes, at: i) {
            length = count
            // U+FE0F asks for emoji presentation: the character before takes two columns.
            width = scalar == 0xFE0F ? (lastWidth == 1 ? 1 : 0) : (Unicode.Scalar(scalar).map(displayColumns) ?? 1)
            if scalar == 0xFE0F, width == 1 {
                if columns + 1 > limit { break }
                columns += 1
                lastWidth = 2
                i += length
                continue
            }
        } else {
            width = 1
            length = 1
        }
        if width > 0, columns + width > limit { break }
        columns += width
        if width > 0 { lastWidth = width }
        i += length
    }
    return (i, columns)
}

/// The columns `bytes` take on a terminal.
func terminalColumns(_ bytes: UnsafeRawBufferPointer) -> Int { columnScan(bytes).columns }

/// The columns `text` takes on a terminal (colour codes none, wide characters two).
func terminalColumns(_ text: String) -> Int {
    var copy = text
    return copy.withUTF8 { terminalColumns(UnsafeRawBufferPointer($0)) }
}

extension RawBytes {
    /// Drops what was appended after the first `count` bytes.
    @inline(__always)
    mutating func shorten(to count: Int) {
        let drop = self.count - count
        guard drop > 0 else { return }
        write(reserving: 0) { $0.at -= drop }
    }

    /// The columns taken by the bytes from `start` to the end.
    func columns(from start: Int) -> Int {
        withUnsafeBytes { terminalColumns(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Where the bytes from `start` reach `limit` columns (see `columnScan`).
    func scan(from start: Int, limit: Int) -> (end: Int, columns: Int) {
        withUnsafeBytes {
            let r = columnScan(UnsafeRawBufferPointer(rebasing: $0[start...]), limit: limit)
            return (start + r.end, r.columns)
        }
    }

    /// Cuts the line that began at `start` (its line feed not yet written) to
    /// `columns`, ending it with `…` (and `reset`, so that a colour cut off ends).
    /// Returns whether it was cut.
    @discardableResult
    mutating func cutLine(from start: Int, to columns: Int, reset: String) -> Bool {
        let whole = scan(from: start, limit: columns)
        guard whole.end < count else { return false }
        let fit = scan(from: start, limit: columns - 1)
        shorten(to: fit.end)
        append("…")
        if !reset.isEmpty { append(string: reset) }
        return true
    }

    /// Breaks the line that began at `start` (its line feed not yet written) into
    /// lines of at most `columns`, each continuation indented, at spaces where it
    /// can, inside a word where a word is longer than a line. Nothing is lost.
    mutating func wrapLine(from start: Int, to columns: Int, indent: String = TextLayout.continuation) {
        guard scan(from: start, limit: columns).end < count else { return }
        var rest = withUnsafeBytes { Array($0[start...]) }
        shorten(to: start)
        let indentWidth = indent.utf8.count
        var lineLimit = columns
        var first = true
        while true {
            if !first { append(0x0A); append(string: indent) }
            let (end, _) = rest.withUnsafeBytes { columnScan($0, limit: lineLimit) }
            if end >= rest.count {
                append(contentsOf: rest)
                return
            }
            // The last space inside the part that fits, if it leaves something on this line.
            // (Not in the line's own indent.)
            var cut = end
            let text = rest.firstIndex { $0 != 0x20 } ?? 0
            var k = end
            while k > text, rest[k] != 0x20 { k -= 1 }
            if k > text { cut = k }
            append(contentsOf: rest[..<cut])
            var next = cut
            while next < rest.count, rest[next] == 0x20 { next += 1 }
            rest.removeSubrange(..<next)
            first = false
            lineLimit = max(TextLayout.minimumColumns - indentWidth, columns - indentWidth)
            if rest.isEmpty { return }
        }
    }
}

// MARK: Strings (the summary, built once at the end)

/// `text` cut to at most `columns` columns with `…`.
func cutText(_ text: String, to columns: Int, reset: String = "") -> String {
    var bytes = RawBytes(capacity: text.utf8.count + 8)
    defer { bytes.deallocate() }
    bytes.append(string: text)
    bytes.cutLine(from: 0, to: columns, reset: reset)
    return bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
}

/// `text` in exactly `width` columns: cut with `…`, or padded with spaces.
func cell(_ text: String, _ width: Int) -> String {
    let cut = cutText(text, to: max(1, width - 1))
    return cut + String(repeating: " ", count: max(1, width - terminalColumns(cut)))
}

/// A line of prose broken at spaces into lines of at most `columns` columns;
/// continuation lines indented by `hanging` spaces beyond the line's own indent.
func wrapText(_ line: String, to columns: Int, hanging: Int = 2) -> [String] {
    guard terminalColumns(line) > columns else { return [line] }
    let indent = line.prefix { $0 == " " }.count
    var bytes = RawBytes(capacity: line.utf8.count + 64)
    defer { bytes.deallocate() }
    bytes.append(string: line)
    bytes.wrapLine(from: 0, to: columns, indent: String(repeating: " ", count: min(indent + hanging, columns / 2)))
    return bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}
