import Analyzer
import DiscoveryCodec
import WireBytes

/// What the page (`--html`) needs of the records as they pass, in bounded memory
/// and O(1) work per packet: each node's frames counted into time bins by type,
/// its offline spans, and the election events as markers. The page is drawn from
/// this and the summary, never from a copy of the frames.
public final class TimelineRecorder: RecordWriter {
    /// One node's lane.
    struct Lane {
        var ip: IPv4Address
        var frames = 0
        /// Spans declared offline: start, and end when it came back.
        var offline: [(since: Timestamp, until: Timestamp?)] = []
    }

    /// A marker on the timeline: an election event.
    struct Marker {
        var time: Timestamp
        var packet: Int?
        var kind: ElectionEventKind
        var ip: IPv4Address?
        var text: String
    }

    static let binCount = 600
    static let maxLanes = 1024
    static let maxMarkers = 3000
    static let maxOfflineSpans = 32

    var lanes: [Lane] = []
    /// Counts per lane, bin and frame type (`FrameType.index`): `laneStride` a lane, in one buffer.
    var counts: [UInt32] = []
    static let laneStride = binCount * 6
    /// Lanes by address: open addressing over 4096 slots, hashed with one multiplication
    /// (at most 1024 lanes, so probes stay short).
    private var slotKeys = [UInt32](repeating: 0, count: 4096)
    private var slotLanes = [Int32](repeating: -1, count: 4096)
    /// The last sender's lane (a registry's FULLs and a storm come in runs).
    private var cachedIP: UInt32 = 0
    private var cachedLane = -1
    /// The count of frames of `type` in `bin` of the lane.
    func count(lane: Int, bin: Int, type: Int) -> UInt32 { counts[lane * TimelineRecorder.laneStride + bin * 6 + type] }

    var markers: [Marker] = []
    public private(set) var markersDropped = 0
    /// The first frame's time; bins are `binWidth` nanoseconds from it (doubled as needed).
    var start: Timestamp?
    var last: Timestamp?
    var binWidth: Int64 = 10_000_000
    /// Names for the markers' text.
    public var nameOf: (IPv4Address) -> Name? = { _ in nil }
    private let describer = TextWriter(stream: OutputStream(descriptor: -1), quiet: true)

    public init() {
        markers.reserveCapacity(256)
        describer.nameOf = { [unowned self] in self.nameOf($0) }
    }

    // MARK: Records

    public func write(_ record: FrameRecord) {
        guard let ip = record.endpoints.source.ipv4 else { return }
        let time = record.origin.time
        if start == nil { start = time }
        if last == nil || time > last! { last = time }
        // Beyond `maxLanes` a node's frames are not drawn (the page says how many nodes).
        guard let lane = lane(for: ip) else { return }
        var bin = Int((time.totalNanoseconds - start!.totalNanoseconds) / binWidth)
        while bin >= TimelineRecorder.binCount {
            coarsen()
            bin = Int((time.totalNanoseconds - start!.totalNanoseconds) / binWidth)
        }
        lanes[lane].frames += 1
        counts[lane * TimelineRecorder.laneStride + max(0, bin) * 6 + record.frame.type.index] &+= 1
    }

    public func write(_ record: MalformedRecord) {}

    public func write(_ event: ElectionEvent) {
        switch event.detail {
        case let .nodeDeclaredOffline(ip, _):
            if let lane = lane(for: ip) {
                if lanes[lane].offline.last.map({ $0.until != nil }) ?? true {
                    if lanes[lane].offline.count < TimelineRecorder.maxOfflineSpans {
                        lanes[lane].offline.append((event.time, nil))
                    }
                }
            }
        case let .nodeReturned(ip):
            if let lane = laneIndex(ip), let open = lanes[lane].offline.indices.last, lanes[lane].offline[open].until == nil {
                lanes[lane].offline[open].until = event.time
            }
        default: break
        }
        // A marker for what tells the story: not every node-seen or peers-changed.
        switch event.kind {
        case .registryElected, .registryChanged, .registryConflict, .registryUnexpected, .registrySilent,
             .nodeDeclaredOffline, .nodeReturned, .nodeRenamed:
            guard markers.count < TimelineRecorder.maxMarkers else {
                markersDropped += 1
                return
            }
            markers.append(Marker(time: event.time, packet: event.origin?.number, kind: event.kind,
                                  ip: describer.primaryAddress(event), text: describer.describe(event)))
        default: break
        }
    }

    public func write(_ summary: Summary) {}
    public func flush() {}

    /// The node's lane, made when there is room (a lane of a node that sent one frame
    /// gives way to a new node once all are taken).
    func lane(for ip: IPv4Address) -> Int? {
        if ip.value == cachedIP, cachedLane >= 0 { return cachedLane }
        var slot = Int((ip.value &* 0x9E37_79B1) >> 20)
        while slotLanes[slot] >= 0 {
            if slotKeys[slot] == ip.value {
                cachedIP = ip.value
                cachedLane = Int(slotLanes[slot])
                return cachedLane
            }
            slot = (slot + 1) & 4095
        }
        guard lanes.count < TimelineRecorder.maxLanes else { return nil }
        lanes.append(Lane(ip: ip))
        counts.append(contentsOf: repeatElement(0, count: TimelineRecorder.laneStride))
        slotKeys[slot] = ip.value
        slotLanes[slot] = Int32(lanes.count - 1)
        return lanes.count - 1
    }

    /// The lane of `ip`, if it has one.
    func laneIndex(_ ip: IPv4Address) -> Int? {
        var slot = Int((ip.value &* 0x9E37_79B1) >> 20)
        while slotLanes[slot] >= 0 {
            if slotKeys[slot] == ip.value { return Int(slotLanes[slot]) }
            slot = (slot + 1) & 4095
        }
        return nil
    }

    /// Halves the resolution: bins twice as wide, so the span fits again.
    func coarsen() {
        for k in lanes.indices {
            let base = k * TimelineRecorder.laneStride
            for b in 0..<(TimelineRecorder.binCount / 2) {
                for t in 0..<6 {
                    counts[base + b * 6 + t] = counts[base + 2 * b * 6 + t] &+ counts[base + (2 * b + 1) * 6 + t]
                }
            }
            for i in (TimelineRecorder.binCount / 2 * 6)..<TimelineRecorder.laneStride { counts[base + i] = 0 }
        }
        binWidth *= 2
    }
}
