extension UnsafeRawBufferPointer {
    /// Big-endian UInt16 at `offset`; the caller has checked the bounds.
    @inlinable
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Big-endian UInt32 at `offset`; the caller has checked the bounds.
    @inlinable
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Little-endian UInt32 at `offset`; the caller has checked the bounds.
    @inlinable
    public func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
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
