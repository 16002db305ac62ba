/// Why a payload on the discovery port is not a frame. A struct over a private
/// enum (as swift-asn1's error codes are), so that codes can grow; tests compare
/// codes, never sentences. The codes are CONTRACT.md's `reason` names.
public struct MalformationReason: Hashable, Sendable, CustomStringConvertible {
    private enum Code: UInt8, CaseIterable {
        case empty, unknownType, truncatedHeader, truncatedName, truncatedPeer, trailingBytes, badJSON
        case truncatedCapture, badUDPChecksum, incompleteFragments, notIPv4
    }
    private let code: Code

    /// Zero-length payload.
    public static let empty = MalformationReason(code: .empty)
    /// First byte is not 1 to 5 and not `{`.
    public static let unknownType = MalformationReason(code: .unknownType)
    /// HELLO or FULL shorter than 2 bytes; OFFLINE shorter than 5.
    public static let truncatedHeader = MalformationReason(code: .truncatedHeader)
    /// HELLO whose length byte runs past the payload.
    public static let truncatedName = MalformationReason(code: .truncatedName)
    /// FULL with fewer bytes than its count of entries needs.
    public static let truncatedPeer = MalformationReason(code: .truncatedPeer)
    /// Bytes left after a complete frame.
    public static let trailingBytes = MalformationReason(code: .trailingBytes)
    /// Starts with `{` but is not a JSON object.
    public static let badJSON = MalformationReason(code: .badJSON)
    /// Packet-level (raised by the packet layers): cut by the capture's snap length.
    public static let truncatedCapture = MalformationReason(code: .truncatedCapture)
    /// Packet-level: a non-zero UDP checksum that does not match.
    public static let badUDPChecksum = MalformationReason(code: .badUDPChecksum)
    /// Packet-level: IP fragments of a discovery datagram that never completed.
    public static let incompleteFragments = MalformationReason(code: .incompleteFragments)
    /// Packet-level: UDP over IPv6 on the discovery port.
    public static let notIPv4 = MalformationReason(code: .notIPv4)

    /// Every reason, in the order of `index`.
    public static let allCases: [MalformationReason] = Code.allCases.map { MalformationReason(code: $0) }

    /// A dense index, for counting by reason without a dictionary.
    public var index: Int { Int(code.rawValue) }

    /// The contract name, e.g. `truncated-peer`.
    public var description: String {
        switch code {
        case .empty: "empty"
        case .unknownType: "unknown-type"
        case .truncatedHeader: "truncated-header"
        case .truncatedName: "truncated-name"
        case .truncatedPeer: "truncated-peer"
        case .trailingBytes: "trailing-bytes"
        case .badJSON: "bad-json"
        case .truncatedCapture: "truncated-capture"
        case .badUDPChecksum: "bad-udp-checksum"
        case .incompleteFragments: "incomplete-fragments"
        case .notIPv4: "not-ipv4"
        }
    }
}

/// A payload that does not decode: the reason, where (a byte offset inside the
/// UDP payload) and a sentence saying what is wrong.
public struct Malformation: Error, Hashable, Sendable {
    /// Why, as a contract code (`reason.description`).
    public let reason: MalformationReason
    /// Where the element that could not be read begins; for `trailing-bytes`, the first extra byte.
    public let offset: Int
    /// The payload's length.
    public let length: Int
    /// The human sentence.
    public let detail: String
    /// The byte at fault, where it is not where the element begins: for `bad-json`,
    /// where the JSON parser stopped. (`offset` stays the element's start, as
    /// CONTRACT.md has it.)
    public let faultOffset: Int?

    /// A malformation of a payload of `length` bytes (made by the codec and the packet layers).
    package init(reason: MalformationReason, offset: Int, length: Int, detail: String, faultOffset: Int? = nil) {
        self.reason = reason
        self.offset = offset
        self.length = length
        self.detail = detail
        self.faultOffset = faultOffset
    }
}
