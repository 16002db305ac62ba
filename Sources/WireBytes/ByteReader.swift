/// The byte order of an integer on the wire.
public enum Endianness: Sendable {
    /// Network byte order: every header field of IP, UDP and the discovery protocol.
    case big
    case little
}

/// A cursor over borrowed bytes that cannot read past their end (the reading half
/// of swift-nio's `ByteBuffer`). Every read checks that its bytes are there: if they
/// are, it returns them and moves the cursor past them; if not, it returns nil and
/// leaves the cursor where it was. `readMultipleIntegers` checks once for a whole
/// fixed-size header, then reads its fields. The `get` calls read at an index
/// without moving the cursor, checked the same way.
///
/// The one unchecked load is `load(uncheckedAt:)`, used only after the check that
/// covers it.
@frozen
public struct ByteReader {
    /// All the bytes, read or not.
    public let bytes: UnsafeRawBufferPointer
    /// Where the next read begins: always within `0...bytes.count`.
    @inlinable @inline(__always)
    public var readerIndex: Int { _readerIndex }
    @usableFromInline
    var _readerIndex: Int

    /// A reader at the first byte.
    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        _readerIndex = 0
    }

    /// A reader at `index`; nil if `index` lies outside `0...bytes.count`.
    @inlinable @inline(__always)
    public init?(_ bytes: UnsafeRawBufferPointer, at index: Int) {
        guard index >= 0, index <= bytes.count else { return nil }
        self.bytes = bytes
        _readerIndex = index
    }

    /// How many bytes are left to read.
    @inlinable @inline(__always)
    public var readableBytes: Int { bytes.count &- readerIndex }

    /// The bytes left to read, without moving the cursor.
    @inlinable @inline(__always)
    public var readableBytesView: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[readerIndex...])  // covered: the cursor lies within the bytes
    }

    /// Whether `count` bytes are there from `index` (false for a negative index or count).
    @inlinable @inline(__always)
    public func has(_ count: Int, at index: Int) -> Bool {
        // Two unsigned comparisons: a negative index or count is too large as a UInt.
        // Once `index <= bytes.count`, `bytes.count - index` lies in 0...bytes.count.
        let total = bytes.count
        return UInt(bitPattern: index) <= UInt(bitPattern: total) && UInt(bitPattern: count) <= UInt(bitPattern: total &- index)
    }

    /// Whether `count` bytes are left from the cursor (false for a negative count):
    /// one comparison, the cursor being within `0...bytes.count`.
    @inlinable @inline(__always)
    public func hasReadable(_ count: Int) -> Bool {
        UInt(bitPattern: count) <= UInt(bitPattern: readableBytes)
    }

    /// Moves the cursor `count` bytes on; false, and the cursor unmoved, if fewer are left.
    @inlinable @inline(__always) @discardableResult
    public mutating func moveReaderIndex(forwardBy count: Int) -> Bool {
        guard hasReadable(count) else { return false }
        _readerIndex &+= count
        return true
    }

    /// Moves the cursor to `index`; false, and the cursor unmoved, if `index` lies
    /// outside `0...bytes.count`.
    @inlinable @inline(__always) @discardableResult
    public mutating func moveReaderIndex(to index: Int) -> Bool {
        guard UInt(bitPattern: index) <= UInt(bitPattern: bytes.count) else { return false }
        _readerIndex = index
        return true
    }

    // MARK: Integers

    /// The integer at `index`, without a bounds check: the caller has made the one
    /// check that covers it (`has`, or the guard of a `read`).
    @inlinable @inline(__always)
    func load<T: FixedWidthInteger>(uncheckedAt index: Int, endianness: Endianness, as: T.Type) -> T {
        let raw = bytes.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: index, as: T.self)
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// The integer at the cursor, which moves past it; nil if its bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readInteger<T: FixedWidthInteger>(endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        guard hasReadable(MemoryLayout<T>.size) else { return nil }
        let value = load(uncheckedAt: readerIndex, endianness: endianness, as: T.self)  // covered by the guard
        _readerIndex &+= MemoryLayout<T>.size
        return value
    }

    /// The integer at `index`, the cursor unmoved; nil if its bytes are not all there.
    @inlinable @inline(__always)
    public func getInteger<T: FixedWidthInteger>(at index: Int, endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        guard has(MemoryLayout<T>.size, at: index) else { return nil }
        return load(uncheckedAt: index, endianness: endianness, as: T.self)  // covered by the guard
    }

    /// The integer at the cursor, the cursor unmoved; nil if its bytes are not all there.
    @inlinable @inline(__always)
    public func peekInteger<T: FixedWidthInteger>(endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        getInteger(at: readerIndex, endianness: endianness, as: T.self)
    }

    // MARK: Bytes

    /// `count` bytes from the cursor, which moves past them; nil if fewer are left
    /// (or `count` is negative).
    @inlinable @inline(__always)
    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard hasReadable(count) else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[readerIndex..<(readerIndex &+ count)])  // covered by the guard
        _readerIndex &+= count
        return slice
    }

    /// `count` bytes from `index`, the cursor unmoved; nil if they are not all there.
    @inlinable @inline(__always)
    public func getBytes(at index: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard has(count, at: index) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[index..<(index &+ count)])  // covered by the guard
    }

    /// The bytes from `start` up to `end`, the cursor unmoved; nil unless
    /// `0 <= start <= end <= bytes.count`.
    @inlinable @inline(__always)
    public func getBytes(from start: Int, upTo end: Int) -> UnsafeRawBufferPointer? {
        guard start >= 0, start <= end, end <= bytes.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])  // covered by the guard
    }
}
