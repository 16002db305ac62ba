import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to `path` through a temporary file in the same folder and a
/// rename, so that a reader (a browser, node_exporter) never sees half a file.
/// Only a regular file (or nothing) is replaced: a device, a FIFO or a folder under
/// that name is refused. The temporary file has a name no one can guess and is
/// created new (O_EXCL, O_NOFOLLOW): a link planted in the folder is never followed.
/// Returns errno and the cause in words on failure.
public func replaceFile(_ path: PathName, with text: String) -> (code: Int32, cause: String)? {
    var existing = stat()
    if path.withCString({ lstat($0, &existing) }) == 0, existing.st_mode & S_IFMT != S_IFREG {
        return (EINVAL, "not a regular file (peersniff replaces only regular files)")
    }
    var temporary = path
    var fd: Int32 = -1
    for _ in 0..<8 {
        temporary = PathName(bytes: path.bytes + Array(".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))".utf8))
        fd = temporary.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else {
        let code = errno
        return (code, String(cString: strerror(code)))
    }
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
        return (failure, String(cString: strerror(failure)))
    }
    let renamed = temporary.withCString { from in path.withCString { to in rename(from, to) } }
    if renamed != 0 {
        let code = errno
        _ = temporary.withCString { unlink($0) }
        return (code, String(cString: strerror(code)))
    }
    return nil
}
