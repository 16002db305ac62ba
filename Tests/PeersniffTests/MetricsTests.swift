import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `--metrics FILE`: Prometheus's text format, checked by Prometheus's own tools
/// (`promtool check metrics`, node_exporter's textfile collector) and its numbers by
/// tshark's reading of the same captures; `--observer`; `-o FILE`; SIGHUP.
@Suite("--metrics, --observer, -o and SIGHUP")
struct MetricsTests {
    static let speed10 = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]

    /// Every capture in Fixtures, with the thresholds it was recorded with, and
    /// tshark's reading of it where there is one (one row per datagram).
    static let captures: [(name: String, capture: String, thresholds: [String], tshark: String?)] = {
        var list: [(String, String, [String], String?)] = []
        for scenario in ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"] {
            for view in ["bridge", "board-view"] {
                list.append(("\(scenario)-\(view)", Paths.fixture("\(scenario)/\(view).pcap"), scenario == "boot3" ? [] : speed10,
                             Paths.fixture("\(scenario)/\(view == "bridge" ? "frames" : "frames-board-view").tsv")))
            }
        }
        for slice in ["bridge-start", "bridge-fragments", "board-view-start", "board-view-fragments"] {
            list.append(("big-\(slice)", Paths.fixture("big/\(slice).pcap"), speed10, nil))
        }
        list.append(("every-code", Paths.fixture("malformed/every-code.pcap"), [], nil))
        return list
    }()

    @Test("Each Fixtures capture: promtool accepts the file; frames and the registry as tshark reads them; the observer everywhere",
          arguments: captures.map(\.name))
    func fixture(name: String) throws {
        let entry = Self.captures.first { $0.name == name }!
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("peersniff.prom").path
        let run = try runPeersniff(["-r", entry.capture, "--json", "--metrics", file, "--observer", "arcade 7"] + entry.thresholds)
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try Promtool.checkMetrics(file)
        let metrics = try Exposition(text)

        // Every series carries the observer, every JSON record too.
        #expect(!metrics.samples.isEmpty)
        #expect(metrics.samples.allSatisfy { $0.labels["observer"] == "arcade 7" })
        #expect(!run.records.isEmpty)
        #expect(run.records.allSatisfy { $0["observer"] as? String == "arcade 7" }, "a record without the observer")

        // The counts, and the summary record's.
        let summary = run.summaryRecord ?? [:]
        #expect(metrics.value("peersniff_packets_read_total") == Double(summary["packets_read"] as? Int ?? -1))
        #expect(metrics.value("peersniff_packets_matched_total") == Double(summary["packets_matched"] as? Int ?? -1))
        let malformed = metrics.samples.filter { $0.name == "peersniff_malformed_total" }.map(\.value).reduce(0, +)
        #expect(malformed == Double(summary["malformed"] as? Int ?? -1))
        // No kernel counts offline.
        #expect(metrics.value("peersniff_kernel_dropped_total") == nil)

        // Frames by type, and the registry (the sender of the last FULL), from tshark's reading.
        if let tsv = entry.tshark {
            let types = ["01": "HELLO", "02": "FULL", "03": "PING", "04": "PONG", "05": "OFFLINE", "7b": "LEGACY"]
            var expected: [String: Int] = [:]
            var lastFullSender: String? = nil
            for row in try TsharkTable(path: tsv).rows {
                guard let type = row.type else { continue }
                expected[type, default: 0] += 1
                if type == "FULL" { lastFullSender = row.source }
            }
            for type in types.values {
                #expect(metrics.value("peersniff_frames_total", ["type": type]) == Double(expected[type] ?? 0), "\(type) frames")
            }
            let registry = metrics.samples.filter { $0.name == "peersniff_registry_info" }
            #expect(registry.map { $0.labels["address"] } == [lastFullSender], "registry")
        }

        // Every code has its two series, and the diagnoses are the summary's.
        let diagnoses = (summary["diagnoses"] as? [[String: Any]]) ?? []
        // Open now: at least every diagnosis that lasts at the end of the input (no
        // `until`), one per code and node at fault; nothing of a code with no diagnosis.
        for code in Self.codes {
            let made = diagnoses.filter { $0["code"] as? String == code }
            #expect(metrics.value("peersniff_diagnoses", ["code": code]) == Double(made.count), "\(code)")
            let lasting = Set(made.filter { $0["until"] == nil }.compactMap { ($0["ips"] as? [String])?.first })
            let open = metrics.value("peersniff_open_incidents", ["code": code])
            #expect((open ?? -1) >= Double(lasting.count), "\(code): \(open ?? -1) open, \(lasting.count) lasting")
            for ip in lasting {
                #expect(metrics.value("peersniff_open_incident_info", ["code": code, "address": ip]) == 1, "\(code) \(ip)")
            }
            if made.isEmpty, !["registry-lost-unnoticed", "registry-handover-gap", "desktop-registry", "registry-failover"].contains(code) {
                #expect(open == 0, "\(code) open with no diagnosis")
            }
        }
        // Every node kept has its series (no flood here), keyed by address.
        #expect(Double(metrics.samples.filter { $0.name == "peersniff_node_live" }.count) == metrics.value("peersniff_nodes_kept"))
        #expect(metrics.samples.filter { $0.name == "peersniff_node_live" }.allSatisfy { $0.labels["name"] == nil })
        // The rules scale by the thresholds the run used.
        let timeout = entry.thresholds.isEmpty ? 3 : 0.3
        #expect(metrics.value("peersniff_registry_timeout_seconds") == timeout)
        #expect(text.hasSuffix("\n"))
    }

    static let codes = ["registry-failover", "registry-lost-unnoticed", "registry-handover-gap", "desktop-registry", "split-brain",
                        "two-registries", "registry-not-lowest", "offline-storm", "node-lost", "node-flapping", "false-offline",
                        "full-exceeds-receive-buffer", "legacy-firmware", "malformed-frames", "address-flood"]

    /// Names that break a careless exporter: quotes, backslashes, a line feed, braces, a
    /// NUL, bytes that are not UTF-8, a bidi override, an escape sequence.
    static let hostileNames: [[UInt8]] = [
        Array("Say \"hi\" \\ } {".utf8),
        Array("two\nlines".utf8) + [0x00, 0x1B] + Array("[31mred".utf8),
        [0x41, 0xFF, 0xFE, 0x42, 0xC3],
        Array("ab\u{202E}cd # HELP x".utf8),
    ]

    static func hostileCapture() throws -> String {
        var packets: [TestPacket] = []
        func hello(_ name: [UInt8]) -> [UInt8] { [0x01, UInt8(name.count)] + name }
        for (k, name) in hostileNames.enumerated() {
            packets.append(.at(UInt32(k), 0, PacketBuilder.discovery(hello(name), src: "10.37.0.\(20 + k)")))
        }
        var full: [UInt8] = [0x02, UInt8(hostileNames.count)]
        for (k, name) in hostileNames.enumerated() { full += PacketBuilder.ip("10.37.0.\(20 + k)") + [UInt8(name.count)] + name }
        packets.append(.at(5, 0, PacketBuilder.discovery(full, src: "10.37.0.20")))
        packets.append(.at(6, 0, PacketBuilder.discovery(hello(hostileNames[1]), src: "10.37.0.21")))
        return try writeTestCapture(makeCapture(packets))
    }

    @Test("Hostile names: promtool and node_exporter accept the file, and the labels read back as the names made visible")
    func hostileNames() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("hostile.prom").path
        let observer = "bar \"Zum\" \\ 1\nx\u{1B}[31m"
        let run = try runPeersniff(["-r", try Self.hostileCapture(), "-q", "--json", "--metrics", file, "--observer", observer])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.summaryRecord?["observer"] as? String == observer, "the observer, JSON-escaped and read back")
        try Promtool.checkMetrics(file)
        let metrics = try Exposition(String(contentsOfFile: file, encoding: .utf8))
        // The registry's name, escaped for the format and read back: what a terminal shows.
        let registry = metrics.samples.first { $0.name == "peersniff_registry_info" }
        #expect(registry?.labels["address"] == "10.37.0.20")
        #expect(registry?.labels["name"] == "Say \"hi\" \\ } {")
        let names = Dictionary(metrics.samples.filter { $0.name == "peersniff_node_info" }.map { ($0.labels["address"]!, $0.labels["name"]!) },
                               uniquingKeysWith: { a, _ in a })
        #expect(names["10.37.0.21"] == "two\\nlines\\x00\\e[31mred")
        #expect(names["10.37.0.22"] == "A\u{FFFD}\u{FFFD}B\u{FFFD}")
        #expect(names["10.37.0.23"] == "ab\\u{202e}cd # HELP x")
        // The observer's controls made visible as the names' are (issue 19).
        #expect(metrics.samples.allSatisfy { $0.labels["observer"] == "bar \"Zum\" \\ 1\\nx\\e[31m" })
        // node_exporter's own parser, as it will read the file in the field.
        let exporter = try NodeExporter(directory: folder.path)
        defer { exporter.stop() }
        let served = try exporter.scrape()
        #expect(served.contains("node_textfile_scrape_error 0"), "\(served.prefix(2000))")
        #expect(served.contains("peersniff_registry_info{address=\"10.37.0.20\",name=\"Say \\\"hi\\\" \\\\ } {\""), "\(served)")
    }

    @Test("Under an address flood the series stay within the node cap, and what was left out is said")
    func boundedCardinality() throws {
        // 3,000 boards heard from twice each (so each would earn its series), a cap of 100.
        var packets: [TestPacket] = []
        for round in 0..<2 {
            for k in 0..<3000 {
                let ip = "10.\(40 + k / 250).\(k % 250).1"
                packets.append(.at(UInt32(round * 10 + k / 1000), UInt32(k % 1000) * 1000, PacketBuilder.discovery(DiscoveryPayload.hello("board \(k)"), src: ip)))
            }
        }
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = try writeTestCapture(makeCapture(packets), in: folder)
        let file = folder.appendingPathComponent("flood.prom").path
        let run = try runPeersniff(["-r", capture, "-q", "--metrics", file, "--max-nodes", "100"])
        #expect(run.status == 0, "\(run.stderr)")
        try Promtool.checkMetrics(file)
        let metrics = try Exposition(String(contentsOfFile: file, encoding: .utf8))
        var perLabel: [String: Set<String>] = [:]
        for sample in metrics.samples { for (label, value) in sample.labels { perLabel[label, default: []].insert(value) } }
        #expect((perLabel["address"]?.count ?? 0) <= 100, "address takes \(perLabel["address"]?.count ?? 0) values")
        #expect((perLabel["name"]?.count ?? 0) <= 100)
        // The boards heard from twice that the table kept still have their series.
        let series = metrics.samples.filter { $0.name == "peersniff_node_live" }.count
        #expect(series > 0 && series <= 100, "\(series) per-node series")
        #expect(metrics.value("peersniff_metrics_series_omitted", ["family": "peersniff_node_info"]) == 100 - Double(series))
        #expect(metrics.samples.count < 400, "\(metrics.samples.count) series")
        #expect(metrics.value("peersniff_nodes_max") == 100)
        // The addresses beyond the cap are counted (an estimate of 2,900), and the flood named.
        let beyond = metrics.value("peersniff_addresses_beyond_cap_total") ?? 0
        #expect(beyond > 2500 && beyond < 3300, "\(beyond)")
        #expect(metrics.value("peersniff_diagnoses", ["code": "address-flood"]) == 1)
    }

    @Test("SIGHUP after renaming -o and -w: the new files get what follows, and both add up to the whole")
    func sighupReopens() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = Paths.fixture("failover/bridge.pcap")
        let size = try Data(contentsOf: URL(fileURLWithPath: capture)).count
        let half = size / 2
        // Half the capture through a FIFO, rotate, SIGHUP, then the rest.
        let run = try bash("""
            cd \(quoted(folder.path))
            mkfifo in
            \(quoted(Paths.peersniff.path)) -r in --json -o out.jsonl -w out.pcap --metrics out.prom > stdout 2> stderr &
            pid=$!
            exec 3> in
            head -c \(half) \(quoted(capture)) >&3
            for i in $(seq 100); do [ -s out.pcap ] && break; sleep 0.05; done
            sleep 0.5
            mv out.jsonl out.jsonl.1; mv out.pcap out.pcap.1
            kill -HUP $pid
            sleep 0.5
            # Offline, the reopen comes with the next packet: a few more, then the metrics file as written then.
            head -c \(half + 4096) \(quoted(capture)) | tail -c +\(half + 1) >&3
            for i in $(seq 100); do [ -e out.prom ] && break; sleep 0.05; done
            cp out.prom mid.prom
            tail -c +\(half + 4096 + 1) \(quoted(capture)) >&3
            exec 3>&-
            wait $pid; echo "status $?"
            """)
        #expect(run.stdout.hasPrefix("status 0"), "\(run.stdout) \(run.stderr) \((try? String(contentsOfFile: folder.appendingPathComponent("stderr").path, encoding: .utf8)) ?? "")")
        let stdout = try Data(contentsOf: folder.appendingPathComponent("stdout"))
        #expect(stdout.isEmpty, "-o sends nothing to standard output")
        func records(_ name: String) throws -> [[String: Any]] {
            try String(contentsOfFile: folder.appendingPathComponent(name).path, encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }
        let before = try records("out.jsonl.1"), after = try records("out.jsonl")
        #expect(!before.isEmpty && !after.isEmpty, "both files hold records: \(before.count), \(after.count)")
        let summary = after.last ?? [:]
        #expect(summary["kind"] as? String == "summary")
        let frames = (before + after).filter { $0["kind"] as? String == "frame" }
        #expect(frames.count == summary["frames"] as? Int, "frames over both files: \(frames.count)")
        // Numbered without a gap or a repeat across the rotation: nothing lost, nothing twice.
        let numbers = frames.compactMap { $0["n"] as? Int }
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
        // tshark's reading of the whole capture: 268 discovery frames.
        let tsharkFrames = try TsharkTable(path: Paths.fixture("failover/frames.tsv")).rows.count
        #expect(frames.count == tsharkFrames)
        // The two pcap files, read by libpcap's reader in the tests: every matched packet once.
        let first = try readClassicPcap(folder.appendingPathComponent("out.pcap.1").path).packets
        let second = try readClassicPcap(folder.appendingPathComponent("out.pcap").path).packets
        #expect(!first.isEmpty && !second.isEmpty)
        #expect(first.count + second.count == summary["packets_matched"] as? Int, "\(first.count) + \(second.count)")
        // The metrics file written at SIGHUP: the counts as they stood, read ones included.
        let mid = try Exposition(String(contentsOfFile: folder.appendingPathComponent("mid.prom").path, encoding: .utf8))
        let midRead = mid.value("peersniff_packets_read_total") ?? 0, midMatched = mid.value("peersniff_packets_matched_total") ?? 0
        #expect(midMatched > 0 && midRead >= midMatched && midRead < Double(summary["packets_read"] as? Int ?? 0), "read \(midRead), matched \(midMatched)")
        // The metrics file (offline: written at the end) has the whole run.
        let metrics = try Exposition(String(contentsOfFile: folder.appendingPathComponent("out.prom").path, encoding: .utf8))
        #expect(metrics.value("peersniff_frames_total", ["type": "FULL"]) == Double((summary["frames_by_type"] as? [String: Int])?["FULL"] ?? -1))
    }

    @Test("SIGHUP with nothing renamed: the same files go on, nothing truncated, nothing lost")
    func sighupWithoutRotation() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = Paths.fixture("failover/bridge.pcap")
        let size = try Data(contentsOf: URL(fileURLWithPath: capture)).count
        let third = size / 3
        let run = try bash("""
            cd \(quoted(folder.path))
            mkfifo in
            \(quoted(Paths.peersniff.path)) -r in --json -o out.jsonl -w out.pcap > stdout 2> stderr &
            pid=$!
            exec 3> in
            head -c \(third) \(quoted(capture)) >&3
            for i in $(seq 100); do [ -s out.pcap ] && break; sleep 0.05; done
            kill -HUP $pid; sleep 0.3
            head -c \(2 * third) \(quoted(capture)) | tail -c +\(third + 1) >&3
            sleep 0.3; kill -HUP $pid; sleep 0.3
            tail -c +\(2 * third + 1) \(quoted(capture)) >&3
            exec 3>&-
            wait $pid; echo "status $?"; ls
            """)
        #expect(run.stdout.hasPrefix("status 0"), "\(run.stdout) \(run.stderr)")
        #expect(!run.stdout.contains("out.jsonl.") && !run.stdout.contains(".tmp-"), "no other file: \(run.stdout)")
        let records = RunResult(status: 0, stdout: try String(contentsOfFile: folder.appendingPathComponent("out.jsonl").path, encoding: .utf8), stderr: "").records
        let plain = try runPeersniff(["-r", capture, "--json"]).records
        #expect(records.count == plain.count, "\(records.count) records, \(plain.count) without SIGHUP")
        let packets = try readClassicPcap(folder.appendingPathComponent("out.pcap").path).packets
        #expect(packets.count == (plain.last?["packets_matched"] as? Int ?? -1))
    }

    @Test("--append: -o and -w add to what a run before wrote; without it they start anew")
    func appendKeepsEarlierRuns() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out.jsonl").path, pcap = folder.appendingPathComponent("out.pcap").path
        let capture = Paths.fixture("boot3/bridge.pcap")
        let once = try runPeersniff(["-r", capture, "--json"]).records
        let matched = once.last?["packets_matched"] as? Int ?? -1
        for _ in 0..<2 {
            let run = try runPeersniff(["-r", capture, "--json", "--append", "-o", out, "-w", pcap])
            #expect(run.status == 0, "\(run.stderr)")
        }
        #expect(RunResult(status: 0, stdout: try String(contentsOfFile: out, encoding: .utf8), stderr: "").records.count == 2 * once.count)
        #expect(try readClassicPcap(pcap).packets.count == 2 * matched)
        // tshark reads the appended file whole.
        let tshark = try runProgram(try toolPath("tshark"), ["-r", pcap, "-T", "fields", "-e", "frame.number"])
        #expect(tshark.status == 0 && tshark.stdout.split(separator: "\n").count == 2 * matched, "\(tshark.stderr)")
        // Without --append, the files start anew.
        _ = try runPeersniff(["-r", capture, "--json", "-o", out, "-w", pcap])
        #expect(try readClassicPcap(pcap).packets.count == matched)
        // A file that is not a pcap file is not appended to.
        try Data("not a capture\n".utf8).write(to: URL(fileURLWithPath: pcap))
        let refused = try runPeersniff(["-r", capture, "-q", "--append", "-w", pcap])
        #expect(refused.status == 1 && refused.stderr.contains("cannot append"), "\(refused.stderr)")
    }

    @Test("-o under logrotate's copytruncate: the next records land at the new end, no hole of zero bytes")
    func copyTruncate() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Big enough that the first half's records leave the 64 KiB buffer before the cut.
        let capture = Paths.fixture("big/bridge-start.pcap")
        let size = try Data(contentsOf: URL(fileURLWithPath: capture)).count
        let half = size / 2
        let run = try bash("""
            cd \(quoted(folder.path))
            mkfifo in
            \(quoted(Paths.peersniff.path)) -r in --json -o out.jsonl 2> stderr &
            pid=$!
            exec 3> in
            head -c \(half) \(quoted(capture)) >&3
            for i in $(seq 100); do [ -s out.jsonl ] && break; sleep 0.05; done
            sleep 0.3
            cp out.jsonl out.jsonl.1 && : > out.jsonl
            tail -c +\(half + 1) \(quoted(capture)) >&3
            exec 3>&-
            wait $pid; echo "status $?"
            """)
        #expect(run.stdout.hasPrefix("status 0"), "\(run.stdout) \(run.stderr)")
        let rest = try Data(contentsOf: folder.appendingPathComponent("out.jsonl"))
        #expect(!rest.contains(0), "zero bytes where the file was cut")
        let first = RunResult(status: 0, stdout: try String(contentsOfFile: folder.appendingPathComponent("out.jsonl.1").path, encoding: .utf8), stderr: "").records
        let second = RunResult(status: 0, stdout: String(decoding: rest, as: UTF8.self), stderr: "").records
        #expect(!first.isEmpty && !second.isEmpty)
        let frames = (first + second).filter { $0["kind"] as? String == "frame" }.count
        #expect(frames == second.last?["frames"] as? Int, "\(frames) frames over both")
    }

    @Test("--metrics and --html replace only a regular file: a device under the name is refused, left as it was")
    func replacesOnlyRegularFiles() throws {
        for option in ["--metrics", "--html"] {
            let run = try runPeersniff(["-r", Paths.fixture("boot3/bridge.pcap"), "-q", option, "/dev/null"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("peersniff: \(option) /dev/null: not a regular file"), "\(run.stderr)")
            var info = stat()
            #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/null is still a device")
        }
    }

    @Test("A metrics file that cannot be written ends the run with exit 1 and a line naming it")
    func metricsWriteFails() throws {
        let run = try runPeersniff(["-r", Paths.fixture("boot3/bridge.pcap"), "-q", "--metrics", "/nonexistent-folder/x.prom"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("peersniff: --metrics /nonexistent-folder/x.prom: No such file or directory"), "\(run.stderr)")
    }

    @Test("-o into a folder that does not exist: exit 1 before reading, the file named")
    func outputCannotOpen() throws {
        let run = try runPeersniff(["-r", Paths.fixture("boot3/bridge.pcap"), "-o", "/nonexistent-folder/out.txt"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("-o /nonexistent-folder/out.txt: cannot write: No such file or directory"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("-o FILE holds what standard output would: text and JSON alike; -o - is standard output")
    func outputFile() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for format in [[], ["--json"]] {
            let plain = try runPeersniff(["-r", Paths.fixture("lowjoin/bridge.pcap")] + format + Self.speed10)
            #expect(plain.stdout.contains("registry-changed") || plain.stdout.contains("FULL"))
            let out = folder.appendingPathComponent("out").path
            let run = try runPeersniff(["-r", Paths.fixture("lowjoin/bridge.pcap"), "-o", out] + format + Self.speed10)
            #expect(run.status == 0 && run.stdout.isEmpty)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == plain.stdout)
            let dash = try runPeersniff(["-r", Paths.fixture("lowjoin/bridge.pcap"), "-o", "-"] + format + Self.speed10)
            #expect(dash.stdout == plain.stdout)
        }
        #expect(!FileManager.default.fileExists(atPath: "-"))
    }

    @Test("An empty --observer (a service's unset variable) is no observer: no label, no field")
    func emptyObserver() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("m.prom").path
        let run = try runPeersniff(["-r", Paths.fixture("boot3/bridge.pcap"), "--json", "--observer", "", "--metrics", file])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.records.isEmpty && run.records.allSatisfy { $0["observer"] == nil })
        let metrics = try Exposition(String(contentsOfFile: file, encoding: .utf8))
        #expect(!metrics.samples.isEmpty && metrics.samples.allSatisfy { $0.labels["observer"] == nil })
    }

    @Test("Bad --metrics-interval and --observer values are usage errors", arguments: [
        ["--metrics-interval", "0"], ["--metrics-interval", "nan"], ["--metrics-interval", "-1"], ["--observer", String(repeating: "x", count: 257)],
    ])
    func badValues(arguments: [String]) throws {
        let run = try runPeersniff(["-r", Paths.fixture("boot3/bridge.pcap"), "-q"] + arguments)
        #expect(run.status == 2, "\(arguments): \(run.stderr)")
    }
}
