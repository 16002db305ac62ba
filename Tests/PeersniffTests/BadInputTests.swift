import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Inputs that are not (whole) captures: each gives exit status 1 and one clear
/// line on stderr naming the file, and never a crash. Frames read before a cut
/// are still printed.
@Suite("Bad input")
struct BadInputTests {
    /// Three small frames: a HELLO, a PING and a PONG, 60, 43 and 43 bytes.
    static let threeFrames: [TestPacket] = [
        .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"))),
        .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.ping, dst: "10.37.0.21")),
        .at(3, 0, PacketBuilder.discovery(DiscoveryPayload.pong, src: "10.37.0.21", dst: "10.37.0.20", sport: 51000)),
    ]

    /// The run failed the way CONTRACT.md asks: status 1, one stderr line that names `name`.
    static func expectCleanFailure(_ run: RunResult, naming name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, "status \(run.status); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.errorLines.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.errorLines.first?.contains(name) == true, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.errorLines.first?.hasPrefix("peersniff: ") == true, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    }

    @Test("A file that does not exist")
    func missingFile() throws {
        let path = Paths.temporaryFolder().appendingPathComponent("no-such.pcap").path
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.frameRecords.isEmpty)
    }

    @Test("A directory instead of a file")
    func directory() throws {
        let path = Paths.temporaryFolder().path
        Self.expectCleanFailure(try peersniffJSON(path), naming: path)
    }

    @Test("A file without read permission", .enabled(if: getuid() != 0, "root reads any file: the directory case stands in for it"))
    func unreadable() throws {
        let path = try writeTestCapture(makeCapture(Self.threeFrames))
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        Self.expectCleanFailure(try peersniffJSON(path), naming: path)
    }

    struct NotACapture: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var testDescription: String { name }
    }

    static let notCaptures: [NotACapture] = [
        NotACapture(name: "empty file", bytes: []),
        NotACapture(name: "a text file", bytes: Array("frame.number\tframe.time_epoch\n1\t1795610631.856080000\n".utf8)),
        NotACapture(name: "three bytes", bytes: [0xD4, 0xC3, 0xB2]),
        NotACapture(name: "pcap header cut at 10 bytes", bytes: Array(makeCapture(threeFrames).prefix(10))),
        NotACapture(name: "pcapng section header cut at 20 bytes", bytes: Array(makeCapture(threeFrames, format: .pcapng(bigEndian: false, nanoseconds: false)).prefix(20))),
        NotACapture(name: "a gzip file", bytes: [0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0, count: 40)),
    ]

    @Test("Something that is not a capture", arguments: notCaptures)
    func notACapture(example: NotACapture) throws {
        let path = try writeTestCapture(Data(example.bytes), name: "input.pcap")
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.frameRecords.isEmpty)
        if example.bytes.isEmpty {
            #expect(run.errorLines.first?.contains("empty") == true, "stderr: \(run.stderr)")
        }
    }

    @Test("Something that is not a capture, on standard input", arguments: notCaptures)
    func notACaptureOnStandardInput(example: NotACapture) throws {
        let run = try peersniffJSON("-", stdin: Data(example.bytes))
        Self.expectCleanFailure(run, naming: "standard input")
        if example.bytes.isEmpty {
            #expect(run.errorLines.first?.contains("empty") == true, "stderr: \(run.stderr)")
        }
    }

    struct CutCase: Sendable, CustomTestStringConvertible {
        var name: String
        var format: PcapFormat
        /// Bytes cut off the end of the three-frame capture.
        var cutFromEnd: Int
        var testDescription: String { name }
    }

    @Test("A file cut in the middle of packet 3: packets 1 and 2 are printed, then exit 1 naming the file and packet 3", arguments: [
        CutCase(name: "pcap, cut inside the packet's data", format: .pcap(bigEndian: false, nanoseconds: false), cutFromEnd: 20),
        CutCase(name: "pcap, cut inside the record header", format: .pcap(bigEndian: false, nanoseconds: false), cutFromEnd: 43 + 8),
        CutCase(name: "big-endian ns pcap, cut inside the packet's data", format: .pcap(bigEndian: true, nanoseconds: true), cutFromEnd: 1),
        CutCase(name: "pcapng, cut inside the packet block", format: .pcapng(bigEndian: false, nanoseconds: false), cutFromEnd: 30),
        CutCase(name: "big-endian pcapng, cut inside the block header", format: .pcapng(bigEndian: true, nanoseconds: true), cutFromEnd: 80 - 6),
    ])
    func truncatedFile(example: CutCase) throws {
        let whole = makeCapture(Self.threeFrames, format: example.format)
        let path = try writeTestCapture(whole.prefix(whole.count - example.cutFromEnd), name: "cut.pcap")
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.errorLines.first?.contains("packet 3") == true, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map { $0["n"] as? Int } == [1, 2])
        #expect(run.frameRecords.map { $0["type"] as? String } == ["HELLO", "PING"])
    }

    @Test("A record header with a huge captured length: the packets before it are printed, then exit 1", arguments: [false, true])
    func hugeCapturedLength(bigEndian: Bool) throws {
        var bytes = [UInt8](makeCapture(Self.threeFrames, format: .pcap(bigEndian: bigEndian, nanoseconds: false)))
        // Packet 2's record header: after the file header (24) and packet 1 (16 + 60); caplen is its third word.
        let at = 24 + 16 + 60 + 8
        let huge: [UInt8] = [0x7F, 0xFF, 0xFF, 0xF0]
        bytes.replaceSubrange(at..<(at + 4), with: bigEndian ? huge : huge.reversed())
        let path = try writeTestCapture(Data(bytes), name: "corrupt.pcap")
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.errorLines.first?.contains("packet 2") == true, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map { $0["n"] as? Int } == [1])
    }

    @Test("A pcapng block whose length is not a multiple of 4")
    func corruptBlockLength() throws {
        var bytes = [UInt8](makeCapture(Self.threeFrames, format: .pcapng(bigEndian: false, nanoseconds: false)))
        // Packet 2's Enhanced Packet Block: SHB 28 + IDB 20 + packet 1's block (32 + 60).
        let at = 28 + 20 + 92 + 4
        bytes[at] = 0x4D  // 77: odd
        let path = try writeTestCapture(Data(bytes), name: "corrupt.pcapng")
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.frameRecords.map { $0["n"] as? Int } == [1])
    }

    @Test("An unsupported link type", arguments: [(UInt32(105), "802.11"), (127, "radiotap"), (9, "PPP"), (147, "USER0")])
    func unsupportedLinkType(linkType: UInt32, name: String) throws {
        let path = try writeTestCapture(makeCapture([.at(1, 0, [0x08, 0x00] + [UInt8](repeating: 0, count: 40))], linkType: linkType), name: "\(name).pcap")
        let run = try peersniffJSON(path)
        Self.expectCleanFailure(run, naming: path)
        #expect(run.frameRecords.isEmpty)
    }

    @Test("One bad file among several stops the run before any output")
    func oneBadAmongSeveral() throws {
        let folder = Paths.temporaryFolder()
        let good = try writeTestCapture(makeCapture(Self.threeFrames), name: "good.pcap", in: folder)
        let bad = try writeTestCapture(Data("not a capture\n".utf8), name: "bad.pcap", in: folder)
        let run = try runPeersniff(["-r", good, "-r", bad, "--json"])
        Self.expectCleanFailure(run, naming: bad)
        #expect(run.frameRecords.isEmpty)
    }

    /// Every cut of a small capture (ByteToMessageDecoderVerifier's idea, for files):
    /// no crash; the frames whose packets are whole are printed; exit 0 exactly when
    /// the cut falls between packets.
    @Test("Every truncation of a pcap file", arguments: [false, true])
    func everyTruncation(pcapng: Bool) throws {
        let format: PcapFormat = pcapng ? .pcapng(bigEndian: false, nanoseconds: false) : .pcap(bigEndian: false, nanoseconds: false)
        let whole = makeCapture(Self.threeFrames, format: format)
        // Where each packet ends, and where the headers end.
        let headerEnd = pcapng ? 28 + 20 : 24
        var ends: [Int] = []
        var at = headerEnd
        for packet in Self.threeFrames {
            at += pcapng ? 32 + (packet.bytes.count + 3) / 4 * 4 : 16 + packet.bytes.count
            ends.append(at)
        }
        #expect(ends.last == whole.count)
        let folder = Paths.temporaryFolder()
        for length in 0..<whole.count {
            let path = try writeTestCapture(whole.prefix(length), name: "cut-\(length).pcap", in: folder)
            let run = try peersniffJSON(path)
            let complete = ends.filter { $0 <= length }.count
            let clean = length == headerEnd || ends.contains(length)
            #expect(run.status == (clean ? 0 : 1), "cut at \(length): status \(run.status), stderr \(run.stderr)")
            if length >= headerEnd {
                #expect(run.frameRecords.map { $0["n"] as? Int } == Array(1...max(1, complete)).prefix(complete).map { $0 },
                        "cut at \(length)")
            }
            if run.status != 0 {
                #expect(run.errorLines.count == 1 && run.errorLines.first?.contains(path) == true, "cut at \(length): \(run.stderr)")
            } else {
                #expect(run.errorLines.isEmpty, "cut at \(length): \(run.stderr)")
            }
        }
    }
}
