import Foundation

/// One thing `--malformed` must report about `Fixtures/malformed/every-code.pcap`:
/// a malformed datagram or one warning on a decoded frame, with what the report
/// must say about it, derived from how the packet was built.
public struct ExpectedProblem: Sendable, CustomStringConvertible {
    /// The record's packet number (for a reassembled frame: the packet that completed it).
    public var n: Int
    /// The source address, as peersniff prints it.
    public var source: String
    /// A contract `reason` (malformed) or warning code.
    public var code: String
    public var isWarning: Bool
    /// Where the element that could not be read begins (CONTRACT.md); nil: the
    /// warning is about the whole datagram.
    public var offset: Int?
    /// The payload bytes as captured (what the hex dump and `hex` show).
    public var payload: [UInt8]
    /// The payload's length as declared (`length`): more than `payload.count` when cut.
    public var length: Int
    /// The capture's packets behind the record (all fragments of a datagram).
    public var packets: [Int]

    public var description: String { "#\(n) \(source) \(code)" + (offset.map { " at \($0)" } ?? "") }

    public init(n: Int, source: String, code: String, isWarning: Bool, offset: Int?, payload: [UInt8], length: Int, packets: [Int]) {
        self.n = n; self.source = source; self.code = code; self.isWarning = isWarning; self.offset = offset
        self.payload = payload; self.length = length; self.packets = packets
    }
}

/// The generator of `Fixtures/malformed/every-code.pcap`: every `malformed` reason
/// and every warning of CONTRACT.md, each from its own source address, and one
/// clean HELLO that must not be reported. Packet k is stamped
/// 2026-11-25T12:00:k.00k000Z. `PEERSNIFF_WRITE_FIXTURES=1 swift test --filter
/// MalformedReportTests` rewrites the file; otherwise a test checks that the
/// committed file is exactly what this generator makes.
public enum EveryCodeFixture {
    public static let relativePath = "malformed/every-code.pcap"
    public static var path: String { Paths.fixture(relativePath) }

    /// Every malformed reason and warning code of CONTRACT.md.
    public static let contractReasons = ["empty", "unknown-type", "truncated-header", "truncated-name", "truncated-peer",
                                  "trailing-bytes", "bad-json", "truncated-capture", "bad-udp-checksum",
                                  "incomplete-fragments", "not-ipv4"]
    public static let contractWarnings = ["name-not-utf8", "name-cut-mid-character", "name-too-long", "too-many-peers",
                                   "full-sender-not-first", "full-not-sorted", "full-duplicate-ip",
                                   "exceeds-receive-buffer", "fragmented"]

    /// The clean frame's packet and source: reported nowhere.
    public static let cleanPacket = 22
    public static let cleanSource = "10.99.0.22"

    public static let built: (packets: [TestPacket], problems: [ExpectedProblem]) = build()
    public static var packets: [TestPacket] { built.packets }
    public static var problems: [ExpectedProblem] { built.problems }
    public static var data: Data { makeCapture(packets) }

    /// A FULL entry's bytes.
    public static func entry(_ ip: String, _ name: [UInt8]) -> [UInt8] { PacketBuilder.ip(ip) + [UInt8(name.count)] + name }
    public static func entry(_ ip: String, _ name: String) -> [UInt8] { entry(ip, Array(name.utf8)) }

    private static func build() -> ([TestPacket], [ExpectedProblem]) {
        var packets: [TestPacket] = []
        var problems: [ExpectedProblem] = []
        let broadcast = "255.255.255.255"
        let sport: UInt16 = 45123

        func add(_ bytes: [UInt8], originalLength: Int? = nil) -> Int {
            let k = UInt32(packets.count + 1)
            packets.append(.at(k, k * 1000, bytes, originalLength: originalLength))
            return packets.count
        }
        /// A whole discovery datagram from `src`; `problem` says what the report must show.
        func datagram(_ src: String, _ payload: [UInt8], code: String, warning: Bool = false, offset: Int?) {
            let n = add(PacketBuilder.discovery(payload, src: src, dst: broadcast, sport: sport))
            problems.append(ExpectedProblem(n: n, source: src, code: code, isWarning: warning, offset: offset,
                                            payload: payload, length: payload.count, packets: [n]))
        }

        // 1 empty: nothing to read; the type byte would be at 0.
        datagram("10.99.0.1", [], code: "empty", offset: 0)
        // 2 unknown-type: type byte 0x07 at 0.
        datagram("10.99.0.2", [0x07, 0x41, 0x42], code: "unknown-type", offset: 0)
        // 3 truncated-header: an OFFLINE with two of its four address bytes; the frame (its type byte) at 0.
        datagram("10.99.0.3", [0x05, 10, 99], code: "truncated-header", offset: 0)
        // 4 truncated-name: a HELLO announcing 10 name bytes with 5 present; the name begins at 2.
        datagram("10.99.0.4", [0x01, 10] + Array("Short".utf8), code: "truncated-name", offset: 2)
        // 5 truncated-peer: FULL of 2 entries; the first (5 + 9 bytes) is whole, the second begins at 2 + 14 = 16.
        let first5 = entry("10.99.0.5", "Peer Five")
        datagram("10.99.0.5", [0x02, 2] + first5 + PacketBuilder.ip("10.99.0.50") + [8] + Array("abc".utf8),
                 code: "truncated-peer", offset: 2 + first5.count)
        // 6 trailing-bytes: HELLO "Six" (5 bytes) then two extra bytes; the first extra is at 5.
        datagram("10.99.0.6", [0x01, 3] + Array("Six".utf8) + [0xDE, 0xAD], code: "trailing-bytes", offset: 5)
        // 7 bad-json: the value after "name": is `?`, which no JSON value begins with.
        let jsonHead = #"{"version":"1.4.0","name":"#
        datagram("10.99.0.7", Array((jsonHead + "?}").utf8), code: "bad-json", offset: 0)

        // 8 truncated-capture: a 27-byte HELLO whose packet the snap length cut after 12 payload bytes;
        // the first byte not captured is at 12.
        do {
            let src = "10.99.0.8"
            let payload = [0x01, 25] + Array("Snap length cut this name".utf8)
            let whole = PacketBuilder.discovery(payload, src: src, dst: broadcast, sport: sport)
            let kept = 12
            let n = add(Array(whole.prefix(14 + 20 + 8 + kept)), originalLength: whole.count)
            problems.append(ExpectedProblem(n: n, source: src, code: "truncated-capture", isWarning: false, offset: kept,
                                            payload: Array(payload.prefix(kept)), length: payload.count, packets: [n]))
        }
        // 9 bad-udp-checksum: a good HELLO whose checksum is wrong (non-zero, not the offloaded pattern); nothing
        // of the payload can be trusted: 0.
        do {
            let src = "10.99.0.9"
            let payload = [0x01, 12] + Array("Bad checksum".utf8)
            let good = PacketBuilder.udp(src: src, dst: broadcast, sport: sport, dport: 37020, payload: payload)
            let right = UInt16(good[6]) << 8 | UInt16(good[7])
            let wrong = right ^ 0x5A5A
            precondition(wrong != 0 && wrong != right
                         && wrong != PacketBuilder.offloadedChecksum(src: src, dst: broadcast, udpLength: good.count))
            let udp = PacketBuilder.udp(src: src, dst: broadcast, sport: sport, dport: 37020, payload: payload, checksum: wrong)
            let n = add(PacketBuilder.ethernet(PacketBuilder.ipv4(src: src, dst: broadcast, payload: udp)))
            problems.append(ExpectedProblem(n: n, source: src, code: "bad-udp-checksum", isWarning: false, offset: 0,
                                            payload: payload, length: payload.count, packets: [n]))
        }
        // 10 incomplete-fragments: the first fragment (UDP header + 16 payload bytes) of a 26-byte FULL; the
        // rest never comes. What is missing begins at 16. Reported at the end of the input.
        do {
            let src = "10.99.0.10"
            let payload = [0x02, 2] + entry(src, "Ten") + entry("10.99.0.100", "One hundred")
            let udp = PacketBuilder.udp(src: src, dst: broadcast, sport: sport, dport: 37020, payload: payload)
            let pieces = PacketBuilder.fragments(src: src, dst: broadcast, udp: udp, id: 0x0A0A, sizes: [24])
            precondition(pieces.count == 2)
            let n = add(PacketBuilder.ethernet(pieces[0]))
            problems.append(ExpectedProblem(n: n, source: src, code: "incomplete-fragments", isWarning: false, offset: 16,
                                            payload: Array(payload.prefix(16)), length: payload.count, packets: [n]))
        }
        // 11 not-ipv4: a HELLO over UDP/IPv6 to 37020; not decoded: 0.
        do {
            let src = "fd00::99:11"
            let payload = [0x01, 9] + Array("Over IPv6".utf8)
            let ip6 = PacketBuilder.ipv6UDP(src: src, dst: "ff02::1", sport: sport, dport: 37020, payload: payload)
            let n = add(LinkFraming.ethernet.frame(ip6, ipv6: true))
            problems.append(ExpectedProblem(n: n, source: src, code: "not-ipv4", isWarning: false, offset: 0,
                                            payload: payload, length: payload.count, packets: [n]))
        }

        // Warnings: each frame carries exactly one. A name's place is its length byte (WarningLocator).
        // 12 name-not-utf8: a FULL listing only its sender, whose name holds 0xFF; the length byte is at 2 + 4.
        datagram("10.99.0.12", [0x02, 1] + entry("10.99.0.12", Array("Twelve ".utf8) + [0xFF] + Array("x".utf8)),
                 code: "name-not-utf8", warning: true, offset: 6)
        // 13 name-cut-mid-character: the second entry's name is 32 bytes ending in `e3 83` (a katakana character
        // cut by the firmware's 32-byte cut, as 10.37.0.105's in the big capture); its length byte is at 18 + 4.
        do {
            let first = entry("10.99.0.13", "Registry 13")
            let cut = Array("Pinball Bar 05 ...............".utf8) + [0xE3, 0x83]
            precondition(cut.count == 32)
            datagram("10.99.0.13", [0x02, 2] + first + entry("10.99.0.113", cut),
                     code: "name-cut-mid-character", warning: true, offset: 2 + first.count + 4)
        }
        // 14 name-too-long: a HELLO whose name is 33 ASCII bytes; the length byte is at 1.
        datagram("10.99.0.14", [0x01, 33] + Array(String(repeating: "L", count: 33).utf8),
                 code: "name-too-long", warning: true, offset: 1)
        // 15 too-many-peers: a FULL of 52 entries (sender first, the rest sorted, empty names); the count at 1.
        do {
            var payload: [UInt8] = [0x02, 52] + entry("10.99.0.15", "")
            for i in 1...51 { payload += entry("10.99.1.\(i)", "") }
            datagram("10.99.0.15", payload, code: "too-many-peers", warning: true, offset: 1)
        }
        // 16 full-sender-not-first: the sender is listed second; the first entry is at 2.
        datagram("10.99.0.16", [0x02, 2] + entry("10.99.0.160", "Other") + entry("10.99.0.16", "Sixteen"),
                 code: "full-sender-not-first", warning: true, offset: 2)
        // 17 full-not-sorted: .179 then .171 after the sender; the entry out of order is the third, at 2 + 6 + 6.
        datagram("10.99.0.17", [0x02, 3] + entry("10.99.0.17", "S") + entry("10.99.0.179", "B") + entry("10.99.0.171", "A"),
                 code: "full-not-sorted", warning: true, offset: 14)
        // 18 full-duplicate-ip: .181 listed twice; the second listing is the third entry, at 2 + 6 + 6.
        datagram("10.99.0.18", [0x02, 3] + entry("10.99.0.18", "S") + entry("10.99.0.181", "A") + entry("10.99.0.181", "A"),
                 code: "full-duplicate-ip", warning: true, offset: 14)
        // 19 exceeds-receive-buffer: a firmware-shaped FULL of 28 entries with 32-byte names, 2 + 28 × 37 =
        // 1038 bytes (one packet on a 1500-byte MTU); the first byte past the boards' buffer is 1024.
        do {
            func name(_ i: Int) -> String { let head = "Board \(i) "; return head + String(repeating: "-", count: 32 - head.count) }
            var payload: [UInt8] = [0x02, 28] + entry("10.99.0.19", name(0))
            for i in 1...27 { payload += entry("10.99.2.\(i)", name(i)) }
            precondition(payload.count == 1038)
            datagram("10.99.0.19", payload, code: "exceeds-receive-buffer", warning: true, offset: 1024)
        }
        // 20-21 fragmented: a clean FULL sent as two IP fragments; the warning is about the whole datagram
        // (no offset), and the record is numbered by the fragment that completed it.
        do {
            let src = "10.99.0.20"
            let payload = [0x02, 2] + entry(src, "Twenty") + entry("10.99.0.201", "Two hundred one")
            let udp = PacketBuilder.udp(src: src, dst: broadcast, sport: sport, dport: 37020, payload: payload)
            let pieces = PacketBuilder.fragments(src: src, dst: broadcast, udp: udp, id: 0x1414, sizes: [24])
            precondition(pieces.count == 2)
            let first = add(PacketBuilder.ethernet(pieces[0]))
            let last = add(PacketBuilder.ethernet(pieces[1]))
            problems.append(ExpectedProblem(n: last, source: src, code: "fragmented", isWarning: true, offset: nil,
                                            payload: payload, length: payload.count, packets: [first, last]))
        }
        // 22: a clean HELLO, in no report.
        let clean = add(PacketBuilder.discovery([0x01, 5] + Array("Clean".utf8), src: cleanSource, dst: broadcast, sport: sport))
        precondition(clean == cleanPacket)
        return (packets, problems)
    }
}
