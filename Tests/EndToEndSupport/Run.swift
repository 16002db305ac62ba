import Foundation
import TestSupport

/// Runs the built `peersniff` binary, as a user would, and collects what it printed.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }

    /// stdout parsed as JSON Lines.
    public var records: [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

extension Paths {
    /// The peersniff executable built next to this test bundle.
    public static var peersniff: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        // swift test runs .../debug/peersniffPackageTests.xctest (a file on Linux).
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("peersniff")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/peersniff")
    }
}
/// Runs `peersniff` with `arguments`; `stdin` is fed to it if given.
@discardableResult
public func runPeersniff(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> RunResult {
    try runProgram(Paths.peersniff.path, arguments, stdin: stdin, environment: environment)
}

/// Runs any program and collects its output (both pipes drained concurrently).
@discardableResult
public func runProgram(_ path: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> RunResult {
    let raw = try runProgramRaw(path, arguments, stdin: stdin, environment: environment)
    return RunResult(status: raw.status, stdout: raw.stdoutText, stderr: raw.stderrText)
}

/// Runs any program and keeps its output as the bytes it wrote (no UTF-8 decoding).
public func runProgramRaw(_ path: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> RawRunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
    }
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter()
    let reader = out.fileHandleForReading
    DispatchQueue.global().async { outBox.data = reader.readDataToEndOfFile(); group.leave() }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return RawRunResult(status: process.terminationStatus, stdout: Array(outBox.data), stderr: Array(errData))
}

/// Whether a program is on PATH (tshark, editcap, tcpdump).
public func toolAvailable(_ name: String) -> Bool { systemToolPath(name) != nil }

/// A shell command line, run with bash (for redirections, FIFOs and non-UTF-8 names).
public func bash(_ script: String) throws -> RunResult {
    try runProgram("/bin/bash", ["-c", script])
}

/// A path quoted for bash.
public func quoted(_ path: String) -> String { "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }
