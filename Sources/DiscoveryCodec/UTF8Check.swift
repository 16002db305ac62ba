import WireBytes

/// How a name's bytes stand as UTF-8.
enum UTF8Verdict {
    case valid
    /// Valid except for an incomplete (but so far correct) sequence at the very end.
    case cutMidCharacter
    case invalid
}

/// Checks UTF-8 by RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF).
func checkUTF8(_ bytes: UnsafeRawBufferPointer) -> UTF8Verdict {
    var i = 0
    let n = bytes.count
    while i < n {
        // Eight ASCII bytes at a time: names are mostly ASCII.
        if i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            continue
        }
        let b0 = bytes[i]
        if b0 < 0x80 { i += 1; continue }
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
