import Analyzer
import Capture
import Output
import PeersniffCore
import WireBytes

/// `-w FILE` (every packet behind a discovery datagram) or `--write-malformed FILE`
/// (the packets behind malformed datagrams and frames with warnings): a pcap file
/// that Wireshark and tshark open, written from the packets each record carries.
final class PcapDumpOutput: RecordWriter, SideOutput {
    enum Selection {
        /// `-w`: every packet of every discovery datagram.
        case every
        /// `--write-malformed`: what the malformed report is about.
        case problems
    }

    let path: PathName
    let label: String
    let selection: Selection
    let append: Bool
    let failures: OutputFailures
    private var dumper: PcapDumper?

    init(path: PathName, option: String, selection: Selection, append: Bool, failures: OutputFailures) {
        self.path = path
        self.label = "\(option) \(path.display)"
        self.selection = selection
        self.append = append
        self.failures = failures
    }

    /// Opens the file for the inputs' packets: one link type (a pcap file holds one),
    /// the largest snap length, nanoseconds if any input has them.
    func open(_ inputs: [InputFormat]) throws(CaptureError) {
        guard let first = inputs.first else { return }
        if let other = inputs.first(where: { $0.linkType != first.linkType }) {
            throw CaptureError(.cannotWrite, "\(label): \(first.name) (\(PcapHandle.linkTypeName(first.linkType))) and \(other.name) (\(PcapHandle.linkTypeName(other.linkType))) have different link types; one pcap file holds one")
        }
        let nano = inputs.contains { $0.precision == .nanoseconds }
        dumper = try PcapDumper(path: path, label: label, failures: failures, linkType: first.linkType,
                                snapLength: inputs.map(\.snapLength).max() ?? 65535,
                                precision: nano ? .nanoseconds : .microseconds, append: append)
    }

    func write(_ record: FrameRecord) {
        if selection == .every || !record.frame.warnings.isEmpty { dump(record.packets) }
    }

    func write(_ record: MalformedRecord) { dump(record.packets) }
    func write(_ event: ElectionEvent) {}
    var takesEvents: Bool { false }
    func write(_ summary: Summary) {}
    func flush() { dumper?.flush() }

    private func dump(_ packets: WirePackets) {
        guard let dumper else { return }
        switch packets {
        case .none:
            break
        case let .packet(time, originalLength, bytes):
            dumper.write(time: time, originalLength: originalLength, bytes: bytes)
        case let .fragments(kept):
            for packet in kept {
                guard let copy = packet.copy else { continue }
                copy.withUnsafeBytes { dumper.write(time: packet.origin.time, originalLength: packet.originalLength, bytes: $0) }
            }
        }
    }

    func reopen(_ session: Session) { dumper?.reopen() }

    /// Flushed, checked and closed before the run's failures are read.
    func end(_ summary: Summary, _ session: Session) { dumper?.close() }
}
