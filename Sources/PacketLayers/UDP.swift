import CChecksum
import WireBytes

/// A UDP header (RFC 768), read in place.
public struct UDPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The length field: header plus payload.
    public var length: Int
    public var checksum: UInt16

    @inlinable
    init(sourcePort: UInt16, destinationPort: UInt16, length: Int, checksum: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
    }
}

public enum UDPDatagram {
    /// `payload` is what was captured; `cut` says it ends before the length field's end.
    case datagram(UDPHeader, payload: UnsafeRawBufferPointer, cut: Bool)
    /// Only the ports could be read: the rest of the header was not captured.
    case portsOnly(sourcePort: UInt16, destinationPort: UInt16)
    case invalid
}

/// Reads a UDP header from an IP payload, its 8 bytes checked once. `ipCut` says
/// the IP layer was already cut by the snap length.
@inlinable @inline(__always)
public func parseUDP(_ bytes: UnsafeRawBufferPointer, ipCut: Bool) -> UDPDatagram {
    var reader = ByteReader(bytes)
    guard let (sourcePort, destinationPort, length, checksum) = reader.readMultipleIntegers(as: (UInt16, UInt16, UInt16, UInt16).self) else {
        if ipCut, let (sourcePort, destinationPort) = reader.readMultipleIntegers(as: (UInt16, UInt16).self) {
            return .portsOnly(sourcePort: sourcePort, destinationPort: destinationPort)
        }
        return .invalid
    }
    let header = UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort, length: Int(length), checksum: checksum)
    guard header.length >= 8 else { return .invalid }
    guard let payload = reader.readBytes(header.length - 8) else {
        // The datagram claims more than the IP packet holds: cut by the capture, or broken.
        guard ipCut else { return .invalid }
        return .datagram(header, payload: reader.readableBytesView, cut: true)
    }
    return .datagram(header, payload: payload, cut: false)
}

/// What a UDP checksum says about a datagram.
public enum ChecksumVerdict: Sendable, Equatable {
    case valid
    /// Zero: the sender computed none (legal over IPv4).
    case absent
    /// The field holds only the folded pseudo-header sum: the sending host left the
    /// checksum for its NIC to finish (seen on the sender or on a veth). Not an error.
    case offloaded
    case bad(expected: UInt16)
}

/// Verifies the checksum of a whole UDP datagram (header and payload, as captured in full).
@inlinable @inline(__always)
public func verifyUDPChecksum(source: IPv4Address, destination: IPv4Address, udp: UnsafeRawBufferPointer, field: UInt16) -> ChecksumVerdict {
    if field == 0 { return .absent }
    var pseudo: UInt32 = 0
    pseudo &+= source.value >> 16
    pseudo &+= source.value & 0xFFFF
    pseudo &+= destination.value >> 16
    pseudo &+= destination.value & 0xFFFF
    pseudo &+= 17
    pseudo &+= UInt32(udp.count)
    var sum = pseudo &+ onesComplementSum(udp)
    sum = fold(sum)
    if sum == 0xFFFF { return .valid }
    if field == UInt16(fold(pseudo)) { return .offloaded }
    // What the field should have held: the complement of the sum with the field as zero.
    var without = pseudo &+ onesComplementSum(udp) &+ UInt32(~field)
    without = fold(without)
    var expected = ~UInt16(without)
    if expected == 0 { expected = 0xFFFF }
    return .bad(expected: expected)
}

@inlinable
func fold(_ value: UInt32) -> UInt32 {
    var v = value
    while v > 0xFFFF { v = (v & 0xFFFF) &+ (v >> 16) }
    return v
}

/// The 16-bit ones' complement sum of `bytes` (RFC 1071), folded to 16 bits, in
/// network byte order. Summed in C (`CChecksum`): one add-with-carry an 8-byte word,
/// where the same loop in Swift took an add and an add-with-carry.
@inline(__always)
public func onesComplementSum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    peersniff_ones_complement_sum(bytes.baseAddress, bytes.count)
}
