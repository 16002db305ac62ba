import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to `path` through a temporary file in the same folder and a
/// rename, so that a reader (a browser, node_exporter) never sees half a file. Returns errno on failure.
public func replaceFile(_ path: PathName, with text: String) -> (code: Int32, step: String)? {
    let temporary = PathName(bytes: path.bytes + Array(".tmp-\(getpid())".utf8))
    let fd = temporary.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
    guard fd >= 0 else { return (errno, "create") }
    var copy = text
    var failure: Int32? = nil
    copy.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; failure = errno; return }
            offset += n
        }
    }
    if close(fd) != 0, failure == nil { failure = errno }
    if let failure {
        _ = temporary.withCString { unlink($0) }
        return (failure, "write")
    }
    let renamed = temporary.withCString { from in path.withCString { to in rename(from, to) } }
    if renamed != 0 {
        let code = errno
        _ = temporary.withCString { unlink($0) }
        return (code, "rename")
    }
    return nil
}
