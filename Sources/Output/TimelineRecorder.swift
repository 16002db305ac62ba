import Analyzer
import DiscoveryCodec
import WireBytes

/// What the page (`--html`) needs of the records as they pass, in bounded memory
/// and O(1) work per packet (amortised): each node's frames counted into time bins by
/// type, its offline spans, the exact frames of the busiest spans up to a budget, and
/// the election events to mark. Only numbers and indexes are kept as records pass: no
/// string is made, formatted or escaped until the page is drawn, once.
public final class TimelineRecorder: RecordWriter {
    /// One node's lane (its frame count is `frames(lane:)`).
    struct Lane {
        var ip: IPv4Address
        /// Spans declared offline: start, and end when it came back.
        var offline: [(since: Timestamp, until: Timestamp?)] = []
    }

    /// One frame kept exactly: its time, packet number, lane and type, and the one
    /// number its line needs (a PING's or PONG's destination, an OFFLINE's subject, a
    /// FULL's count of entries). 24 bytes.
    struct ExactFrame {
        var nanoseconds: Int64
        var number: Int
        var other: UInt32
        var lane: UInt16
        var type: UInt8
        /// The input file (index into `files` plus one; 0: a single input).
        var file: UInt8
    }

    static let binCount = 600
    static let maxLanes = 1024
    static let maxMarkers = 3000
    static let maxOfflineSpans = 32
    /// Exact frames kept at most (the page draws each one).
    public static let exactBudget = 12_000
    static let maxFiles = 250

    var lanes: [Lane] = []
    /// Counts per lane, bin and frame type (`FrameType.index`): `laneStride` a lane, in one buffer.
    /// (Raw memory, as are the per-bin flags below and the lanes' frame counts: every
    /// frame bumps a count, and an array would check its uniqueness at each.)
    private var counts: UnsafeMutablePointer<UInt32>
    private var countsCapacity = 0
    private let laneFrames = UnsafeMutablePointer<Int>.allocate(capacity: maxLanes)
    static let laneStride = binCount * 6
    /// Lanes by address: open addressing over 4096 slots, hashed with one multiplication
    /// (at most 1024 lanes, so probes stay short).
    private let slotKeys = UnsafeMutablePointer<UInt32>.allocate(capacity: 4096)
    private let slotLanes = UnsafeMutablePointer<Int32>.allocate(capacity: 4096)
    /// The last sender's lane (a registry's FULLs and a storm come in runs).
    private var cachedIP: UInt32 = 0
    private var cachedLane = -1
    /// The count of frames of `type` in `bin` of the lane.
    func count(lane: Int, bin: Int, type: Int) -> UInt32 { counts[lane * TimelineRecorder.laneStride + bin * 6 + type] }
    /// The frames of the lane.
    func frames(lane: Int) -> Int { laneFrames[lane] }

    /// The exact frames of each bin, in time order. A bin not `exactKept` had frames
    /// given up for the budget: it is drawn from its counts (with the exact frames it
    /// still has, from a half that was whole when two bins merged).
    var exact: [[ExactFrame]] = Array(repeating: [], count: binCount)
    private let keptFlags = UnsafeMutablePointer<Bool>.allocate(capacity: binCount)
    var exactKept: UnsafeBufferPointer<Bool> { UnsafeBufferPointer(start: keptFlags, count: TimelineRecorder.binCount) }
    var exactCount = 0
    /// `exact[b].count` for each bin, side by side: the scan for the quietest bin reads these.
    private let exactCounts = UnsafeMutablePointer<Int32>.allocate(capacity: binCount)
    /// `start` and `last` in nanoseconds (`Int64.min`: none yet), compared at every frame.
    private var startNanoseconds = Int64.min
    private var lastNanoseconds = Int64.min
    /// Frames not kept exactly (their bin's exact frames were given up).
    public private(set) var exactDropped = 0
    /// Frames of nodes beyond `maxLanes`: not drawn at all.
    public private(set) var framesWithoutLane = 0
    /// The input files' names, as records name them (several inputs only).
    var files: [String] = []
    private var lastFile: String?
    private var lastFileIndex: UInt8 = 0

    /// The election events marked on the page, kept as they came (their words are
    /// written when the page is drawn).
    var markers: [ElectionEvent] = []
    public private(set) var markersDropped = 0
    /// The first frame's time; bins are `binWidth` nanoseconds from it (doubled as needed).
    var start: Timestamp?
    /// The latest frame's time (kept as nanoseconds and a precision: a timestamp is
    /// made when the page asks).
    var last: Timestamp? {
        guard lastNanoseconds != .min else { return nil }
        return Timestamp(seconds: 0, nanoseconds: 0, precision: lastPrecision).adding(nanoseconds: lastNanoseconds)
    }
    private var lastPrecision = Timestamp.Precision.nanoseconds
    var binWidth: Int64 = 10_000_000
    /// Names for the markers' and frames' text (asked when the page is drawn).
    public var nameOf: (IPv4Address) -> Name? = { _ in nil }
    /// What the user asked to see (`--node`, `--type`, `--since`, `--until`): the page
    /// shows everything and highlights it.
    public var filter: DisplayFilter?
    let describer = TextWriter(stream: OutputStream(descriptor: -1), quiet: true)

    public init() {
        counts = .allocate(capacity: 1)
        keptFlags.initialize(repeating: true, count: TimelineRecorder.binCount)
        slotKeys.initialize(repeating: 0, count: 4096)
        slotLanes.initialize(repeating: -1, count: 4096)
        exactCounts.initialize(repeating: 0, count: TimelineRecorder.binCount)
        markers.reserveCapacity(256)
        describer.nameOf = { [unowned self] in self.nameOf($0) }
    }

    deinit {
        counts.deallocate()
        laneFrames.deallocate()
        keptFlags.deallocate()
        exactCounts.deallocate()
        slotKeys.deallocate()
        slotLanes.deallocate()
    }

    // MARK: Records

    public func write(_ record: FrameRecord) {
        guard let ip = record.endpoints.source.ipv4 else { return }
        let time = record.origin.time
        let now = time.totalNanoseconds
        if startNanoseconds == .min { start = time; startNanoseconds = now }
        if lastNanoseconds == .min || now > lastNanoseconds { lastNanoseconds = now; lastPrecision = time.precision }
        // Beyond `maxLanes` a node's frames are not drawn (the page says how many nodes).
        guard let lane = lane(for: ip) else {
            framesWithoutLane += 1
            return
        }
        let offset = now - startNanoseconds
        var bin = Int(offset / binWidth)
        while bin >= TimelineRecorder.binCount {
            coarsen()
            bin = Int(offset / binWidth)
        }
        bin = max(0, bin)
        let type = record.frame.type
        laneFrames[lane] += 1
        counts[lane * TimelineRecorder.laneStride + bin * 6 + type.index] &+= 1
        guard keptFlags[bin] else {
            exactDropped += 1
            return
        }
        var other: UInt32 = 0
        switch type {
        case .ping, .pong: other = record.endpoints.destination.ipv4?.value ?? 0
        case .offline: other = record.frame.offlineIP.value
        case .full: other = record.frame.payload.count > 1 ? UInt32(record.frame.payload[1]) : 0
        default: break
        }
        let frame = ExactFrame(nanoseconds: now, number: record.origin.number, other: other,
                               lane: UInt16(lane), type: UInt8(type.index), file: fileIndex(record.origin))
        exact.withUnsafeMutableBufferPointer { bins in
            // Room for 64 at once (at most 0.9 MB over all the bins), not a doubling every few frames.
            if bins[bin].capacity == 0 { bins[bin].reserveCapacity(64) }
            bins[bin].append(frame)
        }
        exactCounts[bin] += 1
        exactCount += 1
        if exactCount > TimelineRecorder.exactBudget { giveUpExact(current: bin) }
    }

    /// The file's place in `files` plus one (0: one input, or beyond `maxFiles`).
    @inline(__always)
    private func fileIndex(_ origin: PacketOrigin) -> UInt8 {
        guard let file = origin.file else { return 0 }  // no lookup when it names none
        return fileIndex(named: file)
    }

    private func fileIndex(named file: String) -> UInt8 {
        if file == lastFile { return lastFileIndex }
        let index = files.firstIndex(of: file) ?? {
            guard files.count < TimelineRecorder.maxFiles else { return -1 }
            files.append(file)
            return files.count - 1
        }()
        lastFile = file
        lastFileIndex = index < 0 ? 0 : UInt8(index + 1)
        return lastFileIndex
    }

    /// Over the budget: the exact frames of the quietest bin but the current one are
    /// given up (the busiest spans keep theirs, where counts would hide the most); the
    /// current bin's only when it is the last one left.
    private func giveUpExact(current: Int) {
        while exactCount > TimelineRecorder.exactBudget {
            var quietest = -1
            var fewest = Int32.max
            for b in 0..<TimelineRecorder.binCount where b != current && exactCounts[b] != 0 && exactCounts[b] < fewest {
                quietest = b
                fewest = exactCounts[b]
            }
            let b = quietest >= 0 ? quietest : current
            exactCounts[b] = 0
            exactCount -= exact[b].count
            exactDropped += exact[b].count
            exact[b] = []
            keptFlags[b] = false
        }
    }

    public func write(_ record: MalformedRecord) {}

    public func write(_ event: ElectionEvent) {
        // What tells the story, marked on the page (not every node-seen or peers-changed).
        switch event.kind {
        case .registryElected, .registryChanged, .registryConflict, .registryUnexpected, .registrySilent,
             .nodeDeclaredOffline, .nodeReturned, .nodeRenamed:
            break
        default:
            return
        }
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
        // A marker for each of them.
        guard markers.count < TimelineRecorder.maxMarkers else {
            markersDropped += 1
            return
        }
        markers.append(event)
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
        laneFrames[lanes.count - 1] = 0
        let needed = lanes.count * TimelineRecorder.laneStride
        if needed > countsCapacity {
            // Room for twice as many lanes, up to the cap, the counts so far moved over.
            let capacity = min(max(needed, 2 * countsCapacity), TimelineRecorder.maxLanes * TimelineRecorder.laneStride)
            let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
            grown.update(from: counts, count: needed - TimelineRecorder.laneStride)
            counts.deallocate()
            counts = grown
            countsCapacity = capacity
        }
        (counts + needed - TimelineRecorder.laneStride).initialize(repeating: 0, count: TimelineRecorder.laneStride)
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

    /// Halves the resolution: bins twice as wide, so the span fits again. Two bins'
    /// exact frames are kept together; the bin is whole only if both were (else it is
    /// drawn from its counts, with the frames that were kept over them).
    func coarsen() {
        let half = TimelineRecorder.binCount / 2 * 6
        for k in lanes.indices {
            let lane = counts + k * TimelineRecorder.laneStride
            // Bin b gets bins 2b and 2b + 1 (read before written: 2b >= b).
            for b in 0..<(TimelineRecorder.binCount / 2) {
                let from = lane + 12 * b, to = lane + 6 * b
                for t in 0..<6 { to[t] = from[t] &+ from[6 + t] }
            }
            (lane + half).update(repeating: 0, count: TimelineRecorder.laneStride - half)
        }
        for b in 0..<(TimelineRecorder.binCount / 2) {
            var merged = exact[2 * b]
            merged += exact[2 * b + 1]
            exact[b] = merged
            exactCounts[b] = Int32(merged.count)
            keptFlags[b] = keptFlags[2 * b] && keptFlags[2 * b + 1]
        }
        for b in (TimelineRecorder.binCount / 2)..<TimelineRecorder.binCount {
            exact[b] = []
            exactCounts[b] = 0
            keptFlags[b] = true
        }
        binWidth *= 2
    }

    /// The exact frames kept, in time order.
    var exactFrames: [ExactFrame] {
        var all: [ExactFrame] = []
        all.reserveCapacity(exactCount)
        for b in 0..<TimelineRecorder.binCount { all += exact[b] }
        return all
    }
}
