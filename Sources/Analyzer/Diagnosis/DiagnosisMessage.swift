import DiscoveryCodec
import WireBytes

/// A diagnosis's words, kept as parts: peersniff's prose, and what came from the
/// network (a node's name) apart from it, so that each output renders a name its own
/// way (quoted and escaped on a terminal, in JSON, in HTML) and a `"` or a control in
/// a board's name can never end the quote and forge the rest of a sentence.
///
/// Built by string interpolation that takes only typed values: a node, an address, a
/// time, a span, a number, and peersniff's own words (`prose:`); a `String` from the
/// network cannot be interpolated by mistake.
public struct DiagnosisMessage: Sendable, ExpressibleByStringInterpolation {
    public enum Part: Sendable, Equatable {
        /// peersniff's own words.
        case prose(String)
        /// A node: its address and, when known, its name (from the network).
        case node(IPv4Address, Name?)
        /// A time of day (`HH:MM:SS.ff`, UTC).
        case time(Timestamp)
        /// A duration in seconds ("86 ms", "1.8 s").
        case span(Double)
    }

    public private(set) var parts: [Part] = []

    public init() {}

    public init(stringLiteral value: String) { parts = [.prose(value)] }

    public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        public init(literalCapacity: Int, interpolationCount: Int) { parts.reserveCapacity(2 * interpolationCount + 1) }
        /// Prose parts are kept as they come (literals cost no copy; joining them would).
        mutating func prose(_ text: String) {
            guard !text.isEmpty else { return }
            parts.append(.prose(text))
        }
        public mutating func appendLiteral(_ literal: String) { prose(literal) }
        /// A node with its name as the observer knows it.
        public mutating func appendInterpolation(node ip: IPv4Address, _ name: Name?) { parts.append(.node(ip, name)) }
        /// An address alone.
        public mutating func appendInterpolation(_ ip: IPv4Address) { prose(ip.description) }
        public mutating func appendInterpolation(time: Timestamp) { parts.append(.time(time)) }
        public mutating func appendInterpolation(span seconds: Double) { parts.append(.span(seconds)) }
        /// From `later` back to `earlier`.
        public mutating func appendInterpolation(span later: Timestamp, _ earlier: Timestamp) {
            parts.append(.span(later.seconds(since: earlier)))
        }
        public mutating func appendInterpolation(_ count: Int) { prose(String(count)) }
        /// peersniff's own words, made at run time (never a string from the network).
        public mutating func appendInterpolation(prose text: String) { prose(text) }
        public mutating func appendInterpolation(_ message: DiagnosisMessage) { parts.append(contentsOf: message.parts) }
    }

    public static func + (a: DiagnosisMessage, b: DiagnosisMessage) -> DiagnosisMessage {
        var out = a
        out += b
        return out
    }

    public static func += (a: inout DiagnosisMessage, b: DiagnosisMessage) {
        // Room for the sentences still to come: a message is a few dozen parts at most.
        if a.parts.capacity < a.parts.count + b.parts.count { a.parts.reserveCapacity(max(32, 2 * (a.parts.count + b.parts.count))) }
        a.parts.append(contentsOf: b.parts)
    }

    public var isEmpty: Bool { parts.isEmpty }

    /// The message with each part rendered: `name` renders a name between the quotes
    /// that follow its node's address (it must escape `"` and controls for its output);
    /// `prose` renders peersniff's words and the other parts' text (identity for text).
    public func rendered(name: (Name) -> String, prose: (String) -> String = { $0 }) -> String {
        var out = ""
        for part in parts {
            switch part {
            case let .prose(text): out += prose(text)
            case let .node(ip, nodeName):
                out += prose(ip.description)
                if let nodeName { out += prose(" \"") + name(nodeName) + prose("\"") }
            case let .time(time): out += prose(clockText(time))
            case let .span(seconds): out += prose(formatSpan(seconds))
            }
        }
        return out
    }

    /// Plain text: names quoted, with `"`, `\` and C0 controls escaped (every output
    /// renders with its own, stricter escaping; this is the fallback for tests and logs).
    public var plainText: String { rendered(name: DiagnosisMessage.escapeQuoted) }

    /// `"` and `\` escaped, controls as `\xNN`, bytes that are not UTF-8 as U+FFFD.
    public static func escapeQuoted(_ name: Name) -> String {
        var out = ""
        for scalar in name.description.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
