#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor: records are built into one reused buffer
/// and written with one `write(2)` per 64 KiB, never one per record.
public final class OutputStream {
    public var buffer: RawBytes
    private let descriptor: Int32
    private let threshold: Int
    /// Set when a write failed: later writes are dropped.
    public private(set) var broken = false
    /// How the user knows this output, for a failure's message.
    public let name: String
    /// Where a failed write is reported (the run then ends with exit 1).
    public let failures: OutputFailures?

    public init(descriptor: Int32 = 1, name: String = "standard output", failures: OutputFailures? = nil, threshold: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.name = name
        self.failures = failures
        self.threshold = threshold
        buffer = RawBytes(capacity: threshold + 64 * 1024)
    }

    /// Writes out the buffer if it is full enough.
    @inline(__always)
    public func recordEnded() {
        if buffer.count >= threshold { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll() }
        guard !broken else { return }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    broken = true
                    // A reader that went away (EPIPE; SIGPIPE usually ends the run first) is
                    // not an error to report; anything else loses data and is.
                    if code != EPIPE { failures?.record(name, code: code) }
                    return
                }
                offset += n
            }
        }
    }

    public func append(_ text: String) { buffer.append(string: text) }

    deinit {
        flush()
        buffer.deallocate()
    }
}

/// Writes a line to standard error at once (unbuffered, as errors should be).
public func writeStandardError(_ text: String) {
    var copy = text
    copy.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { if n < 0, errno == EINTR { continue }; return }
            offset += n
        }
    }
}
