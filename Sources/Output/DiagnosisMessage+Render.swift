import Analyzer
import DiscoveryCodec

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

    /// In HTML: everything escaped; `markup` wraps each name in `<span class="name">`
    /// (not inside a `<title>`, which holds text only).
    public func htmlText(markup: Bool) -> String {
        rendered(name: { name in
            var out: [UInt8] = []
            name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out, quoting: true) }
            let escaped = HTMLPage.escape(String(decoding: out, as: UTF8.self))
            return markup ? "<span class=\"name\">" + escaped + "</span>" : escaped
        }, prose: { HTMLPage.escape($0) })
    }
}
