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
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let width: Int
                if raw[i] < 0x80 {
                    width = 1
                } else if let lead = utf8Lead(raw[i]), utf8WellFormedPrefix(raw, at: i, lead) == lead.width {
                    width = lead.width
                } else {
                    out += "\\x" + String(UnicodeScalar(hexDigit(raw[i] >> 4))) + String(UnicodeScalar(hexDigit(raw[i] & 0xF)))
                    i += 1
                    continue
                }
                out += String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<(i + width)]), as: UTF8.self)
                i += width
            }
        }
        return out
    }
}
