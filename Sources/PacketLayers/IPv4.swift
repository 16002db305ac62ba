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

    @inlinable
    init(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, identification: UInt16, moreFragments: Bool,
         fragmentOffset: Int, headerLength: Int, totalLength: Int) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.identification = identification
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.headerLength = headerLength
        self.totalLength = totalLength
    }
}

public enum IPv4Packet {
    /// `payload` is what was captured of the IP payload; `cut` says the capture's
    /// snap length ended it before the header's total length.
    case packet(IPv4Header, payload: UnsafeRawBufferPointer, cut: Bool)
    /// Not IPv4, a header cut short, or lengths that contradict each other.
    case invalid
}

/// Reads an IPv4 header and bounds its payload by the total length (dropping
/// Ethernet padding) and by what was captured. The fixed 20 bytes are checked once
/// and read together; options are skipped by the header length.
@inlinable @inline(__always)
public func parseIPv4(_ bytes: UnsafeRawBufferPointer) -> IPv4Packet {
    var reader = ByteReader(bytes)
    guard let (versionAndLength, _, totalLength, identification, flagsAndOffset, _, protocolNumber, _, source, destination)
            = reader.readMultipleIntegers(as: (UInt8, UInt8, UInt16, UInt16, UInt16, UInt8, UInt8, UInt16, UInt32, UInt32).self),
          versionAndLength >> 4 == 4 else { return .invalid }
    let headerLength = Int(versionAndLength & 0x0F) * 4
    let total = Int(totalLength)
    guard headerLength >= 20, reader.moveReaderIndex(to: headerLength), total >= headerLength,
          let payload = reader.readBytes(min(total, bytes.count) - headerLength) else { return .invalid }
    let header = IPv4Header(
        source: IPv4Address(source),
        destination: IPv4Address(destination),
        protocolNumber: protocolNumber,
        identification: identification,
        moreFragments: flagsAndOffset & 0x2000 != 0,
        fragmentOffset: Int(flagsAndOffset & 0x1FFF) * 8,
        headerLength: headerLength,
        totalLength: total)
    return .packet(header, payload: payload, cut: bytes.count < total)
}
