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

    public init() {}

    public func decode(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> DecodeResult {
        if memory.repeats(payload, sender: sender) {
            return .frame(FrameView(type: .full, payload: payload, warnings: memory.warnings, legacy: nil))
        }
        return decodeFrame(payload, sender: sender, memory: memory)
    }
}

/// The last FULL a decoder accepted: its bytes, sender and warnings, and where each
/// entry started with the warnings its name earned.
///
/// A new FULL's name can keep an old verdict when its entry's bytes are the old
/// FULL's: an entry that ends within the common start of the two entry regions is
/// the old entry of the same index at the same offset; an entry within the common
/// end is the old entry `shift` bytes away, if one started there.
final class FullMemory {
    private var bytes: UnsafeMutableRawPointer
    private var capacity = 2048
    private(set) var length = -1
    private var sender: IPv4Address? = nil
    private(set) var warnings: FrameWarnings = []
    /// The accepted FULL's entries, and those of the FULL being decoded.
    private var starts: UnsafeMutablePointer<Int32>
    private var verdicts: UnsafeMutablePointer<UInt16>
    private var count = 0
    private var nextStarts: UnsafeMutablePointer<Int32>
    private var nextVerdicts: UnsafeMutablePointer<UInt16>

    init() {
        bytes = .allocate(byteCount: capacity, alignment: 16)
        starts = .allocate(capacity: 256)
        verdicts = .allocate(capacity: 256)
        nextStarts = .allocate(capacity: 256)
        nextVerdicts = .allocate(capacity: 256)
    }

    deinit {
        bytes.deallocate()
        starts.deallocate(); verdicts.deallocate()
        nextStarts.deallocate(); nextVerdicts.deallocate()
    }

    /// The very bytes of the accepted FULL, from the same sender.
    func repeats(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> Bool {
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
        static let none = SharedRegions()
    }

    func sharedRegions(with payload: UnsafeRawBufferPointer) -> SharedRegions {
        guard length >= 2, payload.count >= 2 else { return .none }
        let new = payload.baseAddress!
        let shortest = min(length, payload.count)
        let prefix = commonPrefix(new + 2, bytes + 2, shortest - 2)
        // The common end, not reaching into the common start.
        let suffix = commonSuffix(new + payload.count, bytes + length, shortest - 2 - prefix)
        return SharedRegions(prefixEnd: 2 + prefix, suffixStart: payload.count - suffix, shift: payload.count - length, oldEntry: 0)
    }

    /// The warnings entry `index`, at `start` up to `end`, earned in the accepted
    /// FULL, if its bytes are that FULL's; nil if its name must be checked.
    @inline(__always)
    func knownWarnings(entry index: Int, at start: Int, end: Int, _ shared: inout SharedRegions) -> FrameWarnings? {
        if end <= shared.prefixEnd {
            return index < count ? FrameWarnings(rawValue: verdicts[index]) : nil
        }
        guard start >= shared.suffixStart else { return nil }
        let old = start - shared.shift
        while shared.oldEntry < count, Int(starts[shared.oldEntry]) < old { shared.oldEntry += 1 }
        guard shared.oldEntry < count, Int(starts[shared.oldEntry]) == old else { return nil }
        return FrameWarnings(rawValue: verdicts[shared.oldEntry])
    }

    /// Entry `index` of the FULL being decoded.
    @inline(__always)
    func note(entry index: Int, at start: Int, warnings: FrameWarnings) {
        nextStarts[index] = Int32(start)
        nextVerdicts[index] = warnings.rawValue
    }

    /// The FULL being decoded was accepted: it becomes the one remembered.
    func accept(_ payload: UnsafeRawBufferPointer, entries: Int, sender: IPv4Address?, warnings: FrameWarnings) {
        if payload.count > capacity {
            bytes.deallocate()
            capacity = payload.count
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        bytes.copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        length = payload.count
        self.sender = sender
        self.warnings = warnings
        swap(&starts, &nextStarts)
        swap(&verdicts, &nextVerdicts)
        count = entries
    }
}
