/// Why a capture could not be opened or read. `message` is one line for stderr.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case cannotOpen
        case unsupportedLinkType
        case badFilter
        case noSuchDevice
        case permissionDenied
        case cannotWrite
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
