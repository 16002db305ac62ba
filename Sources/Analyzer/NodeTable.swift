import DiscoveryCodec
import WireBytes

/// Frames sent, by type: six counters in place, no heap. A tuple of Ints, laid out as
/// an array of them: a type's counter is found by its index, with no switch.
public struct FrameCounts: Sendable, Equatable {
    private var counts = (0, 0, 0, 0, 0, 0)

    public init() {}

    /// By `FrameType.index`.
    public subscript(index: Int) -> Int {
        get { counter(counts, at: index) }
        set { setCounter(&counts, at: index, to: newValue) }
    }

    /// One more frame of the type at `index`, counted where the counter lies (the
    /// subscript's read and write would copy the six counters out and back).
    @inline(__always)
    public mutating func add(_ index: Int) { addOne(to: &counts, at: index) }

    public var total: Int { counts.0 + counts.1 + counts.2 + counts.3 + counts.4 + counts.5 }

    public static func == (a: FrameCounts, b: FrameCounts) -> Bool {
        a.counts.0 == b.counts.0 && a.counts.1 == b.counts.1 && a.counts.2 == b.counts.2
            && a.counts.3 == b.counts.3 && a.counts.4 == b.counts.4 && a.counts.5 == b.counts.5
    }
}

/// The analyzer's nodes: one block of memory of its own, and an open-addressing index
/// from address to place in it, hashed with one multiplication (the per-frame lookups
/// are the analyzer's hot path; memory grows with the number of addresses only).
///
/// A class, not an array: the analyzer changes a node on nearly every frame, and an
/// array in a property would check its buffer is not shared before each change. What
/// `ElectionAnalyzer.nodes` gives is the analyzer's own table, not a copy: read it, do
/// not keep it past the next frame (`values` is a copy).
public final class NodeTable {
    /// The nodes, in the order first met, in place.
    private var base: UnsafeMutablePointer<Node>
    public private(set) var count = 0
    private var capacity: Int
    private var keys: [UInt32] = []
    private var slots: [Int32] = []
    private var mask = 0
    private var shift: UInt32 = 32

    public init() {
        capacity = 64
        base = .allocate(capacity: capacity)
        resize(to: 64)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The nodes in place, each read or changed where it lies (places are checked). A
    /// new node may move them: take this again after `place`.
    var storage: Nodes { Nodes(base: base, count: count) }

    /// Every node, in the order first met (a copy).
    public var values: [Node] { Array(storage) }

    public subscript(ip: IPv4Address) -> Node? {
        guard let index = find(ip) else { return nil }
        return base[index]
    }

    @inline(__always)
    private func bucket(_ key: UInt32) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> shift) & mask
    }

    /// The node's place in `storage`, if it is known.
    func find(_ ip: IPv4Address) -> Int? {
        var b = bucket(ip.value)
        while true {
            let slot = slots[b]
            if slot < 0 { return nil }
            if keys[b] == ip.value { return Int(slot) }
            b = (b + 1) & mask
        }
    }

    /// A frame from the node at `index` (a place `find` or `place` gave): it is seen,
    /// sent at `time`, one more frame of the type counted, in one access to the node.
    /// Returns its address, whether it was new, declared offline, and live, and the
    /// time of its frame before this one.
    @inline(__always)
    func heard(_ index: Int, type: Int, at time: Timestamp)
        -> (ip: IPv4Address, isNew: Bool, declaredOffline: Bool, live: Bool, previous: Timestamp?) {
        precondition(UInt(bitPattern: index) < UInt(count))
        let node = base + index
        let isNew = !node.pointee.seen
        node.pointee.seen = true
        if node.pointee.firstSent == nil { node.pointee.firstSent = time }
        let previous = node.pointee.lastSent
        node.pointee.lastSent = time
        node.pointee.framesByType.add(type)
        return (node.pointee.ip, isNew, node.pointee.declaredOffline, node.pointee.live, previous)
    }

    /// The node's place, making a new node if the address is new.
    func place(_ ip: IPv4Address) -> Int {
        var b = bucket(ip.value)
        while true {
            let slot = slots[b]
            if slot < 0 { break }
            if keys[b] == ip.value { return Int(slot) }
            b = (b + 1) & mask
        }
        if count == capacity {
            let larger = UnsafeMutablePointer<Node>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        let index = count
        (base + index).initialize(to: Node(ip: ip))
        count += 1
        keys[b] = ip.value
        slots[b] = Int32(index)
        if count * 2 > slots.count { resize(to: slots.count * 2) }
        return index
    }

    /// Gives the node at `index` to `ip`, a new address: the old address is forgotten
    /// (the node cap's eviction). The place keeps its index.
    func reuse(_ index: Int, for ip: IPv4Address) {
        // Linear probing: delete the old key by shifting back the run after it.
        var hole = bucket(storage[index].ip.value)
        while slots[hole] != Int32(index) { hole = (hole + 1) & mask }
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let home = bucket(keys[next])
            // Move the entry at `next` into the hole if its home is not between hole and next.
            let between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !between {
                keys[hole] = keys[next]
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        storage[index] = Node(ip: ip)
        var b = bucket(ip.value)
        while slots[b] >= 0 { b = (b + 1) & mask }
        keys[b] = ip.value
        slots[b] = Int32(index)
    }

    private func resize(to capacity: Int) {
        keys = [UInt32](repeating: 0, count: capacity)
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        shift = UInt32(32 - capacity.trailingZeroBitCount)
        for index in 0..<count {
            var b = bucket(base[index].ip.value)
            while slots[b] >= 0 { b = (b + 1) & mask }
            keys[b] = base[index].ip.value
            slots[b] = Int32(index)
        }
    }
}

/// A `NodeTable`'s nodes where they lie: read and changed in place, each place checked
/// against the count (a wrong place stops the program rather than touch other memory).
struct Nodes: RandomAccessCollection {
    let base: UnsafeMutablePointer<Node>
    let count: Int

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(index: Int) -> Node {
        @inline(__always) unsafeAddress {
            precondition(UInt(bitPattern: index) < UInt(count), "node place out of range")
            return UnsafePointer(base + index)
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            precondition(UInt(bitPattern: index) < UInt(count), "node place out of range")
            return base + index
        }
    }
}

/// Whether `bytes` equal `name`'s bytes (memcmp, no allocation).
@inline(__always)
func sameName(_ name: Name, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard name.bytes.count == bytes.count else { return false }
    if bytes.isEmpty { return true }
    return name.bytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
}

#if canImport(Glibc)
import Glibc
#endif
