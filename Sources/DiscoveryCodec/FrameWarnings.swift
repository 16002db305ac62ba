/// Things wrong with a frame that still decodes. The codes are CONTRACT.md's.
public struct FrameWarnings: OptionSet, Hashable, Sendable {
    /// One bit a warning, in the order of `all`.
    public let rawValue: UInt16
    /// The warnings of these bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A name holds bytes that are not UTF-8.
    public static let nameNotUTF8 = FrameWarnings(rawValue: 1 << 0)
    /// A name ends inside a multi-byte character: what the firmware's 32-byte cut does.
    public static let nameCutMidCharacter = FrameWarnings(rawValue: 1 << 1)
    /// A name longer than the firmware's 32 bytes.
    public static let nameTooLong = FrameWarnings(rawValue: 1 << 2)
    /// A FULL with more than the firmware's 51 entries.
    public static let tooManyPeers = FrameWarnings(rawValue: 1 << 3)
    /// The firmware lists the sender itself first in its FULL.
    public static let fullSenderNotFirst = FrameWarnings(rawValue: 1 << 4)
    /// The firmware sorts the entries after the first by IP, ascending.
    public static let fullNotSorted = FrameWarnings(rawValue: 1 << 5)
    /// The firmware lists each device once.
    public static let fullDuplicateIP = FrameWarnings(rawValue: 1 << 6)
    /// Longer than the boards' 1024-byte receive buffer: cut on every board.
    public static let exceedsReceiveBuffer = FrameWarnings(rawValue: 1 << 7)
    /// Arrived as IP fragments (set by the packet layers, not the codec).
    public static let fragmented = FrameWarnings(rawValue: 1 << 8)

    /// Every warning with its contract code, in a fixed order.
    public static let all: [(warning: FrameWarnings, code: StaticString)] = [
        (.nameNotUTF8, "name-not-utf8"),
        (.nameCutMidCharacter, "name-cut-mid-character"),
        (.nameTooLong, "name-too-long"),
        (.tooManyPeers, "too-many-peers"),
        (.fullSenderNotFirst, "full-sender-not-first"),
        (.fullNotSorted, "full-not-sorted"),
        (.fullDuplicateIP, "full-duplicate-ip"),
        (.exceedsReceiveBuffer, "exceeds-receive-buffer"),
        (.fragmented, "fragmented"),
    ]

    /// The contract codes of the warnings set here.
    public var codes: [String] {
        FrameWarnings.all.compactMap { contains($0.warning) ? $0.code.description : nil }
    }

    /// A sentence for one warning.
    public static func explanation(of code: String) -> String {
        switch code {
        case "name-not-utf8": "a name holds bytes that are not UTF-8 (shown as U+FFFD)"
        case "name-cut-mid-character": "a name ends inside a multi-byte character, as the firmware's 32-byte cut leaves it"
        case "name-too-long": "a name is longer than the firmware's 32 bytes"
        case "too-many-peers": "the FULL lists more than the firmware's 51 entries"
        case "full-sender-not-first": "the FULL does not list its sender first, as the firmware does"
        case "full-not-sorted": "the FULL's entries after the first are not sorted by IP, as the firmware sorts them"
        case "full-duplicate-ip": "the FULL lists one IP more than once"
        case "exceeds-receive-buffer": "the payload is longer than the boards' 1024-byte receive buffer: every board reads it cut"
        case "fragmented": "the datagram arrived as IP fragments"
        default: code
        }
    }
}
