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
        let need: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; upper = 0x9F
        case 0xF0: need = 3; lower = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; upper = 0x8F
        default: return .invalid
        }
        for k in 1...need {
            guard i + k < n else { return .cutMidCharacter }
            let b = bytes[i + k]
            if k == 1 {
                guard b >= lower, b <= upper else { return .invalid }
            } else {
                guard b >= 0x80, b <= 0xBF else { return .invalid }
            }
        }
        i += need + 1
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
