import Foundation

/// Writes capture files byte by byte in the test itself, so that each format
/// variant (byte order, precision, pcapng, link type) is made on purpose and
/// independently of peersniff's own libpcap path.
public struct TestPacket: Sendable {
    public var seconds: UInt32
    public var fraction: UInt32   // microseconds, or nanoseconds for a nano file
    public var bytes: [UInt8]
    public var originalLength: Int? = nil

    public init(seconds: UInt32, fraction: UInt32, bytes: [UInt8], originalLength: Int? = nil) {
        self.seconds = seconds; self.fraction = fraction; self.bytes = bytes; self.originalLength = originalLength
    }
}

public enum PcapFormat: Sendable {
    case pcap(bigEndian: Bool, nanoseconds: Bool)
    case pcapng(bigEndian: Bool, nanoseconds: Bool)
}

public func makeCapture(_ packets: [TestPacket], linkType: UInt32 = 1, format: PcapFormat = .pcap(bigEndian: false, nanoseconds: false),
                 snapLength: UInt32 = 262144) -> Data {
    var out = Data()
    func u16(_ v: UInt16, _ big: Bool) { var x = big ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
    func u32(_ v: UInt32, _ big: Bool) { var x = big ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
    switch format {
    case let .pcap(big, nano):
        u32(nano ? 0xA1B2_3C4D : 0xA1B2_C3D4, big)
        u16(2, big); u16(4, big)
        u32(0, big); u32(0, big)
        u32(snapLength, big); u32(linkType, big)
        for p in packets {
            u32(p.seconds, big); u32(p.fraction, big)
            u32(UInt32(p.bytes.count), big); u32(UInt32(p.originalLength ?? p.bytes.count), big)
            out.append(contentsOf: p.bytes)
        }
    case let .pcapng(big, nano):
        // Section Header Block
        u32(0x0A0D_0D0A, big); u32(28, big); u32(0x1A2B_3C4D, big); u16(1, big); u16(0, big)
        u32(0xFFFF_FFFF, big); u32(0xFFFF_FFFF, big); u32(28, big)
        // Interface Description Block, with if_tsresol when nanoseconds.
        let idbLength: UInt32 = nano ? 20 + 8 + 4 : 20
        u32(1, big); u32(idbLength, big); u16(UInt16(linkType), big); u16(0, big); u32(snapLength, big)
        if nano { u16(9, big); u16(1, big); out.append(contentsOf: [9, 0, 0, 0]); u16(0, big); u16(0, big) }
        u32(idbLength, big)
        for p in packets {
            let padded = (p.bytes.count + 3) / 4 * 4
            let length = UInt32(32 + padded)
            let units: UInt64 = UInt64(p.seconds) * (nano ? 1_000_000_000 : 1_000_000) + UInt64(p.fraction)
            u32(6, big); u32(length, big); u32(0, big)
            u32(UInt32(units >> 32), big); u32(UInt32(units & 0xFFFF_FFFF), big)
            u32(UInt32(p.bytes.count), big); u32(UInt32(p.originalLength ?? p.bytes.count), big)
            out.append(contentsOf: p.bytes)
            out.append(contentsOf: [UInt8](repeating: 0, count: padded - p.bytes.count))
            u32(length, big)
        }
    }
    return out
}

/// Builds packets layer by layer: UDP over IPv4 (optionally with options or as
/// fragments), framed for a link type. Checksums are computed as RFC 768/791 say.
public enum PacketBuilder {
    public static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
        var sum = initial
        var i = 0
        while i + 1 < bytes.count { sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum &+= UInt32(bytes[i]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    public static func ip(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// A UDP datagram (header + payload) with a correct checksum, or `checksum` as given.
    public static func udp(src: String, dst: String, sport: UInt16, dport: UInt16, payload: [UInt8], checksum fixed: UInt16? = nil) -> [UInt8] {
        let length = UInt16(8 + payload.count)
        var datagram: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                                 UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
        let value: UInt16
        if let fixed {
            value = fixed
        } else {
            let pseudo = ip(src) + ip(dst) + [0, 17, UInt8(length >> 8), UInt8(length & 0xFF)]
            var c = checksum(pseudo + datagram)
            if c == 0 { c = 0xFFFF }
            value = c
        }
        datagram[6] = UInt8(value >> 8); datagram[7] = UInt8(value & 0xFF)
        return datagram
    }

    /// An IPv4 packet around `payload` (protocol UDP unless told).
    public static func ipv4(src: String, dst: String, payload: [UInt8], id: UInt16 = 0x1234, moreFragments: Bool = false,
                     fragmentOffset: Int = 0, options: [UInt8] = [], protocolNumber: UInt8 = 17) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        let total = headerLength + payload.count
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8)
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xFF),
                               UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF),
                               64, protocolNumber, 0, 0] + ip(src) + ip(dst) + options
        let c = checksum(header)
        header[10] = UInt8(c >> 8); header[11] = UInt8(c & 0xFF)
        return header + payload
    }

    /// Ethernet II, with VLAN tags (outer first: 0x88A8 for QinQ's outer tag).
    public static func ethernet(_ payload: [UInt8], etherType: UInt16 = 0x0800, vlanTags: [(tpid: UInt16, id: UInt16)] = []) -> [UInt8] {
        var frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x37, 0, 0, 0, 0x14]
        for tag in vlanTags {
            frame += [UInt8(tag.tpid >> 8), UInt8(tag.tpid & 0xFF), UInt8(tag.id >> 8), UInt8(tag.id & 0xFF)]
        }
        frame += [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
        return frame + payload
    }

    /// A discovery datagram over IPv4 over Ethernet, in one call.
    public static func discovery(_ payload: [UInt8], src: String = "10.37.0.20", dst: String = "255.255.255.255",
                          sport: UInt16 = 45123, dport: UInt16 = 37020) -> [UInt8] {
        ethernet(ipv4(src: src, dst: dst, payload: udp(src: src, dst: dst, sport: sport, dport: dport, payload: payload)))
    }
}
