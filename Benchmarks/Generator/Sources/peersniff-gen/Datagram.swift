import DiscoveryCodec

/// A UDP payload with its ones' complement sum, computed once: a FULL is sent many
/// times between two changes of the registry's list.
struct Payload {
    let bytes: [UInt8]
    let sum: UInt64
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        sum = onesSum(bytes)
    }
}

/// What a discovery datagram is, for the statistics.
enum DatagramKind: Int, CaseIterable {
    case hello, full, ping, pong, offline, legacy
    // Malformed on purpose (--malformed-percent), named by the reason peersniff should give.
    case empty, unknownType, truncatedHeader, truncatedName, truncatedPeer, trailingBytes, badJSON
    case badUDPChecksum, incompleteFragments

    /// The names peersniff reports: the codec's frame type and malformation names.
    var name: String {
        switch self {
        case .hello: FrameType.hello.name
        case .full: FrameType.full.name
        case .ping: FrameType.ping.name
        case .pong: FrameType.pong.name
        case .offline: FrameType.offline.name
        case .legacy: FrameType.legacy.name
        case .empty: MalformationReason.empty.description
        case .unknownType: MalformationReason.unknownType.description
        case .truncatedHeader: MalformationReason.truncatedHeader.description
        case .truncatedName: MalformationReason.truncatedName.description
        case .truncatedPeer: MalformationReason.truncatedPeer.description
        case .trailingBytes: MalformationReason.trailingBytes.description
        case .badJSON: MalformationReason.badJSON.description
        case .badUDPChecksum: MalformationReason.badUDPChecksum.description
        case .incompleteFragments: MalformationReason.incompleteFragments.description
        }
    }

    var isMalformed: Bool { rawValue >= DatagramKind.empty.rawValue }
}

/// One UDP/IPv4 datagram on the discovery port, before it is cut into packets.
struct Datagram {
    var srcMAC: MAC
    var dstMAC: MAC
    var src: UInt32
    var dst: UInt32
    var sport: UInt16
    var dport: UInt16
    var ipID: UInt16
    var payload: Payload
    var kind: DatagramKind
    /// XORed into the correct UDP checksum (bad-udp-checksum); 0 leaves it right.
    var checksumError: UInt16 = 0
    /// The last IP fragment is never sent (incomplete-fragments).
    var dropLastFragment = false
}

/// Ethernet, IPv4 and UDP as a 1500-byte-MTU Linux host sends them: DF set on a
/// datagram that fits, otherwise IP fragments carrying 1480 bytes each (a multiple
/// of 8), MF on all but the last, the UDP checksum over the whole datagram.
struct DatagramEmitter {
    static let mtu = 1500
    static let fragmentPayload = 1480
    static let ttl: UInt8 = 64

    private var current: Datagram? = nil
    private var checksum: UInt16 = 0
    private var udpLength = 0
    private var fragments = 0
    private var nextFragment = 0

    /// True while a fragmented datagram has packets left to send.
    var inProgress: Bool { current != nil }

    /// How many packets `datagram` becomes.
    static func packetCount(_ datagram: Datagram) -> Int {
        let udpLength = 8 + datagram.payload.bytes.count
        if 20 + udpLength <= mtu { return 1 }
        let n = (udpLength + fragmentPayload - 1) / fragmentPayload
        return datagram.dropLastFragment ? n - 1 : n
    }

    mutating func start(_ datagram: Datagram) {
        udpLength = 8 + datagram.payload.bytes.count
        var sum = pseudoSumV4(src: datagram.src, dst: datagram.dst, proto: IPProtocol.udp, length: udpLength)
        sum += UInt64(datagram.sport) + UInt64(datagram.dport) + UInt64(udpLength)
        sum += datagram.payload.sum
        checksum = finishUDPChecksum(sum)
        if datagram.checksumError != 0 {
            // A wrong value that is neither 0 ("no checksum") nor the folded pseudo-header
            // sum an offloading NIC leaves (which peersniff counts as offloaded).
            let pseudo = fold(pseudoSumV4(src: datagram.src, dst: datagram.dst, proto: IPProtocol.udp, length: udpLength))
            var wrong = checksum ^ datagram.checksumError
            while wrong == 0 || wrong == checksum || wrong == pseudo || wrong == ~pseudo { wrong &+= 0x1111 }
            checksum = wrong
        }
        fragments = 20 + udpLength <= Self.mtu ? 1 : (udpLength + Self.fragmentPayload - 1) / Self.fragmentPayload
        if datagram.dropLastFragment && fragments > 1 { fragments -= 1 }
        nextFragment = 0
        current = datagram
    }

    /// Writes the next packet of the current datagram.
    mutating func writeNext(to writer: PcapWriter, micros: UInt64) throws(GeneratorError) {
        guard let d = current else { return }
        let whole = 20 + udpLength <= Self.mtu
        let first = nextFragment * Self.fragmentPayload  // offset inside the UDP datagram
        let chunk = whole ? udpLength : min(Self.fragmentPayload, udpLength - first)
        let more = !whole && first + chunk < udpLength
        let ipLength = 20 + chunk
        let length = max(14 + ipLength, minimumFrame)
        let p = try writer.reserve(micros: micros, length: length)
        let e = p.putEthernet(dst: d.dstMAC, src: d.srcMAC, type: EtherType.ipv4, vlan: nil)
        let flags: UInt16 = whole ? 0x4000 : (more ? 0x2000 : 0) | UInt16(first / 8)
        p.putIPv4(at: e, totalLength: ipLength, id: d.ipID, flagsAndOffset: flags, ttl: Self.ttl,
                  proto: IPProtocol.udp, src: d.src, dst: d.dst)
        var o = e + 20
        var payloadStart = first - 8
        var payloadCount = chunk
        if first == 0 {
            p.put16(d.sport, at: o)
            p.put16(d.dport, at: o + 2)
            p.put16(UInt16(udpLength), at: o + 4)
            p.put16(checksum, at: o + 6)
            o += 8
            payloadStart = 0
            payloadCount = chunk - 8
        }
        if payloadCount > 0 {
            d.payload.bytes.withUnsafeBytes { b in
                (p + o).copyMemory(from: b.baseAddress! + payloadStart, byteCount: payloadCount)
            }
        }
        if 14 + ipLength < length { p.zero(14 + ipLength, length - 14 - ipLength) }
        nextFragment += 1
        if nextFragment == fragments { current = nil }
    }
}
