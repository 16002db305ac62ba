/// An IPv4 address held as its 32-bit value in host order, so that comparison is
/// numeric: 10.0.0.9 < 10.0.0.10, as the firmware's election compares them.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text ("10.37.0.20"); nil for anything else.
    public init?(_ text: some StringProtocol) {
        var parts: [UInt32] = []
        var current: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                parts.append(current); current = 0; digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        parts.append(current)
        guard parts.count == 4 else { return nil }
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(15)
        write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the dotted-quad text to `out` without building a String.
    @inlinable
    public func write<Sink: ByteSink>(to out: inout Sink) {
        out.append(ipv4: value)
    }
}

/// Appends the decimal digits of `number` to `out`.
@inlinable
public func appendDecimal<Sink: ByteSink>(_ number: UInt64, to out: inout Sink) {
    out.append(decimal: number)
}

/// Appends `number` as exactly `width` decimal digits, zero-padded.
@inlinable
public func appendDecimal<Sink: ByteSink>(_ number: UInt64, width: Int, to out: inout Sink) {
    // Zero-pad, then the digits (a number wider than `width` is written whole).
    out.append(decimal: number, width: width)
}

/// How many decimal digits `number` has, found by comparisons with powers of ten (not
/// divisions): the usual numbers (packet numbers, ports, octets) in two or three.
@inlinable @inline(__always)
public func decimalDigitCount(_ number: UInt64) -> Int {
    if number < 10_000 { return number < 100 ? (number < 10 ? 1 : 2) : (number < 1_000 ? 3 : 4) }
    if number < 100_000_000 { return number < 1_000_000 ? (number < 100_000 ? 5 : 6) : (number < 10_000_000 ? 7 : 8) }
    var width = 9
    var threshold: UInt64 = 1_000_000_000
    while number >= threshold {
        width += 1
        if width == 20 { break }  // UInt64.max has 20 digits; 10^19 is the last power that fits
        threshold &*= 10
    }
    return width
}
