import WireBytes

/// IPv4 fragment reassembly (RFC 791, with RFC 815's hole bookkeeping kept simple):
/// fragments may come out of order and more than once; a datagram that does not
/// complete within `timeout` (capture time) or that would pass the memory bounds
/// is given up and handed back so that it can be reported.
///
/// `Tag` is what the caller keeps about each fragment's packet (its number, its
/// time, a copy of it for a dump file); the layer knows nothing of that.
///
/// Keep one reassembler per input and do not copy it: a copy shares the memory whole
/// datagrams are laid out in, so a payload one lent would be overwritten by the
/// other's next completed datagram.
public struct FragmentReassembler<Tag> {
    public struct Key: Hashable, Sendable {
        public var source: IPv4Address
        public var destination: IPv4Address
        public var identification: UInt16
        public var protocolNumber: UInt8

        /// The four fields packed into two words: the same equality as the fields one by
        /// one, and half the calls into the hasher.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(UInt64(source.value) << 32 | UInt64(destination.value))
            hasher.combine(UInt32(identification) << 8 | UInt32(protocolNumber))
        }
    }

    struct Piece {
        var offset: Int
        var bytes: [UInt8]
        /// The captured bytes end before the fragment's real end (snap length).
        var cut: Bool
        var declaredLength: Int
    }

    /// A fragment being added, its bytes still the caller's: they are copied only if
    /// the datagram is not whole with them.
    struct Arriving {
        var offset: Int
        var bytes: UnsafeRawBufferPointer
        var cut: Bool
        var declaredLength: Int
    }

    public struct Pending {
        public let key: Key
        /// In offset order and, at the same offset, in arrival order (what a stable
        /// sort by offset of the arrivals gives).
        var pieces: [Piece] = []
        /// Known once the fragment without "more fragments" arrives.
        var totalLength: Int?
        public internal(set) var firstSeen: Timestamp
        public internal(set) var lastSeen: Timestamp
        public internal(set) var tags: [Tag] = []
        var storedBytes = 0

        /// The captured bytes of the first fragment (offset 0), if it arrived: where
        /// the UDP header is.
        public var firstFragment: [UInt8]? { pieces.first { $0.offset == 0 }?.bytes }

        /// The captured bytes from offset 0 up to the first missing byte: what can be
        /// shown of a datagram that never completed.
        public var contiguousPrefix: [UInt8] {
            var prefix: [UInt8] = []
            for piece in pieces {
                guard piece.offset <= prefix.count else { break }
                let skip = prefix.count - piece.offset
                if skip < piece.bytes.count { prefix.append(contentsOf: piece.bytes[skip...]) }
                if piece.bytes.count < piece.declaredLength { break }  // a cut piece ends what was captured
            }
            return prefix
        }
        public var fragmentCount: Int { tags.count }

        /// The tags, moved out (the list handed on without a copy of its reference).
        mutating func takeTags() -> [Tag] {
            var taken: [Tag] = []
            swap(&taken, &tags)
            return taken
        }
        /// Bytes of the datagram covered so far, and its length if known.
        public var coveredBytes: Int { pieces.reduce(0) { $0 + $1.declaredLength } }
        public var expectedLength: Int? { totalLength }

        /// What taking a fragment did.
        enum Taken {
            /// The datagram is whole, laid out in the assembly buffer (`count` bytes); the
            /// arriving bytes were not kept.
            case whole(count: Int, cut: Bool)
            /// Still waiting, with this many more captured bytes kept.
            case kept(bytes: Int)
        }

        /// Takes one fragment: its tag and time, the total length if it is the last one,
        /// and a copy of its bytes unless a piece at the same offset holds as many (the
        /// first copy wins) or the datagram is whole with them.
        mutating func take(_ arriving: Arriving, isLast: Bool, time: Timestamp, tag: Tag,
                           into assembly: AssemblyBuffer, spares: inout [[UInt8]]) -> Taken {
            lastSeen = time
            tags.append(tag)
            if isLast {
                totalLength = arriving.offset + arriving.declaredLength
            }
            let isCopy = pieces.contains { $0.offset == arriving.offset && $0.declaredLength >= arriving.declaredLength }
            // After every piece that does not start later: the place a stable sort gives it.
            var place = pieces.endIndex
            while place > 0 && pieces[place - 1].offset > arriving.offset { place -= 1 }
            if let whole = assemble(isCopy ? nil : arriving, at: place, into: assembly) {
                return .whole(count: whole.count, cut: whole.cut)
            }
            // A copy keeps no bytes here, but its tag is kept and may hold its packet (a
            // dump file's copy): its bytes count against the bound all the same, so that
            // a fragment sent again and again cannot grow memory past it.
            guard !isCopy else {
                storedBytes += arriving.bytes.count
                return .kept(bytes: arriving.bytes.count)
            }
            // The copy in memory of a datagram completed before, if there is one.
            var bytes = spares.popLast() ?? []
            bytes.append(contentsOf: arriving.bytes.assumingMemoryBound(to: UInt8.self))
            let piece = Piece(offset: arriving.offset, bytes: bytes, cut: arriving.cut, declaredLength: arriving.declaredLength)
            if place == pieces.endIndex { pieces.append(piece) } else { pieces.insert(piece, at: place) }
            storedBytes += arriving.bytes.count
            return .kept(bytes: arriving.bytes.count)
        }

        /// The datagram's payload, laid out in `assembly`, if the pieces, with `arriving`
        /// at `place` among them, cover it from 0 to its total length: its length (up to
        /// the first byte not captured, if cut). Pieces are laid in offset order; where
        /// two overlap, the earlier one's bytes stay (the first copy wins, as for
        /// duplicates).
        private func assemble(_ arriving: Arriving?, at place: Int, into assembly: AssemblyBuffer) -> (count: Int, cut: Bool)? {
            guard let total = totalLength else { return nil }
            let count = pieces.count + (arriving == nil ? 0 : 1)
            // The i-th piece in offset order: offset, declared and captured lengths, cut.
            func shape(_ i: Int) -> (offset: Int, declaredLength: Int, captured: Int, cut: Bool) {
                if let arriving, i >= place {
                    if i == place { return (arriving.offset, arriving.declaredLength, arriving.bytes.count, arriving.cut) }
                    let piece = pieces[i - 1]
                    return (piece.offset, piece.declaredLength, piece.bytes.count, piece.cut)
                }
                let piece = pieces[i]
                return (piece.offset, piece.declaredLength, piece.bytes.count, piece.cut)
            }
            var covered = 0
            var captured = 0        // bytes [0, captured) are in some piece's captured bytes
            for i in 0..<count {
                let piece = shape(i)
                if piece.offset > covered { return nil }
                covered = max(covered, piece.offset + piece.declaredLength)
                if piece.offset <= captured { captured = max(captured, piece.offset + piece.captured) }
            }
            guard covered >= total else { return nil }
            var filled = 0          // bytes [0, filled) hold captured data, in order
            var cut = false
            var hole = false        // a cut piece left bytes nobody captured
            let out = assembly.reserve(total)
            // Bytes no piece captured read 0; when every byte is captured, all are written below.
            if captured < total { out.initializeMemory(as: UInt8.self, repeating: 0) }
            for i in 0..<count {
                let piece = shape(i)
                if piece.cut { cut = true }
                let end = min(piece.offset + piece.captured, total)
                let from = max(piece.offset, filled)
                if piece.offset > filled { hole = true }
                guard end > from else { continue }
                // Unchecked copy, covered: piece.offset <= from < end <= min(piece.offset + captured, total).
                func copy(_ source: UnsafeRawBufferPointer) {
                    (out.baseAddress! + from).copyMemory(
                        from: source.baseAddress!.advanced(by: from - piece.offset), byteCount: end - from)
                }
                if let arriving, i >= place {
                    if i == place { copy(arriving.bytes) } else { pieces[i - 1].bytes.withUnsafeBytes(copy) }
                } else {
                    pieces[i].bytes.withUnsafeBytes(copy)
                }
                if !hole { filled = end }
            }
            // A cut datagram keeps only what was really captured, up to the first hole.
            return (cut ? filled : total, cut)
        }
    }

    public enum Outcome {
        /// More fragments are needed.
        case pending
        /// The datagram is whole: the IP payload, whether any fragment was cut by the
        /// snap length, and the tags of every fragment in arrival order. The payload lies
        /// in the reassembler's memory, reused: read it before the next call.
        case complete(payload: UnsafeRawBufferPointer, cut: Bool, tags: [Tag])
    }

    public let timeoutNanoseconds: Int64
    public let maxDatagrams: Int
    public let maxBytes: Int
    /// Datagrams given up to stay within `maxDatagrams` and `maxBytes` (not by timeout).
    public private(set) var gaveUpForRoom = 0
    private(set) var pending: [Key: Pending] = [:]
    private var storedBytes = 0
    private var earliest: Timestamp? = nil
    /// Where a whole datagram is laid out, the same memory for each in turn (a class:
    /// its memory is freed with the last reassembler that holds it).
    private let assembly = AssemblyBuffer()
    /// The memory of completed datagrams, for the next ones: their piece lists and the
    /// copies of their fragments, emptied (a handful, each of a few kilobytes at most:
    /// reassembly costs no allocation but the tags' list).
    private var spareBytes: [[UInt8]] = []
    private var sparePieces: [[Piece]] = []

    /// Linux keeps fragments 30 s (`ipfrag_time`) and bounds their memory; so do we.
    public init(timeoutSeconds: Double = 30, maxDatagrams: Int = 1024, maxBytes: Int = 16 << 20) {
        timeoutNanoseconds = Int64(timeoutSeconds * 1e9)
        self.maxDatagrams = maxDatagrams
        self.maxBytes = maxBytes
    }

    public var isEmpty: Bool { pending.isEmpty }
    public var pendingCount: Int { pending.count }

    /// Adds one fragment. `given up` receives datagrams dropped to stay within the
    /// memory bounds.
    public mutating func add(_ header: IPv4Header, payload: UnsafeRawBufferPointer, cut: Bool, time: Timestamp, tag: Tag,
                             givenUp: (Pending) -> Void) -> Outcome {
        let key = Key(source: header.source, destination: header.destination,
                      identification: header.identification, protocolNumber: header.protocolNumber)
        let arriving = Arriving(offset: header.fragmentOffset, bytes: payload, cut: cut,
                                declaredLength: header.totalLength - header.headerLength)
        let firstSeen: Timestamp
        if let index = pending.index(forKey: key) {
            // One lookup: the entry changes where it lies, or leaves whole.
            switch pending.values[index].take(arriving, isLast: !header.moreFragments, time: time, tag: tag,
                                              into: assembly, spares: &spareBytes) {
            case let .whole(count, wholeCut):
                var entry = pending.remove(at: index).value
                storedBytes -= entry.storedBytes
                if pending.isEmpty { earliest = nil }
                recycle(&entry)
                return .complete(payload: assembly.bytes(count), cut: wholeCut, tags: entry.takeTags())
            case let .kept(bytes):
                storedBytes += bytes
                firstSeen = pending.values[index].firstSeen
            }
        } else {
            // The piece list of a datagram completed before, if there is one.
            var entry = Pending(key: key, pieces: sparePieces.popLast() ?? [], firstSeen: time, lastSeen: time)
            entry.tags.reserveCapacity(2)  // most datagrams come in two fragments
            switch entry.take(arriving, isLast: !header.moreFragments, time: time, tag: tag,
                              into: assembly, spares: &spareBytes) {
            case let .whole(count, wholeCut):
                // (Whole with its first fragment: not seen from a real sender; nothing recycled.)
                if pending.isEmpty { earliest = nil }
                return .complete(payload: assembly.bytes(count), cut: wholeCut, tags: entry.tags)
            case let .kept(bytes):
                storedBytes += bytes
                firstSeen = time
                pending[key] = consume entry
            }
        }
        if earliest == nil || firstSeen < earliest! { earliest = firstSeen }
        // Stay within bounds: give up the oldest datagrams first.
        while pending.count > maxDatagrams || storedBytes > maxBytes, let oldest = pending.values.min(by: Self.earlier) {
            pending.removeValue(forKey: oldest.key)
            storedBytes -= oldest.storedBytes
            gaveUpForRoom += 1
            givenUp(oldest)
        }
        return .pending
    }

    /// Keeps the memory of a completed datagram's pieces for the next ones, taken out
    /// of it (each buffer moved, not shared, so that it is emptied in place): at most 8
    /// lists and 16 copies, none over 4 KiB (a FULL's first fragment is 1,480 bytes).
    private mutating func recycle(_ entry: inout Pending) {
        var pieces: [Piece] = []
        swap(&pieces, &entry.pieces)
        for k in pieces.indices where spareBytes.count < 16 && pieces[k].bytes.capacity <= 4096 {
            var bytes: [UInt8] = []
            swap(&bytes, &pieces[k].bytes)
            bytes.removeAll(keepingCapacity: true)
            spareBytes.append(bytes)
        }
        guard sparePieces.count < 8, pieces.capacity <= 64 else { return }
        pieces.removeAll(keepingCapacity: true)
        sparePieces.append(pieces)
    }

    /// Gives up every datagram older than the timeout at `now`.
    public mutating func expire(now: Timestamp, givenUp: (Pending) -> Void) {
        guard let first = earliest, now.totalNanoseconds - first.totalNanoseconds > timeoutNanoseconds else { return }
        let stale = pending.values.filter { now.totalNanoseconds - $0.firstSeen.totalNanoseconds > timeoutNanoseconds }
            .sorted(by: Self.earlier)
        for entry in stale {
            pending.removeValue(forKey: entry.key)
            storedBytes -= entry.storedBytes
            givenUp(entry)
        }
        earliest = pending.values.map(\.firstSeen).min()
    }

    /// Gives up everything still pending (the end of the input), oldest first.
    public mutating func drain(givenUp: (Pending) -> Void) {
        for entry in pending.values.sorted(by: Self.earlier) { givenUp(entry) }
        pending.removeAll()
        storedBytes = 0
        earliest = nil
    }

    /// Oldest first, and among datagrams begun at the same time by their key: the
    /// order datagrams are given up in does not depend on the dictionary's.
    static func earlier(_ a: Pending, _ b: Pending) -> Bool {
        if a.firstSeen != b.firstSeen { return a.firstSeen < b.firstSeen }
        return (a.key.source, a.key.destination, a.key.identification, a.key.protocolNumber)
            < (b.key.source, b.key.destination, b.key.identification, b.key.protocolNumber)
    }
}

/// Raw memory where the reassembler lays out whole datagrams, grown as needed.
final class AssemblyBuffer {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int

    init() {
        capacity = 2048
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Room for `count` bytes (what was there is not kept).
    func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if count > capacity {
            base.deallocate()
            capacity = max(count, 2 * capacity)
            base = .allocate(byteCount: capacity, alignment: 16)
        }
        return UnsafeMutableRawBufferPointer(start: base, count: count)
    }

    /// The first `count` bytes, as laid out.
    func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }
}
