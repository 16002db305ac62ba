import WireBytes

/// The other 99% of a LAN: TCP (HTTPS, HTTP, SSH) over IPv4 and IPv6, DNS, mDNS,
/// NTP, ARP, ICMPv6 neighbour solicitations, a few VLAN-tagged flows and now and
/// then a fragmented non-discovery UDP datagram (which peersniff's filter lets in,
/// since a fragment's ports cannot be seen). Headers and checksums are right;
/// payloads are random bytes. The mix averages about 650 bytes a packet.
struct LanTraffic {
    private enum Kind {
        case tcpDataDown, tcpAck, tcpMid, ssh, dns, mdns, ntp, arp, tcp6, icmp6, mdns6, bigUDP
    }

    /// Packets per 10,000 of background traffic.
    private static let mix: [(Kind, Int)] = [
        (.tcpDataDown, 2800), (.tcpAck, 3000), (.tcpMid, 1300), (.ssh, 500), (.dns, 600),
        (.mdns, 250), (.ntp, 100), (.arp, 300), (.tcp6, 900), (.icmp6, 150), (.mdns6, 97),
        (.bigUDP, 3),
    ]
    private static let table: [Kind] = mix.flatMap { Array(repeating: $0.0, count: $0.1) }

    private struct Host {
        let ip: UInt32
        let mac: MAC
        let linkLocal: IPv6
        let global: IPv6
    }

    private struct Flow {
        var client: Int
        var server4: UInt32
        var server6: IPv6
        var serverPort: UInt16
        var clientPort: UInt16
        var clientSeq: UInt32
        var serverSeq: UInt32
        var vlan: UInt16?
        var v6: Bool
    }

    private var rng: SplitMix64
    private var hosts: [Host] = []
    private var flows: [Flow] = []
    private let gatewayIP = IPv4Address(10, 37, 0, 1).value
    private let gatewayMAC: MAC = 0x001A_2B3C_4D01
    private let gateway6 = IPv6(high: 0xFE80_0000_0000_0000, low: 0x021A_2BFF_FE3C_4D01)
    private let ntpServer = IPv4Address(192, 0, 2, 123).value
    private let pool: UnsafeMutableRawPointer
    private static let poolSize = 1 << 18
    private var tsval: UInt32 = 1_000_000
    private var ipID: UInt16 = 1
    private var dns: [(query: [UInt8], answer: [UInt8])] = []
    private let mdnsQuery: [UInt8]
    private let mdnsAnswer: [UInt8]
    private var bigEmitter = DatagramEmitter()

    init(rng: SplitMix64) {
        self.rng = rng
        mdnsQuery = Self.mdnsMessage("_googlecast._tcp.local", answer: false)
        mdnsAnswer = Self.mdnsMessage("_airplay._tcp.local", answer: true)
        pool = UnsafeMutableRawPointer.allocate(byteCount: Self.poolSize + 8, alignment: 8)
        for i in stride(from: 0, to: Self.poolSize, by: 8) {
            pool.storeBytes(of: self.rng.next(), toByteOffset: i, as: UInt64.self)
        }
        // Laptops and phones at .150 to .199, beside the boards' .10 to .140.
        for last in 150...199 {
            let mac = MAC(self.rng.next() & 0xFEFF_FFFF_FFFF | 0x0200_0000_0000)
            let eui = (mac >> 24) << 40 | 0xFF_FE00_0000 | (mac & 0xFF_FFFF)
            let iid = eui ^ 0x0200_0000_0000_0000
            hosts.append(Host(ip: IPv4Address(10, 37, 0, UInt8(last)).value, mac: mac,
                              linkLocal: IPv6(high: 0xFE80_0000_0000_0000, low: iid),
                              global: IPv6(high: 0x2001_0DB8_0025_0000, low: iid)))
        }
        for _ in 0..<64 { flows.append(newFlow()) }
        let names = ["www.example.com", "api.github.com", "time.cloudflare.com", "updates.local",
                     "pinball-scores.example.net", "ocsp.digicert.com", "fonts.gstatic.com",
                     "ntp.ubuntu.com", "connectivity-check.example.org", "mqtt.example.io"]
        for name in names { dns.append(Self.dnsMessages(name, &self.rng)) }
    }

    private mutating func newFlow() -> Flow {
        let roll = rng.below(10)
        let port: UInt16 = roll < 7 ? 443 : (roll < 9 ? 80 : 22)
        return Flow(client: rng.below(hosts.count),
                    server4: [IPv4Address(203, 0, 113, 0).value, IPv4Address(198, 51, 100, 0).value][rng.below(2)]
                        | UInt32(rng.inRange(1...254)),
                    server6: IPv6(high: 0x2001_0DB8_FFFF_0000 | UInt64(rng.below(0xFFFF)), low: UInt64(rng.inRange(1...0xFFFF))),
                    serverPort: port, clientPort: rng.ephemeralPort(),
                    clientSeq: UInt32(truncatingIfNeeded: rng.next()), serverSeq: UInt32(truncatingIfNeeded: rng.next()),
                    vlan: rng.chance(0.04) ? 20 : nil, v6: rng.chance(0.25))
    }

    /// Writes one packet of background traffic (a fragmented datagram: all its packets).
    mutating func write(to w: PcapWriter, micros: UInt64) throws(GeneratorError) {
        switch Self.table[rng.below(Self.table.count)] {
        case .tcpDataDown: try tcp(w, micros, v6: false, fromServer: true, length: 1448)
        case .tcpAck: try tcp(w, micros, v6: rng.chance(0.2), fromServer: rng.chance(0.1), length: 0)
        case .tcpMid: try tcp(w, micros, v6: false, fromServer: rng.chance(0.6), length: rng.inRange(1...1400))
        case .ssh: try tcp(w, micros, v6: false, fromServer: rng.chance(0.5), length: rng.inRange(36...220), port: 22)
        case .tcp6:
            let down = rng.chance(0.6)
            try tcp(w, micros, v6: true, fromServer: down, length: down ? 1428 : rng.inRange(0...600))
        case .dns:
            let h = hosts[rng.below(hosts.count)]
            let m = dns[rng.below(dns.count)]
            let port = rng.ephemeralPort()
            let id = UInt16(truncatingIfNeeded: rng.next())
            if rng.chance(0.5) {
                try udp4(w, micros, srcMAC: h.mac, dstMAC: gatewayMAC, src: h.ip, dst: gatewayIP,
                         sport: port, dport: 53, m.query, id: id)
            } else {
                try udp4(w, micros, srcMAC: gatewayMAC, dstMAC: h.mac, src: gatewayIP, dst: h.ip,
                         sport: 53, dport: port, m.answer, id: id)
            }
        case .mdns:
            let h = hosts[rng.below(hosts.count)]
            try udp4(w, micros, srcMAC: h.mac, dstMAC: 0x0100_5E00_00FB, src: h.ip,
                     dst: IPv4Address(224, 0, 0, 251).value, sport: 5353, dport: 5353,
                     rng.chance(0.5) ? mdnsQuery : mdnsAnswer, id: nil, ttl: 255)
        case .mdns6:
            let h = hosts[rng.below(hosts.count)]
            try udp6(w, micros, srcMAC: h.mac, dstMAC: 0x3333_0000_00FB, src: h.linkLocal,
                     dst: IPv6(high: 0xFF02_0000_0000_0000, low: 0xFB), sport: 5353, dport: 5353,
                     rng.chance(0.5) ? mdnsQuery : mdnsAnswer)
        case .ntp:
            let h = hosts[rng.below(hosts.count)]
            var message = [UInt8](repeating: 0, count: 48)
            let request = rng.chance(0.5)
            message[0] = request ? 0x23 : 0x24
            if !request { message[1] = 2; message[2] = 6; message[3] = 0xE9 }
            withUnsafeBytes(of: rng.next()) { for k in 0..<8 { message[40 + k] = $0[k] } }
            if request {
                try udp4(w, micros, srcMAC: h.mac, dstMAC: gatewayMAC, src: h.ip, dst: ntpServer,
                         sport: 123, dport: 123, message, id: nil)
            } else {
                try udp4(w, micros, srcMAC: gatewayMAC, dstMAC: h.mac, src: ntpServer, dst: h.ip,
                         sport: 123, dport: 123, message, id: nil, ttl: 54)
            }
        case .arp: try arp(w, micros)
        case .icmp6: try neighbourSolicitation(w, micros)
        case .bigUDP:
            let h = hosts[rng.below(hosts.count)]
            let size = rng.inRange(1600...4000)
            let start = rng.below(Self.poolSize - size) & ~1
            let bytes = Array(UnsafeRawBufferPointer(start: pool + start, count: size))
            ipID &+= 1
            bigEmitter.start(Datagram(srcMAC: gatewayMAC, dstMAC: h.mac, src: IPv4Address(198, 51, 100, 53).value,
                                      dst: h.ip, sport: 7000, dport: rng.ephemeralPort(),
                                      ipID: ipID, payload: Payload(bytes), kind: .legacy))
            var t = micros
            while bigEmitter.inProgress {
                try bigEmitter.writeNext(to: w, micros: t)
                t += 3
            }
        }
    }

    private mutating func tcp(_ w: PcapWriter, _ micros: UInt64, v6: Bool, fromServer: Bool,
                              length: Int, port: UInt16? = nil) throws(GeneratorError) {
        var index = rng.below(flows.count)
        if let port {
            for k in 0..<flows.count where flows[(index + k) % flows.count].serverPort == port && !flows[(index + k) % flows.count].v6 {
                index = (index + k) % flows.count
                break
            }
        } else {
            for k in 0..<flows.count where flows[(index + k) % flows.count].v6 == v6 {
                index = (index + k) % flows.count
                break
            }
        }
        if rng.chance(0.002) { flows[index] = newFlow() }
        let f = flows[index]
        let host = hosts[f.client]
        let srcMAC = fromServer ? gatewayMAC : host.mac
        let dstMAC = fromServer ? host.mac : gatewayMAC
        let ipHeader = f.v6 ? 40 : 20
        let segment = 32 + length
        let p = try w.reserve(micros: micros, length: max((f.vlan == nil ? 14 : 18) + ipHeader + segment, minimumFrame))
        let e = p.putEthernet(dst: dstMAC, src: srcMAC, type: f.v6 ? EtherType.ipv6 : EtherType.ipv4, vlan: f.vlan)
        let sport = fromServer ? f.serverPort : f.clientPort
        let dport = fromServer ? f.clientPort : f.serverPort
        var pseudo: UInt64
        if f.v6 {
            let src = fromServer ? f.server6 : host.global
            let dst = fromServer ? host.global : f.server6
            p.putIPv6(at: e, payloadLength: segment, next: IPProtocol.tcp, hopLimit: fromServer ? 57 : 64, src: src, dst: dst)
            pseudo = pseudoSumV6(src: src, dst: dst, next: IPProtocol.tcp, length: segment)
        } else {
            let src = fromServer ? f.server4 : host.ip
            let dst = fromServer ? host.ip : f.server4
            ipID &+= 1
            p.putIPv4(at: e, totalLength: 20 + segment, id: ipID, flagsAndOffset: 0x4000,
                      ttl: fromServer ? 57 : 64, proto: IPProtocol.tcp, src: src, dst: dst)
            pseudo = pseudoSumV4(src: src, dst: dst, proto: IPProtocol.tcp, length: segment)
        }
        let t = e + ipHeader
        tsval &+= 1
        p.put16(sport, at: t)
        p.put16(dport, at: t + 2)
        p.put32(fromServer ? f.serverSeq : f.clientSeq, at: t + 4)
        p.put32(fromServer ? f.clientSeq : f.serverSeq, at: t + 8)
        p.put8(0x80, at: t + 12)  // 32-byte header
        p.put8(length > 0 ? 0x18 : 0x10, at: t + 13)  // PSH|ACK or ACK
        p.put16(fromServer ? 501 : 2048, at: t + 14)
        p.put32(0, at: t + 16)  // checksum, urgent pointer
        p.put32(0x0101_080A, at: t + 20)  // NOP NOP timestamps
        p.put32(tsval, at: t + 24)
        p.put32(tsval &- 17, at: t + 28)
        if length > 0 {
            let start = rng.below(Self.poolSize - length)
            (p + t + 32).copyMemory(from: pool + start, byteCount: length)
        }
        p.put16(finishChecksum(pseudo + onesSum(UnsafeRawPointer(p + t), segment)), at: t + 16)
        let end = e + ipHeader + segment
        if end < minimumFrame { p.zero(end, minimumFrame - end) }
        if fromServer { flows[index].serverSeq &+= UInt32(length) } else { flows[index].clientSeq &+= UInt32(length) }
    }

    private mutating func udp4(_ w: PcapWriter, _ micros: UInt64, srcMAC: MAC, dstMAC: MAC, src: UInt32, dst: UInt32,
                               sport: UInt16, dport: UInt16, _ payload: [UInt8], id: UInt16?,
                               ttl: UInt8 = 64) throws(GeneratorError) {
        let udpLength = 8 + payload.count
        let end = 14 + 20 + udpLength
        let p = try w.reserve(micros: micros, length: max(end, minimumFrame))
        let e = p.putEthernet(dst: dstMAC, src: srcMAC, type: EtherType.ipv4, vlan: nil)
        ipID &+= 1
        p.putIPv4(at: e, totalLength: 20 + udpLength, id: ipID, flagsAndOffset: 0x4000, ttl: ttl,
                  proto: IPProtocol.udp, src: src, dst: dst)
        try fillUDP(p, at: e + 20, sport: sport, dport: dport, payload, id: id,
                    pseudo: pseudoSumV4(src: src, dst: dst, proto: IPProtocol.udp, length: udpLength))
        if end < minimumFrame { p.zero(end, minimumFrame - end) }
    }

    private mutating func udp6(_ w: PcapWriter, _ micros: UInt64, srcMAC: MAC, dstMAC: MAC, src: IPv6, dst: IPv6,
                               sport: UInt16, dport: UInt16, _ payload: [UInt8]) throws(GeneratorError) {
        let udpLength = 8 + payload.count
        let p = try w.reserve(micros: micros, length: 14 + 40 + udpLength)
        let e = p.putEthernet(dst: dstMAC, src: srcMAC, type: EtherType.ipv6, vlan: nil)
        p.putIPv6(at: e, payloadLength: udpLength, next: IPProtocol.udp, hopLimit: 255, src: src, dst: dst)
        try fillUDP(p, at: e + 40, sport: sport, dport: dport, payload, id: nil,
                    pseudo: pseudoSumV6(src: src, dst: dst, next: IPProtocol.udp, length: udpLength))
    }

    private func fillUDP(_ p: UnsafeMutableRawPointer, at o: Int, sport: UInt16, dport: UInt16, _ payload: [UInt8],
                         id: UInt16?, pseudo: UInt64) throws(GeneratorError) {
        let udpLength = 8 + payload.count
        p.put16(sport, at: o)
        p.put16(dport, at: o + 2)
        p.put16(UInt16(udpLength), at: o + 4)
        p.put16(0, at: o + 6)
        payload.withUnsafeBytes { (p + o + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if let id { p.put16(id, at: o + 8) }  // a DNS message's ID
        p.put16(finishUDPChecksum(pseudo + onesSum(UnsafeRawPointer(p + o), udpLength)), at: o + 6)
    }

    private mutating func arp(_ w: PcapWriter, _ micros: UInt64) throws(GeneratorError) {
        let h = hosts[rng.below(hosts.count)]
        let request = rng.chance(0.6)
        let p = try w.reserve(micros: micros, length: minimumFrame)
        let e = p.putEthernet(dst: request ? broadcastMAC : h.mac, src: request ? h.mac : gatewayMAC,
                              type: EtherType.arp, vlan: nil)
        p.put16(1, at: e)  // Ethernet
        p.put16(EtherType.ipv4, at: e + 2)
        p.put8(6, at: e + 4)
        p.put8(4, at: e + 5)
        p.put16(request ? 1 : 2, at: e + 6)
        if request {
            p.putMAC(h.mac, at: e + 8); p.put32(h.ip, at: e + 14)
            p.putMAC(0, at: e + 18); p.put32(gatewayIP, at: e + 24)
        } else {
            p.putMAC(gatewayMAC, at: e + 8); p.put32(gatewayIP, at: e + 14)
            p.putMAC(h.mac, at: e + 18); p.put32(h.ip, at: e + 24)
        }
        p.zero(e + 28, minimumFrame - e - 28)
    }

    private mutating func neighbourSolicitation(_ w: PcapWriter, _ micros: UInt64) throws(GeneratorError) {
        let h = hosts[rng.below(hosts.count)]
        let target = rng.chance(0.5) ? gateway6 : hosts[rng.below(hosts.count)].linkLocal
        let low24 = target.low & 0xFF_FFFF
        let dst = IPv6(high: 0xFF02_0000_0000_0000, low: 0x0000_0001_FF00_0000 | low24)
        let p = try w.reserve(micros: micros, length: 14 + 40 + 32)
        let e = p.putEthernet(dst: 0x3333_FF00_0000 | low24, src: h.mac, type: EtherType.ipv6, vlan: nil)
        p.putIPv6(at: e, payloadLength: 32, next: IPProtocol.icmpv6, hopLimit: 255, src: h.linkLocal, dst: dst)
        let o = e + 40
        p.put8(135, at: o); p.put8(0, at: o + 1); p.put16(0, at: o + 2); p.put32(0, at: o + 4)
        p.put64(target.high, at: o + 8); p.put64(target.low, at: o + 16)
        p.put8(1, at: o + 24); p.put8(1, at: o + 25); p.putMAC(h.mac, at: o + 26)
        let sum = pseudoSumV6(src: h.linkLocal, dst: dst, next: IPProtocol.icmpv6, length: 32)
        p.put16(finishChecksum(sum + onesSum(UnsafeRawPointer(p + o), 32)), at: o + 2)
    }

    // MARK: canned DNS and mDNS messages

    private static func qname(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out.append(contentsOf: label.utf8)
        }
        out.append(0)
        return out
    }

    private static func dnsMessages(_ name: String, _ rng: inout SplitMix64) -> (query: [UInt8], answer: [UInt8]) {
        let question = qname(name) + [0, 1, 0, 1]  // A, IN
        let query: [UInt8] = [0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + question
        let answers = rng.inRange(1...4)
        var answer: [UInt8] = [0, 0, 0x81, 0x80, 0, 1, 0, UInt8(answers), 0, 0, 0, 0] + question
        for _ in 0..<answers {
            answer += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4]
            answer += [203, 0, 113, UInt8(rng.inRange(1...254))]
        }
        return (query, answer)
    }

    private static func mdnsMessage(_ service: String, answer: Bool) -> [UInt8] {
        if !answer {
            return [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + qname(service) + [0, 12, 0, 1]  // PTR, IN
        }
        let target = qname("Living Room._airplay._tcp.local")
        return [0, 0, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0] + qname(service)
            + [0, 12, 0x80, 0x01, 0, 0, 0x11, 0x94, 0, UInt8(target.count)] + target
    }
}
