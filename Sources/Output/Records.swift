import Analyzer
import DiscoveryCodec
@_exported import WireBytes

/// The two ends of a UDP datagram.
public struct Endpoints: Sendable, Hashable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }
}

/// A packet kept while its datagram is reassembled: where it was, and a copy of its
/// bytes when an output writes packets (`-w`, `--write-malformed`).
public struct KeptPacket {
    public var origin: PacketOrigin
    public var originalLength: Int
    /// Nil when no output writes packets: no copy is made.
    public var copy: [UInt8]?

    public init(origin: PacketOrigin, originalLength: Int, copy: [UInt8]?) {
        self.origin = origin
        self.originalLength = originalLength
        self.copy = copy
    }
}

/// The packets a record was read from, as captured: what a pcap dump writes.
public enum WirePackets {
    /// Made by hand (tests): no packet behind it.
    case none
    /// One packet, borrowed: valid while the record is being written.
    case packet(time: Timestamp, originalLength: Int, bytes: UnsafeRawBufferPointer)
    /// The fragments of a reassembled (or given-up) datagram, in arrival order.
    case fragments([KeptPacket])
}

/// A decoded discovery frame (`kind: frame`). The frame borrows the packet's bytes:
/// a writer renders it at once and keeps nothing.
public struct FrameRecord {
    public var origin: PacketOrigin
    public var endpoints: Endpoints
    public var frame: FrameView
    /// The packets behind the frame, for the outputs that write packets.
    public var packets: WirePackets

    public init(origin: PacketOrigin, endpoints: Endpoints, frame: FrameView, packets: WirePackets = .none) {
        self.origin = origin
        self.endpoints = endpoints
        self.frame = frame
        self.packets = packets
    }
}

/// A payload on the discovery port that does not decode (`kind: malformed`).
public struct MalformedRecord {
    public var origin: PacketOrigin
    /// Nil when not even the addresses could be read.
    public var endpoints: Endpoints
    public var malformation: Malformation
    /// The payload bytes as captured.
    public var payload: UnsafeRawBufferPointer
    /// The packets behind the datagram, for the outputs that write packets.
    public var packets: WirePackets

    public init(origin: PacketOrigin, endpoints: Endpoints, malformation: Malformation, payload: UnsafeRawBufferPointer,
                packets: WirePackets = .none) {
        self.origin = origin
        self.endpoints = endpoints
        self.malformation = malformation
        self.payload = payload
        self.packets = packets
    }
}

/// What the run saw, counted (`kind: summary`).
public struct Summary: Sendable {
    public var packetsRead = 0
    /// Packets that belong to discovery datagrams (fragments included).
    public var packetsMatched = 0
    /// Six counters in place (no array: counting a frame asks for no storage to itself).
    public var framesByType = FrameCounts()
    public var malformedByReason = [Int](repeating: 0, count: MalformationReason.allCases.count)
    /// By `FrameWarnings.all`'s order.
    public var warningsByCode: [Int] {
        get { counterValues(warningCounts) }
        set { for k in 0..<min(newValue.count, warningCounters) { setCounter(&warningCounts, at: k, to: newValue[k]) } }
    }
    /// The same counters in place, one a warning of `FrameWarnings.all` (a tuple of
    /// Ints, laid out as an array of them: counting a frame's warnings asks for no
    /// storage to itself, as an array's change would).
    private var warningCounts = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var warningCounters: Int { MemoryLayout.size(ofValue: warningCounts) / MemoryLayout<Int>.stride }
    public var checksumsValid = 0
    public var checksumsAbsent = 0
    /// Checksums left for the NIC to finish (captured on the sender or a veth): not errors.
    public var checksumsOffloaded = 0
    public var checksumsNotVerified = 0
    public var datagramsReassembled = 0
    /// Incomplete fragment sets whose first fragment never came, so their port is unknown.
    public var fragmentsUnattributed = 0
    /// Datagrams the reassembler gave up to stay within its bounds (1024 datagrams, 16 MiB).
    public var reassemblyGaveUpForRoom = 0
    /// Live capture: the kernel's counts (pcap_stats).
    public var kernelReceived: Int? = nil
    public var kernelDropped: Int? = nil
    public var interfaceDropped: Int? = nil
    public var firstTime: Timestamp? = nil
    public var lastTime: Timestamp? = nil
    /// Set when the input ended with an error (a cut file): the message.
    public var inputError: String? = nil
    /// Set when an output failed (`-w x.pcap: No space left on device`): the run ended there.
    public var outputError: String? = nil
    /// The analyzer's part: nodes, registry history, event counts, diagnoses.
    public var election: ElectionReport? = nil
    /// `--node`, `--type`, `--since`, `--until`: what was shown and held back.
    public var display: DisplayCounts? = nil
    /// The same datagram seen in two inputs (two views of one LAN), analysed once.
    public var duplicates = 0
    /// `-f`: the expression, and the packets of discovery traffic it kept from the
    /// analysis (the diagnoses then see part of the LAN).
    public var extraFilter: String? = nil
    public var leftOutByFilter = 0

    public init() {}

    public var frames: Int { framesByType.total }

    /// `-f` left discovery traffic out: the analysis saw part of the LAN.
    public var filterWarning: String? {
        guard leftOutByFilter > 0, let expression = extraFilter else { return nil }
        return "-f '\(expression)' left \(leftOutByFilter) packet\(leftOutByFilter == 1 ? "" : "s") of discovery traffic out of the analysis: "
            + "the diagnoses saw only part of the LAN and may be wrong. To show less while analysing everything: --node, --type, --since, --until."
    }
    public var malformed: Int { malformedByReason.reduce(0, +) }

    public mutating func count(_ warnings: FrameWarnings) {
        guard !warnings.isEmpty else { return }
        // `FrameWarnings.all` lists the warnings bit by bit: entry k is bit k.
        var bits = warnings.rawValue
        while bits != 0 {
            let k = bits.trailingZeroBitCount
            if k < warningCounters { addOne(to: &warningCounts, at: k) }
            bits &= bits - 1
        }
    }
}

/// Renders records. Text, JSON Lines and the quiet summary-only form are siblings
/// behind this one interface.
public protocol RecordWriter: AnyObject {
    func write(_ record: FrameRecord)
    func write(_ record: MalformedRecord)
    func write(_ event: ElectionEvent)
    func write(_ summary: Summary)
    /// An incident opened or closed (the diagnosis engine's stream).
    func write(_ incident: IncidentChange)
    /// Pushes out what is buffered (live capture calls this after each batch).
    func flush()
    /// Whether `write(_: FrameRecord)` can do anything at all: false for a writer that
    /// drops every frame record (`-q`, `--events`), so that the pipeline need not hand
    /// it one per packet. Fixed for the writer's life; true unless a writer says so.
    var takesFrames: Bool { get }
    /// Whether `write(_: ElectionEvent)` can do anything at all: false for a writer that
    /// drops every event (`-q`), so that the analyzer's events go to the diagnosis
    /// engine alone. Fixed for the writer's life; true unless a writer says so.
    var takesEvents: Bool { get }
    /// Whether `write(_: ElectionEvent)` does anything with `peers-changed`: false for a
    /// writer that drops it (the page's recorder), so that the analyzer need not make
    /// the event for a changed FULL when no writer takes it. Fixed for the writer's
    /// life; `takesEvents` unless a writer says so.
    var takesPeersChanged: Bool { get }
}

extension RecordWriter {
    public func write(_ incident: IncidentChange) {}
    public var takesFrames: Bool { true }
    public var takesEvents: Bool { true }
    public var takesPeersChanged: Bool { takesEvents }
}
