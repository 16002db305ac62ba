import DiscoveryCodec
import WireBytes

/// A piece of HTML built by string interpolation that escapes by default: the
/// literal parts are peersniff's own markup; a `String` interpolated is text, escaped
/// for HTML text or a quoted attribute (`HTMLPage.escape`: controls made visible, then
/// `& < > " '` as entities); markup made elsewhere goes in only when asked, with
/// `raw:`. So a name from the network can never become markup by forgetting to escape.
///
/// The piece is UTF-8 bytes: numbers, addresses and escaped text are written into it
/// in place, with no String made for each (a page of many thousand ticks is drawn in
/// a fraction of the time the capture takes to read).
struct HTML: ExpressibleByStringInterpolation {
    var bytes: [UInt8]

    init(stringLiteral value: String) { bytes = Array(value.utf8) }

    init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []
        init(literalCapacity: Int, interpolationCount: Int) { bytes.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        /// Our own markup.
        mutating func appendLiteral(_ literal: String) { bytes.append(contentsOf: literal.utf8) }
        /// Text: escaped.
        mutating func appendInterpolation(_ value: String) { HTMLPage.escape(value, into: &bytes) }
        /// Text, said so where it reads better.
        mutating func appendInterpolation(text value: String) { HTMLPage.escape(value, into: &bytes) }
        /// Markup made elsewhere (the page's own style and script, a message rendered for HTML).
        mutating func appendInterpolation(raw markup: String) { bytes.append(contentsOf: markup.utf8) }
        mutating func appendInterpolation(_ piece: HTML) { bytes.append(contentsOf: piece.bytes) }
        mutating func appendInterpolation<N: BinaryInteger>(_ number: N) {
            if let value = Int64(exactly: number) {
                if value < 0 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(decimal: value.magnitude)
            } else {
                bytes.append(contentsOf: String(number).utf8)
            }
        }
        mutating func appendInterpolation(_ number: Double) { bytes.append(contentsOf: "\(number)".utf8) }
        mutating func appendInterpolation(_ ip: IPv4Address) { bytes.append(ipv4: ip.value) }
        /// A coordinate (`HTMLPage.fmt`, `fmt4`): digits only, nothing to escape.
        mutating func appendInterpolation(_ number: HTMLPage.Fixed) { number.write(to: &bytes) }
    }
}
