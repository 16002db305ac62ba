import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to `path` through a temporary file in the same folder and a
/// rename, so that a reader (a browser, node_exporter) never sees half a file.
/// Only a regular file (or nothing) is replaced: a device, a FIFO or a folder under
/// that name is refused. The temporary file has a short name no one can guess
/// (`.peersniff-` and 8 random hex digits, so it fits beside any legal name and no
/// `*.prom` glob takes it) and is created new (O_EXCL, O_NOFOLLOW): a link planted in
/// the folder is never followed. Returns errno and the cause in words on failure.
public func replaceFile(_ path: PathName, with text: String) -> (code: Int32, cause: String)? {
    var copy = text
    return copy.withUTF8 { replaceFile(path, with: UnsafeRawBufferPointer($0)) }
}

/// The same, for bytes (a page made as UTF-8).
public func replaceFile(_ path: PathName, with bytes: [UInt8]) -> (code: Int32, cause: String)? {
    bytes.withUnsafeBytes { replaceFile(path, with: $0) }
}

public func replaceFile(_ path: PathName, with bytes: UnsafeRawBufferPointer) -> (code: Int32, cause: String)? {
    if let refused = refuseNonRegular(path) { return refused }
    let created = createTemporary(beside: path)
    guard let temporary = created.path else { return created.failure }
    let fd = created.fd
    var failure: Int32? = nil
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 { if errno == EINTR { continue }; failure = errno; break }
        offset += n
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

/// Whether `replaceFile` can work on `path`, asked at the start of a run so that a
/// folder that cannot be written, or a name that cannot be made, fails before anything
/// is read (not after an hour): the folder takes a temporary file (made and removed
/// at once), the name fits the folder's file system, and nothing but a regular file
/// is there under it. Returns errno and the cause in words when it cannot.
public func checkReplaceable(_ path: PathName) -> (code: Int32, cause: String)? {
    if let refused = refuseNonRegular(path) { return refused }
    let folder = folderOf(path)
    let name = path.bytes.count - folder.count
    let limit = PathName(bytes: folder.isEmpty ? Array(".".utf8) : folder).withCString { pathconf($0, Int32(_PC_NAME_MAX)) }
    if name == 0 || name > (limit > 0 ? limit : 255) {
        return (ENAMETOOLONG, name == 0 ? "not a file name" : String(cString: strerror(ENAMETOOLONG)))
    }
    let created = createTemporary(beside: path)
    guard let temporary = created.path else { return created.failure }
    close(created.fd)
    _ = temporary.withCString { unlink($0) }
    return nil
}

/// A device, a FIFO or a folder under the name is never replaced.
private func refuseNonRegular(_ path: PathName) -> (code: Int32, cause: String)? {
    var existing = stat()
    if path.withCString({ lstat($0, &existing) }) == 0, existing.st_mode & S_IFMT != S_IFREG {
        return (EINVAL, "not a regular file (peersniff replaces only regular files)")
    }
    return nil
}

/// The folder part of a name, up to and with its last `/` (empty: the current folder).
private func folderOf(_ path: PathName) -> [UInt8] {
    guard let slash = path.bytes.lastIndex(of: UInt8(ascii: "/")) else { return [] }
    return Array(path.bytes[...slash])
}

/// A new file of a short random name in the folder of `path`, or the failure.
private func createTemporary(beside path: PathName) -> (path: PathName?, fd: Int32, failure: (code: Int32, cause: String)?) {
    let folder = folderOf(path)
    for _ in 0..<8 {
        let digits = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let temporary = PathName(bytes: folder + Array(".peersniff-\(String(repeating: "0", count: 8 - digits.count))\(digits)".utf8))
        let fd = temporary.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        if fd >= 0 { return (temporary, fd, nil) }
        if errno != EEXIST { break }
    }
    let code = errno
    return (nil, -1, (code, String(cString: strerror(code))))
}
