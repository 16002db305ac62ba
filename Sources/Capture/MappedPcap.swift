import CPcap
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// A classic pcap file read in place: the file is mapped, and its records are walked
/// without a copy (libpcap reads each record through stdio into its own buffer). Used
/// only where it reads exactly as libpcap does: a regular file of pcap 2.4, Ethernet
/// (the one link type libpcap hands over untouched: it fixes up the headers of some
/// others), each record whole and no longer than the snapshot length. At the first
/// record that is not (cut short, too long, the end of what was mapped), libpcap
/// takes over at that very record, so that what follows and every message are
/// libpcap's own.
@usableFromInline
struct MappedRecords {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let size: Int
    @usableFromInline var offset = 24
    @usableFromInline let swapped: Bool
    /// Microsecond files hold microseconds: scaled to nanoseconds as libpcap does.
    @usableFromInline let fractionScale: Int64
    @usableFromInline let snapshot: Int
    @usableFromInline let precision: Timestamp.Precision
    /// The pages before this offset were handed back: read pages of a mapped file count
    /// in the process's memory until then, and a 3 GB capture would hold 3 GB.
    @usableFromInline var released = 0
    /// Pages are handed back 1 MiB at a time.
    @usableFromInline static let releaseStep = 1 << 20


    /// Maps `file` if it is a classic pcap file this reader reads as libpcap does.
    /// `snapshot` is libpcap's (`pcap_snapshot`): the header's, made sane.
    init?(file: UnsafeMutablePointer<FILE>, linkType: Int32, snapshot: Int32, precision: Timestamp.Precision) {
        guard linkType == DLT_EN10MB, snapshot > 0 else { return nil }
        let descriptor = fileno(file)
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 24 else { return nil }
        let size = Int(info.st_size)
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else { return nil }
        let base = UnsafeRawPointer(mapping)
        let header = UnsafeRawBufferPointer(start: base, count: 24)
        let magic = header.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let swapped: Bool
        let nano: Bool
        switch magic {
        case 0xA1B2_C3D4: (swapped, nano) = (false, false)
        case 0xA1B2_3C4D: (swapped, nano) = (false, true)
        case 0xD4C3_B2A1: (swapped, nano) = (true, false)
        case 0x4D3C_B2A1: (swapped, nano) = (true, true)
        default:
            munmap(mapping, size)
            return nil
        }
        var major = header.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        var minor = header.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        if swapped { major = major.byteSwapped; minor = minor.byteSwapped }
        // Versions before 2.3 swapped the two lengths: libpcap's to read.
        guard major == 2, minor == 4 else {
            munmap(mapping, size)
            return nil
        }
        madvise(mapping, size, MADV_SEQUENTIAL)
        self.base = base
        self.size = size
        self.swapped = swapped
        self.fractionScale = nano ? 1 : 1000
        self.snapshot = Int(snapshot)
        self.precision = precision
    }

    /// Where the next record starts.
    var position: Int { offset }

    /// The next record, or nil where libpcap is to read on (from `offset`). In line in
    /// the reading loop of the caller (no result wrapped and unwrapped per record).
    @inlinable @inline(__always)
    mutating func next() -> CapturedPacket? {
        guard offset + 16 <= size else { return nil }
        var seconds = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        var fraction = base.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
        var captured = base.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
        var original = base.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
        if swapped {
            seconds = seconds.byteSwapped
            fraction = fraction.byteSwapped
            captured = captured.byteSwapped
            original = original.byteSwapped
        }
        let length = Int(captured)
        guard length <= snapshot, offset + 16 + length <= size else { return nil }
        // libpcap reads both time fields as signed 32-bit numbers in a file of this
        // machine's byte order, and as unsigned ones when it swaps them: as libpcap 1.10
        // was seen to (a record with 0xF0000000 seconds), and as the differential test
        // holds. A corrupt fraction carries whole seconds over, in captureTime.
        let wholeSeconds = swapped ? Int64(seconds) : Int64(Int32(bitPattern: seconds))
        let fractionValue = swapped ? Int64(fraction) : Int64(Int32(bitPattern: fraction))
        let time = captureTime(seconds: wholeSeconds, nanoseconds: fractionValue * fractionScale, precision: precision)
        let packet = CapturedPacket(time: time, capturedLength: length, originalLength: Int(original),
                                    bytes: UnsafeRawBufferPointer(start: base + offset + 16, count: length))
        // Every page before this record's is done with (what is kept is copied).
        if offset - released >= MappedRecords.releaseStep { release() }
        offset += 16 + length
        return packet
    }

    /// Hands back the pages before the current record's.
    @usableFromInline
    mutating func release() {
        let upTo = offset & ~(Int(getpagesize()) - 1)
        madvise(UnsafeMutableRawPointer(mutating: base + released), upTo - released, MADV_DONTNEED)
        released = upTo
    }

    func unmap() { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
