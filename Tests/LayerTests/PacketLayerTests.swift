import Foundation
import Testing
@testable import PacketLayers
import WireBytes
import EndToEndSupport
import TestSupport

/// What a network-layer lookup found, as a comparable value.
enum FoundLayer: Equatable, CustomStringConvertible {
    case ipv4([UInt8]), ipv6([UInt8]), other

    init(_ layer: NetworkLayer) {
        switch layer {
        case let .ipv4(bytes): self = .ipv4(Array(bytes))
        case let .ipv6(bytes): self = .ipv6(Array(bytes))
        case .other: self = .other
        }
    }

    var description: String {
        switch self {
        case let .ipv4(b): "ipv4(\(b.count) bytes)"
        case let .ipv6(b): "ipv6(\(b.count) bytes)"
        case .other: "other"
        }
    }
}

func networkLayer(_ frame: [UInt8], _ link: LinkType) -> FoundLayer {
    frame.withUnsafeBytes { FoundLayer(networkLayer(of: $0, link: link)) }
}

/// The packet layers one by one (link, IPv4, UDP, checksum, IPv6), then the same
/// cases end to end through the binary.
@Suite("Packet layers")
struct PacketLayerTests {
    static let helloIP = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255",
                                            payload: PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020,
                                                                       payload: DiscoveryPayload.hello("Attack from Mars")))
    static let helloIPv6 = PacketBuilder.ipv6UDP(src: "fe80::1", dst: "ff02::1", sport: 45123, dport: 37020, payload: DiscoveryPayload.ping)

    // MARK: Link layer

    @Test("Each link type's header is found and skipped", arguments: LinkFraming.allCases)
    func linkHeader(framing: LinkFraming) throws {
        let link = try #require(LinkType(dlt: Int32(framing.linkType == 101 ? 12 : framing.linkType)))
        #expect(networkLayer(framing.frame(Self.helloIP), link) == .ipv4(Self.helloIP))
        if framing != .rawIPv4 {
            #expect(networkLayer(framing.frame(Self.helloIPv6, ipv6: true), link) == .ipv6(Self.helloIPv6))
        }
    }

    @Test("libpcap's DLT values map to the link types", arguments: [
        (Int32(1), LinkType?.some(.ethernet)), (113, .linuxSLL), (276, .linuxSLL2), (12, .raw), (14, .raw), (101, .raw),
        (228, .raw), (229, .raw), (0, .null), (108, .loop), (105, nil), (127, nil), (9, nil),
    ])
    func dltValues(dlt: Int32, expected: LinkType?) {
        #expect(LinkType(dlt: dlt) == expected)
    }

    @Test("DLT_NULL's family is read in either byte order; LOOP's only in network order")
    func nullByteOrders() {
        let ip = Self.helloIP
        #expect(networkLayer([2, 0, 0, 0] + ip, .null) == .ipv4(ip))
        #expect(networkLayer([0, 0, 0, 2] + ip, .null) == .ipv4(ip))
        for family: UInt8 in [10, 24, 28, 30] {
            #expect(networkLayer([family, 0, 0, 0] + Self.helloIPv6, .null) == .ipv6(Self.helloIPv6))
            #expect(networkLayer([0, 0, 0, family] + Self.helloIPv6, .loop) == .ipv6(Self.helloIPv6))
        }
        #expect(networkLayer([0, 0, 0, 2] + ip, .loop) == .ipv4(ip))
        #expect(networkLayer([7, 0, 0, 0] + ip, .null) == .other)
        #expect(networkLayer([2, 0, 0], .null) == .other)
    }

    struct NotIPCase: Sendable, CustomTestStringConvertible {
        var name: String
        var frame: [UInt8]
        var link: LinkType
        init(_ name: String, _ frame: [UInt8], _ link: LinkType) { self.name = name; self.frame = frame; self.link = link }
        var testDescription: String { name }
    }

    @Test("Not IP, or a link header cut short, is `other`", arguments: [
        ("ARP on Ethernet", PacketBuilder.ethernet([0, 1, 8, 0, 6, 4, 0, 1], etherType: 0x0806), LinkType.ethernet),
        ("Ethernet cut in its header", Array(PacketBuilder.ethernet(helloIP).prefix(13)), .ethernet),
        ("VLAN tag cut short", Array(PacketBuilder.ethernet(helloIP, vlanTags: [(0x8100, 5)]).prefix(16)), .ethernet),
        ("SLL cut short", Array(LinkFraming.linuxSLL.frame(helloIP).prefix(15)), .linuxSLL),
        ("SLL2 cut short", Array(LinkFraming.linuxSLL2.frame(helloIP).prefix(19)), .linuxSLL2),
        ("SLL carrying ARP", [0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06, 0, 1], .linuxSLL),
        ("raw, not IP", [0x50, 0, 0, 0], .raw),
        ("raw, empty", [], .raw),
    ].map(NotIPCase.init))
    func notIP(example: NotIPCase) {
        #expect(networkLayer(example.frame, example.link) == .other)
    }

    @Test("802.1Q, QinQ 0x88A8 + 0x8100, and the old QinQ 0x9100 tags are skipped", arguments: [
        [(UInt16(0x8100), UInt16(1))], [(0x88A8, 100), (0x8100, 37)], [(0x9100, 100), (0x8100, 37)], [(0x88A8, 1), (0x8100, 2), (0x8100, 3)],
    ])
    func vlanTags(tags: [(UInt16, UInt16)]) {
        let frame = PacketBuilder.ethernet(Self.helloIP, vlanTags: tags.map { (tpid: $0.0, id: $0.1) })
        #expect(networkLayer(frame, .ethernet) == .ipv4(Self.helloIP))
    }

    // MARK: IPv4

    /// RFC 791 options: IHL 6 (a Router Alert), IHL 15 (a Record Route filling all 40 bytes).
    static let ipOptions: [(ihl: Int, options: [UInt8])] = [
        (6, [0x94, 0x04, 0x00, 0x00]),
        (15, [0x07, 39, 4] + [UInt8](repeating: 0, count: 36) + [0x00]),
    ]

    @Test("IPv4 options are skipped by the header length", arguments: ipOptions)
    func ipv4Options(ihl: Int, options: [UInt8]) {
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.ping)
        let packet = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: udp, options: options)
        #expect(Int(packet[0] & 0x0F) == ihl)
        packet.withUnsafeBytes { bytes in
            guard case let .packet(header, payload, cut) = parseIPv4(bytes) else { Issue.record("not parsed"); return }
            #expect(header.headerLength == ihl * 4)
            #expect(header.totalLength == ihl * 4 + 9)
            #expect(header.source == IPv4Address(10, 37, 0, 20) && header.destination == .broadcast)
            #expect(header.protocolNumber == 17 && !header.isFragment && !cut)
            #expect(Array(payload) == udp)
        }
    }

    @Test("Ethernet padding after a short IP packet is not payload")
    func ethernetPadding() throws {
        let ip = PacketBuilder.ipv4(src: "10.37.0.20", dst: "10.37.0.21",
                                    payload: PacketBuilder.udp(src: "10.37.0.20", dst: "10.37.0.21", sport: 45123, dport: 37020, payload: DiscoveryPayload.ping))
        let frame = PacketBuilder.ethernet(ip) + [UInt8](repeating: 0xAA, count: 60 - 14 - ip.count)
        #expect(frame.count == 60)
        guard case let .ipv4(bytes) = networkLayer(frame, .ethernet) else { Issue.record("no IPv4"); return }
        bytes.withUnsafeBytes { raw in
            guard case let .packet(header, payload, cut) = parseIPv4(raw) else { Issue.record("not parsed"); return }
            #expect(payload.count == 9 && !cut && header.totalLength == 29)
            guard case let .datagram(udp, data, udpCut) = parseUDP(payload, ipCut: cut) else { Issue.record("no UDP"); return }
            #expect(Array(data) == DiscoveryPayload.ping && !udpCut && udp.length == 9)
        }
    }

    static func damaged(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var packet = helloIP
        change(&packet)
        return packet
    }

    @Test("An IPv4 header that contradicts itself is invalid", arguments: [
        ("IHL 4", damaged { $0[0] = 0x44 }),
        ("version 5", damaged { $0[0] = 0x55 }),
        ("total length below the header", damaged { $0[2] = 0; $0[3] = 19 }),
        ("IHL past the bytes", damaged { $0[0] = 0x4F; $0.removeSubrange(40...) }),
        ("shorter than 20 bytes", damaged { $0.removeSubrange(19...) }),
    ])
    func invalidIPv4(name: String, packet: [UInt8]) {
        packet.withUnsafeBytes { bytes in
            if case .invalid = parseIPv4(bytes) {} else { Issue.record("\(name) was accepted") }
        }
    }

    @Test("A packet shorter than its total length was cut by the snap length")
    func ipv4Cut() {
        Array(Self.helloIP.prefix(30)).withUnsafeBytes { bytes in
            guard case let .packet(header, payload, cut) = parseIPv4(bytes) else { Issue.record("not parsed"); return }
            #expect(cut && payload.count == 10 && header.totalLength == Self.helloIP.count)
        }
    }

    @Test("Fragment fields: MF, the offset in bytes, the identification")
    func fragmentFields() {
        let packet = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: [UInt8](repeating: 1, count: 16),
                                        id: 0xBEEF, moreFragments: true, fragmentOffset: 1480)
        packet.withUnsafeBytes { bytes in
            guard case let .packet(header, _, _) = parseIPv4(bytes) else { Issue.record("not parsed"); return }
            #expect(header.moreFragments && header.fragmentOffset == 1480 && header.identification == 0xBEEF && header.isFragment)
        }
    }

    // MARK: UDP

    @Test("UDP: whole, cut by the capture, only the ports, or broken")
    func udpShapes() {
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.hello("Attack from Mars"))
        udp.withUnsafeBytes { bytes in
            guard case let .datagram(h, payload, cut) = parseUDP(bytes, ipCut: false) else { Issue.record("whole"); return }
            #expect(h.sourcePort == 45123 && h.destinationPort == 37020 && h.length == 26 && !cut && payload.count == 18)
        }
        Array(udp.prefix(13)).withUnsafeBytes { bytes in
            guard case let .datagram(h, payload, cut) = parseUDP(bytes, ipCut: true) else { Issue.record("cut"); return }
            #expect(h.length == 26 && cut && Array(payload) == Array(udp[8..<13]))
            // The same bytes without a snap-length cut contradict the length field.
            if case .invalid = parseUDP(bytes, ipCut: false) {} else { Issue.record("a length past the IP packet was accepted") }
        }
        for kept in [4, 5, 6, 7] {
            Array(udp.prefix(kept)).withUnsafeBytes { bytes in
                guard case let .portsOnly(s, d) = parseUDP(bytes, ipCut: true) else { Issue.record("ports only, \(kept) bytes"); return }
                #expect(s == 45123 && d == 37020)
            }
        }
        var short = udp
        short[4] = 0; short[5] = 7
        short.withUnsafeBytes { bytes in
            if case .invalid = parseUDP(bytes, ipCut: false) {} else { Issue.record("UDP length 7 was accepted") }
        }
    }

    @Test("UDP checksum verdicts: valid, absent, offloaded, bad with the expected value")
    func checksumVerdicts() {
        let payload = DiscoveryPayload.hello("Attack from Mars")
        let good = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: payload)
        let correct = UInt16(good[6]) << 8 | UInt16(good[7])
        let offloaded = PacketBuilder.offloadedChecksum(src: "10.37.0.20", dst: "255.255.255.255", udpLength: good.count)
        let cases: [(UInt16, ChecksumVerdict)] = [
            (correct, .valid), (0, .absent), (offloaded, .offloaded), (correct ^ 0x0101, .bad(expected: correct)),
        ]
        for (field, verdict) in cases {
            var datagram = good
            datagram[6] = UInt8(field >> 8); datagram[7] = UInt8(field & 0xFF)
            let result = datagram.withUnsafeBytes {
                verifyUDPChecksum(source: IPv4Address("10.37.0.20")!, destination: .broadcast, udp: $0, field: field)
            }
            #expect(result == verdict, "field 0x\(String(field, radix: 16))")
        }
    }

    @Test("The ones' complement sum, odd lengths included (RFC 1071's example)")
    func onesComplement() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(bytes.withUnsafeBytes { onesComplementSum($0) } == 0xDDF2)
        let odd: [UInt8] = [0xFF, 0xFF, 0x01]
        #expect(odd.withUnsafeBytes { fold(onesComplementSum($0)) } == 0x0100)
        let long = [UInt8](repeating: 0xFF, count: 4001)
        #expect(long.withUnsafeBytes { fold(onesComplementSum($0)) } == UInt32(~PacketBuilder.checksum(long)))
        // Every length up to 300 and a whole 64 KiB datagram, random bytes, against the
        // plain byte-pair sum.
        var state: UInt64 = 1071
        func byte() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for length in Array(0...300) + [65_535] {
            let bytes = (0..<length).map { _ in byte() }
            #expect(bytes.withUnsafeBytes { fold(onesComplementSum($0)) } == UInt32(~PacketBuilder.checksum(bytes)), "length \(length)")
        }
        // Bytes that carry out of every word (all ones, and nearly): the carries added back.
        for fill in [[UInt8(0xFF)], [0xFF, 0xFE], [0xFE, 0xFF, 0xFF], [0x80]] {
            for length in Array(0...300) + [1_500, 65_535] {
                let bytes = (0..<length).map { fill[$0 % fill.count] }
                #expect(bytes.withUnsafeBytes { fold(onesComplementSum($0)) } == UInt32(~PacketBuilder.checksum(bytes)), "\(fill) × \(length)")
            }
        }
        // Any start in memory: the words are read unaligned (a datagram starts wherever
        // its headers end), every block size (128, 64, 32, 8 bytes and the tail) at each.
        let backing = (0..<400).map { _ in byte() }
        for start in 0..<8 {
            for length in 0...(backing.count - 8) {
                let slice = Array(backing[start..<(start + length)])
                let sum = backing.withUnsafeBytes { fold(onesComplementSum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + length)]))) }
                #expect(sum == UInt32(~PacketBuilder.checksum(slice)), "start \(start), length \(length)")
            }
        }
    }

    // MARK: IPv6

    @Test("UDP over IPv6 is found behind extension headers, not behind a later fragment")
    func ipv6ExtensionHeaders() {
        let plain = Self.helloIPv6
        let udp = Array(plain[40...])
        func withExtension(_ nextHeader: UInt8, _ header: [UInt8]) -> [UInt8] {
            var packet = Array(plain[0..<40])
            packet[6] = nextHeader
            let length = header.count + udp.count
            packet[4] = UInt8(length >> 8); packet[5] = UInt8(length & 0xFF)
            return packet + header + udp
        }
        let hopByHop = withExtension(0, [17, 0, 1, 4, 0, 0, 0, 0])            // a PadN option
        let firstFragment = withExtension(44, [17, 0, 0x00, 0x01, 0, 0, 0, 9]) // offset 0, M=1
        let laterFragment = withExtension(44, [17, 0, 0x00, 0xB8, 0, 0, 0, 9]) // offset 23 × 8
        for (name, packet, found) in [("plain", plain, true), ("hop-by-hop", hopByHop, true),
                                       ("first fragment", firstFragment, true), ("later fragment", laterFragment, false)] {
            packet.withUnsafeBytes { bytes in
                let parsed = parseIPv6UDP(bytes)
                #expect((parsed != nil) == found, "\(name)")
                if let parsed {
                    #expect(parsed.source.description == "fe80::1" && parsed.destination.description == "ff02::1")
                    #expect(parsed.sourcePort == 45123 && parsed.destinationPort == 37020)
                    #expect(parsed.payloadLength == 1 && Array(parsed.payload) == DiscoveryPayload.ping)
                }
            }
        }
    }

    // MARK: End to end

    @Test("IPv4 options (IHL 6 and 15) decode through the binary", arguments: ipOptions)
    func ipv4OptionsEndToEnd(ihl: Int, options: [UInt8]) throws {
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.hello("Attack from Mars"))
        let ip = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: udp, options: options)
        let path = try writeTestCapture(makeCapture([.at(0, 0, dnsPacket()), .at(1, 0, PacketBuilder.ethernet(ip))]))
        let run = try peersniffJSON(path)
        #expect(run.status == 0)
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 2, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
        ])
        #expect(run.frameRecords.first?["name"] as? String == "Attack from Mars")
        #expect(run.malformedRecords.isEmpty)
    }

    @Test("Ethernet padding after PING, PONG and OFFLINE is ignored end to end")
    func paddingEndToEnd() throws {
        func padded(_ payload: [UInt8], src: String, dst: String, sport: UInt16, dport: UInt16) -> [UInt8] {
            let ip = PacketBuilder.ipv4(src: src, dst: dst, payload: PacketBuilder.udp(src: src, dst: dst, sport: sport, dport: dport, payload: payload))
            let frame = PacketBuilder.ethernet(ip)
            return frame + [UInt8](repeating: 0xAA, count: max(0, 60 - frame.count))
        }
        let packets: [TestPacket] = [
            .at(1, 0, padded(DiscoveryPayload.ping, src: "10.37.0.20", dst: "10.37.0.21", sport: 45123, dport: 37020)),
            .at(2, 0, padded(DiscoveryPayload.pong, src: "10.37.0.21", dst: "10.37.0.20", sport: 51000, dport: 37020)),
            .at(3, 0, padded(DiscoveryPayload.offline("10.37.0.22"), src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020)),
        ]
        #expect(packets.allSatisfy { $0.bytes.count == 60 })
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        #expect(run.frameRecords.map { $0["type"] as? String } == ["PING", "PONG", "OFFLINE"])
        #expect(run.frameRecords.last?["ip"] as? String == "10.37.0.22")
        #expect(run.malformedRecords.isEmpty)
    }

    struct SnapCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Bytes of the UDP datagram (header included) that were captured.
        var keptUDP: Int
        var testDescription: String { name }
    }

    /// HELLO "Attack from Mars": an 18-byte payload, 26 bytes of UDP, 60 bytes on Ethernet.
    static let snapCases: [SnapCase] = [
        SnapCase(name: "cut 5 bytes into the payload", keptUDP: 13),
        SnapCase(name: "cut 1 byte before the payload's end", keptUDP: 25),
        SnapCase(name: "cut right after the UDP header", keptUDP: 8),
        SnapCase(name: "cut inside the UDP header, after the length", keptUDP: 6),
        SnapCase(name: "cut inside the UDP header, after the ports", keptUDP: 4),
    ]

    @Test("A snap-length cut is reported as truncated-capture", arguments: snapCases)
    func snapLengthCut(cut: SnapCase) throws {
        let payload = DiscoveryPayload.hello("Attack from Mars")
        let frame = PacketBuilder.discovery(payload)
        #expect(frame.count == 60)
        let kept = 14 + 20 + cut.keptUDP
        let packets: [TestPacket] = [
            .at(1, 0, Array(frame.prefix(kept)), originalLength: frame.count),
            .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.ping, dst: "10.37.0.21")),  // 43 bytes: not cut
        ]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets, snapLength: UInt32(max(kept, 43)))))
        #expect(run.status == 0)
        #expect(run.malformedRecords.map(RecordFields.init) == [
            RecordFields(kind: "malformed", n: 1, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "truncated-capture"),
        ])
        let record = run.malformedRecords.first
        let keptPayload = max(0, cut.keptUDP - 8)
        #expect(record?["hex"] as? String == hex(Array(payload.prefix(keptPayload))))
        // The first byte that could not be judged is the first one not captured.
        #expect(record?["offset"] as? Int == keptPayload)
        // `length` is the payload's length: the IP header says it even when the UDP length field was cut.
        if cut.keptUDP >= 8 {
            #expect(record?["length"] as? Int == payload.count)
        } else {
            do {
            #expect(record?["length"] as? Int == payload.count)
        }
        }
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 2, src: "10.37.0.20", dst: "10.37.0.21", sport: 45123, dport: 37020, type: "PING"),
        ])
        #expect(summaryCount(run.summaryRecord, "malformed_by_reason", "truncated-capture") == 1)
    }

    @Test("editcap -s cuts packets: the cut ones are truncated-capture, the short ones decode",
          .enabled(if: toolAvailable("editcap")))
    func snapLengthCutByEditcap() throws {
        let folder = Paths.temporaryFolder()
        let whole = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"))),   // 60 bytes
            .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.ping, dst: "10.37.0.21")),      // 43 bytes
        ]), in: folder)
        let cut = folder.appendingPathComponent("cut.pcap").path
        let made = try runProgram(try toolPath("editcap"), ["-F", "pcap", "-s", "50", whole, cut])
        #expect(made.status == 0, "\(made.stderr)")
        let run = try peersniffJSON(cut)
        #expect(run.status == 0)
        let record = try #require(run.malformedRecords.first)
        #expect(RecordFields(record) == RecordFields(kind: "malformed", n: 1, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "truncated-capture"))
        #expect(record["length"] as? Int == 18)
        #expect(record["hex"] as? String == hex(Array(DiscoveryPayload.hello("Attack from Mars").prefix(8))))
        #expect(run.frameRecords.map { $0["type"] as? String } == ["PING"])
    }

    struct ChecksumCase: Sendable, CustomTestStringConvertible {
        var name: String
        var field: Field
        var arguments: [String] = []
        /// The record's kind and its type or reason.
        var expected: (kind: String, what: String)
        /// The summary's `checksums` counter that counts it.
        var counter: String?
        var testDescription: String { name }

        enum Field: Sendable { case correct, wrong, offloaded, zero }
    }

    static let checksumCases: [ChecksumCase] = [
        ChecksumCase(name: "correct", field: .correct, expected: ("frame", "HELLO"), counter: "valid"),
        ChecksumCase(name: "wrong", field: .wrong, expected: ("malformed", "bad-udp-checksum"), counter: nil),
        ChecksumCase(name: "offloaded (pseudo-header sum, CHECKSUM_PARTIAL)", field: .offloaded, expected: ("frame", "HELLO"), counter: "offloaded"),
        ChecksumCase(name: "zero (absent)", field: .zero, expected: ("frame", "HELLO"), counter: "absent"),
        ChecksumCase(name: "wrong, --no-verify-checksums", field: .wrong, arguments: ["--no-verify-checksums"], expected: ("frame", "HELLO"), counter: "not_verified"),
        ChecksumCase(name: "offloaded, --no-verify-checksums", field: .offloaded, arguments: ["--no-verify-checksums"], expected: ("frame", "HELLO"), counter: "not_verified"),
    ]

    @Test("UDP checksums: wrong ones are reported, offloaded and absent ones are not", arguments: checksumCases)
    func udpChecksum(check: ChecksumCase) throws {
        let (src, dst) = ("10.37.0.20", "255.255.255.255")
        let payload = DiscoveryPayload.hello("Attack from Mars")
        let correct = PacketBuilder.udp(src: src, dst: dst, sport: 45123, dport: 37020, payload: payload)
        let correctField = UInt16(correct[6]) << 8 | UInt16(correct[7])
        let field: UInt16
        switch check.field {
        case .correct: field = correctField
        case .wrong: field = correctField ^ 0x0101
        case .offloaded: field = PacketBuilder.offloadedChecksum(src: src, dst: dst, udpLength: correct.count)
        case .zero: field = 0
        }
        let udp = PacketBuilder.udp(src: src, dst: dst, sport: 45123, dport: 37020, payload: payload, checksum: field)
        let frame = PacketBuilder.ethernet(PacketBuilder.ipv4(src: src, dst: dst, payload: udp))
        let run = try peersniffJSON(try writeTestCapture(makeCapture([.at(1, 0, frame)])), check.arguments)
        #expect(run.status == 0)
        let records = run.datagramRecords
        #expect(records.count == 1)
        #expect(records.first?["kind"] as? String == check.expected.kind)
        #expect((records.first?["type"] ?? records.first?["reason"]) as? String == check.expected.what)
        if check.expected.kind == "malformed" {
            #expect(records.first?["hex"] as? String == hex(payload))
            #expect(records.first?["length"] as? Int == payload.count)
            #expect(summaryCount(run.summaryRecord, "malformed_by_reason", "bad-udp-checksum") == 1)
        } else {
            #expect(records.first?["name"] as? String == "Attack from Mars")
        }
        for counter in ["valid", "absent", "offloaded", "not_verified"] {
            #expect(summaryCount(run.summaryRecord, "checksums", counter) == (counter == check.counter ? 1 : 0), "checksums.\(counter)")
        }
    }

    struct IPv6Case: Sendable, CustomTestStringConvertible {
        var wire: String, text: String, peer: String, peerText: String, sport: UInt16, dport: UInt16
        init(_ wire: String, _ text: String, _ peer: String, _ peerText: String, _ sport: UInt16, _ dport: UInt16) {
            self.wire = wire; self.text = text; self.peer = peer; self.peerText = peerText; self.sport = sport; self.dport = dport
        }
        var testDescription: String { "\(wire) → \(peer)" }
    }

    static let ipv6Cases: [IPv6Case] = [
        ("fe80:0000:0000:0000:0000:0000:0000:0001", "fe80::1", "ff02::1", "ff02::1", 45123, 37020),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1", "2001:DB8::1", "2001:db8::1", 45123, 37020),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", "2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::", 37020, 50000),
        ("::1", "::1", "::", "::", 37020, 37020),
        ("2001:db8:aaaa:bbbb:cccc:dddd:0:1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1", "ff02::fb", "ff02::fb", 5353, 37020),
    ].map(IPv6Case.init)

    @Test("UDP over IPv6 to or from the port is not-ipv4, with RFC 5952 addresses", arguments: ipv6Cases)
    func ipv6NotIPv4(example: IPv6Case) throws {
        let (wire, text, peer, peerText, sport, dport) = (example.wire, example.text, example.peer, example.peerText, example.sport, example.dport)
        let payload = DiscoveryPayload.hello("Attack from Mars")
        let packet = PacketBuilder.ethernet(PacketBuilder.ipv6UDP(src: wire, dst: peer, sport: sport, dport: dport, payload: payload), etherType: 0x86DD)
        let run = try peersniffJSON(try writeTestCapture(makeCapture([.at(0, 0, dnsPacket()), .at(1, 0, packet)])))
        #expect(run.status == 0)
        #expect(run.frameRecords.isEmpty)
        #expect(run.malformedRecords.map(RecordFields.init) == [
            RecordFields(kind: "malformed", n: 2, src: text, dst: peerText, sport: Int(sport), dport: Int(dport), type: "not-ipv4"),
        ])
        #expect(run.malformedRecords.first?["length"] as? Int == payload.count)
        #expect(run.malformedRecords.first?["hex"] as? String == hex(payload))
    }
}

/// Lower-case hex, as the `hex` field shows payloads.
func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
