import Capture
import PacketLayers

/// The BPF expression peersniff hands libpcap: UDP to or from the discovery port,
/// plus every IPv4 fragment that is not the first (later fragments carry no UDP
/// header, so their port cannot be seen), repeated under one and two VLAN tags on
/// Ethernet. The user's `-f` expression is ANDed with it.
public func discoveryFilter(port: UInt16, link: LinkType? = .ethernet, extra: String? = nil) -> String {
    let inner = "udp port \(port) or (ip[6:2] & 0x3fff != 0)"
    var expression = "(\(inner))"
    if link == .ethernet {
        expression = "(\(inner)) or (vlan and ((\(inner)) or (vlan and (\(inner)))))"
    }
    // The user's expression comes first: libpcap's `vlan` keyword shifts the offsets
    // of everything compiled after it. (On VLAN-tagged traffic it is therefore read
    // at untagged offsets; peersniff's own part still finds the tagged frames.)
    if let extra, !extra.isEmpty {
        expression = "(\(extra)) and (\(expression))"
    }
    return expression
}

/// peersniff's filter on a file's packets: the compiled BPF program, with a fast path
/// for the common case that gives the program's own answer without running it. On
/// Ethernet with no `-f`, an IPv4 packet (EtherType 0x0800) is judged here by the very
/// steps of the compiled program (`tcpdump -d` of `discoveryFilter`: the protocol byte,
/// the fragment bits, the ports at the header length's offset, each load rejecting the
/// packet when it lies beyond the captured bytes, as BPF's do); every other packet
/// (IPv6, VLAN tags, other link types, any `-f`) runs the program. Held to the program
/// by a differential test on every capture and on mutated packets.
public struct PacketFilter {
    public let program: BPFProgram
    /// The port, when the fast path applies.
    let fastPort: UInt16?

    public init(program: BPFProgram, port: UInt16, link: LinkType, extra: String?) {
        self.program = program
        fastPort = link == .ethernet && (extra ?? "").isEmpty ? port : nil
    }

    @inline(__always)
    public func matches(_ packet: CapturedPacket) -> Bool {
        if let port = fastPort, let verdict = ipv4Verdict(packet.bytes, port: port) { return verdict }
        return program.matches(packet)
    }

    /// The program's answer for an Ethernet packet carrying IPv4; nil for any other
    /// (public for the differential test).
    @inline(__always)
    public func ipv4Verdict(_ bytes: UnsafeRawBufferPointer, port: UInt16) -> Bool? {
        let n = bytes.count
        // (000) ldh [12]: out of bounds rejects.
        guard n >= 14 else { return false }
        guard bytes.loadBigEndianUInt16(at: 12) == 0x0800 else { return nil }
        // (009) ldb [23]
        guard n >= 24 else { return false }
        if bytes[23] == 17, bytes.loadBigEndianUInt16(at: 20) & 0x1FFF == 0 {
            // (013) ldxb 4*([14]&0xf); (014) ldh [x + 14]; (016) ldh [x + 16]
            let x = 4 * Int(bytes[14] & 0x0F)
            guard n >= x + 16 else { return false }
            if bytes.loadBigEndianUInt16(at: x + 14) == port { return true }
            guard n >= x + 18 else { return false }
            if bytes.loadBigEndianUInt16(at: x + 16) == port { return true }
        }
        // (018) ldh [20]; (019) jset #0x3fff
        return bytes.loadBigEndianUInt16(at: 20) & 0x3FFF != 0
    }
}
