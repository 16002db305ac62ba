import Testing
@testable import DiscoveryCodec
import WireBytes

// Every warning the codec sets (CONTRACT.md: the frame still decodes and lists
// them), and that the real captures' frames carry none.

struct WarningCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let sender: IPv4Address?
    let warnings: [String]
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], sender: String? = nil, _ warnings: [String]) {
        self.label = label
        self.bytes = bytes
        self.sender = sender.map(CodecBytes.ip)
        self.warnings = warnings
    }
}

private let a = CodecBytes.ascii
private let ohm31 = [UInt8](repeating: 0x61, count: 31) + [0xCE]   // "aaa…a" + first byte of Ω

/// `count` entries 10.0.0.1, 10.0.0.2, … with one-byte names: sender first, sorted.
private func sortedFull(count: Int) -> [UInt8] {
    var bytes: [UInt8] = [0x02, UInt8(count)]
    for k in 0..<count { bytes += [10, 0, UInt8(k / 256), UInt8(k % 256 + (k < 256 ? 1 : 0)), 1, 0x6E] }
    return bytes
}

/// A FULL of exactly `length` bytes: 30 entries of 28-byte names (33 bytes each),
/// then one entry whose name takes the rest (5 + name ≤ 37).
private func fullOfLength(_ length: Int) -> [UInt8] {
    var entries: [(ip: String, name: [UInt8])] = (0..<30).map { (ip: "10.0.1.\($0 + 1)", name: [UInt8](repeating: 0x62, count: 28)) }
    let rest = length - 2 - 30 * 33 - 5
    precondition((0...32).contains(rest))
    entries.append((ip: "10.0.1.200", name: [UInt8](repeating: 0x63, count: rest)))
    let bytes = CodecBytes.full(entries)
    precondition(bytes.count == length)
    return bytes
}

private let warningCases: [WarningCase] = [
    // name-not-utf8
    WarningCase("HELLO name with 0xFF", CodecBytes.hello([0x41, 0xFF, 0x42]), ["name-not-utf8"]),
    WarningCase("HELLO name with a lone continuation byte", CodecBytes.hello([0x80]), ["name-not-utf8"]),
    WarningCase("HELLO name with an overlong '/' (C0 AF)", CodecBytes.hello([0xC0, 0xAF]), ["name-not-utf8"]),
    WarningCase("HELLO name with an overlong 3-byte form (E0 80 AF)", CodecBytes.hello([0xE0, 0x80, 0xAF]), ["name-not-utf8"]),
    WarningCase("HELLO name with a UTF-16 surrogate (ED A0 80)", CodecBytes.hello([0xED, 0xA0, 0x80]), ["name-not-utf8"]),
    WarningCase("HELLO name above U+10FFFF (F4 90 80 80)", CodecBytes.hello([0xF4, 0x90, 0x80, 0x80]), ["name-not-utf8"]),
    WarningCase("HELLO name with F5", CodecBytes.hello([0xF5, 0x80, 0x80, 0x80]), ["name-not-utf8"]),
    // A character cut short in the middle of a name is not the firmware's end cut.
    WarningCase("HELLO name with Ω's first byte then ASCII", CodecBytes.hello([0xCE, 0x41]), ["name-not-utf8"]),
    WarningCase("HELLO name: bad byte early, cut character at the end", CodecBytes.hello([0xFF, 0x41, 0xCE]), ["name-not-utf8"]),
    WarningCase("FULL entry name not UTF-8", CodecBytes.full([(ip: "10.0.0.1", name: a("ok")), (ip: "10.0.0.2", name: [0xFF])]),
                sender: "10.0.0.1", ["name-not-utf8"]),

    // name-cut-mid-character: the firmware's 32-byte cut after Ω's first byte.
    WarningCase("HELLO firmwareName(31 × a + Ω)", CodecBytes.hello(ohm31), ["name-cut-mid-character"]),
    WarningCase("HELLO short name ending in Ω's first byte", CodecBytes.hello([0x41, 0xCE]), ["name-cut-mid-character"]),
    WarningCase("HELLO name ending in 2 of ボ's 3 bytes", CodecBytes.hello([0x41, 0xE3, 0x83]), ["name-cut-mid-character"]),
    WarningCase("HELLO name ending in 3 of 🎱's 4 bytes", CodecBytes.hello([0x41, 0xF0, 0x9F, 0x8E]), ["name-cut-mid-character"]),
    WarningCase("HELLO name ending in 1 of 🎱's 4 bytes", CodecBytes.hello([0xF0]), ["name-cut-mid-character"]),
    // big capture: .102 "Pinball Cafe 02 ...............é" and .105 "…ボ." as the boards sent them.
    WarningCase("big HELLO .102 (é cut)", CodecBytes.hex("012050696e62616c6c2043616665203032202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec3"),
                sender: "10.37.0.102", ["name-cut-mid-character"]),
    WarningCase("big HELLO .105 (ボ cut)", CodecBytes.hex("012050696e62616c6c20426172203035202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee383"),
                sender: "10.37.0.105", ["name-cut-mid-character"]),
    WarningCase("FULL entry name cut", CodecBytes.full([(ip: "10.0.0.1", name: ohm31)]), sender: "10.0.0.1", ["name-cut-mid-character"]),
    // A bad sequence that could never be completed is not "cut".
    WarningCase("HELLO name ending in E0 80 (never valid)", CodecBytes.hello([0x41, 0xE0, 0x80]), ["name-not-utf8"]),
    WarningCase("HELLO name ending in ED A0 (a surrogate)", CodecBytes.hello([0x41, 0xED, 0xA0]), ["name-not-utf8"]),
    WarningCase("HELLO name ending in F4 90 (above U+10FFFF)", CodecBytes.hello([0x41, 0xF4, 0x90]), ["name-not-utf8"]),

    // name-too-long: more than 32 bytes.
    WarningCase("HELLO name of 33 bytes", CodecBytes.hello([UInt8](repeating: 0x61, count: 33)), ["name-too-long"]),
    WarningCase("HELLO name of 255 bytes", CodecBytes.hello([UInt8](repeating: 0x61, count: 255)), ["name-too-long"]),
    WarningCase("HELLO name of 33 bytes ending cut", CodecBytes.hello([UInt8](repeating: 0x61, count: 32) + [0xCE]),
                ["name-cut-mid-character", "name-too-long"]),
    WarningCase("HELLO name of 34 bytes, 0xFF inside", CodecBytes.hello([0xFF] + [UInt8](repeating: 0x61, count: 33)),
                ["name-not-utf8", "name-too-long"]),
    WarningCase("FULL entry name of 33 bytes", CodecBytes.full([(ip: "10.0.0.1", name: [UInt8](repeating: 0x61, count: 33))]),
                sender: "10.0.0.1", ["name-too-long"]),
    WarningCase("HELLO Ω × 16 (32 bytes) is fine", CodecBytes.hello(a(String(repeating: "Ω", count: 16))), []),
    WarningCase("HELLO Ω × 17 (34 bytes)", CodecBytes.hello(a(String(repeating: "Ω", count: 17))), ["name-too-long"]),

    // too-many-peers: more than 51 entries.
    WarningCase("FULL of 51", sortedFull(count: 51), sender: "10.0.0.1", []),
    WarningCase("FULL of 52", sortedFull(count: 52), sender: "10.0.0.1", ["too-many-peers"]),
    WarningCase("FULL of 255 (1532 bytes)", sortedFull(count: 255), sender: "10.0.0.1", ["too-many-peers", "exceeds-receive-buffer"]),

    // full-sender-not-first
    WarningCase("FULL of .20 .30 sent by .30", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30"]), sender: "10.37.0.30",
                ["full-sender-not-first"]),
    WarningCase("FULL not listing its sender", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30"]), sender: "10.37.0.40",
                ["full-sender-not-first"]),
    WarningCase("FULL of no entries, with a sender", [0x02, 0x00], sender: "10.37.0.20", ["full-sender-not-first"]),
    WarningCase("FULL of no entries, no sender", [0x02, 0x00], []),
    WarningCase("FULL of the sender alone", CodecBytes.full(ips: ["10.37.0.20"]), sender: "10.37.0.20", []),
    // The registry need not be the lowest IP: the sender first, then the rest sorted.
    WarningCase("FULL from .40 listing itself first", CodecBytes.full(ips: ["10.37.0.40", "10.37.0.20", "10.37.0.30"]),
                sender: "10.37.0.40", []),

    // full-not-sorted: the entries after the first, by numeric IP.
    WarningCase("FULL .20 .40 .30", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.40", "10.37.0.30"]), sender: "10.37.0.20",
                ["full-not-sorted"]),
    WarningCase("FULL .1 .5 .10 .9 (numeric)", CodecBytes.full(ips: ["10.0.0.1", "10.0.0.5", "10.0.0.10", "10.0.0.9"]),
                sender: "10.0.0.1", ["full-not-sorted"]),
    // Text order would call these unsorted ("10.0.0.10" < "10.0.0.9"); numerically they are sorted.
    WarningCase("FULL .1 .9 .10 .100 (numeric)", CodecBytes.full(ips: ["10.0.0.1", "10.0.0.9", "10.0.0.10", "10.0.0.100"]),
                sender: "10.0.0.1", []),
    WarningCase("FULL across octets 9.255.255.255 then 10.0.0.0",
                CodecBytes.full(ips: ["1.1.1.1", "9.255.255.255", "10.0.0.0"]), sender: "1.1.1.1", []),
    WarningCase("FULL last two swapped", CodecBytes.full(ips: ["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.3"]),
                sender: "10.0.0.1", ["full-not-sorted"]),
    WarningCase("FULL both wrong: sender second, unsorted", CodecBytes.full(ips: ["10.0.0.1", "10.0.0.9", "10.0.0.2"]),
                sender: "10.0.0.2", ["full-sender-not-first", "full-not-sorted"]),

    // full-duplicate-ip
    WarningCase("FULL .20 .20", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.20"]), sender: "10.37.0.20", ["full-duplicate-ip"]),
    WarningCase("FULL .20 .30 .30", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30", "10.37.0.30"]), sender: "10.37.0.20",
                ["full-duplicate-ip"]),
    WarningCase("FULL .40 .20 .30 .40 (sender again, sorted)", CodecBytes.full(ips: ["10.37.0.40", "10.37.0.20", "10.37.0.30", "10.37.0.40"]),
                sender: "10.37.0.40", ["full-duplicate-ip"]),
    WarningCase("FULL .20 .30 .40 .20 (sender again, unsorted)", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30", "10.37.0.40", "10.37.0.20"]),
                sender: "10.37.0.20", ["full-not-sorted", "full-duplicate-ip"]),
    WarningCase("FULL .20 .40 .30 .40 (unsorted, apart)", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.40", "10.37.0.30", "10.37.0.40"]),
                sender: "10.37.0.20", ["full-not-sorted", "full-duplicate-ip"]),
    WarningCase("FULL same IP, different names", CodecBytes.full([(ip: "10.0.0.1", name: a("A")), (ip: "10.0.0.2", name: a("B")),
                                                                  (ip: "10.0.0.2", name: a("C"))]),
                sender: "10.0.0.1", ["full-duplicate-ip"]),

    // exceeds-receive-buffer: payload over 1024 bytes.
    WarningCase("FULL of 1024 bytes", fullOfLength(1024), sender: "10.0.1.1", []),
    WarningCase("FULL of 1025 bytes", fullOfLength(1025), sender: "10.0.1.1", ["exceeds-receive-buffer"]),
    WarningCase("LEGACY of 1025 bytes", a(#"{"name":""# + String(repeating: "x", count: 1014) + #""}"#), ["exceeds-receive-buffer"]),
    WarningCase("LEGACY of 1024 bytes", a(#"{"name":""# + String(repeating: "x", count: 1013) + #""}"#), []),
]

/// big capture, from .100: a FULL of 27 entries, 1001 bytes (under the buffer), with the
/// boards' cut names.
let codecBigFull1001 = CodecBytes.hex("""
    021b0a25006420466c6970706572205a6f6e6520cea920233030202e2e2e2e2e2e2e2e2e2e2e2e0a2500652047616d65203031202d2d2d2d2d2d2d2d2d2d2d2d
    2d2d2d2d2d2d2d2d2d2d2d2d0a2500662050696e62616c6c2043616665203032202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25006720e38394e383b3e3839ce3
    83bce383ab203033202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006820f09f8eb12045696768742042616c6c203034202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006920
    50696e62616c6c20426172203035202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25006a20466c6970706572205a6f6e6520cea920233036202e2e2e2e2e2e2e
    2e2e2e2e2e0a25006b2047616d65203037202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a25006c2050696e62616c6c2043616665203038202e
    2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25006d20e38394e383b3e3839ce383bce383ab203039202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006e20f09f8eb1204569
    6768742042616c6c203130202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006f2050696e62616c6c20426172203131202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25
    007020466c6970706572205a6f6e6520cea920233132202e2e2e2e2e2e2e2e2e2e2e2e0a2500712047616d65203133202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d
    2d2d2d2d2d2d2d2d0a2500722050696e62616c6c2043616665203134202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25007320e38394e383b3e3839ce383bce383
    ab203135202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007420f09f8eb12045696768742042616c6c203136202e2e2e2e2e2e2e2e2e2e2e2e2e0a2500752050696e62
    616c6c20426172203137202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25007620466c6970706572205a6f6e6520cea920233138202e2e2e2e2e2e2e2e2e2e2e
    2e0a2500772047616d65203139202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a2500782050696e62616c6c2043616665203230202e2e2e2e2e
    2e2e2e2e2e2e2e2e2e2ec30a25007920e38394e383b3e3839ce383bce383ab203231202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007a20f09f8eb120456967687420
    42616c6c203232202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007b2050696e62616c6c20426172203233202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25007c2046
    6c6970706572205a6f6e6520cea920233234202e2e2e2e2e2e2e2e2e2e2e2e0a25007e2050696e62616c6c2043616665203236202e2e2e2e2e2e2e2e2e2e2e2e
    2e2e2ec30a25007f20e38394e383b3e3839ce383bce383ab203237202e2e2e2e2e2e2e2e2e2e2e2e2e
""")

/// big capture, from .100: a FULL of 44 entries, 1630 bytes (past the buffer, IP-fragmented).
let codecBigFull1630 = CodecBytes.hex("""
    022c0a25006420466c6970706572205a6f6e6520cea920233030202e2e2e2e2e2e2e2e2e2e2e2e0a2500652047616d65203031202d2d2d2d2d2d2d2d2d2d2d2d
    2d2d2d2d2d2d2d2d2d2d2d2d0a2500662050696e62616c6c2043616665203032202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25006720e38394e383b3e3839ce3
    83bce383ab203033202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006820f09f8eb12045696768742042616c6c203034202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006920
    50696e62616c6c20426172203035202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25006a20466c6970706572205a6f6e6520cea920233036202e2e2e2e2e2e2e
    2e2e2e2e2e0a25006b2047616d65203037202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a25006c2050696e62616c6c2043616665203038202e
    2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25006d20e38394e383b3e3839ce383bce383ab203039202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006e20f09f8eb1204569
    6768742042616c6c203130202e2e2e2e2e2e2e2e2e2e2e2e2e0a25006f2050696e62616c6c20426172203131202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25
    007020466c6970706572205a6f6e6520cea920233132202e2e2e2e2e2e2e2e2e2e2e2e0a2500712047616d65203133202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d
    2d2d2d2d2d2d2d2d0a2500722050696e62616c6c2043616665203134202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25007320e38394e383b3e3839ce383bce383
    ab203135202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007420f09f8eb12045696768742042616c6c203136202e2e2e2e2e2e2e2e2e2e2e2e2e0a2500752050696e62
    616c6c20426172203137202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25007620466c6970706572205a6f6e6520cea920233138202e2e2e2e2e2e2e2e2e2e2e
    2e0a2500772047616d65203139202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a2500782050696e62616c6c2043616665203230202e2e2e2e2e
    2e2e2e2e2e2e2e2e2e2ec30a25007920e38394e383b3e3839ce383bce383ab203231202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007a20f09f8eb120456967687420
    42616c6c203232202e2e2e2e2e2e2e2e2e2e2e2e2e0a25007b2050696e62616c6c20426172203233202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25007c2046
    6c6970706572205a6f6e6520cea920233234202e2e2e2e2e2e2e2e2e2e2e2e0a25007d2047616d65203235202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d
    2d2d2d2d0a25007e2050696e62616c6c2043616665203236202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25007f20e38394e383b3e3839ce383bce383ab203237
    202e2e2e2e2e2e2e2e2e2e2e2e2e0a25008020f09f8eb12045696768742042616c6c203238202e2e2e2e2e2e2e2e2e2e2e2e2e0a2500812050696e62616c6c20
    426172203239202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25008220466c6970706572205a6f6e6520cea920233330202e2e2e2e2e2e2e2e2e2e2e2e0a2500
    842050696e62616c6c2043616665203332202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec30a25008520e38394e383b3e3839ce383bce383ab203333202e2e2e2e2e2e
    2e2e2e2e2e2e2e0a25008620f09f8eb12045696768742042616c6c203334202e2e2e2e2e2e2e2e2e2e2e2e2e0a2500872050696e62616c6c2042617220333520
    2e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25008820466c6970706572205a6f6e6520cea920233336202e2e2e2e2e2e2e2e2e2e2e2e0a2500892047616d6520
    3337202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a25008a2050696e62616c6c2043616665203338202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec3
    0a25008b20e38394e383b3e3839ce383bce383ab203339202e2e2e2e2e2e2e2e2e2e2e2e2e0a25008c20f09f8eb12045696768742042616c6c203430202e2e2e
    2e2e2e2e2e2e2e2e2e2e0a25008d2050696e62616c6c20426172203431202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ee3830a25008e20466c6970706572205a6f6e65
    20cea920233432202e2e2e2e2e2e2e2e2e2e2e2e0a25008f2047616d65203433202d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a250090205069
    6e62616c6c2043616665203434202e2e2e2e2e2e2e2e2e2e2e2e2e2e2ec3
""")

struct RealFrame: Sendable, CustomTestStringConvertible {
    let capture: String
    let sender: String
    let hex: String
    init(_ capture: String, _ sender: String, _ hex: String) {
        self.capture = capture
        self.sender = sender
        self.hex = hex
    }
    var testDescription: String { "\(capture) \(sender) \(hex.prefix(24))" }
}

/// Every distinct (sender, payload) of the six small captures (frames.tsv and
/// frames-board-view.tsv of boot3, failover, lowjoin, desktop-lowest, rejoin, legacy).
private let realFrames: [RealFrame] = [
    RealFrame("boot3", "10.37.0.20", "011041747461636b2066726f6d204d617273"),
    RealFrame("boot3", "10.37.0.30", "01104d6564696576616c204d61646e657373"),
    RealFrame("boot3", "10.37.0.40", "010d5477696c69676874205a6f6e65"),
    RealFrame("boot3", "10.37.0.50", "010d4465736b746f70436c69656e74"),
    RealFrame("desktop-lowest", "10.37.0.20", "010c426c61636b204b6e69676874"),
    RealFrame("desktop-lowest", "10.37.0.30", "010a466973682054616c6573"),
    RealFrame("desktop-lowest", "10.37.0.40", "010d496e6469616e61204a6f6e6573"),
    RealFrame("desktop-lowest", "10.37.0.5", "010d4465736b746f70436c69656e74"),
    RealFrame("failover", "10.37.0.20", "010d416464616d732046616d696c79"),
    RealFrame("failover", "10.37.0.30", "010846756e686f757365"),
    RealFrame("failover", "10.37.0.40", "011054686561747265206f66204d61676963"),
    RealFrame("failover", "10.37.0.50", "010c4d6f6e737465722042617368"),
    RealFrame("legacy", "10.37.0.20", "0104486f6f6b"),
    RealFrame("legacy", "10.37.0.30", "010c5465726d696e61746f722032"),
    RealFrame("lowjoin", "10.37.0.10", "010d4a75726173736963205061726b"),
    RealFrame("lowjoin", "10.37.0.20", "010d53746172205472656b20544e47"),
    RealFrame("lowjoin", "10.37.0.30", "010b5768697465205761746572"),
    RealFrame("lowjoin", "10.37.0.40", "010f43697271757320566f6c7461697265"),
    RealFrame("rejoin", "10.37.0.20", "011754616c6573206f66204172616269616e204e6967687473"),
    RealFrame("rejoin", "10.37.0.30", "010c536361726564205374696666"),
    RealFrame("rejoin", "10.37.0.40", "011e43726561747572652066726f6d2074686520426c61636b204c61676f6f6e"),
    RealFrame("rejoin", "10.37.0.50", "010744722e2057686f"),
    RealFrame("boot3", "10.37.0.20", "02020a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e657373"),
    RealFrame("boot3", "10.37.0.20", "02030a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e6573730a2500280d5477696c69676874205a6f6e65"),
    RealFrame("boot3", "10.37.0.20", "02040a2500141041747461636b2066726f6d204d6172730a25001e104d6564696576616c204d61646e6573730a2500280d5477696c69676874205a6f6e650a2500320d4465736b746f70436c69656e74"),
    RealFrame("desktop-lowest", "10.37.0.20", "02020a2500140c426c61636b204b6e696768740a25001e0a466973682054616c6573"),
    RealFrame("desktop-lowest", "10.37.0.20", "02030a2500140c426c61636b204b6e696768740a25001e0a466973682054616c65730a2500280d496e6469616e61204a6f6e6573"),
    RealFrame("failover", "10.37.0.20", "02020a2500140d416464616d732046616d696c790a25001e0846756e686f757365"),
    RealFrame("failover", "10.37.0.20", "02030a2500140d416464616d732046616d696c790a25001e0846756e686f7573650a2500281054686561747265206f66204d61676963"),
    RealFrame("failover", "10.37.0.20", "02040a2500140d416464616d732046616d696c790a25001e0846756e686f7573650a2500281054686561747265206f66204d616769630a2500320c4d6f6e737465722042617368"),
    RealFrame("failover", "10.37.0.30", "02030a25001e0846756e686f7573650a2500281054686561747265206f66204d616769630a2500320c4d6f6e737465722042617368"),
    RealFrame("legacy", "10.37.0.20", "02020a25001404486f6f6b0a25001e0c5465726d696e61746f722032"),
    RealFrame("legacy", "10.37.0.20", "02030a25001404486f6f6b0a25001e0c5465726d696e61746f7220320a25002d0a5061727479205a6f6e65"),
    RealFrame("legacy", "10.37.0.20", "02040a25001404486f6f6b0a25001e0c5465726d696e61746f7220320a25002807476574617761790a25002d0a5061727479205a6f6e65"),
    RealFrame("lowjoin", "10.37.0.10", "02010a25000a0d4a75726173736963205061726b"),
    RealFrame("lowjoin", "10.37.0.10", "02020a25000a0d4a75726173736963205061726b0a2500280f43697271757320566f6c7461697265"),
    RealFrame("lowjoin", "10.37.0.10", "02030a25000a0d4a75726173736963205061726b0a2500140d53746172205472656b20544e470a2500280f43697271757320566f6c7461697265"),
    RealFrame("lowjoin", "10.37.0.10", "02040a25000a0d4a75726173736963205061726b0a2500140d53746172205472656b20544e470a25001e0b57686974652057617465720a2500280f43697271757320566f6c7461697265"),
    RealFrame("lowjoin", "10.37.0.20", "02020a2500140d53746172205472656b20544e470a25001e0b5768697465205761746572"),
    RealFrame("lowjoin", "10.37.0.20", "02030a2500140d53746172205472656b20544e470a25001e0b57686974652057617465720a2500280f43697271757320566f6c7461697265"),
    RealFrame("rejoin", "10.37.0.20", "02020a2500141754616c6573206f66204172616269616e204e69676874730a25001e0c536361726564205374696666"),
    RealFrame("rejoin", "10.37.0.20", "02030a2500141754616c6573206f66204172616269616e204e69676874730a25001e0c5363617265642053746966660a2500320744722e2057686f"),
    RealFrame("rejoin", "10.37.0.20", "02030a2500141754616c6573206f66204172616269616e204e69676874730a25001e0c5363617265642053746966660a2500281e43726561747572652066726f6d2074686520426c61636b204c61676f6f6e"),
    RealFrame("rejoin", "10.37.0.20", "02040a2500141754616c6573206f66204172616269616e204e69676874730a25001e0c5363617265642053746966660a2500281e43726561747572652066726f6d2074686520426c61636b204c61676f6f6e0a2500320744722e2057686f"),
    RealFrame("rejoin", "10.37.0.40", "02010a2500281e43726561747572652066726f6d2074686520426c61636b204c61676f6f6e"),
    RealFrame("boot3", "10.37.0.20", "03"),
    RealFrame("boot3", "10.37.0.30", "03"),
    RealFrame("boot3", "10.37.0.40", "03"),
    RealFrame("failover", "10.37.0.50", "03"),
    RealFrame("lowjoin", "10.37.0.10", "03"),
    RealFrame("boot3", "10.37.0.20", "04"),
    RealFrame("boot3", "10.37.0.30", "04"),
    RealFrame("boot3", "10.37.0.40", "04"),
    RealFrame("failover", "10.37.0.50", "04"),
    RealFrame("lowjoin", "10.37.0.10", "04"),
    RealFrame("desktop-lowest", "10.37.0.20", "050a250005"),
    RealFrame("desktop-lowest", "10.37.0.30", "050a250005"),
    RealFrame("desktop-lowest", "10.37.0.40", "050a250005"),
    RealFrame("failover", "10.37.0.30", "050a250014"),
    RealFrame("failover", "10.37.0.40", "050a250014"),
    RealFrame("failover", "10.37.0.50", "050a250014"),
    RealFrame("legacy", "10.37.0.20", "050a250028"),
    RealFrame("legacy", "10.37.0.30", "050a250028"),
    RealFrame("rejoin", "10.37.0.40", "050a25001e"),
    RealFrame("rejoin", "10.37.0.40", "050a250032"),
    RealFrame("rejoin", "10.37.0.50", "050a250028"),
    RealFrame("legacy", "10.37.0.40", "7b2276657273696f6e223a2022312e332e38222c20226e616d65223a202247657461776179222c20226970223a202231302e33372e302e3430227d"),
    RealFrame("legacy", "10.37.0.45", "7b2276657273696f6e223a2022312e332e37222c20226e616d65223a20225061727479205a6f6e65227d"),
]

@Suite struct CodecWarningTests {
    @Test(arguments: warningCases)
    func setsWarnings(_ c: WarningCase) {
        let outcome = CodecBytes.decode(c.bytes, sender: c.sender)
        #expect(outcome.warnings == c.warnings, "\(outcome)")
    }

    @Test func receiveBufferBoundaryCasesHaveTheirLengths() {
        for (label, length) in [("FULL of 1024 bytes", 1024), ("FULL of 1025 bytes", 1025),
                                ("LEGACY of 1024 bytes", 1024), ("LEGACY of 1025 bytes", 1025),
                                ("FULL of 255 (1532 bytes)", 1532)] {
            #expect(warningCases.first { $0.label == label }?.bytes.count == length, "\(label)")
        }
    }

    @Test func everyCodecWarningIsCovered() {
        let set = Set(warningCases.flatMap(\.warnings))
        // `fragmented` is set by the packet layers, not the codec.
        #expect(set == Set(FrameWarnings.all.map(\.code.description)).subtracting(["fragmented"]))
    }

    @Test(arguments: realFrames)
    func realCaptureFramesCarryNoWarnings(_ r: RealFrame) throws {
        let bytes = CodecBytes.hex(r.hex)
        let outcome = CodecBytes.decode(bytes, sender: CodecBytes.ip(r.sender))
        #expect(outcome.warnings == [], "\(outcome)")
        let frame = try #require(outcome.frame)
        // A binary frame re-encodes to exactly the captured bytes.
        if frame.type != .legacy { #expect(frame.encoded() == bytes) }
    }

    @Test func realCaptureCoversEveryType() {
        let types = Set(realFrames.map { CodecBytes.hex($0.hex)[0] })
        #expect(types == [0x01, 0x02, 0x03, 0x04, 0x05, 0x7B])
    }

    @Test func bigCaptureFullUnderTheBuffer() throws {
        #expect(codecBigFull1001.count == 1001)
        let outcome = CodecBytes.decode(codecBigFull1001, sender: CodecBytes.ip("10.37.0.100"))
        #expect(outcome.warnings == ["name-cut-mid-character"])
        guard case let .full(peers) = try #require(outcome.frame) else { Issue.record("not a FULL"); return }
        #expect(peers.count == 27)
        // .125 was not known to the registry at that moment.
        #expect(peers.map(\.ip) == (Array(100...124) + [126, 127]).map { IPv4Address(10, 37, 0, UInt8($0)) })
        #expect(peers.allSatisfy { $0.name.bytes.count == 32 })
        #expect(peers[2].name.description == "Pinball Cafe 02 ...............\u{FFFD}")
        // "Flipper Zone Ω #00 ............." is 33 bytes: the cut drops the last dot, at a character boundary.
        #expect(peers[0].name.description == "Flipper Zone Ω #00 ............")
    }

    @Test func bigCaptureFullPastTheBuffer() throws {
        #expect(codecBigFull1630.count == 1630)
        let outcome = CodecBytes.decode(codecBigFull1630, sender: CodecBytes.ip("10.37.0.100"))
        #expect(outcome.warnings == ["name-cut-mid-character", "exceeds-receive-buffer"])
        guard case let .full(peers) = try #require(outcome.frame) else { Issue.record("not a FULL"); return }
        #expect(peers.count == 44)
        // .131 was not known to the registry at that moment.
        #expect(peers.map(\.ip) == (Array(100...130) + Array(132...144)).map { IPv4Address(10, 37, 0, UInt8($0)) })
        // Sent by another board, the same list breaks the sender-first rule.
        #expect(CodecBytes.decode(codecBigFull1630, sender: CodecBytes.ip("10.37.0.101")).warnings
                == ["name-cut-mid-character", "full-sender-not-first", "exceeds-receive-buffer"])
    }

    @Test func firmwareNameCutGivesTheCutWarning() {
        let name = firmwareName(String(repeating: "a", count: 31) + "Ω")
        #expect(name.bytes == [UInt8](repeating: 0x61, count: 31) + [0xCE])
        let hello = Frame.hello(name: name).encoded()
        #expect(hello.count == 34)
        #expect(CodecBytes.decode(hello) == .frame(.hello(name: name), warnings: ["name-cut-mid-character"]))
        #expect(name.description == String(repeating: "a", count: 31) + "\u{FFFD}")
    }

    @Test func warningCodesAreTheContractNames() {
        let table: [(FrameWarnings, String)] = [
            (.nameNotUTF8, "name-not-utf8"), (.nameCutMidCharacter, "name-cut-mid-character"),
            (.nameTooLong, "name-too-long"), (.tooManyPeers, "too-many-peers"),
            (.fullSenderNotFirst, "full-sender-not-first"), (.fullNotSorted, "full-not-sorted"),
            (.fullDuplicateIP, "full-duplicate-ip"), (.exceedsReceiveBuffer, "exceeds-receive-buffer"),
            (.fragmented, "fragmented"),
        ]
        for (warning, code) in table {
            #expect(warning.codes == [code])
            #expect(FrameWarnings.explanation(of: code) != code, "\(code) has a sentence")
        }
        #expect(FrameWarnings.all.map(\.code.description) == table.map(\.1))
        // Entry k is bit k: the summary counts warnings by their bits.
        for (k, entry) in FrameWarnings.all.enumerated() { #expect(entry.warning.rawValue == 1 << k, "\(entry.code)") }
        let every = table.reduce(into: FrameWarnings()) { $0.formUnion($1.0) }
        #expect(every.codes == table.map(\.1))
        #expect(FrameWarnings().codes == [])
        // Distinct bits.
        #expect(Set(table.map(\.0.rawValue)).count == table.count)
        #expect(table.allSatisfy { $0.0.rawValue.nonzeroBitCount == 1 })
    }

    /// A warning is about the frame, not the packet: PING, PONG and OFFLINE have no
    /// names or lists, so nothing can be wrong with them beyond malformation.
    @Test(arguments: [[UInt8]([0x03]), [0x04], [0x05, 10, 0, 0, 9]])
    func framesWithoutNamesCarryNoWarnings(_ bytes: [UInt8]) {
        #expect(CodecBytes.decode(bytes, sender: CodecBytes.ip("10.0.0.1")).warnings == [])
    }
}

// MARK: - Where a warning points (FrameView.offset(of:))

struct WarningOffsetCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let sender: IPv4Address?
    let warning: FrameWarnings
    let offset: Int?
    var testDescription: String { label }
    init(_ label: String, _ bytes: [UInt8], sender: String? = nil, _ warning: FrameWarnings, _ offset: Int?) {
        self.label = label; self.bytes = bytes; self.sender = sender.map(CodecBytes.ip)
        self.warning = warning; self.offset = offset
    }
}

/// Offsets by hand: a FULL entry with the name "n" takes 6 bytes, so entries begin
/// at 2, 8, 14, 20; a name's offset is its length byte (HELLO 1, entry start + 4).
private let warningOffsetCases: [WarningOffsetCase] = [
    WarningOffsetCase("HELLO name not UTF-8", CodecBytes.hello([0x41, 0xFF]), .nameNotUTF8, 1),
    WarningOffsetCase("HELLO name cut", CodecBytes.hello([0x41, 0xCE]), .nameCutMidCharacter, 1),
    WarningOffsetCase("HELLO name too long", CodecBytes.hello([UInt8](repeating: 0x61, count: 33)), .nameTooLong, 1),
    WarningOffsetCase("FULL second name not UTF-8",
                      CodecBytes.full([(ip: "10.0.0.1", name: CodecBytes.ascii("ok")), (ip: "10.0.0.2", name: [0xFF])]),
                      sender: "10.0.0.1", .nameNotUTF8, 13),
    WarningOffsetCase("FULL first name cut", CodecBytes.full([(ip: "10.0.0.1", name: [0x41, 0xCE])]), sender: "10.0.0.1",
                      .nameCutMidCharacter, 6),
    WarningOffsetCase("FULL of 52: the count byte", sortedFull(count: 52), sender: "10.0.0.1", .tooManyPeers, 1),
    WarningOffsetCase("FULL sender not first: the first entry", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30"]),
                      sender: "10.37.0.30", .fullSenderNotFirst, 2),
    WarningOffsetCase("FULL .20 .40 .30: the .30 entry", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.40", "10.37.0.30"]),
                      sender: "10.37.0.20", .fullNotSorted, 14),
    WarningOffsetCase("FULL .1 .9 .10 .2: the .2 entry (numeric)", CodecBytes.full(ips: ["10.0.0.1", "10.0.0.9", "10.0.0.10", "10.0.0.2"]),
                      sender: "10.0.0.1", .fullNotSorted, 20),
    WarningOffsetCase("FULL .20 .30 .30: the second .30", CodecBytes.full(ips: ["10.37.0.20", "10.37.0.30", "10.37.0.30"]),
                      sender: "10.37.0.20", .fullDuplicateIP, 14),
    WarningOffsetCase("FULL .40 .20 .30 .40: the second .40", CodecBytes.full(ips: ["10.37.0.40", "10.37.0.20", "10.37.0.30", "10.37.0.40"]),
                      sender: "10.37.0.40", .fullDuplicateIP, 20),
    WarningOffsetCase("FULL of 1025 bytes: the first byte past the buffer", fullOfLength(1025), sender: "10.0.1.1",
                      .exceedsReceiveBuffer, 1024),
    WarningOffsetCase("a warning that is not set", CodecBytes.hello(CodecBytes.ascii("Hook")), .nameNotUTF8, nil),
    WarningOffsetCase("fragmented is not the codec's", CodecBytes.hello(CodecBytes.ascii("Hook")), .fragmented, nil),
]

extension CodecWarningTests {
    @Test(arguments: warningOffsetCases)
    func warningOffset(_ c: WarningOffsetCase) {
        c.bytes.withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw, sender: c.sender) else { Issue.record("did not decode"); return }
            #expect(view.offset(of: c.warning) == c.offset)
            if let offset = c.offset { #expect((0..<c.bytes.count).contains(offset)) }
        }
    }
}
