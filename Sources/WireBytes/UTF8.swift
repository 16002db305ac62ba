/// The shape of a UTF-8 sequence by its lead byte, per RFC 3629: how many bytes it
/// takes and the range its second byte must fall in (which rules out overlong
/// forms, surrogates and anything above U+10FFFF). Nil for a byte that cannot lead
/// a multi-byte sequence (ASCII, a continuation byte, C0, C1, F5 to FF).
@inlinable
public func utf8Lead(_ byte: UInt8) -> (width: Int, lower: UInt8, upper: UInt8)? {
    switch byte {
    case 0xC2...0xDF: (2, 0x80, 0xBF)
    case 0xE0: (3, 0xA0, 0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
    case 0xED: (3, 0x80, 0x9F)
    case 0xF0: (4, 0x90, 0xBF)
    case 0xF1...0xF3: (4, 0x80, 0xBF)
    case 0xF4: (4, 0x80, 0x8F)
    default: nil
    }
}

/// How many bytes, from the lead byte at `i`, are a well-formed start of its
/// sequence: `width` when the sequence is whole, less when it breaks off or the
/// buffer ends (the "maximal subpart" that one U+FFFD stands for).
@inlinable
public func utf8WellFormedPrefix(_ bytes: UnsafeRawBufferPointer, at i: Int,
                                 _ lead: (width: Int, lower: UInt8, upper: UInt8)) -> Int {
    var length = 1
    while length < lead.width, i + length < bytes.count {
        let b = bytes[i + length]  // covered by `i + length < bytes.count`
        let ok = length == 1 ? (b >= lead.lower && b <= lead.upper) : (b >= 0x80 && b <= 0xBF)
        guard ok else { break }
        length += 1
    }
    return length
}

/// The width of a well-formed two- or three-byte character at `i` (accented letters,
/// Greek, dashes, symbols, kana: most non-ASCII in names), or 0 for anything else,
/// which `utf8Lead` and `utf8WellFormedPrefix` then look at. `lead` is the byte at `i`.
/// Its loads are unchecked, each covered by the `i + 1 < n` or `i + 2 < n` before it.
@inlinable @inline(__always)
public func utf8ShortCharacterWidth(_ base: UnsafeRawPointer, at i: Int, count n: Int, lead: UInt8) -> Int {
    if lead >= 0xC2, lead <= 0xDF, i + 1 < n, base.load(fromByteOffset: i + 1, as: UInt8.self) & 0xC0 == 0x80 {
        return 2
    }
    if lead & 0xF0 == 0xE0, i + 2 < n {
        let b1 = base.load(fromByteOffset: i + 1, as: UInt8.self)
        let lower: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
        let upper: UInt8 = lead == 0xED ? 0x9F : 0xBF
        if b1 >= lower, b1 <= upper, base.load(fromByteOffset: i + 2, as: UInt8.self) & 0xC0 == 0x80 { return 3 }
    }
    return 0
}
