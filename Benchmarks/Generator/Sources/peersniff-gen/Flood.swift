import DiscoveryCodec
import WireBytes

/// Spoofed discovery traffic for the hostile benchmarks: what anyone on the LAN can
/// send, each datagram from an address never seen before.
///
/// - `hello-flood`: HELLO from 10.128.0.1, 10.128.0.2, ... (one new address a packet);
/// - `full-flood`: FULLs of 255 entries each, every entry a new address (the sender
///   first, then the rest ascending, as the firmware orders them); 1277 bytes, so
///   each is also over the boards' 1024-byte receive buffer.
struct FloodTraffic {
    enum Kind { case hello, full }
    let kind: Kind
    private var next: UInt32 = 0x0A80_0001
    private var id: UInt16 = 0
    private let hello = Payload(Frame.hello(name: Name("spoofed")).encoded())

    init(kind: Kind) { self.kind = kind }

    mutating func datagram() -> Datagram {
        id &+= 1
        let payload: Payload
        let sender = next
        switch kind {
        case .hello:
            payload = hello
            next &+= 1
        case .full:
            let peers = (0..<255).map { Peer(ip: IPv4Address(next &+ UInt32($0)), name: Name(bytes: [])) }
            payload = Payload(Frame.full(peers: peers).encoded())
            next &+= 255
        }
        return Datagram(srcMAC: 0x0200_0000_0000 | MAC(sender & 0xFFFF_FFFF), dstMAC: broadcastMAC, src: sender,
                        dst: IPv4Address.broadcast.value, sport: 40000, dport: 37020, ipID: id, payload: payload,
                        kind: kind == .hello ? .hello : .full)
    }
}
