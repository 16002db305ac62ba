import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// The diagnoses of every real capture (bridge and board view, with its README's
/// thresholds) are the ones its story implies, and none other above `note`. The
/// expected nodes, times and counts come from the boards' own logs (truth.jsonl) and
/// from tshark's reading of the pcap (frames.tsv), never from an earlier run.
@Suite("Diagnoses of the real captures")
struct DiagnosisStoryTests {
    typealias Capture = TimelineStoryTests.StoryCapture

    struct Found {
        var all: [[String: Any]]
        /// Codes above `note`, in order.
        var problems: [String] {
            all.filter { $0["severity"] as? String != "note" }.compactMap { $0["code"] as? String }
        }
        func first(_ code: String) -> [String: Any]? { all.first { $0["code"] as? String == code } }
        func every(_ code: String) -> [[String: Any]] { all.filter { $0["code"] as? String == code } }
    }

    static func diagnose(_ capture: Capture, _ truth: StoryTruth) throws -> Found {
        let run = try StoryRun(capture, truth: truth)
        return Found(all: (run.summary["diagnoses"] as? [[String: Any]]) ?? [])
    }

    static func ips(_ d: [String: Any]?) -> [String] { d?["ips"] as? [String] ?? [] }

    /// Time in seconds of a diagnosis field (NaN when absent).
    static func time(_ d: [String: Any]?, _ key: String) -> Double { storySeconds(d?[key]) }

    @Test("boot3: nothing above note", arguments: TimelineStoryTests.captures("boot3"))
    func boot3(capture: Capture) throws {
        let found = try Self.diagnose(capture, try StoryTruth.of(capture))
        #expect(found.problems.isEmpty, "boot3 \(capture.view): \(found.all)")
    }

    @Test("failover: registry-failover to the next lowest, the storm about the dead registry, no flapping",
          arguments: TimelineStoryTests.captures("failover"))
    func failover(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let found = try Self.diagnose(capture, truth)
        let kill = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGKILL" })
        let dead = kill["ip"] as! String
        let successor = truth.boards.map(\.ip).filter { $0 != dead }.min(by: storyIPLess)!
        #expect(found.problems == ["registry-failover", "offline-storm"], "failover \(capture.view): \(found.all)")
        #expect(found.first("node-flapping") == nil)

        let failover = found.first("registry-failover")
        #expect(Self.ips(failover) == [dead, successor])
        // From the dead registry's last frame to the successor's first FULL after it, as tshark reads them.
        let lastFrame = try #require(oracle.rows.filter { $0.src == dead }.map(\.time).max())
        let takeover = try #require(oracle.fulls(from: successor).first { $0 > lastFrame })
        #expect(abs(Self.time(failover, "since") - lastFrame) < 1e-5)
        #expect(abs(Self.time(failover, "until") - takeover) < 1e-5)
        #expect(abs((failover?["gap_s"] as? Double ?? -1) - (takeover - lastFrame)) < 1e-5)
        #expect(lastFrame <= (kill["t"] as! Double) + 0.01, "its last frame is before the kill")

        let storm = found.first("offline-storm")
        #expect(Self.ips(storm) == [dead])
        let offlines = oracle.rows.filter { $0.offlineSubject == dead }
        #expect(storm?["count"] as? Int == offlines.count)
        #expect(storm?["until"] == nil, "the dead registry never came back")
    }

    @Test("lowjoin: a handover gap of the late lower board, no failover", arguments: TimelineStoryTests.captures("lowjoin"))
    func lowjoin(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let found = try Self.diagnose(capture, truth)
        let late = try #require(truth.boards.max { $0.bootedAt < $1.bootedAt })
        #expect(found.problems == ["registry-handover-gap"], "lowjoin \(capture.view): \(found.all)")
        #expect(found.first("registry-failover") == nil)
        let gap = found.first("registry-handover-gap")
        #expect(Self.ips(gap) == [late.ip])
        // From its first frame (its HELLO: it is the lowest from then on) to its first FULL.
        let joined = try #require(oracle.rows.first { $0.src == late.ip }?.time)
        let firstFull = try #require(oracle.fulls(from: late.ip).first)
        #expect(abs(Self.time(gap, "since") - joined) < 1e-5)
        #expect(abs(Self.time(gap, "until") - firstFull) < 1e-5)
        // The boards switched to it at once (truth), long before its first FULL.
        let switched = try #require(truth.settlements.first { $0.registry == late.ip })
        #expect(switched.switchStart < firstFull - 3 / truth.speed, "the boards took it as registry before it sent FULL")
    }

    @Test("desktop-lowest: desktop-registry and the storm about it; nothing blames the boards",
          arguments: TimelineStoryTests.captures("desktop-lowest"))
    func desktopLowest(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let found = try Self.diagnose(capture, truth)
        let desktop = try #require(truth.actions("start_desktop_client").first?["ip"] as? String)
        #expect(found.problems == ["desktop-registry", "offline-storm"], "desktop-lowest \(capture.view): \(found.all)")
        let diagnosis = found.first("desktop-registry")
        #expect(Self.ips(diagnosis) == [desktop])
        #expect(Self.ips(found.first("offline-storm")) == [desktop])
        let hello = try #require(oracle.rows.first { $0.src == desktop }?.time)
        #expect(abs(Self.time(diagnosis, "since") - hello) < 1e-5)
        // Until a FULL answers again: the first FULL after the desktop was first declared offline.
        let declared = try #require(oracle.rows.first { $0.offlineSubject == desktop }?.time)
        let again = try #require(oracle.rows.first { $0.type == "FULL" && $0.time > declared }?.time)
        #expect(abs(Self.time(diagnosis, "until") - again) < 1e-5)
        let boards = Set(truth.boards.map(\.ip))
        #expect(!found.all.contains { boards.contains(Self.ips($0).first ?? "") }, "a board is blamed: \(found.all)")
    }

    @Test("rejoin: the storm about the frozen board, and false-offline about the healthy boards it declared",
          arguments: TimelineStoryTests.captures("rejoin"))
    func rejoin(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let found = try Self.diagnose(capture, truth)
        let stop = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGSTOP" })
        let frozen = stop["ip"] as! String
        let cont = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGCONT" })
        let stoppedAt = stop["t"] as! Double, resumedAt = cont["t"] as! Double
        #expect(Set(found.problems) == ["offline-storm", "false-offline"], "rejoin \(capture.view): \(found.all)")

        let storm = found.first("offline-storm")
        #expect(Self.ips(storm) == [frozen])
        #expect(Self.time(storm, "since") > stoppedAt && Self.time(storm, "since") < resumedAt)
        #expect(Self.time(storm, "until") >= resumedAt - 0.01 && Self.time(storm, "until") < resumedAt + 3 / truth.speed)

        // The peers the thawed board declared offline, from its own log.
        var accused: Set<String> = []
        for line in try storyReadText(capture.truth!).split(separator: "\n") {
            guard let r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  r["ev"] as? String == "send", r["type"] as? String == "OFFLINE", r["ip"] as? String == frozen,
                  (r["t"] as? Double ?? 0) > resumedAt, let subject = r["offline_ip"] as? String else { continue }
            accused.insert(subject)
        }
        try #require(!accused.isEmpty, "the truth has .40's OFFLINEs after it resumed")
        let wrong = found.every("false-offline")
        // One stall, one entry: the thawed board (at fault) first, then every board it
        // declared (on a board view the observer sees the OFFLINEs, broadcast, of all of them).
        #expect(wrong.count == 1, "one entry for the stall: \(wrong.map { Self.ips($0) })")
        #expect(Self.ips(wrong.first).first == frozen, "the declarer is the thawed board")
        #expect(Set(Self.ips(wrong.first).dropFirst()) == accused, "false-offline about \(wrong.map { Self.ips($0) }); the truth: \(accused)")
    }

    @Test("legacy: legacy-firmware naming both JSON boards, nothing else", arguments: TimelineStoryTests.captures("legacy"))
    func legacy(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let found = try Self.diagnose(capture, truth)
        #expect(found.problems == ["legacy-firmware"], "legacy \(capture.view): \(found.all)")
        let legacy = found.first("legacy-firmware")
        #expect(Set(Self.ips(legacy)) == truth.legacySenders)
        let text = legacy?["text"] as? String ?? ""
        #expect(text.hasPrefix("\(truth.legacySenders.count) devices run old JSON firmware"), "\(text)")
        #expect(text.contains("never answer PING"), "why they keep being declared offline: \(text)")
    }

    @Test("big: full-exceeds-receive-buffer with the storm's figures", arguments: TimelineStoryTests.captures("big"))
    func big(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let found = try Self.diagnose(capture, truth)
        #expect(found.problems == ["full-exceeds-receive-buffer"], "big \(capture.view): \(found.all)")
        let oversize = found.first("full-exceeds-receive-buffer")
        let over = oracle.rows.filter { $0.type == "FULL" && $0.payloadLength > 1024 }
        let first = try #require(over.first)
        #expect(oversize?["count"] as? Int == over.count)
        #expect(oversize?["largest_bytes"] as? Int == over.map(\.payloadLength).max())
        #expect(Self.ips(oversize) == [first.src])
        #expect(abs(Self.time(oversize, "since") - first.time) < 1e-5)
        // The HELLO/FULL storm from the first FULL over the buffer on.
        #expect(oversize?["hellos"] as? Int == oracle.rows.filter { $0.type == "HELLO" && $0.time >= first.time }.count)
        #expect(oversize?["fulls"] as? Int == oracle.rows.filter { $0.type == "FULL" && $0.time >= first.time }.count)
    }

    @Test("A flood of spoofed addresses mixed into the failover capture: the failover is still told, and the flood named",
          .enabled(if: toolAvailable("mergecap"), "mergecap (Wireshark's) merges the captures"),
          arguments: TimelineStoryTests.captures("failover").filter { $0.view == .bridge })
    func floodedFailover(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Spoofed traffic from 3 s on (the boards have converged: README, ~2.2 s) to the end,
        // from addresses above the boards': a HELLO from a new address every 5 ms and,
        // every half second, a FULL of 255 new ones.
        var packets: [TestPacket] = []
        var next: UInt32 = 0x0AC8_0001  // 10.200.0.1
        func text(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)" }
        let start = UInt32(truth.t0) + 3
        for tick in 0..<(27 * 200) {
            let seconds = start + UInt32(tick / 200), micros = UInt32(tick % 200) * 5000
            if tick % 100 == 0 {
                let peers = (0..<255).map { (ip: text(next + UInt32($0)), name: "") }
                packets.append(TestPacket(seconds: seconds, fraction: micros, bytes: PacketBuilder.discovery(DiscoveryPayload.full(peers), src: text(next))))
                next += 255
            } else {
                packets.append(TestPacket(seconds: seconds, fraction: micros, bytes: PacketBuilder.discovery(DiscoveryPayload.hello("spoof"), src: text(next))))
                next += 1
            }
        }
        let flood = folder.appendingPathComponent("flood.pcap")
        try makeCapture(packets).write(to: flood)
        let merged = folder.appendingPathComponent("merged.pcap").path
        let merge = try runProgram("/usr/bin/env", ["mergecap", "-F", "pcap", "-w", merged, capture.pcap!, flood.path])
        try #require(merge.status == 0, "mergecap: \(merge.stderr)")

        let result = try runPeersniff(["-r", merged, "--json", "-q", "--max-nodes", "256"] + truth.arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let summary = result.records.last ?? [:]
        let found = Found(all: (summary["diagnoses"] as? [[String: Any]]) ?? [])
        #expect(Set(found.problems) == ["address-flood", "registry-failover", "offline-storm"], "\(found.all)")
        let dead = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGKILL" }?["ip"] as? String)
        #expect(Self.ips(found.first("registry-failover")).first == dead)
        #expect(Self.ips(found.first("offline-storm")) == [dead])
        let spoofed = 27 * 200 - 27 * 2 + 27 * 2 * 255
        let counted = found.first("address-flood")?["count"] as? Int ?? 0
        // The addresses beyond the cap: all spoofed ones but the few the table still holds (estimated within 3%).
        #expect(abs(Double(counted) - Double(spoofed - 256)) < 0.03 * Double(spoofed), "address-flood counted \(counted) of \(spoofed)")
        let nodes = summary["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count <= 256)
        for board in truth.boards { #expect(nodes.contains { $0["ip"] as? String == board.ip }, "board \(board.ip) kept") }
    }
}
