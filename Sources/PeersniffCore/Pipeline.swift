import Capture
import DiscoveryCodec
import Output
import PacketLayers
import WireBytes

/// The packet format of one input, told to the outputs that write packets before
/// the first packet is read (a pcap file holds one link type).
public struct InputFormat: Sendable {
    /// The file or interface, for messages.
    public var name: String
    public var linkType: Int32
    public var snapLength: Int32
    public var precision: Timestamp.Precision

    public init(name: String, linkType: Int32, snapLength: Int32, precision: Timestamp.Precision) {
        self.name = name
        self.linkType = linkType
        self.snapLength = snapLength
        self.precision = precision
    }
}

/// One packet's way: link layer → IPv4 (+ reassembly) → UDP → codec → records.
/// The same pipeline serves files and live interfaces; it is handed packets.
public final class Pipeline {
    public let options: Options
    public let writer: RecordWriter
    /// The shared codec, with its memory of the last FULL (a registry repeats its own).
    private let decoder = FrameDecoder()
    /// The analyzer's seat (held strongly: it holds nothing of the pipeline). A
    /// constant of its own class, so that calling it per packet costs no reference
    /// counting and no dynamic dispatch.
    public let consumer: ElectionBridge?
    /// The page's recorder (`--html`), handed each frame here, after the writer (and
    /// the pcap dumps beside it) and before the analyzer, with no record made for it:
    /// it takes the election events as a writer. Set it whenever the recorder is one
    /// of the writers: it takes no frame records.
    public var pageRecorder: TimelineRecorder? {
        didSet { recorder = pageRecorder.map { Unmanaged.passUnretained($0) } }
    }
    /// The same, borrowed for each frame (`pageRecorder` holds it): no reference counted
    /// up and down per frame.
    private var recorder: Unmanaged<TimelineRecorder>?
    public private(set) var summary = Summary()
    /// Records of discovery datagrams so far (for `-c`).
    public private(set) var datagrams = 0
    /// An output writes packets (`-w`, `--write-malformed`): fragments are copied while
    /// their datagram is reassembled, so that the record can carry every one.
    public var keepsPacketBytes = false
    /// Several inputs of one LAN: the same datagram seen in two is analysed once.
    private var duplicates: DuplicateWindow?
    /// Told the inputs' formats once they are open, before the first packet: the outputs
    /// that write packets open their files here (and may refuse the inputs).
    public var onInputsOpened: (([InputFormat]) throws(CaptureError) -> Void)?

    /// The writer does something with frame records (not `-q` or `--events` alone):
    /// asked once, so that a quiet run makes no call per packet.
    private let writerTakesFrames: Bool

    public init(options: Options, writer: RecordWriter, consumer: ElectionBridge? = nil) {
        self.options = options
        self.writer = writer
        writerTakesFrames = writer.takesFrames
        self.consumer = consumer
        if options.dropDuplicates { duplicates = DuplicateWindow() }
    }

    /// The packets read so far, whether the filter let them through or not (every
    /// input's), as the reading loop counts them.
    public func setRead(_ count: Int) { summary.packetsRead = count }

    /// Live capture: the kernel's counts.
    public func setKernelStatistics(received: Int, dropped: Int, interfaceDropped: Int) {
        summary.kernelReceived = received
        summary.kernelDropped = dropped
        summary.interfaceDropped = interfaceDropped
    }

    public func setInputError(_ message: String) { summary.inputError = message }

    /// `-f` kept this many packets of discovery traffic from the analysis.
    public func setLeftOutByFilter(_ count: Int) {
        summary.extraFilter = options.extraFilter.flatMap { $0.isEmpty ? nil : $0 }
        summary.leftOutByFilter = count
    }

    /// Where the outputs report a failed write: the run then ends.
    public var failures: OutputFailures?

    /// Stop reading: `-c` is reached, or an output failed.
    public var limitReached: Bool {
        if failures?.failed == true { return true }
        if let limit = options.countLimit { return datagrams >= limit }
        return false
    }

    /// The readers call this once every input is open, before the first packet.
    public func inputsOpened(_ formats: [InputFormat]) throws(CaptureError) {
        try onInputsOpened?(formats)
    }

    /// SIGHUP: the other outputs to open again (`-o`, `--metrics`), after the pipeline's own.
    public var onReopen: (() -> Void)?

    /// SIGHUP (log rotation): what is buffered goes to the files written so far, then
    /// each output whose file was renamed opens its name again. Nothing is lost.
    public func reopen() {
        writer.flush()
        onReopen?()
    }

    /// Where a source's packets stand: its link type, its packet count and its
    /// fragments in waiting.
    public final class SourceState {
        public let link: LinkType
        public let label: String?
        /// The label as every origin of this input names it.
        let fileName: FileName?
        /// Its place among the inputs (0 for the first -r, or live).
        public let index: Int
        public internal(set) var number = 0
        var reassembler = FragmentReassembler<KeptPacket>()

        public init(link: LinkType, label: String?, index: Int = 0) {
            self.link = link
            self.label = label
            fileName = label.map(FileName.init)
            self.index = index
        }
    }

    /// Handles one packet that passed the BPF filter. `number` is its place in its
    /// input, counting every packet read.
    public func process(_ packet: CapturedPacket, number: Int, source: SourceState) {
        source.number = number
        if summary.firstTime == nil { summary.firstTime = packet.time }
        summary.lastTime = packet.time
        let origin = PacketOrigin(number: number, time: packet.time, fileName: source.fileName)
        // Deadlines before this packet's time pass before its frames are seen.
        consumer?.clock(packet.time)
        if !source.reassembler.isEmpty {
            source.reassembler.expire(now: packet.time) { giveUp($0) }
        }
        switch networkLayer(of: packet.bytes, link: source.link) {
        case let .ipv4(bytes):
            guard case let .packet(header, payload, ipShort) = parseIPv4(bytes), header.protocolNumber == 17 else { break }
            // Short of its total length: a snap-length cut if the capture kept less than
            // the wire had, else a broken packet that is not judged.
            let cut = ipShort && packet.capturedLength < packet.originalLength
            if ipShort && !cut { break }
            if header.isFragment {
                fragment(header, payload: payload, cut: cut, packet: packet, origin: origin, source: source)
            } else {
                handleDatagram(source: header.source, destination: header.destination, udp: payload, ipCut: cut,
                               origin: origin, packets: OnePacket(time: packet.time, originalLength: packet.originalLength, bytes: packet.bytes),
                               identification: header.identification, input: source.index,
                               declaredUDPLength: header.totalLength - header.headerLength)
            }
        case let .ipv6(bytes):
            ipv6(bytes, packet: packet, origin: origin)
        case .other:
            break
        }
    }

    /// An IPv4 fragment: to the reassembler, and the datagram on when it is whole. Out
    /// of line (one packet in thirty on the benchmark's traffic), so that `process` stays
    /// small enough for its steps to be inlined into it.
    @inline(never)
    private func fragment(_ header: IPv4Header, payload: UnsafeRawBufferPointer, cut: Bool, packet: CapturedPacket,
                          origin: PacketOrigin, source: SourceState) {
        let tag = KeptPacket(origin: origin, originalLength: packet.originalLength,
                             copy: keepsPacketBytes ? Array(packet.bytes) : nil)
        let outcome = source.reassembler.add(header, payload: payload, cut: cut, time: packet.time, tag: tag) { giveUp($0) }
        if case let .complete(whole, wholeCut, tags) = outcome {
            // The datagram lies in the reassembler's memory until its next fragment.
            summary.datagramsReassembled += 1
            handleDatagram(source: header.source, destination: header.destination, udp: whole, ipCut: wholeCut,
                           origin: origin, packets: Fragments(tags: tags), identification: header.identification, input: source.index)
        }
    }

    /// UDP over IPv6 on the discovery port: reported, not decoded. Out of line (rare).
    @inline(never)
    private func ipv6(_ bytes: UnsafeRawBufferPointer, packet: CapturedPacket, origin: PacketOrigin) {
        guard let udp = parseIPv6UDP(bytes), udp.sourcePort == options.port || udp.destinationPort == options.port else { return }
        summary.packetsMatched += 1
        let endpoints = Endpoints(source: .v6(udp.source), destination: .v6(udp.destination),
                                  sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
        malformed(.notIPv4, offset: 0, length: udp.payloadLength,
                  detail: "UDP over IPv6 to or from the discovery port: the protocol is IPv4 only; not decoded",
                  origin: origin, endpoints: endpoints, payload: udp.payload,
                  packets: OnePacket(time: packet.time, originalLength: packet.originalLength, bytes: packet.bytes).wire)
    }

    /// Time passes with no packet (live): deadlines and fragment timeouts on the wall clock.
    public func tick(_ now: Timestamp, source: SourceState) {
        consumer?.clock(now)
        if !source.reassembler.isEmpty {
            source.reassembler.expire(now: now) { giveUp($0) }
        }
    }

    /// Live capture shows each record at once.
    public func flushOutput() {
        writer.flush()
    }

    /// The end of the input: fragments still waiting are given up and reported.
    public func finish(source: SourceState) {
        source.reassembler.drain { giveUp($0) }
        summary.reassemblyGaveUpForRoom += source.reassembler.gaveUpForRoom
    }

    /// `declaredUDPLength`: what the IP header says the UDP datagram's length is (for
    /// a cut inside the UDP header, where the UDP length field may be gone). Made once
    /// for a datagram in one packet and once for one reassembled from fragments: the
    /// first holds nothing to count or destroy, and its `WirePackets` is made only for a
    /// record that takes it.
    private func handleDatagram<Packets: DatagramPackets>(
        source: IPv4Address, destination: IPv4Address, udp bytes: UnsafeRawBufferPointer, ipCut: Bool,
        origin: consuming PacketOrigin, packets: consuming Packets, identification: UInt16, input: Int,
        declaredUDPLength: Int = 0
    ) {
        switch parseUDP(bytes, ipCut: ipCut) {
        case .invalid:
            return
        case let .portsOnly(sourcePort, destinationPort):
            guard sourcePort == options.port || destinationPort == options.port else { return }
            summary.packetsMatched += packets.count
            let endpoints = Endpoints(source: .v4(source), destination: .v4(destination), sourcePort: sourcePort, destinationPort: destinationPort)
            malformed(.truncatedCapture, offset: 0, length: max(0, declaredUDPLength - 8),
                      detail: "the capture's snap length cut the packet inside the UDP header; the payload cannot be judged",
                      origin: origin, endpoints: endpoints, payload: UnsafeRawBufferPointer(start: nil, count: 0), packets: packets.wire)
        case let .datagram(header, payload, cut):
            guard header.sourcePort == options.port || header.destinationPort == options.port else { return }
            summary.packetsMatched += packets.count
            if duplicates != nil,
               duplicates!.isDuplicate(source: source, identification: identification, udp: UnsafeRawBufferPointer(rebasing: bytes[0..<min(header.length, bytes.count)]),
                                       time: origin.time, input: input) {
                summary.duplicates += 1
                return
            }
            let endpoints = Endpoints(source: .v4(source), destination: .v4(destination),
                                      sourcePort: header.sourcePort, destinationPort: header.destinationPort)
            let declared = header.length - 8
            if cut {
                malformed(.truncatedCapture, offset: payload.count, length: declared,
                          detail: "the capture's snap length kept \(payload.count) of the payload's \(declared) bytes; the rest cannot be judged",
                          origin: origin, endpoints: endpoints, payload: payload, packets: packets.wire)
                return
            }
            if options.verifyChecksums {
                let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<header.length])
                switch verifyUDPChecksum(source: source, destination: destination, udp: whole, field: header.checksum) {
                case .valid: summary.checksumsValid += 1
                case .absent: summary.checksumsAbsent += 1
                case .offloaded: summary.checksumsOffloaded += 1
                case let .bad(expected):
                    malformed(.badUDPChecksum, offset: 0, length: declared,
                              detail: "UDP checksum 0x\(hex16(header.checksum)) does not match the datagram (0x\(hex16(expected)) expected); not decoded",
                              origin: origin, endpoints: endpoints, payload: payload, packets: packets.wire)
                    return
                }
            } else {
                summary.checksumsNotVerified += 1
            }
            switch decoder.decode(payload, sender: source) {
            case var .frame(view):
                if Packets.areFragments { view.warnings.insert(.fragmented) }
                datagrams += 1
                summary.framesByType.add(view.type.index)
                if !view.warnings.isEmpty { summary.count(view.warnings) }
                guard writerTakesFrames else {
                    // Nothing writes the frame (-q, --events): no record is made for it.
                    recorder?._withUnsafeGuaranteedRef { $0.frame(view, from: source, to: destination, origin: origin) }
                    consumer?.consume(view, from: source, sourcePort: header.sourcePort, origin: origin)
                    return
                }
                // The record takes the origin and the frame over (no copy of their references
                // and none destroyed twice).
                let record = FrameRecord(origin: consume origin, endpoints: endpoints, frame: consume view, packets: packets.wire)
                writer.write(record)
                recorder?._withUnsafeGuaranteedRef { $0.frame(record.frame, from: source, to: destination, origin: record.origin) }
                consumer?.consume(record)
            case let .malformed(malformation):
                malformed(malformation, origin: origin, endpoints: endpoints, payload: payload, packets: packets.wire)
            }
        }
    }

    private func malformed(_ reason: MalformationReason, offset: Int, length: Int, detail: String,
                           origin: PacketOrigin, endpoints: Endpoints, payload: UnsafeRawBufferPointer, packets: WirePackets) {
        malformed(Malformation(reason: reason, offset: offset, length: length, detail: detail),
                  origin: origin, endpoints: endpoints, payload: payload, packets: packets)
    }

    private func malformed(_ malformation: Malformation, origin: PacketOrigin, endpoints: Endpoints, payload: UnsafeRawBufferPointer,
                           packets: WirePackets) {
        datagrams += 1
        summary.malformedByReason[malformation.reason.index] += 1
        let record = MalformedRecord(origin: origin, endpoints: endpoints, malformation: malformation, payload: payload, packets: packets)
        writer.write(record)
        consumer?.consume(record)
    }

    /// A datagram whose fragments never all came. Reported if its first fragment
    /// shows the discovery port; otherwise only counted.
    private func giveUp(_ entry: FragmentReassembler<KeptPacket>.Pending) {
        guard let last = entry.tags.last else { return }
        let first = entry.contiguousPrefix
        guard entry.firstFragment != nil, first.count >= 4 else {
            summary.fragmentsUnattributed += 1
            return
        }
        let sourcePort = UInt16(first[0]) << 8 | UInt16(first[1])
        let destinationPort = UInt16(first[2]) << 8 | UInt16(first[3])
        guard sourcePort == options.port || destinationPort == options.port else { return }
        let packets = Fragments(tags: entry.tags)
        summary.packetsMatched += packets.count
        let declared = first.count >= 6 ? Int(UInt16(first[4]) << 8 | UInt16(first[5])) - 8 : 0
        // The datagram's length: from the last fragment if it came, else from the UDP header.
        let expected = entry.expectedLength.map { "\($0)" } ?? (declared >= 0 && first.count >= 6 ? "\(declared + 8)" : "unknown")
        let endpoints = Endpoints(source: .v4(entry.key.source), destination: .v4(entry.key.destination),
                                  sourcePort: sourcePort, destinationPort: destinationPort)
        let detail = "\(entry.fragmentCount) fragment\(entry.fragmentCount == 1 ? "" : "s") of IP id 0x\(hex16(entry.key.identification)) " +
            "covering \(entry.coveredBytes) of \(expected) bytes; the rest never came"
        first.withUnsafeBytes { bytes in
            let payload = bytes.count > 8 ? UnsafeRawBufferPointer(rebasing: bytes[8...]) : UnsafeRawBufferPointer(start: nil, count: 0)
            malformed(.incompleteFragments, offset: payload.count, length: max(0, declared), detail: detail,
                      origin: last.origin, endpoints: endpoints, payload: payload, packets: packets.wire)
        }
    }
}

func hex16(_ value: UInt16) -> String {
    var out: [UInt8] = []
    for shift in [12, 8, 4, 0] { out.append(hexDigit(UInt8(value >> UInt16(shift) & 0xF))) }
    return String(decoding: out, as: UTF8.self)
}

/// The packets behind a datagram, as `handleDatagram` is given them: one packet, or
/// the fragments of a reassembled datagram. `wire` is what a record carries.
protocol DatagramPackets {
    /// The datagram came in fragments.
    static var areFragments: Bool { get }
    /// How many packets.
    var count: Int { get }
    /// The packets, for a record.
    var wire: WirePackets { get }
}

/// A datagram in one packet, borrowed: nothing to count or destroy.
struct OnePacket: DatagramPackets {
    let time: Timestamp
    let originalLength: Int
    let bytes: UnsafeRawBufferPointer

    static var areFragments: Bool { false }
    var count: Int { 1 }
    var wire: WirePackets { .packet(time: time, originalLength: originalLength, bytes: bytes) }
}

/// A datagram reassembled from fragments: their tags.
struct Fragments: DatagramPackets {
    let tags: [KeptPacket]

    static var areFragments: Bool { true }
    var count: Int { tags.count }
    var wire: WirePackets { .fragments(tags) }
}
