/// Header layouts and Internet checksums, written straight into the output buffer.

typealias MAC = UInt64  // the low 48 bits

enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let arp: UInt16 = 0x0806
    static let vlan: UInt16 = 0x8100
    static let ipv6: UInt16 = 0x86DD
}

enum IPProtocol {
    static let icmpv6: UInt8 = 58
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
}

/// An Ethernet frame is at least 60 bytes before its FCS: a short packet seen on a
/// wire (or a mirror port) carries zero padding after the IP datagram.
let minimumFrame = 60
let broadcastMAC: MAC = 0xFFFF_FFFF_FFFF

extension UnsafeMutableRawPointer {
    @inline(__always) func put8(_ value: UInt8, at offset: Int) {
        storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }
    @inline(__always) func put16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inline(__always) func put32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inline(__always) func put64(_ value: UInt64, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
    @inline(__always) func putMAC(_ mac: MAC, at offset: Int) {
        put16(UInt16(truncatingIfNeeded: mac >> 32), at: offset)
        put32(UInt32(truncatingIfNeeded: mac), at: offset + 2)
    }
    @inline(__always) func zero(_ offset: Int, _ count: Int) {
        (self + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }

    /// Ethernet header (with an 802.1Q tag when `vlan` is set); returns its length.
    @inline(__always) func putEthernet(dst: MAC, src: MAC, type: UInt16, vlan: UInt16?) -> Int {
        putMAC(dst, at: 0)
        putMAC(src, at: 6)
        if let vlan {
            put16(EtherType.vlan, at: 12)
            put16(vlan & 0x0FFF, at: 14)
            put16(type, at: 16)
            return 18
        }
        put16(type, at: 12)
        return 14
    }

    /// A 20-byte IPv4 header with its checksum.
    @inline(__always) func putIPv4(at o: Int, totalLength: Int, id: UInt16, flagsAndOffset: UInt16,
                                   ttl: UInt8, proto: UInt8, src: UInt32, dst: UInt32) {
        put8(0x45, at: o)
        put8(0, at: o + 1)
        put16(UInt16(totalLength), at: o + 2)
        put16(id, at: o + 4)
        put16(flagsAndOffset, at: o + 6)
        put8(ttl, at: o + 8)
        put8(proto, at: o + 9)
        put16(0, at: o + 10)
        put32(src, at: o + 12)
        put32(dst, at: o + 16)
        put16(finishChecksum(onesSum(UnsafeRawPointer(self + o), 20)), at: o + 10)
    }

    /// A 40-byte IPv6 header.
    @inline(__always) func putIPv6(at o: Int, payloadLength: Int, next: UInt8, hopLimit: UInt8,
                                   src: IPv6, dst: IPv6) {
        put32(0x6000_0000, at: o)
        put16(UInt16(payloadLength), at: o + 4)
        put8(next, at: o + 6)
        put8(hopLimit, at: o + 7)
        put64(src.high, at: o + 8)
        put64(src.low, at: o + 16)
        put64(dst.high, at: o + 24)
        put64(dst.low, at: o + 32)
    }
}

struct IPv6: Hashable {
    var high: UInt64
    var low: UInt64
    /// The pseudo-header words of this address, summed.
    var sum: UInt64 {
        (high >> 48) + (high >> 32 & 0xFFFF) + (high >> 16 & 0xFFFF) + (high & 0xFFFF)
            + (low >> 48) + (low >> 32 & 0xFFFF) + (low >> 16 & 0xFFFF) + (low & 0xFFFF)
    }
}

/// The ones' complement sum (RFC 1071) of `count` bytes, folded to 16 bits and given
/// as a big-endian number, so that it adds to pseudo-header words. The bytes are
/// summed four at a time in host order, which RFC 1071 §2(B) allows.
@inline(__always)
func onesSum(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
    var sum: UInt64 = 0
    var i = 0
    while i + 16 <= count {
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self))
        i += 16
    }
    while i + 4 <= count {
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        i += 4
    }
    if i + 2 <= count {
        sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
        i += 2
    }
    if i < count {
        // The odd last byte is the high half of a word padded with zero.
        sum &+= UInt64(UInt16(bigEndian: UInt16(p.load(fromByteOffset: i, as: UInt8.self)) << 8))
    }
    return UInt64(UInt16(bigEndian: fold(sum)))
}

func onesSum(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { onesSum($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
}

@inline(__always)
func fold(_ value: UInt64) -> UInt16 {
    var sum = value
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return UInt16(sum)
}

/// The checksum field for a big-endian sum.
@inline(__always)
func finishChecksum(_ sum: UInt64) -> UInt16 { ~fold(sum) }

/// UDP's checksum field: zero means "none", so a computed zero is sent as 0xFFFF.
@inline(__always)
func finishUDPChecksum(_ sum: UInt64) -> UInt16 {
    let c = ~fold(sum)
    return c == 0 ? 0xFFFF : c
}

@inline(__always)
func pseudoSumV4(src: UInt32, dst: UInt32, proto: UInt8, length: Int) -> UInt64 {
    UInt64(src >> 16) + UInt64(src & 0xFFFF) + UInt64(dst >> 16) + UInt64(dst & 0xFFFF)
        + UInt64(proto) + UInt64(length)
}

@inline(__always)
func pseudoSumV6(src: IPv6, dst: IPv6, next: UInt8, length: Int) -> UInt64 {
    src.sum + dst.sum + UInt64(length) + UInt64(next)
}

/// Microseconds since the epoch of 2026-11-25T12:00:00Z, where every capture starts.
let captureStart: UInt64 = 1_795_608_000 * 1_000_000
