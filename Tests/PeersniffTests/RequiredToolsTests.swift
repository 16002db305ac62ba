import Foundation
import Testing
import EndToEndSupport

/// Many tests need a tool (valgrind, Chromium, promtool, tshark ...), root or network
/// namespaces, and are skipped without them, which is right on a developer's machine.
/// CI (`.ci/run` sets PEERSNIFF_REQUIRE_TOOLS, and scripts/setup.sh installs them) must
/// not pass by skipping them: there every condition a test is enabled by must hold,
/// and this test fails naming each one that does not, as SharedCapturesTests does for
/// the shared captures.
@Suite("The tools the tests need")
struct RequiredToolsTests {
    /// Each condition some test is enabled by, with what it needs.
    static var conditions: [(name: String, holds: Bool)] {
        [
            ("valgrind (allocation guard, instruction budget)", Valgrind.path != nil),
            ("a release build (PEERSNIFF_ALLOC_BINARY, set by scripts/test.sh)", ReleaseBuild.peersniff != nil),
            ("chromium (the page in a browser)", Chromium.path != nil),
            ("root and iproute2's ip (live capture in network namespaces)", LiveTestEnvironment.available),
            ("strace and setpriv (the unit's command line as nobody)", systemToolPath("strace") != nil && systemToolPath("setpriv") != nil),
            ("tshark (the oracle)", systemToolPath("tshark") != nil),
            ("mergecap", toolAvailable("mergecap")),
            ("editcap", toolAvailable("editcap")),
            ("text2pcap", toolAvailable("text2pcap")),
            ("groff (the man page)", toolAvailable("groff")),
            ("gzip (big's oracles)", toolAvailable("gzip")),
            ("setcap and getcap (install --setcap)", toolAvailable("setcap") && toolAvailable("getcap")),
            ("GNU time (/usr/bin/time)", FileManager.default.isExecutableFile(atPath: "/usr/bin/time")),
            ("git (the codec as a library, by version)", Git.available),
            ("promtool (the metrics and the alert rules)", toolAvailable("promtool")),
            ("systemd-analyze (the unit)", toolAvailable("systemd-analyze")),
            ("bash, fish and zsh (the completion scripts)", toolAvailable("bash") && toolAvailable("fish") && toolAvailable("zsh")),
        ]
    }

    @Test("are all there when CI requires them")
    func present() {
        guard ProcessInfo.processInfo.environment["PEERSNIFF_REQUIRE_TOOLS"] != nil else { return }
        for condition in Self.conditions {
            #expect(condition.holds, "missing: \(condition.name): the tests that need it would be skipped")
        }
    }
}
