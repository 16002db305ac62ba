import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// A single stray or spoofed packet, or a flood of one-off senders, mixed into the real
/// captures must neither invent an error nor hide one. The stray FULL comes from
/// 1.0.0.1, an address below every board's, so that a naive "lowest address" reading
/// would take it for the registry. Each capture runs on the built binary twice, clean and
/// with the stray packet, with the thresholds of its speed (truth.arguments).
@Suite("A stray or spoofed packet cannot invent or hide an error")
struct StrayPacketTests {
    typealias Capture = TimelineStoryTests.StoryCapture

    /// Every shared capture, both views.
    static let captures: [Capture] = (TimelineStoryTests.scenarios + ["big"]).flatMap { TimelineStoryTests.captures($0) }

    static let strayAddress = "1.0.0.1"

    struct Outcome {
        var summary: [String: Any]
        var diagnoses: [[String: Any]]
        var metrics: String

        var registry: String? { summary["registry"] as? String }
        var errors: [[String: Any]] { diagnoses.filter { $0["severity"] as? String == "error" } }
        var errorCodes: Set<String> { Set(errors.compactMap { $0["code"] as? String }) }
        var told: [String] { diagnoses.map { "\($0["code"] as? String ?? "?") \($0["ips"] as? [String] ?? []): \($0["text"] as? String ?? "")" } }

        /// The address labels of peersniff_registry_info in the metrics file.
        var registryInfo: [String] {
            metrics.split(separator: "\n").filter { $0.hasPrefix("peersniff_registry_info{") }.map(String.init)
        }
    }

    /// `peersniff -r PCAP --json -q --metrics FILE` with `arguments`.
    static func run(_ pcap: String, _ arguments: [String], in folder: URL, label: String) throws -> Outcome {
        let metrics = folder.appendingPathComponent("\(label).prom").path
        let result = try runPeersniff(["-r", pcap, "--json", "-q", "--metrics", metrics] + arguments)
        #expect(result.status == 0, "\(label): exit \(result.status): \(result.stderr)")
        let summary = result.records.last { $0["kind"] as? String == "summary" } ?? [:]
        #expect(!summary.isEmpty, "\(label): no summary record")
        let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        #expect(!text.isEmpty, "\(label): no metrics file")
        return Outcome(summary: summary, diagnoses: (summary["diagnoses"] as? [[String: Any]]) ?? [], metrics: text)
    }

    /// A FULL from `sender` listing `peers` (the sender first), as an Ethernet packet at epoch `time`.
    static func fullPacket(at time: Double, from sender: String, listing peers: [(ip: String, name: String)]) -> TestPacket {
        let seconds = time.rounded(.down)
        return TestPacket(seconds: UInt32(seconds), fraction: UInt32(((time - seconds) * 1e6).rounded(.down)),
                          bytes: PacketBuilder.discovery(DiscoveryPayload.full(peers), src: sender, sport: 45999))
    }

    /// `pcap` merged with `packets` (in time order) by mergecap, into `folder`.
    static func merged(_ pcap: String, with packets: [TestPacket], in folder: URL, name: String) throws -> String {
        let extra = folder.appendingPathComponent("\(name)-extra.pcap")
        try makeCapture(packets).write(to: extra)
        let out = folder.appendingPathComponent("\(name).pcap").path
        let merge = try runProgram("/usr/bin/env", ["mergecap", "-F", "pcap", "-w", out, pcap, extra.path])
        try #require(merge.status == 0, "mergecap: \(merge.stderr)")
        return out
    }

    @Test("One FULL from 1.0.0.1 listing only itself, in the middle of a real capture: no new error, at most one more diagnosis, the registry unchanged",
          .enabled(if: toolAvailable("mergecap"), "mergecap (Wireshark's) merges the captures"),
          arguments: captures)
    func strayFull(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try #require(oracle.rows.first?.time), last = try #require(oracle.rows.last?.time)
        let middle = (first + last) / 2
        let strayed = try Self.merged(capture.pcap!, with: [Self.fullPacket(at: middle, from: Self.strayAddress, listing: [(Self.strayAddress, "stray")])],
                                      in: folder, name: "stray")

        let clean = try Self.run(capture.pcap!, truth.arguments, in: folder, label: "clean")
        let withStray = try Self.run(strayed, truth.arguments, in: folder, label: "stray")
        let label = capture.testDescription

        let invented = withStray.errorCodes.subtracting(clean.errorCodes)
        #expect(invented.isEmpty, "\(label): errors invented by one stray FULL: \(invented.sorted()); \(withStray.told)")
        #expect(withStray.errors.count <= clean.errors.count, "\(label): clean \(clean.told); with the stray \(withStray.told)")
        let hidden = clean.errorCodes.subtracting(withStray.errorCodes)
        #expect(hidden.isEmpty, "\(label): errors hidden by one stray FULL: \(hidden.sorted()); \(withStray.told)")
        #expect(withStray.diagnoses.count <= clean.diagnoses.count + 1,
                "\(label): clean \(clean.told); with the stray \(withStray.told)")
        #expect(withStray.registry == clean.registry, "\(label): registry \(clean.registry ?? "none") became \(withStray.registry ?? "none")")
        #expect(!withStray.registryInfo.isEmpty, "\(label): no peersniff_registry_info")
        #expect(!withStray.registryInfo.contains { $0.contains("address=\"\(Self.strayAddress)\"") },
                "\(label): \(withStray.registryInfo)")
    }

    @Test("The failover capture in a flood of one-off HELLOs and FULLs from one-off senders below the boards: the registry-failover error stays, the dead board first",
          .enabled(if: toolAvailable("mergecap"), "mergecap (Wireshark's) merges the captures"),
          arguments: [(256, 30), (16, 10)])
    func floodWithLowerFulls(maxNodes: Int, strayFulls: Int) throws {
        let capture = try #require(TimelineStoryTests.captures("failover").first { $0.view == .bridge }, "the failover capture")
        let truth = try StoryTruth.of(capture)
        let dead = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGKILL" }?["ip"] as? String)
        let successor = truth.boards.map(\.ip).filter { $0 != dead }.min(by: storyIPLess)!
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }

        // A HELLO from a new address above the boards' every 5 ms from 3 s on (the boards
        // have converged) to the end of the run, as DiagnosisStoryTests.floodedFailover.
        var packets: [TestPacket] = []
        var next: UInt32 = 0x0AC8_0001  // 10.200.0.1
        func text(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)" }
        let start = truth.t0 + 3, span = truth.end - start
        let hellos = Int(span * 200)
        for tick in 0..<hellos {
            let time = start + Double(tick) * 0.005
            let seconds = time.rounded(.down)
            packets.append(TestPacket(seconds: UInt32(seconds), fraction: UInt32(((time - seconds) * 1e6).rounded(.down)),
                                      bytes: PacketBuilder.discovery(DiscoveryPayload.hello("spoof"), src: text(next))))
            next += 1
        }
        // FULLs from one-off senders below the boards (1.0.0.x), spread over the run, each
        // listing itself and naming the successor "EVIL".
        for k in 0..<strayFulls {
            let sender = "1.0.0.\(k + 1)"
            let time = start + 0.0021 + Double(k) * span / Double(strayFulls)
            packets.append(Self.fullPacket(at: time, from: sender, listing: [(sender, "x"), (successor, "EVIL")]))
        }
        packets.sort { ($0.seconds, $0.fraction) < ($1.seconds, $1.fraction) }
        let flooded = try Self.merged(capture.pcap!, with: packets, in: folder, name: "flooded")

        let outcome = try Self.run(flooded, ["--max-nodes", String(maxNodes)] + truth.arguments, in: folder, label: "flooded")
        let failover = outcome.diagnoses.first { $0["code"] as? String == "registry-failover" }
        #expect(failover?["severity"] as? String == "error", "\(outcome.told)")
        #expect((failover?["ips"] as? [String])?.first == dead, "\(outcome.told)")
        #expect(outcome.registry?.hasPrefix("1.0.0.") != true, "registry \(outcome.registry ?? "none")")
    }
}
