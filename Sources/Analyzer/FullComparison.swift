#if canImport(Glibc)
import Glibc
#endif
import DiscoveryCodec
import WireBytes

/// What a FULL changed in the peer list against the previous FULL.
struct PeerChanges {
    var added: [IPv4Address] = []
    var removed: [IPv4Address] = []
    var renamed: [Rename] = []

    var isEmpty: Bool { added.isEmpty && removed.isEmpty && renamed.isEmpty }
}

/// The shortcuts that make a registry's FULLs cheap to follow, kept apart from the
/// election rules they serve. A registry repeats its FULL with little or no change,
/// so the analyzer needs, per FULL, only what changed:
///
/// - the previous FULL's bytes and entries (in wire order, with their nodes) are
///   kept in buffers reused from FULL to FULL;
/// - two FULLs in the firmware's order (sender first, then ascending addresses) are
///   compared by the bytes they share at their start and end (`compareShared`),
///   entries in between by address; other FULLs entry by entry (`compareAll`);
/// - listing stamps: every change that makes a listing matter again (a rename, an
///   OFFLINE, a return, a node leaving or entering L) bumps `version` and stamps the
///   node; an entry the previous FULL held too, for a node unchanged since, is a
///   listing already made and is skipped (`nextNeedingListing`).
///
/// `listsEveryEntry` turns every shortcut of the listings off: the plain rule the
/// differential tests hold the shortcuts against.
final class FullComparison {
    /// The previous FULL's payload (one buffer in raw memory, reused: reading it takes
    /// no reference).
    private var previousFull = RawBytes(capacity: 2048)
    private(set) var havePrevious = false
    /// The previous FULL's entries in wire order, and a scratch buffer for the current one's.
    private(set) var previousEntries = EntryBuffer()
    private(set) var currentEntries = EntryBuffer()
    /// Scratch for comparing FULLs whose entries are not in address order.
    private var previousOrder: [Int32] = []
    private var currentOrder: [Int32] = []
    /// The previous FULL's warnings: whether it listed an address twice (its
    /// listings are then all made again), or out of address order.
    private var previousWarnings: FrameWarnings = []
    /// Listing stamps: `version` when each node (by its place in the node table) last changed.
    private var stamps: [Int] = []
    private(set) var version = 0
    private(set) var versionAtPrevious = -1
    /// Makes every listing of every FULL, skipping none (the plain rule).
    var listsEveryEntry = false
    /// FULLs compared by their shared start and end (for tests to see the path taken),
    /// and of those, compared by the decoder's reading of that start and end.
    private(set) var comparedByShared = 0
    private(set) var comparedByLineage = 0
    /// The decoder's serial number of the FULL kept as the previous one (0: unknown).
    private var keptSerial: UInt64 = 0

    init() {}

    deinit {
        previousFull.deallocate()
        changedLog.deallocate()
        pending.deallocate()
    }

    /// The nodes changed since the previous FULL was kept, each once, in the order they
    /// first changed, at most `maxChangedLog`: beyond, `changedLogOverflowed`.
    private let changedLog = UnsafeMutablePointer<Int32>.allocate(capacity: FullComparison.maxChangedLog)
    private var changedLogCount = 0
    private var changedLogOverflowed = false
    /// While a FULL is listed by the log: the log's nodes looked up so far, and the
    /// places of their entries not listed yet.
    private var logLookedUp = 0
    private let pending = UnsafeMutablePointer<Int>.allocate(capacity: FullComparison.maxChangedLog)
    private var pendingCount = 0
    static let maxChangedLog = 32
    /// The entries compared last that may have no node (new or renamed entries: those
    /// between the shared start and end), when they are known to be only these; nil when
    /// the entries were compared one by one (any may lack a node).
    private(set) var unlistedRange: Range<Int>? = 0..<0
    /// FULLs whose listings were found through the change log (for tests to see the path taken).
    private(set) var listedByLog = 0
    /// Finds the listings through the change log where it can (tests turn it off to hold
    /// it against the scan alone).
    var findsByLog = true

    /// The node at `index` changed in a way that makes its next listing matter.
    @inline(__always)
    func nodeChanged(_ index: Int) {
        version &+= 1
        if index >= stamps.count { stamps.append(contentsOf: repeatElement(0, count: index + 1 - stamps.count)) }
        // Logged at its first change since the previous FULL.
        if stamps[index] <= versionAtPrevious {
            if changedLogCount < FullComparison.maxChangedLog {
                changedLog[changedLogCount] = Int32(truncatingIfNeeded: index)
                changedLogCount &+= 1
            } else {
                changedLogOverflowed = true
            }
        }
        stamps[index] = version
    }

    /// The next entry after `after` (-1: from the first) whose listing must be made
    /// again, found without looking at every entry: an entry without a node among
    /// `unlistedRange`, or the entry of a node changed since the previous FULL (the
    /// change log, each node's entry found once by halving: the entries after the first
    /// are in ascending address order). The same entry `nextNeedingListing` finds, when
    /// `canFindByLog` holds; `count` if none. Start with `beginListingByLog`.
    func nextByLog(_ base: UnsafeMutablePointer<FullEntry>, count: Int, after: Int, address: (Int) -> UInt32) -> Int {
        // Nodes logged since the last look (a listing may change nodes).
        while logLookedUp < changedLogCount {
            let node = changedLog[logLookedUp]
            logLookedUp &+= 1
            let ip = address(Int(node))
            var k = 0
            if count == 0 || base[0].ip != ip {
                k = partitionPoint(1..<max(count, 1)) { base[$0].ip < ip }
                guard k < count, base[k].ip == ip else { continue }
            }
            // An entry already passed is not looked at again, as the scan would not.
            if k > after && base[k].node == node {
                pending[pendingCount] = k
                pendingCount &+= 1
            }
        }
        var next = count
        var at = -1
        for p in 0..<pendingCount where pending[p] > after && pending[p] < next {
            next = pending[p]
            at = p
        }
        if let range = unlistedRange {
            var k = max(range.lowerBound, after + 1)
            while k < range.upperBound && k < next {
                if base[k].node < 0 { return k }
                k += 1
            }
        }
        if at >= 0 {
            pendingCount &-= 1
            pending[at] = pending[pendingCount]
        }
        return next
    }

    /// A FULL is about to be listed by the log.
    func beginListingByLog() {
        logLookedUp = 0
        pendingCount = 0
        listedByLog += 1
    }

    /// The FULL about to be listed is the previous one byte for byte: its entries are
    /// the previous entries, every one with its node.
    func reuseEntries() { unlistedRange = 0..<0 }

    /// Whether `nextByLog` may stand in for the scan: the entries are in the firmware's
    /// order (their first, then ascending addresses, each once), every entry outside
    /// `unlistedRange` has a node, no node's place was given to another address
    /// (`crowded`: the node cap may have), and the log holds every change.
    func canFindByLog(sorted: Bool, crowded: Bool) -> Bool {
        findsByLog && !listsEveryEntry && sorted && !crowded && !changedLogOverflowed && unlistedRange != nil
    }

    /// Whether the FULL is byte for byte the previous one (the decoder's comparison
    /// stands in when it compared with the very FULL kept here).
    func isIdentical(_ frame: FrameView) -> Bool {
        havePrevious && previousFull.withUnsafeBytes { frame.isSameFull(as: $0, serial: keptSerial) }
    }

    /// Nothing changed since the previous FULL: an identical FULL needs no listing.
    var unchangedSincePrevious: Bool { version == versionAtPrevious }

    /// The first entry from `start` on whose listing must be made again, `entries.count`
    /// if none: a new or renamed entry, or a node changed since the previous FULL. The
    /// stamps and the version are read once, in place, for the scan (most entries of a
    /// FULL are listings already made).
    func nextNeedingListing(_ base: UnsafeMutablePointer<FullEntry>, count: Int, from start: Int) -> Int {
        guard !listsEveryEntry else { return start }
        let version = versionAtPrevious
        return stamps.withUnsafeBufferPointer { stamps in
            var k = start
            while k < count {
                let node = Int(base[k].node)
                // (A node beyond the stamps has the stamp 0, as `nodeChanged` fills them.)
                if node < 0 || (node < stamps.count ? stamps[node] : 0) > version { return k }
                k &+= 1
            }
            return count
        }
    }

    /// Compares a FULL that is not byte for byte the previous one, filling
    /// `currentEntries` and `changes`. `repeats`: the FULL lists an address twice
    /// (every listing is made again, so no node is carried over). Returns whether the
    /// peer list changed (the lists are read in place, with no copy to count).
    func compare(_ frame: FrameView, repeats: Bool) -> Bool {
        let payload = frame.payload
        // The lists of the last comparison, emptied: their memory is used again when the
        // event that carried them is gone (a kept event keeps its own).
        if !changes.added.isEmpty { changes.added.removeAll(keepingCapacity: true) }
        if !changes.removed.isEmpty { changes.removed.removeAll(keepingCapacity: true) }
        if !changes.renamed.isEmpty { changes.renamed.removeAll(keepingCapacity: true) }
        let sorted = !frame.warnings.contains(.fullNotSorted)
        let skipUnchanged = havePrevious && !repeats && !previousWarnings.contains(.fullDuplicateIP)
        previousFull.withUnsafeBytes { old in
            let lineage = frame.lineage(comparedWith: keptSerial)
            if skipUnchanged, sorted, !previousWarnings.contains(.fullNotSorted),
               compareShared(payload, old: old, lineage: lineage, changes: &changes) {
                comparedByShared += 1
                if lineage != nil { comparedByLineage += 1 }
                return
            }
            unlistedRange = nil
            readEntries(payload, into: currentEntries)
            compareAll(payload, old: havePrevious ? old : nil, keepNodes: skipUnchanged, changes: &changes)
        }
        return !changes.isEmpty
    }

    /// What the last `compare` found (its lists reused from comparison to comparison).
    private(set) var changes = PeerChanges()

    /// Keeps this FULL as the previous one: its bytes and its entries (buffers reused).
    func keep(_ frame: FrameView, identical: Bool) {
        if !identical {
            previousFull.removeAll()
            previousFull.append(bytes: frame.payload)
            swap(&previousEntries, &currentEntries)
            havePrevious = true
        }
        keptSerial = frame.lineage.serial
        previousWarnings = frame.warnings
        versionAtPrevious = version
        changedLogCount = 0
        changedLogOverflowed = false
    }

    /// Fills `currentEntries` from the entries the two FULLs share at their start and
    /// end, and compares the entries in between by address. Both FULLs are in the
    /// firmware's order (their first entry, then ascending addresses, each once), and
    /// the first entry is shared: then the entries in between hold every address one
    /// FULL has and the other has not. False (nothing done) when the first entry differs.
    private func compareShared(_ payload: UnsafeRawBufferPointer, old: UnsafeRawBufferPointer, lineage: FullLineage?,
                               changes: inout PeerChanges) -> Bool {
        let new = payload.baseAddress!, oldBase = old.baseAddress!
        let newLength = payload.count, oldLength = old.count
        let prefixEnd: Int, suffixStart: Int
        if let lineage {
            // The decoder read these very bytes against these very old ones.
            prefixEnd = Int(lineage.prefixEnd)
            suffixStart = Int(lineage.suffixStart)
        } else {
            let shortest = min(newLength, oldLength)
            prefixEnd = 2 + commonPrefix(new + 2, oldBase + 2, shortest - 2)
            suffixStart = newLength - commonSuffix(new + newLength, oldBase + oldLength, shortest - prefixEnd)
        }
        let shift = newLength - oldLength
        let previous = previousEntries.base, current = currentEntries.base
        let oldCount = previousEntries.count

        // The shared start: old entries that end within it.
        let a = partitionPoint(0..<oldCount) { Int(previous[$0].nameOffset + previous[$0].nameLength) <= prefixEnd }
        guard a >= 1 else { return false }
        current.update(from: previous, count: a)

        // Entries after the shared start, until one starts where an old entry started
        // `shift` bytes away within the shared end: from there on they are the old ones.
        var offset = Int(previous[a - 1].nameOffset + previous[a - 1].nameLength)
        var count = a
        var oldSuffix = a  // the old entry where the shared end takes over
        var aligned = false
        while offset < newLength {
            if offset >= suffixStart {
                // The first old entry starting, `shift` bytes away, at or after `offset`:
                // the next one as the walk moves on, found by halving the first time.
                if oldSuffix < oldCount, Int(previous[oldSuffix].nameOffset) - 5 + shift < offset {
                    oldSuffix = partitionPoint((oldSuffix + 1)..<oldCount) { Int(previous[$0].nameOffset) - 5 + shift < offset }
                }
                if oldSuffix < oldCount, Int(previous[oldSuffix].nameOffset) - 5 + shift == offset { aligned = true; break }
            }
            let length = Int(new.load(fromByteOffset: offset + 4, as: UInt8.self))
            current[count] = FullEntry(ip: UInt32(bigEndian: new.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                                         nameOffset: UInt32(offset + 5), nameLength: UInt32(length), node: -1)
            count += 1
            offset += 5 + length
        }
        let middleEnd = count
        unlistedRange = a..<middleEnd
        if aligned {
            // Wrapping: an old entry's offset plus the shift is a new entry's, within the
            // payload (no check to trap on, so the loop is a plain copy and an add).
            let delta = UInt32(truncatingIfNeeded: shift)
            let taken = oldCount - oldSuffix
            if MemoryLayout<FullEntry>.stride == 16, MemoryLayout<FullEntry>.offset(of: \FullEntry.nameOffset) == 4 {
                // An entry is four 32-bit words, the offset the second: one vector add each.
                let add = SIMD4<UInt32>(0, delta, 0, 0)
                let from = UnsafeRawPointer(previous + oldSuffix), to = UnsafeMutableRawPointer(current + count)
                for k in 0..<taken {
                    let entry = from.loadUnaligned(fromByteOffset: k &* 16, as: SIMD4<UInt32>.self)
                    to.storeBytes(of: entry &+ add, toByteOffset: k &* 16, as: SIMD4<UInt32>.self)
                }
            } else {
                for k in 0..<taken {
                    var entry = previous[oldSuffix &+ k]
                    entry.nameOffset = entry.nameOffset &+ delta
                    current[count &+ k] = entry
                }
            }
            count &+= taken
        } else {
            oldSuffix = oldCount
        }
        currentEntries.count = count

        // The entries in between, both in ascending address order.
        var i = a, j = a
        while i < oldSuffix || j < middleEnd {
            if j == middleEnd || (i < oldSuffix && previous[i].ip < current[j].ip) {
                changes.removed.append(IPv4Address(previous[i].ip)); i += 1
            } else if i == oldSuffix || current[j].ip < previous[i].ip {
                changes.added.append(IPv4Address(current[j].ip)); j += 1
            } else {
                compareNames(previous[i], oldBase, &current[j], new, &changes)
                i += 1; j += 1
            }
        }
        return true
    }

    /// Compares every entry by address: the FULLs' entries sorted (stable, so that a
    /// repeated address keeps its first listing) and merged.
    private func compareAll(_ payload: UnsafeRawBufferPointer, old: UnsafeRawBufferPointer?, keepNodes: Bool,
                            changes: inout PeerChanges) {
        let current = currentEntries.base
        sortedOrder(currentEntries, into: &currentOrder)
        guard let old else { return }
        let previous = previousEntries.base
        sortedOrder(previousEntries, into: &previousOrder)
        var i = 0, j = 0
        while i < previousOrder.count || j < currentOrder.count {
            let p = i < previousOrder.count ? Int(previousOrder[i]) : -1
            let c = j < currentOrder.count ? Int(currentOrder[j]) : -1
            if c < 0 || (p >= 0 && previous[p].ip < current[c].ip) {
                changes.removed.append(IPv4Address(previous[p].ip)); i += 1
            } else if p < 0 || current[c].ip < previous[p].ip {
                changes.added.append(IPv4Address(current[c].ip)); j += 1
            } else {
                compareNames(previous[p], old.baseAddress!, &current[c], payload.baseAddress!, &changes)
                if !keepNodes { current[c].node = -1 }
                i += 1; j += 1
            }
        }
    }

    /// One address in both FULLs: renamed, or the same listing (its node carried over).
    @inline(__always)
    private func compareNames(_ o: FullEntry, _ oldBase: UnsafeRawPointer, _ n: inout FullEntry, _ newBase: UnsafeRawPointer,
                              _ changes: inout PeerChanges) {
        let a = UnsafeRawBufferPointer(start: oldBase + Int(o.nameOffset), count: Int(o.nameLength))
        let b = UnsafeRawBufferPointer(start: newBase + Int(n.nameOffset), count: Int(n.nameLength))
        if sameBytes(a, b) {
            n.node = o.node
        } else {
            changes.renamed.append(Rename(ip: IPv4Address(o.ip), from: Name(bytes: Array(a)), to: Name(bytes: Array(b))))
        }
    }
}

/// A FULL entry: its address, where its name lies in the payload, and its node.
struct FullEntry {
    var ip: UInt32
    var nameOffset: UInt32
    var nameLength: UInt32
    /// The node's place in the table, once listed (-1 before).
    var node: Int32
}

/// A FULL's entries in raw memory, reused from FULL to FULL (a FULL lists at most 255).
final class EntryBuffer {
    let base: UnsafeMutablePointer<FullEntry>
    var count = 0
    init() { base = .allocate(capacity: 256) }
    deinit { base.deallocate() }
}

/// The entries of a FULL that the codec accepted, in wire order, without nodes.
private func readEntries(_ payload: UnsafeRawBufferPointer, into entries: EntryBuffer) {
    let raw = payload.baseAddress!
    let count = Int(raw.load(fromByteOffset: 1, as: UInt8.self))
    var offset = 2
    for k in 0..<count {
        let length = Int(raw.load(fromByteOffset: offset + 4, as: UInt8.self))
        entries.base[k] = FullEntry(ip: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                                      nameOffset: UInt32(offset + 5), nameLength: UInt32(length), node: -1)
        offset += 5 + length
    }
    entries.count = count
}

/// The entries' places sorted by address (stable), each address once: its first listing.
private func sortedOrder(_ entries: EntryBuffer, into order: inout [Int32]) {
    order.removeAll(keepingCapacity: true)
    let base = entries.base
    for k in 0..<entries.count {
        // Insertion: a FULL is sorted already but for its first entry.
        let ip = base[k].ip
        var at = order.count
        while at > 0, base[Int(order[at - 1])].ip > ip { at -= 1 }
        if at > 0, base[Int(order[at - 1])].ip == ip { continue }  // a repeat: the first listing stands
        order.insert(Int32(k), at: at)
    }
}

/// Whether two byte runs are equal (names: short, compared in place).
@inline(__always)
private func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = a.count
    guard n == b.count else { return false }
    guard n > 0 else { return true }
    return memcmp(a.baseAddress!, b.baseAddress!, n) == 0
}
