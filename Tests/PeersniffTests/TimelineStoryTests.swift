import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// The election timeline of every real capture, checked against what the boards
/// themselves logged (truth.jsonl: their `state` records, the harness's `action`
/// records) and against tshark's independent reading of the pcap (frames.tsv),
/// never against an earlier run of peersniff.
///
/// - registry history: every registry the boards settled on (all live boards
///   agree) that sent FULL appears in `registry_history`, in order, its `since`
///   near the moment the boards switched; the last entry is what the surviving
///   boards believe at the end;
/// - a registry the boards settled on that never sent FULL is `registry-silent`;
/// - each capture's story (boot, failover, late lower node, desktop with the
///   lowest address, frozen board, legacy firmware, the big storm) is told by
///   the events and diagnoses;
/// - the summary's `nodes` match the oracle exactly: first and last frame time
///   and frames by type per sender.
@Suite("Timeline stories of the real captures")
struct TimelineStoryTests {

    // MARK: Captures

    enum View: String, Sendable, CaseIterable {
        case bridge
        case boardView = "board-view"
    }

    /// One pcap with its oracle, its scenario's truth and README.
    struct StoryCapture: Sendable, CustomTestStringConvertible {
        var scenario: String
        var view: View
        /// A slice of `big` kept in Fixtures/big (nil: the whole capture).
        var slice: String?

        var testDescription: String { "\(scenario) \(slice ?? view.rawValue)" }

        /// The folder with the whole capture's files: Fixtures/<scenario>, else the shared captures.
        var folder: URL? {
            for base in [Paths.fixtures, Paths.sharedCaptures] {
                let url = base.appendingPathComponent(scenario)
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("README.txt").path) { return url }
            }
            return nil
        }

        var pcap: String? {
            if let slice { return Paths.fixtures.appendingPathComponent("big/\(slice).pcap").path }
            return folder?.appendingPathComponent("\(view.rawValue).pcap").path
        }

        /// tshark's reading (frames.tsv, frames-board-view.tsv, gzip-compressed or not).
        var oracle: String? {
            if let slice { return Paths.fixtures.appendingPathComponent("big/\(slice).frames.tsv").path }
            let name = view == .bridge ? "frames.tsv" : "frames-board-view.tsv"
            return folder.flatMap { existing($0.appendingPathComponent(name).path) }
        }

        var truth: String? { folder.flatMap { existing($0.appendingPathComponent("truth.jsonl").path) } }
        var readme: String? { folder.map { $0.appendingPathComponent("README.txt").path } }

        /// The pcap and tshark's reading are there (a slice of big needs nothing else).
        var hasCapture: Bool {
            guard let pcap, FileManager.default.fileExists(atPath: pcap), let oracle else { return false }
            return FileManager.default.fileExists(atPath: oracle)
        }

        /// The pcap, its reading, and the scenario's truth and README are there.
        var isAvailable: Bool { hasCapture && truth != nil && readme != nil }

        private func existing(_ path: String) -> String? {
            if FileManager.default.fileExists(atPath: path) { return path }
            if FileManager.default.fileExists(atPath: path + ".gz") { return path + ".gz" }
            return nil
        }
    }

    static let scenarios = ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"]
    static let bigSlices = ["bridge-start", "board-view-start", "bridge-fragments", "board-view-fragments"]

    /// Every whole capture, both views (big only where the shared captures are present).
    static let wholeCaptures: [StoryCapture] = (scenarios + ["big"]).flatMap { scenario in
        View.allCases.map { StoryCapture(scenario: scenario, view: $0) }
    }.filter(\.isAvailable)

    /// The slices of big kept in Fixtures (their truth and README come from the shared captures).
    static let sliceCaptures: [StoryCapture] = bigSlices.map {
        StoryCapture(scenario: "big", view: $0.hasPrefix("bridge") ? .bridge : .boardView, slice: $0)
    }.filter(\.hasCapture)

    static func captures(_ scenario: String) -> [StoryCapture] {
        wholeCaptures.filter { $0.scenario == scenario }
    }

    // MARK: Registry history against the boards' beliefs

    @Test("registry_history follows the registries the boards settled on", arguments: wholeCaptures)
    func registryHistory(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let run = try StoryRun(capture, truth: truth)
        let tolerance = truth.tolerance
        let history = run.history
        try #require(!history.isEmpty, "\(capture.testDescription): empty registry_history")

        // The settled registries that sent FULL, consecutive repeats merged.
        var expected: [StoryTruth.Settlement] = []
        for settlement in truth.settlements where truth.sentFull(settlement) {
            if expected.last?.registry != settlement.registry { expected.append(settlement) }
        }
        try #require(!expected.isEmpty, "\(capture.testDescription): the truth has no settled registry that sent FULL")

        var next = 0
        for settlement in expected {
            let window = (settlement.switchStart - tolerance)...(settlement.settledAt + tolerance)
            // When the boards switched before the new registry sent anything, an
            // observer can only see it by its first FULL (tshark's reading); the
            // gap must then have been flagged as registry-silent.
            let firstFull = oracle.fulls(from: settlement.registry).first { $0 >= window.lowerBound }
            let late = firstFull.map { $0 > window.upperBound } ?? false  // lowjoin: 0.9 s after
            let found = history[next...].firstIndex { entry in
                guard entry.ip == settlement.registry else { return false }
                if window.contains(entry.since) { return true }
                if late, let firstFull { return abs(entry.since - firstFull) <= tolerance }
                return false
            }
            guard let found else {
                Issue.record("""
                    \(capture.testDescription): the boards settled on \(settlement.registry) \
                    (first switch at rel \(rel(settlement.switchStart, truth)), all agreed at rel \(rel(settlement.settledAt, truth))\
                    \(late ? ", its first FULL at rel \(rel(firstFull!, truth))" : "")), \
                    but registry_history (after entry \(next)) has no such entry: \
                    \(history.map { "\($0.ip) since rel \(rel($0.since, truth))" })
                    """)
                continue
            }
            if late, let firstFull {
                let silent = run.events("registry-silent").contains {
                    $0["expected"] as? String == settlement.registry
                        && (settlement.switchStart - tolerance...firstFull).contains(storySeconds($0["ts"]))
                }
                #expect(silent, """
                    \(capture.testDescription): the boards believed in \(settlement.registry) from rel \
                    \(rel(settlement.switchStart, truth)) but its first FULL came at rel \(rel(firstFull, truth)): \
                    expected a registry-silent for it in between
                    """)
            }
            next = found + 1
        }

        // The last entry: what the surviving boards believe when the run ends.
        let survivors = Set(truth.finalBeliefs.values)
        #expect(survivors.count == 1, "\(capture.testDescription): surviving boards disagree at the end: \(truth.finalBeliefs)")
        if survivors.count == 1 {
            #expect(history.last?.ip == survivors.first,
                    "\(capture.testDescription): boards end believing in \(survivors.first!), registry_history ends with \(history.last?.ip ?? "nothing")")
        }

        // Each entry's FULL count is the oracle's FULLs from since up to the next entry.
        for (i, entry) in history.enumerated() {
            let end = i + 1 < history.count ? history[i + 1].since : .infinity
            let count = oracle.rows.filter { $0.type == "FULL" && $0.time >= entry.since && $0.time < end }.count
            let fromOthers = oracle.rows.filter { $0.type == "FULL" && $0.time >= entry.since && $0.time < end && $0.src != entry.ip }
            #expect(entry.fulls == count && fromOthers.isEmpty,
                    "\(capture.testDescription): registry_history[\(i)] \(entry.ip) has fulls \(entry.fulls); tshark reads \(count) FULLs in its span (\(fromOthers.count) from other senders)")
        }
        #expect(history.map(\.fulls).reduce(0, +) == oracle.rows.filter { $0.type == "FULL" && $0.time >= history[0].since }.count)
        #expect(oracle.rows.first { $0.type == "FULL" }.map { abs($0.time - history[0].since) < 1e-6 } ?? false,
                "\(capture.testDescription): the first entry does not start at the first FULL")
    }

    @Test("A registry the boards settled on that never sent FULL is registry-silent", arguments: wholeCaptures)
    func silentRegistries(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let settlements = truth.settlements
        for (i, settlement) in settlements.enumerated() where !truth.sentFull(settlement) {
            let end = i + 1 < settlements.count ? settlements[i + 1].settledAt : truth.end
            let window = (settlement.switchStart - truth.tolerance)...(end + truth.tolerance)
            let silent = run.events("registry-silent").filter { $0["expected"] as? String == settlement.registry }
            #expect(silent.contains { window.contains(storySeconds($0["ts"])) }, """
                \(capture.testDescription): the boards believed in \(settlement.registry) (rel \(rel(settlement.switchStart, truth)) \
                to \(rel(end, truth))) and it never sent FULL, but registry-silent for it came at \
                \(silent.map { rel(storySeconds($0["ts"]), truth) })
                """)
            #expect(!run.history.contains { $0.ip == settlement.registry },
                    "\(capture.testDescription): \(settlement.registry) sent no FULL yet is in registry_history")
        }
    }

    // MARK: Stories

    @Test("boot3: the lowest board is elected; every board and the desktop client are seen", arguments: captures("boot3"))
    func boot3(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let lowest = truth.boards.map(\.ip).min(by: storyIPLess)!
        let elected = run.events("registry-elected")
        #expect(elected.count == 1 && elected.first?["ip"] as? String == lowest,
                "boot3 \(capture.view): the lowest board is \(lowest); registry-elected: \(elected)")
        #expect(truth.settlements.first?.registry == lowest)
        let desktops = truth.actions("start_desktop_client")
        #expect(!desktops.isEmpty, "boot3's truth names the desktop client")
        let hosts = truth.boards + desktops.map { StoryTruth.Host(ip: $0["ip"] as! String, name: $0["name"] as? String) }
        for host in hosts {
            expectSeen(run, host, capture: capture)
        }
    }

    @Test("failover: the dead registry is declared offline, the next lowest takes over", arguments: captures("failover"))
    func failover(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let kill = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGKILL" })
        let dead = kill["ip"] as! String
        let killedAt = kill["t"] as! Double
        try #require(truth.settlements.first?.registry == dead, "the truth's killed board was the registry")
        let survivors = truth.boards.map(\.ip).filter { $0 != dead }
        let successor = survivors.min(by: storyIPLess)!
        let handOver = try #require(truth.settlements.first { $0.registry == successor && $0.switchStart > killedAt },
                                    "the boards settle on \(successor) after the kill")

        let offline = run.events("node-declared-offline").filter { $0["ip"] as? String == dead }
        let firstOffline = try #require(offline.first, "failover \(capture.view): no node-declared-offline for \(dead)")
        #expect(storySeconds(firstOffline["ts"]) > killedAt)
        let changed = run.events("registry-changed")
        let change = try #require(changed.first, "failover \(capture.view): no registry-changed")
        #expect(change["from"] as? String == dead && change["to"] as? String == successor,
                "failover \(capture.view): expected registry-changed \(dead) -> \(successor), got \(change)")
        #expect(storyN(change) > storyN(firstOffline), "registry-changed comes after the OFFLINE of \(dead)")
        let at = storySeconds(change["ts"])
        #expect((handOver.switchStart - truth.tolerance...handOver.settledAt + truth.tolerance).contains(at),
                "failover \(capture.view): registry-changed at rel \(rel(at, truth)), boards switched rel \(rel(handOver.switchStart, truth))-\(rel(handOver.settledAt, truth))")
        #expect(changed.count == 1, "failover \(capture.view): the boards changed registry once; events: \(changed)")
    }

    @Test("lowjoin: a late lower node is seen, then becomes the registry", arguments: captures("lowjoin"))
    func lowjoin(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        // The board that booted after all others with an address lower than all of them.
        let boots = truth.boards.sorted { $0.bootedAt < $1.bootedAt }
        let late = try #require(boots.last.flatMap { last in
            boots.dropLast().allSatisfy { storyIPLess(last.ip, $0.ip) } ? last : nil
        }, "lowjoin's truth has a late lower board")
        let before = try #require(truth.settlements.first { $0.registry != late.ip }?.registry)
        let seen = run.events("node-seen").filter { $0["ip"] as? String == late.ip }
        let firstSeen = try #require(seen.first, "lowjoin \(capture.view): no node-seen for \(late.ip)")
        #expect(storySeconds(firstSeen["ts"]) >= late.bootedAt)
        let change = run.events("registry-changed").first { $0["to"] as? String == late.ip }
        #expect(change?["from"] as? String == before,
                "lowjoin \(capture.view): expected registry-changed \(before) -> \(late.ip), got \(run.events("registry-changed"))")
        if let change { #expect(storyN(change) > storyN(firstSeen)) }
        expectSeen(run, late, capture: capture)
    }

    @Test("desktop-lowest: the desktop with the lowest address is registry-silent and declared offline", arguments: captures("desktop-lowest"))
    func desktopLowest(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let start = try #require(truth.actions("start_desktop_client").first)
        let desktop = start["ip"] as! String
        #expect(truth.boards.allSatisfy { storyIPLess(desktop, $0.ip) }, "the desktop has the lowest address")
        let believed = try #require(truth.settlements.first { $0.registry == desktop }, "the boards settled on the desktop")
        let silent = run.events("registry-silent").filter { $0["expected"] as? String == desktop }
        let from = believed.switchStart - truth.tolerance
        #expect(silent.contains { storySeconds($0["ts"]) >= from && storySeconds($0["ts"]) <= believed.settledAt + 3 * truth.tolerance },
                "desktop-lowest \(capture.view): boards believed in \(desktop) from rel \(rel(believed.switchStart, truth)); registry-silent: \(silent)")
        let offline = run.events("node-declared-offline").filter { $0["ip"] as? String == desktop }
        #expect(!offline.isEmpty, "desktop-lowest \(capture.view): no node-declared-offline for \(desktop)")
        // When the boards stop believing in it: the first OFFLINE of it.
        let gaveUp = try #require(truth.settlements.first { $0.registry != desktop && $0.switchStart > believed.settledAt })
        if let first = offline.first {
            #expect(abs(storySeconds(first["ts"]) - gaveUp.switchStart) <= truth.tolerance,
                    "desktop-lowest \(capture.view): first OFFLINE of \(desktop) at rel \(rel(storySeconds(first["ts"]), truth)), the first board gave up on it at rel \(rel(gaveUp.switchStart, truth))")
        }
        #expect(run.summaryNode(desktop)?["frames_by_type"].flatMap { ($0 as? [String: Any])?["FULL"] as? Int } ?? 0 == 0)
    }

    @Test("rejoin: the frozen board is declared offline, then returns", arguments: captures("rejoin"))
    func rejoin(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let stop = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGSTOP" })
        let frozen = stop["ip"] as! String
        let stoppedAt = stop["t"] as! Double
        let cont = try #require(truth.actions("signal").first { $0["signal"] as? String == "SIGCONT" && $0["ip"] as? String == frozen })
        let resumedAt = cont["t"] as! Double

        let offline = run.events("node-declared-offline").filter { $0["ip"] as? String == frozen }
        let firstOffline = try #require(offline.first, "rejoin \(capture.view): no node-declared-offline for \(frozen)")
        let offlineAt = storySeconds(firstOffline["ts"])
        #expect(offlineAt > stoppedAt && offlineAt < resumedAt,
                "rejoin \(capture.view): first OFFLINE of \(frozen) at rel \(rel(offlineAt, truth)); frozen rel \(rel(stoppedAt, truth))-\(rel(resumedAt, truth))")
        let returned = run.events("node-returned").filter { $0["ip"] as? String == frozen }
        let firstReturn = try #require(returned.first, "rejoin \(capture.view): no node-returned for \(frozen)")
        #expect(storyN(firstReturn) > storyN(firstOffline))
        let returnedAt = storySeconds(firstReturn["ts"])
        #expect(returnedAt >= resumedAt - 0.05 && returnedAt <= resumedAt + truth.tolerance,
                "rejoin \(capture.view): node-returned \(frozen) at rel \(rel(returnedAt, truth)), resumed at rel \(rel(resumedAt, truth))")
    }

    @Test("legacy: the JSON boards are seen via LEGACY and diagnosed", arguments: captures("legacy"))
    func legacy(capture: StoryCapture) throws {
        let truth = try StoryTruth.of(capture)
        let run = try StoryRun(capture, truth: truth)
        let legacy = truth.legacySenders
        try #require(!legacy.isEmpty, "legacy's truth has boards that send JSON")
        for ip in legacy.sorted(by: storyIPLess) {
            let seen = run.events("node-seen").filter { $0["ip"] as? String == ip }
            #expect(seen.count == 1 && seen.first?["via"] as? String == "LEGACY",
                    "legacy \(capture.view): node-seen for \(ip) should be via LEGACY: \(seen)")
            if let host = truth.boards.first(where: { $0.ip == ip }) { expectSeen(run, host, capture: capture) }
        }
        #expect(run.diagnosisCodes.contains("legacy-firmware"), "legacy \(capture.view): diagnoses \(run.diagnosisCodes)")
    }

    @Test("big: the storm (FULL over the receive buffer, many HELLO and FULL)", arguments: captures("big") + sliceCaptures)
    func bigStorm(capture: StoryCapture) throws {
        let truth = capture.truth == nil ? nil : try StoryTruth.of(capture)
        let oracle = try StoryOracle(capture.oracle!)
        let run = try StoryRun(capture, truth: truth)
        let oversized = oracle.rows.filter { $0.type == "FULL" && $0.payloadLength > 1024 }
        #expect(run.diagnosisCodes.contains("full-exceeds-receive-buffer") == !oversized.isEmpty,
                "big \(capture.testDescription): tshark reads \(oversized.count) FULLs over 1024 bytes; diagnoses \(run.diagnosisCodes)")
        // The boards booted (the truth), else those that sent something in the slice.
        let boards = truth?.boards.count ?? Set(oracle.rows.map(\.src)).count
        let byType = run.summary["frames_by_type"] as? [String: Int] ?? [:]
        let hello = byType["HELLO"] ?? 0, full = byType["FULL"] ?? 0
        #expect(hello == oracle.count("HELLO") && full == oracle.count("FULL"))
        #expect(hello > 5 * boards && full > boards,
                "big \(capture.testDescription): a storm of \(boards) boards, yet HELLO \(hello), FULL \(full)")
    }

    // MARK: Nodes against tshark's reading

    @Test("nodes: first/last seen and frames by type equal tshark's reading", arguments: wholeCaptures + sliceCaptures)
    func nodes(capture: StoryCapture) throws {
        let oracle = try StoryOracle(capture.oracle!)
        let run = try StoryRun(capture, truth: capture.truth == nil ? nil : try StoryTruth.of(capture))
        let nodes = (run.summary["nodes"] as? [[String: Any]]) ?? []
        let senders = nodes.filter { ($0["frames_sent"] as? Int ?? 0) > 0 || $0["first_seen"] != nil }
        let expectedIPs = Set(oracle.rows.map(\.src))
        #expect(Set(senders.compactMap { $0["ip"] as? String }) == expectedIPs,
                "\(capture.testDescription): nodes that sent frames")
        for ip in expectedIPs.sorted(by: storyIPLess) {
            let rows = oracle.rows.filter { $0.src == ip }
            guard let node = nodes.first(where: { $0["ip"] as? String == ip }) else {
                Issue.record("\(capture.testDescription): \(ip) sent \(rows.count) frames, not in nodes"); continue
            }
            #expect(storyExact(node["first_seen"]) == rows.first!.exact,
                    "\(capture.testDescription): \(ip) first_seen \(node["first_seen"] ?? "nil"), tshark \(rows.first!.timeText)")
            #expect(storyExact(node["last_seen"]) == rows.last!.exact,
                    "\(capture.testDescription): \(ip) last_seen \(node["last_seen"] ?? "nil"), tshark \(rows.last!.timeText)")
            var expected: [String: Int] = [:]
            for row in rows { if let type = row.type { expected[type, default: 0] += 1 } }
            let actual = ((node["frames_by_type"] as? [String: Int]) ?? [:]).filter { $0.value != 0 }
            #expect(actual == expected, "\(capture.testDescription): \(ip) frames_by_type")
            #expect(node["frames_sent"] as? Int == rows.count, "\(capture.testDescription): \(ip) frames_sent")
            let seen = run.events("node-seen").filter { $0["ip"] as? String == ip }
            #expect(seen.count == 1, "\(capture.testDescription): \(seen.count) node-seen for \(ip)")
        }

        // The totals, and for a whole capture the README's counts.
        var totals: [String: Int] = [:]
        for row in oracle.rows { if let type = row.type { totals[type, default: 0] += 1 } }
        let byType = ((run.summary["frames_by_type"] as? [String: Int]) ?? [:]).filter { $0.value != 0 }
        #expect(byType == totals, "\(capture.testDescription): frames_by_type")
        if capture.slice == nil, let readme = try StoryReadme.countsByType(capture.readme!, pcap: "\(capture.view.rawValue).pcap") {
            #expect(byType == readme, "\(capture.testDescription): README counts \(readme)")
        }
    }

    // MARK: Helpers

    private func expectSeen(_ run: StoryRun, _ host: StoryTruth.Host, capture: StoryCapture) {
        let seen = run.events("node-seen").filter { $0["ip"] as? String == host.ip }
        #expect(seen.count == 1, "\(capture.testDescription): node-seen for \(host.ip): \(seen)")
        // A name the firmware sends whole (32 bytes at most) is seen as it is.
        if let name = host.name, name.utf8.count <= 32, let event = seen.first {
            #expect(event["name"] as? String == name, "\(capture.testDescription): node-seen \(host.ip) name")
        }
    }

    private func rel(_ t: Double, _ truth: StoryTruth) -> String {
        String(format: "%.3f", t - truth.t0)
    }
}

// MARK: - Truth (the boards' own logs)

struct StoryTruth {
    struct Host { var ip: String; var name: String?; var bootedAt: Double = 0 }
    struct Settlement {
        var registry: String
        /// The first time, after the previous settlement, that a board switched its belief to `registry`.
        var switchStart: Double
        /// The time every live board believed in it.
        var settledAt: Double
    }

    /// The harness's `action` records.
    var actionRecords: [[String: Any]]
    var t0: Double
    var end: Double
    var speed: Double
    var boards: [Host]
    var settlements: [Settlement] = []
    var finalBeliefs: [String: String] = [:]
    var fullSends: [String: [Double]] = [:]
    var legacySenders: Set<String> = []

    /// 2 s in real time, 0.5 s at speed 10.
    var tolerance: Double { speed <= 1 ? 2.0 : 0.5 }

    /// Thresholds scaled like the firmware's intervals (the defaults at speed 1).
    var arguments: [String] {
        speed <= 1 ? [] : ["--registry-timeout", storyDecimal(3 / speed), "--conflict-window", storyDecimal(5 / speed)]
    }

    func actions(_ name: String) -> [[String: Any]] {
        actionRecords.filter { $0["action"] as? String == name }
    }

    /// Whether the registry sent FULL while the boards believed in it (between its first switch and the next settlement).
    func sentFull(_ settlement: Settlement) -> Bool {
        let next = settlements.first { $0.switchStart > settlement.settledAt }?.switchStart ?? end
        return (fullSends[settlement.registry] ?? []).contains { $0 >= settlement.switchStart - tolerance && $0 <= next + tolerance }
    }

    /// The truth of a capture's scenario, read once per run (big's is 15 MB).
    static func of(_ capture: TimelineStoryTests.StoryCapture) throws -> StoryTruth {
        try StoryTruthCache.shared.truth(capture.truth!)
    }

    init(path: String) throws {
        let text = try storyReadText(path)
        var records = text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        records.sort { ($0["t"] as? Double ?? 0) < ($1["t"] as? Double ?? 0) }
        let ev = { (r: [String: Any]) in r["ev"] as? String }
        let action = { (r: [String: Any]) in r["action"] as? String }
        t0 = records.first { action($0) == "capture_started" }?["t"] as? Double ?? records.first?["t"] as? Double ?? 0
        end = records.first { action($0) == "scenario_end" }?["t"] as? Double ?? records.last?["t"] as? Double ?? 0
        actionRecords = records.filter { ev($0) == "action" }
        let bootActions = records.filter { action($0) == "boot_board" }
        speed = bootActions.compactMap { ($0["speed"] as? NSNumber)?.doubleValue }.max() ?? 1
        boards = bootActions.map { Host(ip: $0["ip"] as! String, name: $0["name"] as? String, bootedAt: $0["t"] as! Double) }

        // Beliefs of live boards; a settlement is all live boards with a belief (two at least) agreeing.
        var belief: [String: String] = [:]
        var alive: Set<String> = []
        var settled: String?
        var firstSwitch: [String: Double] = [:]
        for r in records {
            let t = r["t"] as? Double ?? 0
            guard let kind = ev(r) else { continue }
            let ip = r["ip"] as? String
            switch kind {
            case "action":
                switch (action(r), r["signal"] as? String) {
                case ("signal", "SIGKILL"), ("signal", "SIGSTOP"), ("link_down", _): if let ip { alive.remove(ip) }
                case ("signal", "SIGCONT"): if let ip { alive.insert(ip) }
                default: break
                }
            case "boot": if let ip { alive.insert(ip) }
            case "exit": if let ip { alive.remove(ip) }
            case "state":
                guard let ip else { continue }
                let new = r["registry"] as? String
                if let new, let old = belief[ip], old != new, firstSwitch[new] == nil { firstSwitch[new] = t }
                belief[ip] = new
            case "send":
                if let ip, r["type"] as? String == "FULL" { fullSends[ip, default: []].append(t) }
                if let ip, r["type"] as? String == "LEGACY_JSON" { legacySenders.insert(ip) }
                continue
            default: continue
            }
            if action(r) == "scenario_end" { break }
            let views = alive.compactMap { belief[$0] }
            if views.count >= 2, let registry = views.first, views.allSatisfy({ $0 == registry }), registry != settled {
                settlements.append(Settlement(registry: registry, switchStart: firstSwitch[registry] ?? t, settledAt: t))
                settled = registry
                firstSwitch = [:]
            }
            if t <= end { finalBeliefs = Dictionary(uniqueKeysWithValues: alive.compactMap { b in belief[b].map { (b, $0) } }) }
        }
    }
}

final class StoryTruthCache: @unchecked Sendable {
    static let shared = StoryTruthCache()
    private let lock = NSLock()
    private var truths: [String: StoryTruth] = [:]

    func truth(_ path: String) throws -> StoryTruth {
        lock.lock()
        defer { lock.unlock() }
        if let truth = truths[path] { return truth }
        let truth = try StoryTruth(path: path)
        truths[path] = truth
        return truth
    }
}

// MARK: - tshark's reading

struct StoryOracle {
    struct Row {
        var timeText: String
        var time: Double
        var exact: StoryExactTime
        var src: String
        var payloadLength: Int
        var type: String?
        /// The payload as tshark printed it (hex).
        var payload: String = ""

        /// An OFFLINE's subject, from its payload bytes 1-4.
        var offlineSubject: String? {
            guard type == "OFFLINE", let bytes = bytesFromHex(payload.prefix(10)), bytes.count == 5 else { return nil }
            return bytes[1...].map(String.init).joined(separator: ".")
        }
    }
    var rows: [Row]

    init(_ path: String) throws {
        rows = try TsharkTable(path: path).rows.compactMap { row in
            guard let exact = StoryExactTime(epoch: row.epoch) else { return nil }
            // time from the exact value, as storySeconds does: equal instants give equal Doubles.
            return Row(timeText: row.epoch, time: exact.double, exact: exact, src: row.source, payloadLength: row.payloadLength,
                       type: row.type, payload: row.payloadHex)
        }
    }

    func fulls(from ip: String) -> [Double] { rows.filter { $0.type == "FULL" && $0.src == ip }.map(\.time) }
    func count(_ type: String) -> Int { rows.filter { $0.type == type }.count }
}

// MARK: - README counts

enum StoryReadme {
    /// `bridge.pcap: … by type {"FULL": 10, …}` of the README, LEGACY_JSON as LEGACY.
    static func countsByType(_ path: String, pcap: String) throws -> [String: Int]? {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\(pcap):") }),
              let open = line.range(of: "by type {"),
              let close = line[open.upperBound...].firstIndex(of: "}") else { return nil }
        let json = "{" + line[open.upperBound..<close] + "}"
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Int] else { return nil }
        var counts: [String: Int] = [:]
        for (key, value) in object where value != 0 { counts[key == "LEGACY_JSON" ? "LEGACY" : key] = value }
        return counts
    }
}

// MARK: - peersniff's run

struct StoryRun {
    struct Entry { var ip: String; var since: Double; var fulls: Int }
    var records: [[String: Any]]
    var summary: [String: Any]

    /// Runs peersniff with the thresholds of the capture's speed (without a truth,
    /// a slice of big: speed 10, as make-slices.sh's source, the shared big capture).
    init(_ capture: TimelineStoryTests.StoryCapture, truth: StoryTruth?) throws {
        let thresholds = truth?.arguments ?? ["--registry-timeout", "0.3", "--conflict-window", "0.5"]
        let result = try runPeersniff(["-r", capture.pcap!, "--json"] + thresholds)
        #expect(result.status == 0, "\(capture.testDescription): exit \(result.status), stderr: \(result.stderr)")
        records = result.records
        summary = records.last { $0["kind"] as? String == "summary" } ?? [:]
        #expect(!summary.isEmpty, "\(capture.testDescription): no summary record")
    }

    func events(_ name: String) -> [[String: Any]] {
        records.filter { $0["kind"] as? String == "event" && $0["event"] as? String == name }
    }

    var history: [Entry] {
        ((summary["registry_history"] as? [[String: Any]]) ?? []).map {
            Entry(ip: $0["ip"] as? String ?? "", since: storySeconds($0["since"]), fulls: $0["fulls"] as? Int ?? -1)
        }
    }

    var diagnosisCodes: [String] {
        ((summary["diagnoses"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
    }

    func summaryNode(_ ip: String) -> [String: Any]? {
        ((summary["nodes"] as? [[String: Any]]) ?? []).first { $0["ip"] as? String == ip }
    }
}

// MARK: - Time, addresses, files

/// A capture time as whole seconds and nanoseconds, compared exactly.
struct StoryExactTime: Equatable, CustomStringConvertible {
    var seconds: Int64
    var nanoseconds: Int64

    var description: String { "\(seconds).\(String(format: "%09lld", nanoseconds))" }

    private static func fraction(_ digits: Substring) -> Int64? {
        guard digits.count <= 9, digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits.padding(toLength: 9, withPad: "0", startingAt: 0))
    }

    /// tshark's frame.time_epoch, e.g. `1795610631.856080000`.
    init?(epoch: String) {
        let parts = epoch.split(separator: ".", omittingEmptySubsequences: false)
        guard let s = Int64(parts[0]) else { return nil }
        seconds = s
        if parts.count > 1 { guard let f = Self.fraction(parts[1]) else { return nil }; nanoseconds = f } else { nanoseconds = 0 }
    }

    /// RFC 3339 UTC, e.g. `2026-11-25T12:43:51.856080Z`.
    init?(rfc3339 text: String) {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let halves = body.split(separator: "T")
        guard halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "-").compactMap { Int64($0) }
        let timeAndFraction = halves[1].split(separator: ".", omittingEmptySubsequences: false)
        let time = timeAndFraction[0].split(separator: ":").compactMap { Int64($0) }
        guard date.count == 3, time.count == 3 else { return nil }
        // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
        let (y0, m, d) = (date[0], date[1], date[2])
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        seconds = days * 86400 + time[0] * 3600 + time[1] * 60 + time[2]
        if timeAndFraction.count > 1 { guard let f = Self.fraction(timeAndFraction[1]) else { return nil }; nanoseconds = f } else { nanoseconds = 0 }
    }

    var double: Double { Double(seconds) + Double(nanoseconds) / 1e9 }
}

func storyExact(_ value: Any?) -> StoryExactTime? {
    (value as? String).flatMap { StoryExactTime(rfc3339: $0) }
}

/// An RFC 3339 `ts` as epoch seconds (NaN when missing or unreadable, so comparisons fail).
func storySeconds(_ value: Any?) -> Double {
    storyExact(value)?.double ?? .nan
}

func storyN(_ record: [String: Any]) -> Int { record["n"] as? Int ?? -1 }

func storyIPLess(_ a: String, _ b: String) -> Bool {
    let key = { (s: String) in s.split(separator: ".").compactMap { UInt32($0) }.reduce(UInt32(0)) { $0 << 8 | $1 } }
    return key(a) < key(b)
}

func storyDecimal(_ value: Double) -> String {
    var text = String(format: "%.6f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// A text file, gunzipped when its name ends in .gz.
func storyReadText(_ path: String) throws -> String {
    guard path.hasSuffix(".gz") else { return try String(contentsOfFile: path, encoding: .utf8) }
    let pathList = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let gzip = pathList.split(separator: ":").map { "\($0)/gzip" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/gzip"
    let result = try runProgram(gzip, ["-dc", path])
    guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
    return result.stdout
}
