import Glibc
/// Writes a classic pcap file: microsecond timestamps, little-endian, linktype
/// Ethernet (1). A record is reserved, then filled in place in the output buffer,
/// so that writing a packet copies its bytes once.
final class PcapWriter {
    static let snapLength = 262_144
    private static let bufferSize = 8 << 20

    private let fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    /// Bytes of the file so far, header included.
    private(set) var fileBytes = 0
    private(set) var packets = 0
    let path: String

    init(path: String) throws(GeneratorError) {
        self.path = path
        if path == "-" {
            fd = 1
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 { throw GeneratorError("cannot create \(path): \(String(cString: strerror(errno)))") }
        }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        var header = [UInt8](repeating: 0, count: 24)
        header.withUnsafeMutableBytes { h in
            h.storeBytes(of: UInt32(0xA1B2_C3D4).littleEndian, toByteOffset: 0, as: UInt32.self)
            h.storeBytes(of: UInt16(2).littleEndian, toByteOffset: 4, as: UInt16.self)
            h.storeBytes(of: UInt16(4).littleEndian, toByteOffset: 6, as: UInt16.self)
            // thiszone and sigfigs stay 0.
            h.storeBytes(of: UInt32(Self.snapLength).littleEndian, toByteOffset: 16, as: UInt32.self)
            h.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 20, as: UInt32.self)
            buffer.copyMemory(from: h.baseAddress!, byteCount: 24)
        }
        used = 24
        fileBytes = 24
    }

    deinit { buffer.deallocate() }

    /// Appends a record header for a packet of `length` bytes stamped `micros`
    /// (microseconds since the epoch) and returns where its `length` bytes go. The
    /// pointer is valid until the next call.
    @inline(__always)
    func reserve(micros: UInt64, length: Int) throws(GeneratorError) -> UnsafeMutableRawPointer {
        if used + 16 + length > Self.bufferSize { try flush() }
        let record = buffer + used
        record.storeBytes(of: UInt32(truncatingIfNeeded: micros / 1_000_000).littleEndian, toByteOffset: 0, as: UInt32.self)
        record.storeBytes(of: UInt32(truncatingIfNeeded: micros % 1_000_000).littleEndian, toByteOffset: 4, as: UInt32.self)
        record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 8, as: UInt32.self)
        record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 12, as: UInt32.self)
        used += 16 + length
        fileBytes += 16 + length
        packets += 1
        return record + 16
    }

    func flush() throws(GeneratorError) {
        var offset = 0
        while offset < used {
            let n = write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GeneratorError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        used = 0
    }

    func close() throws(GeneratorError) {
        try flush()
        if fd != 1, Glibc.close(fd) != 0 {
            throw GeneratorError("cannot close \(path): \(String(cString: strerror(errno)))")
        }
    }
}

struct GeneratorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
