#if canImport(Glibc)
import Glibc
#endif
import WireBytes

/// A classic pcap file that ends mid-record (what a writer killed mid-write leaves)
/// is cut back to its last whole record before anything is appended to it: every
/// reader stops at the first record it cannot read whole, so packets appended after
/// a cut record would all be lost. Returns how many bytes were cut off (0 for a
/// whole file, a file that is not there, or one that is not classic pcap: libpcap
/// judges those), or throws when the file could not be read or cut.
func cutPartialRecord(_ path: PathName, label: String) throws(CaptureError) -> Int {
    let fd = path.withCString { open($0, O_RDWR | O_CLOEXEC) }
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size >= 24 else { return 0 }
    let size = Int(info.st_size)
    var reader = WindowReader(fd: fd)
    guard let magic = reader.bytes(at: 0, count: 4) else { return 0 }
    let little = magic == [0xD4, 0xC3, 0xB2, 0xA1] || magic == [0x4D, 0x3C, 0xB2, 0xA1]
    let big = magic == [0xA1, 0xB2, 0xC3, 0xD4] || magic == [0xA1, 0xB2, 0x3C, 0x4D]
    guard little || big else { return 0 }
    // Each record: a 16-byte header whose third word is the length of what follows.
    var position = 24
    while position < size {
        guard size - position >= 16, let length = reader.bytes(at: position + 8, count: 4) else { break }
        let captured = little
            ? Int(length[0]) | Int(length[1]) << 8 | Int(length[2]) << 16 | Int(length[3]) << 24
            : Int(length[3]) | Int(length[2]) << 8 | Int(length[1]) << 16 | Int(length[0]) << 24
        guard captured <= size - position - 16 else { break }
        position += 16 + captured
    }
    if reader.failed != 0 {
        throw CaptureError(.cannotWrite, "\(label): cannot append: \(String(cString: strerror(reader.failed)))")
    }
    guard position < size else { return 0 }
    if ftruncate(fd, off_t(position)) != 0 {
        throw CaptureError(.cannotWrite, "\(label): cannot cut the record left half-written: \(String(cString: strerror(errno)))")
    }
    return size - position
}

/// Reads a file through a window of 1 MiB, so that walking millions of record
/// headers costs a few reads, not one a record.
private struct WindowReader {
    let fd: Int32
    var window: [UInt8] = []
    var start = 0
    var failed: Int32 = 0

    init(fd: Int32) { self.fd = fd }

    mutating func bytes(at offset: Int, count: Int) -> [UInt8]? {
        if offset < start || offset + count > start + window.count {
            window = [UInt8](repeating: 0, count: 1 << 20)
            var got = 0
            while got < window.count {
                let n = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(offset + got)) }
                if n < 0 { if errno == EINTR { continue }; failed = errno; return nil }
                if n == 0 { break }
                got += n
            }
            window.removeSubrange(got...)
            start = offset
            guard count <= window.count else { return nil }
        }
        return Array(window[(offset - start)..<(offset - start + count)])
    }
}
