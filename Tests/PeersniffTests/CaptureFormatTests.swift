import Foundation
import Testing
@testable import Capture
import WireBytes
import EndToEndSupport
import TestSupport

/// Every capture container and link type peersniff reads, end to end through the
/// binary (`peersniff -r FILE --json`): files written byte by byte here, and files
/// made by text2pcap, editcap and tcpdump.
@Suite("Capture formats")
struct CaptureFormatTests {

    // MARK: Link types

    /// The packets of the link-type test, framed one way: a DNS query (not ours),
    /// a HELLO broadcast, a unicast PING and PONG, and UDP over IPv6 to the port.
    static func linkTypePackets(_ framing: LinkFraming) -> [TestPacket] {
        let hello = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255",
                                       payload: PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020,
                                                                  payload: DiscoveryPayload.hello("Attack from Mars")))
        let ping = PacketBuilder.ipv4(src: "10.37.0.20", dst: "10.37.0.21",
                                      payload: PacketBuilder.udp(src: "10.37.0.20", dst: "10.37.0.21", sport: 45123, dport: 37020,
                                                                 payload: DiscoveryPayload.ping))
        let pong = PacketBuilder.ipv4(src: "10.37.0.21", dst: "10.37.0.20",
                                      payload: PacketBuilder.udp(src: "10.37.0.21", dst: "10.37.0.20", sport: 51000, dport: 37020,
                                                                 payload: DiscoveryPayload.pong))
        var packets: [TestPacket] = [
            .at(0, 0, dnsPacket(framing: framing)),
            .at(1, 0, framing.frame(hello)),
            .at(2, 0, framing.frame(ping)),
            .at(3, 0, framing.frame(pong)),
        ]
        if framing != .rawIPv4 {  // LINKTYPE_IPV4 carries IPv4 only
            let v6 = PacketBuilder.ipv6UDP(src: "fe80::1", dst: "ff02::1", sport: 45123, dport: 37020,
                                           payload: DiscoveryPayload.hello("Attack from Mars"))
            packets.append(.at(4, 0, framing.frame(v6, ipv6: true)))
        }
        return packets
    }

    @Test("Every link type gives the same frame records", arguments: LinkFraming.allCases, [false, true])
    func everyLinkType(framing: LinkFraming, pcapng: Bool) throws {
        let big = framing.fileIsBigEndian
        let format: PcapFormat = pcapng ? .pcapng(bigEndian: big, nanoseconds: false) : .pcap(bigEndian: big, nanoseconds: false)
        let path = try writeTestCapture(makeCapture(Self.linkTypePackets(framing), linkType: framing.linkType, format: format))
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 2, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
            RecordFields(n: 3, src: "10.37.0.20", dst: "10.37.0.21", sport: 45123, dport: 37020, type: "PING"),
            RecordFields(n: 4, src: "10.37.0.21", dst: "10.37.0.20", sport: 51000, dport: 37020, type: "PONG"),
        ])
        #expect(run.frameRecords.first?["name"] as? String == "Attack from Mars")
        #expect(run.frameRecords.allSatisfy { $0["warnings"] == nil })
        if framing == .rawIPv4 {
            #expect(run.malformedRecords.isEmpty)
        } else {
            #expect(run.malformedRecords.map(RecordFields.init) == [
                RecordFields(kind: "malformed", n: 5, src: "fe80::1", dst: "ff02::1", sport: 45123, dport: 37020, type: "not-ipv4"),
            ])
        }
        let summary = run.summaryRecord
        #expect(summary?["packets_read"] as? Int == (framing == .rawIPv4 ? 4 : 5))
        #expect(summaryCount(summary, "frames_by_type", "HELLO") == 1)
        #expect(summaryCount(summary, "checksums", "valid") == 3)
    }

    // MARK: Containers and timestamp precision

    struct FormatCase: Sendable, CustomTestStringConvertible {
        var name: String
        var format: PcapFormat
        var nanoseconds: Bool
        var testDescription: String { name }
    }

    static let formats: [FormatCase] = [
        FormatCase(name: "pcap, little-endian, µs", format: .pcap(bigEndian: false, nanoseconds: false), nanoseconds: false),
        FormatCase(name: "pcap, big-endian, µs", format: .pcap(bigEndian: true, nanoseconds: false), nanoseconds: false),
        FormatCase(name: "pcap, little-endian, ns", format: .pcap(bigEndian: false, nanoseconds: true), nanoseconds: true),
        FormatCase(name: "pcap, big-endian, ns", format: .pcap(bigEndian: true, nanoseconds: true), nanoseconds: true),
        FormatCase(name: "pcapng, little-endian, µs", format: .pcapng(bigEndian: false, nanoseconds: false), nanoseconds: false),
        FormatCase(name: "pcapng, big-endian, µs", format: .pcapng(bigEndian: true, nanoseconds: false), nanoseconds: false),
        FormatCase(name: "pcapng, little-endian, if_tsresol 9", format: .pcapng(bigEndian: false, nanoseconds: true), nanoseconds: true),
        FormatCase(name: "pcapng, big-endian, if_tsresol 9", format: .pcapng(bigEndian: true, nanoseconds: true), nanoseconds: true),
    ]

    /// A HELLO at 12:00:01.234567(891) and a PING 5 units past 12:00:02.
    static func precisionPackets(nanoseconds: Bool) -> [TestPacket] {
        [
            .at(1, nanoseconds ? 234_567_891 : 234_567, PacketBuilder.discovery(DiscoveryPayload.hello("Black Knight"))),
            .at(2, 5, PacketBuilder.discovery(DiscoveryPayload.ping, dst: "10.37.0.21")),
        ]
    }

    @Test("ts keeps the capture's own precision: 6 digits for µs, 9 for ns", arguments: formats)
    func timestampPrecision(format: FormatCase) throws {
        let path = try writeTestCapture(makeCapture(Self.precisionPackets(nanoseconds: format.nanoseconds), format: format.format))
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let expected = format.nanoseconds
            ? ["2026-11-25T12:00:01.234567891Z", "2026-11-25T12:00:02.000000005Z"]
            : ["2026-11-25T12:00:01.234567Z", "2026-11-25T12:00:02.000005Z"]
        #expect(run.frameRecords.map { $0["ts"] as? String } == expected)
        #expect(run.frameRecords.map { $0["type"] as? String } == ["HELLO", "PING"])
        #expect(run.frameRecords.map { $0["n"] as? Int } == [1, 2])
        #expect(run.frameRecords.first?["name"] as? String == "Black Knight")
    }

    @Test("The capture's precision is read from its first bytes", arguments: formats)
    func nativePrecisionOfHeader(format: FormatCase) {
        let bytes = [UInt8](makeCapture([], format: format.format))
        let precision = bytes.withUnsafeBytes { nativePrecision(ofCaptureHeader: $0) }
        #expect(precision == (format.nanoseconds ? .nanoseconds : .microseconds))
    }

    @Test("pcapng if_tsresol: powers of ten and of two", arguments: [
        (UInt8(6), Timestamp.Precision.microseconds), (3, .microseconds), (9, .nanoseconds), (12, .nanoseconds),
        (0x80 | 20, .microseconds), (0x80 | 30, .nanoseconds),
    ])
    func pcapngResolution(resolution: UInt8, expected: Timestamp.Precision) {
        var bytes = [UInt8](makeCapture([], format: .pcapng(bigEndian: false, nanoseconds: true)))
        // The option's value byte: SHB (28) + IDB head (16) + option header (4).
        #expect(bytes[28 + 16] == 9 && bytes[28 + 16 + 4] == 9)
        bytes[28 + 16 + 4] = resolution
        #expect(bytes.withUnsafeBytes { nativePrecision(ofCaptureHeader: $0) } == expected)
    }

    /// A pcapng file as other writers make it: options in the section header, and
    /// the interface's name and description before its if_tsresol.
    static func pcapngWithOptions(bigEndian big: Bool, resolution: UInt8?, packets: [(seconds: UInt64, fraction: UInt64, bytes: [UInt8])]) -> Data {
        var out = Data()
        func u16(_ v: UInt16) { var x = big ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { var x = big ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        func option(_ code: UInt16, _ value: [UInt8]) -> Int {
            u16(code); u16(UInt16(value.count)); out.append(contentsOf: value)
            let pad = (4 - value.count % 4) % 4
            out.append(contentsOf: [UInt8](repeating: 0, count: pad))
            return 4 + value.count + pad
        }
        func block(_ type: UInt32, _ body: () -> Void) {
            let start = out.count
            u32(type); u32(0)
            body()
            let length = UInt32(out.count - start + 4)
            u32(length)
            let bytes = big ? length.bigEndian : length.littleEndian
            withUnsafeBytes(of: bytes) { out.replaceSubrange((start + 4)..<(start + 8), with: $0) }
        }
        block(0x0A0D_0D0A) {
            u32(0x1A2B_3C4D); u16(1); u16(0); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF)
            _ = option(4, Array(String(repeating: "a capture tool with a long name ", count: 200).utf8))  // shb_userappl, 6400 bytes
            _ = option(0, [])
        }
        block(1) {
            u16(1); u16(0); u32(262144)
            _ = option(2, Array("eth0".utf8))             // if_name
            _ = option(3, Array("the LAN port".utf8))     // if_description
            if let resolution { _ = option(9, [resolution]) }
            _ = option(0, [])
        }
        for p in packets {
            block(6) {
                let units = p.seconds * (resolution == 9 ? 1_000_000_000 : 1_000_000) + p.fraction
                u32(0); u32(UInt32(units >> 32)); u32(UInt32(units & 0xFFFF_FFFF))
                u32(UInt32(p.bytes.count)); u32(UInt32(p.bytes.count))
                out.append(contentsOf: p.bytes)
                out.append(contentsOf: [UInt8](repeating: 0, count: (4 - p.bytes.count % 4) % 4))
            }
        }
        return out
    }

    @Test("pcapng with section options and if_tsresol after other interface options", arguments: [false, true], [UInt8?.none, 6, 9])
    func pcapngOptions(bigEndian: Bool, resolution: UInt8?) throws {
        let hello = PacketBuilder.discovery(DiscoveryPayload.hello("Medieval Madness"))
        let nano = resolution == 9
        let data = Self.pcapngWithOptions(bigEndian: bigEndian, resolution: resolution,
                                          packets: [(UInt64(CaptureClock.base) + 1, nano ? 234_567_891 : 234_567, hello)])
        #expect(data.count > 6400)
        let precision = [UInt8](data).withUnsafeBytes { nativePrecision(ofCaptureHeader: $0) }
        let path = try writeTestCapture(data, name: "options.pcapng")
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map { $0["ts"] as? String } == [nano ? "2026-11-25T12:00:01.234567891Z" : "2026-11-25T12:00:01.234567Z"])
        #expect(run.frameRecords.first?["name"] as? String == "Medieval Madness")
        #expect(precision == (nano ? .nanoseconds : .microseconds))
        let fromStdin = try peersniffJSON("-", stdin: data)
        #expect(fromStdin.status == 0, "stderr: \(fromStdin.stderr)")
        #expect(fromStdin.stdout == run.stdout)
    }

    @Test("The head of a pcapng file is read to its first interface block, a byte at a time if need be")
    func captureHeadReading() {
        let data = [UInt8](Self.pcapngWithOptions(bigEndian: true, resolution: 9, packets: [(1, 2, [0x45])]))
        var offset = 0
        let head = captureHead { count in
            let take = min(1, count, data.count - offset)  // the slowest pipe
            defer { offset += take }
            return Array(data[offset..<(offset + take)])
        }
        let idbEnd = data.count - 36  // one packet block of 32 + 4 bytes follows
        #expect(head == Array(data[0..<idbEnd]))
        #expect(head.withUnsafeBytes { nativePrecision(ofCaptureHeader: $0) } == .nanoseconds)

        // A pcap file: the magic is enough. A block length that cannot be right: stop there.
        let pcap = [UInt8](makeCapture([], format: .pcap(bigEndian: true, nanoseconds: true)))
        var at = 0
        #expect(captureHead { count in defer { at += count }; return Array(pcap[min(at, pcap.count)..<min(at + count, pcap.count)]) }.count == 12)
        var broken = data
        broken[7] = 13  // SHB length, big-endian low byte: not a multiple of 4
        at = 0
        #expect(captureHead { count in defer { at += count }; return Array(broken[min(at, broken.count)..<min(at + count, broken.count)]) }.count == 12)
    }

    @Test("-r - reads standard input and gives the same records as the file", arguments: formats)
    func standardInput(format: FormatCase) throws {
        // More than 8 KB, so that the stream is read past any first peek.
        var packets = Self.precisionPackets(nanoseconds: format.nanoseconds)
        for i in 0..<120 { packets.append(.at(3 + UInt32(i), 0, dnsPacket())) }
        packets.append(.at(200, 7, PacketBuilder.discovery(DiscoveryPayload.offline("10.37.0.21"))))
        let data = makeCapture(packets, format: format.format)
        #expect(data.count > 8192)
        let path = try writeTestCapture(data)
        let fromFile = try peersniffJSON(path)
        let fromStdin = try peersniffJSON("-", stdin: data)
        #expect(fromStdin.status == 0, "stderr: \(fromStdin.stderr)")
        #expect(fromStdin.stdout == fromFile.stdout)
        #expect(fromStdin.frameRecords.map { $0["n"] as? Int } == [1, 2, 123])
        #expect(fromStdin.frameRecords.last?["ts"] as? String
                == (format.nanoseconds ? "2026-11-25T12:03:20.000000007Z" : "2026-11-25T12:03:20.000007Z"))
        #expect(fromStdin.summaryRecord?["packets_read"] as? Int == 123)
    }

    // MARK: Captures that tools make

    /// Writes `hex` (one packet) as a text2pcap hex dump and returns the capture text2pcap made of it.
    static func text2pcap(_ bytes: [UInt8], arguments: [String]) throws -> String {
        let folder = Paths.temporaryFolder()
        var dump = ""
        for (row, start) in stride(from: 0, to: bytes.count, by: 16).enumerated() {
            dump += String(format: "%06x ", row * 16)
            dump += bytes[start..<min(bytes.count, start + 16)].map { String(format: " %02x", $0) }.joined() + "\n"
        }
        let text = folder.appendingPathComponent("packet.txt")
        try dump.write(to: text, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("made.pcap").path
        let result = try runProgram(try toolPath("text2pcap"), ["-q"] + arguments + [text.path, output])
        #expect(result.status == 0, "text2pcap: \(result.stderr)")
        return output
    }

    struct Text2pcapCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        /// The bytes given to text2pcap: the whole frame, or just the payload when text2pcap adds the headers.
        var framing: LinkFraming?
        var digits: Int
        var testDescription: String { name }
    }

    static let text2pcapCases: [Text2pcapCase] = [
        Text2pcapCase(name: "Ethernet/IPv4/UDP headers by text2pcap, pcapng", arguments: ["-4", "10.37.0.20,255.255.255.255", "-u", "45123,37020"], framing: nil, digits: 9),
        Text2pcapCase(name: "Ethernet/IPv4/UDP headers by text2pcap, pcap", arguments: ["-F", "pcap", "-4", "10.37.0.20,255.255.255.255", "-u", "45123,37020"], framing: nil, digits: 6),
        Text2pcapCase(name: "raw IP (-l 101) headers by text2pcap, nsecpcap", arguments: ["-F", "nsecpcap", "-l", "101", "-4", "10.37.0.20,255.255.255.255", "-u", "45123,37020"], framing: nil, digits: 9),
        Text2pcapCase(name: "Linux SLL frame, -l 113", arguments: ["-F", "pcap", "-l", "113"], framing: .linuxSLL, digits: 6),
        Text2pcapCase(name: "Linux SLL2 frame, -l 276", arguments: ["-l", "276"], framing: .linuxSLL2, digits: 9),
        Text2pcapCase(name: "QinQ frame, -l 1", arguments: ["-F", "pcap", "-l", "1"], framing: .qinq, digits: 6),
        Text2pcapCase(name: "LOOP frame, -l 108", arguments: ["-F", "pcap", "-l", "108"], framing: .loop, digits: 6),
    ]

    @Test("Captures made by text2pcap", .enabled(if: toolAvailable("text2pcap")), arguments: text2pcapCases)
    func madeByText2pcap(tool: Text2pcapCase) throws {
        let payload = DiscoveryPayload.hello("Attack from Mars")
        let bytes: [UInt8]
        if let framing = tool.framing {
            bytes = framing.frame(PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255",
                                                     payload: PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: payload)))
        } else {
            bytes = payload
        }
        let path = try Self.text2pcap(bytes, arguments: tool.arguments)
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 1, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
        ])
        #expect(run.frameRecords.first?["name"] as? String == "Attack from Mars")
        let ts = run.frameRecords.first?["ts"] as? String ?? ""
        #expect(fractionDigits(ts) == tool.digits, "ts \(ts)")
    }

    struct ConversionCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// The tool and its arguments; INPUT and OUTPUT are replaced by the paths.
        var command: [String]
        var digits: Int
        var testDescription: String { name }
    }

    static let conversions: [ConversionCase] = [
        ConversionCase(name: "as captured (tcpdump, pcap µs)", command: [], digits: 6),
        ConversionCase(name: "editcap -F pcapng", command: ["editcap", "-F", "pcapng", "INPUT", "OUTPUT"], digits: 6),
        ConversionCase(name: "editcap -F nsecpcap", command: ["editcap", "-F", "nsecpcap", "INPUT", "OUTPUT"], digits: 9),
        ConversionCase(name: "tcpdump --time-stamp-precision=nano -w", command: ["tcpdump", "-r", "INPUT", "--time-stamp-precision=nano", "-w", "OUTPUT"], digits: 9),
    ]

    static let boot3 = Paths.sharedCaptures.appendingPathComponent("boot3")

    /// The real boot3 capture in each container: every row of tshark's own reading
    /// (frames.tsv: number, time, addresses, ports) is one record of peersniff's.
    @Test("A real capture, converted by editcap and tcpdump, matches tshark's reading",
          .enabled(if: FileManager.default.fileExists(atPath: boot3.appendingPathComponent("frames.tsv").path)
                   && toolAvailable("editcap") && toolAvailable("tcpdump")),
          arguments: conversions)
    func realCaptureConverted(conversion: ConversionCase) throws {
        let original = Self.boot3.appendingPathComponent("bridge.pcap").path
        var path = original
        if let tool = conversion.command.first {
            path = Paths.temporaryFolder().appendingPathComponent("converted").path
            let arguments = conversion.command.dropFirst().map { $0 == "INPUT" ? original : $0 == "OUTPUT" ? path : $0 }
            let made = try runProgram(try toolPath(tool), Array(arguments))
            #expect(made.status == 0, "\(tool): \(made.stderr)")
        }
        let rows = try TsharkTable(path: Self.boot3.appendingPathComponent("frames.tsv").path).rows
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let records = run.datagramRecords
        #expect(records.count == rows.count)
        for (record, row) in zip(records, rows) {
            let fields = RecordFields(record)
            #expect(fields.n == row.number)
            #expect(fields.src == row.source && fields.dst == row.destination)
            #expect(fields.sport == row.sourcePort && fields.dport == row.destinationPort)
            #expect(record["ts"] as? String == rfc3339(epoch: row.epoch, digits: conversion.digits))
        }
    }

    static let realCaptureNames = ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy", "big"]

    /// tshark's reading of a shared capture (frames.tsv, or frames.tsv.gz for `big`).
    static func tsharkRows(_ folder: URL, view: String) throws -> [TsharkTable.Row] {
        let plain = folder.appendingPathComponent("\(view).tsv").path
        return try TsharkTable(path: FileManager.default.fileExists(atPath: plain) ? plain : plain + ".gz").rows
    }

    /// Every real capture, from the bridge and from a board: one record per row of
    /// tshark's reading (its reassembly included), same number, time, addresses, ports.
    @Test("Every real capture matches tshark's reading, packet for packet",
          .enabled(if: FileManager.default.fileExists(atPath: Paths.sharedCaptures.path) && toolAvailable("gzip")),
          arguments: realCaptureNames, [("bridge.pcap", "frames"), ("board-view.pcap", "frames-board-view")])
    func realCaptures(name: String, view: (pcap: String, tsv: String)) throws {
        let folder = Paths.sharedCaptures.appendingPathComponent(name)
        let path = folder.appendingPathComponent(view.pcap).path
        let rows = try Self.tsharkRows(folder, view: view.tsv)
        let run = try peersniffJSON(path)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let records = run.datagramRecords
        #expect(records.count == rows.count)
        var mismatches = 0
        for (record, row) in zip(records, rows) {
            let fields = RecordFields(record)
            let same = fields.n == row.number && fields.src == row.source && fields.dst == row.destination
                && fields.sport == row.sourcePort && fields.dport == row.destinationPort
                && record["ts"] as? String == rfc3339(epoch: row.epoch, digits: 6)
            if !same {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(fields) \(record["ts"] ?? "") ≠ tshark \(row)") }
            }
        }
        #expect(mismatches == 0)
        // The text output reads the same capture to the end.
        let text = try runPeersniff(["-r", path])
        do {
        #expect(text.status == 0, "text output: status \(text.status)")
    }
    }
}

/// How many digits follow the decimal point in an RFC 3339 time.
func fractionDigits(_ ts: String) -> Int {
    guard let dot = ts.firstIndex(of: "."), let zed = ts.firstIndex(of: "Z") else { return 0 }
    return ts.distance(from: ts.index(after: dot), to: zed)
}
