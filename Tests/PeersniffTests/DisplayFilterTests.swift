import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// `--node`, `--type`, `--since`, `--until` (tshark's `-Y`): what is printed, never what
/// is analysed; `-f` that leaves discovery traffic out is said; two views of one LAN
/// are analysed once. Checked on the failover capture against tshark's reading of it
/// (Fixtures/failover/frames.tsv) and against the unfiltered run's diagnoses.
@Suite("Display filters and two views")
struct DisplayFilterTests {
    static let bridge = Paths.fixture("failover/bridge.pcap")
    static let boardView = Paths.fixture("failover/board-view.pcap")
    /// Captured at ten times the firmware's speed.
    static let timing = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]
    static let node = "10.37.0.40"

    static func tshark() throws -> TsharkTable { try TsharkTable(path: Paths.fixture("failover/frames.tsv")) }

    /// Whether tshark's row is about `node` as the display filter means it: the sender,
    /// the destination, or the node an OFFLINE declares offline (payload bytes 1 to 4).
    static func about(_ row: TsharkTable.Row, _ node: String) -> Bool {
        if row.source == node || row.destination == node { return true }
        guard row.type == "OFFLINE", let bytes = row.payload, bytes.count >= 5 else { return false }
        return bytes[1...4].map(String.init).joined(separator: ".") == node
    }

    static func run(_ extra: [String], files: [String] = [bridge]) throws -> RunResult {
        let run = try runPeersniff(files.flatMap { ["-r", $0] } + timing + extra)
        try #require(run.status == 0, "\(extra): exit \(run.status): \(run.stderr)")
        return run
    }

    static func kind(_ records: [[String: Any]], _ kind: String) -> [[String: Any]] { records.filter { $0["kind"] as? String == kind } }

    /// Every address a JSON record names (any string value or string array element).
    static func addresses(_ record: [String: Any]) -> Set<String> {
        var found: Set<String> = []
        for value in record.values {
            if let text = value as? String { found.insert(text) }
            if let list = value as? [String] { found.formUnion(list) }
            if let list = value as? [[String: Any]] { for item in list { if let ip = item["ip"] as? String { found.insert(ip) } } }
        }
        return found
    }

    static func summaryDiagnoses(_ records: [[String: Any]]) throws -> NSArray {
        let summary = try #require(kind(records, "summary").last)
        return (summary["diagnoses"] as? [Any] ?? []) as NSArray
    }

    @Test("--node shows the frames tshark finds about the node, and only those; the diagnoses are the unfiltered run's")
    func nodeFilter() throws {
        let all = try Self.run(["--json"]).records
        let filtered = try Self.run(["--json", "--node", Self.node]).records
        let table = try Self.tshark()
        let expected = table.rows.filter { Self.about($0, Self.node) }.map(\.number)
        let frames = Self.kind(filtered, "frame")
        #expect(frames.map { $0["n"] as? Int ?? -1 } == expected)
        #expect(!expected.isEmpty && expected.count < table.rows.count)
        // Events and incidents: exactly the unfiltered run's that name the node.
        for kind in ["event", "incident"] {
            let want = Self.kind(all, kind).filter { Self.addresses($0).contains(Self.node) }
            let got = Self.kind(filtered, kind)
            #expect((got as NSArray) == (want as NSArray), "\(kind) records differ")
        }
        #expect(!Self.kind(filtered, "event").isEmpty)
        #expect(try Self.summaryDiagnoses(filtered) == Self.summaryDiagnoses(all))
        let display = try #require(Self.kind(filtered, "summary").last?["display_filter"] as? [String: Any])
        #expect((display["shown"] as? [String: Int])?["frames"] == expected.count)
        #expect((display["hidden"] as? [String: Int])?["frames"] == table.rows.count - expected.count)
    }

    @Test("--node in text: every frame line is about the node, and What happened is the unfiltered run's")
    func nodeFilterText() throws {
        let all = try Self.run(["--color", "never"]).stdout
        let filtered = try Self.run(["--color", "never", "--node", Self.node]).stdout
        // "12:45:02.398003 #10 10.37.0.40:46261 > 255.255.255.255:37020 HELLO ..."
        let frameLines = filtered.split(separator: "\n").filter {
            $0.range(of: #"^\d\d:\d\d:\d\d\.\d{6} #\d+ \d"#, options: .regularExpression) != nil
        }
        let expected = try Self.tshark().rows.filter { Self.about($0, Self.node) }
        #expect(frameLines.count == expected.count)
        for line in frameLines { #expect(line.contains(Self.node), "\(line)") }
        func whatHappened(_ text: String) -> String {
            text.components(separatedBy: "What happened\n").last?.components(separatedBy: "\nSummary\n").first ?? ""
        }
        #expect(!whatHappened(all).isEmpty)
        #expect(whatHappened(filtered) == whatHappened(all))
        #expect(filtered.contains("shown: --node \(Self.node): \(expected.count) of "))
    }

    @Test("--type OFFLINE shows tshark's OFFLINEs and nothing else; --type incident only the incidents")
    func typeFilter() throws {
        let filtered = try Self.run(["--json", "--type", "OFFLINE"]).records
        let expected = try Self.tshark().rows.filter { $0.type == "OFFLINE" }.map(\.number)
        #expect(expected.count == 45)
        #expect(Self.kind(filtered, "frame").map { $0["n"] as? Int ?? -1 } == expected)
        #expect(Self.kind(filtered, "frame").allSatisfy { $0["type"] as? String == "OFFLINE" })
        #expect(Self.kind(filtered, "event").isEmpty && Self.kind(filtered, "incident").isEmpty)

        let all = try Self.run(["--json"]).records
        let incidents = try Self.run(["--json", "--type", "incident"]).records
        #expect(Self.kind(incidents, "frame").isEmpty && Self.kind(incidents, "event").isEmpty)
        #expect((Self.kind(incidents, "incident") as NSArray) == (Self.kind(all, "incident") as NSArray))
        #expect(try Self.summaryDiagnoses(incidents) == Self.summaryDiagnoses(all))
    }

    @Test("--since +SECONDS and --until CLOCK: the frames tshark dates inside the window")
    func timeFilter() throws {
        let all = try Self.run(["--json"]).records
        let summary = try #require(Self.kind(all, "summary").last)
        let firstTS = try #require(summary["first_ts"] as? String)
        // The start of the summary's span, in seconds since the epoch (its own clock text).
        let start = try #require(epochSeconds(firstTS))
        let since = start + 7
        // 12:45:20 UTC on the capture's day.
        let day = (start / 86_400).rounded(.down) * 86_400
        let until = day + 12 * 3600 + 45 * 60 + 20
        let expected = try Self.tshark().rows.filter {
            let t = Double($0.epoch)!
            return t >= since - 1e-7 && t <= until + 1e-7
        }.map(\.number)
        let filtered = try Self.run(["--json", "--since", "+7", "--until", "12:45:20"]).records
        #expect(Self.kind(filtered, "frame").map { $0["n"] as? Int ?? -1 } == expected)
        #expect(!expected.isEmpty)
        // Events inside the window, incidents whose span meets it: as the unfiltered run's.
        let events = Self.kind(all, "event").filter {
            guard let t = ($0["ts"] as? String).flatMap(epochSeconds) else { return false }
            return t >= since - 1e-7 && t <= until + 1e-7
        }
        #expect((Self.kind(filtered, "event") as NSArray) == (events as NSArray))
        #expect(try Self.summaryDiagnoses(filtered) == Self.summaryDiagnoses(all))
    }

    @Test("-f that leaves discovery traffic out says how much, on standard error and in the summary")
    func extraFilterWarns() throws {
        let table = try Self.tshark()
        let kept = table.rows.filter { $0.source == Self.node || $0.destination == Self.node }.count
        let run = try Self.run(["--json", "-q", "-f", "host \(Self.node)"])
        let summary = try #require(run.records.last)
        #expect(summary["left_out_by_filter"] as? Int == table.rows.count - kept)
        #expect(run.stderr.contains("warning: -f 'host \(Self.node)' left \(table.rows.count - kept) packets of discovery traffic out of the analysis"))
        // A filter that leaves nothing of discovery out says nothing.
        let harmless = try Self.run(["--json", "-q", "-f", "udp"])
        #expect(harmless.records.last?["left_out_by_filter"] == nil)
        #expect(harmless.stderr.isEmpty)
    }

    /// tshark's reading of both views: each datagram as (sender, IP id, UDP payload).
    static func datagrams(_ path: String) throws -> [String] {
        let result = try runProgram(try toolPath("tshark"), ["-r", path, "-o", "ip.defragment:TRUE", "-Y", "udp.port==37020",
                                                          "-T", "fields", "-e", "ip.src", "-e", "ip.id", "-e", "udp.payload"])
        try #require(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("-r bridge -r board-view: every datagram analysed once (tshark's distinct datagrams), the storm counted once; --keep-duplicates counts both",
          .enabled(if: systemToolPath("tshark") != nil))
    func twoViews() throws {
        let both = try Self.datagrams(Self.bridge) + Self.datagrams(Self.boardView)
        let distinct = Set(both).count
        let run = try Self.run(["--json", "-q"], files: [Self.bridge, Self.boardView])
        let summary = try #require(run.records.last)
        #expect(summary["frames"] as? Int == distinct)
        #expect(summary["duplicates"] as? Int == both.count - distinct)
        #expect(both.count - distinct > 0)
        func storm(_ summary: [String: Any]) -> Int? {
            let diagnoses = summary["diagnoses"] as? [[String: Any]] ?? []
            return diagnoses.first { $0["code"] as? String == "offline-storm" }?["count"] as? Int
        }
        // The OFFLINEs about the registry, as tshark counts them in the bridge's view.
        let offlines = try Self.tshark().rows.filter { $0.type == "OFFLINE" }.count
        #expect(storm(summary) == offlines)
        let text = try Self.run(["-q", "--color", "never"], files: [Self.bridge, Self.boardView]).stdout
        #expect(text.contains("duplicates: \(both.count - distinct) datagrams seen in two inputs"))

        let kept = try Self.run(["--json", "-q", "--keep-duplicates"], files: [Self.bridge, Self.boardView]).records.last ?? [:]
        #expect(kept["frames"] as? Int == both.count)
        #expect(kept["duplicates"] == nil)
        #expect(storm(kept) == 2 * offlines)
    }
}

/// "2026-11-25T12:45:01.795889Z" as seconds since the epoch.
private func epochSeconds(_ text: String) -> Double? {
    let parts = text.dropLast().split(separator: "T")
    guard parts.count == 2 else { return nil }
    let date = parts[0].split(separator: "-").compactMap { Int($0) }
    let clock = parts[1].split(separator: ":")
    guard date.count == 3, clock.count == 3, let h = Double(clock[0]), let m = Double(clock[1]), let s = Double(clock[2]) else { return nil }
    var components = DateComponents()
    components.year = date[0]; components.month = date[1]; components.day = date[2]
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    guard let midnight = calendar.date(from: components) else { return nil }
    return midnight.timeIntervalSince1970 + h * 3600 + m * 60 + s
}
