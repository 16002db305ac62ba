/// The loads of old, still used for the capture file's header (`Capture`):
/// bounds-checked now, a trap rather than a read past the end in every build. New
/// code reads through `ByteReader`, which returns nil instead; its
/// `load(uncheckedAt:)` is the one unchecked load, each use covered by its guard.
extension UnsafeRawBufferPointer {
    /// Big-endian UInt16 at `offset`; traps if the bytes are not all there.
    @inlinable
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        guard let value = ByteReader(self).getInteger(at: offset, as: UInt16.self) else { preconditionFailure("read past the end") }
        return value
    }

    /// Big-endian UInt32 at `offset`; traps if the bytes are not all there.
    @inlinable
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        guard let value = ByteReader(self).getInteger(at: offset, as: UInt32.self) else { preconditionFailure("read past the end") }
        return value
    }

    /// Little-endian UInt32 at `offset`; traps if the bytes are not all there.
    @inlinable
    public func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        guard let value = ByteReader(self).getInteger(at: offset, endianness: .little, as: UInt32.self) else {
            preconditionFailure("read past the end")
        }
        return value
    }
}

/// Lower-case hex digits of `bytes`, appended to `out`.
@inlinable
public func appendHex<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to out: inout Sink) {
    for byte in bytes {
        out.append(hexDigit(byte >> 4))
        out.append(hexDigit(byte & 0x0F))
    }
}

@inlinable
public func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ (nibble &- 10)
}

/// Bytes from lower- or upper-case hex text; nil if the text is not hex.
public func bytesFromHex(_ text: some StringProtocol) -> [UInt8]? {
    var out: [UInt8] = []
    var high: UInt8? = nil
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
        default: return nil
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return high == nil ? out : nil
}

/// The first index of `range` where `isBefore` no longer holds (`range.upperBound` if
/// it always does), found by halving: `isBefore` must hold on a start of the range and
/// nowhere after it, as for offsets that grow along a FULL's entries.
@inlinable @inline(__always)
public func partitionPoint(_ range: Range<Int>, _ isBefore: (Int) -> Bool) -> Int {
    var low = range.lowerBound, above = range.upperBound
    while low < above {
        let middle = (low + above) / 2
        if isBefore(middle) { low = middle + 1 } else { above = middle }
    }
    return low
}

/// How many bytes `a` and `b` share from their start, up to `limit`: 64 bytes a
/// round as four 16-byte vectors while they agree (compared a lane of 32 bits at a
/// time, one mask for the round), then 32 bytes, then the word where they part.
/// Unchecked: the caller's `limit` must not pass the end of either (the offsets,
/// within `limit`, are added without overflow checks; so in `commonSuffix`).
@inlinable
public func commonPrefix(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ limit: Int) -> Int {
    var i = 0
    while i &+ 64 <= limit {
        @inline(__always) func x(_ k: Int) -> SIMD2<UInt64> {
            a.loadUnaligned(fromByteOffset: i &+ k, as: SIMD2<UInt64>.self)
                ^ b.loadUnaligned(fromByteOffset: i &+ k, as: SIMD2<UInt64>.self)
        }
        let v = (x(0) | x(16)) | (x(32) | x(48))
        if v[0] | v[1] != 0 { break }
        i &+= 64
    }
    while i &+ 32 <= limit {
        @inline(__always) func x(_ k: Int) -> UInt64 {
            a.loadUnaligned(fromByteOffset: i &+ k, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i &+ k, as: UInt64.self)
        }
        if x(0) | x(8) | x(16) | x(24) != 0 { break }
        i &+= 32
    }
    while i &+ 8 <= limit {
        let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if x != 0 { return i &+ UInt64(littleEndian: x).trailingZeroBitCount >> 3 }
        i &+= 8
    }
    while i < limit, a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) { i &+= 1 }
    return i
}

/// How many bytes the runs ending at `aEnd` and `bEnd` share from their end, up to
/// `limit`: 64 bytes a round as four 16-byte vectors while they agree, then 32 bytes,
/// then the word where they part. Unchecked: the caller's `limit` must not pass the
/// start of either.
@inlinable
public func commonSuffix(_ aEnd: UnsafeRawPointer, _ bEnd: UnsafeRawPointer, _ limit: Int) -> Int {
    var i = 0
    while i &+ 64 <= limit {
        @inline(__always) func x(_ k: Int) -> SIMD2<UInt64> {
            aEnd.loadUnaligned(fromByteOffset: 0 &- i &- k, as: SIMD2<UInt64>.self)
                ^ bEnd.loadUnaligned(fromByteOffset: 0 &- i &- k, as: SIMD2<UInt64>.self)
        }
        let v = (x(16) | x(32)) | (x(48) | x(64))
        if v[0] | v[1] != 0 { break }
        i &+= 64
    }
    while i &+ 32 <= limit {
        @inline(__always) func x(_ k: Int) -> UInt64 {
            aEnd.loadUnaligned(fromByteOffset: 0 &- i &- k, as: UInt64.self) ^ bEnd.loadUnaligned(fromByteOffset: 0 &- i &- k, as: UInt64.self)
        }
        if x(8) | x(16) | x(24) | x(32) != 0 { break }
        i &+= 32
    }
    while i &+ 8 <= limit {
        let x = aEnd.loadUnaligned(fromByteOffset: 0 &- i &- 8, as: UInt64.self) ^ bEnd.loadUnaligned(fromByteOffset: 0 &- i &- 8, as: UInt64.self)
        if x != 0 { return i &+ UInt64(littleEndian: x).leadingZeroBitCount >> 3 }
        i &+= 8
    }
    while i < limit, aEnd.load(fromByteOffset: 0 &- i &- 1, as: UInt8.self) == bEnd.load(fromByteOffset: 0 &- i &- 1, as: UInt8.self) { i &+= 1 }
    return i
}

// Counters kept in a tuple of `Int`s, which Swift lays out as an array of them: a
// counter is found by its index with no switch, and changed in place with no storage
// of its own to check for sharing (as an array in a property would before each
// change). Each index is checked against the tuple's size.

/// One more on counter `index` of `counters`, a tuple of `Int`s.
@inlinable @inline(__always)
public func addOne<Counters>(to counters: inout Counters, at index: Int) {
    withUnsafeMutableBytes(of: &counters) { raw in
        let each = raw.assumingMemoryBound(to: Int.self)
        precondition(UInt(bitPattern: index) < UInt(each.count), "counter index out of range")
        each[index] += 1
    }
}

/// Counter `index` of `counters`, a tuple of `Int`s, set to `value`.
@inlinable
public func setCounter<Counters>(_ counters: inout Counters, at index: Int, to value: Int) {
    withUnsafeMutableBytes(of: &counters) { raw in
        let each = raw.assumingMemoryBound(to: Int.self)
        precondition(UInt(bitPattern: index) < UInt(each.count), "counter index out of range")
        each[index] = value
    }
}

/// Counter `index` of `counters`, a tuple of `Int`s.
@inlinable
public func counter<Counters>(_ counters: Counters, at index: Int) -> Int {
    withUnsafeBytes(of: counters) { raw in
        let each = raw.assumingMemoryBound(to: Int.self)
        precondition(UInt(bitPattern: index) < UInt(each.count), "counter index out of range")
        return each[index]
    }
}

/// Every counter of `counters`, a tuple of `Int`s, in order.
@inlinable
public func counterValues<Counters>(_ counters: Counters) -> [Int] {
    withUnsafeBytes(of: counters) { Array($0.assumingMemoryBound(to: Int.self)) }
}
