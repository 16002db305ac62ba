@testable import Output
import Testing

/// The eight-bytes-at-a-time test behind the escaping fast paths agrees with the
/// byte-by-byte rule: printable ASCII other than `"` and `\`.
@Suite("Escaping fast path")
struct EscapingTests {
    static func reference(_ word: UInt64) -> Bool {
        (0..<8).allSatisfy { k in
            let b = UInt8(truncatingIfNeeded: word >> (8 * UInt64(k)))
            return b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C
        }
    }

    @Test("random words and every single odd byte in a plain word")
    func agreesWithTheByteRule() {
        var state: UInt64 = 0x1234_5678_9ABC_DEF0
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var mismatches = 0
        for _ in 0..<100_000 {
            // Mostly-printable words, so that both answers occur often.
            var word: UInt64 = 0
            for k in 0..<8 {
                let r = next()
                let byte: UInt64 = r % 10 == 0 ? r >> 8 & 0xFF : 0x20 + (r >> 8) % 0x5F
                word |= (byte & 0xFF) << (8 * UInt64(k))
            }
            if isPlainASCII(word) != Self.reference(word) { mismatches += 1 }
        }
        let plain: UInt64 = 0x4141_4141_4141_4141
        for k in 0..<8 {
            for byte in 0...255 as ClosedRange<UInt64> {
                let word = plain & ~(0xFF << (8 * UInt64(k))) | byte << (8 * UInt64(k))
                if isPlainASCII(word) != Self.reference(word) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
