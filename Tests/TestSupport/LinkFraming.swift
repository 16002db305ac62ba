import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The link-layer framings a test can wrap an IP packet in, each with the
/// LINKTYPE_ value a capture file stores for it (libpcap maps 101 to DLT_RAW).
/// The bytes follow each format's own description (tcpdump.org/linktypes), not
/// peersniff's reader.
public enum LinkFraming: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ethernet
    /// One 802.1Q tag (TPID 0x8100).
    case dot1Q
    /// 802.1ad QinQ: outer tag 0x88A8, inner tag 0x8100.
    case qinq
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes, protocol last.
    case linuxSLL
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20 bytes, protocol first.
    case linuxSLL2
    /// LINKTYPE_RAW (101): the packet starts with the IP header.
    case raw
    /// LINKTYPE_IPV4 (228): raw IPv4.
    case rawIPv4
    /// LINKTYPE_NULL (0) in a little-endian file: AF_INET as a little-endian word.
    case nullLittleEndian
    /// LINKTYPE_NULL (0) in a big-endian file (written on a big-endian host): AF_INET big-endian.
    case nullBigEndian
    /// LINKTYPE_LOOP (108): the address family always in network byte order.
    case loop

    public var testDescription: String { rawValue }

    /// The link type written in the capture file's header.
    public var linkType: UInt32 {
        switch self {
        case .ethernet, .dot1Q, .qinq: 1
        case .linuxSLL: 113
        case .linuxSLL2: 276
        case .raw: 101
        case .rawIPv4: 228
        case .nullLittleEndian, .nullBigEndian: 0
        case .loop: 108
        }
    }

    /// DLT_NULL's family is in the writing host's byte order, so the file's byte order goes with it.
    public var fileIsBigEndian: Bool { self == .nullBigEndian }

    /// `ip` framed for this link type (IPv4 unless `ipv6`).
    public func frame(_ ip: [UInt8], ipv6: Bool = false) -> [UInt8] {
        let etherType: UInt16 = ipv6 ? 0x86DD : 0x0800
        let etherTypeBytes = [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
        // AF_INET is 2 everywhere; AF_INET6 is 30 on macOS, 24 on NetBSD/OpenBSD (LOOP's home),
        // the values libpcap's filters look for (Linux's 10 never appears in DLT_NULL).
        switch self {
        case .ethernet:
            return PacketBuilder.ethernet(ip, etherType: etherType)
        case .dot1Q:
            return PacketBuilder.ethernet(ip, etherType: etherType, vlanTags: [(0x8100, 37)])
        case .qinq:
            return PacketBuilder.ethernet(ip, etherType: etherType, vlanTags: [(0x88A8, 100), (0x8100, 37)])
        case .linuxSLL:
            // packet type 1 (broadcast), ARPHRD_ETHER 1, address length 6, address padded to 8, protocol.
            return [0, 1, 0, 1, 0, 6, 0x0A, 0x37, 0, 0, 0, 0x14, 0, 0] + etherTypeBytes + ip
        case .linuxSLL2:
            // protocol, reserved, interface index 3, ARPHRD_ETHER, packet type 1, address length 6, address padded to 8.
            return etherTypeBytes + [0, 0, 0, 0, 0, 3, 0, 1, 1, 6, 0x0A, 0x37, 0, 0, 0, 0x14, 0, 0] + ip
        case .raw, .rawIPv4:
            return ip
        case .nullLittleEndian:
            return (ipv6 ? [30, 0, 0, 0] : [2, 0, 0, 0]) + ip
        case .nullBigEndian:
            return (ipv6 ? [0, 0, 0, 24] : [0, 0, 0, 2]) + ip
        case .loop:
            return (ipv6 ? [0, 0, 0, 24] : [0, 0, 0, 2]) + ip
        }
    }
}

/// The capture times the tests use: 2026-11-25T12:00:00Z and on.
public enum CaptureClock {
    public static let base: UInt32 = 1_795_608_000
    public static let baseText = "2026-11-25T12:00:00"
}

/// Discovery payloads, byte by byte as PROTOCOL.md lays them out (not through the codec).
public enum DiscoveryPayload {
    public static func hello(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        return [0x01, UInt8(bytes.count)] + bytes
    }

    public static func full(_ peers: [(ip: String, name: String)]) -> [UInt8] {
        var out: [UInt8] = [0x02, UInt8(peers.count)]
        for peer in peers {
            let bytes = Array(peer.name.utf8)
            out += PacketBuilder.ip(peer.ip) + [UInt8(bytes.count)] + bytes
        }
        return out
    }

    public static let ping: [UInt8] = [0x03]
    public static let pong: [UInt8] = [0x04]
    public static func offline(_ ip: String) -> [UInt8] { [0x05] + PacketBuilder.ip(ip) }

    /// A FULL as the firmware builds it: the sender first, then `count - 1` peers
    /// sorted by IP, each name `nameLength` ASCII bytes.
    public static func sortedFull(sender: String = "10.37.0.20", count: Int, nameLength: Int = 32) -> (payload: [UInt8], peers: [(ip: String, name: String)]) {
        func name(_ i: Int) -> String {
            let head = "Board \(i) "
            return head + String(repeating: "-", count: max(0, nameLength - head.count))
        }
        var peers: [(ip: String, name: String)] = [(sender, name(0))]
        for i in 1..<max(1, count) { peers.append(("10.37.1.\(i)", name(i))) }
        return (full(peers), peers)
    }
}

extension PacketBuilder {
    /// An IPv6 address's sixteen bytes from its text form.
    public static func ip6(_ text: String) -> [UInt8] {
        var address = in6_addr()
        precondition(inet_pton(AF_INET6, text, &address) == 1, "bad IPv6 address \(text)")
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// UDP over IPv6 (no extension headers), with a correct checksum (RFC 8200 §8.1).
    public static func ipv6UDP(src: String, dst: String, sport: UInt16, dport: UInt16, payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        var udp: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                            UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
        let pseudo = ip6(src) + ip6(dst) + [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 17]
        var c = checksum(pseudo + udp)
        if c == 0 { c = 0xFFFF }
        udp[6] = UInt8(c >> 8); udp[7] = UInt8(c & 0xFF)
        let header: [UInt8] = [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 17, 64] + ip6(src) + ip6(dst)
        return header + udp
    }

    /// A whole UDP datagram (header and payload) cut into IPv4 fragments whose
    /// payloads are `sizes` bytes (multiples of 8 but the last; the remainder goes
    /// into one more fragment). Returned in datagram order.
    public static func fragments(src: String, dst: String, udp datagram: [UInt8], id: UInt16, sizes: [Int]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var offset = 0
        var plan = sizes
        if plan.reduce(0, +) < datagram.count { plan.append(datagram.count - plan.reduce(0, +)) }
        for (index, size) in plan.enumerated() {
            let end = min(datagram.count, offset + size)
            let last = index == plan.count - 1 || end == datagram.count
            precondition(last || size % 8 == 0, "only the last fragment may have a length that is not a multiple of 8")
            pieces.append(ipv4(src: src, dst: dst, payload: Array(datagram[offset..<end]), id: id,
                               moreFragments: !last, fragmentOffset: offset))
            offset = end
            if last { break }
        }
        return pieces
    }

    /// The folded ones' complement sum of the UDP pseudo-header, not complemented:
    /// what Linux leaves in the checksum field for the NIC to finish (CHECKSUM_PARTIAL).
    public static func offloadedChecksum(src: String, dst: String, udpLength: Int) -> UInt16 {
        let pseudo = ip(src) + ip(dst) + [0, 17, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF)]
        return ~checksum(pseudo)
    }
}

extension TestPacket {
    /// A packet at `CaptureClock.base + seconds`, `fraction` in the file's unit.
    public static func at(_ seconds: UInt32, _ fraction: UInt32 = 0, _ bytes: [UInt8], originalLength: Int? = nil) -> TestPacket {
        TestPacket(seconds: CaptureClock.base + seconds, fraction: fraction, bytes: bytes, originalLength: originalLength)
    }
}

/// A capture written into a fresh temporary folder; returns its path.
public func writeTestCapture(_ data: Data, name: String = "capture.pcap", in folder: URL = Paths.temporaryFolder()) throws -> String {
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}

/// A packet that peersniff's filter must leave out: DNS over UDP on Ethernet.
public func dnsPacket(framing: LinkFraming = .ethernet) -> [UInt8] {
    framing.frame(PacketBuilder.ipv4(src: "10.37.0.1", dst: "10.37.0.2",
                                     payload: PacketBuilder.udp(src: "10.37.0.1", dst: "10.37.0.2", sport: 5353, dport: 53,
                                                                payload: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])))
}
