// Whole headers, one overload an arity from 2 to 10 (as swift-nio's
// ByteBuffer-multi-int.swift, which generates them the same way): each checks once
// that all the header's bytes are there, then loads its fields.

extension ByteReader {
    /// 2 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2).Type = (T1, T2).self
    ) -> (T1, T2)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        _readerIndex &+= size
        return (v1, v2)
    }

    /// 3 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3).Type = (T1, T2, T3).self
    ) -> (T1, T2, T3)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        _readerIndex &+= size
        return (v1, v2, v3)
    }

    /// 4 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4).Type = (T1, T2, T3, T4).self
    ) -> (T1, T2, T3, T4)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4)
    }

    /// 5 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5).Type = (T1, T2, T3, T4, T5).self
    ) -> (T1, T2, T3, T4, T5)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5)
    }

    /// 6 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger, T6: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5, T6).Type = (T1, T2, T3, T4, T5, T6).self
    ) -> (T1, T2, T3, T4, T5, T6)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size &+ MemoryLayout<T6>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        at &+= MemoryLayout<T5>.size
        let v6 = load(uncheckedAt: at, endianness: endianness, as: T6.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5, v6)
    }

    /// 7 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger, T6: FixedWidthInteger, T7: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5, T6, T7).Type = (T1, T2, T3, T4, T5, T6, T7).self
    ) -> (T1, T2, T3, T4, T5, T6, T7)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size &+ MemoryLayout<T6>.size &+ MemoryLayout<T7>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        at &+= MemoryLayout<T5>.size
        let v6 = load(uncheckedAt: at, endianness: endianness, as: T6.self)
        at &+= MemoryLayout<T6>.size
        let v7 = load(uncheckedAt: at, endianness: endianness, as: T7.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5, v6, v7)
    }

    /// 8 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger, T6: FixedWidthInteger, T7: FixedWidthInteger, T8: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5, T6, T7, T8).Type = (T1, T2, T3, T4, T5, T6, T7, T8).self
    ) -> (T1, T2, T3, T4, T5, T6, T7, T8)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size &+ MemoryLayout<T6>.size &+ MemoryLayout<T7>.size &+ MemoryLayout<T8>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        at &+= MemoryLayout<T5>.size
        let v6 = load(uncheckedAt: at, endianness: endianness, as: T6.self)
        at &+= MemoryLayout<T6>.size
        let v7 = load(uncheckedAt: at, endianness: endianness, as: T7.self)
        at &+= MemoryLayout<T7>.size
        let v8 = load(uncheckedAt: at, endianness: endianness, as: T8.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5, v6, v7, v8)
    }

    /// 9 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger, T6: FixedWidthInteger, T7: FixedWidthInteger, T8: FixedWidthInteger, T9: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5, T6, T7, T8, T9).Type = (T1, T2, T3, T4, T5, T6, T7, T8, T9).self
    ) -> (T1, T2, T3, T4, T5, T6, T7, T8, T9)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size &+ MemoryLayout<T6>.size &+ MemoryLayout<T7>.size &+ MemoryLayout<T8>.size &+ MemoryLayout<T9>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        at &+= MemoryLayout<T5>.size
        let v6 = load(uncheckedAt: at, endianness: endianness, as: T6.self)
        at &+= MemoryLayout<T6>.size
        let v7 = load(uncheckedAt: at, endianness: endianness, as: T7.self)
        at &+= MemoryLayout<T7>.size
        let v8 = load(uncheckedAt: at, endianness: endianness, as: T8.self)
        at &+= MemoryLayout<T8>.size
        let v9 = load(uncheckedAt: at, endianness: endianness, as: T9.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5, v6, v7, v8, v9)
    }

    /// 10 integers from the cursor, checked once for all of them; the cursor moves past
    /// them. Nil, and the cursor unmoved, if their bytes are not all there.
    @inlinable @inline(__always)
    public mutating func readMultipleIntegers<T1: FixedWidthInteger, T2: FixedWidthInteger, T3: FixedWidthInteger, T4: FixedWidthInteger, T5: FixedWidthInteger, T6: FixedWidthInteger, T7: FixedWidthInteger, T8: FixedWidthInteger, T9: FixedWidthInteger, T10: FixedWidthInteger>(
        endianness: Endianness = .big, as: (T1, T2, T3, T4, T5, T6, T7, T8, T9, T10).Type = (T1, T2, T3, T4, T5, T6, T7, T8, T9, T10).self
    ) -> (T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)? {
        let size = MemoryLayout<T1>.size &+ MemoryLayout<T2>.size &+ MemoryLayout<T3>.size &+ MemoryLayout<T4>.size &+ MemoryLayout<T5>.size &+ MemoryLayout<T6>.size &+ MemoryLayout<T7>.size &+ MemoryLayout<T8>.size &+ MemoryLayout<T9>.size &+ MemoryLayout<T10>.size
        guard hasReadable(size) else { return nil }
        // Every load below is covered by the guard.
        var at = readerIndex
        let v1 = load(uncheckedAt: at, endianness: endianness, as: T1.self)
        at &+= MemoryLayout<T1>.size
        let v2 = load(uncheckedAt: at, endianness: endianness, as: T2.self)
        at &+= MemoryLayout<T2>.size
        let v3 = load(uncheckedAt: at, endianness: endianness, as: T3.self)
        at &+= MemoryLayout<T3>.size
        let v4 = load(uncheckedAt: at, endianness: endianness, as: T4.self)
        at &+= MemoryLayout<T4>.size
        let v5 = load(uncheckedAt: at, endianness: endianness, as: T5.self)
        at &+= MemoryLayout<T5>.size
        let v6 = load(uncheckedAt: at, endianness: endianness, as: T6.self)
        at &+= MemoryLayout<T6>.size
        let v7 = load(uncheckedAt: at, endianness: endianness, as: T7.self)
        at &+= MemoryLayout<T7>.size
        let v8 = load(uncheckedAt: at, endianness: endianness, as: T8.self)
        at &+= MemoryLayout<T8>.size
        let v9 = load(uncheckedAt: at, endianness: endianness, as: T9.self)
        at &+= MemoryLayout<T9>.size
        let v10 = load(uncheckedAt: at, endianness: endianness, as: T10.self)
        _readerIndex &+= size
        return (v1, v2, v3, v4, v5, v6, v7, v8, v9, v10)
    }
}
