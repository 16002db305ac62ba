import CPcap
import WireBytes

/// A pcap file being written (`-w`): classic pcap, which Wireshark and tshark open.
public final class PcapDumper {
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    public let path: String
    public let linkType: Int32
    private var closed = false

    /// A nanosecond-precision file when the input had nanoseconds, else microseconds.
    public init(path: String, linkType: Int32, snapLength: Int32, precision: Timestamp.Precision) throws(CaptureError) {
        let nano = precision == .nanoseconds
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType, max(snapLength, 65535),
                                                              UInt32(nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO)) else {
            throw CaptureError(.cannotWrite, "\(path): cannot prepare a pcap file")
        }
        guard let dumper = pcap_dump_open(dead, path) else {
            let message = String(cString: pcap_geterr(dead))
            pcap_close(dead)
            throw CaptureError(.cannotWrite, "\(path): cannot write: \(message)")
        }
        self.dead = dead
        self.dumper = dumper
        self.path = path
        self.linkType = linkType
        self.nano = nano
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
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(time.seconds)
        header.ts.tv_usec = nano ? Int(time.nanoseconds) : Int(time.nanoseconds / 1000)
        header.caplen = bpf_u_int32(bytes.count)
        header.len = bpf_u_int32(originalLength)
        let user = UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self)
        pcap_dump(user, &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }

    public func flush() { pcap_dump_flush(dumper) }

    public func close() {
        guard !closed else { return }
        closed = true
        pcap_dump_close(dumper)
        pcap_close(dead)
    }

    deinit { close() }
}
