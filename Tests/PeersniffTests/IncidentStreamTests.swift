import Foundation
import Testing
import EndToEndSupport

/// The incident stream (CONTRACT.md's `incident` records) against the summary, on
/// every capture in Fixtures: each diagnosis of the summary had its `open` record with
/// the same `id` (and its `closed` record when it has `until`), and nothing else was
/// told that the summary does not hold, unless it was withdrawn. An open record comes
/// as soon as the wire can show it: within a liveness round of the incident's `since`,
/// or, for a node's silence (a registry failing over or lost, a node lost), within the
/// two rounds the firmware itself needs to notice a silent board (PROTOCOL.md: "up to
/// two rounds"), plus T for the OFFLINE's answer.
@Suite("The incident stream follows the summary")
struct IncidentStreamTests {
    /// Codes whose `since` is a node's last frame, noticed by the boards only when a
    /// liveness round PINGs it.
    static let noticedBySilence: Set<String> = ["registry-failover", "registry-lost-unnoticed", "node-lost", "lan-silent"]

    @Test("Each Fixtures capture: every diagnosis told as it happened, same ids", arguments: MetricsTests.captures.map(\.name))
    func stream(name: String) throws {
        let entry = MetricsTests.captures.first { $0.name == name }!
        let result = try runPeersniff(["-r", entry.capture, "--json"] + entry.thresholds)
        #expect(result.status == 0, "\(result.stderr)")
        let records = result.records
        let summary = try #require(records.last { $0["kind"] as? String == "summary" })
        let diagnoses = summary["diagnoses"] as? [[String: Any]] ?? []
        let incidents = records.filter { $0["kind"] as? String == "incident" }
        let timeout = entry.thresholds.isEmpty ? 3.0 : 0.3
        let round = 5 * timeout
        var ids = Set<Int>()
        for d in diagnoses {
            let id = try #require(d["id"] as? Int, "\(name): a diagnosis without id: \(d)")
            #expect(ids.insert(id).inserted, "\(name): id \(id) twice in the summary")
            let code = d["code"] as? String ?? ""
            let opened = incidents.filter { $0["state"] as? String == "open" && $0["id"] as? Int == id }
            #expect(opened.count == 1, "\(name): \(code) #\(id) opened \(opened.count) times")
            guard let open = opened.first else { continue }
            #expect(open["code"] as? String == code && open["since"] as? String == d["since"] as? String,
                    "\(name): #\(id) opened as \(open["code"] ?? "?") since \(open["since"] ?? "?"), summed up as \(code) since \(d["since"] ?? "?")")
            let since = storySeconds(d["since"]), written = storySeconds(open["ts"])
            let bound = Self.noticedBySilence.contains(code) ? 2 * round + timeout : round
            #expect(written - since <= bound + 1e-6, "\(name): \(code) #\(id) opened \(written - since) s after its since (bound \(bound) s)")
            let closed = incidents.filter { $0["state"] as? String == "closed" && $0["id"] as? Int == id }
            if let until = d["until"] as? String {
                #expect(closed.count == 1, "\(name): \(code) #\(id) has until \(until) but \(closed.count) closed records")
                #expect(closed.first?["withdrawn"] == nil, "\(name): #\(id) withdrawn yet in the summary")
            } else {
                #expect(closed.isEmpty, "\(name): \(code) #\(id) lasts at the end, yet was closed")
            }
        }
        // Every incident told is in the summary, or was withdrawn.
        for record in incidents where record["state"] as? String == "open" {
            let id = record["id"] as? Int ?? -1
            let withdrawn = incidents.contains { $0["id"] as? Int == id && $0["withdrawn"] as? Bool == true }
            #expect(ids.contains(id) || withdrawn, "\(name): #\(id) \(record["code"] ?? "?") told, not in the summary, not withdrawn")
        }
    }
}
