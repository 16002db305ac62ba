import Testing
@testable import DiscoveryCodec
import WireBytes

// LEGACY frames: the strict RFC 8259 parser behind them, and the JSON writer that
// output relies on to keep network text from breaking a JSON line.
//
// `bad-json`'s offset is the element's start, the JSON text's (0), by CONTRACT.md's rule;
// where the parser stopped is in the detail ("at offset N"), checked here. The rule reads: "where the element that could not
// be read begins": for a token that is wrong (a literal, a number, an escape, a
// UTF-8 character, a control byte, a container nested too deeply) that is its first
// byte; for something missing (a key, ':', ',' or a closing bracket, a value, the
// rest of a string) it is where it should begin, which is the payload's length when
// the text ends early.

private func json(_ text: String) -> [UInt8] { Array(text.utf8) }

struct JSONValidCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let value: JSONValue
    var testDescription: String { label }
    init(_ label: String, _ bytes: [UInt8], _ value: JSONValue) {
        self.label = label; self.bytes = bytes; self.value = value
    }
    init(_ label: String, _ text: String, _ value: JSONValue) {
        self.init(label, json(text), value)
    }
}

private func obj(_ members: [(String, JSONValue)]) -> JSONValue {
    .object(members.map { (key: $0.0, value: $0.1) })
}

private let validJSON: [JSONValidCase] = [
    // The legacy capture's two old firmwares, byte for byte.
    JSONValidCase("legacy .40 (b9e630e3)",
                  CodecBytes.hex("7b2276657273696f6e223a2022312e332e38222c20226e616d65223a202247657461776179222c20226970223a202231302e33372e302e3430227d"),
                  obj([("version", .string("1.3.8")), ("name", .string("Getaway")), ("ip", .string("10.37.0.40"))])),
    JSONValidCase("legacy .45 (8652995a)",
                  CodecBytes.hex("7b2276657273696f6e223a2022312e332e37222c20226e616d65223a20225061727479205a6f6e65227d"),
                  obj([("version", .string("1.3.7")), ("name", .string("Party Zone"))])),
    JSONValidCase("old desktop tester", #"{"discover": true}"#, obj([("discover", .bool(true))])),
    JSONValidCase("PROTOCOL.md example", #"{"version":"1.4.0","name":"Medieval Madness"}"#,
                  obj([("version", .string("1.4.0")), ("name", .string("Medieval Madness"))])),
    JSONValidCase("empty object", "{}", .object([])),
    JSONValidCase("empty object with space", "{ }", .object([])),
    JSONValidCase("whitespace everywhere", "{ \t\n\r\"a\" \t:\n [ 1 ,\r2 ] , \"b\" : { } \n}",
                  obj([("a", .array([.number("1"), .number("2")])), ("b", .object([]))])),
    JSONValidCase("trailing whitespace", "{\"discover\": true}\r\n", obj([("discover", .bool(true))])),
    JSONValidCase("key order kept", #"{"z":1,"a":2,"m":3}"#, obj([("z", .number("1")), ("a", .number("2")), ("m", .number("3"))])),
    JSONValidCase("duplicate keys kept", #"{"name":"A","name":"B"}"#, obj([("name", .string("A")), ("name", .string("B"))])),
    JSONValidCase("literals", #"{"t":true,"f":false,"n":null}"#, obj([("t", .bool(true)), ("f", .bool(false)), ("n", .null)])),
    JSONValidCase("nested", #"{"a":{"b":[[],[{}],{"c":[null]}]}}"#,
                  obj([("a", obj([("b", .array([.array([]), .array([.object([])]), obj([("c", .array([.null]))])]))]))])),
    JSONValidCase("empty key and value", #"{"":""}"#, obj([("", .string(""))])),
    // Strings: raw UTF-8.
    JSONValidCase("raw Ω", #"{"s":"Ω"}"#, obj([("s", .string("Ω"))])),
    JSONValidCase("raw katakana", #"{"s":"ピンボール"}"#, obj([("s", .string("ピンボール"))])),
    JSONValidCase("raw 4-byte emoji", #"{"s":"🎱"}"#, obj([("s", .string("🎱"))])),
    JSONValidCase("raw U+FFFF", json(#"{"s":""#) + [0xEF, 0xBF, 0xBF] + json(#""}"#), obj([("s", .string("\u{FFFF}"))])),
    JSONValidCase("raw U+10FFFF", json(#"{"s":""#) + [0xF4, 0x8F, 0xBF, 0xBF] + json(#""}"#), obj([("s", .string("\u{10FFFF}"))])),
    JSONValidCase("raw DEL (not a JSON control character)", json(#"{"s":""#) + [0x7F] + json(#""}"#), obj([("s", .string("\u{7F}"))])),
    JSONValidCase("raw UTF-8 key", #"{"Ω":1}"#, obj([("Ω", .number("1"))])),
    // Strings: escapes.
    JSONValidCase("escaped quote", #"{"s":"a\"b"}"#, obj([("s", .string("a\"b"))])),
    JSONValidCase("escaped backslash", #"{"s":"a\\b"}"#, obj([("s", .string("a\\b"))])),
    JSONValidCase("escaped slash", #"{"s":"a\/b"}"#, obj([("s", .string("a/b"))])),
    JSONValidCase("short escapes", #"{"s":"\b\f\n\r\t"}"#, obj([("s", .string("\u{08}\u{0C}\n\r\t"))])),
    JSONValidCase("\\u0041", #"{"s":"\u0041"}"#, obj([("s", .string("A"))])),
    JSONValidCase("\\u00e9 lower case", #"{"s":"\u00e9"}"#, obj([("s", .string("é"))])),
    JSONValidCase("\\u00E9 upper case", #"{"s":"\u00E9"}"#, obj([("s", .string("é"))])),
    JSONValidCase("\\u20AC", #"{"s":"\u20AC"}"#, obj([("s", .string("€"))])),
    JSONValidCase("\\u0000", #"{"s":"a\u0000b"}"#, obj([("s", .string("a\u{0}b"))])),
    JSONValidCase("\\uFFFF", #"{"s":"\uFFFF"}"#, obj([("s", .string("\u{FFFF}"))])),
    JSONValidCase("surrogate pair 🎱", #"{"s":"\uD83C\uDFB1"}"#, obj([("s", .string("🎱"))])),
    JSONValidCase("surrogate pair lower case", #"{"s":"\ud83c\udfb1"}"#, obj([("s", .string("🎱"))])),
    JSONValidCase("surrogate pair U+10000", #"{"s":"\uD800\uDC00"}"#, obj([("s", .string("\u{10000}"))])),
    JSONValidCase("surrogate pair U+10FFFF", #"{"s":"\uDBFF\uDFFF"}"#, obj([("s", .string("\u{10FFFF}"))])),
    JSONValidCase("escaped key", #"{"n\u0061me":"x"}"#, obj([("name", .string("x"))])),
]

/// Numbers keep their exact text.
private let numberTexts = [
    "0", "-0", "1", "-1", "10", "1.5", "-1.50", "1.0", "0.0", "1e5", "1E5", "1e+5", "1e-5", "1.5E-10",
    "-0.0e0", "1e400", "123456789012345678901234567890", "0.1000000000000000055511151231257827",
]

struct JSONBadCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let offset: Int
    var testDescription: String { label }
    init(_ label: String, _ bytes: [UInt8], _ offset: Int) {
        self.label = label; self.bytes = bytes; self.offset = offset
    }
    init(_ label: String, _ text: String, _ offset: Int) {
        self.init(label, json(text), offset)
    }
}

/// `{"a":"` + bytes + `"}`: the string's content begins at offset 6.
private func inString(_ bytes: [UInt8]) -> [UInt8] { json(#"{"a":""#) + bytes + json(#""}"#) }

private let badJSON: [JSONBadCase] = [
    // Structure. A payload that starts with '{' is an object or bad-json (a top-level
    // array, string or number cannot start with '{': those are unknown-type).
    JSONBadCase("lone {", "{", 1),
    JSONBadCase("{ then garbage", "{garbage}", 1),
    JSONBadCase("{ then a space and garbage", "{ x", 2),
    JSONBadCase("{{", "{{}}", 1),
    JSONBadCase("single-quoted key", "{'a':1}", 1),
    JSONBadCase("bare key", "{a:1}", 1),
    JSONBadCase("number key", "{1:2}", 1),
    JSONBadCase("key then end", #"{"a""#, 4),
    JSONBadCase("no colon", #"{"a" 1}"#, 5),
    JSONBadCase("= for colon", #"{"a"=1}"#, 4),
    JSONBadCase("colon then end", #"{"a":"#, 5),
    JSONBadCase("no value", #"{"a":}"#, 5),
    JSONBadCase("value then end", #"{"a":1"#, 6),
    JSONBadCase("trailing comma", #"{"a":1,}"#, 7),
    JSONBadCase("comma then end", #"{"a":1,"#, 7),
    JSONBadCase("missing comma", #"{"a":1 "b":2}"#, 7),
    JSONBadCase("semicolon", #"{"a":1;"b":2}"#, 6),
    JSONBadCase("key without value", #"{"a":1,"b"}"#, 10),
    JSONBadCase("array trailing comma", #"{"a":[1,]}"#, 8),
    JSONBadCase("array missing comma", #"{"a":[1 2]}"#, 8),
    JSONBadCase("array not closed", #"{"a":[1"#, 7),
    JSONBadCase("array opened then end", #"{"a":["#, 6),
    JSONBadCase("array closed by }", #"{"a":[1}"#, 7),
    JSONBadCase("object closed by ]", #"{"a":1]"#, 6),
    JSONBadCase("form feed is not JSON whitespace", json("{") + [0x0C] + json(#""a":1}"#), 1),
    JSONBadCase("no-break space is not JSON whitespace", json("{") + [0xC2, 0xA0] + json(#""a":1}"#), 1),
    JSONBadCase("comment", #"{/* c */"a":1}"#, 1),
    // Literals: the literal's first byte.
    JSONBadCase("tru", #"{"a":tru}"#, 5),
    JSONBadCase("nul then end", #"{"a":nul"#, 5),
    JSONBadCase("True", #"{"a":True}"#, 5),
    JSONBadCase("NaN", #"{"a":NaN}"#, 5),
    JSONBadCase("Infinity", #"{"a":Infinity}"#, 5),
    JSONBadCase("undefined", #"{"a":undefined}"#, 5),
    JSONBadCase("truex", #"{"a":truex}"#, 9),
    // Numbers: the number's first byte, or the byte after a complete number.
    JSONBadCase("leading zero", #"{"a":01}"#, 6),
    JSONBadCase("hex", #"{"a":0x10}"#, 6),
    JSONBadCase("lone minus", #"{"a":-}"#, 5),
    JSONBadCase("minus then letter", #"{"a":-a}"#, 5),
    JSONBadCase("minus then space", #"{"a":- 1}"#, 5),
    JSONBadCase("plus", #"{"a":+1}"#, 5),
    JSONBadCase("fraction without digits", #"{"a":1.}"#, 5),
    JSONBadCase("fraction then exponent", #"{"a":1.e5}"#, 5),
    JSONBadCase("leading dot", #"{"a":.5}"#, 5),
    JSONBadCase("exponent without digits", #"{"a":1e}"#, 5),
    JSONBadCase("exponent sign without digits", #"{"a":-2.5e+}"#, 5),
    JSONBadCase("number then end", #"{"a":-"#, 5),
    // Strings: a missing end is reported where it should be.
    JSONBadCase("string not closed", #"{"a":"abc"#, 9),
    JSONBadCase("key not closed", #"{"abc"#, 5),
    // Raw control characters inside a string (RFC 8259 requires them escaped).
    JSONBadCase("raw NUL", inString([0x41, 0x00]), 7),
    JSONBadCase("raw 0x01", inString([0x01]), 6),
    JSONBadCase("raw tab", inString([0x41, 0x42, 0x09]), 8),
    JSONBadCase("raw newline", inString([0x0A]), 6),
    JSONBadCase("raw 0x1F", inString([0x1F]), 6),
    JSONBadCase("raw newline in a key", json(#"{"a"#) + [0x0A] + json(#"":1}"#), 3),
    // Invalid UTF-8 inside a string: the bad character's first byte.
    JSONBadCase("0xFF", inString([0x41, 0xFF]), 7),
    JSONBadCase("0xFE", inString([0xFE]), 6),
    JSONBadCase("lone continuation 0x80", inString([0x80]), 6),
    JSONBadCase("overlong C0 AF", inString([0xC0, 0xAF]), 6),
    JSONBadCase("overlong C1 BF", inString([0xC1, 0xBF]), 6),
    JSONBadCase("overlong E0 80 AF", inString([0xE0, 0x80, 0xAF]), 6),
    JSONBadCase("overlong F0 80 80 AF", inString([0xF0, 0x80, 0x80, 0xAF]), 6),
    JSONBadCase("UTF-8 surrogate ED A0 80", inString([0xED, 0xA0, 0x80]), 6),
    JSONBadCase("UTF-8 surrogate ED BF BF", inString([0xED, 0xBF, 0xBF]), 6),
    JSONBadCase("above U+10FFFF (F4 90 80 80)", inString([0xF4, 0x90, 0x80, 0x80]), 6),
    JSONBadCase("F5", inString([0xF5, 0x80, 0x80, 0x80]), 6),
    JSONBadCase("2-byte lead then quote", inString([0x41, 0x42, 0xC3]), 8),
    JSONBadCase("3-byte lead, 1 continuation, then quote", inString([0xE2, 0x82]), 6),
    JSONBadCase("4-byte lead, ASCII continuation", inString([0xF0, 0x9F, 0x41, 0x41]), 6),
    JSONBadCase("cut character at the end", json(#"{"a":""#) + [0xE2, 0x82], 6),
    JSONBadCase("invalid UTF-8 in a key", json(#"{""#) + [0xFF] + json(#"":1}"#), 2),
    // Escapes: the backslash that begins the escape.
    JSONBadCase("unknown escape \\x", #"{"a":"\x"}"#, 6),
    JSONBadCase("unknown escape \\'", #"{"a":"ab\'"}"#, 8),
    JSONBadCase("upper-case \\U", #"{"a":"\U0041"}"#, 6),
    JSONBadCase("escape \\0", #"{"a":"\0"}"#, 6),
    JSONBadCase("bad hex digit", #"{"a":"\u12G4"}"#, 6),
    JSONBadCase("bad hex digit in a later escape", #"{"a":"\u0041\u004x"}"#, 12),
    JSONBadCase("\\u with 2 digits then end", #"{"a":"\u00"#, 6),
    JSONBadCase("\\u with too few digits", #"{"a":"\u"}"#, 6),
    JSONBadCase("backslash then end", #"{"a":"\"#, 6),
    JSONBadCase("escaped raw newline", json(#"{"a":"\"#) + [0x0A] + json(#""}"#), 6),
    // Surrogates.
    JSONBadCase("lone high surrogate", #"{"a":"\uD800"}"#, 12),
    JSONBadCase("high surrogate then a letter", #"{"a":"\uD83Cx"}"#, 12),
    JSONBadCase("high surrogate then end", #"{"a":"\uD83C"#, 12),
    JSONBadCase("high surrogate then \\n", #"{"a":"\uD83C\n"}"#, 12),
    JSONBadCase("high surrogate then \\u0041", #"{"a":"\uD800\u0041"}"#, 12),
    JSONBadCase("two high surrogates", #"{"a":"\uD800\uD800"}"#, 12),
    JSONBadCase("high surrogate then a bad escape", #"{"a":"\uD800\uZZZZ"}"#, 12),
    JSONBadCase("lone low surrogate", #"{"a":"\uDC00"}"#, 6),
    JSONBadCase("lone low surrogate DFFF", #"{"a":"x\uDFFF"}"#, 7),
    JSONBadCase("low then high", #"{"a":"\uDC00\uD800"}"#, 6),
]

@Suite struct CodecJSONTests {
    @Test(arguments: validJSON)
    func parsesLegacyObject(_ c: JSONValidCase) {
        #expect(CodecBytes.decode(c.bytes) == .frame(.legacy(c.value), warnings: []))
    }

    @Test(arguments: validJSON)
    func writtenValueParsesBack(_ c: JSONValidCase) {
        var out: [UInt8] = []
        c.value.write(to: &out)
        #expect(CodecBytes.decode(out).frame == .legacy(c.value))
        #expect(c.value.jsonText == String(decoding: out, as: UTF8.self))
    }

    @Test(arguments: badJSON)
    func refusesBadJSON(_ c: JSONBadCase) throws {
        #expect(CodecBytes.decode(c.bytes) == .malformed(reason: "bad-json", offset: 0, length: c.bytes.count))
        #expect(CodecBytes.jsonStop(c.bytes) == c.offset)
        let m = try #require(CodecBytes.malformation(c.bytes))
        #expect(m.detail.contains("offset \(c.offset)"))
    }

    @Test(arguments: numberTexts)
    func numbersKeepTheirText(_ text: String) {
        let value = obj([("v", .number(text))])
        #expect(CodecBytes.decode(json(#"{"v":"# + text + "}")).frame == .legacy(value))
        #expect(CodecBytes.decode(json(#"{"v":["# + text + "]}")).frame == .legacy(obj([("v", .array([.number(text)]))])))
        #expect(value.jsonText == #"{"v":"# + text + "}")
    }

    @Test func numbersAreComparedAsText() {
        #expect(JSONValue.number("1.0") != JSONValue.number("1"))
        #expect(JSONValue.number("1e2") != JSONValue.number("100"))
    }

    @Test func keyOrderIsPreserved() throws {
        let outcome = CodecBytes.decode(json(#"{"z":1,"a":2,"m":3}"#))
        guard case let .legacy(.object(members)) = try #require(outcome.frame) else {
            Issue.record("not an object"); return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
        // Order matters for equality: the same members in another order are another object.
        #expect(JSONValue.object(members) != obj([("a", .number("2")), ("m", .number("3")), ("z", .number("1"))]))
        #expect(JSONValue.object(members).jsonText == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test(arguments: [
        (#"{"version": "1.3.8", "name": "Getaway", "ip": "10.37.0.40"}"#, "Getaway"),
        (#"{"version": "1.3.7", "name": "Party Zone"}"#, "Party Zone"),
        (#"{"name":""}"#, ""),
        (#"{"name":"A","name":"B"}"#, "A"),
        (#"{"n\u0061me":"escaped key"}"#, "escaped key"),
        (#"{"name":"Medieval \"MM\"\n"}"#, "Medieval \"MM\"\n"),
        (#"{"name":"\uD83C\uDFB1 Eight Ball"}"#, "🎱 Eight Ball"),
    ])
    func legacyName(text: String, name: String) {
        json(text).withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw) else { Issue.record("did not decode"); return }
            #expect(view.type == .legacy)
            #expect(view.legacyName == name)
        }
    }

    @Test(arguments: [
        #"{"discover": true}"#, #"{}"#, #"{"name":42}"#, #"{"name":null}"#, #"{"name":["A"]}"#,
        #"{"name":{"first":"A"}}"#, #"{"x":{"name":"nested"}}"#, #"{"Name":"case matters"}"#,
    ])
    func noLegacyName(text: String) {
        json(text).withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw) else { Issue.record("did not decode"); return }
            #expect(view.legacyName == nil)
        }
    }

    @Test func binaryFramesHaveNoLegacyValue() {
        for bytes in [[0x01, 0x00], [0x02, 0x00], [0x03], [0x04], [0x05, 0, 0, 0, 0]] as [[UInt8]] {
            bytes.withUnsafeBytes { raw in
                guard case let .frame(view) = decodeFrame(raw) else { Issue.record("did not decode"); return }
                #expect(view.legacy == nil)
                #expect(view.legacyName == nil)
            }
        }
    }

    @Test func subscriptAndStringValue() {
        let value = obj([("a", .string("x")), ("b", .number("1")), ("a", .string("y"))])
        #expect(value["a"] == .string("x"))
        #expect(value["b"]?.stringValue == nil)
        #expect(value["c"] == nil)
        #expect(JSONValue.array([.string("x")])["a"] == nil)
        #expect(JSONValue.string("s").stringValue == "s")
    }

    @Test func equalValuesHashEqually() {
        let text = #"{"a":[1,"x",true,null,{"b":false}],"c":{}}"#
        let one = CodecBytes.decode(json(text)).frame
        let spaced = #"{ "a" : [ 1 , "x" , true , null , { "b" : false } ] , "c" : { } }"#
        let two = CodecBytes.decode(json(spaced)).frame
        #expect(one != nil && one == two)
        #expect(Set([one, two]).count == 1)
    }
}

// MARK: - Prefixes, byte by byte

struct JSONPrefixCase: Sendable, CustomTestStringConvertible {
    let text: String
    /// The bad-json offset of the prefix of n bytes, for n = 1 ..< text.count.
    let offsets: [Int]
    var testDescription: String { text }
}

private let prefixCases: [JSONPrefixCase] = [
    // {"discover": true}: a missing key at 1; inside the key, the end of the text;
    // a missing ':' at 11; a missing value at 12 (13 after the space); inside
    // `true`, the literal's start 13; after it, a missing ',' or '}' at 17.
    JSONPrefixCase(text: #"{"discover": true}"#, offsets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 13, 13, 17]),
    // {"v":-1.5e3}: an unfinished number is reported at its start (5); a number
    // that could end there leaves a missing ',' or '}' after it.
    JSONPrefixCase(text: #"{"v":-1.5e3}"#, offsets: [1, 2, 3, 4, 5, 5, 7, 5, 9, 5, 11]),
    // {"s":"\u00e9"}: an unfinished escape is reported at its backslash (6).
    JSONPrefixCase(text: #"{"s":"\u00e9"}"#, offsets: [1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 12, 13]),
    // {"s":"\uD83C\uDFB1"}: after the high half, the low half is missing at 12; inside
    // the low half's escape, its backslash 12.
    JSONPrefixCase(text: #"{"s":"\uD83C\uDFB1"}"#, offsets: [1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 12, 12, 12, 12, 12, 12, 18, 19]),
    // {"a":[1,{}]}
    JSONPrefixCase(text: #"{"a":[1,{}]}"#, offsets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
]

extension CodecJSONTests {
    @Test(arguments: prefixCases)
    func everyPrefixIsBadJSONAtTheRightByte(_ c: JSONPrefixCase) {
        let bytes = json(c.text)
        #expect(c.offsets.count == bytes.count - 1)
        #expect(CodecBytes.decode(bytes).frame != nil)
        for n in 1..<bytes.count {
            #expect(CodecBytes.decode(Array(bytes.prefix(n))) == .malformed(reason: "bad-json", offset: 0, length: n), "prefix of \(n) bytes")
            #expect(CodecBytes.jsonStop(Array(bytes.prefix(n))) == c.offsets[n - 1], "prefix of \(n) bytes: where the parser stopped")
        }
    }
}

// MARK: - Nesting

extension CodecJSONTests {
    /// n nested objects: `{"a":{"a":…{}…}}`.
    private func nestedObjects(_ n: Int) -> [UInt8] {
        json(String(repeating: #"{"a":"#, count: n - 1) + "{}" + String(repeating: "}", count: n - 1))
    }

    @Test func sixtyFourLevelsAreRead() {
        #expect(JSONParser.maxDepth == 64)
        #expect(CodecBytes.decode(nestedObjects(64)).frame != nil)
        let arrays = json(#"{"a":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}")
        #expect(CodecBytes.decode(arrays).frame != nil)
    }

    @Test func sixtyFiveLevelsAreRefusedAtTheDeepestOpening() {
        // The 65th object begins after 64 × `{"a":`.
        let bytes = nestedObjects(65)
        #expect(CodecBytes.decode(bytes) == .malformed(reason: "bad-json", offset: 0, length: bytes.count))
        #expect(CodecBytes.jsonStop(bytes) == 64 * 5)
        // The object, then 64 arrays: the 64th '[' (offset 5 + 63) is the 65th level.
        let arrays = json(#"{"a":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}")
        #expect(CodecBytes.decode(arrays) == .malformed(reason: "bad-json", offset: 0, length: arrays.count))
        #expect(CodecBytes.jsonStop(arrays) == 68)
    }

    @Test(arguments: [
        json(#"{"a":"# + String(repeating: "[", count: 10_000)),
        json(#"{"a":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"),
        json(String(repeating: #"{"a":"#, count: 10_000)),
        json(String(repeating: #"{"a":["#, count: 10_000)),
        json("{" + String(repeating: "[", count: 100_000)),
    ])
    func deepNestingIsRefusedWithoutCrashing(_ bytes: [UInt8]) {
        guard case let .malformed(reason, offset, length) = CodecBytes.decode(bytes) else {
            Issue.record("decoded"); return
        }
        #expect(reason == "bad-json")
        #expect(length == bytes.count)
        #expect(offset < 64 * 6)
    }

    @Test func longStringsAreFine() {
        let name = String(repeating: "Ω", count: 50_000)
        let bytes = json(#"{"name":""# + name + #""}"#)
        #expect(CodecBytes.decode(bytes) == .frame(.legacy(obj([("name", .string(name))])), warnings: ["exceeds-receive-buffer"]))
    }
}

// MARK: - Writing JSON strings

struct EscapeCase: Sendable, CustomTestStringConvertible {
    let text: String
    let json: String
    var testDescription: String { json }
}

private let escapeCases: [EscapeCase] = [
    EscapeCase(text: "plain", json: #""plain""#),
    EscapeCase(text: "", json: #""""#),
    EscapeCase(text: "say \"hi\"", json: #""say \"hi\"""#),
    EscapeCase(text: #"C:\pinball"#, json: #""C:\\pinball""#),
    EscapeCase(text: "\\\"", json: #""\\\"""#),
    EscapeCase(text: "line\nbreak", json: #""line\nbreak""#),
    EscapeCase(text: "cr\r", json: #""cr\r""#),
    EscapeCase(text: "tab\t", json: #""tab\t""#),
    EscapeCase(text: "\u{0}", json: #""\u0000""#),
    EscapeCase(text: "\u{1}", json: #""\u0001""#),
    EscapeCase(text: "\u{1B}[31m", json: #""\u001b[31m""#),
    EscapeCase(text: "\u{1F}", json: #""\u001f""#),
    EscapeCase(text: "Ω 🎱 ピンボール", json: "\"Ω 🎱 ピンボール\""),
    EscapeCase(text: "a/b", json: #""a/b""#),
]

extension CodecJSONTests {
    private func written(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        writeJSONString(text, to: &out)
        return out
    }

    @Test(arguments: escapeCases)
    func writeJSONStringEscapes(_ c: EscapeCase) {
        #expect(String(decoding: written(c.text), as: UTF8.self) == c.json)
    }

    /// Every control character (and DEL) comes out escaped, and the text reads back
    /// as the same string.
    @Test func everyControlCharacterIsEscaped() {
        for code in Array(0x00...0x1F) + [0x7F] {
            let text = "<" + String(Unicode.Scalar(UInt8(code))) + ">"
            let out = written(text)
            #expect(!out.contains { $0 < 0x20 || $0 == 0x7F }, "U+\(code)")
            let back = CodecBytes.decode(json(#"{"s":"#) + out + json("}")).frame
            #expect(back == .legacy(obj([("s", .string(text))])), "U+\(code)")
        }
    }

    @Test func appendJSONEscapedWorksBytewise() {
        var out: [UInt8] = []
        for byte in json("a\"\\\n") + [0x00, 0xCE, 0xA9] { appendJSONEscaped(byte, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == #"a\"\\\n\u0000Ω"#)
    }

    @Test func writeAppends() {
        var out = json("x=")
        writeJSONString("y", to: &out)
        #expect(out == json(#"x="y""#))
    }

    /// Values built in code (not parsed) with hostile strings still write valid JSON.
    @Test func hostileValuesWriteValidJSON() {
        let hostile = "\"}\n{\"kind\":\"fake\u{0}\\"
        let value = obj([(hostile, .string(hostile)), ("list", .array([.string(hostile), .number("-1.5e3")]))])
        let text = value.jsonText
        #expect(!text.utf8.contains(0x0A))
        #expect(CodecBytes.decode(json(text)).frame == .legacy(value))
    }
}
