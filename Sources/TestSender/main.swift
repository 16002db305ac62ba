// A test helper, not part of the peersniff product: sends discovery frames built
// with the shared codec from inside a test network namespace, so that live
// capture can be tested for real. peersniff itself never transmits.
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

struct Arguments {
    var broadcast = "255.255.255.255"
    var unicast = "10.99.0.2"
    var port: UInt16 = 37020
    var sourcePort: UInt16 = 0
    var scenario = "all"
    var count = 1000
    var rate = 1000.0
    var gap = 0.05
    /// Source address to send from (one of the namespace's own); the default is the route's.
    var bind: String? = nil
    /// The name the `hello` scenario announces.
    var name = "Test Board"
    /// The `full` scenario's entries: `ip=name,ip=name` (the sender first, as boards send them).
    var peers = ""
    /// The node the `offline` scenario declares offline.
    var about = "10.99.0.9"
    /// The `replay` scenario: a pcap file of Ethernet frames, the interface to put its
    /// discovery packets on, the part of it to replay (seconds after its first
    /// discovery packet) and how much faster than recorded.
    var pcap = ""
    var interface = ""
    var from = 0.0
    var until = Double.infinity
    var speed = 1.0
}

func parse() -> Arguments {
    var a = Arguments()
    var it = CommandLine.arguments.dropFirst().makeIterator()
    while let flag = it.next() {
        guard let value = it.next() else { break }
        switch flag {
        case "--broadcast": a.broadcast = value
        case "--unicast": a.unicast = value
        case "--port": a.port = UInt16(value) ?? a.port
        case "--source-port": a.sourcePort = UInt16(value) ?? 0
        case "--scenario": a.scenario = value
        case "--count": a.count = Int(value) ?? a.count
        case "--rate": a.rate = Double(value) ?? a.rate
        case "--gap": a.gap = Double(value) ?? a.gap
        case "--bind": a.bind = value
        case "--name": a.name = value
        case "--peers": a.peers = value
        case "--about": a.about = value
        case "--pcap": a.pcap = value
        case "--interface": a.interface = value
        case "--from": a.from = Double(value) ?? 0
        case "--until": a.until = Double(value) ?? .infinity
        case "--speed": a.speed = Double(value) ?? 1
        default:
            print("unknown flag \(flag)")
            exit(2)
        }
    }
    return a
}

let arguments = parse()
if arguments.scenario == "replay" {
    replay(arguments)
    exit(0)
}
let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
guard fd >= 0 else { perror("socket"); exit(1) }
var on: Int32 = 1
setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, socklen_t(MemoryLayout<Int32>.size))
// Let the kernel fragment a FULL longer than the MTU, as the boards' stack does.
var pmtu: Int32 = 0 // IP_PMTUDISC_DONT
setsockopt(fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &pmtu, socklen_t(MemoryLayout<Int32>.size))
if arguments.sourcePort != 0 || arguments.bind != nil {
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_port = arguments.sourcePort.bigEndian
    if let bindAddress = arguments.bind, inet_pton(AF_INET, bindAddress, &local.sin_addr) != 1 {
        print("bad --bind address \(bindAddress)")
        exit(2)
    }
    let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    if bound != 0 { perror("bind"); exit(1) }
}

/// Sends one datagram; false (and a message unless `quiet`) when the kernel refused it.
@discardableResult
func send(_ bytes: [UInt8], to host: String, quiet: Bool = false) -> Bool {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = arguments.port.bigEndian
    inet_pton(AF_INET, host, &address.sin_addr)
    let sent = bytes.withUnsafeBytes { buffer in
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    if sent < 0 {
        if !quiet { perror("sendto \(host)") }
        return false
    }
    return true
}

func pause(_ seconds: Double) {
    var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    nanosleep(&ts, nil)
}

let me = arguments.bind.flatMap { IPv4Address($0) } ?? IPv4Address("10.99.0.1")!
let peer = IPv4Address(arguments.unicast) ?? IPv4Address("10.99.0.2")!

switch arguments.scenario {
case "all":
    // One of each, in an order a board could produce, then a fragmented FULL and a broken one.
    let frames: [(Frame?, [UInt8]?, String)] = [
        (.hello(name: Name("Test Board")), nil, arguments.broadcast),
        (.full(peers: [Peer(ip: me, name: Name("Test Board")), Peer(ip: peer, name: Name("Peer Board"))]), nil, arguments.broadcast),
        (.ping, nil, arguments.unicast),
        (.pong, nil, arguments.unicast),
        (.offline(ip: IPv4Address("10.99.0.9")!), nil, arguments.broadcast),
        // 51 entries with 32-byte names: 1889 bytes, fragmented on a 1500-byte MTU.
        (.full(peers: [Peer(ip: me, name: firmwareName("Test Board with a very long name!!"))]
                + (2...51).map { Peer(ip: IPv4Address(10, 99, 1, UInt8($0)), name: firmwareName("Board \($0) ................................")) }),
         nil, arguments.broadcast),
        // A FULL that promises three entries and holds one: truncated-peer at offset 19.
        (nil, [0x02, 0x03, 10, 99, 0, 1, 12] + Array("Test Board X".utf8), arguments.broadcast),
    ]
    for (frame, raw, host) in frames {
        send(frame?.encoded() ?? raw!, to: host)
        pause(arguments.gap)
    }
case "hello":
    // One HELLO from --bind (or the route's source address) announcing --name.
    send(Frame.hello(name: Name(arguments.name)).encoded(), to: arguments.broadcast)
case "flood":
    // `count` HELLOs and PINGs at `rate` a second, for the capture-rate measurement.
    // Prints one line: datagrams the kernel took (sent), refused (failed), seconds and rate.
    let hello = Frame.hello(name: Name("Flood Board")).encoded()
    let interval = 1.0 / arguments.rate
    var next = 0.0
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    var sent = 0, failed = 0
    for i in 0..<arguments.count {
        if send(i % 2 == 0 ? hello : [FrameType.ping.rawValue], to: i % 2 == 0 ? arguments.broadcast : arguments.unicast, quiet: true) {
            sent += 1
        } else {
            failed += 1
        }
        next += interval
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
        if next > elapsed { pause(next - elapsed) }
    }
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &end)
    let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    print("sent=\(sent) failed=\(failed) seconds=\(seconds) rate=\(seconds > 0 ? Double(sent) / seconds : 0)")
case "full":
    // One FULL listing --peers, as a registry sends it.
    let peers = arguments.peers.split(separator: ",").compactMap { entry -> Peer? in
        let parts = entry.split(separator: "=", maxSplits: 1)
        guard let ip = IPv4Address(String(parts[0])) else { return nil }
        return Peer(ip: ip, name: Name(parts.count > 1 ? String(parts[1]) : ""))
    }
    send(Frame.full(peers: peers).encoded(), to: arguments.broadcast)
case "offline":
    // One OFFLINE declaring --about gone.
    guard let about = IPv4Address(arguments.about) else { print("bad --about \(arguments.about)"); exit(2) }
    send(Frame.offline(ip: about).encoded(), to: arguments.broadcast)
case "ping":
    // One PING to --unicast.
    send(Frame.ping.encoded(), to: arguments.unicast)
default:
    print("unknown scenario \(arguments.scenario)")
    exit(2)
}
close(fd)

/// `--scenario replay`: puts a capture's discovery packets (IPv4 UDP to or from the
/// port, and IP fragments) on `--interface` as they were recorded, whole Ethernet
/// frames through a packet socket, so that their source addresses, ports and
/// destinations (unicast PING/PONG included) stay as captured, in real time (their
/// relative timing kept, divided by `--speed`). Prints one line: packets sent, seconds.
func replay(_ arguments: Arguments) {
    guard let file = fopen(arguments.pcap, "rb") else { perror(arguments.pcap); exit(1) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    fclose(file)
    guard bytes.count >= 24 else { print("\(arguments.pcap): not a pcap file"); exit(2) }
    let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    let swapped: Bool, nano: Bool
    switch magic {
    case 0xA1B2_C3D4: (swapped, nano) = (false, false)
    case 0xA1B2_3C4D: (swapped, nano) = (false, true)
    case 0xD4C3_B2A1: (swapped, nano) = (true, false)
    case 0x4D3C_B2A1: (swapped, nano) = (true, true)
    default: print("\(arguments.pcap): not a classic pcap file"); exit(2)
    }
    func u32(_ at: Int) -> UInt32 {
        let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return swapped ? v.byteSwapped : v
    }
    guard u32(20) == 1 else { print("\(arguments.pcap): not Ethernet"); exit(2) }
    // The discovery packets, with their times.
    var packets: [(time: Double, frame: ArraySlice<UInt8>)] = []
    var at = 24
    while at + 16 <= bytes.count {
        let time = Double(u32(at)) + Double(u32(at + 4)) / (nano ? 1e9 : 1e6)
        let length = Int(u32(at + 8))
        at += 16
        guard at + length <= bytes.count else { break }
        let frame = bytes[at..<(at + length)]
        at += length
        let f = frame.startIndex
        guard length >= 34, frame[f + 12] == 0x08, frame[f + 13] == 0x00, frame[f + 23] == 17 else { continue }
        let headerLength = Int(frame[f + 14] & 0x0F) * 4
        let fragment = (UInt16(frame[f + 20]) << 8 | UInt16(frame[f + 21])) & 0x3FFF
        if fragment & 0x1FFF == 0 {
            let udp = f + 14 + headerLength
            guard udp + 4 <= frame.endIndex else { continue }
            let source = UInt16(frame[udp]) << 8 | UInt16(frame[udp + 1])
            let destination = UInt16(frame[udp + 2]) << 8 | UInt16(frame[udp + 3])
            guard source == arguments.port || destination == arguments.port else { continue }
        }
        packets.append((time, frame))
    }
    guard let first = packets.first?.time else { print("sent=0 seconds=0"); return }
    let chosen = packets.filter { $0.time - first >= arguments.from && $0.time - first <= arguments.until }

    // A packet socket on the interface: frames go out as they are.
    let index = if_nametoindex(arguments.interface)
    guard index > 0 else { print("no interface \(arguments.interface)"); exit(1) }
    let raw = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
    guard raw >= 0 else { perror("socket(AF_PACKET)"); exit(1) }
    // struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8].
    var link = [UInt8](repeating: 0, count: 20)
    link[0] = UInt8(AF_PACKET & 0xFF); link[1] = UInt8(AF_PACKET >> 8)
    link[4] = UInt8(index & 0xFF); link[5] = UInt8((index >> 8) & 0xFF); link[6] = UInt8((index >> 16) & 0xFF); link[7] = UInt8(index >> 24)
    link[11] = 6
    let bound = link.withUnsafeBytes { bind(raw, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20) }
    if bound != 0 { perror("bind(AF_PACKET)"); exit(1) }

    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    let origin = chosen.first?.time ?? first
    var sent = 0
    for packet in chosen {
        let due = (packet.time - origin) / arguments.speed
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
        if due > elapsed { pause(due - elapsed) }
        let written = packet.frame.withUnsafeBytes { send(raw, $0.baseAddress, $0.count, 0) }
        if written < 0 { perror("send") } else { sent += 1 }
    }
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &end)
    close(raw)
    print("sent=\(sent) seconds=\(Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9)")
}
