import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// Some tests read the shared captures beside the repository (../shared/captures: the
/// whole `big`, the gzip-compressed oracles) and are skipped without them, which is
/// right on a developer's machine. CI (`.ci/run` sets PEERSNIFF_REQUIRE_SHARED_CAPTURES)
/// must not pass by skipping them: there their absence is a failure.
@Suite("The shared captures")
struct SharedCapturesTests {
    @Test("are there when CI requires them")
    func present() {
        guard ProcessInfo.processInfo.environment["PEERSNIFF_REQUIRE_SHARED_CAPTURES"] != nil else { return }
        for scenario in ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy", "big"] {
            let folder = Paths.sharedCaptures.appendingPathComponent(scenario)
            for file in ["README.txt", "bridge.pcap", "board-view.pcap"] {
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path),
                        "\(scenario)/\(file) is missing from \(Paths.sharedCaptures.path): the tests that read it would be skipped")
            }
        }
        #expect(toolAvailable("gzip"), "gzip reads the compressed oracles of big")
    }
}
