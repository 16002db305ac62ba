/// A file name as the user gave it: its bytes exactly (a name need not be UTF-8),
/// and a form to show: valid UTF-8 as it is, any other byte as `\xNN`.
public struct PathName: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let display: String

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        display = PathName.show(bytes)
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    public var description: String { display }

    /// "-": standard input (or output).
    public var isStandardStream: Bool { bytes == [UInt8(ascii: "-")] }

    /// The name as a NUL-terminated C string, for open(2) and fopen(3).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    static func show(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let length = utf8SequenceLength(bytes, at: i)
            if length > 0 {
                out += String(decoding: bytes[i..<(i + length)], as: UTF8.self)
                i += length
            } else {
                let hex = Array("0123456789abcdef")
                out += "\\x" + String(hex[Int(bytes[i] >> 4)]) + String(hex[Int(bytes[i] & 0xF)])
                i += 1
            }
        }
        return out
    }
}

/// The length of the well-formed UTF-8 sequence at `i` (1 to 4), or 0 if there is none.
func utf8SequenceLength(_ b: [UInt8], at i: Int) -> Int {
    let first = b[i]
    if first < 0x80 { return 1 }
    func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
        i + k < b.count && range.contains(b[i + k])
    }
    switch first {
    case 0xC2...0xDF: return continuation(1) ? 2 : 0
    case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
    case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
    case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
    case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
    case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
    case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
    default: return 0
    }
}
