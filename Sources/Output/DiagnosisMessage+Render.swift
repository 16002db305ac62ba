import Analyzer
import DiscoveryCodec
import WireBytes

/// Each output renders a diagnosis's words itself: its own prose as it is, a node's
/// name from the network quoted and escaped for that output, so that a `"` or a
/// control in a board's name can never end the quote and forge the rest of a sentence.
extension DiagnosisMessage {
    /// On a terminal (text, the summary, the live view): names terminal-safe with `"`
    /// and `\` escaped; the prose made terminal-safe too (it may carry a version string).
    public var terminalText: String {
        rendered(name: { name in
            var out: [UInt8] = []
            name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out, quoting: true) }
            return String(decoding: out, as: UTF8.self)
        }, prose: { terminalSafe($0, quoting: false) })
    }

    /// In JSON's `text`: as on a terminal (the JSON writer then escapes the string).
    public var jsonText: String { terminalText }

    /// In HTML, written into the page's bytes: everything escaped; `markup` wraps each
    /// name in `<span class="name">` (not inside a `<title>`, which holds text only). No
    /// String is made for a part, and each name is escaped once a page (`names`: a
    /// false-offline names fifty; kept by address, with the name it was made of, as
    /// hashing an address costs less than hashing a name).
    func writeHTML<Sink: ByteSink>(into out: inout Sink, markup: Bool, names: inout [UInt32: (name: Name, escaped: [UInt8])]) {
        for part in parts {
            switch part {
            case let .prose(text): HTMLPage.escape(text, into: &out)
            case let .node(ip, name):
                out.append(ipv4: ip.value)
                guard let name else { continue }
                out.append(" &quot;")
                if markup { out.append("<span class=\"name\">") }
                if let known = names[ip.value], known.name == name {
                    out.append(array: known.escaped)
                } else {
                    let escaped = DiagnosisMessage.htmlName(name)
                    names[ip.value] = (name, escaped)
                    out.append(array: escaped)
                }
                if markup { out.append("</span>") }
                out.append("&quot;")
            case let .time(time): HTMLPage.escape(clockText(time), into: &out)
            case let .span(seconds): HTMLPage.escape(formatSpan(seconds), into: &out)
            }
        }
    }

    /// A name for HTML: terminal-safe and quoted (`"` and `\` escaped), then escaped for HTML.
    static func htmlName(_ name: Name) -> [UInt8] {
        var safe: [UInt8] = []
        name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &safe, quoting: true) }
        return HTMLPage.escapedBytes(String(decoding: safe, as: UTF8.self))
    }
}
