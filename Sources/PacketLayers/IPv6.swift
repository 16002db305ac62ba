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
/// fragment) to a UDP header, if the packet holds one that was captured. Every read
/// is checked: a header cut short ends the walk with nil.
public func parseIPv6UDP(_ bytes: UnsafeRawBufferPointer) -> IPv6UDP? {
    var reader = ByteReader(bytes)
    // Version, class and flow label; payload length; next header; hop limit; the addresses.
    guard let (versionClassFlow, _, firstNext, _) = reader.readMultipleIntegers(as: (UInt32, UInt16, UInt8, UInt8).self),
          versionClassFlow >> 28 == 6,
          let source = reader.readIPv6Address(), let destination = reader.readIPv6Address() else { return nil }
    var next = firstNext
    for _ in 0..<8 {
        switch next {
        case 17:
            guard let (sourcePort, destinationPort, udpLength, _) = reader.readMultipleIntegers(as: (UInt16, UInt16, UInt16, UInt16).self),
                  let payload = reader.readBytes(min(reader.readableBytes, max(8, Int(udpLength)) - 8)) else { return nil }
            return IPv6UDP(
                source: source, destination: destination,
                sourcePort: sourcePort,
                destinationPort: destinationPort,
                payloadLength: max(0, Int(udpLength) - 8),
                payload: payload)
        case 0, 43, 60:
            // Next header and length in 8-byte units, not counting the first 8.
            let start = reader.readerIndex
            guard let (following, units) = reader.readMultipleIntegers(as: (UInt8, UInt8).self),
                  reader.moveReaderIndex(to: start + (Int(units) + 1) * 8) else { return nil }
            next = following
        case 44:
            // Next header, reserved, offset and flags, identification.
            guard let (following, _, offsetAndFlags, _) = reader.readMultipleIntegers(as: (UInt8, UInt8, UInt16, UInt32).self),
                  // A later fragment has no UDP header to read.
                  offsetAndFlags & 0xFFF8 == 0 else { return nil }
            next = following
        default:
            return nil
        }
    }
    return nil
}
