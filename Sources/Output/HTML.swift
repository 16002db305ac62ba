import DiscoveryCodec
import WireBytes

/// A piece of HTML built by string interpolation that escapes by default: the
/// literal parts are peersniff's own markup; a `String` interpolated is text, escaped
/// for HTML text or a quoted attribute (`HTMLPage.escape`: controls made visible, then
/// `& < > " '` as entities); markup made elsewhere goes in only when asked, with
/// `raw:`. So a name from the network can never become markup by forgetting to escape.
struct HTML: ExpressibleByStringInterpolation {
    var text: String

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        /// Our own markup.
        mutating func appendLiteral(_ literal: String) { text += literal }
        /// Text: escaped.
        mutating func appendInterpolation(_ value: String) { text += HTMLPage.escape(value) }
        /// Text, said so where it reads better.
        mutating func appendInterpolation(text value: String) { text += HTMLPage.escape(value) }
        /// Markup made elsewhere (the page's own style and script, a message rendered for HTML).
        mutating func appendInterpolation(raw markup: String) { text += markup }
        mutating func appendInterpolation(_ piece: HTML) { text += piece.text }
        mutating func appendInterpolation<N: BinaryInteger>(_ number: N) { text += String(number) }
        mutating func appendInterpolation(_ number: Double) { text += "\(number)" }
        mutating func appendInterpolation(_ ip: IPv4Address) { text += ip.description }
    }
}
