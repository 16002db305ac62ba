import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fleet watch end to end, with the real parts: peersniff watches a veth in a
/// test namespace and writes its metrics file into a folder that Debian's
/// prometheus-node-exporter (textfile collector only) serves on a loopback port,
/// which Debian's prometheus scrapes every second. The test asks Prometheus's HTTP
/// API what an operator's dashboard and alert rules would ask, while a registry falls
/// silent and another node takes over. peersniff itself opens no socket but its
/// capture. Everything started is stopped by the test.
@Suite("Prometheus end to end: node_exporter's textfile collector and Prometheus on loopback", .serialized,
       .enabled(if: LiveTestEnvironment.available, "\(LiveTestEnvironment.reason)"))
struct PrometheusEndToEndTests {
    static let registryA = TestNetwork.senderAddress   // 10.99.0.1, the lowest
    static let boardB = "10.99.0.5"
    static let nameA = "Board \"A\" \\ 1"
    static let nameB = "Board B"

    @Test("The registry, the frame counts and an open incident while the registry is silent; closed when another takes over; SIGHUP rotates live")
    func registryFallsSilent() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let textfiles = folder.appendingPathComponent("textfile")
        try FileManager.default.createDirectory(at: textfiles, withIntermediateDirectories: true)
        let metricsFile = textfiles.appendingPathComponent("peersniff.prom").path
        let exporter = try NodeExporter(directory: textfiles.path)
        defer { exporter.stop() }
        let prometheus = try PrometheusServer(target: "127.0.0.1:\(exporter.port)", folder: folder)
        defer { prometheus.stop() }
        let out = folder.appendingPathComponent("out.jsonl").path
        let pcap = folder.appendingPathComponent("out.pcap").path

        try withTestNetwork(senderAddresses: [Self.boardB]) { net in
            let capture = try net.start(in: .capture, Paths.peersniff.path, [
                "-i", net.captureInterface, "--json", "-o", out, "-w", pcap, "--metrics", metricsFile, "--metrics-interval", "0.5",
                "--observer", "arcade 7", "--registry-timeout", "0.5", "--conflict-window", "1"])
            defer { capture.kill() }
            try net.waitUntilCapturing(capture)

            // 1. A registry and a board: HELLOs, then FULLs from the lowest, as the firmware does.
            let both = "\(Self.registryA)=\(Self.nameA),\(Self.boardB)=\(Self.nameB)"
            try net.send("hello", bind: Self.registryA, ["--name", Self.nameA])
            try net.send("hello", bind: Self.boardB, ["--name", Self.nameB])
            var fulls = 0
            for _ in 0..<4 {
                try net.send("full", bind: Self.registryA, ["--peers", both])
                fulls += 1
                Thread.sleep(forTimeInterval: 0.2)
            }
            let registry = try prometheus.await("the registry", "peersniff_registry_info") { $0.count == 1 }
            #expect(registry.first?.labels["address"] == Self.registryA)
            #expect(registry.first?.labels["name"] == Self.nameA, "the name as the board sent it, through both escapings")
            #expect(registry.first?.labels["observer"] == "arcade 7")
            try prometheus.await("the FULL count", "peersniff_frames_total{type=\"FULL\"}") { $0.first?.value == Double(fulls) }
            try prometheus.await("the HELLO count", "peersniff_frames_total{type=\"HELLO\"}") { $0.first?.value == 2 }
            try prometheus.await("no open incident", "sum(peersniff_open_incidents)") { $0.first?.value == 0 }
            try Promtool.checkMetrics(metricsFile)

            // Log rotation, live: rename -o, -w and the metrics file, SIGHUP; each name comes back.
            try FileManager.default.moveItem(atPath: out, toPath: out + ".1")
            try FileManager.default.moveItem(atPath: pcap, toPath: pcap + ".1")
            try FileManager.default.moveItem(atPath: metricsFile, toPath: folder.appendingPathComponent("old.prom").path)
            capture.signal(SIGHUP)
            let reopened = Date().addingTimeInterval(3)
            while Date() < reopened, !FileManager.default.fileExists(atPath: metricsFile) || !FileManager.default.fileExists(atPath: out) {
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(FileManager.default.fileExists(atPath: metricsFile), "the metrics file written again after SIGHUP, with no traffic")
            #expect(FileManager.default.fileExists(atPath: out), "-o opened again after SIGHUP")

            // 2. The registry falls silent; B announces itself, and the FULL it is owed never comes.
            try net.send("hello", bind: Self.boardB, ["--name", Self.nameB])
            let open = try prometheus.await("an open incident about the silent registry", "peersniff_open_incident_info") { !$0.isEmpty }
            #expect(open.map { $0.labels["address"] } == [Self.registryA])
            #expect(open.first?.labels["code"] == "registry-lost-unnoticed", "\(open)")
            #expect(open.first?.labels["severity"] == "error")
            try prometheus.await("the wait for the registry's answer", "peersniff_registry_answer_wait_seconds{address=\"\(Self.registryA)\"}") {
                ($0.first?.value ?? 0) > 0.5
            }
            try prometheus.await("the count by code", "peersniff_open_incidents{code=\"registry-lost-unnoticed\"}") { $0.first?.value == 1 }

            // 3. B declares A offline and takes over: the incident closes.
            try net.send("offline", bind: Self.boardB, ["--about", Self.registryA])
            try net.send("full", bind: Self.boardB, ["--peers", "\(Self.boardB)=\(Self.nameB)"])
            fulls += 1
            try prometheus.await("the new registry", "peersniff_registry_info") { $0.first?.labels["address"] == Self.boardB }
            try prometheus.await("no open incident left", "sum(peersniff_open_incidents)") { $0.first?.value == 0 }
            try prometheus.await("no incident series left", "count(peersniff_open_incident_info) or vector(0)") { $0.first?.value == 0 }
            try prometheus.await("no answer owed", "count(peersniff_registry_answer_wait_seconds) or vector(0)") { $0.first?.value == 0 }
            try prometheus.await("the failover diagnosed", "peersniff_diagnoses{code=\"registry-failover\"}") { $0.first?.value == 1 }
            try prometheus.await("one registry change", "peersniff_registry_changes_total") { $0.first?.value == 1 }
            try prometheus.await("the kernel's counts", "peersniff_kernel_dropped_total") { $0.first?.value == 0 }

            // The end: the summary, and the counts over both -o and both -w files add up.
            capture.signal(SIGINT)
            let run = net.awaitExit(capture, within: 5, "SIGINT")
            #expect(run.status == 0, "\(run.stderr)")
            try Promtool.checkMetrics(metricsFile)
            func records(_ path: String) throws -> [[String: Any]] {
                RunResult(status: 0, stdout: try String(contentsOfFile: path, encoding: .utf8), stderr: "").records.filter { !$0.isWakeUp }
            }
            let before = try records(out + ".1"), after = try records(out)
            let summary = try #require(after.last { $0["kind"] as? String == "summary" })
            let frames = (before + after).filter { $0["kind"] as? String == "frame" }
            #expect(before.contains { $0["kind"] as? String == "frame" } && after.contains { $0["kind"] as? String == "frame" })
            #expect(frames.count == summary["frames"] as? Int)
            #expect(frames.filter { $0["type"] as? String == "FULL" }.count == fulls)
            let packets = try readClassicPcap(pcap + ".1").packets.count + readClassicPcap(pcap).packets.count
            #expect(packets == summary["packets_matched"] as? Int)
        }
    }
}
