import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// A long offline read tells its progress on a terminal, and only there; SIGUSR1
/// prints the running counts without stopping, as tcpdump does.
@Suite("Progress and running counts")
struct ProgressTests {
    /// A capture large enough to take a while in a debug build: the failover capture's
    /// packets repeated (times moved on each round).
    static func longCapture() throws -> String {
        let source = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("failover/bridge.pcap")))
        var out = Data(source.prefix(24))
        for round in 0..<400 {
            var offset = 24
            while offset + 16 <= source.count {
                let length = Int(source[offset + 8]) | Int(source[offset + 9]) << 8 | Int(source[offset + 10]) << 16
                var header = Data(source[offset..<(offset + 16)])
                let seconds = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
                withUnsafeBytes(of: (seconds + UInt32(round * 40)).littleEndian) { header.replaceSubrange(0..<4, with: $0) }
                out.append(header)
                out.append(source[(offset + 16)..<(offset + 16 + length)])
                offset += 16 + length
            }
        }
        return try writeTestCapture(out)
    }

    @Test("In a pseudo-terminal the progress line is drawn and cleared; in a pipe it never appears")
    func progress() throws {
        let capture = try Self.longCapture()
        let peersniff = Paths.peersniff.path
        // script(1) gives peersniff a pseudo-terminal for stdout and stderr.
        let tty = try runProgram("/usr/bin/script", ["-qfec", "'\(peersniff)' -r '\(capture)' -q", "/dev/null"])
        #expect(tty.status == 0, "\(tty.stderr)")
        #expect(tty.stdout.contains("% ") && tty.stdout.contains("packets/s"), "no progress line on a terminal: \(tty.stdout.prefix(300))")
        #expect(tty.stdout.contains("\r\u{1B}[K\nWhat happened") || tty.stdout.contains("\r\u{1B}[K\r\n") || tty.stdout.contains("\r\u{1B}[K"), "the line is cleared")
        // In a pipe (stderr captured): nothing but the summary on stdout and an empty stderr.
        let pipe = try runPeersniff(["-r", capture, "-q"])
        #expect(pipe.status == 0)
        #expect(pipe.stderr.isEmpty, "progress in a pipe: \(pipe.stderr.prefix(200))")
        #expect(!pipe.stdout.contains("packets/s"))
        // Never with --json, even on a terminal.
        let json = try runProgram("/usr/bin/script", ["-qfec", "'\(peersniff)' -r '\(capture)' --json -q", "/dev/null"])
        #expect(!json.stdout.contains("packets/s"))
    }

    @Test("SIGUSR1 prints the running counts to stderr and the run goes on")
    func runningCounts() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("in").path
        let capture = Paths.fixture("failover/bridge.pcap")
        // Half the capture, SIGUSR1 while peersniff waits for more, then the rest.
        let run = try runProgram("/bin/bash", ["-c", """
            mkfifo '\(fifo)'
            '\(Paths.peersniff.path)' -r '\(fifo)' --json -q > '\(folder.path)/out' 2> '\(folder.path)/err' &
            pid=$!
            exec 3> '\(fifo)'
            head -c 20000 '\(capture)' >&3
            sleep 1
            kill -USR1 $pid
            sleep 0.5
            tail -c +20001 '\(capture)' >&3
            exec 3>&-
            wait $pid; echo "status $?"
            cat '\(folder.path)/err'
            """])
        #expect(run.stdout.hasPrefix("status 0\n"), "\(run.stdout)")
        let line = run.stdout.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        #expect(line.hasPrefix("peersniff: ") && line.contains(" packets read, ") && line.contains(" frames, ") && line.contains(" malformed"), "\(run.stdout.debugDescription) \(run.stderr)")
        let summary = try String(contentsOfFile: folder.appendingPathComponent("out").path, encoding: .utf8)
            .split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(summary?["packets_read"] as? Int == 323, "the whole capture was read after the signal")
    }
}
