import WireBytes

/// IPv4 fragment reassembly (RFC 791, with RFC 815's hole bookkeeping kept simple):
/// fragments may come out of order and more than once; a datagram that does not
/// complete within `timeout` (capture time) or that would pass the memory bounds
/// is given up and handed back so that it can be reported.
///
/// `Tag` is what the caller keeps about each fragment's packet (its number, its
/// time, a copy of it for a dump file); the layer knows nothing of that.
public struct FragmentReassembler<Tag> {
    public struct Key: Hashable, Sendable {
        public var source: IPv4Address
        public var destination: IPv4Address
        public var identification: UInt16
        public var protocolNumber: UInt8
    }

    struct Piece {
        var offset: Int
        var bytes: [UInt8]
        /// The captured bytes end before the fragment's real end (snap length).
        var cut: Bool
        var declaredLength: Int
    }

    public struct Pending {
        public let key: Key
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
            for piece in pieces.sorted(by: { $0.offset < $1.offset }) {
                guard piece.offset <= prefix.count else { break }
                let skip = prefix.count - piece.offset
                if skip < piece.bytes.count { prefix.append(contentsOf: piece.bytes[skip...]) }
                if piece.bytes.count < piece.declaredLength { break }  // a cut piece ends what was captured
            }
            return prefix
        }
        public var fragmentCount: Int { tags.count }
        /// Bytes of the datagram covered so far, and its length if known.
        public var coveredBytes: Int { pieces.reduce(0) { $0 + $1.declaredLength } }
        public var expectedLength: Int? { totalLength }
    }

    public enum Outcome {
        /// More fragments are needed.
        case pending
        /// The datagram is whole: the IP payload, whether any fragment was cut by the
        /// snap length, and the tags of every fragment in arrival order.
        case complete(payload: [UInt8], cut: Bool, tags: [Tag])
    }

    public let timeoutNanoseconds: Int64
    public let maxDatagrams: Int
    public let maxBytes: Int
    /// Datagrams given up to stay within `maxDatagrams` and `maxBytes` (not by timeout).
    public private(set) var gaveUpForRoom = 0
    private(set) var pending: [Key: Pending] = [:]
    private var storedBytes = 0
    private var earliest: Timestamp? = nil

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
        let declared = header.totalLength - header.headerLength
        var entry = pending.removeValue(forKey: key) ?? Pending(key: key, firstSeen: time, lastSeen: time)
        storedBytes -= entry.storedBytes
        entry.lastSeen = time
        entry.tags.append(tag)
        if !header.moreFragments {
            entry.totalLength = header.fragmentOffset + declared
        }
        // A duplicate of a piece we hold adds nothing; the first copy wins.
        if !entry.pieces.contains(where: { $0.offset == header.fragmentOffset && $0.declaredLength >= declared }) {
            entry.pieces.append(Piece(offset: header.fragmentOffset, bytes: Array(payload), cut: cut, declaredLength: declared))
            entry.storedBytes += payload.count
        }
        if let whole = assemble(entry) {
            if pending.isEmpty { earliest = nil }
            return .complete(payload: whole.payload, cut: whole.cut, tags: entry.tags)
        }
        storedBytes += entry.storedBytes
        pending[key] = entry
        if earliest == nil || entry.firstSeen < earliest! { earliest = entry.firstSeen }
        // Stay within bounds: give up the oldest datagrams first.
        while pending.count > maxDatagrams || storedBytes > maxBytes, let oldest = pending.values.min(by: Self.earlier) {
            pending.removeValue(forKey: oldest.key)
            storedBytes -= oldest.storedBytes
            gaveUpForRoom += 1
            givenUp(oldest)
        }
        return .pending
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

    /// The datagram's payload if the pieces cover it from 0 to its total length.
    /// Pieces are laid in offset order; where two overlap, the earlier one's bytes
    /// stay (the first copy wins, as for duplicates).
    private func assemble(_ entry: Pending) -> (payload: [UInt8], cut: Bool)? {
        guard let total = entry.totalLength else { return nil }
        let pieces = entry.pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        for piece in pieces {
            if piece.offset > covered { return nil }
            covered = max(covered, piece.offset + piece.declaredLength)
        }
        guard covered >= total else { return nil }
        var payload = [UInt8](repeating: 0, count: total)
        var filled = 0          // bytes [0, filled) hold captured data, in order
        var cut = false
        var hole = false        // a cut piece left bytes nobody captured
        payload.withUnsafeMutableBytes { out in
            for piece in pieces {
                if piece.cut { cut = true }
                let end = min(piece.offset + piece.bytes.count, total)
                let from = max(piece.offset, filled)
                guard end > from else {
                    if piece.offset > filled { hole = true }
                    continue
                }
                if piece.offset > filled { hole = true }
                // Unchecked copy, covered: piece.offset <= from < end <= min(piece.offset + piece.bytes.count, total).
                piece.bytes.withUnsafeBytes { source in
                    out.baseAddress!.advanced(by: from).copyMemory(
                        from: source.baseAddress!.advanced(by: from - piece.offset), byteCount: end - from)
                }
                if !hole { filled = end }
            }
        }
        if cut {
            // Keep only what was really captured, up to the first hole.
            payload.removeSubrange(filled...)
        }
        return (payload, cut)
    }
}
