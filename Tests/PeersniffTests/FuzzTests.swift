import DiscoveryCodec
import Foundation
import PacketLayers
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// Seeded fuzzing of the codec, the packet layers and the whole binary.
///
/// Deterministic: every input comes from a SplitMix64 stream, so a failure is
/// found again by running the same test with the same seed. The budget comes from
/// the environment:
/// - `PEERSNIFF_FUZZ_ITERATIONS` = N (default 100 000; about 10 s of CPU in a
///   debug build, spread over the cores): N payloads for each codec family, N/10
///   valid frames, N/2 packets for the layers, N/50 rounds of fragments for each
///   reassembler, and N/500 capture files (at least 20) for the binary.
/// - `PEERSNIFF_FUZZ_SEED`: the seed (default 0x5EED_F00D).
/// - `PEERSNIFF_FUZZ_TRACE=1`: print each codec and packet-layer input (hex) to
///   standard error before it is tried, to find the one that crashes the process.
///
/// libFuzzer runs the same checks coverage-guided: see `Fuzz/run.sh`.
@Suite("Fuzzing")
struct FuzzTests {
    // MARK: The codec

    /// Families of payloads for `decodeFrame`.
    enum CodecFamily: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Random bytes, the first biased to the frame types.
        case randomBytes
        /// Valid frames of every type, then flipped, inserted, deleted, cut and spliced
        /// bytes, wrong length bytes and huge counts.
        case mutatedFrames
        /// Text starting with `{`: JSON tokens in any order, deep nesting, bad UTF-8.
        case jsonGarbage
        var testDescription: String { rawValue }
    }

    @Test("decodeFrame never crashes and keeps its invariants", arguments: CodecFamily.allCases)
    func codec(_ family: CodecFamily) {
        var rng = SplitMix64(seed: Fuzzing.seed ^ UInt64(CodecFamily.allCases.firstIndex(of: family)! + 1) << 32)
        var report = Fuzzing.Report(name: "codec/\(family.rawValue)")
        for _ in 0..<Fuzzing.iterations {
            let input: [UInt8]
            switch family {
            case .randomBytes: input = Fuzzing.randomPayload(&rng)
            case .mutatedFrames: input = Fuzzing.mutatedFrame(&rng)
            case .jsonGarbage: input = Fuzzing.jsonGarbage(&rng)
            }
            Fuzzing.trace(input)
            report.inputs += 1
            let sender: IPv4Address? = rng.oneIn(2) ? nil : IPv4Address(UInt32(truncatingIfNeeded: rng.next()))
            Fuzzing.checkDecode(input, sender: sender, &report)
            if report.gaveUp { break }
        }
        report.finish()
    }

    @Test("every valid frame survives a round trip; every cut and every extra byte is reported")
    func validFramesRoundTripAndEveryCutIsMalformed() {
        var rng = SplitMix64(seed: Fuzzing.seed ^ 0xF4A3E)
        var report = Fuzzing.Report(name: "codec/valid")
        for _ in 0..<max(1, Fuzzing.iterations / 10) {
            let frame = Fuzzing.randomFrame(&rng)
            let bytes = frame.encoded()
            Fuzzing.trace(bytes)
            report.inputs += 1
            bytes.withUnsafeBytes { payload in
                guard case let .frame(view) = decodeFrame(payload) else {
                    return report.fail("a valid \(frame.type.name) does not decode", bytes)
                }
                report.check(view.owned() == frame, "decodes to another frame than was encoded", bytes)
            }
            // Every strict prefix is malformed, at an offset inside the prefix.
            let cut = rng.below(bytes.count)
            let prefix = Array(bytes[..<cut])
            prefix.withUnsafeBytes { payload in
                guard case let .malformed(m) = decodeFrame(payload) else {
                    return report.fail("the first \(cut) bytes of a valid \(frame.type.name) decode", bytes)
                }
                report.check(m.offset <= cut && m.length == cut, "cut at \(cut): offset \(m.offset), length \(m.length)", bytes)
            }
            // One byte more is `trailing-bytes` at the old end (JSON may end in whitespace).
            let extra = bytes + [frame.type == .legacy ? UInt8(ascii: "x") : rng.byte()]
            extra.withUnsafeBytes { payload in
                guard case let .malformed(m) = decodeFrame(payload), m.reason == .trailingBytes, m.offset == bytes.count else {
                    return report.fail("a byte after a complete \(frame.type.name) is not trailing-bytes at \(bytes.count)", extra)
                }
            }
            if report.gaveUp { break }
        }
        report.finish()
    }

    /// Payloads at the edges of the codec's limits, kept as fixed cases.
    static let codecRegressions: [(name: String, hex: String)] = [
        ("FULL whose count promises 255 entries of 255-byte names", "02ff0a00000aff"),
        ("JSON nested past the depth limit", String(repeating: "5b", count: 70)),
        ("JSON object nested past the depth limit", "7b" + String(repeating: "2261223a7b", count: 70)),
        ("a lone high surrogate at the end", "7b2261223a225c7564383030"),
        ("a name cut inside a 4-byte character", "0103f09f98"),
    ]

    @Test("payloads at the edges", arguments: FuzzTests.codecRegressions.map(\.hex))
    func codecRegression(_ hex: String) throws {
        let bytes = try #require(bytesFromHex(hex))
        var report = Fuzzing.Report(name: "codec/regression")
        Fuzzing.checkDecode(bytes, sender: nil, &report)
        Fuzzing.checkLayers(bytes, &report)
        report.finish()
    }

    // MARK: The packet layers

    @Test("the packet layers never read outside the packet")
    func packetLayers() {
        var rng = SplitMix64(seed: Fuzzing.seed ^ 0x1A7E_5)
        var report = Fuzzing.Report(name: "layers")
        for _ in 0..<max(1, Fuzzing.iterations / 2) {
            let packet = Fuzzing.randomPacket(&rng)
            Fuzzing.trace(packet)
            report.inputs += 1
            Fuzzing.checkLayers(packet, &report)
            if report.gaveUp { break }
        }
        report.finish()
    }

    @Test("the byte reader gives a value exactly when its bytes are there, and moves only then")
    func byteReader() {
        var rng = SplitMix64(seed: Fuzzing.seed ^ 0xB17E_5)
        var report = Fuzzing.Report(name: "reader")
        for _ in 0..<max(1, Fuzzing.iterations / 10) {
            let input = rng.bytes(rng.length(upTo: 64))
            report.inputs += 1
            input.withUnsafeBytes { bytes in
                var reader = ByteReader(bytes)
                var model = 0
                func has(_ count: Int, at index: Int) -> Bool { index >= 0 && count >= 0 && index + count <= input.count }
                func value(_ at: Int, _ width: Int) -> UInt64 { input[at..<at + width].reduce(0) { $0 << 8 | UInt64($1) } }
                for _ in 0..<16 {
                    let argument = Int(rng.next() % 80) - 8
                    switch rng.next() % 6 {
                    case 0:
                        let got = reader.readInteger(as: UInt16.self)
                        report.check(got.map(UInt64.init) == (has(2, at: model) ? value(model, 2) : nil), "UInt16 at \(model)", input)
                        if got != nil { model += 2 }
                    case 1:
                        let got = reader.readInteger(as: UInt64.self)
                        report.check(got == (has(8, at: model) ? value(model, 8) : nil), "UInt64 at \(model)", input)
                        if got != nil { model += 8 }
                    case 2:
                        let got = reader.readBytes(argument)
                        report.check((got != nil) == has(argument, at: model), "\(argument) bytes at \(model)", input)
                        if let got {
                            report.check(Array(got) == Array(input[model..<model + argument]), "the bytes at \(model)", input)
                            model += argument
                        }
                    case 3:
                        let moved = reader.moveReaderIndex(forwardBy: argument)
                        report.check(moved == has(argument, at: model), "forward \(argument) from \(model)", input)
                        if moved { model += argument }
                    case 4:
                        let got = reader.getInteger(at: argument, as: UInt32.self)
                        report.check(got.map(UInt64.init) == (has(4, at: argument) ? value(argument, 4) : nil), "UInt32 at index \(argument)", input)
                    default:
                        let got = reader.readMultipleIntegers(as: (UInt32, UInt8, UInt16).self)
                        report.check((got != nil) == has(7, at: model), "7-byte header at \(model)", input)
                        if let got {
                            report.check(UInt64(got.0) == value(model, 4) && UInt64(got.1) == value(model + 4, 1)
                                         && UInt64(got.2) == value(model + 5, 2), "header fields at \(model)", input)
                            model += 7
                        }
                    }
                    report.check(reader.readerIndex == model, "cursor \(reader.readerIndex), expected \(model)", input)
                }
            }
            if report.gaveUp { break }
        }
        report.finish()
    }

    @Test("reassembly hands every fragment back exactly once, and whole datagrams intact")
    func reassembly() {
        var rng = SplitMix64(seed: Fuzzing.seed ^ 0xF7A6)
        var report = Fuzzing.Report(name: "reassembly")
        // Tight bounds give the giving-up paths work; the default ones the usual path.
        let reassemblers = [
            FragmentReassembler<Int>(timeoutSeconds: 0.5, maxDatagrams: 3, maxBytes: 3000),
            FragmentReassembler<Int>(),
        ]
        for var reassembler in reassemblers {
            var time = Timestamp(seconds: 1_800_000_000, nanoseconds: 0)
            var handedBack = Set<Int>()
            var added = 0
            func takeBack(_ tags: [Int], _ input: [UInt8]) {
                for tag in tags where !handedBack.insert(tag).inserted {
                    report.fail("fragment \(tag) handed back twice", input)
                }
            }
            let rounds = max(1, Fuzzing.iterations / 50)
            for round in 0..<rounds {
                let (fragments, whole) = Fuzzing.fragmentRound(&rng, round: round)
                var completed: [UInt8]? = nil
                for fragment in fragments {
                    Fuzzing.trace(fragment)
                    report.inputs += 1
                    time = time.adding(nanoseconds: Int64(rng.below(200_000_000)))
                    if !reassembler.isEmpty {
                        reassembler.expire(now: time) { takeBack($0.tags, fragment) }
                    }
                    fragment.withUnsafeBytes { bytes in
                        guard case let .packet(header, payload, cut) = parseIPv4(bytes), header.isFragment else { return }
                        added += 1
                        let outcome = reassembler.add(header, payload: payload, cut: cut, time: time, tag: added) {
                            report.check($0.fragmentCount > 0, "a datagram given up without fragments", fragment)
                            takeBack($0.tags, fragment)
                        }
                        if case let .complete(datagram, _, tags) = outcome {
                            takeBack(tags, fragment)
                            completed = Array(datagram)
                        }
                    }
                    report.check(reassembler.pendingCount <= reassembler.maxDatagrams,
                                 "\(reassembler.pendingCount) datagrams pending, more than \(reassembler.maxDatagrams)", fragment)
                }
                // A datagram cut cleanly into fragments, in any order and with repeats,
                // comes back byte for byte (unless the tight bounds gave it up).
                if let whole, let completed {
                    report.check(completed == whole, "reassembled \(completed.count) bytes differ from the \(whole.count) sent", whole)
                }
                if report.gaveUp { break }
            }
            reassembler.drain { takeBack($0.tags, []) }
            report.check(handedBack.count == added, "\(added) fragments added, \(handedBack.count) handed back", [])
            report.check(reassembler.isEmpty, "fragments left after drain", [])
        }
        report.finish()
    }

    /// A first fragment cut short (by the snap length, or an IP total length longer
    /// than the packet), then a fragment lying past the datagram's end, then the
    /// last fragment: FragmentReassembler.assemble copied a negative count
    /// ("copyMemory with negative count"). libFuzzer found the bug (its input is in
    /// `reassemblyRegressions`), the seeded reassembly fuzz finds it too; this is the
    /// smallest case, made by hand.
    @Test("a cut fragment and one past the datagram's end reassemble without a crash")
    func reassemblyPastTheEnd() {
        var reassembler = FragmentReassembler<Int>()
        var report = Fuzzing.Report(name: "reassembly/past-the-end")
        var handedBack = 0
        for (tag, fragment) in Fuzzing.fragmentsPastTheEnd().enumerated() {
            fragment.bytes.prefix(fragment.captured).withUnsafeBytes { bytes in
                guard case let .packet(header, payload, cut) = parseIPv4(bytes) else {
                    return report.fail("fragment \(tag) does not parse", fragment.bytes)
                }
                let outcome = reassembler.add(header, payload: payload, cut: cut || fragment.captured < fragment.bytes.count,
                                              time: Timestamp(seconds: 1_800_000_000, nanoseconds: 0), tag: tag) { handedBack += $0.tags.count }
                if case let .complete(datagram, _, tags) = outcome {
                    handedBack += tags.count
                    report.check(datagram.count <= 16, "a datagram of \(datagram.count) bytes from a 16-byte one", fragment.bytes)
                }
            }
        }
        reassembler.drain { handedBack += $0.tags.count }
        report.check(handedBack == 3, "3 fragments added, \(handedBack) handed back", [])
        report.finish()
    }

    /// Runs of IPv4 packets (each a 2-byte big-endian length, then the packet, as
    /// Fuzz/Harness.swift reads them) that once broke reassembly.
    static let reassemblyRegressions: [(name: String, hex: String)] = [
        // libFuzzer, minimised: a cut last fragment at 1000, a cut last fragment at 968
        // (which moves the end to 983, before the first), a cut first fragment.
        ("two last fragments, the second ending before the first begins",
         "001e450000236541007d40110a4d0a250064ffffffff212e2e2e2e2e2e312ec3001e450000236541007940110a4d0a250064ffffffff"
            + "2e2e2e2e2e2e2e312ec305dc450005dc654120004011e5470a250064ffffffff"),
    ]

    @Test("fragment runs that once broke reassembly", arguments: FuzzTests.reassemblyRegressions.map(\.hex))
    func reassemblyRegression(_ hex: String) throws {
        let input = try #require(bytesFromHex(hex))
        var reassembler = FragmentReassembler<Int>(timeoutSeconds: 1, maxDatagrams: 4, maxBytes: 8192)
        var report = Fuzzing.Report(name: "reassembly/regression")
        var handedBack = 0, added = 0, offset = 0
        while input.count - offset >= 2 {
            let length = min(Int(input[offset]) << 8 | Int(input[offset + 1]), input.count - offset - 2)
            let packet = Array(input[(offset + 2)..<(offset + 2 + length)])
            offset += 2 + length
            packet.withUnsafeBytes { bytes in
                guard case let .packet(header, payload, cut) = parseIPv4(bytes), header.isFragment else { return }
                added += 1
                let outcome = reassembler.add(header, payload: payload, cut: cut, time: Timestamp(seconds: 1_800_000_000, nanoseconds: 0),
                                              tag: added) { handedBack += $0.tags.count }
                if case let .complete(_, _, tags) = outcome { handedBack += tags.count }
            }
        }
        reassembler.drain { handedBack += $0.tags.count }
        report.check(handedBack == added, "\(added) fragments added, \(handedBack) handed back", input)
        report.finish()
    }

    // MARK: The whole binary

    /// Capture files that once crashed peersniff: record times libpcap hands over
    /// unchecked (a classic pcap's fraction field is any 32-bit value; a pcapng
    /// time with a resolution of 1 s can pass Int64's range), an OFFLINE in text
    /// output, and the fragments above.
    static let captureRegressions: [(name: String, file: @Sendable () -> [UInt8])] = [
        ("pcap, microseconds field 0xFFFFFFFF", { Fuzzing.ping(pcapFraction: 0xFFFF_FFFF, nanoseconds: false) }),
        ("pcap, microseconds field 0x80000000", { Fuzzing.ping(pcapFraction: 0x8000_0000, nanoseconds: false) }),
        ("pcap, microseconds field 1000000", { Fuzzing.ping(pcapFraction: 1_000_000, nanoseconds: false) }),
        ("nanosecond pcap, nanoseconds field 0xFFFFFFFF", { Fuzzing.ping(pcapFraction: 0xFFFF_FFFF, nanoseconds: true) }),
        ("pcapng, 1 s resolution, time 2^63", { Fuzzing.ping(pcapngSecondsResolutionTime: 1 << 63) }),
        ("pcapng, 1 s resolution, time 2^64-1", { Fuzzing.ping(pcapngSecondsResolutionTime: .max) }),
        ("HELLO from .20, HELLO from .21, OFFLINE(.21) from .20 (the text writer's name lookup segfaulted)", {
            let frames: [(String, Frame)] = [("10.37.0.20", .hello(name: Name("A"))), ("10.37.0.21", .hello(name: Name("B"))),
                                             ("10.37.0.20", .offline(ip: IPv4Address(0x0A25_0015)))]
            return [UInt8](makeCapture(frames.enumerated().map { i, sent in
                TestPacket(seconds: 1_800_000_000 + UInt32(i), fraction: 0, bytes: PacketBuilder.discovery(sent.1.encoded(), src: sent.0))
            }))
        }),
        ("a fragment cut by the snap length, one past the datagram's end, the last", {
            let packets = Fuzzing.fragmentsPastTheEnd().enumerated().map { i, fragment in
                let frame = PacketBuilder.ethernet(fragment.bytes)
                return TestPacket(seconds: 1_800_000_000, fraction: UInt32(i), bytes: Array(frame.prefix(14 + fragment.captured)),
                                  originalLength: frame.count)
            }
            return [UInt8](makeCapture(packets))
        }),
    ]

    @Test("capture files that once crashed peersniff", arguments: 0..<FuzzTests.captureRegressions.count)
    func captureRegression(_ index: Int) throws {
        let (name, file) = FuzzTests.captureRegressions[index]
        let path = Paths.temporaryFolder().appendingPathComponent("regression.pcap").path
        try Data(file()).write(to: URL(fileURLWithPath: path))
        for arguments in [["-r", path, "--json"], ["-r", path]] {
            let run = Fuzzing.runChild(Paths.peersniff.path, arguments)
            #expect(!run.signalled && (run.status == 0 || run.status == 1),
                    "\(name): peersniff \(arguments.joined(separator: " ")) \(run.signalled ? "killed by signal" : "exit status") \(run.status)\n\(run.stderr.prefix(1500))")
            if arguments.contains("--json") {
                for line in run.stdout.split(separator: "\n") {
                    let problem = Fuzzing.timestampProblem(in: line)
                    #expect(problem == nil, "\(name): \(problem ?? "")")
                }
            }
        }
    }

    @Test("peersniff reads corrupted capture files without a crash",
          .enabled(if: FileManager.default.isExecutableFile(atPath: Paths.peersniff.path), "the peersniff binary is not built"))
    func endToEnd() throws {
        let folder = Paths.temporaryFolder()
        var rng = SplitMix64(seed: Fuzzing.seed ^ 0xE2E)
        let count = max(20, Fuzzing.iterations / 500)
        var paths: [String] = []
        for index in 0..<count {
            let path = folder.appendingPathComponent(String(format: "fuzz-%04d.pcap", index)).path
            try Data(Fuzzing.captureFile(&rng)).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let runs = paths.flatMap { [($0, ["-r", $0, "--json"]), ($0, ["-r", $0, "--no-verify-checksums"])] }
        let results = Fuzzing.Outcomes(count: runs.count)
        DispatchQueue.concurrentPerform(iterations: runs.count) { i in
            results.set(i, Fuzzing.runChild(Paths.peersniff.path, runs[i].1))
        }
        var failures = 0
        for (i, (path, arguments)) in runs.enumerated() {
            let run = results.get(i)
            var problems: [String] = []
            if run.signalled {
                problems.append("killed by signal \(run.status)")
            } else if run.status != 0 && run.status != 1 {
                problems.append("exit status \(run.status)")
            }
            let stderrLines = run.stderr.split(separator: "\n").count
            if run.status == 1 && stderrLines > 1 { problems.append("\(stderrLines) lines on stderr") }
            if !run.signalled && arguments.contains("--json") {
                let lines = run.stdout.split(separator: "\n")
                let bad = lines.first { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] == nil }
                if let bad { problems.append("a line that is not a JSON object: \(bad.prefix(200))") }
                if let problem = lines.lazy.compactMap({ Fuzzing.timestampProblem(in: $0) }).first { problems.append(problem) }
                if run.status == 0, let last = lines.last, !last.hasPrefix("{\"kind\":\"summary\"") {
                    problems.append("the last line is not the summary")
                }
            }
            if !problems.isEmpty {
                failures += 1
                if failures <= 10 {
                    Issue.record("peersniff \(arguments.joined(separator: " ")): \(problems.joined(separator: "; "))\nstderr: \(run.stderr.prefix(2000))\n(file kept: \(path))")
                }
            }
        }
        if failures == 0 { try? FileManager.default.removeItem(at: folder) }
        #expect(failures == 0, "\(failures) of \(runs.count) runs over \(count) files failed")
    }
}

/// The fuzzers' generators and checks.
enum Fuzzing {
    static let iterations: Int = ProcessInfo.processInfo.environment["PEERSNIFF_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 100_000
    static let seed: UInt64 = ProcessInfo.processInfo.environment["PEERSNIFF_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_F00D
    static let tracing = ProcessInfo.processInfo.environment["PEERSNIFF_FUZZ_TRACE"] == "1"

    static func trace(_ input: [UInt8]) {
        guard tracing else { return }
        FileHandle.standardError.write(Data((input.map { String(format: "%02x", $0) }.joined() + "\n").utf8))
    }

    /// Failures of one test, recorded as issues with the input that caused them.
    struct Report {
        let name: String
        var failures = 0
        /// Inputs generated, and payloads handed to `decodeFrame` (more: layers decode what they find).
        var inputs = 0
        var decoded = 0
        init(name: String) { self.name = name }
        var gaveUp: Bool { failures >= 20 }

        mutating func fail(_ message: String, _ input: [UInt8]) {
            failures += 1
            if failures <= 10 {
                Issue.record("\(name): \(message)\ninput (\(input.count) bytes): \(input.map { String(format: "%02x", $0) }.joined())")
            }
        }

        mutating func check(_ condition: Bool, _ message: @autoclosure () -> String, _ input: [UInt8]) {
            if !condition { fail(message(), input) }
        }

        func finish() {
            print("fuzz \(name): \(inputs) inputs, \(decoded) payloads decoded, \(failures) failures")
            #expect(failures == 0, "\(name): \(failures) failures")
        }
    }

    // MARK: Codec inputs

    static let typeBytes: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x7B, 0xFF]

    static func randomPayload(_ rng: inout SplitMix64) -> [UInt8] {
        var bytes = rng.bytes(rng.length(upTo: 2000))
        if !bytes.isEmpty, !rng.oneIn(4) { bytes[0] = rng.pick(typeBytes) }
        return bytes
    }

    /// Name bytes: ASCII, multi-byte characters, cut characters, bytes that are never UTF-8.
    static let namePieces: [[UInt8]] = [
        Array("Attack from Mars".utf8), [0x41], [0x20], [0xCE, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80],
        [0xCE], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x00], [0x1B], [0x22], [0x5C], [0x7F],
    ]

    static func randomName(_ rng: inout SplitMix64) -> [UInt8] {
        var name: [UInt8] = []
        let target = rng.oneIn(10) ? rng.below(256) : rng.below(36)
        name.reserveCapacity(target + 16)
        while name.count < target { name.append(contentsOf: namePieces[rng.below(namePieces.count)]) }
        name.removeLast(name.count - target)
        return name
    }

    static func randomIP(_ rng: inout SplitMix64) -> IPv4Address {
        rng.oneIn(2) ? IPv4Address(0x0A25_0000 | UInt32(rng.below(64))) : IPv4Address(UInt32(truncatingIfNeeded: rng.next()))
    }

    static func randomFrame(_ rng: inout SplitMix64) -> Frame {
        switch rng.below(6) {
        case 0: return .hello(name: Name(bytes: randomName(&rng)))
        case 1:
            let count = rng.oneIn(16) ? rng.below(256) : (rng.oneIn(4) ? rng.below(60) : rng.below(8))
            var peers = (0..<count).map { _ in Peer(ip: randomIP(&rng), name: Name(bytes: randomName(&rng))) }
            if rng.oneIn(2), peers.count > 2 {
                let rest = peers[1...].sorted { $0.ip.value < $1.ip.value }
                peers = [peers[0]] + rest
            }
            return .full(peers: peers)
        case 2: return .ping
        case 3: return .pong
        case 4: return .offline(ip: randomIP(&rng))
        default: return .legacy(randomJSONObject(&rng, depth: 0))
        }
    }

    static let jsonKeys = ["version", "name", "discover", "", "a\"b", "ключ", "\u{0}", "\u{1F600}"]
    static let jsonNumbers = ["0", "-0", "1", "-12", "3.25", "1e9", "-2.5E-3", "123456789012345678901234567890", "0.000"]
    static let jsonScalars: [Unicode.Scalar] = ["a", " ", "\"", "\\", "/", "\u{0}", "\u{1F}", "\u{7F}", "\u{A9}", "\u{3A9}", "\u{FFFF}", "\u{1F600}", "\n"]

    static func randomJSONObject(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        return .object((0..<rng.below(5)).map { _ in (key: rng.pick(jsonKeys), value: randomJSONValue(&rng, depth: depth + 1)) })
    }

    static func randomJSONValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        let leaf = depth >= 6 || rng.oneIn(2)
        switch rng.below(leaf ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(rng.oneIn(2))
        case 2:
            return .number(rng.pick(jsonNumbers))
        case 3:
            var text = String.UnicodeScalarView()
            for _ in 0..<rng.below(12) { text.append(rng.pick(jsonScalars)) }
            return .string(String(text))
        case 4: return .array((0..<rng.below(4)).map { _ in randomJSONValue(&rng, depth: depth + 1) })
        default: return randomJSONObject(&rng, depth: depth)
        }
    }

    /// The offsets of a frame's length bytes (HELLO's name length, FULL's count and
    /// every entry's name length).
    static func lengthOffsets(of frame: Frame) -> [Int] {
        switch frame {
        case .hello: return [1]
        case let .full(peers):
            var offsets = [1]
            var at = 2
            for peer in peers.prefix(255) {
                offsets.append(at + 4)
                at += 5 + min(peer.name.bytes.count, 255)
            }
            return offsets
        default: return []
        }
    }

    static func mutatedFrame(_ rng: inout SplitMix64) -> [UInt8] {
        let frame = randomFrame(&rng)
        var bytes = frame.encoded()
        let lengths = lengthOffsets(of: frame)
        for _ in 0..<(1 + rng.below(4)) {
            switch rng.below(11) {
            case 0 where !bytes.isEmpty:
                bytes[rng.below(bytes.count)] ^= 1 << UInt8(rng.below(8))
            case 1 where !bytes.isEmpty:
                bytes[rng.below(bytes.count)] = rng.byte()
            case 2:
                bytes.insert(contentsOf: rng.bytes(1 + rng.below(4)), at: rng.below(bytes.count + 1))
            case 3 where !bytes.isEmpty:
                let start = rng.below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + rng.below(8)))
            case 4:
                bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
            case 5:
                bytes += rng.bytes(1 + rng.below(8))
            case 6, 7:
                // A wrong length or count: off by one, zero, or huge.
                guard let at = lengths.isEmpty ? nil : rng.pick(lengths), at < bytes.count else { continue }
                let old = bytes[at]
                bytes[at] = rng.pick([old &+ 1, old &- 1, 0, 0xFF, 52, 33, rng.byte()])
            case 8 where !bytes.isEmpty:
                bytes[0] = rng.pick(typeBytes)
            case 9:
                let other = randomFrame(&rng).encoded()
                bytes += other.prefix(rng.below(other.count + 1))
            default:
                guard bytes.count > 2 else { continue }
                let start = rng.below(bytes.count)
                let chunk = bytes[start..<min(bytes.count, start + 1 + rng.below(16))]
                bytes.insert(contentsOf: chunk, at: rng.below(bytes.count + 1))
            }
        }
        return bytes
    }

    static let jsonTokens: [[UInt8]] = [
        "{", "}", "[", "]", ":", ",", "\"", "\"name\"", "\"version\":", "\"1.4.0\"", "true", "false", "null", "nul", "tru",
        "0", "-", "-0", "12", "1.", ".5", "1e", "1e+", "2E-7", "00", " ", "\t", "\n", "\r", "\\", "\\\"", "\\u", "\\u00e9",
        "\\ud83d", "\\ude00", "\\ud83d\\ude00", "\\x", "\\/", "\u{0}", "\u{1F}", "é", "\u{1F600}",
    ].map { Array($0.utf8) } + [[0xC0], [0xFF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xCE]]
    /// `"a":[` and `"a":{` 5000 times, and their closings.
    static let deepArrays = Array(String(repeating: "\"a\":[", count: 5000).utf8)
    static let deepObjects = Array(String(repeating: "\"a\":{", count: 5000).utf8)
    static let closingArrays = Array(String(repeating: "]", count: 5000).utf8)
    static let closingObjects = Array(String(repeating: "}", count: 5000).utf8)

    static func jsonGarbage(_ rng: inout SplitMix64) -> [UInt8] {
        var text: [UInt8] = [UInt8(ascii: "{")]
        if rng.oneIn(4) {
            // Deep nesting, closed or not.
            let depth = rng.oneIn(8) ? rng.below(5000) : rng.below(80)
            let arrays = rng.oneIn(2)
            text += (arrays ? deepArrays : deepObjects).prefix(5 * depth)
            text.append(UInt8(ascii: "1"))
            if rng.oneIn(2) {
                text += (arrays ? closingArrays : closingObjects).prefix(depth)
                text.append(UInt8(ascii: "}"))
            }
            return text
        }
        for _ in 0..<rng.length(upTo: 120) { text += jsonTokens[rng.below(jsonTokens.count)] }
        return text
    }

    static let codecReasons: Set<MalformationReason> = [.empty, .unknownType, .truncatedHeader, .truncatedName, .truncatedPeer, .trailingBytes, .badJSON]

    /// The codec's contract, checked on one payload.
    static func checkDecode(_ input: [UInt8], sender: IPv4Address?, _ report: inout Report) {
        input.withUnsafeBytes { payload in
            checkDecode(payload, input: input, sender: sender, &report)
        }
    }

    static func checkDecode(_ payload: UnsafeRawBufferPointer, input: [UInt8], sender: IPv4Address?, _ report: inout Report) {
        report.decoded += 1
        switch decodeFrame(payload, sender: sender) {
        case let .malformed(m):
            report.check((0...payload.count).contains(m.offset), "\(m.reason) at offset \(m.offset), outside 0...\(payload.count)", input)
            report.check(m.length == payload.count, "\(m.reason) says length \(m.length) for \(payload.count) bytes", input)
            report.check(codecReasons.contains(m.reason), "the codec gave a packet-level reason \(m.reason)", input)
            report.check(!m.detail.isEmpty, "\(m.reason) without a detail", input)
            report.check((m.reason == .empty) == payload.isEmpty, "\(m.reason) for \(payload.count) bytes", input)
        case let .frame(view):
            report.check(!payload.isEmpty && view.type.rawValue == payload[0], "\(view.type.name) from type byte \(payload.first ?? 0)", input)
            let frame = view.owned()
            _ = view.legacyName
            report.check(view.warnings.contains(.exceedsReceiveBuffer) == (payload.count > FirmwareLimits.receiveBuffer),
                         "exceeds-receive-buffer wrong for \(payload.count) bytes", input)
            report.check(!view.warnings.contains(.fragmented), "the codec set fragmented", input)
            if sender == nil { report.check(!view.warnings.contains(.fullSenderNotFirst), "full-sender-not-first without a sender", input) }
            if case let .full(peers) = frame {
                report.check(peers.count == Int(payload[1]), "FULL of \(peers.count) entries, count byte \(payload[1])", input)
                report.check(view.warnings.contains(.tooManyPeers) == (peers.count > FirmwareLimits.maxPeers), "too-many-peers wrong", input)
            }
            let encoded = frame.encoded()
            if view.type != .legacy {
                // Strict decoding: a frame is exactly the bytes of its encoding.
                report.check(encoded.elementsEqual(payload), "\(view.type.name) re-encodes to other bytes: \(encoded)", input)
            }
            encoded.withUnsafeBytes { again in
                guard case let .frame(second) = decodeFrame(again, sender: sender) else {
                    return report.fail("\(view.type.name) re-encoded does not decode: \(encoded)", input)
                }
                let secondFrame = second.owned()
                report.check(secondFrame == frame, "\(view.type.name) re-encoded decodes to another frame", input)
                report.check(secondFrame.encoded() == encoded, "\(view.type.name) encoding is not a fixed point", input)
            }
        }
    }

    // MARK: Packet-layer inputs

    static let links: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .null, .loop]

    /// Whether `inner` lies inside `outer` (an empty buffer lies anywhere).
    static func lies(_ inner: UnsafeRawBufferPointer, in outer: UnsafeRawBufferPointer) -> Bool {
        guard inner.count > 0 else { return true }
        guard let i = inner.baseAddress, let o = outer.baseAddress else { return false }
        return i >= o && i + inner.count <= o + outer.count
    }

    /// Every layer on one captured frame, under every link type.
    static func checkLayers(_ packet: [UInt8], _ report: inout Report) {
        // A copy of exactly the packet's size, so that a read past its end is caught.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: packet.count, alignment: 1)
        defer { buffer.deallocate() }
        packet.withUnsafeBytes { if $0.count > 0 { buffer.copyMemory(from: $0) } }
        let frame = UnsafeRawBufferPointer(buffer)
        for link in links {
            switch networkLayer(of: frame, link: link) {
            case let .ipv4(bytes):
                report.check(lies(bytes, in: frame), "\(link): IPv4 outside the frame", packet)
                checkIPv4(bytes, packet, &report)
            case let .ipv6(bytes):
                report.check(lies(bytes, in: frame), "\(link): IPv6 outside the frame", packet)
                checkIPv6(bytes, packet, &report)
            case .other:
                break
            }
        }
        checkIPv4(frame, packet, &report)
        checkIPv6(frame, packet, &report)
        for ipCut in [false, true] { checkUDP(frame, ipCut: ipCut, source: nil, destination: nil, packet, &report) }
        _ = onesComplementSum(frame)
    }

    static func checkIPv4(_ bytes: UnsafeRawBufferPointer, _ packet: [UInt8], _ report: inout Report) {
        guard case let .packet(header, payload, cut) = parseIPv4(bytes) else { return }
        report.check(lies(payload, in: bytes), "IPv4 payload outside the packet", packet)
        report.check(header.headerLength >= 20 && header.totalLength >= header.headerLength, "IPv4 lengths \(header.headerLength)/\(header.totalLength)", packet)
        report.check(payload.count == min(header.totalLength, bytes.count) - header.headerLength, "IPv4 payload of \(payload.count) bytes", packet)
        report.check(cut == (bytes.count < header.totalLength), "IPv4 cut flag wrong", packet)
        if !header.isFragment, header.protocolNumber == 17 {
            checkUDP(payload, ipCut: cut, source: header.source, destination: header.destination, packet, &report)
        }
    }

    static func checkIPv6(_ bytes: UnsafeRawBufferPointer, _ packet: [UInt8], _ report: inout Report) {
        guard let udp = parseIPv6UDP(bytes) else { return }
        report.check(lies(udp.payload, in: bytes), "IPv6 UDP payload outside the packet", packet)
        report.check(udp.payloadLength >= 0, "IPv6 UDP payload length \(udp.payloadLength)", packet)
    }

    static func checkUDP(_ bytes: UnsafeRawBufferPointer, ipCut: Bool, source: IPv4Address?, destination: IPv4Address?,
                         _ packet: [UInt8], _ report: inout Report) {
        switch parseUDP(bytes, ipCut: ipCut) {
        case let .datagram(header, payload, cut):
            report.check(lies(payload, in: bytes), "UDP payload outside the datagram", packet)
            report.check(header.length >= 8, "UDP length \(header.length) accepted", packet)
            if cut {
                report.check(ipCut, "UDP cut without the IP layer cut", packet)
            } else {
                report.check(payload.count == header.length - 8, "UDP payload of \(payload.count) bytes, length \(header.length)", packet)
                let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<header.length])
                _ = verifyUDPChecksum(source: source ?? IPv4Address(0), destination: destination ?? IPv4Address(0), udp: whole, field: header.checksum)
            }
            checkDecode(payload, input: packet, sender: source, &report)
        case .portsOnly:
            report.check(ipCut && bytes.count < 8, "ports only from \(bytes.count) bytes", packet)
        case .invalid:
            break
        }
    }

    /// An IPv4 or IPv6 packet carrying UDP (mostly to the discovery port), or not.
    static func randomIPPacket(_ rng: inout SplitMix64) -> [UInt8] {
        let payload = rng.oneIn(3) ? rng.bytes(rng.length(upTo: 1600)) : mutatedFrame(&rng)
        let sport: UInt16 = rng.oneIn(2) ? 37020 : UInt16(truncatingIfNeeded: rng.next())
        let dport: UInt16 = rng.oneIn(4) ? UInt16(truncatingIfNeeded: rng.next()) : 37020
        // Checksums are left as they fall: the layers only report them.
        let udpLength = payload.count + 8
        var udp: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                            UInt8(udpLength >> 8 & 0xFF), UInt8(udpLength & 0xFF), rng.byte(), rng.byte()]
        udp += payload
        if rng.oneIn(4) {
            // A UDP length that lies.
            let length = rng.pick([0, 7, 8, udp.count - 1, udp.count + 1, 0xFFFF, rng.below(0x10000)])
            udp[4] = UInt8(length >> 8 & 0xFF); udp[5] = UInt8(length & 0xFF)
        }
        if rng.oneIn(5) {
            // IPv6 with extension headers: hop-by-hop, routing, destination options, fragment.
            var extensions: [UInt8] = []
            var chain: [UInt8] = []
            for _ in 0..<rng.below(4) { chain.append(rng.pick([0, 43, 60, 44])) }
            chain.append(rng.oneIn(8) ? rng.byte() : 17)
            let first = chain[0]
            for k in 0..<(chain.count - 1) {
                if chain[k] == 44 {
                    let offset = rng.oneIn(3) ? UInt16(rng.below(0x2000)) << 3 : 0
                    extensions += [chain[k + 1], 0, UInt8(offset >> 8), UInt8(offset & 0xFF)] + rng.bytes(4)
                } else {
                    let units = rng.below(3)
                    extensions += [chain[k + 1], UInt8(units)] + rng.bytes(6 + units * 8)
                }
            }
            let length = extensions.count + udp.count
            return [0x60, 0, 0, 0, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), first, 64] + rng.bytes(32) + extensions + udp
        }
        let options = rng.oneIn(6) ? rng.bytes(4 * rng.below(11)) : []
        let headerLength = 20 + options.count
        let total = headerLength + udp.count
        let flags = (rng.oneIn(8) ? 0x2000 : 0) | (rng.oneIn(8) ? rng.below(0x2000) : 0)
        var ip: [UInt8] = [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF), 0, UInt8(rng.below(4)),
                           UInt8(flags >> 8), UInt8(flags & 0xFF), 64, rng.oneIn(10) ? rng.byte() : 17, 0, 0,
                           10, 37, 0, 20, 255, 255, 255, 255]
        ip += options
        ip += udp
        if rng.oneIn(4) {
            // Header length and total length that lie.
            if rng.oneIn(2) { ip[0] = 0x40 | UInt8(rng.below(16)) }
            if rng.oneIn(2) { let t = rng.below(0x10000); ip[2] = UInt8(t >> 8); ip[3] = UInt8(t & 0xFF) }
        }
        return ip
    }

    /// `ip` behind a random link header (often the right one for some link type).
    static func framed(_ ip: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        let v6 = ip.first.map { $0 >> 4 == 6 } ?? false
        let etherType: [UInt8] = v6 ? [0x86, 0xDD] : [0x08, 0x00]
        switch rng.below(7) {
        case 0:
            let tpids: [[UInt8]] = [[0x81, 0x00], [0x88, 0xA8], [0x91, 0x00]]
            var header: [UInt8] = rng.bytes(12)
            for _ in 0..<(rng.oneIn(2) ? 0 : rng.below(40)) { header += rng.pick(tpids) + rng.bytes(2) }
            return header + (rng.oneIn(10) ? rng.bytes(2) : etherType) + ip
        case 1: return rng.bytes(14) + etherType + ip   // Linux SLL
        case 2: return etherType + rng.bytes(18) + ip   // Linux SLL2
        case 3: return ip                                // raw
        case 4:
            let family = rng.pick([UInt32(2), 10, 24, 28, 30, rng.byte() == 0 ? 0 : UInt32(truncatingIfNeeded: rng.next())])
            let little = [UInt8(family & 0xFF), UInt8(family >> 8 & 0xFF), UInt8(family >> 16 & 0xFF), UInt8(family >> 24)]
            return (rng.oneIn(2) ? little : little.reversed()) + ip
        case 5: return rng.bytes(rng.below(24)) + ip
        default: return rng.bytes(rng.length(upTo: 100))
        }
    }

    static func randomPacket(_ rng: inout SplitMix64) -> [UInt8] {
        var packet = framed(randomIPPacket(&rng), &rng)
        // The snap length cuts, or the capture adds padding.
        if rng.oneIn(4) { packet = Array(packet.prefix(rng.below(packet.count + 1))) }
        if rng.oneIn(8) { packet += rng.bytes(rng.below(20)) }
        if rng.oneIn(4), !packet.isEmpty {
            for _ in 0..<(1 + rng.below(3)) { packet[rng.below(packet.count)] = rng.byte() }
        }
        return packet
    }

    /// One round of fragments. Usually one UDP datagram cut cleanly at 8-byte
    /// boundaries, shuffled, some repeated (then `whole` is what must come back);
    /// otherwise fragments with random offsets, lengths, flags and cuts.
    /// Random fragments use IP ids 0 to 2; a clean round's id is its own (3 and up), so
    /// that no leftover of another round can take the place of one of its pieces.
    static func fragmentRound(_ rng: inout SplitMix64, round: Int) -> (fragments: [[UInt8]], whole: [UInt8]?) {
        let source = "10.37.0.\(rng.below(4))"
        let id = UInt16(3 + round % 65_000)
        if !rng.oneIn(3) {
            var fragments: [[UInt8]] = []
            // Small pieces at a few offsets overlap, leave holes and lie past the end often.
            let small = !rng.oneIn(3)
            for _ in 0..<(1 + rng.below(6)) {
                let payload = rng.bytes(small ? 8 * rng.below(5) : rng.length(upTo: 600))
                let offset = 8 * (small ? rng.below(6) : rng.below(rng.oneIn(4) ? 0x2000 : 200))
                var ip = PacketBuilder.ipv4(src: source, dst: "255.255.255.255", payload: payload, id: UInt16(rng.below(3)),
                                            moreFragments: !rng.oneIn(3), fragmentOffset: offset)
                if rng.oneIn(3) { ip = Array(ip.prefix(20 + rng.below(payload.count + 1))) }   // cut by the snap length
                fragments.append(ip)
            }
            return (fragments, nil)
        }
        let frame = randomFrame(&rng).encoded()
        let udp = PacketBuilder.udp(src: source, dst: "255.255.255.255", sport: 45123, dport: 37020, payload: frame + rng.bytes(rng.below(3000)))
        let step = 8 * (1 + rng.below(60))
        var fragments: [[UInt8]] = []
        var offset = 0
        while offset < udp.count {
            let end = min(udp.count, offset + step)
            fragments.append(PacketBuilder.ipv4(src: source, dst: "255.255.255.255", payload: Array(udp[offset..<end]), id: id,
                                                moreFragments: end < udp.count, fragmentOffset: offset))
            offset = end
        }
        if fragments.count == 1 { return (fragments, nil) }   // not a fragment at all
        for _ in 0..<rng.below(3) { fragments.append(rng.pick(fragments)) }
        fragments.shuffle(using: &rng)
        return (fragments, udp)
    }

    // MARK: Capture files

    /// A discovery datagram over IPv4: one packet, or its fragments (maybe not all,
    /// maybe out of order).
    static func discoveryPackets(_ rng: inout SplitMix64) -> [[UInt8]] {
        let payload = rng.oneIn(3) ? mutatedFrame(&rng) : (rng.oneIn(8) ? jsonGarbage(&rng) : randomFrame(&rng).encoded())
        let source = "10.37.0.\(10 + rng.below(40))"
        let destination = rng.oneIn(3) ? "10.37.0.\(10 + rng.below(40))" : "255.255.255.255"
        let udp = PacketBuilder.udp(src: source, dst: destination, sport: rng.oneIn(4) ? 37020 : 45123, dport: 37020, payload: payload,
                                    checksum: rng.oneIn(6) ? UInt16(truncatingIfNeeded: rng.next()) : nil)
        guard udp.count + 20 > 1500 || rng.oneIn(10) else { return [PacketBuilder.ipv4(src: source, dst: destination, payload: udp)] }
        let id = UInt16(truncatingIfNeeded: rng.next())
        let step = udp.count + 20 > 1500 ? 1480 : 8 * (1 + rng.below(20))
        var pieces: [[UInt8]] = []
        var offset = 0
        while offset < udp.count {
            let end = min(udp.count, offset + step)
            pieces.append(PacketBuilder.ipv4(src: source, dst: destination, payload: Array(udp[offset..<end]), id: id,
                                             moreFragments: end < udp.count, fragmentOffset: offset))
            offset = end
        }
        if rng.oneIn(4) { pieces.remove(at: rng.below(pieces.count)) }
        if rng.oneIn(4) { pieces.shuffle(using: &rng) }
        return pieces
    }

    /// A capture file of random packets in a random format, then maybe corrupted
    /// byte by byte as a whole.
    static func captureFile(_ rng: inout SplitMix64) -> [UInt8] {
        // Link types peersniff reads (with their framing), and one it does not.
        let linkTypes: [UInt32] = [1, 1, 1, 113, 276, 101, 228, 0, 108, 147]
        let linkType = rng.pick(linkTypes)
        var packets: [TestPacket] = []
        var seconds: UInt32 = 1_800_000_000 + UInt32(rng.below(1000))
        let nano = rng.oneIn(3)
        let count = 1 + rng.below(40)
        for _ in 0..<count {
            let ips: [[UInt8]]
            switch rng.below(10) {
            case 0: ips = [randomIPPacket(&rng)]
            case 1: ips = [rng.bytes(rng.length(upTo: 200))]
            default: ips = discoveryPackets(&rng)
            }
            for ip in ips {
                var bytes: [UInt8]
                let v6 = ip.first.map { $0 >> 4 == 6 } ?? false
                switch linkType {
                case 1: bytes = PacketBuilder.ethernet(ip, etherType: v6 ? 0x86DD : 0x0800,
                                                       vlanTags: rng.oneIn(5) ? [(0x88A8, 7), (0x8100, 37)] : [])
                case 113: bytes = [0, 0, 0, 1, 0, 6] + rng.bytes(8) + (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + ip
                case 276: bytes = (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + rng.bytes(8) + ip
                case 0: bytes = (v6 ? [10, 0, 0, 0] : [2, 0, 0, 0]) + ip
                case 108: bytes = (v6 ? [0, 0, 0, 24] : [0, 0, 0, 2]) + ip
                default: bytes = ip
                }
                var original: Int? = nil
                if rng.oneIn(10) {
                    // The snap length cut this packet.
                    original = bytes.count
                    bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
                }
                if rng.oneIn(3) { seconds &+= UInt32(rng.below(3)) }
                if rng.oneIn(30) { seconds &-= UInt32(rng.below(100)) }   // time going backwards
                let fraction = UInt32(rng.below(nano ? 1_000_000_000 : 1_000_000))
                packets.append(TestPacket(seconds: seconds, fraction: fraction, bytes: bytes, originalLength: original))
            }
        }
        let big = rng.oneIn(4)
        let format: PcapFormat = rng.oneIn(3) ? .pcapng(bigEndian: big, nanoseconds: nano) : .pcap(bigEndian: big, nanoseconds: nano)
        var file = [UInt8](makeCapture(packets, linkType: linkType, format: format, snapLength: rng.oneIn(5) ? UInt32(rng.below(2000)) : 262144))
        // Where each record header of a classic pcap file begins.
        var records: [Int] = []
        if case .pcap = format {
            var at = 24
            for packet in packets { records.append(at); at += 16 + packet.bytes.count }
        }
        let extremes: [UInt32] = [.max, 0x8000_0000, 0x7FFF_FFFF, 0, 1_000_000, 999_999_999, 1_000_000_000, 0xFFFF]
        // Record headers whose time, fraction, captured or original length is extreme.
        let recordOdds = rng.pick([4, 10, 40, 1000])
        for record in records where rng.oneIn(recordOdds) {
            let at = record + 4 * rng.below(4)
            let value = rng.pick(extremes)
            for k in 0..<4 { file[at + k] = UInt8(value >> UInt32(8 * (big ? 3 - k : k)) & 0xFF) }
        }
        // Corrupt the whole file: any field of any header may be hit.
        if !rng.oneIn(3), !file.isEmpty {
            for _ in 0..<(1 + rng.below(6)) {
                guard !file.isEmpty else { break }
                switch rng.below(8) {
                case 0: file[rng.below(min(file.count, 64))] = rng.byte()                 // the file header and the first record's
                case 1, 2: file[rng.below(file.count)] = rng.byte()
                case 3: file = Array(file.prefix(rng.below(file.count + 1)))               // cut short
                case 4: file.insert(contentsOf: rng.bytes(1 + rng.below(8)), at: rng.below(file.count + 1))
                case 5:
                    let start = rng.below(file.count)
                    file.removeSubrange(start..<min(file.count, start + 1 + rng.below(8)))
                default:
                    // A 32-bit field set to an extreme value.
                    let at = rng.below(file.count) & ~3
                    guard at + 4 <= file.count else { continue }
                    let value = rng.pick(extremes)
                    for k in 0..<4 { file[at + k] = UInt8(value >> UInt32(8 * k) & 0xFF) }
                }
            }
        }
        return file
    }

    /// Three fragments of one 16-byte UDP datagram (IP id 0x4242), in this order:
    /// the first (offset 0, 40 bytes declared, only 4 captured), one at offset 32
    /// (past the datagram's end, which the last fragment puts at 16), and the last
    /// (offset 8, 8 bytes). `captured` is how many bytes of each IP packet the
    /// capture kept.
    static func fragmentsPastTheEnd() -> [(bytes: [UInt8], captured: Int)] {
        let udpHeader: [UInt8] = [0xB0, 0x43, 0x90, 0x9C, 0x00, 0x10, 0x00, 0x00]
        let first = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: udpHeader + [UInt8](repeating: 0x03, count: 32),
                                       id: 0x4242, moreFragments: true, fragmentOffset: 0)
        let beyond = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: [UInt8](repeating: 0, count: 8),
                                        id: 0x4242, moreFragments: true, fragmentOffset: 32)
        let last = PacketBuilder.ipv4(src: "10.37.0.20", dst: "255.255.255.255", payload: [UInt8](repeating: 0x03, count: 8),
                                      id: 0x4242, moreFragments: false, fragmentOffset: 8)
        return [(first, 24), (beyond, beyond.count), (last, last.count)]
    }

    /// One PING in a classic pcap file whose record has this fraction field.
    static func ping(pcapFraction: UInt32, nanoseconds: Bool) -> [UInt8] {
        let packet = TestPacket(seconds: 1_800_000_000, fraction: 0, bytes: PacketBuilder.discovery([0x03], dst: "10.37.0.21"))
        var file = [UInt8](makeCapture([packet], format: .pcap(bigEndian: false, nanoseconds: nanoseconds)))
        for k in 0..<4 { file[28 + k] = UInt8(pcapFraction >> UInt32(8 * k) & 0xFF) }
        return file
    }

    /// One PING in a pcapng file whose interface counts time in whole seconds
    /// (if_tsresol 0x80: 2^-0), stamped `time`.
    static func ping(pcapngSecondsResolutionTime time: UInt64) -> [UInt8] {
        let packet = TestPacket(seconds: 0, fraction: 0, bytes: PacketBuilder.discovery([0x03], dst: "10.37.0.21"))
        var file = [UInt8](makeCapture([packet], format: .pcapng(bigEndian: false, nanoseconds: true)))
        // Section header 28 bytes; the interface block's if_tsresol value is at 28 + 16 + 4;
        // the packet block (at 28 + 32) has its time at +12 (high word) and +16 (low word).
        file[48] = 0x80
        for k in 0..<4 {
            file[72 + k] = UInt8(time >> UInt64(32 + 8 * k) & 0xFF)
            file[76 + k] = UInt8(time >> UInt64(8 * k) & 0xFF)
        }
        return file
    }

    /// What is wrong with the RFC 3339 times of one JSON line (`ts`, `first_ts`,
    /// `last_ts`), if anything: each must be `YYYY-MM-DDTHH:MM:SS` with 6 or 9
    /// fraction digits and a `Z`, in range.
    static func timestampProblem(in line: Substring) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
        for key in ["ts", "first_ts", "last_ts"] {
            guard let value = object[key] else { continue }
            guard let text = value as? String else { return "\(key) is not a string: \(line.prefix(200))" }
            let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            let digits = { (s: Substring.UTF8View.SubSequence) in s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
            guard parts.count == 2, let fraction = parts.last, fraction.last == UInt8(ascii: "Z"),
                  [7, 10].contains(fraction.count), digits(fraction.dropLast()) else {
                return "\(key) \(text) has no 6- or 9-digit fraction"
            }
            let clock = Array(parts[0])
            guard clock.count == 19, clock[4] == UInt8(ascii: "-"), clock[7] == UInt8(ascii: "-"), clock[10] == UInt8(ascii: "T"),
                  clock[13] == UInt8(ascii: ":"), clock[16] == UInt8(ascii: ":") else { return "\(key) \(text) is not RFC 3339" }
            func number(_ range: Range<Int>) -> Int { clock[range].reduce(0) { $0 * 10 + Int($1) - 0x30 } }
            guard clock.indices.allSatisfy({ [4, 7, 10, 13, 16].contains($0) || (clock[$0] >= 0x30 && clock[$0] <= 0x39) }),
                  (1...12).contains(number(5..<7)), (1...31).contains(number(8..<10)),
                  number(11..<13) < 24, number(14..<16) < 60, number(17..<19) < 61 else {
                return "\(key) \(text) is out of range"
            }
        }
        return nil
    }

    // MARK: Running the binary

    struct ChildResult: Sendable {
        var status: Int32
        /// Killed by a signal (`status` is then the signal's number).
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs a program to its end, telling a signal apart from an exit status
    /// (which `runProgram` does not).
    static func runChild(_ path: String, _ arguments: [String]) -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        // Output goes to files, not pipes: nothing to drain while the child runs, and no
        // dispatch thread to wait for (this runs on several threads at once).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("peersniff-fuzz-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else {
            return ChildResult(status: -1, signalled: false, stdout: "", stderr: "cannot create output files in \(folder.path)")
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"   // a crash is reported here; no need for a slow backtrace
        process.environment = environment
        do { try process.run() } catch { return ChildResult(status: -1, signalled: false, stdout: "", stderr: "cannot run: \(error)") }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = (try? Data(contentsOf: errURL)) ?? Data()
        return ChildResult(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                           stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Results filled in from several threads.
    final class Outcomes: @unchecked Sendable {
        private var results: [ChildResult]
        private let lock = NSLock()
        init(count: Int) { results = Array(repeating: ChildResult(status: -1, signalled: false, stdout: "", stderr: ""), count: count) }
        func set(_ i: Int, _ result: ChildResult) { lock.lock(); results[i] = result; lock.unlock() }
        func get(_ i: Int) -> ChildResult { lock.lock(); defer { lock.unlock() }; return results[i] }
    }
}
