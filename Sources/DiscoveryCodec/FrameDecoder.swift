import Synchronization
import WireBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `decodeFrame` with a memory of the last FULL it accepted. A registry repeats its
/// FULL every few seconds, the same bytes or with an entry added, dropped or renamed.
/// The same bytes from the same sender decode to the same frame and warnings, so a
/// repeat is recognised by one comparison; in a FULL that changed, the entries it
/// shares with the last one keep their names' verdicts (`FullMemory`). Every FULL
/// is still walked and bounds-checked whole; the decoding is the codec's own.
public final class FrameDecoder {
    let memory = FullMemory()

    /// A decoder that remembers nothing yet.
    public init() {}

    /// Decodes one UDP payload as `decodeFrame(_:sender:)` does, to the same result,
    /// and remembers it if it is a FULL. The result borrows `payload`.
    @inlinable @inline(__always)
    public func decode(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> DecodeResult {
        // PING, PONG and OFFLINE of their one right length, most of a LAN's frames: what
        // `decodeFrame` makes of them, made in line in the caller (no name to check, no
        // warning a frame of a few bytes can earn).
        if payload.count == 1 || payload.count == 5, let type = FrameType.of(payload.load(as: UInt8.self)),
           payload.count == 1 ? (type == .ping || type == .pong) : type == .offline {
            return .frame(FrameView(type: type, payload: payload, warnings: [], legacy: nil))
        }
        return decodeOther(payload, sender: sender)
    }

    /// Every other payload: a repeated FULL by one comparison, the rest by `decodeFrame`.
    @usableFromInline @inline(never)
    func decodeOther(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> DecodeResult {
        if memory.repeats(payload, sender: sender) {
            var view = FrameView(type: .full, payload: payload, warnings: memory.warnings, legacy: nil)
            view.lineage = FullLineage(serial: memory.serial, comparedWith: memory.serial, prefixEnd: payload.count, suffixStart: 2)
            return .frame(view)
        }
        return decodeFrame(payload, sender: sender, memory: memory)
    }
}

extension FrameView {
    /// The decoder's comparison of this FULL, if it compared it with the FULL whose
    /// serial number is `kept` (0: unknown): what a reader that kept that very FULL
    /// may take instead of comparing the same bytes again.
    @inlinable
    package func lineage(comparedWith kept: UInt64) -> FullLineage? {
        kept != 0 && lineage.comparedWith == kept ? lineage : nil
    }

    /// Whether this FULL is byte for byte `keptBytes`, the FULL whose serial number is
    /// `kept` (0: unknown): by the decoder's word when it repeated that very FULL or
    /// compared this one with it, else by the bytes.
    @inlinable
    package func isSameFull(as keptBytes: UnsafeRawBufferPointer, serial kept: UInt64) -> Bool {
        if kept != 0 && lineage.serial == kept { return true }
        guard keptBytes.count == payload.count else { return false }
        if let shared = lineage(comparedWith: kept) {
            return Int(shared.prefixEnd) == payload.count && keptBytes[1] == payload[1]
        }
        return payload.isEmpty || memcmp(keptBytes.baseAddress!, payload.baseAddress!, payload.count) == 0
    }
}

/// The last FULL a decoder accepted: its bytes, sender and warnings, and for each
/// entry where it started, its address and the warnings its name earned.
///
/// A new FULL's entry is the old FULL's when its bytes are: an entry that ends
/// within the common start of the two entry regions is the old entry of the same
/// index at the same offset; an entry within the common end is the old entry
/// `shift` bytes away, if one started there. When the old FULL kept the firmware's
/// order, the walk takes its shared start whole (`takeSharedStart`), and once it
/// reaches an old entry within the shared end with as many entries left, the rest
/// whole (`takeSharedEnd`): the order needs checking only where they meet.
final class FullMemory {
    private var bytes: UnsafeMutableRawPointer
    private var capacity = 2048
    private(set) var length = -1
    private var sender: IPv4Address? = nil
    private(set) var warnings: FrameWarnings = []
    /// The accepted FULL kept the firmware's order (no order warning).
    private var ordered = false
    private var count = 0
    /// Per entry of the accepted FULL (and of the FULL being decoded): start, address,
    /// name warnings.
    private var table: EntryTable
    private var next: EntryTable
    /// The union of the accepted FULL's name warnings (most FULLs have none: then the
    /// union over any run of its entries is empty without a look).
    private var names: UInt16 = 0
    /// How often a walk took a shared start, and a shared end (for tests to see).
    private(set) var tookStarts = 0, tookEnds = 0
    /// The accepted FULL's serial number (0: none yet), and the next one's: each
    /// memory numbers from its own base, 2^32 apart, so that numbers are unique
    /// across decoders (`FullLineage`).
    private(set) var serial: UInt64 = 0
    private var nextSerial: UInt64
    private static let bases = Atomic<UInt64>(0)

    struct EntryTable {
        var starts: UnsafeMutablePointer<Int32> = .allocate(capacity: 256)
        var ips: UnsafeMutablePointer<UInt32> = .allocate(capacity: 256)
        var verdicts: UnsafeMutablePointer<UInt16> = .allocate(capacity: 256)

        func deallocate() {
            starts.deallocate(); ips.deallocate(); verdicts.deallocate()
        }
    }

    init() {
        nextSerial = (FullMemory.bases.wrappingAdd(1, ordering: .relaxed).newValue << 32) + 1
        bytes = .allocate(byteCount: capacity, alignment: 16)
        table = EntryTable()
        next = EntryTable()
    }

    deinit {
        bytes.deallocate()
        table.deallocate()
        next.deallocate()
    }

    /// The very bytes of the accepted FULL, from the same sender.
    func repeats(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> Bool {
        // The comparison is covered by the equal counts.
        payload.count == length && sender == self.sender && memcmp(bytes, payload.baseAddress!, length) == 0
    }

    /// Where a new FULL's bytes are the accepted FULL's: its entry region (from
    /// offset 2) agrees up to `prefixEnd`, and from `suffixStart` to its end agrees
    /// with the old one's end, `shift` bytes away. `oldEntry` walks the old entries.
    struct SharedRegions {
        var prefixEnd = 2
        var suffixStart = Int.max
        var shift = 0
        var oldEntry = 0
        var newLength = 0
        /// The walk took the shared start (so that the first entry is the old one's).
        var tookStart = false
        static let none = SharedRegions()
    }

    func sharedRegions(with payload: UnsafeRawBufferPointer) -> SharedRegions {
        guard length >= 2, payload.count >= 2 else { return .none }
        let new = payload.baseAddress!
        // Both comparisons read within the shorter FULL: covered by `shortest`.
        let shortest = min(length, payload.count)
        let prefix = commonPrefix(new + 2, bytes + 2, shortest - 2)
        // The common end, not reaching into the common start.
        let suffix = commonSuffix(new + payload.count, bytes + length, shortest - 2 - prefix)
        return SharedRegions(prefixEnd: 2 + prefix, suffixStart: payload.count - suffix, shift: payload.count - length,
                             oldEntry: 0, newLength: payload.count)
    }

    @inline(__always)
    private func end(of entry: Int) -> Int {
        entry + 1 < count ? Int(table.starts[entry + 1]) : length
    }

    /// Takes the old entries that end within the shared start, if the old FULL kept
    /// the firmware's order and the new one lists at least as many.
    func takeSharedStart(count newCount: Int, _ shared: inout SharedRegions, _ walk: inout FullWalk) {
        guard ordered, count > 0 else { return }
        // The first entry that ends past the shared start.
        let a = partitionPoint(0..<count) { end(of: $0) <= shared.prefixEnd }
        guard a >= 1, a <= newCount else { return }
        next.starts.update(from: table.starts, count: a)
        next.ips.update(from: table.ips, count: a)
        next.verdicts.update(from: table.verdicts, count: a)
        walk.index = a
        walk.offset = end(of: a - 1)
        walk.first = table.ips[0]
        walk.previous = table.ips[a - 1]
        walk.names.formUnion(FrameWarnings(rawValue: names(of: 0..<a)))
        shared.tookStart = true
        tookStarts += 1
    }

    /// Takes the rest of the entries when the walk is at an old entry (not the first)
    /// within the shared end and as many entries are left: true if it did.
    @inline(__always)
    func takeSharedEnd(count newCount: Int, _ shared: inout SharedRegions, _ walk: inout FullWalk) -> Bool {
        guard shared.tookStart, walk.offset >= shared.suffixStart else { return false }
        let old = walk.offset - shared.shift
        shared.oldEntry = firstEntry(from: shared.oldEntry, startingAtOrAfter: old)
        let j = shared.oldEntry
        guard j >= 1, j < count, Int(table.starts[j]) == old, newCount - walk.index == count - j else { return false }
        // Where the two meet, the order is checked; beyond, it is the old FULL's.
        walk.order(table.ips[j])
        walk.names.formUnion(FrameWarnings(rawValue: names(of: j..<count)))
        let taken = count - j
        let shift = Int32(shared.shift)
        // Wrapping: an old start plus the shift is a new start, within the payload (no
        // check to trap on, so the loop is vectorised).
        let from = table.starts + j, to = next.starts + walk.index
        for k in 0..<taken { to[k] = from[k] &+ shift }
        (next.ips + walk.index).update(from: table.ips + j, count: taken)
        (next.verdicts + walk.index).update(from: table.verdicts + j, count: taken)
        walk.previous = table.ips[count - 1]
        walk.index = newCount
        walk.offset = shared.newLength
        tookEnds += 1
        return true
    }

    /// The first old entry from `from` on that starts at or after `offset` (`count` if
    /// none): the next one when the walk moves on by an entry, else found by halving.
    @inline(__always)
    private func firstEntry(from: Int, startingAtOrAfter offset: Int) -> Int {
        if from >= count || Int(table.starts[from]) >= offset { return from }
        return partitionPoint((from + 1)..<count) { Int(table.starts[$0]) < offset }
    }

    /// The union of the name warnings of the accepted FULL's entries in `range`.
    @inline(__always)
    private func names(of range: Range<Int>) -> UInt16 {
        guard names != 0 else { return 0 }
        var union: UInt16 = 0
        for k in range { union |= table.verdicts[k] }
        return union
    }

    /// The warnings entry `index`, at `start` up to `end`, earned in the accepted
    /// FULL, if its bytes are that FULL's; nil if its name must be checked.
    @inline(__always)
    func knownWarnings(entry index: Int, at start: Int, end: Int, _ shared: inout SharedRegions) -> FrameWarnings? {
        if end <= shared.prefixEnd {
            return index < count ? FrameWarnings(rawValue: table.verdicts[index]) : nil
        }
        guard start >= shared.suffixStart else { return nil }
        let old = start - shared.shift
        shared.oldEntry = firstEntry(from: shared.oldEntry, startingAtOrAfter: old)
        guard shared.oldEntry < count, Int(table.starts[shared.oldEntry]) == old else { return nil }
        return FrameWarnings(rawValue: table.verdicts[shared.oldEntry])
    }

    /// Entry `index` of the FULL being decoded.
    @inline(__always)
    func note(entry index: Int, at start: Int, ip: UInt32, warnings: FrameWarnings) {
        next.starts[index] = Int32(start)
        next.ips[index] = ip
        next.verdicts[index] = warnings.rawValue
    }

    /// The FULL being decoded was accepted: it becomes the one remembered.
    func accept(_ payload: UnsafeRawBufferPointer, entries: Int, sender: IPv4Address?, warnings: FrameWarnings, names: FrameWarnings) {
        if payload.count > capacity {
            bytes.deallocate()
            capacity = payload.count
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        bytes.copyMemory(from: payload.baseAddress!, byteCount: payload.count)  // covered: capacity >= payload.count
        length = payload.count
        self.sender = sender
        self.warnings = warnings
        ordered = warnings.isDisjoint(with: [.fullNotSorted, .fullDuplicateIP])
        self.names = names.rawValue
        swap(&table, &next)
        count = entries
        serial = nextSerial
        nextSerial += 1
    }
}
