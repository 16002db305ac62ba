import Output
import Testing

/// Every character of Unicode's Cc and Cf categories (and the line and paragraph
/// separators, which also break a line), as the Unicode data of Swift's standard
/// library lists them, reaches a terminal escaped, never raw; and letters, marks,
/// symbols and spaces of other categories pass as they are.
@Suite("Terminal safety over all of Unicode")
struct UnicodeSafetyTests {
    /// Every scalar of the categories to escape, from the standard library's data.
    static let hidden: [Unicode.Scalar] = (0...0x10FFFF).compactMap { Unicode.Scalar(UInt32($0)) }.filter {
        switch $0.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    @Test("Cc, Cf, Zl and Zp: escaped, each as its own \\u{XXXX} or \\xNN or a named escape")
    func escaped() {
        #expect(Self.hidden.count > 200, "the data lists \(Self.hidden.count)")
        // The ones the issue named, among them.
        for named: UInt32 in [0x061C, 0xE0001, 0xE0041, 0x202E, 0x2066, 0x200B, 0xFEFF, 0x00AD, 0x0085] {
            #expect(Self.hidden.contains(Unicode.Scalar(named)!), "U+\(String(named, radix: 16)) is Cc or Cf")
        }
        for scalar in Self.hidden {
            let shown = terminalSafe("a" + String(Character(scalar)) + "b")
            #expect(!shown.unicodeScalars.contains(scalar), "U+\(String(scalar.value, radix: 16, uppercase: true)) reaches the terminal raw")
            #expect(shown.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "U+\(String(scalar.value, radix: 16)): \(shown.debugDescription)")
            let hex = String(scalar.value, radix: 16)
            #expect(shown.contains(hex) || shown.contains(hex.uppercased()) || ["a\\nb", "a\\rb", "a\\tb", "a\\eb"].contains(shown),
                    "U+\(hex) shown as \(shown.debugDescription)")
        }
    }

    @Test("Other characters pass unchanged: a sample of every other category", arguments: [
        "Attack from Mars", "Flipper Zone Ω #00", "ピンボール 03", "🎱 Eight Ball", "Pinball Bar ボ", "é", "\u{00A0}", "\u{0301}e",
        "עברית", "العربية", "\u{3000}", "\u{E000}",
    ])
    func passes(text: String) {
        #expect(terminalSafe(text) == text)
    }
}
