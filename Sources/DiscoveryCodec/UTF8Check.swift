import WireBytes

/// How a name's bytes stand as UTF-8.
enum UTF8Verdict {
    case valid
    /// Valid except for an incomplete (but so far correct) sequence at the very end.
    case cutMidCharacter
    case invalid
}

/// Checks UTF-8 by RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF).
/// Names are mostly ASCII: eight bytes are tested at a time, and a run's last
/// bytes with one load that overlaps the previous one. The loads are unchecked,
/// each covered by the count check just before it (this is the hot loop of every
/// name); the multi-byte helpers check their own bounds against `n`.
func checkUTF8(_ bytes: UnsafeRawBufferPointer) -> UTF8Verdict {
    let n = bytes.count
    guard n > 0, let base = bytes.baseAddress else { return .valid }
    var i = 0
    while i < n {
        if n - i >= 8 {
            // Covered by `n - i >= 8`.
            let high = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & 0x8080_8080_8080_8080
            if high == 0 {
                i += 8
                // The last bytes, overlapping what was checked; covered by `n >= 8`.
                if n - i < 8, n - i > 0,
                   UInt64(littleEndian: base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) & 0x8080_8080_8080_8080 == 0 {
                    return .valid
                }
                continue
            }
            i += high.trailingZeroBitCount >> 3  // the first byte with its top bit set
        } else if base.load(fromByteOffset: i, as: UInt8.self) < 0x80 {  // covered by `i < n`
            i += 1
            continue
        }
        let b0 = base.load(fromByteOffset: i, as: UInt8.self)  // covered by `i < n`
        let short = utf8ShortCharacterWidth(base, at: i, count: n, lead: b0)
        if short > 0 {
            i += short
            continue
        }
        guard let lead = utf8Lead(b0) else { return .invalid }
        let wellFormed = utf8WellFormedPrefix(bytes, at: i, lead)
        if wellFormed < lead.width {
            // Broken off by the end of the name: the firmware's cut; by a bad byte: not UTF-8.
            return i + wellFormed == n ? .cutMidCharacter : .invalid
        }
        i += lead.width
    }
    return .valid
}

/// The warnings a name of these bytes earns.
func nameWarnings(_ bytes: UnsafeRawBufferPointer) -> FrameWarnings {
    var warnings: FrameWarnings = []
    if bytes.count > FirmwareLimits.maxNameBytes { warnings.insert(.nameTooLong) }
    switch checkUTF8(bytes) {
    case .valid: break
    case .cutMidCharacter: warnings.insert(.nameCutMidCharacter)
    case .invalid: warnings.insert(.nameNotUTF8)
    }
    return warnings
}

