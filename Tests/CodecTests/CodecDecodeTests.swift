import Testing
@testable import DiscoveryCodec
import WireBytes

// Decoding of every frame type and every malformation the codec raises, plus the
// encoder. Expected bytes are built by hand from PROTOCOL.md's frame table (or
// taken from the real captures in /work/shared/captures), never from the
// program's own output.

// MARK: - Helpers shared by the Codec* test files

/// What one decode gave, copied out of the borrowed `FrameView` so it can be compared.
enum CodecOutcome: Equatable, CustomStringConvertible {
    case frame(Frame, warnings: [String])
    case malformed(reason: String, offset: Int, length: Int)

    var description: String {
        switch self {
        case let .frame(frame, warnings): "frame \(frame) \(warnings)"
        case let .malformed(reason, offset, length): "malformed \(reason) at \(offset) of \(length)"
        }
    }

    var warnings: [String]? {
        if case let .frame(_, warnings) = self { return warnings }
        return nil
    }

    var frame: Frame? {
        if case let .frame(frame, _) = self { return frame }
        return nil
    }
}

/// Byte builders that follow PROTOCOL.md's frame table literally.
enum CodecBytes {
    /// Decodes `bytes` and copies the result out.
    static func decode(_ bytes: [UInt8], sender: IPv4Address? = nil) -> CodecOutcome {
        bytes.withUnsafeBytes { raw in
            switch decodeFrame(raw, sender: sender) {
            case let .frame(view): .frame(view.owned(), warnings: view.warnings.codes)
            case let .malformed(m): .malformed(reason: m.reason.description, offset: m.offset, length: m.length)
            }
        }
    }

    /// Where the JSON parser stopped, from a bad-json detail ("... at offset N"); the
    /// record's offset is the JSON text's start (0), as CONTRACT.md's rule says.
    static func jsonStop(_ bytes: [UInt8]) -> Int? {
        guard let detail = malformation(bytes)?.detail, let range = detail.range(of: " at offset ", options: .backwards) else { return nil }
        return Int(detail[range.upperBound...])
    }

    /// The full `Malformation` (for its detail), or nil when the payload decodes.
    static func malformation(_ bytes: [UInt8], sender: IPv4Address? = nil) -> Malformation? {
        bytes.withUnsafeBytes { raw in
            if case let .malformed(m) = decodeFrame(raw, sender: sender) { return m }
            return nil
        }
    }

    /// Hex text to bytes; whitespace is allowed for readability.
    static func hex(_ text: String) -> [UInt8] {
        bytesFromHex(text.filter { !$0.isWhitespace })!
    }

    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

    /// `ip[4]` in network byte order, from dotted-quad text, split by hand.
    static func ipBytes(_ text: String) -> [UInt8] {
        let parts = text.split(separator: ".").map { UInt8($0)! }
        precondition(parts.count == 4)
        return parts
    }

    /// `01 len name[len]`
    static func hello(_ name: [UInt8]) -> [UInt8] { [0x01, UInt8(name.count)] + name }

    /// `ip[4] len name[len]`
    static func entry(_ ip: String, _ name: [UInt8]) -> [UInt8] { ipBytes(ip) + [UInt8(name.count)] + name }

    /// `02 count` then the entries.
    static func full(_ entries: [(ip: String, name: [UInt8])]) -> [UInt8] {
        [0x02, UInt8(entries.count)] + entries.flatMap { entry($0.ip, $0.name) }
    }

    /// A FULL whose entries all have a short name (so only the IPs matter).
    static func full(ips: [String]) -> [UInt8] {
        full(ips.map { (ip: $0, name: ascii("n")) })
    }

    /// `05 ip[4]`
    static func offline(_ ip: String) -> [UInt8] { [0x05] + ipBytes(ip) }

    static func peers(_ entries: [(String, String)]) -> [Peer] {
        entries.map { Peer(ip: ip($0.0), name: Name($0.1)) }
    }
}

// MARK: - Valid frames

struct ValidCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let sender: IPv4Address?
    let expected: Frame
    var testDescription: String { label }
}

private let validCases: [ValidCase] = [
    // boot3 frame 2: HELLO "Attack from Mars" (16 bytes).
    ValidCase(label: "boot3 HELLO", bytes: CodecBytes.hex("01 10 41747461636b2066726f6d204d617273"),
              sender: CodecBytes.ip("10.37.0.20"), expected: .hello(name: Name("Attack from Mars"))),
    // legacy frame 2: HELLO "Hook".
    ValidCase(label: "legacy HELLO Hook", bytes: [0x01, 0x04, 0x48, 0x6F, 0x6F, 0x6B],
              sender: CodecBytes.ip("10.37.0.20"), expected: .hello(name: Name("Hook"))),
    ValidCase(label: "HELLO with an empty name", bytes: [0x01, 0x00], sender: nil,
              expected: .hello(name: Name(bytes: []))),
    ValidCase(label: "HELLO with control bytes in its name (valid UTF-8)", bytes: [0x01, 0x03, 0x00, 0x0A, 0x41], sender: nil,
              expected: .hello(name: Name(bytes: [0x00, 0x0A, 0x41]))),
    ValidCase(label: "HELLO of 32 bytes of name (34 in all)", bytes: [0x01, 0x20] + [UInt8](repeating: 0x5A, count: 32), sender: nil,
              expected: .hello(name: Name(String(repeating: "Z", count: 32)))),
    // boot3 frame 5: FULL from .20 listing .20 "Attack from Mars", .30 "Medieval Madness".
    ValidCase(label: "boot3 FULL of 2",
              bytes: CodecBytes.hex("02 02 0a250014 10 41747461636b2066726f6d204d617273 0a25001e 10 4d6564696576616c204d61646e657373"),
              sender: CodecBytes.ip("10.37.0.20"),
              expected: .full(peers: CodecBytes.peers([("10.37.0.20", "Attack from Mars"), ("10.37.0.30", "Medieval Madness")]))),
    // boot3 frame 23: FULL of 4, the desktop client included.
    ValidCase(label: "boot3 FULL of 4",
              bytes: CodecBytes.hex("0204 0a250014 10 41747461636b2066726f6d204d617273 0a25001e 10 4d6564696576616c204d61646e657373 0a250028 0d 5477696c69676874205a6f6e65 0a250032 0d 4465736b746f70436c69656e74"),
              sender: CodecBytes.ip("10.37.0.20"),
              expected: .full(peers: CodecBytes.peers([("10.37.0.20", "Attack from Mars"), ("10.37.0.30", "Medieval Madness"),
                                                       ("10.37.0.40", "Twilight Zone"), ("10.37.0.50", "DesktopClient")]))),
    ValidCase(label: "FULL of no entries", bytes: [0x02, 0x00], sender: nil, expected: .full(peers: [])),
    ValidCase(label: "FULL entry with an empty name", bytes: [0x02, 0x01, 10, 0, 0, 1, 0x00], sender: CodecBytes.ip("10.0.0.1"),
              expected: .full(peers: [Peer(ip: CodecBytes.ip("10.0.0.1"), name: Name(bytes: []))])),
    ValidCase(label: "PING", bytes: [0x03], sender: nil, expected: .ping),
    ValidCase(label: "PONG", bytes: [0x04], sender: nil, expected: .pong),
    // legacy capture: OFFLINE(10.37.0.40).
    ValidCase(label: "legacy OFFLINE .40", bytes: CodecBytes.hex("05 0a250028"), sender: CodecBytes.ip("10.37.0.20"),
              expected: .offline(ip: CodecBytes.ip("10.37.0.40"))),
    ValidCase(label: "OFFLINE 255.255.255.255", bytes: [0x05, 0xFF, 0xFF, 0xFF, 0xFF], sender: nil,
              expected: .offline(ip: IPv4Address(255, 255, 255, 255))),
    ValidCase(label: "OFFLINE 0.0.0.0", bytes: [0x05, 0, 0, 0, 0], sender: nil, expected: .offline(ip: IPv4Address(0))),
    ValidCase(label: "OFFLINE byte order", bytes: [0x05, 0x01, 0x02, 0x03, 0x04], sender: nil,
              expected: .offline(ip: IPv4Address(1, 2, 3, 4))),
    ValidCase(label: "legacy JSON discover", bytes: CodecBytes.ascii(#"{"discover": true}"#), sender: nil,
              expected: .legacy(.object([(key: "discover", value: .bool(true))]))),
    ValidCase(label: "legacy JSON Party Zone", bytes: CodecBytes.hex("7b2276657273696f6e223a2022312e332e37222c20226e616d65223a2022506172747920 5a6f6e65227d"),
              sender: CodecBytes.ip("10.37.0.45"),
              expected: .legacy(.object([(key: "version", value: .string("1.3.7")), (key: "name", value: .string("Party Zone"))]))),
]

@Suite struct CodecDecodeTests {
    @Test(arguments: validCases)
    func decodesValidFrame(_ c: ValidCase) {
        let outcome = CodecBytes.decode(c.bytes, sender: c.sender)
        #expect(outcome == .frame(c.expected, warnings: []))
    }

    @Test(arguments: validCases)
    func viewBorrowsThePayload(_ c: ValidCase) throws {
        try c.bytes.withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw, sender: c.sender) else {
                Issue.record("did not decode"); return
            }
            #expect(view.type == c.expected.type)
            #expect(view.payload.baseAddress == raw.baseAddress)
            #expect(view.payload.count == c.bytes.count)
            switch c.expected {
            case let .hello(name):
                #expect(Array(view.helloName) == name.bytes)
                // The name is read in place, two bytes into the payload.
                #expect(view.helloName.baseAddress == raw.baseAddress.map { $0 + 2 })
                #expect(view.peers.count == 0)
            case let .full(peers):
                #expect(view.peers.count == peers.count)
                let walked = view.peers.map { Peer(ip: $0.ip, name: Name(bytes: Array($0.name))) }
                #expect(walked == peers)
            case let .offline(ip):
                #expect(view.offlineIP == ip)
            case .legacy:
                let value = try #require(view.legacy)
                #expect(Frame.legacy(value) == c.expected)
            case .ping, .pong:
                #expect(view.legacy == nil)
            }
        }
    }

    @Test func frameTypeBytesAndNames() {
        // PROTOCOL.md: HELLO 0x01, FULL 0x02, PING 0x03, PONG 0x04, OFFLINE 0x05, legacy '{'.
        let table: [(FrameType, UInt8, String)] = [
            (.hello, 0x01, "HELLO"), (.full, 0x02, "FULL"), (.ping, 0x03, "PING"),
            (.pong, 0x04, "PONG"), (.offline, 0x05, "OFFLINE"), (.legacy, 0x7B, "LEGACY"),
        ]
        for (type, byte, name) in table {
            #expect(type.rawValue == byte)
            #expect(type.name == name)
        }
        #expect(Set(FrameType.allCases.map(\.index)) == Set(0..<6))
    }

    @Test func senderIsOptional() {
        // Without a sender, the "sender first" rule cannot be checked and is not.
        let bytes = CodecBytes.full(ips: ["10.0.0.2", "10.0.0.1"])
        #expect(CodecBytes.decode(bytes).warnings == [])
        #expect(CodecBytes.decode(bytes, sender: CodecBytes.ip("10.0.0.2")).warnings == [])
    }
}

// MARK: - Malformations

struct MalformedCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let reason: String
    let offset: Int
    var testDescription: String { label }
}

private let entry20 = CodecBytes.entry("10.37.0.20", CodecBytes.ascii("Hook"))   // 9 bytes
private let entry30 = CodecBytes.entry("10.37.0.30", CodecBytes.ascii("T2"))     // 7 bytes

private let malformedCases: [MalformedCase] = [
    MalformedCase(label: "empty", bytes: [], reason: "empty", offset: 0),

    // unknown-type: the type byte is at offset 0.
    MalformedCase(label: "type 0x00", bytes: [0x00], reason: "unknown-type", offset: 0),
    MalformedCase(label: "type 0x06", bytes: [0x06, 0x0A, 0x25, 0x00, 0x28], reason: "unknown-type", offset: 0),
    MalformedCase(label: "type 0x7A", bytes: [0x7A], reason: "unknown-type", offset: 0),
    MalformedCase(label: "type 0x7C", bytes: [0x7C], reason: "unknown-type", offset: 0),
    MalformedCase(label: "type 0xFF", bytes: [0xFF, 0xFF], reason: "unknown-type", offset: 0),
    MalformedCase(label: "JSON array at top level", bytes: CodecBytes.ascii("[1]"), reason: "unknown-type", offset: 0),
    MalformedCase(label: "JSON string at top level", bytes: CodecBytes.ascii(#""x""#), reason: "unknown-type", offset: 0),
    MalformedCase(label: "whitespace before an object", bytes: CodecBytes.ascii(#" {"a":1}"#), reason: "unknown-type", offset: 0),
    MalformedCase(label: "UTF-8 BOM before an object", bytes: [0xEF, 0xBB, 0xBF] + CodecBytes.ascii("{}"), reason: "unknown-type", offset: 0),

    // truncated-header: HELLO 1 byte, FULL 1 byte, OFFLINE under 5.
    MalformedCase(label: "HELLO of 1 byte", bytes: [0x01], reason: "truncated-header", offset: 0),
    MalformedCase(label: "FULL of 1 byte", bytes: [0x02], reason: "truncated-header", offset: 0),
    MalformedCase(label: "OFFLINE of 1 byte", bytes: [0x05], reason: "truncated-header", offset: 0),
    MalformedCase(label: "OFFLINE of 2 bytes", bytes: [0x05, 0x0A], reason: "truncated-header", offset: 0),
    MalformedCase(label: "OFFLINE of 3 bytes", bytes: [0x05, 0x0A, 0x25], reason: "truncated-header", offset: 0),
    MalformedCase(label: "OFFLINE of 4 bytes", bytes: [0x05, 0x0A, 0x25, 0x00], reason: "truncated-header", offset: 0),

    // truncated-name: the name begins at offset 2.
    MalformedCase(label: "HELLO name of 1, none there", bytes: [0x01, 0x01], reason: "truncated-name", offset: 2),
    MalformedCase(label: "HELLO name of 5, 1 there", bytes: [0x01, 0x05, 0x41], reason: "truncated-name", offset: 2),
    MalformedCase(label: "HELLO name of 16, 15 there", bytes: CodecBytes.hex("01 10 41747461636b2066726f6d204d6172"), reason: "truncated-name", offset: 2),
    MalformedCase(label: "HELLO name of 255, 254 there", bytes: [0x01, 0xFF] + [UInt8](repeating: 0x61, count: 254), reason: "truncated-name", offset: 2),

    // truncated-peer: the offset is where the entry that could not be read begins.
    MalformedCase(label: "FULL of 1, no entry", bytes: [0x02, 0x01], reason: "truncated-peer", offset: 2),
    MalformedCase(label: "FULL of 1, 3 bytes of the IP", bytes: [0x02, 0x01, 10, 37, 0], reason: "truncated-peer", offset: 2),
    MalformedCase(label: "FULL of 1, IP but no length", bytes: [0x02, 0x01, 10, 37, 0, 20], reason: "truncated-peer", offset: 2),
    MalformedCase(label: "FULL of 1, name of 4 missing", bytes: [0x02, 0x01, 10, 37, 0, 20, 4], reason: "truncated-peer", offset: 2),
    MalformedCase(label: "FULL of 1, name of 4 with 3", bytes: [0x02, 0x01, 10, 37, 0, 20, 4, 0x48, 0x6F, 0x6F], reason: "truncated-peer", offset: 2),
    MalformedCase(label: "FULL of 2, second missing", bytes: [0x02, 0x02] + entry20, reason: "truncated-peer", offset: 11),
    MalformedCase(label: "FULL of 2, second header cut", bytes: [0x02, 0x02] + entry20 + [10, 37], reason: "truncated-peer", offset: 11),
    MalformedCase(label: "FULL of 2, second name cut", bytes: [0x02, 0x02] + entry20 + entry30.dropLast(), reason: "truncated-peer", offset: 11),
    MalformedCase(label: "FULL of 3, third missing", bytes: [0x02, 0x03] + entry20 + entry30, reason: "truncated-peer", offset: 18),
    MalformedCase(label: "FULL of 255, one entry", bytes: [0x02, 0xFF] + entry20, reason: "truncated-peer", offset: 11),

    // trailing-bytes, every type: the offset is the first extra byte.
    MalformedCase(label: "PING + 1", bytes: [0x03, 0x00], reason: "trailing-bytes", offset: 1),
    MalformedCase(label: "PING + 8", bytes: [0x03] + [UInt8](repeating: 0x03, count: 8), reason: "trailing-bytes", offset: 1),
    MalformedCase(label: "PONG + 1", bytes: [0x04, 0x04], reason: "trailing-bytes", offset: 1),
    MalformedCase(label: "OFFLINE + 1", bytes: [0x05, 10, 37, 0, 40, 0x00], reason: "trailing-bytes", offset: 5),
    MalformedCase(label: "OFFLINE + 4", bytes: [0x05, 10, 37, 0, 40, 10, 37, 0, 41], reason: "trailing-bytes", offset: 5),
    MalformedCase(label: "HELLO + 1", bytes: [0x01, 0x01, 0x41, 0x42], reason: "trailing-bytes", offset: 3),
    MalformedCase(label: "HELLO empty name + 1", bytes: [0x01, 0x00, 0x00], reason: "trailing-bytes", offset: 2),
    MalformedCase(label: "HELLO Hook + NUL", bytes: [0x01, 0x04, 0x48, 0x6F, 0x6F, 0x6B, 0x00], reason: "trailing-bytes", offset: 6),
    MalformedCase(label: "FULL of 0 + 1", bytes: [0x02, 0x00, 0x00], reason: "trailing-bytes", offset: 2),
    MalformedCase(label: "FULL of 1 + 1", bytes: [0x02, 0x01] + entry20 + [0xFF], reason: "trailing-bytes", offset: 11),
    MalformedCase(label: "FULL of 2 + an entry", bytes: [0x02, 0x02] + entry20 + entry30 + entry30, reason: "trailing-bytes", offset: 18),
    MalformedCase(label: "JSON + '}'", bytes: CodecBytes.ascii(#"{"a":1}}"#), reason: "trailing-bytes", offset: 7),
    MalformedCase(label: "JSON + NUL", bytes: CodecBytes.ascii(#"{"discover": true}"#) + [0x00], reason: "trailing-bytes", offset: 18),
    MalformedCase(label: "JSON + second object", bytes: CodecBytes.ascii("{}{}"), reason: "trailing-bytes", offset: 2),
    // JSON allows whitespace after the value (RFC 8259 ws); the first byte that is
    // neither the object nor that whitespace is the extra one.
    MalformedCase(label: "JSON + space + x", bytes: CodecBytes.ascii("{} x"), reason: "trailing-bytes", offset: 3),

    // bad-json: starts with '{' but is not a JSON object.
    MalformedCase(label: "lone '{'", bytes: CodecBytes.ascii("{"), reason: "bad-json", offset: 0),
    MalformedCase(label: "'{' then garbage", bytes: CodecBytes.ascii("{garbage"), reason: "bad-json", offset: 0),
    MalformedCase(label: "'{' then binary", bytes: [0x7B, 0x01, 0x02, 0xFF], reason: "bad-json", offset: 0),
]

extension CodecDecodeTests {
    @Test(arguments: malformedCases)
    func reportsMalformation(_ c: MalformedCase) throws {
        #expect(CodecBytes.decode(c.bytes) == .malformed(reason: c.reason, offset: c.offset, length: c.bytes.count))
        // The same with a sender: the sender only matters for a FULL that decodes.
        #expect(CodecBytes.decode(c.bytes, sender: CodecBytes.ip("10.37.0.20"))
                == .malformed(reason: c.reason, offset: c.offset, length: c.bytes.count))
        let m = try #require(CodecBytes.malformation(c.bytes))
        #expect(!m.detail.isEmpty)
        #expect((0...c.bytes.count).contains(m.offset))
    }

    @Test func everyCodecReasonIsCovered() {
        let raised = Set(malformedCases.map(\.reason))
        #expect(raised == ["empty", "unknown-type", "truncated-header", "truncated-name",
                           "truncated-peer", "trailing-bytes", "bad-json"])
    }

    @Test func everyTypeByteOtherThanTheSixIsUnknown() {
        for byte in UInt8.min...UInt8.max {
            let outcome = CodecBytes.decode([byte, 0x00, 0x00, 0x00, 0x00])
            switch byte {
            case 0x01...0x05, 0x7B:
                if case let .malformed(reason, _, _) = outcome { #expect(reason != "unknown-type") }
            default:
                #expect(outcome == .malformed(reason: "unknown-type", offset: 0, length: 5), "type byte \(byte)")
            }
        }
    }

    @Test func reasonCodesAreTheContractNames() {
        let table: [(MalformationReason, String)] = [
            (.empty, "empty"), (.unknownType, "unknown-type"), (.truncatedHeader, "truncated-header"),
            (.truncatedName, "truncated-name"), (.truncatedPeer, "truncated-peer"),
            (.trailingBytes, "trailing-bytes"), (.badJSON, "bad-json"),
            (.truncatedCapture, "truncated-capture"), (.badUDPChecksum, "bad-udp-checksum"),
            (.incompleteFragments, "incomplete-fragments"), (.notIPv4, "not-ipv4"),
        ]
        for (reason, code) in table { #expect(reason.description == code) }
        #expect(MalformationReason.allCases.map(\.description) == table.map(\.1))
        #expect(MalformationReason.allCases.map(\.index) == Array(0..<table.count))
    }
}

// MARK: - Encoder

struct EncodeCase: Sendable, CustomTestStringConvertible {
    let label: String
    let frame: Frame
    let bytes: [UInt8]
    var testDescription: String { label }
}

private let thirtyTwo = String(repeating: "x", count: 32)

private let encodeCases: [EncodeCase] = [
    EncodeCase(label: "HELLO Hook", frame: .hello(name: Name("Hook")), bytes: [0x01, 0x04, 0x48, 0x6F, 0x6F, 0x6B]),
    EncodeCase(label: "HELLO empty", frame: .hello(name: Name(bytes: [])), bytes: [0x01, 0x00]),
    EncodeCase(label: "HELLO Ω", frame: .hello(name: Name("Ω")), bytes: [0x01, 0x02, 0xCE, 0xA9]),
    EncodeCase(label: "HELLO raw bytes", frame: .hello(name: Name(bytes: [0xFF, 0xCE])), bytes: [0x01, 0x02, 0xFF, 0xCE]),
    EncodeCase(label: "FULL boot3",
               frame: .full(peers: CodecBytes.peers([("10.37.0.20", "Attack from Mars"), ("10.37.0.30", "Medieval Madness")])),
               bytes: CodecBytes.hex("02020a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e657373")),
    EncodeCase(label: "FULL empty", frame: .full(peers: []), bytes: [0x02, 0x00]),
    EncodeCase(label: "FULL byte order", frame: .full(peers: [Peer(ip: IPv4Address(1, 2, 3, 4), name: Name("a"))]),
               bytes: [0x02, 0x01, 1, 2, 3, 4, 0x01, 0x61]),
    EncodeCase(label: "PING", frame: .ping, bytes: [0x03]),
    EncodeCase(label: "PONG", frame: .pong, bytes: [0x04]),
    EncodeCase(label: "OFFLINE", frame: .offline(ip: CodecBytes.ip("10.37.0.40")), bytes: [0x05, 0x0A, 0x25, 0x00, 0x28]),
    EncodeCase(label: "OFFLINE broadcast", frame: .offline(ip: .broadcast), bytes: [0x05, 0xFF, 0xFF, 0xFF, 0xFF]),
    EncodeCase(label: "LEGACY discover", frame: .legacy(.object([(key: "discover", value: .bool(true))])),
               bytes: CodecBytes.ascii(#"{"discover":true}"#)),
    EncodeCase(label: "LEGACY Getaway",
               frame: .legacy(.object([(key: "version", value: .string("1.3.8")), (key: "name", value: .string("Getaway")),
                                       (key: "ip", value: .string("10.37.0.40"))])),
               bytes: CodecBytes.ascii(#"{"version":"1.3.8","name":"Getaway","ip":"10.37.0.40"}"#)),
    EncodeCase(label: "LEGACY nested", frame: .legacy(.object([(key: "a", value: .array([.null, .number("-1.5e3"), .object([])]))])),
               bytes: CodecBytes.ascii(#"{"a":[null,-1.5e3,{}]}"#)),
    EncodeCase(label: "HELLO largest legal (34 bytes)", frame: .hello(name: Name(thirtyTwo)),
               bytes: [0x01, 0x20] + CodecBytes.ascii(thirtyTwo)),
]

extension CodecDecodeTests {
    @Test(arguments: encodeCases)
    func encodesToTheWireLayout(_ c: EncodeCase) {
        #expect(c.frame.encoded() == c.bytes)
        var out: [UInt8] = [0xAA]
        c.frame.encode(into: &out)
        #expect(out == [0xAA] + c.bytes, "encode(into:) appends")
    }

    @Test(arguments: encodeCases)
    func roundTrips(_ c: EncodeCase) {
        let outcome = CodecBytes.decode(c.frame.encoded())
        #expect(outcome.frame == c.frame)
    }

    @Test func largestLegalHello() {
        let frame = Frame.hello(name: firmwareName(String(repeating: "Ω", count: 40)))
        let bytes = frame.encoded()
        #expect(bytes.count == 34)
        #expect(CodecBytes.decode(bytes) == .frame(frame, warnings: []))
    }

    /// PROTOCOL.md: FULL 2 + 51 × 37 = 1889 bytes, the sender first, the rest sorted.
    @Test func largestLegalFull() {
        var peers: [Peer] = []
        for k in 0..<51 {
            let name = "Board \(k) " + String(repeating: ".", count: 32)
            peers.append(Peer(ip: IPv4Address(10, 37, 0, UInt8(100 + k)), name: firmwareName(name)))
        }
        let frame = Frame.full(peers: peers)
        let bytes = frame.encoded()
        #expect(bytes.count == 1889)
        #expect(bytes[0] == 0x02 && bytes[1] == 51)
        // Entry k begins at 2 + 37k: 4 address bytes, then the length byte 32.
        for k in 0..<51 {
            #expect(Array(bytes[2 + 37 * k ..< 2 + 37 * k + 5]) == [10, 37, 0, UInt8(100 + k), 32])
        }
        // Legal, but past the boards' 1024-byte buffer.
        #expect(CodecBytes.decode(bytes, sender: IPv4Address(10, 37, 0, 100))
                == .frame(frame, warnings: ["exceeds-receive-buffer"]))
    }

    @Test func encoderCutsAt255() {
        let long = Name(bytes: [UInt8](repeating: 0x61, count: 300))
        let hello = Frame.hello(name: long).encoded()
        #expect(hello.count == 257)
        #expect(hello[1] == 0xFF)

        let peers = (0..<300).map { Peer(ip: IPv4Address(UInt32(0x0A00_0000 + $0)), name: Name(bytes: [])) }
        let full = Frame.full(peers: peers).encoded()
        #expect(full[1] == 0xFF)
        #expect(full.count == 2 + 255 * 5)
        #expect(CodecBytes.decode(full).frame == .full(peers: Array(peers.prefix(255))))
    }

    @Test func frameTypeOfEachCase() {
        #expect(Frame.hello(name: Name("a")).type == .hello)
        #expect(Frame.full(peers: []).type == .full)
        #expect(Frame.ping.type == .ping)
        #expect(Frame.pong.type == .pong)
        #expect(Frame.offline(ip: IPv4Address(0)).type == .offline)
        #expect(Frame.legacy(.object([])).type == .legacy)
    }
}

// MARK: - firmwareName

struct FirmwareNameCase: Sendable, CustomTestStringConvertible {
    let text: String
    let bytes: [UInt8]
    var testDescription: String { text }
}

private let firmwareNameCases: [FirmwareNameCase] = [
    FirmwareNameCase(text: "Hook", bytes: [0x48, 0x6F, 0x6F, 0x6B]),
    FirmwareNameCase(text: "", bytes: []),
    FirmwareNameCase(text: String(repeating: "a", count: 40), bytes: [UInt8](repeating: 0x61, count: 32)),
    // 31 ASCII bytes, then Ω (CE A9): the 32-byte cut keeps only CE.
    FirmwareNameCase(text: String(repeating: "a", count: 31) + "Ω", bytes: [UInt8](repeating: 0x61, count: 31) + [0xCE]),
    // 30 ASCII bytes, then Ω: it fits exactly.
    FirmwareNameCase(text: String(repeating: "a", count: 30) + "Ω", bytes: [UInt8](repeating: 0x61, count: 30) + [0xCE, 0xA9]),
    // The big capture's hosts (README.txt) against the HELLOs they sent (frames.tsv.gz).
    FirmwareNameCase(text: "Flipper Zone Ω #00 .............",
                     bytes: CodecBytes.hex("466c6970706572205a6f6e6520cea920233030202e2e2e2e2e2e2e2e2e2e2e2e")),
    FirmwareNameCase(text: "Pinball Cafe 02 ...............é",
                     bytes: CodecBytes.hex("50696e62616c6c2043616665203032202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec3")),
    FirmwareNameCase(text: "ピンボール 03 .......................",
                     bytes: CodecBytes.hex("e38394e383b3e3839ce383bce383ab203033202e2e2e2e2e2e2e2e2e2e2e2e2e")),
    FirmwareNameCase(text: "🎱 Eight Ball 04 ................",
                     bytes: CodecBytes.hex("f09f8eb12045696768742042616c6c203034202e2e2e2e2e2e2e2e2e2e2e2e2e")),
    FirmwareNameCase(text: "Pinball Bar 05 ...............ボ.",
                     bytes: CodecBytes.hex("50696e62616c6c20426172203035202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee383")),
]

extension CodecDecodeTests {
    @Test(arguments: firmwareNameCases)
    func firmwareCutsNamesLikeTheBoards(_ c: FirmwareNameCase) {
        #expect(firmwareName(c.text).bytes == c.bytes)
        #expect(firmwareName(c.text).bytes.count <= FirmwareLimits.maxNameBytes)
    }

    @Test func nameDescriptionReplacesBadBytes() {
        #expect(Name(bytes: [0x41, 0xCE]).description == "A\u{FFFD}")
        #expect(Name(bytes: [0x41, 0xFF, 0x42]).description == "A\u{FFFD}B")
        #expect(Name("Ω").description == "Ω")
        #expect(Name("Ω").bytes == [0xCE, 0xA9])
    }

    @Test func firmwareLimits() {
        #expect(FirmwareLimits.maxNameBytes == 32)
        #expect(FirmwareLimits.maxPeers == 51)
        #expect(FirmwareLimits.receiveBuffer == 1024)
        #expect(FirmwareLimits.port == 37020)
    }
}

// MARK: - IPv4 order (the election and the FULL's sort are numeric)

extension CodecDecodeTests {
    @Test(arguments: [
        ("10.0.0.9", "10.0.0.10"),
        ("10.0.0.2", "10.0.0.100"),
        ("9.255.255.255", "10.0.0.0"),
        ("10.37.0.20", "10.37.0.30"),
        ("10.37.0.99", "10.37.0.100"),
        ("1.2.3.4", "1.2.4.3"),
    ])
    func ipv4OrderIsNumeric(lower: String, higher: String) {
        #expect(CodecBytes.ip(lower) < CodecBytes.ip(higher))
        #expect(!(CodecBytes.ip(higher) < CodecBytes.ip(lower)))
        // Text order would say otherwise for some of these; the codec must not use it.
        #expect(CodecBytes.ip(lower).value < CodecBytes.ip(higher).value)
    }
}
