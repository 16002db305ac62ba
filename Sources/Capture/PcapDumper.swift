#if canImport(Glibc)
import Glibc
#endif
import CPcap
import WireBytes

/// A pcap file being written (`-w`): classic pcap, which Wireshark and tshark open.
public final class PcapDumper {
    private let dead: OpaquePointer
    private var dumper: OpaquePointer
    public let path: PathName
    public let linkType: Int32
    private var closed = false
    /// How the user named this output (`-w out.pcap`), and where its failure goes.
    public let label: String
    private let failures: OutputFailures?
    /// A write failed: the file is incomplete, later packets are not written.
    public private(set) var failed = false

    /// A nanosecond-precision file when the input had nanoseconds, else microseconds.
    /// `append`: a pcap file of the same link type and precision already under that
    /// name is appended to (a new file is made if there is none), as libpcap's
    /// `pcap_dump_open_append` does; otherwise the file starts anew, as tcpdump's -w.
    public convenience init(path: PathName, label: String? = nil, failures: OutputFailures? = nil,
                linkType: Int32, snapLength: Int32, precision: Timestamp.Precision, append: Bool = false) throws(CaptureError) {
        let nano = precision == .nanoseconds
        let label = label ?? path.display
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType, max(snapLength, 65535),
                                                              UInt32(nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO)) else {
            throw CaptureError(.cannotWrite, "\(label): cannot prepare a pcap file")
        }
        if append {
            // A record left half-written is cut off first, and said: appended after
            // it, every packet would be lost to every reader.
            do {
                let cut = try cutPartialRecord(path, label: label)
                if cut > 0 { reportCut(cut, label: label) }
            } catch {
                pcap_close(dead)
                throw error
            }
            guard let dumper = path.withCString({ pcap_dump_open_append(dead, $0) }) else {
                let message = String(cString: pcap_geterr(dead))
                pcap_close(dead)
                throw CaptureError(.cannotWrite, "\(label): cannot append: \(message)")
            }
            self.init(dead: dead, dumper: dumper, path: path, label: label, failures: failures, linkType: linkType, nano: nano)
            return
        }
        // Opened as the bytes the user gave (a name need not be UTF-8), then handed to libpcap.
        guard let file = path.withCString({ fopen($0, "wb") }) else {
            let cause = String(cString: strerror(errno))
            pcap_close(dead)
            throw CaptureError(.cannotWrite, "\(label): cannot write: \(cause)")
        }
        guard let dumper = pcap_dump_fopen(dead, file) else {
            let message = String(cString: pcap_geterr(dead))
            fclose(file)
            pcap_close(dead)
            throw CaptureError(.cannotWrite, "\(label): cannot write: \(message)")
        }
        self.init(dead: dead, dumper: dumper, path: path, label: label, failures: failures, linkType: linkType, nano: nano)
    }

    private init(dead: OpaquePointer, dumper: OpaquePointer, path: PathName, label: String?, failures: OutputFailures?,
                 linkType: Int32, nano: Bool) {
        self.dead = dead
        self.dumper = dumper
        self.path = path
        self.label = label ?? path.display
        self.failures = failures
        self.linkType = linkType
        self.nano = nano
    }

    /// A failed write: recorded once, and nothing more is written.
    private func fail(_ code: Int32, cause: String? = nil) {
        guard !failed else { return }
        failed = true
        failures?.record(label, code: code, cause: cause)
    }

    private let nano: Bool

    public func write(time: Timestamp, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        // DLT_NULL's family is in the writing host's byte order, and this file is in
        // ours: a packet read from a file of the other byte order gets its family
        // swapped, or libpcap's filters (ours included) would not know it again.
        if linkType == DLT_NULL, bytes.count >= 4 {
            let family = bytes.loadUnaligned(as: UInt32.self)
            if family > 0xFFFF, family.byteSwapped <= 0xFFFF {
                var copy = Array(bytes)
                withUnsafeBytes(of: family.byteSwapped) { copy.replaceSubrange(0..<4, with: $0) }
                copy.withUnsafeBytes { dump(time: time, originalLength: originalLength, bytes: $0) }
                return
            }
        }
        dump(time: time, originalLength: originalLength, bytes: bytes)
    }

    private func dump(time: Timestamp, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        guard !failed else { return }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(time.seconds)
        header.ts.tv_usec = nano ? Int(time.nanoseconds) : Int(time.nanoseconds / 1000)
        header.caplen = bpf_u_int32(bytes.count)
        header.len = bpf_u_int32(originalLength)
        let user = UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self)
        pcap_dump(user, &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        // pcap_dump writes through stdio and returns nothing: its error flag says it.
        if let file = pcap_dump_file(dumper), ferror(file) != 0 { fail(errno) }
    }

    /// Pushes buffered packets to the file; a failure is recorded.
    public func flush() {
        guard !failed, !closed else { return }
        if pcap_dump_flush(dumper) != 0 { fail(errno) }
    }

    /// Whether the name still leads to the file being written.
    private var nameLeadsHere: Bool {
        guard let file = pcap_dump_file(dumper) else { return false }
        return path.leads(to: fileno(file))
    }

    /// SIGHUP (log rotation): the packets so far go to the file written until now; if
    /// its name leads elsewhere (it was renamed), the name is opened again and what
    /// follows goes there: appended to a pcap file of the same link type found under
    /// that name, or a new file with its own header (libpcap's pcap_dump_open_append).
    public func reopen() {
        guard !failed, !closed else { return }
        flush()
        guard !failed, !nameLeadsHere else { return }
        do {
            let cut = try cutPartialRecord(path, label: label)
            if cut > 0 { reportCut(cut, label: label) }
        } catch {
            fail(EIO, cause: "cannot open it again after SIGHUP: \(error.message)")
            return
        }
        guard let next = path.withCString({ pcap_dump_open_append(dead, $0) }) else {
            fail(errno, cause: "cannot open it again after SIGHUP: \(String(cString: pcap_geterr(dead)))")
            return
        }
        // The file left behind keeps every packet written to it: check its close.
        if let file = pcap_dump_file(dumper), fflush(file) != 0 || ferror(file) != 0 {
            fail(errno)
        }
        pcap_dump_close(dumper)
        dumper = next
    }

    /// Flushes, checks that the file is still the one written, and closes it.
    public func close() {
        guard !closed else { return }
        flush()
        // Writes to a file whose every name was removed (its folder deleted) all
        // succeed, and the data is lost with the last descriptor: say so. A file only
        // renamed (rotated without SIGHUP) keeps its data.
        if !failed, let file = pcap_dump_file(dumper), hasNoName(fileno(file)) {
            fail(ENOENT, cause: "the file was removed while it was being written (\(String(cString: strerror(ENOENT))))")
        }
        closed = true
        pcap_dump_close(dumper)
        pcap_close(dead)
    }

    deinit { close() }
}

/// Says on standard error that the end of a file was cut off before appending.
private func reportCut(_ bytes: Int, label: String) {
    let line = "peersniff: \(label): cut off the last \(bytes) bytes, a packet record left half-written (a writer stopped mid-write), before appending\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
