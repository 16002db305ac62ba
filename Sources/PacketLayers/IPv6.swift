import WireBytes

/// A UDP datagram carried by IPv6: just enough to report it (CONTRACT `not-ipv4`).
public struct IPv6UDP {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payloadLength: Int
    /// The payload bytes that were captured.
    public var payload: UnsafeRawBufferPointer
}

/// Follows IPv6 extension headers (hop-by-hop, routing, destination options,
/// fragment) to a UDP header, if the packet holds one that was captured.
public func parseIPv6UDP(_ bytes: UnsafeRawBufferPointer) -> IPv6UDP? {
    guard bytes.count >= 40, bytes[0] >> 4 == 6 else { return nil }
    var next = bytes[6]
    var offset = 40
    for _ in 0..<8 {
        switch next {
        case 17:
            guard bytes.count >= offset + 8 else { return nil }
            let udpLength = Int(bytes.loadBigEndianUInt16(at: offset + 4))
            return IPv6UDP(
                source: IPv6Address(bytes, at: 8), destination: IPv6Address(bytes, at: 24),
                sourcePort: bytes.loadBigEndianUInt16(at: offset),
                destinationPort: bytes.loadBigEndianUInt16(at: offset + 2),
                payloadLength: max(0, udpLength - 8),
                payload: UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<min(bytes.count, offset + max(8, udpLength))]))
        case 0, 43, 60:
            guard bytes.count >= offset + 2 else { return nil }
            next = bytes[offset]
            offset += (Int(bytes[offset + 1]) + 1) * 8
        case 44:
            guard bytes.count >= offset + 8 else { return nil }
            // A later fragment has no UDP header to read.
            guard bytes.loadBigEndianUInt16(at: offset + 2) & 0xFFF8 == 0 else { return nil }
            next = bytes[offset]
            offset += 8
        default:
            return nil
        }
    }
    return nil
}
