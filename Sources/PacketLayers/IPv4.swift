import WireBytes

/// An IPv4 header, read in place (RFC 791). Options are skipped by the header length.
public struct IPv4Header: Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var protocolNumber: UInt8
    public var identification: UInt16
    public var moreFragments: Bool
    /// The fragment's offset in bytes.
    public var fragmentOffset: Int
    public var headerLength: Int
    public var totalLength: Int

    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }
}

public enum IPv4Packet {
    /// `payload` is what was captured of the IP payload; `cut` says the capture's
    /// snap length ended it before the header's total length.
    case packet(IPv4Header, payload: UnsafeRawBufferPointer, cut: Bool)
    /// Not IPv4, a header cut short, or lengths that contradict each other.
    case invalid
}

/// Reads an IPv4 header and bounds its payload by the total length (dropping
/// Ethernet padding) and by what was captured.

public func parseIPv4(_ bytes: UnsafeRawBufferPointer) -> IPv4Packet {
    guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return .invalid }
    let headerLength = Int(bytes[0] & 0x0F) * 4
    guard headerLength >= 20, bytes.count >= headerLength else { return .invalid }
    let totalLength = Int(bytes.loadBigEndianUInt16(at: 2))
    guard totalLength >= headerLength else { return .invalid }
    let flagsAndOffset = bytes.loadBigEndianUInt16(at: 6)
    let header = IPv4Header(
        source: IPv4Address(bytes.loadBigEndianUInt32(at: 12)),
        destination: IPv4Address(bytes.loadBigEndianUInt32(at: 16)),
        protocolNumber: bytes[9],
        identification: bytes.loadBigEndianUInt16(at: 4),
        moreFragments: flagsAndOffset & 0x2000 != 0,
        fragmentOffset: Int(flagsAndOffset & 0x1FFF) * 8,
        headerLength: headerLength,
        totalLength: totalLength)
    let end = min(totalLength, bytes.count)
    return .packet(header, payload: UnsafeRawBufferPointer(rebasing: bytes[headerLength..<end]), cut: bytes.count < totalLength)
}
