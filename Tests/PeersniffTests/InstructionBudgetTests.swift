import DiscoveryCodec
import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// The hot path's cost, counted, not timed: instructions per packet under valgrind's
/// callgrind, which counts the same for the same binary and input whatever else the
/// machine does. Two captures of the same traffic, one ten times longer, are read
/// with `-q`; start-up and summary cancel out in the difference.
///
/// The traffic is a registry at work: each round a board joins (HELLO) or leaves
/// (OFFLINE), the registry answers with its changed FULL of about 45 entries, two
/// boards PING and PONG, and the same FULL comes again. It exercises the shortcuts
/// that make FULLs cheap (a repeated FULL recognised whole, a changed one compared
/// by its shared start and end), so losing one of them shows here as a jump.
///
/// Measured (2026-11-25, Swift 6.3.1, libpcap 1.10.3, the release build of
/// scripts/test.sh): 4,400 instructions per packet, against 9,800 for the build before
/// the FULL shortcuts; 2026-12-01, with the reader in place and the faster checksum:
/// 4,134; 2026-12-02, after the hot path of issue 21 (no closures or reference counting
/// per packet, the decoder's comparison of a FULL reused, the engine's per-frame state
/// read from the analyzer): 3,470; later that day (the reading and the headers in line,
/// records without reference counting, events borrowed): 2,902; with link-time
/// optimisation (scripts/release-flags.sh, the build scripts/test.sh measures): 2,489;
/// with the trims after it (events to a sink, the clock in line, no frame records to a
/// quiet writer): 2,289; with no record made for a frame nothing writes: 2,261;
/// 2026-12-02 later (the checksum's add-with-carry chain in C, reassembly without
/// allocations, FULLs' shared start found by halving, PING, PONG and OFFLINE decoded in
/// line, no writer for a quiet run's events): 2,036; then (every packet's clock, the
/// link layer and a known node's lookup in line): 1,963; the session after (the node
/// table, counters and listings without arrays to check for sharing, no peers-changed
/// made for a writer that does not take it, FULL listings found from the nodes changed):
/// 1,785. The budget is a tenth above.
@Suite("Instructions per packet",
       .enabled(if: Valgrind.path != nil, "valgrind is not installed: instruction counts need its callgrind"),
       .enabled(if: ReleaseBuild.peersniff != nil,
                "no release build to measure: scripts/test.sh builds one and sets PEERSNIFF_ALLOC_BINARY"))
struct InstructionBudgetTests {
    static let budget = 1_965.0

    @Test("-q on a registry at work stays within its instruction budget per packet")
    func perPacket() throws {
        let binary = try #require(ReleaseBuild.peersniff)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rounds = 200
        let small = folder.appendingPathComponent("working-\(rounds).pcap").path
        let large = folder.appendingPathComponent("working-\(10 * rounds).pcap").path
        let few = WorkingRegistry.packets(rounds: rounds)
        let many = WorkingRegistry.packets(rounds: 10 * rounds)
        try Data(makeCapture(few)).write(to: URL(fileURLWithPath: small))
        try Data(makeCapture(many)).write(to: URL(fileURLWithPath: large))

        // Every packet is a frame, and the FULLs changed as planned.
        let check = try runProgram(binary, ["-r", large, "--json", "-q"])
        let summary = try #require(check.records.last)
        #expect(summary["frames"] as? Int == many.count, "\(check.stderr)")
        let events = summary["events_by_kind"] as? [String: Int]
        #expect((events?["peers-changed"] ?? 0) >= 10 * rounds - 1, "every round changed the list: \(events ?? [:])")

        let a = try Self.instructions(binary, ["-q", "-r", small], folder: folder)
        let b = try Self.instructions(binary, ["-q", "-r", large], folder: folder)
        let perPacket = Double(b - a) / Double(many.count - few.count)
        print("instructions per packet (-q): \(Int(perPacket)) (\(a) for \(few.count) packets, \(b) for \(many.count))")
        #expect(perPacket < Self.budget, """
            peersniff -q takes \(Int(perPacket)) instructions per packet, over the budget of \(Int(Self.budget)). \
            See where with valgrind --tool=callgrind \(binary) -q -r FILE and callgrind_annotate.
            """)
    }

    /// The benchmark's own traffic (`peersniff-gen --profile discovery`, about 50 boards,
    /// every frame type, FULLs IP-fragmented: what Benchmarks/run.sh and
    /// Benchmarks/instructions.sh read), counted the same way. Measured when set
    /// (2026-12-01, Swift 6.3.1, libpcap 1.10.3): 4,217 instructions a packet with -q
    /// (4,884 before the reader in place, the filter's fast path and the faster
    /// checksum); 2026-12-02: 3,533, then 3,001, then 2,644 with link-time optimisation,
    /// then 2,485, then 2,457, then 2,445; the session after: 2,210, then 2,133; the
    /// session after that: 1,988 (issue 21's goal: at most 2,000).
    /// The budget is a tenth above, so that a regression of 10% fails.
    static let discoveryBudget = 2_190.0

    @Test("-q on the benchmark's discovery traffic stays within a tenth of what it was measured at")
    func benchmarkTraffic() throws {
        let binary = try #require(ReleaseBuild.peersniff)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The generator is a package of its own in Benchmarks/Generator.
        let generatorPackage = Paths.root.appendingPathComponent("Benchmarks/Generator").path
        let swift = try toolPath("swift")
        let build = try runProgram(swift, ["build", "-c", "release", "--package-path", generatorPackage])
        try #require(build.status == 0, "the generator does not build: \(build.stderr)")
        let binPath = try runProgram(swift, ["build", "-c", "release", "--package-path", generatorPackage, "--show-bin-path"])
        let generator = binPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/peersniff-gen"
        // As Benchmarks/instructions.sh counts: the read loop only (read, decode,
        // analyse, write each record), at two lengths.
        // With the page (--html): its recorder's share of the read loop (the page is
        // drawn after it).
        var counts: [Int] = []
        var pageCounts: [Int] = []
        var drawing = 0
        for packets in [50_000, 250_000] {
            let capture = folder.appendingPathComponent("discovery-\(packets).pcap").path
            let made = try runProgram(generator, ["--profile", "discovery", "--packets", "\(packets)", "-o", capture, "-q"])
            try #require(made.status == 0, "\(made.stderr)")
            counts.append(try Self.instructions(binary, ["-q", "-r", capture], folder: folder,
                                                only: "$s13PeersniffCore13OfflineReaderV3run*"))
            let page = folder.appendingPathComponent("page.html").path
            pageCounts.append(try Self.instructions(binary, ["-q", "-r", capture, "--html", page], folder: folder,
                                                    only: "$s13PeersniffCore13OfflineReaderV3run*"))
            if packets == 250_000 {
                // The page drawn at the end, once: a cost of its own (a few MB of markup).
                drawing = try Self.instructions(binary, ["-q", "-r", capture, "--html", page], folder: folder,
                                                only: "$s6Output8HTMLPageO17withRenderedBytes*")
            }
        }
        let perPacket = Double(counts[1] - counts[0]) / 200_000
        print("instructions per packet (-q, benchmark traffic): \(Int(perPacket))")
        #expect(perPacket > 1_000, "a count this low means the capture was not read")
        #expect(perPacket < Self.discoveryBudget, """
            peersniff -q takes \(Int(perPacket)) instructions per packet of the benchmark's traffic, over the budget of \(Int(Self.discoveryBudget)). \
            Benchmarks/instructions.sh counts it; callgrind_annotate shows where.
            """)
        let withPage = Double(pageCounts[1] - pageCounts[0]) / 200_000
        print("instructions per packet (-q --html, benchmark traffic): \(Int(withPage)), \(withPage / perPacket) x -q")
        #expect(withPage > perPacket, "the page's recorder was not fed")
        #expect(withPage <= Self.pageShare * perPacket, """
            the page's recorder takes -q from \(Int(perPacket)) to \(Int(withPage)) instructions a packet, more than \
            \(Int((Self.pageShare - 1) * 100 + 0.5))% above (TimelineRecorder.frame, which the pipeline calls for each frame).
            """)
        print("instructions drawing the page of 250,000 packets: \(drawing)")
        #expect(drawing > 1_000_000, "a count this low means the page was not drawn")
        #expect(Double(drawing) < Self.drawingBudget, """
            drawing the page of the benchmark's 250,000 packets takes \(drawing) instructions, over the budget of \(Int(Self.drawingBudget)) \
            (HTMLPage.withRenderedBytes; callgrind with --toggle-collect on it shows where).
            """)
    }

    /// Drawing the page of the benchmark's 250,000 packets (4.3 MB: 12,000 frames drawn
    /// one by one, about 10,000 ticks of counts, 3,000 event marks, 1,600 offline spans):
    /// 167 M instructions when set (2026-12-02: each element an `HTML` value, an array
    /// of its own, copied into the page), then 57 M, each element written straight into
    /// the page, 59 M with a rectangle's place written by one function (`appendBox`).
    /// With the read loop's share, the whole run of 1M packets with the page stays within
    /// issue 21's tenth above `-q`. The budget is a tenth above.
    static let drawingBudget = 64_600_000.0

    /// Issue 21's goal for the page: `-q --html` at most a tenth above `-q` in the read
    /// loop. Measured when set (2026-12-02): 2,676 against 2,445 (1.094 x; 2,806 against
    /// 2,453 when the recorder took records through the fan-out); the session after,
    /// 2,387 against 2,210 (1.080 x: the recorder borrowed for each frame; the faster
    /// `-q` had taken the build before it to 1.102 x), then 2,312 against 2,133 (1.084 x);
    /// the session after, 2,146 against 1,988 (1.080 x; 1.103 x before the page's
    /// recorder said it takes no peers-changed).
    static let pageShare = 1.10

    /// callgrind's total instruction count for a whole run.
    static func instructions(_ binary: String, _ arguments: [String], folder: URL, only function: String? = nil) throws -> Int {
        let text = try Valgrind.run(["--tool=callgrind"] + (function.map { ["--toggle-collect=\($0)"] } ?? []), binary, arguments,
                                    folder: folder, output: "--callgrind-out-file")
        // "summary: 123456" (older valgrind: "totals: 123456")
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") || $0.hasPrefix("totals:") }),
              let count = line.split(separator: " ").last.flatMap({ Int($0) }) else {
            Issue.record("no total in callgrind's output")
            return 0
        }
        return count
    }
}

/// A registry at work, packet by packet: boards join and leave, its FULL changes.
enum WorkingRegistry {
    static let network = BoardNetwork(subnet: "10.38.0",
        titles: ["Attack from Mars", "Medieval Madness", "Pokémon Pinball", "Flipper Zone Ω", "Théâtre de Magie", "ピンボール魔王"]) {
        "\($0) - Arcade Bar #\($1)"
    }

    static func packets(rounds: Int) -> [TestPacket] {
        let (registry, boards, names) = (network.registry, network.boards, network.names)
        var log = PacketLog()
        var present = Set(boards.prefix(45))
        for ip in [registry] + boards.prefix(45) { log.send(.hello(name: names[ip]!), from: ip) }
        for round in 0..<rounds {
            // One board in the middle of the list joins or leaves.
            let board = boards[5 + (round * 7) % 40]
            if present.contains(board) {
                present.remove(board)
                log.send(.offline(ip: IPv4Address(board)!), from: registry)
            } else {
                present.insert(board)
                log.send(.hello(name: names[board]!), from: board)
            }
            let list = network.full(boards.filter { present.contains($0) })
            log.send(list, from: registry)
            let a = boards[(round * 3) % 50], b = boards[(round * 3 + 1) % 50]
            log.send(.ping, from: a, to: b)
            log.send(.pong, from: b, to: a)
            log.send(list, from: registry)
        }
        return log.packets
    }
}
