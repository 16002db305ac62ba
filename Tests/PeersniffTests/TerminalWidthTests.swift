import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 20, "the terminal": text, `-q`, `--events` and `--malformed` fit the window
/// of a pseudo-terminal (80 and 160 columns) on every capture in `Fixtures/` and the
/// whole big capture; a FULL shows its count and first few peers, every peer with
/// `-v`; piped with COLUMNS unset the lines keep their length, COLUMNS narrows them.
/// Widths are counted by glibc's `wcwidth` in a UTF-8 locale, not by peersniff's
/// own table; peer lists are checked against tshark's reading.
@Suite("Text fits the terminal")
struct TerminalWidthTests {
    /// glibc's wcwidth (declared only under _XOPEN_SOURCE, so not in Swift's Glibc module).
    static let wcwidth: @convention(c) (Int32) -> Int32 = {
        let symbol = dlsym(dlopen(nil, RTLD_NOW), "wcwidth")!
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// The columns a line takes on a terminal, by glibc's wcwidth (C.UTF-8), colour and
    /// cursor codes removed. A character wcwidth calls unprintable counts as 1 and is
    /// reported by `unprintable`.
    static func columns(_ line: String) -> (width: Int, unprintable: [UInt32]) {
        let stripped = line.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
        guard let locale = newlocale(Int32(1 << LC_CTYPE), "C.UTF-8", nil) else { return (stripped.unicodeScalars.count, []) }
        let previous = uselocale(locale)
        defer {
            uselocale(previous)
            freelocale(locale)
        }
        var width = 0
        var bad: [UInt32] = []
        for scalar in stripped.unicodeScalars {
            let w = Int(wcwidth(Int32(bitPattern: scalar.value)))
            if w < 0 { bad.append(scalar.value); width += 1 } else { width += w }
        }
        return (width, bad)
    }

    @Test("wcwidth, the oracle, counts wide characters and emoji as two columns")
    func oracle() {
        #expect(Self.columns("abc").width == 3)
        #expect(Self.columns("ピンボール").width == 10)
        #expect(Self.columns("🎱 Eight").width == 8)
        #expect(Self.columns("\u{1B}[1mbold\u{1B}[0m").width == 4)
        #expect(Self.columns("Ω…→").width == 3)
    }

    /// The speed-10 captures need the thresholds scaled (Fixtures/README.md).
    static let fast = ["failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"]

    /// Every capture in Fixtures/ (and the whole big capture when ../shared is there), with its options.
    static func captures() throws -> [(path: String, options: [String])] {
        var found: [(String, [String])] = []
        let folders = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path).sorted()
        for folder in folders {
            let url = Paths.fixtures.appendingPathComponent(folder)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { continue }
            for file in files.sorted() where file.hasSuffix(".pcap") || file.hasSuffix(".pcapng") {
                let options = fast.contains(folder) ? ["--registry-timeout", "0.3", "--conflict-window", "0.5"] : []
                found.append((url.appendingPathComponent(file).path, options))
            }
        }
        let big = Paths.sharedCaptures.appendingPathComponent("big/bridge.pcap").path
        if FileManager.default.fileExists(atPath: big) { found.append((big, [])) }
        return found
    }

    /// A run on a pseudo-terminal of `columns` columns, to its end: its lines (CR LF
    /// read as a line end; colour codes kept) and its exit status.
    static func onTerminal(_ arguments: [String], columns: Int, rows: Int = 50) throws -> (status: Int32, lines: [String], stderr: String) {
        let program = try TerminalProgram(Paths.peersniff.path, arguments, rows: rows, columns: columns)
        let status = program.finish(timeout: 120)
        let text = program.plainTranscript.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return (status, lines, program.stderr)
    }

    struct Mode: CustomTestStringConvertible, Sendable {
        var options: [String]
        var columns: Int
        var testDescription: String { (options.isEmpty ? "text" : options.joined(separator: " ")) + " at \(columns) columns" }
    }
    static let modes: [Mode] = [80, 160].flatMap { columns in
        [[], ["-q"], ["--events"], ["--malformed"]].map { Mode(options: $0, columns: columns) }
    }

    @Test("No line is wider than the window, on every capture", arguments: modes)
    func everyCaptureFits(_ mode: Mode) throws {
        let captures = try Self.captures()
        #expect(captures.count >= 15, "the captures: \(captures.map(\.path))")
        for capture in captures {
            let name = URL(fileURLWithPath: capture.path).pathComponents.suffix(2).joined(separator: "/")
            let run = try Self.onTerminal(["-r", capture.path] + capture.options + mode.options, columns: mode.columns)
            #expect(run.status == 0, "\(name): status \(run.status), stderr \(run.stderr)")
            #expect(!run.lines.isEmpty, "\(name): nothing printed")
            var wide: [String] = []
            for line in run.lines {
                let (width, bad) = Self.columns(line)
                if width > mode.columns { wide.append("\(width): \(line)") }
                #expect(bad.isEmpty, "\(name): characters a terminal cannot print: \(bad) in \(line.debugDescription)")
            }
            #expect(wide.isEmpty, "\(name) \(mode.testDescription): \(wide.count) lines too wide, e.g.\n\(wide.prefix(3).joined(separator: "\n"))")
            // Fitting loses no line: as many frame and event lines as piped (where nothing is cut).
            if mode.options.isEmpty || mode.options == ["--events"] {
                let piped = try runPeersniff(["-r", capture.path, "--color", "never"] + capture.options + mode.options, environment: Self.withoutColumns)
                let pattern = #"^\d\d:\d\d:\d\d\.\d{6,9} "#
                let onScreen = run.lines.filter { $0.range(of: pattern, options: .regularExpression) != nil }.count
                let inPipe = piped.stdout.split(separator: "\n").filter { $0.range(of: pattern, options: .regularExpression) != nil }.count
                #expect(onScreen == inPipe, "\(name): \(onScreen) record lines on the terminal, \(inPipe) piped")
            }
            if mode.options == ["-q"] {
                #expect(run.lines.contains("Summary") || run.lines.contains { $0.hasSuffix("Summary\u{1B}[0m") || $0.contains("Summary") },
                        "\(name): no summary")
            }
        }
    }

    /// The environment without COLUMNS (piped runs keep their natural layout).
    static var withoutColumns: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = nil
        return environment
    }

    // MARK: FULL lines against tshark

    /// The big capture's slice with the longest FULLs (44 peers, fragmented, over 1024 bytes).
    static let slice = "big/bridge-fragments.pcap"

    /// tshark's FULLs of the slice: packet number and the peers' addresses in order.
    static func tsharkFulls() throws -> [(n: Int, peers: [String])] {
        let table = try TsharkTable(path: Paths.fixture("big/bridge-fragments.frames.tsv"))
        return table.rows.compactMap { row in
            guard row.type == "FULL", let payload = row.payload else { return nil }
            var peers: [String] = []
            var o = 2
            for _ in 0..<Int(payload[1]) {
                peers.append(payload[o..<(o + 4)].map(String.init).joined(separator: "."))
                o += 5 + Int(payload[o + 4])
            }
            return (row.number, peers)
        }
    }

    /// The addresses listed after "peers:" in a FULL's lines (the line and its continuations).
    static func listed(_ text: String) -> [String] {
        guard let colon = text.range(of: "peers:") else { return [] }
        let regex = try! NSRegularExpression(pattern: #"(\d+\.\d+\.\d+\.\d+) ""#)
        let rest = String(text[colon.upperBound...])
        return regex.matches(in: rest, range: NSRange(rest.startIndex..., in: rest)).map { String(rest[Range($0.range(at: 1), in: rest)!]) }
    }

    /// The FULL records of a text output: packet number, the record's lines joined (with `-v` on
    /// a terminal, a FULL continues on lines indented by four spaces).
    static func fullRecords(_ lines: [String]) -> [Int: String] {
        var records: [Int: String] = [:]
        var current: Int? = nil
        for line in lines {
            if let m = line.firstMatch(of: /^\d\d:\d\d:\d\d\.\d+ #(\d+) .* FULL \d+ peers?/) {
                current = Int(m.1)!
                records[current!] = line
            } else if line.hasPrefix("    "), let n = current {
                records[n]! += "\n" + line
            } else {
                current = nil
            }
        }
        return records
    }

    @Test("The big capture's FULLs: count and first peers by default, every peer with -v, on a terminal and piped", arguments: [80, 160])
    func fullLines(columns: Int) throws {
        let fulls = try Self.tsharkFulls()
        #expect(fulls.count > 50 && fulls.contains { $0.peers.count >= 40 }, "tshark's FULLs: \(fulls.count)")
        let path = Paths.fixture(Self.slice)

        let short = try Self.onTerminal(["-r", path], columns: columns)
        let verbose = try Self.onTerminal(["-r", path, "-v"], columns: columns)
        #expect(short.status == 0 && verbose.status == 0)
        let shortRecords = Self.fullRecords(short.lines)
        let verboseRecords = Self.fullRecords(verbose.lines)
        for line in verbose.lines {
            #expect(Self.columns(line).width <= columns, "-v: too wide: \(line)")
        }
        for full in fulls {
            guard let line = shortRecords[full.n], let all = verboseRecords[full.n] else {
                Issue.record("#\(full.n): no FULL line")
                continue
            }
            #expect(!line.contains("\n") && Self.columns(line).width <= columns, "#\(full.n): \(line)")
            #expect(line.contains("FULL \(full.peers.count) peer"), "#\(full.n): count \(full.peers.count) not shown: \(line)")
            let shown = Self.listed(line)
            #expect(shown.count <= 3 && shown == Array(full.peers.prefix(shown.count)), "#\(full.n): \(shown) of \(full.peers)")
            if full.peers.count > shown.count { #expect(line.contains("…"), "#\(full.n): more peers not said: \(line)") }
            #expect(Self.listed(all) == full.peers, "#\(full.n) -v: \(Self.listed(all)), tshark \(full.peers)")
        }

        // Piped, COLUMNS unset: one line a FULL, the first three peers, or all with -v.
        let piped = try runPeersniff(["-r", path, "--color", "never"], environment: Self.withoutColumns)
        let pipedAll = try runPeersniff(["-r", path, "--color", "never", "-v"], environment: Self.withoutColumns)
        let pipedRecords = Self.fullRecords(piped.stdout.split(separator: "\n").map(String.init))
        let pipedAllRecords = Self.fullRecords(pipedAll.stdout.split(separator: "\n").map(String.init))
        for full in fulls {
            #expect(pipedRecords[full.n].map(Self.listed) == Array(full.peers.prefix(3)), "#\(full.n) piped")
            #expect(pipedAllRecords[full.n].map(Self.listed) == full.peers, "#\(full.n) piped -v")
            #expect(pipedAllRecords[full.n]?.contains("\n") == false, "#\(full.n) piped -v is one line")
        }
        let longest = piped.stdout.split(separator: "\n").filter { $0.contains(" FULL ") }.map(\.count).max() ?? 0
        // (Three peers of 32-byte names and three warnings: under 300 characters, against 2,133 for every peer.)
        #expect(longest < 300, "a FULL line of \(longest) characters without -v")
    }

    @Test("Piped: COLUMNS narrows the text as on a terminal; unset, the lines keep their length")
    func columnsVariable() throws {
        let path = Paths.fixture(Self.slice)
        var environment = Self.withoutColumns
        environment["COLUMNS"] = "80"
        for options in [[String](), ["-q"], ["--events"], ["-v"]] {
            let narrow = try runPeersniff(["-r", path, "--color", "never"] + options, environment: environment)
            #expect(narrow.status == 0)
            let wide = narrow.stdout.split(separator: "\n").filter { Self.columns(String($0)).width > 80 }
            #expect(wide.isEmpty, "COLUMNS=80 \(options): \(wide.prefix(3))")
        }
        let natural = try runPeersniff(["-r", path, "--color", "never", "-q"], environment: Self.withoutColumns)
        let lines = natural.stdout.split(separator: "\n").map(String.init)
        // The node table as it always was: a 16-column address and a 34-column name.
        #expect(lines.contains { $0.hasPrefix("  address         name                              first seen") }, "\(lines.prefix(40))")
        #expect(lines.contains { $0.count > 130 }, "nothing longer than 130 columns piped: the layout was narrowed")
    }

    @Test("A FULL of wide names: the line is cut by columns, not characters, and -v lists every name")
    func wideNames() throws {
        let names = (0..<6).map { "ピンボール🎱 \($0) 台" }
        let peers = names.enumerated().map { (ip: "10.37.0.\(20 + $0.offset)", name: $0.element) }
        let capture = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.full(peers), src: "10.37.0.20")),
        ]))
        for columns in [80, 160] {
            let short = try Self.onTerminal(["-r", capture], columns: columns)
            let all = try Self.onTerminal(["-r", capture, "-v"], columns: columns)
            for line in short.lines + all.lines {
                #expect(Self.columns(line).width <= columns, "\(columns): \(line)")
            }
            let record = Self.fullRecords(all.lines).values.first ?? ""
            #expect(Self.listed(record) == peers.map(\.ip), "\(columns): \(record)")
            for name in names { #expect(record.contains("\"\(name)\""), "\(columns): \(name) not in \(record)") }
        }
    }
}
