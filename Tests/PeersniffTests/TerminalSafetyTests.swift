import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Names and payloads from the network, and file names, that hold terminal control
/// sequences (clear screen, set title, recolour, backspaces, a bare CR, C1 controls
/// as UTF-8, bidi overrides) must reach the terminal as visible text, never as
/// controls, in every text output: frame lines, events, the summary (nodes table,
/// registry history, diagnoses), the --malformed report (its ASCII column too),
/// LEGACY JSON, file labels and error messages. The checks look at the raw bytes.
@Suite("Terminal safety")
struct TerminalSafetyTests {
    // MARK: What the network sends

    static let clear = "\u{1B}[2J"
    static let retitle = "\u{1B}]0;pwned\u{07}"
    /// 0x9B (CSI), 0x9D (OSC) and 0x9C (ST) as UTF-8: U+009B, U+009D, U+009C.
    static let c1 = "\u{9B}31m\u{9D}0;t\u{9C}"
    static let rlo = "\u{202E}"

    static let evilA = clear + retitle + "A"
    static let evilB = "B\u{08}\u{08}\u{08}x\r" + c1 + rlo + "b"
    static let evilB2 = "\u{2066}B2\u{1B}[1A\u{1B}[K"
    static let evilC = "\u{1B}[31mC\u{1B}]8;;http://x\u{1B}\\link\u{1B}[0m"

    static func ip(_ last: Int) -> String { "10.66.0.\(last)" }

    static func entry(_ ip: String, _ name: [UInt8]) -> [UInt8] { PacketBuilder.ip(ip) + [UInt8(name.count)] + name }
    static func entry(_ ip: String, _ name: String) -> [UInt8] { entry(ip, Array(name.utf8)) }
    static func full(_ entries: [[UInt8]]) -> [UInt8] { [0x02, UInt8(entries.count)] + entries.flatMap { $0 } }
    static func hello(_ name: [UInt8]) -> [UInt8] { [0x01, UInt8(name.count)] + name }

    /// A story whose every name-bearing line carries a control sequence: renames by
    /// HELLO, FULL and LEGACY, a registry change, conflict, unexpected and silent
    /// registry, a node declared offline twice (flapping), legacy firmware, and
    /// malformed payloads full of controls.
    static var evilPackets: [TestPacket] {
        var packets: [TestPacket] = []
        func add(_ t: UInt32, _ src: Int, _ payload: [UInt8], dst: String = "255.255.255.255") {
            packets.append(.at(t, 0, PacketBuilder.discovery(payload, src: ip(src), dst: dst, sport: UInt16(45000 + src))))
        }
        add(0, 1, hello(Array("Nice".utf8)))
        add(1, 1, hello(Array(evilA.utf8)))                                             // node-renamed by HELLO
        add(2, 2, hello(Array(evilB.utf8)))                                             // a FULL from .1 is due
        add(3, 1, full([entry(ip(1), evilA), entry(ip(2), evilB), entry(ip(3), evilC)]))  // registry-elected, node-seen by FULL
        add(4, 3, full([entry(ip(3), evilC), entry(ip(1), evilA), entry(ip(2), evilB2)])) // changed, conflict, unexpected, renamed by FULL
        add(5, 3, [0x05] + PacketBuilder.ip(ip(2)))                                      // declared offline; due again for .1
        add(6, 2, hello(Array(evilB.utf8)))                                             // returned, renamed
        add(7, 3, [0x05] + PacketBuilder.ip(ip(2)))                                      // offline twice: flapping
        // LEGACY with controls as JSON escapes (version, name, key), then renamed with raw C1 and RLO.
        add(10, 4, Array(#"{"version":"\u001b]0;v\u0007","name":"\u001b[2J\u202eleg\u009b","\u001b[1mkey":"\b\r"}"#.utf8))
        add(11, 4, Array("{\"name\":\"\u{9B}renamed\u{202E}\"}".utf8))
        // Malformed: an unknown type made of controls; bad JSON with a raw ESC; trailing control bytes.
        add(12, 5, [0x1B] + Array("[2J".utf8) + [0x1B] + Array("]0;t".utf8) + [0x07, 0x08, 0x0D, 0xC2, 0x9B, 0xE2, 0x80, 0xAE, 0x7A])
        add(13, 6, Array("{\"name\":\"\u{1B}[2J\"}".utf8))
        add(14, 7, hello(Array("ok".utf8)) + [0x1B] + Array("[2J".utf8) + [0x07])
        // Warnings: a raw 0x9B byte (not UTF-8: an 8-bit CSI) in a HELLO; an over-long name of controls in a FULL.
        add(15, 8, hello([0x9B] + Array("[2Jraw".utf8) + [0x9B]))
        add(16, 9, full([entry(ip(9), Array((clear + retitle + c1 + rlo + String(repeating: "\u{08}", count: 20)).utf8))]))
        return packets
    }

    /// A second input, to have two file labels.
    static var secondPackets: [TestPacket] {
        [.at(20, 0, PacketBuilder.discovery(hello(Array((evilC + rlo + "!!").utf8)), src: ip(10), sport: 45010))]
    }

    static let fileName1 = "evil\u{1B}[2J\u{1B}]0;title\u{07}\u{08}\r\u{9B}\u{202E}1.pcap"
    static let fileName2 = "two\u{1B}[31m\u{9D}0;t\u{9C}2.pcap"

    struct Files {
        var folder: URL
        var first: String
        var second: String
    }

    static func files() throws -> Files {
        let folder = Paths.temporaryFolder()
        let first = try writeTestCapture(makeCapture(evilPackets), name: fileName1, in: folder)
        let second = try writeTestCapture(makeCapture(secondPackets), name: fileName2, in: folder)
        return Files(folder: folder, first: first, second: second)
    }

    // MARK: What may reach the terminal

    /// Everything wrong in `bytes` for a terminal: control bytes, C1 controls, bidi
    /// and other invisible formatting characters, bytes that are not UTF-8.
    static func problems(_ bytes: [UInt8], allowSGR: Bool = false) -> [String] {
        var found: [String] = []
        // Raw bytes first, whatever the encoding.
        for (i, b) in bytes.enumerated() {
            switch b {
            case 0x1B:
                if allowSGR, let end = sgrEnd(bytes, at: i) { _ = end; continue }
                found.append("ESC at byte \(i): \(context(bytes, i))")
            case 0x07, 0x08, 0x0D, 0x00...0x06, 0x0B, 0x0C, 0x0E...0x1A, 0x1C...0x1F, 0x7F:
                found.append(String(format: "control 0x%02X at byte %d: ", b, i) + context(bytes, i))
            case 0xC2 where i + 1 < bytes.count && (0x80...0x9F).contains(bytes[i + 1]):
                found.append(String(format: "C1 U+%04X at byte %d: ", bytes[i + 1], i) + context(bytes, i))
            default: break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return found + ["output is not valid UTF-8 (a raw 8-bit byte such as 0x9B reaches the terminal)"]
        }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x80...0x9F: break  // reported above
            case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF:
                found.append(String(format: "invisible or bidi control U+%04X", scalar.value))
            default: break
            }
        }
        return found
    }

    /// Where an SGR sequence `ESC [ digits;… m` starting at `i` ends, or nil.
    static func sgrEnd(_ bytes: [UInt8], at i: Int) -> Int? {
        guard i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "[") else { return nil }
        var j = i + 2
        while j < bytes.count, (bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "9")) || bytes[j] == UInt8(ascii: ";") { j += 1 }
        guard j < bytes.count, bytes[j] == UInt8(ascii: "m") else { return nil }
        return j
    }

    /// The bytes with every SGR sequence removed.
    static func strippingSGR(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x1B, let end = sgrEnd(bytes, at: i) { i = end + 1; continue }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    static func context(_ bytes: [UInt8], _ i: Int) -> String {
        let slice = bytes[max(0, i - 30)..<min(bytes.count, i + 30)]
        return String(decoding: slice, as: UTF8.self).debugDescription
    }

    /// Checks one run's stdout and stderr, with `--color never` and `--color always`.
    static func expectSafe(_ arguments: [String], status: Int32 = 0, shows evidence: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let never = try runPeersniffRaw(arguments + ["--color", "never"])
        #expect(never.status == status, "\(arguments): status \(never.status); stderr: \(never.stderrText.debugDescription)", sourceLocation: sourceLocation)
        for (stream, bytes) in [("stdout", never.stdout), ("stderr", never.stderr)] {
            let found = problems(bytes)
            #expect(found.isEmpty, "\(arguments) --color never, \(stream):\n\(found.prefix(8).joined(separator: "\n"))", sourceLocation: sourceLocation)
        }
        let all = never.stdoutText + never.stderrText
        for text in evidence {
            #expect(all.contains(text), "\(arguments): the escaped form \(text.debugDescription) is not shown: the test did not reach that output",
                    sourceLocation: sourceLocation)
        }

        // With colour, the only escape sequences are SGR codes, and without them the output is the plain one.
        let always = try runPeersniffRaw(arguments + ["--color", "always"])
        #expect(always.status == status, sourceLocation: sourceLocation)
        for (stream, bytes) in [("stdout", always.stdout), ("stderr", always.stderr)] {
            let found = problems(bytes, allowSGR: true)
            #expect(found.isEmpty, "\(arguments) --color always, \(stream):\n\(found.prefix(8).joined(separator: "\n"))", sourceLocation: sourceLocation)
        }
        #expect(strippingSGR(always.stdout) == never.stdout,
                "\(arguments): --color always differs from --color never by more than SGR codes", sourceLocation: sourceLocation)
        #expect(strippingSGR(always.stderr) == never.stderr, sourceLocation: sourceLocation)
    }

    // MARK: The outputs

    @Test("The story's capture exercises every name-bearing line")
    func storyReachesEveryEvent() throws {
        let files = try Self.files()
        let run = try peersniffJSON(files.first)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let events = Set(run.recordsOfKind("event").compactMap { $0["event"] as? String })
        for kind in ["node-seen", "node-renamed", "node-declared-offline", "node-returned", "registry-elected",
                     "registry-changed", "registry-conflict", "registry-unexpected", "registry-silent", "peers-changed"] {
            #expect(events.contains(kind), "no \(kind) event: \(events.sorted())")
        }
        let renamedVia = run.recordsOfKind("event").filter { $0["event"] as? String == "node-renamed" }.compactMap { $0["ip"] as? String }
        #expect(Set(renamedVia) == [Self.ip(1), Self.ip(2), Self.ip(4)], "renamed by HELLO, FULL and LEGACY: \(renamedVia)")
        let diagnoses = ((run.summaryRecord?["diagnoses"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
        for code in ["two-registries", "false-offline", "legacy-firmware", "malformed-frames"] {
            #expect(diagnoses.contains(code), "no \(code) diagnosis: \(diagnoses)")
        }
        #expect(Set(run.malformedRecords.compactMap { $0["reason"] as? String }) == ["unknown-type", "bad-json", "trailing-bytes"])
        // JSON Lines escape C0 controls too (C1 and bidi characters are legal JSON text).
        let raw = try runPeersniffRaw(["-r", files.first, "--json"])
        #expect(!raw.stdout.contains { $0 < 0x20 && $0 != 0x0A } && !raw.stdout.contains(0x7F), "a raw control byte in --json")
    }

    @Test("Default frame lines (HELLO and FULL names, LEGACY JSON, malformed details) and the summary")
    func defaultOutput() throws {
        let files = try Self.files()
        try Self.expectSafe(["-r", files.first], shows: ["\\e[2J", "\\e]0;pwned\\x07", "\\x08\\x08\\x08", "\\r", "\\u{009b}", "\\u{202e}",
                                                       "\\u{2066}", "\\e]8;;http://x\\e\\\\link", "MALFORMED unknown-type", "Nodes", "What happened"])
    }

    @Test("--events: node-seen, node-renamed, registry and peers-changed events with names")
    func eventsOutput() throws {
        let files = try Self.files()
        try Self.expectSafe(["-r", files.first, "--events"], shows: ["node-renamed", "registry-conflict", "registry-silent", "\\e[2J", "\\u{009b}"])
    }

    @Test("-q: the summary alone (nodes table with LEGACY version, registry history, diagnoses)")
    func summaryOutput() throws {
        let files = try Self.files()
        try Self.expectSafe(["-r", files.first, "-q"], shows: ["legacy ", "Registry history", "false-offline (", "legacy-firmware (", "\\e[2J"])
    }

    @Test("--malformed: entries, sentences, source labels and the hex dump's ASCII column")
    func malformedReport() throws {
        let files = try Self.files()
        try Self.expectSafe(["-r", files.first, "--malformed"],
                            shows: ["unknown-type", "bad-json", "trailing-bytes", "name-not-utf8", "name-too-long", "|.[2J.]0;t", "By source:"])
    }

    @Test("Two inputs: every line's file label, in text, events and the report")
    func fileLabels() throws {
        let files = try Self.files()
        let evidence = ["evil\\e[2J\\e]0;title\\x07\\x08\\r\\u{009b}\\u{202e}1.pcap", "two\\e[31m\\u{009d}0;t\\u{009c}2.pcap"]
        try Self.expectSafe(["-r", files.first, "-r", files.second], shows: evidence)
        try Self.expectSafe(["-r", files.first, "-r", files.second, "--malformed"], shows: evidence)
        try Self.expectSafe(["-r", files.first, "-r", files.second, "--events"], shows: [evidence[0]])
    }

    @Test("Error messages on stderr that name a file whose name holds controls")
    func errorMessages() throws {
        let files = try Self.files()
        let folder = files.folder
        let shown = "\\e[2J"
        // A file that does not exist.
        try Self.expectSafe(["-r", folder.appendingPathComponent("missing\u{1B}[2J\u{9B}\u{202E}.pcap").path], status: 1, shows: [shown])
        // A file that is not a capture.
        let garbage = folder.appendingPathComponent("garbage\u{1B}[2J\u{07}.pcap")
        try Data("not a capture at all\n".utf8).write(to: garbage)
        try Self.expectSafe(["-r", garbage.path], status: 1, shows: [shown])
        // A capture cut inside a packet: the frames before the cut, the summary's "input ended early", stderr.
        let cut = folder.appendingPathComponent("cut\u{1B}[2J\r.pcap")
        let whole = makeCapture(Self.evilPackets)
        try whole.prefix(whole.count - 7).write(to: cut)
        try Self.expectSafe(["-r", cut.path], status: 1, shows: [shown, "input ended early"])
        // Dump files that cannot be written.
        let noFolder = folder.appendingPathComponent("no\u{1B}]0;x\u{07}dir").appendingPathComponent("out\u{1B}[2J.pcap").path
        try Self.expectSafe(["-r", files.first, "-q", "-w", noFolder], status: 1, shows: [shown])
        try Self.expectSafe(["-r", files.first, "-q", "--write-malformed", noFolder], status: 1, shows: [shown])
    }

    @Test("Usage errors that echo a file name or a value show it escaped")
    func usageErrors() throws {
        let files = try Self.files()
        // `peersniff -r a.pcap *.pcap`: the second file is an unexpected argument, named in the message.
        let stray = files.folder.appendingPathComponent("stray\u{1B}[2J\u{1B}]0;t\u{07}.pcap").path
        try Self.expectSafe(["-r", files.first, stray], status: 2, shows: ["stray"])
        // A bad value for an option is echoed too.
        try Self.expectSafe(["-r", files.first, "--port", "\u{1B}[2J\u{9B}"], status: 2, shows: ["--port"])
    }
}
