import Foundation

/// tshark's `frame.time_epoch` ("1795610631.856080000") as RFC 3339 UTC with `digits` of fraction.
public func rfc3339(epoch: String, digits: Int) -> String {
    let parts = epoch.split(separator: ".")
    let seconds = TimeInterval(Int(parts[0])!)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    let fraction = (parts.count > 1 ? String(parts[1]) : "") + String(repeating: "0", count: 9)
    return formatter.string(from: Date(timeIntervalSince1970: seconds)) + "." + fraction.prefix(digits) + "Z"
}

/// A tool's full path on PATH.
public func toolPath(_ name: String) throws -> String {
    guard let path = systemToolPath(name) else { throw ToolMissing(name: name) }
    return path
}

public struct ToolMissing: Error, CustomStringConvertible {
    public var name: String
    public init(name: String) { self.name = name }
    public var description: String { "\(name) is not on PATH" }
}
