/// The first byte of a discovery payload.
public enum FrameType: UInt8, Sendable, CaseIterable {
    /// A device announcing itself by name.
    case hello = 0x01
    /// The registry's list of devices, the sender first.
    case full = 0x02
    /// A unicast liveness check.
    case ping = 0x03
    /// The answer to a PING.
    case pong = 0x04
    /// A device declared gone.
    case offline = 0x05
    /// Old firmware's JSON announcement: the payload starts with `{`.
    case legacy = 0x7B

    /// The type a payload's first byte names, as `init(rawValue:)` reads it, in line
    /// (the synthesised initialiser is a call on every frame).
    @inlinable @inline(__always)
    public static func of(_ byte: UInt8) -> FrameType? {
        switch byte {
        case 0x01: .hello
        case 0x02: .full
        case 0x03: .ping
        case 0x04: .pong
        case 0x05: .offline
        case 0x7B: .legacy
        default: nil
        }
    }

    /// The name CONTRACT.md uses in `frame` records.
    public var name: String { staticName.description }

    /// The same name as constant text (written out without building a String).
    public var staticName: StaticString {
        switch self {
        case .hello: "HELLO"
        case .full: "FULL"
        case .ping: "PING"
        case .pong: "PONG"
        case .offline: "OFFLINE"
        case .legacy: "LEGACY"
        }
    }

    /// A dense index 0..<6, for counting by type without a dictionary.
    public var index: Int {
        switch self {
        case .hello: 0
        case .full: 1
        case .ping: 2
        case .pong: 3
        case .offline: 4
        case .legacy: 5
        }
    }
}

/// Limits of the firmware (`src/common/discovery.py`).
public enum FirmwareLimits {
    /// The firmware cuts a name to 32 characters, then to 32 bytes.
    public static let maxNameBytes = 32
    /// A FULL lists the sender and at most 50 known devices.
    public static let maxPeers = 51
    /// Boards read with `recvfrom(1024)`: anything longer is cut on every receiver.
    public static let receiveBuffer = 1024
    /// The discovery port.
    public static let port: UInt16 = 37020
}
