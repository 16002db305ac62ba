#if canImport(Glibc)
import Glibc
#endif

/// The outputs of a run (standard output, `-w`, `--write-malformed`) report here the
/// first write that failed: the run then ends, and says which output and why.
/// Silence about lost data is the one thing an output must never do.
public final class OutputFailures {
    public struct Failure: Sendable {
        /// How the user named the output: `standard output`, `-w out.pcap`.
        public let output: String
        /// errno of the failure.
        public let code: Int32
        /// The cause in words (strerror's, or a sentence of our own).
        public let cause: String

        /// `-w /dev/full: No space left on device`.
        public var message: String { "\(output): \(cause)" }
    }

    public private(set) var first: Failure?

    public init() {}

    public var failed: Bool { first != nil }

    /// Records a failure with errno's words (only the first is kept).
    public func record(_ output: String, code: Int32, cause: String? = nil) {
        guard first == nil else { return }
        first = Failure(output: output, code: code, cause: cause ?? String(cString: strerror(code)))
    }
}
