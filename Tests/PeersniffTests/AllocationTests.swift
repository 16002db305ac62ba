import DiscoveryCodec
import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// The per-packet path allocates nothing beyond what a record keeps: counted, not
/// timed. peersniff reads two captures of the same steady traffic, one ten times
/// longer than the other, under valgrind, whose memcheck counts every malloc
/// ("total heap usage: N allocs"). Start-up, the warm-up and the summary cost the
/// same in both runs, so the difference divided by the extra packets is what one
/// more packet costs; it must stay near zero.
///
/// The traffic is a network at rest, so that no packet brings anything new to keep:
/// 51 boards with fixed names, the lowest one the registry. A warm-up (the same in
/// both captures) introduces every board and decodes a FULL of every size from 10
/// to 51 entries; then each board in turn sends HELLO, the registry answers with
/// its FULL of all 51, the board PINGs its neighbour, which PONGs, and the board
/// declares the next one OFFLINE (that one comes back with its own next frame).
/// No LEGACY: parsing JSON builds strings by design.
///
/// `PEERSNIFF_ALLOC_PACKETS` sets N (default 500 steady packets, against 5000);
/// `PEERSNIFF_ALLOC_BINARY` measures another build (e.g. .build/release/peersniff).
@Suite("Allocations per packet",
       .enabled(if: Valgrind.path != nil, "valgrind is not installed: allocation counts need it"),
       .enabled(if: ReleaseBuild.peersniff != nil,
                "no release build to measure: scripts/test.sh builds one and sets PEERSNIFF_ALLOC_BINARY (a debug build allocates where the optimiser would not)"))
struct AllocationTests {
    static let binary: String = ReleaseBuild.peersniff ?? Paths.peersniff.path
    static let steadyPackets: Int = ProcessInfo.processInfo.environment["PEERSNIFF_ALLOC_PACKETS"].flatMap { Int($0) } ?? 500

    /// Allocations one more packet may cost, on average.
    static let bound = 0.01

    enum Output: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case quiet = "-q"
        case json = "--json"
        case text = "text"
        var arguments: [String] {
            switch self {
            case .quiet: ["-q"]
            case .json: ["--json"]
            case .text: ["--color", "never"]
            }
        }
        var testDescription: String { rawValue }
    }

    @Test("one more packet allocates nothing", arguments: Output.allCases)
    func perPacket(_ output: Output) throws {
        let n = AllocationTests.steadyPackets
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let small = folder.appendingPathComponent("steady-\(n).pcap").path
        let large = folder.appendingPathComponent("steady-\(10 * n).pcap").path
        try Data(makeCapture(RestingNetwork.packets(steady: n))).write(to: URL(fileURLWithPath: small))
        try Data(makeCapture(RestingNetwork.packets(steady: 10 * n))).write(to: URL(fileURLWithPath: large))

        // A run that decodes nothing allocates nothing: check that every packet is a frame.
        let check = try runProgram(AllocationTests.binary, ["-r", large, "--json", "-q"])
        let frames = check.records.last?["frames"] as? Int
        try #require(frames == 51 + 42 + 10 * n, "peersniff decoded \(frames.map(String.init) ?? "no") frames of \(51 + 42 + 10 * n)\n\(check.stderr)")

        let few = try AllocationTests.heapAllocations(["-r", small] + output.arguments, folder: folder)
        let many = try AllocationTests.heapAllocations(["-r", large] + output.arguments, folder: folder)
        let perPacket = Double(many - few) / Double(9 * n)
        print("allocations \(output.rawValue): \(few) for \(n) steady packets, \(many) for \(10 * n): \(String(format: "%.4f", perPacket)) per packet")
        #expect(perPacket < AllocationTests.bound, """
            peersniff \(output.rawValue) allocates \(String(format: "%.3f", perPacket)) times per packet \
            (\(few) allocations for \(n) steady packets, \(many) for \(10 * n)). Find where with \
            valgrind --tool=dhat \(AllocationTests.binary) -r FILE \(output.arguments.joined(separator: " ")), \
            or rerun this test with PEERSNIFF_ALLOC_BINARY set to a release build to see whether the optimiser removes them.
            """)
    }

    /// memcheck's count of heap allocations over a whole run of peersniff.
    static func heapAllocations(_ arguments: [String], folder: URL) throws -> Int {
        let text = try Valgrind.run(["--tool=memcheck", "--leak-check=no"], binary, arguments, folder: folder, output: "--log-file")
        // "==123==   total heap usage: 7,975 allocs, 7,678 frees, 861,551 bytes allocated"
        guard let line = text.split(separator: "\n").first(where: { $0.contains("total heap usage:") }),
              let field = line.split(separator: ":").last?.split(separator: " ").first,
              let count = Int(field.replacingOccurrences(of: ",", with: "")) else {
            Issue.record("no heap summary in valgrind's log:\n\(text.suffix(2000))")
            return 0
        }
        return count
    }
}

/// The optimised binary, as shipped: PEERSNIFF_ALLOC_BINARY, or the package's own release build.
enum ReleaseBuild {
    static let peersniff: String? = {
        if let path = ProcessInfo.processInfo.environment["PEERSNIFF_ALLOC_BINARY"] { return path }
        let built = Paths.root.appendingPathComponent(".build/release/peersniff").path
        return FileManager.default.isExecutableFile(atPath: built) ? built : nil
    }()
}

enum Valgrind {
    /// Runs `binary` under valgrind with `options`; returns what the tool wrote to the
    /// file given with `output` (`--log-file` or `--callgrind-out-file`).
    static func run(_ options: [String], _ binary: String, _ arguments: [String], folder: URL, output: String) throws -> String {
        let file = folder.appendingPathComponent("valgrind-\(UUID().uuidString).out")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(path))
        process.arguments = options + ["\(output)=\(file.path)", binary] + arguments
        // Hashing seeded the same in every run: a dictionary's collisions, and so the
        // calls they make, are then the same from run to run, and two runs compare.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "valgrind \(options.first ?? "") peersniff \(arguments.joined(separator: " ")) ended with \(process.terminationStatus)\n\(text.suffix(2000))")
        return text
    }

    /// valgrind on PATH, if it is installed.
    static let path: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/valgrind" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}

/// Fifty boards and their registry on one /24, with names as the firmware sends
/// them (up to 32 bytes, some multi-byte characters), and the FULL listing some.
struct BoardNetwork {
    let registry: String
    let boards: [String]
    let names: [String: Name]

    init(subnet: String, titles: [String], label: (String, Int) -> String) {
        registry = "\(subnet).10"
        boards = (0..<50).map { "\(subnet).\(11 + $0)" }
        var names: [String: Name] = ["\(subnet).10": firmwareName("Registry · Addams Family")]
        for (k, ip) in boards.enumerated() { names[ip] = firmwareName(label(titles[k % titles.count], k)) }
        self.names = names
    }

    /// The registry's FULL: itself first, then `listed` in order.
    func full(_ listed: [String]) -> Frame {
        .full(peers: ([registry] + listed).map { Peer(ip: IPv4Address($0)!, name: names[$0]!) })
    }
}

/// Discovery packets as a capture holds them, a hundred a second.
struct PacketLog {
    private(set) var packets: [TestPacket] = []

    mutating func send(_ frame: Frame, from source: String, to destination: String = "255.255.255.255") {
        let tick = packets.count
        let bytes = PacketBuilder.discovery(frame.encoded(), src: source, dst: destination)
        packets.append(TestPacket(seconds: 1_800_000_000 + UInt32(tick / 100), fraction: UInt32(tick % 100) * 10_000, bytes: bytes))
    }
}

/// The traffic of a network at rest, packet by packet.
enum RestingNetwork {
    static let network = BoardNetwork(subnet: "10.37.0",
        titles: ["Attack from Mars", "Medieval Madness", "Twilight Zone", "Flipper Zone Ω", "Théâtre de Magie", "Monster Bash"]) { "\($0) #\($1)" }

    /// The warm-up, then `steady` packets of the resting cycle (a multiple of 5).
    static func packets(steady: Int) -> [TestPacket] {
        let (registry, boards, names) = (network.registry, network.boards, network.names)
        var log = PacketLog()
        // Warm-up: everyone says HELLO, then the registry's FULL grows from 10 to 51 entries.
        for ip in [registry] + boards { log.send(.hello(name: names[ip]!), from: ip) }
        for entries in 10...51 { log.send(network.full(Array(boards.prefix(entries - 1))), from: registry) }
        let everyone = network.full(boards)
        var k = 0
        while log.packets.count < 51 + 42 + steady {
            let board = boards[k % boards.count]
            let neighbour = boards[(k + 1) % boards.count]
            let next = boards[(k + 2) % boards.count]
            log.send(.hello(name: names[board]!), from: board)
            log.send(everyone, from: registry)
            log.send(.ping, from: board, to: neighbour)
            log.send(.pong, from: neighbour, to: board)
            log.send(.offline(ip: IPv4Address(next)!), from: board)
            k += 1
        }
        return Array(log.packets.prefix(51 + 42 + steady))
    }
}
