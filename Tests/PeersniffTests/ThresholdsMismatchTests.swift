import Foundation
import Testing
import EndToEndSupport

/// The boards' own cadence against the thresholds in use: the `speed 10` shared
/// captures read with the default thresholds (a round of 15 s where the boards run
/// 1.5 s) give `thresholds-mismatch` first, naming the options their README gives
/// (`--registry-timeout 0.3 --conflict-window 0.5`); read with those options, none.
/// The real-time capture (boot3) read with the speed-10 options gives the mismatch the
/// other way, naming the defaults.
@Suite("Thresholds that fit the LAN")
struct ThresholdsMismatchTests {
    typealias Capture = TimelineStoryTests.StoryCapture

    static let fast: [Capture] = ["failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"].flatMap { TimelineStoryTests.captures($0) }

    static func diagnoses(_ capture: Capture, _ arguments: [String]) throws -> [[String: Any]] {
        let result = try runPeersniff(["-r", capture.pcap!, "--json", "-q"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return (result.records.last?["diagnoses"] as? [[String: Any]]) ?? []
    }

    @Test("A speed-10 capture at the default thresholds: the mismatch first, naming the options that fit", arguments: fast)
    func fastAtDefaults(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        #expect(truth.speed == 10)
        let found = try Self.diagnoses(capture, [])
        let first = try #require(found.first, "\(capture.testDescription): no diagnosis")
        #expect(first["code"] as? String == "thresholds-mismatch", "\(capture.testDescription): \(found.map { $0["code"] ?? "" })")
        let text = first["text"] as? String ?? ""
        #expect(text.contains("--registry-timeout \(truth.arguments[1]) --conflict-window \(truth.arguments[3])"), "\(text)")
        #expect(abs((first["round_s"] as? Double ?? 0) - 15 / truth.speed) < 0.1, "the boards' round: \(first["round_s"] ?? "?")")
        #expect(first["ips"] as? [String] == [])
        let text2 = try runPeersniff(["-r", capture.pcap!, "-q"]).stdout
        let happened = text2.components(separatedBy: "\n").drop { !$0.hasPrefix("What happened") }.dropFirst().first ?? ""
        #expect(happened.contains("thresholds-mismatch"), "the first line of What happened: \(happened)")
    }

    @Test("The same capture with the options that fit: no mismatch", arguments: fast)
    func fastAtItsSpeed(capture: Capture) throws {
        let truth = try StoryTruth.of(capture)
        let found = try Self.diagnoses(capture, truth.arguments)
        #expect(!found.contains { $0["code"] as? String == "thresholds-mismatch" }, "\(found.map { $0["code"] ?? "" })")
    }

    /// (The board view of boot3 holds six PINGs: too few to judge, and nothing is said.)
    @Test("The real-time capture: none at the defaults; at the speed-10 options, the mismatch names the defaults",
          arguments: TimelineStoryTests.captures("boot3").filter { $0.view == .bridge })
    func realTime(capture: Capture) throws {
        #expect(!(try Self.diagnoses(capture, [])).contains { $0["code"] as? String == "thresholds-mismatch" })
        let slow = try Self.diagnoses(capture, ["--registry-timeout", "0.3", "--conflict-window", "0.5"])
        let mismatch = slow.first { $0["code"] as? String == "thresholds-mismatch" }
        #expect((mismatch?["text"] as? String)?.contains("--registry-timeout 3 --conflict-window 5") == true, "\(slow)")
    }
}
