import Analyzer
import DiscoveryCodec
import WireBytes

/// What the page (`--html`) needs of the frames and events as they pass, in bounded
/// memory and O(1) work per packet (amortised): each node's frames counted into time
/// bins by type, its offline spans, the exact frames of the busiest spans up to a
/// budget, and the election events to mark. Frames come from the pipeline
/// (`frame(_:from:to:origin:)`), events as a writer's. Only numbers and indexes are
/// kept as they pass: no string is made, formatted or escaped until the page is drawn,
/// once.
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
    /// Each lane's offline spans, counted, and whether the last is open: an OFFLINE storm's
    /// events are answered from these (the spans themselves change a few times a lane).
    private let offlineSpans = UnsafeMutablePointer<UInt8>.allocate(capacity: maxLanes)
    private let offlineOpen = UnsafeMutablePointer<Bool>.allocate(capacity: maxLanes)
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
    /// The lane has frames of some type in the bin.
    func heard(lane: Int, bin: Int) -> Bool {
        let at = counts + lane * TimelineRecorder.laneStride + bin * 6
        return at[0] | at[1] | at[2] | at[3] | at[4] | at[5] != 0
    }
    /// The frames of the lane.
    func frames(lane: Int) -> Int {
        // The sum of its counts (kept apart, it was one more store at every frame).
        let at = counts + lane * TimelineRecorder.laneStride
        var total = 0
        for k in 0..<TimelineRecorder.laneStride { total += Int(at[k]) }
        return total
    }

    /// The exact frames of each bin, in time order (`exactCounts` of them, in room for
    /// `exactRoom`; raw memory, not an array of arrays: an append checked two arrays'
    /// uniqueness). A bin not `exactKept` had frames given up for the budget: it is
    /// drawn from its counts (with the exact frames it still has, from a half that was
    /// whole when two bins merged).
    private let exactBins = UnsafeMutablePointer<UnsafeMutablePointer<ExactFrame>?>.allocate(capacity: binCount)
    private let exactRoom = UnsafeMutablePointer<Int32>.allocate(capacity: binCount)
    /// Memory for exact frames no bin uses any more (a bin's given up, outgrown or
    /// merged into another), the largest so far (`spareRoom` frames), for the next bin
    /// that needs room.
    private var spare: UnsafeMutablePointer<ExactFrame>?
    private var spareRoom = 0
    private let keptFlags = UnsafeMutablePointer<Bool>.allocate(capacity: binCount)
    var exactKept: UnsafeBufferPointer<Bool> { UnsafeBufferPointer(start: keptFlags, count: TimelineRecorder.binCount) }
    var exactCount = 0
    /// The exact frames kept in each bin, side by side.
    private let exactCounts = UnsafeMutablePointer<Int32>.allocate(capacity: binCount)
    /// The bins ranked for `quietestBin`: a tournament tree over `treeLeaves` leaves
    /// (bin b at leaf b, node i over nodes 2i and 2i + 1, the root at 1), each node the
    /// least `rank` below it. Frames are added to the bin located last, so the tree is
    /// brought up to date only for the bins located since the last look (`located`),
    /// when a bin is to be given up, not at each frame; after `coarsen`, whole.
    private static let treeLeaves = 1024
    private let tree = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * treeLeaves)
    private let located = UnsafeMutablePointer<Int32>.allocate(capacity: binCount)
    private let isLocated = UnsafeMutablePointer<Bool>.allocate(capacity: binCount)
    private var locatedCount = 0
    private var treeIsStale = true
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
    /// The bin the last frame fell in, and its span of offsets [low, high): the frames
    /// that follow fall in it too, mostly, and need no division (empty after `coarsen`).
    private var cachedBin = 0
    private var cachedBinLow: Int64 = 0
    private var cachedBinHigh: Int64 = -1
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
        exactBins.initialize(repeating: nil, count: TimelineRecorder.binCount)
        exactRoom.initialize(repeating: 0, count: TimelineRecorder.binCount)
        tree.initialize(repeating: .max, count: 2 * TimelineRecorder.treeLeaves)
        isLocated.initialize(repeating: false, count: TimelineRecorder.binCount)
        markers.reserveCapacity(256)
        describer.nameOf = { [unowned self] in self.nameOf($0) }
    }

    deinit {
        counts.deallocate()
        offlineSpans.deallocate()
        offlineOpen.deallocate()
        keptFlags.deallocate()
        exactCounts.deallocate()
        for b in 0..<TimelineRecorder.binCount { exactBins[b]?.deallocate() }
        exactBins.deallocate()
        spare?.deallocate()
        exactRoom.deallocate()
        tree.deallocate()
        located.deallocate()
        isLocated.deallocate()
        slotKeys.deallocate()
        slotLanes.deallocate()
    }

    // MARK: Records

    /// Frames come through `frame(_:from:to:origin:)`, which the pipeline calls for
    /// each one with no record made: the recorder takes no frame records.
    public var takesFrames: Bool { false }
    /// The page marks what tells the story, not each change of a FULL's list (`write(_:)`).
    public var takesPeersChanged: Bool { false }
    public func write(_ record: FrameRecord) {}

    /// A frame, as the pipeline decoded it: counted in its sender's lane and time bin,
    /// and kept exactly while the budget allows. Integer work only, on raw memory.
    public func frame(_ view: FrameView, from source: IPv4Address, to destination: IPv4Address, origin: PacketOrigin) {
        let time = origin.time
        let now = time.totalNanoseconds
        if startNanoseconds == .min { start = time; startNanoseconds = now }
        if now > lastNanoseconds { lastNanoseconds = now; lastPrecision = time.precision }
        // Beyond `maxLanes` a node's frames are not drawn (the page says how many nodes).
        guard let lane = lane(for: source) else {
            framesWithoutLane &+= 1
            return
        }
        let offset = now &- startNanoseconds
        let bin = offset >= cachedBinLow && offset < cachedBinHigh ? cachedBin : locateBin(offset)
        let type = view.type
        counts[lane &* TimelineRecorder.laneStride &+ bin &* 6 &+ type.index] &+= 1
        guard keptFlags[bin] else {
            exactDropped &+= 1
            return
        }
        // Room first: what the frame's line needs is read after (not held across the call).
        let kept = Int(exactCounts[bin])
        if kept == Int(exactRoom[bin]) { growExact(bin) }
        var other: UInt32 = 0
        switch type {
        case .ping, .pong: other = destination.value
        case .offline: other = view.offlineIP.value
        case .full: other = view.payload.count > 1 ? UInt32(view.payload[1]) : 0
        default: break
        }
        (exactBins[bin].unsafelyUnwrapped + kept).initialize(to: ExactFrame(
            nanoseconds: now, number: origin.number, other: other, lane: UInt16(truncatingIfNeeded: lane),
            type: UInt8(truncatingIfNeeded: type.index), file: fileIndex(origin)))
        exactCounts[bin] = Int32(truncatingIfNeeded: kept &+ 1)
        exactCount &+= 1
        if exactCount > TimelineRecorder.exactBudget { giveUpExact(current: bin) }
    }

    /// The bin of a frame `offset` nanoseconds after the first, coarsening until it fits
    /// (a frame before the first, from another input, goes in the first bin); remembered
    /// with its span for the frames that follow.
    @inline(never)
    private func locateBin(_ offset: Int64) -> Int {
        var bin = Int(offset / binWidth)
        while bin >= TimelineRecorder.binCount {
            coarsen()
            bin = Int(offset / binWidth)
        }
        guard offset >= 0 else {
            noteLocated(0)
            return 0
        }
        noteLocated(bin)
        cachedBin = bin
        cachedBinLow = Int64(bin) * binWidth
        cachedBinHigh = cachedBinLow + binWidth
        return bin
    }

    /// Room for more exact frames in the bin: 64 at first (at most 0.9 MB over all the
    /// bins), then twice as many; or the spare, if it holds at least as many.
    @inline(never)
    private func growExact(_ bin: Int) {
        let kept = Int(exactCounts[bin])
        var room = max(64, 2 * Int(exactRoom[bin]))
        let grown: UnsafeMutablePointer<ExactFrame>
        if let spare, spareRoom >= room {
            (grown, room) = (spare, spareRoom)
            self.spare = nil
        } else {
            grown = .allocate(capacity: room)
        }
        if let old = exactBins[bin] {
            grown.moveInitialize(from: old, count: kept)
            keepOrFree(old, room: Int(exactRoom[bin]))
        }
        exactBins[bin] = grown
        exactRoom[bin] = Int32(room)
    }

    /// The bin's exact frames given up (its memory kept as the spare if it is the
    /// largest given up so far, else freed).
    private func clearExact(_ bin: Int) {
        if let frames = exactBins[bin] { keepOrFree(frames, room: Int(exactRoom[bin])) }
        exactBins[bin] = nil
        exactRoom[bin] = 0
        exactCounts[bin] = 0
    }

    private func keepOrFree(_ frames: UnsafeMutablePointer<ExactFrame>, room: Int) {
        if room > spareRoom || spare == nil {
            spare?.deallocate()
            (spare, spareRoom) = (frames, room)
        } else {
            frames.deallocate()
        }
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
    /// current bin's only when it is the last one left. Of bins as quiet, the first.
    @inline(never)
    private func giveUpExact(current: Int) {
        while exactCount > TimelineRecorder.exactBudget {
            let b = quietestBin(but: current) ?? current
            exactCount -= Int(exactCounts[b])
            exactDropped += Int(exactCounts[b])
            clearExact(b)
            if !treeIsStale { setRank(b, rank(b)) }
            keptFlags[b] = false
        }
    }

    /// The first of the bins with the fewest exact frames (but at least one), `current`
    /// left out; nil if no other bin has any. Read at the tree's root, with `current`
    /// out of the running while it is read: a few dozen instructions, not a scan of
    /// every bin (a long capture gives up bins by the thousand).
    func quietestBin(but current: Int) -> Int? {
        if treeIsStale {
            for b in 0..<TimelineRecorder.binCount { tree[TimelineRecorder.treeLeaves + b] = rank(b) }
            for i in stride(from: TimelineRecorder.treeLeaves - 1, through: 1, by: -1) { tree[i] = min(tree[2 * i], tree[2 * i + 1]) }
            treeIsStale = false
        } else {
            for k in 0..<locatedCount { setRank(Int(located[k]), rank(Int(located[k]))) }
        }
        for k in 0..<locatedCount { isLocated[Int(located[k])] = false }
        locatedCount = 0
        // The bins frames still go to without being located again.
        noteLocated(current)
        noteLocated(cachedBin)
        setRank(current, .max)
        let least = tree[1]
        setRank(current, rank(current))
        guard least >> 32 != UInt64(UInt32.max) else { return nil }
        return Int(truncatingIfNeeded: least & 0xFFFF_FFFF)
    }

    /// A bin's place in the ranking: its exact frames less one, unsigned (an empty bin
    /// ranks last), then its index (the first of equals first).
    @inline(__always)
    private func rank(_ b: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: exactCounts[b]) &- 1) << 32 | UInt64(b)
    }

    private func setRank(_ b: Int, _ value: UInt64) {
        var i = TimelineRecorder.treeLeaves + b
        tree[i] = value
        while i > 1 {
            i >>= 1
            tree[i] = min(tree[2 * i], tree[2 * i + 1])
        }
    }

    /// Frames may be kept in the bin from now on: its rank is brought up to date at the next look.
    private func noteLocated(_ b: Int) {
        guard !isLocated[b] else { return }
        isLocated[b] = true
        located[locatedCount] = Int32(truncatingIfNeeded: b)
        locatedCount += 1
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
            // A span opens when none is open, while the lane has room for one.
            if let lane = lane(for: ip), !offlineOpen[lane], Int(offlineSpans[lane]) < TimelineRecorder.maxOfflineSpans {
                lanes[lane].offline.append((event.time, nil))
                offlineSpans[lane] += 1
                offlineOpen[lane] = true
            }
        case let .nodeReturned(ip):
            if let lane = laneIndex(ip), offlineOpen[lane] {
                lanes[lane].offline[lanes[lane].offline.count - 1].until = event.time
                offlineOpen[lane] = false
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
    /// The lookup is in line in `frame` (a node that has a lane, nearly every frame);
    /// making a lane is not.
    @inline(__always)
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
        return newLane(for: ip, at: slot)
    }

    /// A lane for a node that has none, at its free slot, if there is room.
    @inline(never)
    private func newLane(for ip: IPv4Address, at slot: Int) -> Int? {
        guard lanes.count < TimelineRecorder.maxLanes else { return nil }
        lanes.append(Lane(ip: ip))
        offlineSpans[lanes.count - 1] = 0
        offlineOpen[lanes.count - 1] = false
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
        // Bin b's exact frames are 2b's then 2b + 1's: taken before the two are cleared
        // (b itself is one of them only for b = 0), set after.
        for b in 0..<(TimelineRecorder.binCount / 2) {
            let first = 2 * b, second = 2 * b + 1
            let n1 = Int(exactCounts[first]), n2 = Int(exactCounts[second])
            var merged: UnsafeMutablePointer<ExactFrame>?
            var room: Int32 = 0
            if n2 == 0 {
                (merged, room) = (exactBins[first], exactRoom[first])
                exactBins[first] = nil
            } else if n1 == 0 {
                (merged, room) = (exactBins[second], exactRoom[second])
                exactBins[second] = nil
            } else {
                let both = UnsafeMutablePointer<ExactFrame>.allocate(capacity: n1 + n2)
                both.initialize(from: exactBins[first].unsafelyUnwrapped, count: n1)
                (both + n1).initialize(from: exactBins[second].unsafelyUnwrapped, count: n2)
                (merged, room) = (both, Int32(n1 + n2))
            }
            let kept = keptFlags[first] && keptFlags[second]
            clearExact(first)
            clearExact(second)
            exactBins[b] = merged
            exactRoom[b] = room
            exactCounts[b] = Int32(n1 + n2)
            keptFlags[b] = kept
        }
        for b in (TimelineRecorder.binCount / 2)..<TimelineRecorder.binCount {
            keptFlags[b] = true
        }
        binWidth *= 2
        cachedBinHigh = -1
        treeIsStale = true
    }

    /// The exact frames kept, in time order.
    var exactFrames: [ExactFrame] {
        var all: [ExactFrame] = []
        all.reserveCapacity(exactCount)
        for b in 0..<TimelineRecorder.binCount where exactCounts[b] > 0 {
            all += UnsafeBufferPointer(start: exactBins[b], count: Int(exactCounts[b]))
        }
        return all
    }
}
