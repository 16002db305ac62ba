import DiscoveryCodec
import WireBytes

/// Appends bytes from the network so that a terminal shows them and does nothing
/// else: no escape sequence, no control character, no bidirectional override gets
/// through. Printable text passes; `"` and `\` are escaped (names are shown quoted);
/// controls become `\xNN` (or `\n`, `\r`, `\t`, `\e`); C1 controls and invisible
/// format characters become `\u{XXXX}`; bytes that are not UTF-8 become U+FFFD.
public func appendTerminalSafe<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to out: inout Sink, quoting: Bool = true) {
    var i = 0
    let n = bytes.count
    // Runs that need nothing (printable ASCII other than quote and backslash, and
    // characters that are neither controls nor invisible) are copied whole.
    var run = 0
    @inline(__always) func flushRun(upTo end: Int, _ out: inout Sink) {
        if end > run { out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[run..<end])) }
    }
    while i < n {
        i = endOfPlainASCII(bytes, from: i)
        guard i < n else { break }
        let b = bytes[i]
        if b >= 0x80, let (scalar, width) = decodeScalar(bytes, at: i), !isInvisibleOrControl(scalar) {
            i += width
            continue
        }
        flushRun(upTo: i, &out)
        defer { run = i }
        if b < 0x80 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                if quoting { out.append(UInt8(ascii: "\\")) }
                out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x1B: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "e"))
            case 0x00..<0x20, 0x7F:
                out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "x")); out.append(hexDigit(b >> 4)); out.append(hexDigit(b & 0x0F))
            default: out.append(b)
            }
            i += 1
            continue
        }
        // A multi-byte sequence: decode one scalar strictly.
        guard let (scalar, width) = decodeScalar(bytes, at: i) else {
            out.append(0xEF); out.append(0xBF); out.append(0xBD)  // U+FFFD
            i += invalidSubpartLength(bytes, at: i)
            continue
        }
        if isInvisibleOrControl(scalar) {
            out.append("\\u{")
            var hex: [UInt8] = []
            var v = scalar
            repeat { hex.append(hexDigit(UInt8(v & 0xF))); v >>= 4 } while v > 0
            while hex.count < 4 { hex.append(UInt8(ascii: "0")) }
            for digit in hex.reversed() { out.append(digit) }
            out.append(UInt8(ascii: "}"))
        } else {
            for k in 0..<width { out.append(bytes[i + k]) }
        }
        i += width
    }
    flushRun(upTo: n, &out)
}

/// Same, for a Swift string (details, JSON text of a LEGACY frame).
public func appendTerminalSafe<Sink: ByteSink>(_ text: String, to out: inout Sink, quoting: Bool = true) {
    var copy = text
    copy.withUTF8 { appendTerminalSafe(UnsafeRawBufferPointer($0), to: &out, quoting: quoting) }
}

/// `quoting: false` leaves `"` and `\` as they are (prose, not a quoted name);
/// controls are escaped all the same.
public func terminalSafe(_ text: String, quoting: Bool = true) -> String {
    var out: [UInt8] = []
    appendTerminalSafe(text, to: &out, quoting: quoting)
    return String(decoding: out, as: UTF8.self)
}

/// Characters that move, hide or reorder text: every character of Unicode's
/// categories Cc (controls, C1 included) and Cf (format: bidi marks, embeddings,
/// overrides and isolates, U+061C, zero-width characters, the BOM, the tag
/// characters U+E0001 and U+E0020...U+E007F, interlinear annotation), and the line
/// and paragraph separators. Decided by the Unicode data of Swift's standard library.
func isInvisibleOrControl(_ scalar: UInt32) -> Bool {
    switch scalar {
    case 0x80...0x9F, 0x2028, 0x2029: return true
    // Common letters and symbols below U+0600 hold no format character but U+00AD.
    case 0xA0..<0x600: return scalar == 0xAD
    // Ranges without a control, format or separator character, where names' dashes,
    // quotes and stars, CJK and the emoji are (held to the Unicode data by a test
    // that asks the standard library of every scalar in them): no lookup.
    case 0x2010..<0x2028, 0x2030..<0x2060, 0x2070..<0xFEFF, 0x1F000...0x1FFFF: return false
    default:
        guard let value = Unicode.Scalar(scalar) else { return false }
        switch value.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}

/// How many bytes one U+FFFD stands for at an invalid position: the maximal
/// subpart of a well-formed sequence (Unicode's recommended practice, and what
/// Swift's `String(decoding:as:)` does), so that a name cut inside a character
/// shows one replacement character, not one per byte.
func invalidSubpartLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
    guard let lead = utf8Lead(bytes[i]) else { return 1 }
    return utf8WellFormedPrefix(bytes, at: i, lead)
}

/// One UTF-8 scalar at `i` (RFC 3629 strict): its value and width, or nil.
func decodeScalar(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (UInt32, Int)? {
    guard let lead = utf8Lead(bytes[i]), utf8WellFormedPrefix(bytes, at: i, lead) == lead.width else { return nil }
    // The lead byte keeps 5, 4 or 3 bits; each continuation byte 6.
    var value = UInt32(bytes[i] & (0x7F >> UInt8(lead.width)))
    for k in 1..<lead.width { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
    return (value, lead.width)
}

/// Appends bytes as the content of a JSON string: valid UTF-8 is copied (escaped
/// where JSON requires) in runs, anything else becomes U+FFFD (one per maximal
/// invalid subpart, as `String(decoding:)` does). Plain ASCII is passed eight bytes
/// at a time, and two- and three-byte characters are checked in line.
public func appendJSONStringContent<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to out: inout Sink) {
    let n = bytes.count
    guard n > 0, let base = bytes.baseAddress else { return }
    var start = 0
    var i = 0
    while i < n {
        if n - i >= 8 {
            let mask = nonPlainMask(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            if mask == 0 {
                i += 8
                continue
            }
            i += mask.trailingZeroBitCount >> 3  // the first byte that is not plain
        } else if n >= 8 {
            // The last bytes: the word that ends with them, without the bytes before.
            // (A borrow from a control byte before may mark a plain byte: the byte
            // rule below looks at it again, so a mark is never wrong, only slower.)
            let left = n - i
            let mask = nonPlainMask(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)))
                & (UInt64.max << UInt64(8 * (8 - left)))
            if mask == 0 { break }
            i = n - 8 + mask.trailingZeroBitCount >> 3
        }
        let b = base.load(fromByteOffset: i, as: UInt8.self)
        if b >= 0x20, b < 0x7F, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
            i += 1
            continue
        }
        let short = utf8ShortCharacterWidth(base, at: i, count: n, lead: b)
        if short > 0 {
            i += short
            continue
        }
        if b >= 0x80, let lead = utf8Lead(b), utf8WellFormedPrefix(bytes, at: i, lead) == lead.width {
            i += lead.width
            continue
        }
        // A byte JSON escapes, or bytes that are not UTF-8.
        if i > start { out.append(bytes: UnsafeRawBufferPointer(start: base + start, count: i - start)) }
        if b < 0x80 {
            appendJSONEscaped(b, to: &out)
            i += 1
        } else {
            out.append(0xEF); out.append(0xBF); out.append(0xBD)
            i += invalidSubpartLength(bytes, at: i)
        }
        start = i
    }
    if n > start { out.append(bytes: UnsafeRawBufferPointer(start: base + start, count: n - start)) }
}

/// Whether eight bytes are all printable ASCII (0x20 to 0x7E) other than `"` and
/// `\`: nothing a terminal or JSON needs escaped.
@inline(__always)
func isPlainASCII(_ word: UInt64) -> Bool { nonPlainMask(word) == 0 }

/// The top bit of each byte of `word` (in memory order, little-endian) that is not
/// plain printable ASCII, by the "has less / has more / has value" tests of Bit
/// Twiddling Hacks. A borrow or carry can mark a byte above a marked one, never
/// below: the lowest mark is exact, so it tells where the first such byte is.
@inline(__always)
func nonPlainMask(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let below0x20 = (word &- ones &* 0x20) & ~word & highs
    let above0x7E = ((word &+ ones &* (127 - 0x7E)) | word) & highs
    func has(_ value: UInt64) -> UInt64 {
        let x = word ^ (ones &* value)
        return (x &- ones) & ~x & highs
    }
    return below0x20 | above0x7E | has(0x22) | has(0x5C)
}

/// The index of the first byte at or after `i` that is not plain printable ASCII
/// (see `isPlainASCII`): eight bytes at a time, then one by one.
@inline(__always)
func endOfPlainASCII(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    var i = start
    let n = bytes.count
    while i + 8 <= n, isPlainASCII(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
    while i < n {
        let b = bytes[i]
        guard b >= 0x20, b < 0x7F, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") else { break }
        i += 1
    }
    return i
}

/// An address and, when known, its name quoted as every writer shows it:
/// `10.37.0.20 "Attack from Mars"`, the name terminal-safe with its `"` and `\`
/// escaped (the page escapes the result again for HTML; the metrics keep the name in
/// a label of its own).
public func appendAddressAndName<Sink: ByteSink>(_ ip: IPv4Address, _ name: Name?, to out: inout Sink) {
    ip.write(to: &out)
    guard let name else { return }
    out.append(" \"")
    name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out) }
    out.append(UInt8(ascii: "\""))
}

/// The same, as a string.
public func addressAndName(_ ip: IPv4Address, _ name: Name?) -> String {
    var out: [UInt8] = []
    appendAddressAndName(ip, name, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// A name alone, quoted as `addressAndName` quotes it (the node tables' name column).
public func quotedName(_ name: Name) -> String {
    var out: [UInt8] = [UInt8(ascii: "\"")]
    name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out) }
    out.append(UInt8(ascii: "\""))
    return String(decoding: out, as: UTF8.self)
}
