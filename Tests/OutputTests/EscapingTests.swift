@testable import Output
@testable import Analyzer
import DiscoveryCodec
import WireBytes
import Testing
import TestSupport

/// The eight-bytes-at-a-time test behind the escaping fast paths agrees with the
/// byte-by-byte rule: printable ASCII other than `"` and `\`.
@Suite("Escaping fast path")
struct EscapingTests {
    static func reference(_ word: UInt64) -> Bool {
        (0..<8).allSatisfy { k in
            let b = UInt8(truncatingIfNeeded: word >> (8 * UInt64(k)))
            return b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C
        }
    }

    @Test("random words and every single odd byte in a plain word")
    func agreesWithTheByteRule() {
        var random = SplitMix64(seed: 0x1234_5678_9ABC_DEF0)
        func next() -> UInt64 { random.next() }
        var mismatches = 0
        for _ in 0..<100_000 {
            // Mostly-printable words, so that both answers occur often.
            var word: UInt64 = 0
            for k in 0..<8 {
                let r = next()
                let byte: UInt64 = r % 10 == 0 ? r >> 8 & 0xFF : 0x20 + (r >> 8) % 0x5F
                word |= (byte & 0xFF) << (8 * UInt64(k))
            }
            if isPlainASCII(word) != Self.reference(word) { mismatches += 1 }
        }
        let plain: UInt64 = 0x4141_4141_4141_4141
        for k in 0..<8 {
            for byte in 0...255 as ClosedRange<UInt64> {
                let word = plain & ~(0xFF << (8 * UInt64(k))) | byte << (8 * UInt64(k))
                if isPlainASCII(word) != Self.reference(word) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}

import Foundation

/// JSON string content of network bytes, read back by Foundation's JSON parser: it
/// must be the text Swift's own UTF-8 decoding gives (U+FFFD per maximal invalid
/// subpart), for names of every shape.
@Suite("JSON string content against Foundation")
struct JSONStringContentTests {
    static let pieces: [[UInt8]] = [
        Array("Medieval".utf8), Array(" - Arcade Bar #".utf8), Array("a".utf8), Array("0123456".utf8),
        Array("é".utf8), Array("Ω".utf8), Array("–".utf8), Array("ピ".utf8), Array("🎱".utf8),
        [0x22], [0x5C], [0x00], [0x1B], [0x7F], [0x0A], [0xC2, 0x85], [0xE2, 0x80, 0xA8],
        [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        [0xE0, 0x80, 0xAF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xC1, 0xBF], [0xDF, 0xBF],
    ]

    @Test("10,000 seeded names read back as Swift decodes them")
    func readsBackAsSwiftDecodes() throws {
        var random = SplitMix64(seed: 2026)
        func below(_ n: Int) -> Int { random.below(n) }
        for _ in 0..<10_000 {
            var name: [UInt8] = []
            for _ in 0..<(1 + below(8)) {
                name += Self.pieces[below(10) < 7 ? below(9) : below(Self.pieces.count)]
            }
            var out: [UInt8] = Array("[\"".utf8)
            name.withUnsafeBytes { appendJSONStringContent($0, to: &out) }
            out += Array("\"]".utf8)
            let parsed = try JSONSerialization.jsonObject(with: Data(out)) as? [String]
            #expect(parsed?.first == String(decoding: name, as: UTF8.self), "\(name)")
        }
    }
}

@Suite("The first byte that needs escaping")
struct NonPlainMaskTests {
    @Test("the lowest mark of the word test is the first byte the byte rule rejects, on 100,000 words")
    func lowestMarkIsExact() {
        var random = SplitMix64(seed: 99)
        func next() -> UInt64 { random.next() }
        for _ in 0..<100_000 {
            var word: UInt64 = 0
            for k in 0..<8 {
                let r = next()
                // Mostly plain bytes; the others from the edges of the rule (borrows and carries).
                let edges: [UInt64] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xFF, 0xC3]
                let byte = r % 4 == 0 ? edges[Int(r >> 8) % edges.count] : 0x20 + (r >> 8) % 0x5F
                word |= byte << (8 * UInt64(k))
            }
            let first = (0..<8).first { k in !EscapingTests.reference(word >> (8 * UInt64(k)) & 0xFF | 0x4141_4141_4141_4100) }
            let mask = nonPlainMask(word)
            #expect((mask == 0 ? nil : mask.trailingZeroBitCount >> 3) == first, "\(String(word, radix: 16))")
        }
    }
}

/// The page's escaping of text with controls or non-ASCII characters, done in one pass
/// (the terminal's escaping, entities written as it writes), against the rule in two
/// steps: the terminal-safe text, then each of `& < > " '` as its entity.
@Suite("The page's escaping in one pass")
struct PageEscapingTests {
    static func reference(_ text: String) -> String {
        var out = ""
        for character in terminalSafe(text, quoting: false) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    @Test("10,000 seeded texts of markup, quotes, controls, bidi marks, CJK, emoji and invalid bytes escape as the two steps do")
    func onePassIsTheTwoSteps() {
        var random = SplitMix64(seed: 0xE5CA_9E00_0000_0021)
        let pieces: [[UInt8]] = [
            Array("<b>".utf8), Array("&amp;".utf8), Array("\"'".utf8), Array("plain text ".utf8), [0x1B, 0x5B, 0x33, 0x31, 0x6D],
            [0x00], [0x7F], [0x0A], Array("★".utf8), Array("ピンボール".utf8), Array("🎱".utf8), Array("\u{202E}".utf8),
            Array("\u{200B}".utf8), [0xC3], [0xE2, 0x82], [0xFF], Array("Café".utf8), Array("\\".utf8), Array("é".utf8),
        ]
        var differences = 0
        for _ in 0..<10_000 {
            var bytes: [UInt8] = []
            for _ in 0..<(1 + random.below(8)) { bytes += pieces[random.below(pieces.count)] }
            let text = String(decoding: bytes, as: UTF8.self)
            if HTMLPage.escape(text) != Self.reference(text) {
                differences += 1
                if differences == 1 { Issue.record("\(text.debugDescription): \(HTMLPage.escape(text)) against \(Self.reference(text))") }
            }
        }
        #expect(differences == 0)
        #expect(HTMLPage.escape("a★<\u{202E}>\"'&") == "a★&lt;\\u{202e}&gt;&quot;&#39;&amp;")
    }
}

/// The page writes its event marks straight into its bytes, the words of each (clock,
/// packet, kind, the text output's sentence with the nodes' names) escaped as they are
/// written: the same as the whole text made first, then escaped by the two-step rule.
@Suite("The page's marks written in place")
struct PageMarkTests {
    @Test("a mark's title is its text escaped whole, for 200 seeded events about nodes with hostile names")
    func markTitleIsTheTextEscaped() throws {
        var random = SplitMix64(seed: 0x3A2C_0000_0000_0021)
        let pieces: [[UInt8]] = [
            Array("<b>".utf8), Array("&amp;".utf8), Array("\"'".utf8), Array("Twilight ".utf8), [0x1B, 0x5B, 0x33, 0x31, 0x6D],
            [0x00], [0x0A], Array("★".utf8), Array("ピンボール".utf8), Array("\u{202E}".utf8), [0xC3], [0xFF], Array("\\".utf8),
        ]
        let ips = (1...8).map { IPv4Address(10 << 24 | 37 << 16 | UInt32($0)) }
        var names: [UInt32: Name] = [:]
        for ip in ips.dropLast() {  // the last one has no name
            var bytes: [UInt8] = []
            for _ in 0..<(1 + random.below(5)) { bytes += pieces[random.below(pieces.count)] }
            names[ip.value] = Name(bytes: bytes)
        }
        let recorder = TimelineRecorder()
        recorder.nameOf = { names[$0.value] }
        let start = Timestamp(seconds: 1_800_000_000, nanoseconds: 0)
        // A frame from each node gives it a lane (a node's marks are drawn on its lane).
        let ping: [UInt8] = [0x03]
        try ping.withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw, sender: ips[0]) else { throw CancellationError() }
            for (k, ip) in ips.enumerated() {
                recorder.frame(view, from: ip, to: ips[0], origin: PacketOrigin(number: k + 1, time: start, file: nil))
            }
        }
        func ip() -> IPv4Address { ips[random.below(ips.count)] }
        var events: [ElectionEvent] = []
        for k in 0..<200 {
            let time = start.adding(nanoseconds: Int64(k) * 7_654_321)
            let detail: ElectionEvent.Detail = switch k % 8 {
            case 0: .nodeDeclaredOffline(ip: ip(), by: ip())
            case 1: .nodeReturned(ip: ip())
            case 2: .registryElected(ip: ip())
            case 3: .registryChanged(from: ip(), to: ip())
            case 4: .registryConflict(ips: [ip(), ip()])
            case 5: .registryUnexpected(ip: ip(), expected: ip())
            case 6: .registrySilent(expected: ip(), after: k % 16 == 6 ? nil : ip())
            default: .nodeRenamed(Rename(ip: ip(), from: names[ips[1].value]!, to: names[ips[2].value]!))
            }
            // Every third from a deadline, not a packet.
            let origin = k % 3 == 0 ? nil : PacketOrigin(number: 1000 + k, time: time, file: nil)
            events.append(ElectionEvent(time: time, origin: origin, detail: detail))
        }
        for event in events { recorder.write(event) }
        var summary = Summary()
        summary.firstTime = start
        summary.lastTime = start.adding(nanoseconds: 200 * 7_654_321)
        let page = HTMLPage.render(recorder: recorder, summary: summary, source: "marks", live: false)
        let titles = page.matches(of: /<i class="m k-[a-z-]+( dim)?" data-x="[0-9.]+" style="left:[0-9.]+%;top:[0-9.]+px" title="([^"]*)"><\/i>/).map { String($0.output.2) }
        // The text as the page made it before: clock, packet or deadline, kind, the sentence.
        let describer = TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)
        describer.nameOf = { names[$0.value] }
        let expected = events.map { event in
            PageEscapingTests.reference("\(event.time.timeOfDayText())\(event.origin.map { " #\($0.number)" } ?? " (deadline)") \(event.kind.rawValue): \(describer.describe(event))")
        }
        #expect(titles.count == events.count)
        for (k, (title, want)) in zip(titles, expected).enumerated() where title != want {
            Issue.record("mark \(k): \(title) against \(want)")
            break
        }
        // The names are there, escaped: no markup, no control from a name.
        #expect(titles.contains { $0.contains("&lt;b&gt;") } && !titles.contains { $0.contains("<") || $0.contains("\u{1B}") })
    }
}

/// The page's one-decimal numbers (a lane's place, a height) are written digit by
/// digit: as Swift's own shortest form of the rounded value writes them.
@Suite("The page's numbers")
struct PageNumberTests {
    @Test("one decimal: 100,000 seeded values from -1e17 to 1e17 read as String(value rounded to a tenth) does")
    func oneDecimalIsSwiftsShortestForm() {
        var random = SplitMix64(seed: 0x0F17_0000_0000_0021)
        var differences = 0
        for k in 0..<100_000 {
            let unit = Double(random.next() >> 11) / Double(1 << 53) * 2 - 1  // -1 ..< 1
            let scale = [1.0, 10, 1200, 1e6, 1e14, 1e15, 1e16, 1e17, 0.01][k % 9]
            let value = unit * scale
            let r = (value * 10).rounded() / 10
            let reference = r == r.rounded() ? String(Int(r)) : String(r)
            if HTMLPage.fmt(value).description != reference {
                differences += 1
                if differences == 1 { Issue.record("\(value): \(HTMLPage.fmt(value).description) against \(reference)") }
            }
        }
        #expect(differences == 0)
        #expect(HTMLPage.fmt(12.46).description == "12.5" && HTMLPage.fmt(-0.25).description == "-0.3" && HTMLPage.fmt(0.04).description == "0")
    }
}

/// A diagnosis's names are escaped once a page, kept by address: a node renamed
/// between two diagnoses shows each name where it was written, never the other.
@Suite("The page's names kept by address")
struct PageNameCacheTests {
    @Test("the same address under two names, in one page's diagnoses: each its own, escaped")
    func renamedNodeKeepsEachName() {
        let ip = IPv4Address(10 << 24 | 37 << 16 | 20)
        let first = Name(bytes: Array("Attack <from> Mars".utf8))
        let second = Name(bytes: Array("Medieval \"Madness\"".utf8))
        var names: [UInt32: (name: Name, escaped: [UInt8])] = [:]
        var out: [UInt8] = []
        let messages: [DiagnosisMessage] = ["\(node: ip, first) fell silent.", "\(node: ip, second) came back.", "\(node: ip, first) again."]
        for message in messages { message.writeHTML(into: &out, markup: false, names: &names) }
        let page = String(decoding: out, as: UTF8.self)
        #expect(page == "10.37.0.20 &quot;Attack &lt;from&gt; Mars&quot; fell silent."
                + "10.37.0.20 &quot;Medieval \\&quot;Madness\\&quot;&quot; came back."
                + "10.37.0.20 &quot;Attack &lt;from&gt; Mars&quot; again.")
    }
}
