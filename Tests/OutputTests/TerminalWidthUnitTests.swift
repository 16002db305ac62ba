@testable import Output
import Testing
import TestSupport
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// The byte-level column counting, cutting and wrapping behind `TextLayout`, held to
/// glibc's wcwidth (C.UTF-8) and to "nothing lost".
@Suite("Terminal width: columns, cuts and wraps")
struct TerminalWidthUnitTests {
    /// glibc's wcwidth (declared only under _XOPEN_SOURCE, so looked up by name).
    static let wcwidth: @convention(c) (Int32) -> Int32 = {
        unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "wcwidth")!, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// Columns by wcwidth in a UTF-8 locale, SGR codes removed by hand.
    static func glibcColumns(_ text: String) -> Int {
        var plain = ""
        var inEscape = false
        for scalar in text.unicodeScalars {
            if scalar == "\u{1B}" { inEscape = true; continue }
            if inEscape {
                if scalar == "m" { inEscape = false }
                continue
            }
            plain.unicodeScalars.append(scalar)
        }
        let locale = newlocale(Int32(1 << LC_CTYPE), "C.UTF-8", nil)!
        let previous = uselocale(locale)
        defer {
            uselocale(previous)
            freelocale(locale)
        }
        return plain.unicodeScalars.reduce(0) { $0 + max(0, Int(wcwidth(Int32(bitPattern: $1.value)))) }
    }

    /// Characters whose width glibc and peersniff agree on: ASCII, Latin and Greek,
    /// a combining accent, CJK, kana, hangul, emoji with emoji presentation, arrows.
    static let pool: [String] = ["a", "Z", " ", "-", "\"", "Ω", "é", "e\u{301}", "ピ", "漢", "한", "🎱", "😀", "🚀", "…", "→", "–", "×", "\u{FFFD}"]

    static func randomText(_ rng: inout SplitMix64, length: Int, colour: Bool) -> String {
        var text = ""
        for _ in 0..<length {
            if colour, rng.next() % 9 == 0 { text += rng.next() % 2 == 0 ? "\u{1B}[1;36m" : "\u{1B}[0m" }
            text += pool[Int(rng.next() % UInt64(pool.count))]
        }
        return text
    }

    @Test("Columns agree with glibc's wcwidth on random text, colour codes counting none")
    func columnsAgreeWithGlibc() {
        var rng = SplitMix64(seed: 20)
        for _ in 0..<500 {
            let text = Self.randomText(&rng, length: Int(rng.next() % 60), colour: true)
            #expect(terminalColumns(text) == Self.glibcColumns(text), "\(text.debugDescription)")
        }
        #expect(terminalColumns("☺\u{FE0F}") == 2, "U+FE0F asks for emoji presentation: two columns")
    }

    @Test("A cut line fits, ends in …, and is a prefix of the line", arguments: [10, 21, 40, 80])
    func cut(columns: Int) {
        var rng = SplitMix64(seed: UInt64(columns))
        for _ in 0..<300 {
            let text = Self.randomText(&rng, length: Int(rng.next() % 120), colour: rng.next() % 2 == 0)
            let reset = text.contains("\u{1B}") ? "\u{1B}[0m" : ""
            let cut = cutText(text, to: columns, reset: reset)
            #expect(Self.glibcColumns(cut) <= columns, "\(cut.debugDescription)")
            if Self.glibcColumns(text) <= columns {
                #expect(cut == text)
            } else {
                #expect(cut.hasSuffix("…" + reset), "\(cut.debugDescription)")
                let kept = String(cut.dropLast(1 + reset.count))
                #expect(text.hasPrefix(kept), "\(kept.debugDescription) is not where \(text.debugDescription) begins")
                // Nothing cut that would have fit: the next character would not.
                #expect(Self.glibcColumns(kept) >= columns - 2, "cut too early: \(kept.debugDescription)")
            }
        }
    }

    @Test("Wrapped text: every line fits, and joined again it is the text", arguments: [20, 33, 80])
    func wrapLosesNothing(columns: Int) {
        var rng = SplitMix64(seed: UInt64(100 + columns))
        for _ in 0..<300 {
            let text = "  " + Self.randomText(&rng, length: Int(rng.next() % 200), colour: false)
            let lines = wrapText(text, to: columns, hanging: 2)
            for line in lines { #expect(Self.glibcColumns(line) <= columns, "\(line.debugDescription) of \(text.debugDescription)") }
            // Lines break at spaces (dropped there) or inside a word; continuations carry the indent.
            let words = { (s: String) in s.split(separator: " ").joined() }
            let joined = lines.enumerated().map { $0.offset == 0 ? $0.element : String($0.element.dropFirst(4)) }.joined(separator: " ")
            #expect(words(joined) == words(text), "\(lines)")
        }
    }

    @Test("In the output buffer: a line cut in place keeps what was written before it")
    func cutInPlace() {
        var buffer = RawBytes(capacity: 16)
        defer { buffer.deallocate() }
        buffer.append("first line\n")
        let start = buffer.count
        buffer.append(string: "12:00:00.000000 #1 HELLO \"ピンボール ピンボール ピンボール\"")
        let wasCut = buffer.cutLine(from: start, to: 30, reset: "")
        #expect(wasCut)
        let text = buffer.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text == "first line\n12:00:00.000000 #1 HELLO \"ピ…", "\(text)")
        #expect(Self.glibcColumns(String(text.dropFirst(11))) <= 30)
    }

    @Test("COLUMNS below the minimum lays out for 20 columns")
    func minimum() {
        #expect(TextLayout(columns: 3).columns == TextLayout.minimumColumns)
        #expect(TextLayout(columns: nil).columns == nil)
    }
}
