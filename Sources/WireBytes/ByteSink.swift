/// Somewhere bytes are appended: a `[UInt8]`, or the output's `RawBytes`.
/// The text and JSON writers are generic over it, so that the hot path writes
/// straight into raw memory while tests and cold paths use arrays.
public protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeRawBufferPointer)
    /// The decimal digits of `number`.
    mutating func append(decimal number: UInt64)
    /// An IPv4 address's dotted-quad text.
    mutating func append(ipv4 value: UInt32)
    /// Exactly `width` decimal digits, zero-padded (a wider number is written whole).
    mutating func append(decimal number: UInt64, width: Int)
}

extension ByteSink {
    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A String's UTF-8, read in place when the String holds it contiguously (a
    /// native String: no copy, no reference counting), else through a copy.
    @inlinable
    public mutating func append(string text: String) {
        // Often empty: a style's colour with colours off.
        guard !text.isEmpty else { return }
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            var copy = text
            copy.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    @inlinable
    public mutating func append(decimal number: UInt64, width: Int) {
        var pad = width - decimalDigitCount(number)
        while pad > 0 { append(UInt8(ascii: "0")); pad -= 1 }
        append(decimal: number)
    }

    @inlinable
    public mutating func append(array: [UInt8]) {
        array.withUnsafeBytes { append(bytes: $0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }

    @inlinable
    public mutating func append(ipv4 value: UInt32) {
        appendThroughScratch { $0.append(ipv4: value) }
    }

    @inlinable
    public mutating func append(decimal number: UInt64) {
        appendThroughScratch { $0.append(decimal: number) }
    }

    /// What `body` writes (at most 24 bytes) into a stack buffer, then appended.
    @inlinable
    mutating func appendThroughScratch(_ body: (inout WriteCursor) -> Void) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &scratch) { raw in
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var cursor = WriteCursor(start)
            body(&cursor)
            append(contentsOf: UnsafeBufferPointer(start: start, count: cursor.at - start))
        }
    }
}

/// A growable byte buffer in raw memory: an append is a bounds check and a store.
/// Its owner frees it (`deallocate()`); it is not copied around.
public struct RawBytes: ByteSink {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var _count: Int
    public var count: Int { _count }

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        _count = 0
    }

    public func deallocate() { base.deallocate() }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        if _count == capacity { grow(to: _count + 1) }
        base[_count] = byte
        _count += 1
    }

    @inlinable @inline(__always)
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        if _count + n > capacity { grow(to: _count + n) }
        copyBytes(to: base + _count, from: bytes.baseAddress!, count: n)
        _count += n
    }

    /// The digits, written in place (see `WriteCursor`).
    @inlinable
    public mutating func append(decimal number: UInt64) {
        write(reserving: 20) { $0.append(decimal: number) }
    }

    /// Zero-padded digits written in place: one capacity check for all of them.
    @inlinable
    public mutating func append(decimal number: UInt64, width: Int) {
        write(reserving: 20 + max(0, width)) { $0.append(decimal: number, width: width) }
    }

    /// Dotted-quad text written in place: one capacity check for the whole address.
    @inlinable
    public mutating func append(ipv4 value: UInt32) {
        write(reserving: 16) { $0.append(ipv4: value) }
    }

    /// Makes room for `bound` bytes, then lets `body` write at most that many through
    /// a cursor that checks nothing.
    @inlinable
    public mutating func write(reserving bound: Int, _ body: (inout WriteCursor) -> Void) {
        if _count + bound > capacity { grow(to: _count + bound) }
        var cursor = WriteCursor(base + _count)
        body(&cursor)
        _count = cursor.at - base
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inlinable
    public mutating func append(contentsOf array: [UInt8]) {
        array.withUnsafeBytes { append(bytes: $0) }
    }

    @inlinable
    public mutating func append(contentsOf slice: ArraySlice<UInt8>) {
        slice.withUnsafeBytes { append(bytes: $0) }
    }

    @inlinable
    public mutating func append(contentsOf buffer: UnsafeBufferPointer<UInt8>) {
        append(bytes: UnsafeRawBufferPointer(buffer))
    }

    @inlinable
    public mutating func append(contentsOf utf8: String.UTF8View) {
        var text = String(utf8)
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func removeAll() { _count = 0 }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// Copies `count` bytes; short runs (the records' keys and punctuation, an address's
/// text, a name) with two overlapping loads and stores of a word or half-word, in
/// line, instead of a call to `memcpy`, which costs more than the copy for so few.
@inlinable @inline(__always)
public func copyBytes(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count n: Int) {
    if n >= 8 {
        if n <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            destination.storeBytes(of: head, as: UInt64.self)
            destination.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
        } else {
            destination.copyMemory(from: source, byteCount: n)
        }
    } else if n >= 4 {
        let head = source.loadUnaligned(as: UInt32.self)
        let tail = source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        destination.storeBytes(of: head, as: UInt32.self)
        destination.storeBytes(of: tail, toByteOffset: n - 4, as: UInt32.self)
    } else if n > 0 {
        // 1 to 3 bytes: the first, the middle and the last (some the same byte).
        let a = source.load(as: UInt8.self)
        let b = source.load(fromByteOffset: n >> 1, as: UInt8.self)
        let c = source.load(fromByteOffset: n - 1, as: UInt8.self)
        destination.storeBytes(of: a, as: UInt8.self)
        destination.storeBytes(of: b, toByteOffset: n >> 1, as: UInt8.self)
        destination.storeBytes(of: c, toByteOffset: n - 1, as: UInt8.self)
    }
}
