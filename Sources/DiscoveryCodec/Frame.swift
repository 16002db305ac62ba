import WireBytes

/// A device name as it travels: raw UTF-8 bytes, kept exactly, since the firmware's
/// 32-byte cut can end a name inside a character.
public struct Name: Hashable, Sendable, CustomStringConvertible {
    /// The name's bytes, as on the wire.
    public var bytes: [UInt8]
    /// A name of these bytes, kept as they are.
    public init(bytes: [UInt8]) { self.bytes = bytes }
    /// A name of this text's UTF-8 bytes (not cut: see `firmwareName` for the firmware's cut).
    public init(_ text: String) { bytes = Array(text.utf8) }
    /// The text, with bytes that are not UTF-8 shown as U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// One entry of a FULL: an address and its device's name.
public struct Peer: Hashable, Sendable {
    /// The device's address.
    public var ip: IPv4Address
    /// The device's name.
    public var name: Name
    /// An entry of this address and name.
    public init(ip: IPv4Address, name: Name) { self.ip = ip; self.name = name }
}

/// A decoded discovery frame, owning its data.
public enum Frame: Hashable, Sendable {
    /// `01 len name[len]`: "I am here".
    case hello(name: Name)
    /// `02 count (ip[4] len name[len])×count`: the registry's list, sender first.
    case full(peers: [Peer])
    /// `03`: unicast liveness check.
    case ping
    /// `04`: the answer to a PING.
    case pong
    /// `05 ip[4]`: "this device is gone".
    case offline(ip: IPv4Address)
    /// Old firmware's JSON object.
    case legacy(JSONValue)

    /// The frame's type, the first byte of its encoding.
    public var type: FrameType {
        switch self {
        case .hello: .hello
        case .full: .full
        case .ping: .ping
        case .pong: .pong
        case .offline: .offline
        case .legacy: .legacy
        }
    }
}
