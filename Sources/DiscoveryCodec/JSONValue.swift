import WireBytes

/// A JSON value as old firmware sends it. Numbers keep their exact text, objects
/// their key order, so a LEGACY frame is reported as it was sent.
public indirect enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its exact text.
    case number(String)
    /// A string, its escapes resolved.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object's members in the order sent (a key may repeat).
    case object([(key: String, value: JSONValue)])

    /// Equal values: same kind, same text, members in the same order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case let .bool(b): hasher.combine(b)
        case let .number(n): hasher.combine(n)
        case let .string(s): hasher.combine(s)
        case let .array(a): hasher.combine(a)
        case let .object(o):
            for (k, v) in o { hasher.combine(k); hasher.combine(v) }
        }
    }

    /// The value of `key` in an object (the first, if the key repeats).
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The text of a string value; nil for any other kind.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// Compact JSON text of this value, appended to `out`.
    @inlinable
    package func write<Sink: ByteSink>(to out: inout Sink) {
        switch self {
        case .null: out.append("null")
        case let .bool(b): out.append(b ? "true" : "false")
        case let .number(n): out.append(string: n)
        case let .string(s): writeJSONString(s, to: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeJSONString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Compact JSON text of this value (numbers as sent, members in order).
    public var jsonText: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Appends `text` as a JSON string literal: quotes, backslashes and every control
/// character escaped, so that nothing from the network can break a JSON line.
@inlinable
package func writeJSONString<Sink: ByteSink>(_ text: String, to out: inout Sink) {
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 { appendJSONEscaped(byte, to: &out) }
    out.append(UInt8(ascii: "\""))
}

/// Appends one UTF-8 byte of a JSON string's content, escaped where JSON requires.
@inlinable
package func appendJSONEscaped<Sink: ByteSink>(_ byte: UInt8, to out: inout Sink) {
    switch byte {
    case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
    case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
    case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
    case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
    case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
    case 0x00..<0x20, 0x7F:
        out.append("\\u00")
        out.append(hexDigit(byte >> 4))
        out.append(hexDigit(byte & 0x0F))
    default: out.append(byte)
    }
}

/// A strict RFC 8259 parser over borrowed bytes. On failure it tells the byte
/// offset and what was expected there.
///
/// The offset follows CONTRACT.md ("where the element that could not be read
/// begins"): for a token that is wrong (a literal, a number, an escape, a UTF-8
/// character, a control byte, a container nested too deeply) it is the token's
/// first byte; for something missing (a key, ':', ',', a closing bracket, a value,
/// the rest of a string) it is where that should begin, the end of the text if the
/// text ends early.
///
/// Every byte is read through `input`, checked: past the end there is no byte
/// (`byte(at:)` is nil), never a read out of bounds.
struct JSONParser {
    struct Failure: Error {
        let offset: Int
        let message: String
    }

    /// Deep nesting is refused rather than recursed into without end.
    static let maxDepth = 64

    let input: ByteReader
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { input = ByteReader(bytes) }

    /// The byte at `index`; nil past the end.
    @inline(__always)
    func byte(at index: Int) -> UInt8? { input.getInteger(at: index, as: UInt8.self) }

    /// The byte at `i`; nil at the end of the text.
    var current: UInt8? {
        @inline(__always) get { byte(at: i) }
    }

    mutating func skipWhitespace() {
        while let b = current {
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }
    func fail(_ message: String, at offset: Int) -> Failure { Failure(offset: offset, message: message) }

    mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard let b = current else { throw fail("the text ends where a value should be") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected byte where a value should be")
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard let text = input.getBytes(at: i, count: count) else { throw fail("the text ends inside a literal") }
        guard text.elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: count)) else {
            throw fail("not a JSON literal")
        }
        i += count
    }

    mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw fail("nested too deeply") }
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
            i += 1
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            guard let b = current else { throw fail("the text ends inside an object") }
            if b == UInt8(ascii: ",") { i += 1; continue }
            if b == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail("expected ',' or '}' in an object")
        }
    }

    mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw fail("nested too deeply") }
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard let b = current else { throw fail("the text ends inside an array") }
            if b == UInt8(ascii: ",") { i += 1; continue }
            if b == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']' in an array")
        }
    }

    mutating func parseNumber() throws(Failure) -> String {
        let start = i
        if current == UInt8(ascii: "-") { i += 1 }
        func isDigit(_ b: UInt8?) -> Bool {
            guard let b else { return false }
            return b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
        }
        guard isDigit(current) else { throw fail("a number needs a digit", at: start) }
        if current == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(current) { i += 1 }
        }
        if current == UInt8(ascii: ".") {
            i += 1
            guard isDigit(current) else { throw fail("a fraction needs a digit", at: start) }
            while isDigit(current) { i += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard isDigit(current) else { throw fail("an exponent needs a digit", at: start) }
            while isDigit(current) { i += 1 }
        }
        // The digits were read one by one above: they are there.
        guard let text = input.getBytes(from: start, upTo: i) else { throw fail("a number past the end", at: start) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The four hex digits of a `\u` escape that begins (with its backslash) at `escape`.
    mutating func hex4(escape: Int) throws(Failure) -> UInt32 {
        guard let digits = input.getBytes(at: i, count: 4) else { throw fail("the text ends inside a \\u escape", at: escape) }
        var v: UInt32 = 0
        for c in digits {
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in a \\u escape", at: escape)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func parseString() throws(Failure) -> String {
        i += 1
        var text = ""
        while true {
            guard let b = current else { throw fail("the text ends inside a string") }
            if b == UInt8(ascii: "\"") { i += 1; return text }
            if b < 0x20 { throw fail("a control character inside a string") }
            if b == UInt8(ascii: "\\") {
                let escape = i
                i += 1
                guard let e = current else { throw fail("the text ends inside an escape", at: escape) }
                i += 1
                switch e {
                case UInt8(ascii: "\""): text.unicodeScalars.append("\"")
                case UInt8(ascii: "\\"): text.unicodeScalars.append("\\")
                case UInt8(ascii: "/"): text.unicodeScalars.append("/")
                case UInt8(ascii: "b"): text.unicodeScalars.append("\u{08}")
                case UInt8(ascii: "f"): text.unicodeScalars.append("\u{0C}")
                case UInt8(ascii: "n"): text.unicodeScalars.append("\n")
                case UInt8(ascii: "r"): text.unicodeScalars.append("\r")
                case UInt8(ascii: "t"): text.unicodeScalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4(escape: escape)
                    if (0xD800...0xDBFF).contains(code) {
                        // The low half must follow as a second escape, right here.
                        guard byte(at: i) == UInt8(ascii: "\\"), byte(at: i + 1) == UInt8(ascii: "u") else {
                            throw fail("a lone high surrogate")
                        }
                        let second = i
                        i += 2
                        let low = try hex4(escape: second)
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw fail("a high surrogate without its low half", at: second)
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw fail("a lone low surrogate", at: escape)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("not a Unicode scalar", at: escape) }
                    text.unicodeScalars.append(scalar)
                default:
                    throw fail("an unknown escape", at: escape)
                }
                continue
            }
            // A run of plain bytes (no quote, backslash or control character) that is
            // valid UTF-8 is taken whole: it ends only at an ASCII byte, so it holds
            // whole scalars. Otherwise one scalar at a time, which finds the fault.
            var end = i + 1
            while let next = byte(at: end), next != UInt8(ascii: "\""), next != UInt8(ascii: "\\"), next >= 0x20 { end += 1 }
            if let run = input.getBytes(at: i, count: end - i), checkUTF8(run) == .valid {
                text += String(decoding: run, as: UTF8.self)
                i = end
                continue
            }
            // One UTF-8 scalar, checked strictly.
            let start = i
            let width: Int
            if b < 0x80 {
                width = 1
            } else if let lead = utf8Lead(b) {
                width = lead.width
            } else {
                throw fail("bytes that are not UTF-8 inside a string")
            }
            guard let slice = input.getBytes(at: start, count: width) else { throw fail("the text ends inside a UTF-8 character") }
            guard checkUTF8(slice) == .valid else { throw fail("bytes that are not UTF-8 inside a string") }
            var decoder = UTF8()
            var iterator = slice.makeIterator()
            guard case let .scalarValue(scalar) = decoder.decode(&iterator) else {
                throw fail("bytes that are not UTF-8 inside a string")
            }
            text.unicodeScalars.append(scalar)
            i += width
        }
    }
}
