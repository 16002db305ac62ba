import Testing
@testable import DiscoveryCodec
import WireBytes
import TestSupport

// The pattern of swift-nio's ByteToMessageDecoderVerifier, for datagrams: feed the
// decoder every prefix of every valid frame (and every extension, every suffix and
// every one-byte change) and check that it answers with the precise malformation,
// never a crash, and offsets that stay inside the payload.

struct SplitCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    var testDescription: String { "\(label) (\(bytes.count) bytes)" }
}

private func fullOf(_ count: Int, nameBytes: Int) -> [UInt8] {
    var bytes: [UInt8] = [0x02, UInt8(count)]
    for k in 0..<count {
        bytes += [10, 37, 1, UInt8(k), UInt8(nameBytes)] + [UInt8](repeating: 0x41 + UInt8(k % 26), count: nameBytes)
    }
    return bytes
}

private let splitCases: [SplitCase] = [
    SplitCase(label: "boot3 HELLO", bytes: CodecBytes.hex("011041747461636b2066726f6d204d617273")),
    SplitCase(label: "HELLO empty name", bytes: [0x01, 0x00]),
    SplitCase(label: "HELLO one byte", bytes: [0x01, 0x01, 0x41]),
    SplitCase(label: "HELLO largest (34 bytes)", bytes: [0x01, 0x20] + [UInt8](repeating: 0x7A, count: 32)),
    SplitCase(label: "HELLO cut name (big .102)", bytes: CodecBytes.hex("012050696e62616c6c2043616665203032202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec3")),
    SplitCase(label: "boot3 FULL of 2", bytes: CodecBytes.hex("02020a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e657373")),
    SplitCase(label: "boot3 FULL of 4", bytes: CodecBytes.hex("02040a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e6573730a2500280d5477696c69676874205a6f6e650a2500320d4465736b746f70436c69656e74")),
    SplitCase(label: "FULL of 0", bytes: [0x02, 0x00]),
    SplitCase(label: "FULL of empty names", bytes: fullOf(4, nameBytes: 0)),
    SplitCase(label: "FULL largest (1889 bytes)", bytes: fullOf(51, nameBytes: 32)),
    SplitCase(label: "FULL of 255", bytes: fullOf(255, nameBytes: 1)),
    SplitCase(label: "big FULL of 44 (1630 bytes)", bytes: codecBigFull1630),
    SplitCase(label: "PING", bytes: [0x03]),
    SplitCase(label: "PONG", bytes: [0x04]),
    SplitCase(label: "OFFLINE", bytes: [0x05, 0x0A, 0x25, 0x00, 0x28]),
    SplitCase(label: "LEGACY Getaway", bytes: CodecBytes.ascii(#"{"version": "1.3.8", "name": "Getaway", "ip": "10.37.0.40"}"#)),
    SplitCase(label: "LEGACY discover", bytes: CodecBytes.ascii(#"{"discover": true}"#)),
    SplitCase(label: "LEGACY empty", bytes: CodecBytes.ascii("{}")),
    SplitCase(label: "LEGACY every kind of value",
              bytes: CodecBytes.ascii(#"{"a":[1,-2.5e+3,true,false,null,{"b":"\u00e9\n\uD83C\uDFB1"}],"c":"Ω🎱","d":{}}"#)),
]

/// What PROTOCOL.md and CONTRACT.md say a prefix of `bytes` of `n` bytes is. For
/// JSON the exact offset is left to the JSON tests; here it is `nil`.
private func expectedForPrefix(of bytes: [UInt8], _ n: Int) -> (reason: String, offset: Int?) {
    if n == 0 { return ("empty", 0) }
    switch bytes[0] {
    case 0x01:
        return n < 2 ? ("truncated-header", 0) : ("truncated-name", 2)
    case 0x02:
        if n < 2 { return ("truncated-header", 0) }
        // Walk the complete frame: the first entry that does not fit in n bytes.
        var start = 2
        for _ in 0..<Int(bytes[1]) {
            let end = start + 5 + Int(bytes[start + 4])
            if end > n { return ("truncated-peer", start) }
            start = end
        }
        preconditionFailure("a strict prefix of a FULL always cuts an entry")
    case 0x05:
        return ("truncated-header", 0)
    case 0x7B:
        return ("bad-json", nil)
    default:
        preconditionFailure("PING and PONG have no non-empty strict prefix")
    }
}

@Suite struct CodecTruncationTests {
    @Test(arguments: splitCases)
    func theWholeFrameDecodes(_ c: SplitCase) throws {
        let outcome = CodecBytes.decode(c.bytes)
        let frame = try #require(outcome.frame, "\(outcome)")
        #expect(frame.type.rawValue == c.bytes[0])
    }

    @Test(arguments: splitCases)
    func everyStrictPrefixIsPreciselyMalformed(_ c: SplitCase) {
        var failures: [String] = []
        for n in 0..<c.bytes.count {
            let prefix = Array(c.bytes.prefix(n))
            let outcome = CodecBytes.decode(prefix)
            guard case let .malformed(reason, offset, length) = outcome else {
                failures.append("prefix \(n): \(outcome)"); continue
            }
            let expected = expectedForPrefix(of: c.bytes, n)
            if reason != expected.reason { failures.append("prefix \(n): \(reason), expected \(expected.reason)") }
            if let want = expected.offset, offset != want { failures.append("prefix \(n): offset \(offset), expected \(want)") }
            if !(0...n).contains(offset) { failures.append("prefix \(n): offset \(offset) outside 0...\(n)") }
            if length != n { failures.append("prefix \(n): length \(length)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test(arguments: splitCases)
    func everyExtensionIsTrailingBytes(_ c: SplitCase) {
        var failures: [String] = []
        for byte in UInt8.min...UInt8.max {
            let isJSONWhitespace = [0x20, 0x09, 0x0A, 0x0D].contains(byte)
            let outcome = CodecBytes.decode(c.bytes + [byte])
            if c.bytes[0] == 0x7B && isJSONWhitespace {
                // RFC 8259 allows whitespace after the value.
                if outcome.frame == nil { failures.append("+\(byte): \(outcome)") }
            } else if outcome != .malformed(reason: "trailing-bytes", offset: c.bytes.count, length: c.bytes.count + 1) {
                failures.append("+\(byte): \(outcome)")
            }
        }
        // Two frames back to back: the second is trailing bytes of the first.
        let doubled = CodecBytes.decode(c.bytes + c.bytes)
        if doubled != .malformed(reason: "trailing-bytes", offset: c.bytes.count, length: 2 * c.bytes.count) {
            failures.append("doubled: \(doubled)")
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// A receiver that lost the start of a datagram sees a suffix: it must not crash,
    /// and whatever it says stays inside the payload.
    @Test(arguments: splitCases)
    func everySuffixIsSafe(_ c: SplitCase) {
        var failures: [String] = []
        for k in 1..<max(c.bytes.count, 1) {
            let suffix = Array(c.bytes[k...])
            if let problem = invariantProblem(suffix) { failures.append("suffix from \(k): \(problem)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Every value of every byte, for the small frames: 256 × length decodes each.
    @Test(arguments: splitCases.filter { $0.bytes.count <= 100 })
    func everyOneByteChangeIsSafe(_ c: SplitCase) {
        var failures: [String] = []
        var bytes = c.bytes
        for position in bytes.indices {
            let original = bytes[position]
            for value in UInt8.min...UInt8.max where value != original {
                bytes[position] = value
                if let problem = invariantProblem(bytes) { failures.append("byte \(position) = \(value): \(problem)") }
            }
            bytes[position] = original
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Changing a FULL's count byte: fewer entries leaves trailing bytes at the end
    /// of the last entry counted; more asks for an entry that is not there.
    @Test func fullCountByteOffByOne() {
        let bytes = CodecBytes.hex("02020a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e657373")
        var fewer = bytes; fewer[1] = 1
        #expect(CodecBytes.decode(fewer) == .malformed(reason: "trailing-bytes", offset: 23, length: 44))
        var more = bytes; more[1] = 3
        #expect(CodecBytes.decode(more) == .malformed(reason: "truncated-peer", offset: 44, length: 44))
        var none = bytes; none[1] = 0
        #expect(CodecBytes.decode(none) == .malformed(reason: "trailing-bytes", offset: 2, length: 44))
    }

    /// A HELLO's length byte: one less leaves one trailing byte, one more runs out.
    @Test func helloLengthByteOffByOne() {
        let bytes = CodecBytes.hex("011041747461636b2066726f6d204d617273")
        var shorter = bytes; shorter[1] = 15
        #expect(CodecBytes.decode(shorter) == .malformed(reason: "trailing-bytes", offset: 17, length: 18))
        var longer = bytes; longer[1] = 17
        #expect(CodecBytes.decode(longer) == .malformed(reason: "truncated-name", offset: 2, length: 18))
    }

    /// Deterministic pseudo-random payloads, each starting with a known type byte so
    /// that the decoder goes deep: never a crash, always consistent.
    @Test func randomPayloadsAreSafe() {
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 { random.next() }
        let types: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x7B]
        let alphabet = CodecBytes.ascii(#"{}[]:,"\ -0123456789.eEtruefalsnl"#) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        var failures: [String] = []
        for round in 0..<20_000 {
            let length = Int(next() % 48) + 1
            var bytes = [types[Int(next() % 6)]]
            for _ in 1..<length {
                let r = next()
                bytes.append(bytes[0] == 0x7B ? alphabet[Int(r % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: r % 8 == 0 ? r >> 8 : r % 6))
            }
            if let problem = invariantProblem(bytes) { failures.append("round \(round) \(bytes): \(problem)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}

/// The invariants of any decode: a malformation's offset lies in 0...length and its
/// length is the payload's; a binary frame re-encodes to exactly its payload (the
/// decoder neither drops nor invents a byte); a LEGACY frame's value survives a
/// write and a second decode.
private func invariantProblem(_ bytes: [UInt8]) -> String? {
    let malformation = CodecBytes.malformation(bytes)
    switch CodecBytes.decode(bytes) {
    case let .malformed(_, offset, length):
        if length != bytes.count { return "length \(length) for \(bytes.count) bytes" }
        if !(0...length).contains(offset) { return "offset \(offset) outside 0...\(length)" }
        if malformation?.detail.isEmpty ?? true { return "no detail" }
        return nil
    case let .frame(frame, _):
        if malformation != nil { return "decodes differently twice" }
        if frame.type == .legacy {
            let again = CodecBytes.decode(frame.encoded())
            if again.frame != frame { return "LEGACY value does not survive a write: \(again)" }
        } else if frame.encoded() != bytes {
            return "re-encodes to \(frame.encoded())"
        }
        return nil
    }
}
