import CPcap
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// One captured packet as libpcap hands it over: the header and the bytes, which
/// stay valid until the next read on the same handle.
public struct CapturedPacket {
    public var time: Timestamp
    public var capturedLength: Int
    public var originalLength: Int
    public var bytes: UnsafeRawBufferPointer

    public init(time: Timestamp, capturedLength: Int, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.time = time
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.bytes = bytes
    }
}

public enum ReadResult {
    case packet(CapturedPacket)
    /// Live capture: the read timeout passed with nothing to read.
    case timeout
    case end
    case failed(String)
}

/// A compiled BPF program, freed with the handle that made it.
public final class BPFProgram {
    var program = bpf_program()
    init() {}
    deinit { pcap_freecode(&program) }

    /// Runs the filter on one packet in user space, as libpcap does for files.
    public func matches(_ packet: CapturedPacket) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = bpf_u_int32(packet.capturedLength)
        header.len = bpf_u_int32(packet.originalLength)
        return pcap_offline_filter(&program, &header, packet.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }
}

/// A libpcap handle: the one reference type around the C library's capture.
/// Closed when released.
public final class PcapHandle {
    let pointer: OpaquePointer
    /// The name shown in messages: the file path ("-" for standard input) or the interface.
    public let name: String
    public let precision: Timestamp.Precision
    /// A classic pcap file read in place, until libpcap takes over (MappedPcap.swift).
    @usableFromInline var mapped: MappedRecords?

    init(pointer: OpaquePointer, name: String, precision: Timestamp.Precision) {
        self.pointer = pointer
        self.name = name
        self.precision = precision
    }

    deinit {
        mapped?.unmap()
        pcap_close(pointer)
    }

    /// Whether records are read in place (a classic pcap file on Ethernet) rather than
    /// through libpcap's stdio copy.
    public var readsInPlace: Bool { mapped != nil }

    /// Opens a pcap or pcapng file; "-" reads standard input. The name is opened
    /// once, as the bytes the user gave, and the open stream handed to libpcap, so
    /// that FIFOs, `/dev/stdin`, `<(...)` and sockets read like files. Timestamps are
    /// read at nanosecond precision and shown at the file's own.
    /// `inPlace`: a classic pcap file that can be is read in place (mapped); libpcap
    /// reads everything else, and takes over at the first record the mapping does not
    /// read as it would.
    public static func openOffline(_ path: PathName, inPlace: Bool = true) throws(CaptureError) -> PcapHandle {
        let name = path.isStandardStream ? "standard input" : path.display
        let stream: UnsafeMutablePointer<FILE>?
        if path.isStandardStream {
            stream = fdopen(0, "rb")
        } else {
            stream = path.withCString { fopen($0, "rb") }
        }
        guard let input = stream else {
            throw CaptureError(.cannotOpen, "\(name): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fileno(input), &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            fclose(input)
            throw CaptureError(.cannotOpen, "\(name): is a directory, not a capture")
        }
        // Peek at the head of the stream and push it back (glibc keeps any number of
        // pushed-back bytes), so that libpcap still reads it from the start.
        let head = captureHead(of: input)
        let precision = head.withUnsafeBytes { nativePrecision(ofCaptureHeader: $0) }
        for byte in head.reversed() { ungetc(Int32(byte), input) }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_fopen_offline_with_tstamp_precision(input, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            // libpcap leaves the stream open when it fails.
            fclose(input)
            if head.isEmpty { throw CaptureError(.cannotOpen, "\(name): empty, not a pcap or pcapng capture") }
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(.cannotOpen, "\(name): \(describeOpenError(message, path: path.display))")
        }
        let opened = PcapHandle(pointer: handle, name: path.isStandardStream ? "-" : path.display, precision: precision)
        if inPlace, !path.isStandardStream, let file = pcap_file(handle) {
            opened.mapped = MappedRecords(file: file, linkType: pcap_datalink(handle), snapshot: pcap_snapshot(handle), precision: precision)
        }
        return opened
    }

    /// The libpcap in use, as it names itself ("libpcap version 1.10.3 (with TPACKET_V3)").
    public static var libraryVersion: String { String(cString: pcap_lib_version()) }

    /// A file being read: how far into it (bytes), and its size when it is a regular
    /// file (nil for a pipe, a FIFO or a socket, whose size is not known).
    public var fileProgress: (position: Int, size: Int?)? {
        guard let file = pcap_file(pointer) else { return nil }
        var info = stat()
        let size: Int? = fstat(fileno(file), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
        return (mapped?.position ?? max(0, ftell(file)), size)
    }

    /// libpcap's DLT_ value.
    public var linkType: Int32 { pcap_datalink(pointer) }
    public var snapLength: Int32 { pcap_snapshot(pointer) }

    /// A readable name of the link type, e.g. "EN10MB (Ethernet)".
    public static func linkTypeName(_ dlt: Int32) -> String {
        let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "DLT \(dlt)"
        let description = pcap_datalink_val_to_description(dlt).map { String(cString: $0) }
        return description.map { "\(name) (\($0))" } ?? name
    }

    /// Compiles a BPF expression for this handle's link type.
    public func compile(_ expression: String) throws(CaptureError) -> BPFProgram {
        let program = BPFProgram()
        guard pcap_compile(pointer, &program.program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.badFilter, "bad filter \"\(expression)\": \(lastError)")
        }
        return program
    }

    /// Makes libpcap (the kernel, for live capture) apply the filter.
    public func setFilter(_ program: BPFProgram) throws(CaptureError) {
        guard pcap_setfilter(pointer, &program.program) == 0 else {
            throw CaptureError(.badFilter, "\(name): cannot set the filter: \(lastError)")
        }
    }

    public var lastError: String { String(cString: pcap_geterr(pointer)) }

    /// The next packet: a record read in place in line, anything else out of line.
    @inlinable @inline(__always)
    public func next() -> ReadResult {
        if mapped != nil, let packet = mapped!.next() { return .packet(packet) }
        return nextThroughLibpcap()
    }

    /// The next packet through libpcap (from the record the mapping stopped at, if it did).
    @usableFromInline
    func nextThroughLibpcap() -> ReadResult {
        if let stopped = mapped {
            // libpcap reads on from the record the mapping stopped at.
            stopped.unmap()
            mapped = nil
            if let file = pcap_file(pointer) { fseek(file, stopped.offset, SEEK_SET) }
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(pointer, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .failed("libpcap returned a packet without data") }
            let h = header.pointee
            let captured = Int(h.caplen)
            return .packet(CapturedPacket(
                time: captureTime(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec), precision: precision),
                capturedLength: captured,
                originalLength: Int(h.len),
                bytes: UnsafeRawBufferPointer(start: data, count: captured)))
        case 0: return .timeout
        case PCAP_ERROR_BREAK: return .end
        default: return .failed(lastError)
        }
    }
}

/// A record's time as libpcap hands it over (asked for nanoseconds), made sane: a
/// corrupt file's fraction can hold any 32-bit value, so whole seconds in it are
/// carried over, and the result stays within years 1970 to 9999.
@inlinable @inline(__always)
func captureTime(seconds: Int64, nanoseconds: Int64, precision: Timestamp.Precision) -> Timestamp {
    var s = seconds
    var ns = nanoseconds
    if ns < 0 || ns >= 1_000_000_000 {
        s = s.addingReportingOverflow(ns / 1_000_000_000).partialValue
        ns %= 1_000_000_000
        if ns < 0 { ns += 1_000_000_000; s = s.subtractingReportingOverflow(1).partialValue }
    }
    let latest: Int64 = 253_402_300_799  // 9999-12-31T23:59:59Z
    if s < 0 { s = 0; ns = 0 }
    if s > latest { s = latest; ns = 999_999_999 }
    return Timestamp(seconds: s, nanoseconds: Int32(ns), precision: precision)
}

/// Reads the head of a capture from `file`: a pcap file's magic, or a pcapng file's
/// blocks up to its first Interface Description Block, however long the section
/// header's options are (bounded, so that a broken length cannot make it read on).
func captureHead(of file: UnsafeMutablePointer<FILE>) -> [UInt8] {
    captureHead { count in
        var bytes = [UInt8](repeating: 0, count: count)
        let got = fread(&bytes, 1, count, file)
        return Array(bytes[0..<got])
    }
}

/// libpcap's open errors, said the way a user needs them.
private func describeOpenError(_ message: String, path: String) -> String {
    if message.contains("unknown file format") { return "not a pcap or pcapng capture (\(message))" }
    if message.contains("truncated") || message.contains("Truncated") { return "the capture's header is cut short (\(message))" }
    // libpcap prefixes the path; drop it, the caller names the file.
    if message.hasPrefix(path + ": ") { return String(message.dropFirst(path.count + 2)) }
    return message
}
