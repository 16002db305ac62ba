import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// The page's recorder is handed each frame by the pipeline, whether or not a record
/// is made for the frame (`-q` makes none; text, `--json` and `-w` do): the page must
/// not depend on which. The same capture's page, drawn beside each output, is byte for
/// byte the same (but for when it was written); a frame the recorder missed on one
/// path would change its lane's counts and ticks.
@Suite("The page beside every output")
struct PagePathsTests {
    @Test("-q, text, --json, -v, --events and -q -w draw the same page", arguments: [
        ("failover/bridge.pcap", ["--registry-timeout", "0.3", "--conflict-window", "0.5"]),
        ("big/bridge-fragments.pcap", ["--registry-timeout", "0.3", "--conflict-window", "0.5"]),
        ("malformed/every-code.pcap", [String]()),
    ])
    func samePage(capture: String, timing: [String]) throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let modes: [(String, [String])] = [
            ("-q", ["-q"]), ("text", []), ("--json", ["--json"]), ("-v", ["-v"]), ("--events", ["--events"]),
            ("-q -w", ["-q", "-w", folder.appendingPathComponent("all.pcap").path]),
        ]
        var pages: [(String, String)] = []
        for (label, flags) in modes {
            let page = folder.appendingPathComponent("page.html").path
            let run = try runPeersniff(["-r", Paths.fixture(capture)] + timing + flags + ["--html", page])
            #expect(run.status == 0, "\(label): \(run.stderr)")
            var html = try String(contentsOfFile: page, encoding: .utf8)
            // When it was written (the wall clock) is the one thing that differs.
            html = html.replacingOccurrences(of: #"Written [0-9-]+ [0-9:.]+ UTC"#, with: "Written …", options: .regularExpression)
            html = html.replacingOccurrences(of: #"data-written="[0-9.]+""#, with: #"data-written="""#, options: .regularExpression)
            pages.append((label, html))
        }
        #expect(pages[0].1.contains("<path d=\"M"), "the page has ticks")
        for (label, html) in pages.dropFirst() {
            let same = html == pages[0].1  // (not in the expectation: it would print both pages)
            #expect(same, "\(capture): the page beside \(label) differs from the one beside -q")
        }
    }
}
