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
}

extension ByteSink {
    @inlinable
    public mutating func append(_ text: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inlinable
    public mutating func append(string text: String) {
        var copy = text
        copy.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
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
        var text = RawBytes(capacity: 16)
        text.append(ipv4: value)
        text.withUnsafeBytes { append(contentsOf: $0) }
        text.deallocate()
    }

    @inlinable
    public mutating func append(decimal number: UInt64) {
        var digits = RawBytes.decimalDigits(number)
        Swift.withUnsafeBytes(of: &digits.bytes) { append(contentsOf: $0[(20 - digits.count)...]) }
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

    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        if _count + n > capacity { grow(to: _count + n) }
        (base + _count).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
        _count += n
    }

    /// Writes the digits in place, last first.
    @inlinable
    public mutating func append(decimal number: UInt64) {
        if _count + 20 > capacity { grow(to: _count + 20) }
        var n = number
        var width = 1
        var probe = number
        while probe >= 10 { probe /= 10; width += 1 }
        var at = _count + width - 1
        repeat {
            base[at] = UInt8(truncatingIfNeeded: 0x30 &+ n % 10)
            n /= 10
            at -= 1
        } while n > 0
        _count += width
    }

    /// Dotted-quad text written in place: one capacity check for the whole address.
    @inlinable
    public mutating func append(ipv4 value: UInt32) {
        if _count + 15 > capacity { grow(to: _count + 15) }
        var at = _count
        @inline(__always) func octet(_ octet: UInt8) {
            if octet >= 100 {
                base[at] = 0x30 &+ octet / 100
                base[at + 1] = 0x30 &+ octet / 10 % 10
                at += 2
            } else if octet >= 10 {
                base[at] = 0x30 &+ octet / 10
                at += 1
            }
            base[at] = 0x30 &+ octet % 10
            base[at + 1] = UInt8(ascii: ".")
            at += 2
        }
        octet(UInt8(truncatingIfNeeded: value >> 24))
        octet(UInt8(truncatingIfNeeded: value >> 16))
        octet(UInt8(truncatingIfNeeded: value >> 8))
        octet(UInt8(truncatingIfNeeded: value))
        _count = at - 1  // no dot after the last octet
    }

    /// The digits of `number` right-aligned in twenty bytes, and how many there are.
    @inlinable
    public static func decimalDigits(_ number: UInt64) -> (bytes: (UInt64, UInt64, UInt32), count: Int) {
        var storage: (UInt64, UInt64, UInt32) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &storage) { buffer in
            var n = number
            var at = 19
            repeat {
                buffer[at] = UInt8(truncatingIfNeeded: 0x30 &+ n % 10)
                n /= 10
                at -= 1
                count += 1
            } while n > 0
        }
        return (storage, count)
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
