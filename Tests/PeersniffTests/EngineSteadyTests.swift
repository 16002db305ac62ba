import DiscoveryCodec
import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// The diagnosis engine on a healthy LAN at rest: the registry's same FULL again and
/// again, boards PINGing and PONGing. Such a frame changes no incident, and the
/// engine's work on it is integer work on slots: no String, no reference counting,
/// no dictionary or set, no allocation. Counted by callgrind inside
/// `DiagnosisEngine.frame` only (its callees included), on two captures of the same
/// rest, one with ten times the steady rounds: any call of those kinds that grows
/// with the steady rounds is one a steady frame makes.
@Suite("The engine on a LAN at rest",
       .enabled(if: Valgrind.path != nil, "valgrind is not installed: the calls are counted by its callgrind"),
       .enabled(if: ReleaseBuild.peersniff != nil,
                "no release build to measure: scripts/test.sh builds one and sets PEERSNIFF_ALLOC_BINARY"))
struct EngineSteadyTests {
    /// What a steady frame must not call (demangled names, as `swift demangle` writes them).
    static let forbidden = ["swift_retain", "swift_release", "swift_bridgeObjectRetain", "swift_bridgeObjectRelease",
                            "swift_allocObject", "malloc", "String", "Dictionary", "Set<", "_NativeSet", "Hasher"]

    @Test("a steady PING, PONG or repeated FULL calls no String, reference count, dictionary or allocation in the engine")
    func steadyFramesCallNothingHeavy() throws {
        let binary = try #require(ReleaseBuild.peersniff)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let short = folder.appendingPathComponent("rest-short.pcap").path
        let long = folder.appendingPathComponent("rest-long.pcap").path
        try Data(makeCapture(LanAtRest.packets(rounds: 30))).write(to: URL(fileURLWithPath: short))
        try Data(makeCapture(LanAtRest.packets(rounds: 300))).write(to: URL(fileURLWithPath: long))

        // A LAN at rest: no incident, every frame seen.
        let check = try runProgram(binary, ["-r", long, "--json", "-q"])
        let summary = try #require(check.records.last)
        #expect((summary["diagnoses"] as? [Any])?.isEmpty == true, "a LAN at rest has nothing to diagnose: \(summary["diagnoses"] ?? "none")")
        #expect(summary["frames"] as? Int == LanAtRest.packets(rounds: 300).count)

        let few = try Self.calls(binary, short, folder: folder)
        let many = try Self.calls(binary, long, folder: folder)
        #expect(many.total > few.total, "the engine was not counted (\(few.total) and \(many.total) calls)")
        let steadyFrames = LanAtRest.packets(rounds: 300).count - LanAtRest.packets(rounds: 30).count
        print("the engine: \((many.instructions - few.instructions) / steadyFrames) instructions a steady frame")
        // A call a steady frame makes grows by at least one a round (the FULL comes once a
        // round, the PINGs and PONGs fifty-one times): 270 more rounds. Anything that grows
        // by less is not made per steady frame (a collision in a dictionary at boot, say,
        // should hashing ever be seeded differently between the two runs).
        let extraRounds = 300 - 30
        var grown: [String: Int] = [:]
        for (name, count) in many.byCallee where count - (few.byCallee[name] ?? 0) >= extraRounds / 2 {
            grown[name] = count - (few.byCallee[name] ?? 0)
        }
        let demangled = try Self.demangle(Array(grown.keys))
        let heavy = grown.keys.filter { name in Self.forbidden.contains { demangled[name, default: name].contains($0) } }
        #expect(heavy.isEmpty, """
            calls that grow with the steady rounds inside DiagnosisEngine.frame: \
            \(heavy.map { "\(demangled[$0, default: $0]) +\(grown[$0]!)" }.sorted().joined(separator: "; "))
            """)
    }

    /// Calls made inside the engine's frame handler, by callee (callgrind's `calls=`
    /// lines under a `cfn=`; names are given once per id and then referred to by it).
    static func calls(_ binary: String, _ capture: String, folder: URL) throws -> (total: Int, byCallee: [String: Int], instructions: Int) {
        let text = try Valgrind.run(["--tool=callgrind", "--compress-strings=no",
                                     "--toggle-collect=$s8Analyzer15DiagnosisEngineC5frame_4from5place2at*"],
                                    binary, ["-q", "-r", capture], folder: folder, output: "--callgrind-out-file")
        var byCallee: [String: Int] = [:]
        var total = 0
        var callee: String?
        var instructions = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("summary:") || line.hasPrefix("totals:") {
                instructions = line.split(separator: " ").last.flatMap { Int($0) } ?? 0
            } else if line.hasPrefix("cfn=") {
                callee = String(line.dropFirst(4))
            } else if line.hasPrefix("calls="), let name = callee,
                      let count = line.dropFirst(6).split(separator: " ").first.flatMap({ Int($0) }) {
                byCallee[name, default: 0] += count
                total += count
            }
        }
        return (total, byCallee, instructions)
    }

    /// Swift's names as `swift demangle --simplified` reads them (C names as they are).
    static func demangle(_ names: [String]) throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        let swift = try toolPath("swift")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: swift)
        process.arguments = ["demangle", "--simplified"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(names.joined(separator: "\n").appending("\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result: [String: String] = [:]
        for (k, name) in names.enumerated() { result[name] = k < lines.count ? lines[k] : name }
        return result
    }
}

/// A healthy LAN at rest, as the firmware keeps it: every board has said HELLO and
/// is listed; each liveness round (15 s) every board PINGs a peer and is answered
/// at once, and the registry sends its same FULL once.
enum LanAtRest {
    // Short names, so that the FULL of 51 entries fits the boards' 1024-byte buffer.
    static let network = BoardNetwork(subnet: "10.39.0", titles: ["AFM", "MM", "TZ", "FZ Ω", "TdM", "MB"]) { "\($0) \($1)" }

    static func packets(rounds: Int) -> [TestPacket] {
        let (registry, boards, names) = (network.registry, network.boards, network.names)
        var packets: [TestPacket] = []
        func send(_ frame: Frame, from source: String, to destination: String = "255.255.255.255", atMilliseconds t: Int) {
            let bytes = PacketBuilder.discovery(frame.encoded(), src: source, dst: destination)
            packets.append(TestPacket(seconds: 1_800_000_000 + UInt32(t / 1000), fraction: UInt32(t % 1000) * 1000, bytes: bytes))
        }
        // Boot: the HELLOs, 50 ms apart, and the registry's answer to the last.
        let everyone = [registry] + boards
        for (k, ip) in everyone.enumerated() { send(.hello(name: names[ip]!), from: ip, atMilliseconds: 50 * k) }
        let full = network.full(boards)
        send(full, from: registry, atMilliseconds: 50 * everyone.count)
        // Each round: the boards in turn, 200 ms apart, PING the next one, answered in 2 ms.
        for round in 0..<rounds {
            let start = 12_000 + 15_000 * round
            for (k, ip) in everyone.enumerated() {
                let peer = everyone[(k + 1 + round) % everyone.count]
                send(.ping, from: ip, to: peer, atMilliseconds: start + 200 * k)
                send(.pong, from: peer, to: ip, atMilliseconds: start + 200 * k + 2)
            }
            send(full, from: registry, atMilliseconds: start + 200 * everyone.count)
        }
        return packets
    }
}
