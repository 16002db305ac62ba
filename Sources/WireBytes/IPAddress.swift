/// An IPv6 address: sixteen bytes as two 64-bit halves.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    /// The eight 16-bit groups.
    var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64((3 - i % 4) * 16))
        }
    }

    /// RFC 5952 text: lower case, leading zeros dropped, the longest run of two or
    /// more zero groups shown as `::`.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength, i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty, !text.hasSuffix(":") { text += ":" }
            text += String(g[i], radix: 16)
            i += 1
        }
        return text
    }
}

/// A network-layer address, IPv4 or IPv6.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var description: String {
        switch self {
        case let .v4(a): a.description
        case let .v6(a): a.description
        }
    }

    public var ipv4: IPv4Address? {
        if case let .v4(a) = self { return a }
        return nil
    }

    /// Appends the text form without building a String for IPv4.
    @inlinable
    public func write<Sink: ByteSink>(to out: inout Sink) {
        switch self {
        case let .v4(a): a.write(to: &out)
        case let .v6(a): out.append(string: a.description)
        }
    }
}

extension ByteReader {
    /// The sixteen bytes of an IPv6 address at the cursor, which moves past them;
    /// nil if they are not all there.
    @inlinable
    public mutating func readIPv6Address() -> IPv6Address? {
        guard let (high, low) = readMultipleIntegers(as: (UInt64, UInt64).self) else { return nil }
        return IPv6Address(high: high, low: low)
    }
}
