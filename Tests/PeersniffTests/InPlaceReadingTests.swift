import Capture
import Foundation
import PacketLayers
import PeersniffCore
import Testing
import TestSupport
import WireBytes

/// The classic pcap reader that walks a mapped file in place, and the fast path of
/// peersniff's filter, held to libpcap: the same packets (time, lengths, bytes) and the
/// same end (the same error at the same packet) as libpcap's own reading, and the same
/// verdict as the compiled BPF program, on every capture and on mutated ones.
@Suite("Reading in place, held to libpcap")
struct InPlaceReadingTests {
    /// Every classic pcap capture at hand: Fixtures, and the shared captures when there.
    static var captures: [String] {
        var paths = (try? FileManager.default.subpathsOfDirectory(atPath: Paths.fixtures.path))?
            .filter { $0.hasSuffix(".pcap") }.sorted().map { Paths.fixture($0) } ?? []
        if let shared = try? FileManager.default.subpathsOfDirectory(atPath: Paths.sharedCaptures.path) {
            paths += shared.filter { $0.hasSuffix(".pcap") }.sorted().map { Paths.sharedCaptures.appendingPathComponent($0).path }
        }
        return paths
    }

    struct Read: Equatable {
        var packets: [[UInt8]] = []
        var headers: [String] = []
        var end = ""
    }

    /// Every packet and how the reading ended, through one handle.
    static func read(_ path: String, inPlace: Bool, limit: Int = .max) throws -> (Read, Bool) {
        let handle = try PcapHandle.openOffline(PathName(path), inPlace: inPlace)
        let started = handle.readsInPlace
        var result = Read()
        loop: while result.packets.count < limit {
            switch handle.next() {
            case let .packet(packet):
                result.packets.append(Array(packet.bytes))
                result.headers.append("\(packet.time.seconds).\(packet.time.nanoseconds) \(packet.time.precision) \(packet.capturedLength) \(packet.originalLength)")
            case .end: result.end = "end"; break loop
            case .timeout: result.end = "timeout"; break loop
            case let .failed(message): result.end = "failed: \(message)"; break loop
            }
        }
        return (result, started)
    }

    /// Where two readings part, in a line; nil when they agree.
    static func difference(_ a: Read, _ b: Read) -> String? {
        for i in 0..<min(a.packets.count, b.packets.count) where a.packets[i] != b.packets[i] || a.headers[i] != b.headers[i] {
            return "packet \(i + 1): in place \(a.headers[i]), libpcap \(b.headers[i])\(a.packets[i] != b.packets[i] ? ", bytes differ" : "")"
        }
        if a.packets.count != b.packets.count || a.end != b.end {
            return "in place \(a.packets.count) packets then \(a.end); libpcap \(b.packets.count) then \(b.end)"
        }
        return nil
    }

    @Test("every capture reads the same in place as through libpcap")
    func everyCapture() throws {
        let captures = Self.captures
        #expect(captures.count >= 10)
        for path in captures {
            let (mapped, inPlace) = try Self.read(path, inPlace: true)
            let (libpcap, _) = try Self.read(path, inPlace: false)
            #expect(inPlace, "\(path) is a classic Ethernet pcap: read in place")
            #expect(Self.difference(mapped, libpcap) == nil, "\(path): \(Self.difference(mapped, libpcap) ?? "")")
            #expect(mapped.end == "end")
            #expect(!mapped.packets.isEmpty)
        }
    }

    // MARK: mutants

    /// A classic pcap file's header and records, to be rewritten.
    struct Records {
        var header: [UInt8]
        var records: [(seconds: UInt32, fraction: UInt32, captured: UInt32, original: UInt32, data: [UInt8])]

        init(_ bytes: [UInt8]) {
            header = Array(bytes[0..<24])
            records = []
            var at = 24
            func u32(_ i: Int) -> UInt32 { UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 }
            while at + 16 <= bytes.count {
                let captured = Int(u32(at + 8))
                guard at + 16 + captured <= bytes.count else { break }
                records.append((u32(at), u32(at + 4), u32(at + 8), u32(at + 12), Array(bytes[(at + 16)..<(at + 16 + captured)])))
                at += 16 + captured
            }
        }

        /// The file, little- or big-endian, micro- or nanoseconds.
        func bytes(bigEndian: Bool = false, nano: Bool = false) -> [UInt8] {
            func put(_ value: UInt32, _ out: inout [UInt8]) {
                let v = bigEndian ? value.byteSwapped : value
                out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
            }
            func put16(_ value: UInt16, _ out: inout [UInt8]) {
                let v = bigEndian ? value.byteSwapped : value
                out += [UInt8(v & 0xFF), UInt8(v >> 8)]
            }
            var out: [UInt8] = []
            put(nano ? 0xA1B2_3C4D : 0xA1B2_C3D4, &out)
            put16(UInt16(header[4]) | UInt16(header[5]) << 8, &out)
            put16(UInt16(header[6]) | UInt16(header[7]) << 8, &out)
            for i in stride(from: 8, to: 24, by: 4) {
                put(UInt32(header[i]) | UInt32(header[i + 1]) << 8 | UInt32(header[i + 2]) << 16 | UInt32(header[i + 3]) << 24, &out)
            }
            for r in records {
                put(r.seconds, &out)
                put(nano ? r.fraction &* 1000 : r.fraction, &out)
                put(r.captured, &out)
                put(r.original, &out)
                out += r.data
            }
            return out
        }
    }

    static func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("peersniff-inplace-\(getpid())-\(name).pcap")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("big-endian, nanosecond and mutated files read the same in place as through libpcap, their errors included")
    func mutants() throws {
        let source = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Paths.fixture("failover/bridge.pcap"))))
        let parsed = Records(source)
        try #require(parsed.records.count > 100)
        var variants: [(String, [UInt8])] = [
            ("big-endian", parsed.bytes(bigEndian: true)),
            ("nano", parsed.bytes(nano: true)),
            ("big-endian-nano", parsed.bytes(bigEndian: true, nano: true)),
        ]
        var random = SplitMix64(seed: 0x1A2B_3C4D)
        for index in 0..<120 {
            var copy = parsed
            let bigEndian = random.next() & 1 == 1
            let nano = random.next() & 1 == 1
            let victim = Int(random.next() % UInt64(copy.records.count))
            switch index % 6 {
            case 0: copy.records[victim].captured = UInt32(truncatingIfNeeded: random.next() % 300_000)  // lengths that lie
            case 1: copy.records[victim].original = UInt32(truncatingIfNeeded: random.next())
            case 2: copy.records[victim].seconds = UInt32(truncatingIfNeeded: random.next())
            case 3: copy.records[victim].fraction = UInt32(truncatingIfNeeded: random.next())
            case 4:  // the snapshot length below some packets
                let snap = UInt32(40 + random.next() % 200)
                copy.header.replaceSubrange(16..<20, with: [UInt8(snap & 0xFF), UInt8(snap >> 8), 0, 0])
            default: break
            }
            var bytes = copy.bytes(bigEndian: bigEndian, nano: nano)
            if index % 6 == 5 || random.next() % 4 == 0 {
                // Cut anywhere after the header: mid-record, mid-header.
                bytes = Array(bytes.prefix(24 + Int(random.next() % UInt64(bytes.count - 24))))
            }
            variants.append(("mutant-\(index)\(bigEndian ? "-be" : "-le")\(nano ? "-nano" : "")", bytes))
        }
        for (name, bytes) in variants {
            let path = try Self.write(bytes, name)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (mapped, inPlace) = try Self.read(path, inPlace: true)
            let (libpcap, _) = try Self.read(path, inPlace: false)
            #expect(inPlace, "\(name): read in place from the start")
            #expect(Self.difference(mapped, libpcap) == nil, "\(name): \(Self.difference(mapped, libpcap) ?? "")")
        }
    }

    // MARK: the filter's fast path

    /// The discovery filter's verdict with and without its fast path, on every packet.
    static func checkFilter(_ packets: [[UInt8]], port: UInt16, path: String, fastTaken: inout Int) throws {
        let handle = try PcapHandle.openOffline(PathName(path), inPlace: false)
        let program = try handle.compile(discoveryFilter(port: port, link: .ethernet))
        let filter = PacketFilter(program: program, port: port, link: .ethernet, extra: nil)
        for (index, bytes) in packets.enumerated() {
            try bytes.withUnsafeBytes { raw in
                let packet = CapturedPacket(time: Timestamp(seconds: 0, nanoseconds: 0, precision: .microseconds),
                                            capturedLength: raw.count, originalLength: raw.count, bytes: raw)
                if filter.ipv4Verdict(raw, port: port) != nil { fastTaken += 1 }
                let fast = filter.matches(packet)
                let bpf = program.matches(packet)
                #expect(fast == bpf, "\(path) port \(port) packet \(index): fast path \(fast), BPF \(bpf): \(bytes.prefix(48).map { String($0, radix: 16) })")
                if fast != bpf { throw CancellationError() }
            }
        }
    }

    @Test("the filter's fast path gives the BPF program's verdict on every packet, and on mutated ones")
    func filterFastPath() throws {
        var random = SplitMix64(seed: 0x5EED)
        var fastTaken = 0
        for path in Self.captures {
            let (read, _) = try Self.read(path, inPlace: false)
            var packets = read.packets
            // Mutants: bytes of the headers changed (the EtherType, the IP header length,
            // protocol, fragment bits, ports), and packets cut short anywhere.
            for bytes in read.packets.prefix(300) {
                var copy = bytes
                for _ in 0..<(1 + random.next() % 3) {
                    let at = Int(random.next() % UInt64(min(copy.count, 48)))
                    copy[at] = [12, 13, 14, 20, 21, 23].contains(at) && random.next() & 1 == 0
                        ? [0x08, 0x00, 0x45, 0x47, 0x41, 0x11, 0x06, 0x20, 0x3F, 0xFF][Int(random.next() % 10)]
                        : UInt8(truncatingIfNeeded: random.next())
                }
                packets.append(copy)
                packets.append(Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1)))))
                var ports = bytes
                if ports.count >= 38 { ports[36] = 0x90; ports[37] = 0x9C }  // 37020 as a destination port
                packets.append(ports)
            }
            try Self.checkFilter(packets, port: 37020, path: path, fastTaken: &fastTaken)
            try Self.checkFilter(packets, port: 40000, path: path, fastTaken: &fastTaken)
        }
        #expect(fastTaken > 10_000, "the fast path decided only \(fastTaken) packets")
    }
}
