import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor: records are built into one reused buffer
/// and written with one `write(2)` per 64 KiB, never one per record.
public final class OutputStream {
    public var buffer: RawBytes
    private var descriptor: Int32
    /// `-o FILE`: the file's name, to open it again on SIGHUP.
    public let path: PathName?
    private let threshold: Int
    /// Set when a write failed: later writes are dropped.
    public private(set) var broken = false
    /// How the user knows this output, for a failure's message.
    public let name: String
    /// Where a failed write is reported (the run then ends with exit 1).
    public let failures: OutputFailures?

    public init(descriptor: Int32 = 1, name: String = "standard output", failures: OutputFailures? = nil, threshold: Int = 64 * 1024,
                path: PathName? = nil) {
        self.descriptor = descriptor
        self.path = path
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

    /// `-o FILE`: a stream into a file, created or emptied (as the shell's `>`), or
    /// appended to (`--append`). Writes always go to the file's end (O_APPEND), so a
    /// rotation that copies and truncates the file (logrotate's copytruncate) leaves
    /// no hole of zero bytes where the next writes land.
    /// A file appended to that does not end with a line feed (a writer stopped
    /// mid-line) gets one first, so that the first record starts on a line of its own.
    public static func file(_ path: PathName, name: String, append: Bool = false, failures: OutputFailures?) -> (stream: OutputStream?, error: String?) {
        let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_APPEND | (append ? 0 : O_TRUNC) | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { return (nil, "\(name): cannot write: \(String(cString: strerror(errno)))") }
        if append, let code = endLine(fd, path: path) {
            Glibc.close(fd)
            return (nil, "\(name): cannot write: \(String(cString: strerror(code)))")
        }
        return (OutputStream(descriptor: fd, name: name, failures: failures, path: path), nil)
    }

    /// Ends the last line of a regular file that has one left open; errno on failure.
    /// (The last byte is read through a descriptor of its own: the output's is write-only.)
    private static func endLine(_ fd: Int32, path: PathName) -> Int32? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
        let reader = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard reader >= 0 else { return nil }
        var last: UInt8 = 0
        let got = pread(reader, &last, 1, info.st_size - 1)
        Glibc.close(reader)
        guard got == 1, last != 0x0A else { return nil }
        var newline: UInt8 = 0x0A
        while Glibc.write(fd, &newline, 1) != 1 {
            if errno != EINTR { return errno }
        }
        return nil
    }

    /// `-o` failed: what is still to say (the summary) goes to standard error rather
    /// than nowhere. The file is closed already; standard error is never closed.
    public func divertToStandardError() {
        buffer.removeAll()
        descriptor = 2
        broken = false
        diverted = true
    }
    private var diverted = false

    /// SIGHUP (log rotation): what is buffered goes to the file written so far; if
    /// its name now leads elsewhere (it was renamed), the name is opened again,
    /// appended to or created, and what follows goes there. Nothing is lost.
    public func reopen() {
        flush()
        guard let path, !broken, !path.leads(to: descriptor) else { return }
        let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            broken = true
            failures?.record(name, code: errno, cause: "cannot open it again after SIGHUP: \(String(cString: strerror(errno)))")
            return
        }
        if let code = OutputStream.endLine(fd, path: path) {
            Glibc.close(fd)
            broken = true
            failures?.record(name, code: code, cause: "cannot open it again after SIGHUP: \(String(cString: strerror(code)))")
            return
        }
        if Glibc.close(descriptor) != 0 { failures?.record(name, code: errno) }
        descriptor = fd
    }

    /// The end of a file output: flushed, closed, and a file whose every name was
    /// removed while written (its data gone with the descriptor) is a failure.
    public func close() {
        flush()
        guard path != nil, !diverted, descriptor >= 0 else { return }
        if !broken, hasNoName(descriptor) {
            failures?.record(name, code: ENOENT, cause: "the file was removed while it was being written")
        }
        if Glibc.close(descriptor) != 0, !broken { failures?.record(name, code: errno) }
        descriptor = -1
        broken = true
    }

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
