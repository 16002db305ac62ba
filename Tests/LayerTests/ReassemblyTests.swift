import Foundation
import Testing
@testable import PacketLayers
import WireBytes
import EndToEndSupport
import TestSupport

/// A fragment as the reassembler is handed it: its parsed header and IP payload.
struct FragmentInput {
    var header: IPv4Header
    var payload: [UInt8]
    var cut = false

    init(_ packet: [UInt8], keep: Int? = nil) {
        let bytes = keep.map { Array(packet.prefix($0)) } ?? packet
        var parsed: (IPv4Header, [UInt8], Bool)?
        bytes.withUnsafeBytes {
            if case let .packet(header, payload, cut) = parseIPv4($0) { parsed = (header, Array(payload), cut) }
        }
        header = parsed!.0
        payload = parsed!.1
        cut = parsed!.2
    }
}

/// The result of one `add`, as a comparable value.
enum AddResult: Equatable {
    case pending
    case complete(payload: [UInt8], cut: Bool, tags: [Int])
}

extension FragmentReassembler<Int> {
    mutating func add(_ fragment: FragmentInput, at seconds: Double, tag: Int, givenUp: (Pending) -> Void = { _ in }) -> AddResult {
        fragment.payload.withUnsafeBytes { payload in
            switch add(fragment.header, payload: payload, cut: fragment.cut, time: Timestamp(seconds), tag: tag, givenUp: givenUp) {
            case .pending: return .pending
            case let .complete(payload, cut, tags): return .complete(payload: Array(payload), cut: cut, tags: tags)
            }
        }
    }
}

/// IPv4 fragment reassembly: the reassembler alone, then FULL frames split into
/// fragments end to end through the binary (and cross-checked with tshark).
@Suite("Reassembly")
struct ReassemblyTests {
    /// A FULL of 8 peers: 2 + 8 × 37 = 298 bytes of payload, 306 of UDP; three
    /// fragments carry 104, 104 and 98 bytes of it.
    static let smallFull = DiscoveryPayload.sortedFull(count: 8)
    static let smallUDP = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: smallFull.payload)
    static let smallFragments = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: smallUDP, id: 0x6533, sizes: [104, 104])

    @Test("The test's FULL and its fragments are what the comments say")
    func fixtureShape() {
        #expect(Self.smallFull.payload.count == 298 && Self.smallUDP.count == 306)
        #expect(Self.smallFragments.map { $0.count - 20 } == [104, 104, 98])
        #expect(Self.smallFragments.map { Int($0[6] & 0x1F) << 8 | Int($0[7]) } == [0, 13, 26])  // offsets in 8-byte units
        #expect(Self.smallFragments.map { $0[6] & 0x20 != 0 } == [true, true, false])
    }

    // MARK: The reassembler alone

    static let orders: [[Int]] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    @Test("Three fragments in any order make the datagram when the last one arrives", arguments: orders)
    func anyOrder(order: [Int]) {
        var reassembler = FragmentReassembler<Int>()
        for (step, index) in order.enumerated() {
            let result = reassembler.add(FragmentInput(Self.smallFragments[index]), at: Double(step), tag: step + 1)
            if step < 2 {
                #expect(result == .pending)
            } else {
                #expect(result == .complete(payload: Self.smallUDP, cut: false, tags: [1, 2, 3]))
            }
        }
        #expect(reassembler.isEmpty)
    }

    @Test("A duplicate fragment adds nothing but its tag", arguments: [[0, 0, 1, 2], [2, 1, 1, 0], [1, 2, 1, 0], [2, 2, 2, 0, 1]])
    func duplicates(order: [Int]) {
        var reassembler = FragmentReassembler<Int>()
        var results: [AddResult] = []
        for (step, index) in order.enumerated() {
            results.append(reassembler.add(FragmentInput(Self.smallFragments[index]), at: Double(step), tag: step + 1))
        }
        #expect(results.dropLast().allSatisfy { $0 == .pending })
        #expect(results.last == .complete(payload: Self.smallUDP, cut: false, tags: Array(1...order.count)))
        #expect(reassembler.isEmpty)
    }

    @Test("A fragment sent again and again counts against the memory bound: the datagram is given up for room, its tags do not grow without end")
    func repeatsAreBounded() {
        var reassembler = FragmentReassembler<Int>(timeoutSeconds: 30, maxDatagrams: 16, maxBytes: 4_000)
        let first = FragmentInput(PacketBuilder.ipv4(src: "10.0.0.1", dst: "10.0.0.2", payload: [UInt8](repeating: 0xAA, count: 400),
                                                     id: 9, moreFragments: true, fragmentOffset: 0))
        var givenUp: [Int] = []
        for k in 1...100 {
            #expect(reassembler.add(first, at: Double(k) / 100, tag: k) { givenUp.append($0.fragmentCount) } == .pending)
        }
        // 400 bytes a copy: the eleventh passes 4,000, and the datagram is given up; so on.
        #expect(reassembler.gaveUpForRoom == givenUp.count && givenUp.count >= 9, "\(givenUp)")
        #expect(givenUp.allSatisfy { $0 <= 11 }, "a datagram kept \(givenUp.max() ?? 0) copies")
        #expect(reassembler.pendingCount <= 1)
    }

    @Test("Overlapping fragments: the first copy of each byte wins")
    func overlap() {
        let a = PacketBuilder.ipv4(src: "10.0.0.1", dst: "10.0.0.2", payload: [UInt8](repeating: 0xAA, count: 16), id: 7, moreFragments: true, fragmentOffset: 0)
        let b = PacketBuilder.ipv4(src: "10.0.0.1", dst: "10.0.0.2", payload: [UInt8](repeating: 0xBB, count: 16), id: 7, moreFragments: false, fragmentOffset: 8)
        var reassembler = FragmentReassembler<Int>()
        #expect(reassembler.add(FragmentInput(a), at: 0, tag: 1) == .pending)
        #expect(reassembler.add(FragmentInput(b), at: 0, tag: 2)
                == .complete(payload: [UInt8](repeating: 0xAA, count: 16) + [UInt8](repeating: 0xBB, count: 8), cut: false, tags: [1, 2]))
    }

    @Test("Fragments of different datagrams (source, destination, id, protocol) do not mix")
    func keys() {
        func fragment(_ src: String, _ id: UInt16, _ proto: UInt8, last: Bool, fill: UInt8) -> FragmentInput {
            FragmentInput(PacketBuilder.ipv4(src: src, dst: "10.0.0.9", payload: [UInt8](repeating: fill, count: 8), id: id,
                                             moreFragments: !last, fragmentOffset: last ? 8 : 0, protocolNumber: proto))
        }
        var reassembler = FragmentReassembler<Int>()
        #expect(reassembler.add(fragment("10.0.0.1", 1, 17, last: false, fill: 1), at: 0, tag: 1) == .pending)
        #expect(reassembler.add(fragment("10.0.0.2", 1, 17, last: true, fill: 2), at: 0, tag: 2) == .pending)
        #expect(reassembler.add(fragment("10.0.0.1", 2, 17, last: true, fill: 3), at: 0, tag: 3) == .pending)
        #expect(reassembler.add(fragment("10.0.0.1", 1, 6, last: true, fill: 4), at: 0, tag: 4) == .pending)
        #expect(reassembler.pendingCount == 4)
        #expect(reassembler.add(fragment("10.0.0.1", 1, 17, last: true, fill: 5), at: 0, tag: 5)
                == .complete(payload: [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 5, count: 8), cut: false, tags: [1, 5]))
        #expect(reassembler.pendingCount == 3)
    }

    @Test("A fragment cut by the snap length completes the set, but the datagram is marked cut and ends at the hole")
    func cutFragment() {
        var reassembler = FragmentReassembler<Int>()
        #expect(reassembler.add(FragmentInput(Self.smallFragments[0]), at: 0, tag: 1) == .pending)
        #expect(reassembler.add(FragmentInput(Self.smallFragments[1], keep: 20 + 50), at: 0, tag: 2) == .pending)
        #expect(reassembler.add(FragmentInput(Self.smallFragments[2]), at: 0, tag: 3)
                == .complete(payload: Array(Self.smallUDP.prefix(104 + 50)), cut: true, tags: [1, 2, 3]))
    }

    @Test("An incomplete set is handed back at the end, with what arrived")
    func drain() {
        var reassembler = FragmentReassembler<Int>()
        _ = reassembler.add(FragmentInput(Self.smallFragments[0]), at: 0, tag: 4)
        _ = reassembler.add(FragmentInput(Self.smallFragments[1]), at: 1, tag: 9)
        var given: [FragmentReassembler<Int>.Pending] = []
        reassembler.drain { given.append($0) }
        #expect(given.count == 1)
        let entry = given[0]
        #expect(entry.tags == [4, 9] && entry.fragmentCount == 2)
        #expect(entry.firstFragment == Array(Self.smallUDP.prefix(104)))
        #expect(entry.coveredBytes == 208 && entry.expectedLength == nil)
        #expect(entry.key.identification == 0x6533 && entry.key.source == IPv4Address(10, 37, 0, 20))
        #expect(entry.firstSeen == Timestamp(0) && entry.lastSeen == Timestamp(1))
        #expect(reassembler.isEmpty)
    }

    @Test("A set is given up more than 30 s of capture time after its first fragment", arguments: [
        (29.0, false), (30.0, false), (30.000_001, true), (31.0, true), (3600.0, true),
    ])
    func timeout(later: Double, givenUp expected: Bool) {
        var reassembler = FragmentReassembler<Int>()
        _ = reassembler.add(FragmentInput(Self.smallFragments[0]), at: 100, tag: 1)
        _ = reassembler.add(FragmentInput(Self.smallFragments[1]), at: 120, tag: 2)  // the clock runs from the first
        var given: [[Int]] = []
        reassembler.expire(now: Timestamp(100 + later)) { given.append($0.tags) }
        #expect(given == (expected ? [[1, 2]] : []))
        #expect(reassembler.isEmpty == expected)
    }

    @Test("Memory bounds give up the oldest sets first")
    func bounds() {
        var reassembler = FragmentReassembler<Int>(maxDatagrams: 2)
        var given: [UInt16] = []
        for (step, id) in [UInt16(1), 2, 3].enumerated() {
            let first = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: Self.smallUDP, id: id, sizes: [104])[0]
            _ = reassembler.add(FragmentInput(first), at: Double(step), tag: step) { given.append($0.key.identification) }
        }
        #expect(given == [1] && reassembler.pendingCount == 2)

        var small = FragmentReassembler<Int>(maxBytes: 250)
        given = []
        for (step, id) in [UInt16(1), 2, 3].enumerated() {
            let first = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: Self.smallUDP, id: id, sizes: [104])[0]
            _ = small.add(FragmentInput(first), at: Double(step), tag: step) { given.append($0.key.identification) }
        }
        #expect(given == [1] && small.pendingCount == 2)
    }

    // MARK: End to end

    /// The FULL's records: DNS first (packet 1), then the fragments in `order`.
    struct OrderCase: Sendable, CustomTestStringConvertible {
        var name: String
        var order: [Int]
        /// The packet that completes the datagram (1-based, DNS included).
        var completing: Int
        var testDescription: String { name }
    }

    static let orderCases: [OrderCase] = [
        OrderCase(name: "in order", order: [0, 1, 2], completing: 4),
        OrderCase(name: "reversed", order: [2, 1, 0], completing: 4),
        OrderCase(name: "last first", order: [2, 0, 1], completing: 4),
        OrderCase(name: "with a duplicate of the first", order: [0, 0, 2, 1], completing: 5),
        OrderCase(name: "with a duplicate of the last, out of order", order: [2, 1, 2, 0], completing: 5),
    ]

    @Test("A FULL in three fragments: n is the packet that completed it, and it is `fragmented`", arguments: orderCases)
    func fullInFragments(example: OrderCase) throws {
        var packets: [TestPacket] = [.at(0, 0, dnsPacket())]
        for (step, index) in example.order.enumerated() {
            packets.append(.at(1, UInt32(step) * 100, PacketBuilder.ethernet(Self.smallFragments[index])))
        }
        packets.append(.at(2, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.21")))
        let path = try writeTestCapture(makeCapture(packets))
        let run = try peersniffJSON(path)
        #expect(run.status == 0)
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: example.completing, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "FULL"),
            RecordFields(n: packets.count, src: "10.37.0.21", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
        ])
        let full = try #require(run.frameRecords.first)
        #expect(full["warnings"] as? [String] == ["fragmented"])
        let peers = (full["peers"] as? [[String: Any]] ?? []).map { "\($0["ip"] ?? "")=\($0["name"] ?? "")" }
        #expect(peers == Self.smallFull.peers.map { "\($0.ip)=\($0.name)" })
        #expect(full["ts"] as? String == "2026-11-25T12:00:01.000\(String(format: "%03d", (example.completing - 2) * 100))Z")
        #expect(run.malformedRecords.isEmpty)
        #expect(summaryCount(run.summaryRecord, "warnings_by_code", "fragmented") == 1)
        #expect(run.summaryRecord?["packets_matched"] as? Int == example.order.count + 1)
        do {
        #expect(run.summaryRecord?["datagrams_reassembled"] as? Int == 1)
    }

        // tshark's own reassembly agrees on the completing packet.
        if toolAvailable("tshark") {
            let tshark = try runProgram(try toolPath("tshark"), ["-r", path, "-o", "ip.defragment:TRUE", "-Y", "udp.port==37020", "-T", "fields", "-e", "frame.number"])
            #expect(tshark.stdout.split(separator: "\n").compactMap { Int($0) } == run.frameRecords.map { $0["n"] as? Int ?? 0 })
        }
    }

    @Test("The largest FULL (51 peers, 1889 bytes) in two 1500-byte-MTU fragments")
    func largestFull() throws {
        let full = DiscoveryPayload.sortedFull(count: 51)
        #expect(full.payload.count == 1889)
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: full.payload)
        let fragments = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: udp, id: 0x6540, sizes: [1480])
        #expect(fragments.map(\.count) == [1500, 20 + 1897 - 1480])
        let run = try peersniffJSON(try writeTestCapture(makeCapture(fragments.enumerated().map { .at(1, UInt32($0.offset), PacketBuilder.ethernet($0.element)) })))
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 2, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "FULL"),
        ])
        #expect(Set(run.frameRecords.first?["warnings"] as? [String] ?? []) == ["fragmented", "exceeds-receive-buffer"])
        #expect((run.frameRecords.first?["peers"] as? [Any])?.count == 51)
    }

    @Test("A reassembled datagram is judged whole: snap-length cut, checksum, checksum absent", arguments: ["cut", "bad-checksum", "no-checksum"])
    func reassembledJudgedWhole(damage: String) throws {
        var fragments = Self.smallFragments
        var snap: UInt32 = 262144
        var packets: [TestPacket] = []
        switch damage {
        case "cut":
            // Every fragment's capture keeps 50 bytes of its IP payload (snap length 14 + 20 + 50).
            snap = 84
        case "bad-checksum":
            fragments[2][30] ^= 0x01  // a byte of a peer name in the last fragment
        default:
            var udp = Self.smallUDP
            udp[6] = 0; udp[7] = 0
            fragments = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: udp, id: 0x6533, sizes: [104, 104])
        }
        for (step, fragment) in fragments.enumerated() {
            let frame = PacketBuilder.ethernet(fragment)
            packets.append(.at(1, UInt32(step), Array(frame.prefix(Int(snap))), originalLength: frame.count))
        }
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets, snapLength: snap)))
        #expect(run.status == 0)
        let records = run.datagramRecords
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record["n"] as? Int == 3)
        switch damage {
        case "cut":
            #expect(record["reason"] as? String == "truncated-capture")
            #expect(record["length"] as? Int == 298)
            // Captured without a hole: the first fragment's 50 bytes, less the UDP header.
            #expect(record["offset"] as? Int == 50 - 8)
            #expect(record["hex"] as? String == hex(Array(Self.smallUDP[8..<50])))
        case "bad-checksum":
            #expect(record["reason"] as? String == "bad-udp-checksum")
            #expect(record["length"] as? Int == 298)
        default:
            #expect(record["type"] as? String == "FULL")
            #expect(record["warnings"] as? [String] == ["fragmented"])
            #expect(summaryCount(run.summaryRecord, "checksums", "absent") == 1)
        }
    }

    @Test("Fragments interleaved with other frames and with another sender's datagram of the same id")
    func interleaved() throws {
        let other = DiscoveryPayload.sortedFull(sender: "10.37.0.30", count: 4)
        let otherUDP = PacketBuilder.udp(src: "10.37.0.30", dst: "255.255.255.255", sport: 40000, dport: 37020, payload: other.payload)
        let otherFragments = PacketBuilder.fragments(src: "10.37.0.30", dst: "255.255.255.255", udp: otherUDP, id: 0x6533, sizes: [80])
        let packets: [TestPacket] = [
            .at(1, 0, PacketBuilder.ethernet(Self.smallFragments[0])),     // 1
            .at(1, 1, PacketBuilder.ethernet(otherFragments[1])),          // 2
            .at(1, 2, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.21")),  // 3
            .at(1, 3, PacketBuilder.ethernet(Self.smallFragments[1])),     // 4
            .at(1, 4, PacketBuilder.ethernet(otherFragments[0])),          // 5: completes 10.37.0.30's
            .at(1, 5, PacketBuilder.ethernet(Self.smallFragments[2])),     // 6: completes 10.37.0.20's
        ]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 3, src: "10.37.0.21", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
            RecordFields(n: 5, src: "10.37.0.30", dst: "255.255.255.255", sport: 40000, dport: 37020, type: "FULL"),
            RecordFields(n: 6, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "FULL"),
        ])
        #expect((run.frameRecords[1]["peers"] as? [[String: Any]])?.first?["ip"] as? String == "10.37.0.30")
        #expect(run.malformedRecords.isEmpty)
    }

    @Test("Fragments of a datagram on another port produce nothing, complete or not")
    func otherPort() throws {
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "10.37.0.1", sport: 5353, dport: 5353, payload: [UInt8](repeating: 0x42, count: 400))
        let fragments = PacketBuilder.fragments(src: "10.37.0.20", dst: "10.37.0.1", udp: udp, id: 99, sizes: [200])
        let incomplete = PacketBuilder.fragments(src: "10.37.0.20", dst: "10.37.0.1", udp: udp, id: 100, sizes: [200])
        let packets: [TestPacket] = fragments.map { .at(1, 0, PacketBuilder.ethernet($0)) } + [.at(2, 0, PacketBuilder.ethernet(incomplete[0]))]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        #expect(run.datagramRecords.isEmpty)
        #expect(run.summaryRecord?["packets_matched"] as? Int == 0)
        #expect(run.summaryRecord?["packets_read"] as? Int == 3)
    }

    struct IncompleteCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Which of the three fragments arrive.
        var arrive: [Int]
        var testDescription: String { name }
    }

    @Test("A set whose last fragment never came is `incomplete-fragments` at the end of the input", arguments: [
        IncompleteCase(name: "only the first of three", arrive: [0]),
        IncompleteCase(name: "the first two of three", arrive: [0, 1]),
        IncompleteCase(name: "the second, then the first", arrive: [1, 0]),
    ])
    func incompleteAtEnd(example: IncompleteCase) throws {
        var packets: [TestPacket] = [.at(0, 0, dnsPacket())]
        for (step, index) in example.arrive.enumerated() {
            packets.append(.at(1, UInt32(step), PacketBuilder.ethernet(Self.smallFragments[index])))
        }
        packets.append(.at(5, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.21")))
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        // Reported at the end: after the HELLO that came later.
        #expect(run.datagramRecords.map { $0["kind"] as? String } == ["frame", "malformed"])
        let record = try #require(run.malformedRecords.first)
        #expect(RecordFields(record).kind == "malformed" && RecordFields(record).type == "incomplete-fragments")
        #expect(RecordFields(record).src == "10.37.0.20" && RecordFields(record).dst == "255.255.255.255")
        #expect(RecordFields(record).sport == 45123 && RecordFields(record).dport == 37020)
        let fragmentNumbers = Array(2..<(2 + example.arrive.count))
        #expect(fragmentNumbers.contains(record["n"] as? Int ?? 0))
        // `length` is the payload's length, from the UDP header in the first fragment.
        #expect(record["length"] as? Int == 298)
        // What was captured of the payload, up to the first missing byte, which is where `offset` points.
        let contiguous = example.arrive.contains(1) ? 208 : 104
        let expectedHex = hex(Array(Self.smallUDP[8..<contiguous]))
        if contiguous == 104 {
            #expect(record["offset"] as? Int == contiguous - 8)
            #expect(record["hex"] as? String == expectedHex)
        } else {
            do {
            #expect(record["offset"] as? Int == contiguous - 8)
            #expect(record["hex"] as? String == expectedHex)
        }
        }
        #expect(summaryCount(run.summaryRecord, "malformed_by_reason", "incomplete-fragments") == 1)
    }

    @Test("The first fragment missing: the port is unknown, so nothing is reported as discovery")
    func firstFragmentMissing() throws {
        let packets: [TestPacket] = [.at(1, 0, PacketBuilder.ethernet(Self.smallFragments[1])), .at(1, 1, PacketBuilder.ethernet(Self.smallFragments[2]))]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        #expect(run.datagramRecords.isEmpty)
    }

    struct TimeoutCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// When the next frame comes, after the lone fragment (seconds, microseconds).
        var later: (UInt32, UInt32)
        var givenUpBefore: Bool
        var testDescription: String { name }
    }

    @Test("A set is given up when a packet more than 30 s of capture time later arrives", arguments: [
        TimeoutCase(name: "29 s later: still waiting, reported at the end", later: (29, 0), givenUpBefore: false),
        TimeoutCase(name: "exactly 30 s later: still waiting", later: (30, 0), givenUpBefore: false),
        TimeoutCase(name: "30.000001 s later: given up first", later: (30, 1), givenUpBefore: true),
        TimeoutCase(name: "31 s later: given up first", later: (31, 0), givenUpBefore: true),
    ])
    func timeoutEndToEnd(example: TimeoutCase) throws {
        let packets: [TestPacket] = [
            .at(1, 0, PacketBuilder.ethernet(Self.smallFragments[0])),
            .at(1 + example.later.0, example.later.1, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.21")),
        ]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        let kinds = run.datagramRecords.map { $0["kind"] as? String ?? "" }
        #expect(kinds == (example.givenUpBefore ? ["malformed", "frame"] : ["frame", "malformed"]))
        let record = try #require(run.malformedRecords.first)
        #expect(record["reason"] as? String == "incomplete-fragments" && record["n"] as? Int == 1)
        #expect(record["ts"] as? String == "2026-11-25T12:00:01.000000Z")
    }

    @Test("The last fragment coming after the timeout cannot complete the given-up set")
    func lateLastFragment() throws {
        let packets: [TestPacket] = [
            .at(1, 0, PacketBuilder.ethernet(Self.smallFragments[0])),
            .at(1, 1, PacketBuilder.ethernet(Self.smallFragments[1])),
            .at(40, 0, PacketBuilder.ethernet(Self.smallFragments[2])),
        ]
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)))
        #expect(run.status == 0)
        #expect(run.frameRecords.isEmpty)
        #expect(run.malformedRecords.map { $0["reason"] as? String } == ["incomplete-fragments"])
        #expect([1, 2].contains(run.malformedRecords.first?["n"] as? Int ?? 0))
    }

    // MARK: A real capture

    static let big = Paths.sharedCaptures.appendingPathComponent("big")

    /// Packets 4670–4719 of the real `big` capture (45 boards): FULLs of 1482
    /// bytes in two fragments each. Every row of tshark's reading is a record of
    /// peersniff's, renumbered by the slice; cutting at 4720 leaves a first fragment alone.
    @Test("A slice of the real `big` capture matches tshark's reassembly",
          .enabled(if: FileManager.default.fileExists(atPath: big.appendingPathComponent("bridge.pcap").path) && toolAvailable("editcap") && toolAvailable("gzip")),
          arguments: [4719, 4720])
    func realFragments(last: Int) throws {
        let slice = Paths.temporaryFolder().appendingPathComponent("slice.pcap").path
        let made = try runProgram(try toolPath("editcap"), ["-F", "pcap", "-r", Self.big.appendingPathComponent("bridge.pcap").path, slice, "4670-\(last)"])
        #expect(made.status == 0, "\(made.stderr)")
        let table = try runProgram(try toolPath("gzip"), ["-dc", Self.big.appendingPathComponent("frames.tsv.gz").path])
        let rows = table.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            .filter { (4670...last).contains(Int($0[0]) ?? 0) }
        let fragmented = try String(contentsOf: Self.big.appendingPathComponent("fragments.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: "\t")[0]) }
        let run = try peersniffJSON(slice)
        #expect(run.status == 0)
        #expect(run.frameRecords.count == rows.count)
        for (record, row) in zip(run.frameRecords, rows) {
            let number = Int(row[0])!
            #expect(RecordFields(record) == RecordFields(n: number - 4669, src: row[2], dst: row[3], sport: Int(row[4])!, dport: Int(row[5])!, type: RecordFields(record).type))
            #expect(record["ts"] as? String == rfc3339(epoch: row[1], digits: 6))
            #expect(((record["warnings"] as? [String]) ?? []).contains("fragmented") == fragmented.contains(number))
        }
        #expect(run.frameRecords.filter { ($0["warnings"] as? [String] ?? []).contains("fragmented") }.count == 7)
        if last == 4720 {
            #expect(run.malformedRecords.map(RecordFields.init) == [
                RecordFields(kind: "malformed", n: 4720 - 4669, src: "10.37.0.100", dst: "255.255.255.255", sport: 54408, dport: 37020, type: "incomplete-fragments"),
            ])
            #expect(run.malformedRecords.first?["length"] as? Int == 1482)
        } else {
            #expect(run.malformedRecords.isEmpty)
        }
    }
}
