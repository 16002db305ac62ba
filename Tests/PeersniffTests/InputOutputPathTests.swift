import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// Every kind of input path reads like a file, and every output that fails ends the
/// run with exit 1 and one line naming it: nothing is lost silently.
@Suite("Input paths and failing outputs")
struct InputOutputPathTests {
    static let capture = Paths.fixture("failover/bridge.pcap")
    static let other = Paths.fixture("boot3/bridge.pcap")

    /// The records of `peersniff -r FILE --json` on the plain file, to compare with.
    func plainRecords(_ path: String = InputOutputPathTests.capture) throws -> [String] {
        try runPeersniff(["-r", path, "--json"]).stdout.split(separator: "\n").map(String.init)
    }

    // MARK: Inputs

    @Test("A named pipe, /dev/stdin and process substitution read like the file")
    func streams() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let peersniff = quoted(Paths.peersniff.path), capture = quoted(Self.capture)
        let fifo = quoted(folder.appendingPathComponent("p").path)
        let expected = try plainRecords()
        for (what, script) in [
            ("FIFO", "mkfifo \(fifo) && (cat \(capture) > \(fifo) &) && \(peersniff) -r \(fifo) --json"),
            ("/dev/stdin", "\(peersniff) -r /dev/stdin --json < \(capture)"),
            ("process substitution", "\(peersniff) -r <(cat \(capture)) --json"),
        ] {
            let run = try bash("rm -f \(fifo); " + script)
            #expect(run.status == 0, "\(what): \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").map(String.init) == expected, "\(what): the records differ from the file's")
        }
    }

    @Test("Two named pipes are merged in time order like two files")
    func twoFifos() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = quoted(folder.appendingPathComponent("a").path), b = quoted(folder.appendingPathComponent("b").path)
        let run = try bash("mkfifo \(a) \(b) && (cat \(quoted(Self.other)) > \(a) &) && (cat \(quoted(Self.capture)) > \(b) &) && \(quoted(Paths.peersniff.path)) -r \(a) -r \(b) --json -q")
        #expect(run.status == 0, "\(run.stderr)")
        let files = try runPeersniff(["-r", Self.other, "-r", Self.capture, "--json", "-q"])
        let summary = { (text: String) in text.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } }
        #expect(summary(run.stdout)?["packets_read"] as? Int == summary(files.stdout)?["packets_read"] as? Int)
        #expect(summary(run.stdout)?["frames"] as? Int == summary(files.stdout)?["frames"] as? Int)
        #expect((summary(run.stdout)?["frames"] as? Int ?? 0) > 0)
    }

    @Test("File names that are not UTF-8, for -r and for -w, are the names given")
    func nonUTF8Names() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dir = quoted(folder.path)
        let run = try bash("cd \(dir) && cp \(quoted(Self.capture)) $'lat\\xe9n1.pcap' && \(quoted(Paths.peersniff.path)) -r $'lat\\xe9n1.pcap' -q -w $'out\\xe9.pcap' > /dev/null && test -s $'out\\xe9.pcap' && ls")
        #expect(run.status == 0, "\(run.stderr)")
        // Exactly the two names given, byte for byte (ls shows them; no other file was made).
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.count == 2, "\(names)")
        let missing = try bash("cd \(dir) && \(quoted(Paths.peersniff.path)) -r $'missing\\xe9.pcap' -q")
        #expect(missing.status == 1)
        #expect(missing.stderr == "peersniff: missing\\xe9.pcap: No such file or directory\n", "\(missing.stderr.debugDescription)")
        // The -w file is the packets read: tshark reads it whole.
        if toolAvailable("tshark") {
            let count = try bash("cd \(dir) && tshark -r $'out\\xe9.pcap' 2>/dev/null | wc -l")
            let matched = try runPeersniff(["-r", Self.capture, "--json", "-q"]).stdout.split(separator: "\n").last
                .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["packets_matched"] as? Int
            #expect(Int(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == matched)
        }
    }

    @Test("A link type libpcap cannot filter is an input error naming the file and the link type")
    func unfilterableLinkType() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lt14.pcap").path
        var data = Data(makeCapture([.at(1, 0, [UInt8](repeating: 0x45, count: 20))], linkType: 14))
        data.append(contentsOf: [])
        try data.write(to: URL(fileURLWithPath: path))
        for extra in [[], ["-f", "port 9"]] {
            let run = try runPeersniff(["-r", path, "-q"] + extra)
            #expect(run.status == 1, "\(extra): \(run.status) \(run.stderr)")
            #expect(run.stderr.hasPrefix("peersniff: \(path): link type DLT 14 cannot be filtered by libpcap"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }

    // MARK: Outputs that fail

    @Test("Standard output on a full device: exit 1 and one line naming it")
    func stdoutFull() throws {
        for arguments in ["--json", "", "-q", "--malformed"] {
            let run = try bash("\(quoted(Paths.peersniff.path)) -r \(quoted(Self.capture)) \(arguments) > /dev/full")
            #expect(run.status == 1, "\(arguments): status \(run.status)")
            #expect(run.stderr == "peersniff: standard output: No space left on device\n", "\(arguments): \(run.stderr.debugDescription)")
        }
    }

    @Test("-w and --write-malformed on a full device: exit 1, one line naming the output; the summary still on stdout")
    func dumpFull() throws {
        for option in ["-w", "--write-malformed"] {
            let run = try runPeersniff(["-r", Paths.fixture("malformed/every-code.pcap"), "--json", "-q", option, "/dev/full"])
            #expect(run.status == 1, "\(option): \(run.status)")
            #expect(run.stderr == "peersniff: \(option) /dev/full: No space left on device\n", "\(run.stderr.debugDescription)")
            let summary = run.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(summary?["kind"] as? String == "summary")
            #expect(summary?["output_error"] as? String == "\(option) /dev/full: No space left on device")
        }
    }

    @Test("-w into a folder that is deleted while peersniff writes: exit 1, the file named")
    func dumpRemoved() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("in").path
        let out = folder.appendingPathComponent("gone/out.pcap").path
        try FileManager.default.createDirectory(atPath: folder.appendingPathComponent("gone").path, withIntermediateDirectories: true)
        // Half the capture, wait for the file, delete its folder, then the rest.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.capture))
        let half = bytes.count / 2
        let run = try bash("""
            mkfifo \(quoted(fifo))
            \(quoted(Paths.peersniff.path)) -r \(quoted(fifo)) -q -w \(quoted(out)) > /dev/null 2> \(quoted(folder.path))/err &
            pid=$!
            exec 3> \(quoted(fifo))
            head -c \(half) \(quoted(Self.capture)) >&3
            for i in $(seq 100); do [ -e \(quoted(out)) ] && break; sleep 0.05; done
            rm -rf \(quoted(folder.appendingPathComponent("gone").path))
            tail -c +\(half + 1) \(quoted(Self.capture)) >&3
            exec 3>&-
            wait $pid; echo "status $?"; cat \(quoted(folder.path))/err
            """)
        #expect(run.stdout.hasPrefix("status 1\n"), "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("peersniff: -w \(out): the file was removed while it was being written (No such file or directory)"), "\(run.stdout)")
    }

    @Test("-w on a small file system that fills up: exit 1 and one line", .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func dumpFillsFileSystem() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mount = folder.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "peersniff-test", mount])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? runProgram("/bin/umount", [mount]) }
        let out = mount + "/out.pcap"
        let run = try runPeersniff(["-r", Self.capture, "-q", "-w", out])
        #expect(run.status == 1)
        #expect(run.stderr == "peersniff: -w \(out): No space left on device\n", "\(run.stderr.debugDescription)")
        #expect(run.stdout.contains("output failed, the run ended there: -w \(out): No space left on device"))
    }
}
