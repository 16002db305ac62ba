import Foundation
import TestSupport

/// A run's output as the bytes the terminal would receive (no UTF-8 decoding on the way).
public struct RawRunResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    public init(status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }
}

/// Runs `peersniff` with `arguments` and keeps its output as raw bytes.
public func runPeersniffRaw(_ arguments: [String], environment: [String: String]? = nil) throws -> RawRunResult {
    try runProgramRaw(Paths.peersniff.path, arguments, environment: environment)
}
