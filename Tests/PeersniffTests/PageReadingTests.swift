import Foundation
import Output
import Testing
import EndToEndSupport
import TestSupport
import WireBytes

/// The page (`--html`) as a technician reads it, in headless Chromium, checked against
/// tshark's reading of the captures (`Fixtures/*/frames.tsv`), never against an earlier
/// run of peersniff: who was registry when (named in the band), the desktop client the
/// boards elected, each frame's packet number and clock time at the deepest zoom, a
/// clock axis, the view kept across a live reload, the controls with scripts off, the
/// display filter highlighted, the budget of exact frames said.
@Suite("The page as a technician reads it", .enabled(if: Chromium.path != nil, "chromium is not installed (.ci/run installs it)"))
struct PageReadingTests {
    static let speed10 = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]

    /// The page of a fixture, and the DOM Chromium made of it at `fragment`.
    static func page(_ scenario: String, _ extra: [String] = [], fragment: String = "") throws -> (path: String, dom: String) {
        let folder = Paths.temporaryFolder()
        let page = folder.appendingPathComponent("\(scenario).html").path
        let run = try runPeersniff(["-r", Paths.fixture("\(scenario)/bridge.pcap"), "-q", "--html", page] + speed10 + extra)
        #expect(run.status == 0, "\(run.stderr)")
        let dom = try Chromium.dumpDOM(page, fragment: fragment)
        #expect(dom.console.isEmpty, "console: \(dom.console)")
        return (page, dom.text)
    }

    static func table(_ scenario: String) throws -> TsharkTable { try TsharkTable(path: Paths.fixture("\(scenario)/frames.tsv")) }

    /// A HELLO's name, read from tshark's hex of its payload.
    static func helloName(_ row: TsharkTable.Row) -> String? {
        guard row.type == "HELLO", let bytes = row.payload, bytes.count >= 2 else { return nil }
        return String(decoding: bytes[2..<min(bytes.count, 2 + Int(bytes[1]))], as: UTF8.self)
    }

    /// tshark's epoch ("1795610710.238958000") as the clock the page writes: `HH:MM:SS.ffffff` UTC.
    static func clock(_ epoch: String) -> String { String(rfc3339(epoch: epoch, digits: 6).dropFirst(11).dropLast()) }

    /// The band's segments in page order: (class, data-ip, text).
    static func bandSegments(_ dom: String) -> [(kind: String, ip: String, text: String)] {
        guard let band = dom.components(separatedBy: "<div id=\"band\"").dropFirst().first?.components(separatedBy: "<svg id=\"chart\"").first else { return [] }
        return band.components(separatedBy: "<div class=\"seg ").dropFirst().map { piece in
            let kind = String(piece.prefix { $0 != " " && $0 != "\"" })
            let ip = piece.components(separatedBy: "data-ip=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? ""
            let text = piece.components(separatedBy: "<span").dropFirst().first?.components(separatedBy: ">").dropFirst().first?
                .components(separatedBy: "</span").first ?? ""
            return (kind, ip, text.replacingOccurrences(of: "&quot;", with: "\""))
        }
    }

    @Test("The failover's band names both registries as text: 10.37.0.20 \"Addams Family\", then 10.37.0.30 \"Funhouse\"")
    func failoverBandNamesBothRegistries() throws {
        let rows = try Self.table("failover").rows
        // From tshark: the first FULL's sender and the last FULL's sender, and their names from their HELLOs.
        let fulls = rows.filter { $0.type == "FULL" }
        let first = try #require(fulls.first?.source), last = try #require(fulls.last?.source)
        #expect(first != last)
        func name(_ ip: String) -> String? { rows.lazy.filter { $0.source == ip }.compactMap(Self.helloName).first }
        let firstLabel = "\(first) \"\(try #require(name(first)))\"", lastLabel = "\(last) \"\(try #require(name(last)))\""
        #expect(firstLabel == "10.37.0.20 \"Addams Family\"" && lastLabel == "10.37.0.30 \"Funhouse\"")

        let (_, dom) = try Self.page("failover")
        let reigns = Self.bandSegments(dom).filter { $0.kind == "reign" }
        #expect(reigns.map(\.text) == [firstLabel, lastLabel], "band: \(Self.bandSegments(dom))")
        // Two registries, two colours apart: the palette's first two, not two hues of green.
        let classes = dom.components(separatedBy: "<div class=\"seg reign ").dropFirst().map { String($0.prefix { $0 != " " && $0 != "\"" }) }
        #expect(classes.count == 2 && classes[0] != classes[1], "\(classes)")
        // The key lists every reign, narrow or not.
        let key = (dom.components(separatedBy: "<ul class=\"reigns\">").dropFirst().first?.components(separatedBy: "</ul>").first ?? "")
            .replacingOccurrences(of: "&quot;", with: "\"")
        #expect(key.contains(firstLabel) && key.contains(lastLabel), "\(key)")
    }

    @Test("The desktop-lowest page names the desktop client, which never sends FULL, as the boards' elected registry (hatched)")
    func desktopNamedAsElectedRegistry() throws {
        let rows = try Self.table("desktop-lowest").rows
        // From tshark: the lowest address that sent anything, which sent HELLOs from port 37020 and no FULL.
        func value(_ ip: String) -> UInt32 { ip.split(separator: ".").reduce(0) { $0 << 8 | UInt32($1)! } }
        let lowest = try #require(Set(rows.map(\.source)).min { value($0) < value($1) })
        #expect(rows.contains { $0.source == lowest && $0.type == "HELLO" && $0.sourcePort == 37020 })
        #expect(!rows.contains { $0.source == lowest && $0.type == "FULL" }, "the desktop client sent a FULL")
        let name = try #require(rows.lazy.filter { $0.source == lowest }.compactMap(Self.helloName).first)

        let (_, dom) = try Self.page("desktop-lowest")
        let silent = Self.bandSegments(dom).filter { $0.kind == "silent" }
        let desktop = try #require(silent.first { $0.ip == lowest }, "no hatched span of \(lowest) in the band: \(Self.bandSegments(dom))")
        #expect(desktop.text.hasPrefix("\(lowest) \"\(name)\""), "\(desktop.text)")
        #expect(desktop.text.contains("elected"), "\(desktop.text)")
        #expect(dom.contains("data-ip=\"\(lowest)\" data-code=\"desktop-registry\""))
        // It never sent FULL: it has no reign of its own.
        #expect(!Self.bandSegments(dom).contains { $0.kind == "reign" && $0.ip == lowest })
    }

    @Test("At the deepest zoom the ticks are the frames: each one's hover title holds its packet number and clock time, as tshark reads them")
    func deepestZoomTitles() throws {
        let rows = try Self.table("failover").rows
        // A FULL of Funhouse in the middle of the capture, and a window of 1 ms around it (the page allows 4 ms at least).
        let row = try #require(rows.first { $0.type == "FULL" && $0.source == "10.37.0.30" && $0.number > 90 })
        let t = try #require(Double(row.epoch))
        let (page, dom) = try Self.page("failover", fragment: "#from=\(String(format: "%.6f", t - 0.0005))&to=\(String(format: "%.6f", t + 0.0005))")
        // The view the script took: clamped to the deepest zoom, 4 ms, around the frame.
        let view = try #require(dom.components(separatedBy: "data-view=\"").dropFirst().first?.prefix { $0 != "\"" })
        let parts = view.split(separator: " ").compactMap { Double($0) }
        try #require(parts.count == 2)
        let span = try #require(dom.components(separatedBy: "data-span=\"").dropFirst().first.flatMap { Double($0.prefix { $0 != "\"" }) })
        let seconds = parts[1] / 1200 * span
        #expect(abs(seconds - 0.004) < 0.0002, "the deepest view spans \(seconds) s")
        // The tick of that frame: in view, titled with its number and clock time.
        let titled = dom.components(separatedBy: "<path d=\"M").dropFirst().map { piece -> (x: Double, title: String) in
            let x = Double(piece.prefix { $0 != " " }) ?? -1
            let title = piece.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? ""
            return (x, title)
        }
        let tick = try #require(titled.first { $0.title.hasPrefix("#\(row.number) ") }, "no tick titled #\(row.number)")
        #expect(tick.title.hasPrefix("#\(row.number) \(Self.clock(row.epoch)) FULL 10.37.0.30"), "\(tick.title)")
        #expect(tick.x >= parts[0] && tick.x <= parts[0] + parts[1], "tick at \(tick.x), view \(parts)")
        // Every frame tshark read is a tick of its own, with its number and clock time.
        let titles = Set(titled.map { $0.title.split(separator: " ").prefix(2).joined(separator: " ") })
        for r in rows { #expect(titles.contains("#\(r.number) \(Self.clock(r.epoch))"), "packet \(r.number)") }
        #expect(titled.count == rows.count)
        // No bins: every frame was kept. Zoomed this far, the frame is labelled on its lane too.
        #expect(!dom.contains("<g class=\"bins"))
        let labels = dom.components(separatedBy: "<div id=\"flabels\"").dropFirst().first?.components(separatedBy: "</div>").first ?? ""
        #expect(labels.contains(">#\(row.number) FULL</span>"), "\(labels)")
        try Chromium.screenshot(page, to: "/tmp/peersniff-pages/failover-deepest.png", fragment: "#from=\(t - 0.002)&to=\(t + 0.002)")
    }

    @Test("The axis shows UTC clock times at round steps, to the millisecond when zoomed")
    func clockAxis() throws {
        let rows = try Self.table("failover").rows
        let first = try #require(Double(rows.first!.epoch)), last = try #require(Double(rows.last!.epoch))
        func labels(_ dom: String) -> [String] {
            let axis = dom.components(separatedBy: "<div id=\"ticks\">").dropFirst().first?.components(separatedBy: "</div>").first ?? ""
            return axis.components(separatedBy: "<span class=\"tick\"").dropFirst().compactMap { $0.components(separatedBy: ">").dropFirst().first?.components(separatedBy: "<").first }
        }
        /// Seconds of the UTC day of a label, and of an epoch.
        func secondOfDay(_ label: String) -> Double? {
            let p = label.split(separator: ":")
            guard p.count == 3, let h = Double(p[0]), let m = Double(p[1]), let s = Double(p[2]) else { return nil }
            return h * 3600 + m * 60 + s
        }
        func secondOfDay(epoch: Double) -> Double { epoch.truncatingRemainder(dividingBy: 86400) }
        for (fragment, milliseconds) in [("", false), ("#from=\(first + 8.2)&to=\(first + 8.6)", true)] {
            let (_, dom) = try Self.page("failover", fragment: fragment)
            let shown = labels(dom)
            #expect(shown.count >= 3, "\(fragment): \(shown)")
            let pattern = milliseconds ? #"^\d\d:\d\d:\d\d\.\d\d\d$"# : #"^\d\d:\d\d:\d\d$"#
            for label in shown { #expect(label.range(of: pattern, options: .regularExpression) != nil, "\(label)") }
            let values = shown.compactMap(secondOfDay)
            // Within the capture (or the view), in order, at one round step.
            #expect(values.allSatisfy { $0 >= secondOfDay(epoch: first) - 0.001 && $0 <= secondOfDay(epoch: last) + 0.001 })
            let steps = Set(zip(values, values.dropFirst()).map { (($1 - $0) * 1000).rounded() })
            #expect(steps.count == 1, "uneven steps \(steps)")
            if let step = steps.first { #expect([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].contains(step), "step \(step) ms") }
            if let v = values.first, let step = steps.first { #expect((v * 1000).rounded().truncatingRemainder(dividingBy: step) == 0, "not on a round time: \(shown)") }
        }
    }

    @Test("Live, the page reloads itself and keeps its zoom (the fragment); it says when it was written")
    func liveReloadKeepsZoom() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("watch.html").path
        // Two live pages of the same span, as peersniff rewrites it: only the source's words differ.
        let start = Timestamp(seconds: 1_795_610_700, nanoseconds: 0, precision: .microseconds)
        func write(_ source: String) throws {
            var summary = Summary()
            summary.firstTime = start
            summary.lastTime = start.adding(nanoseconds: 60_000_000_000)
            let html = HTMLPage.render(recorder: TimelineRecorder(), summary: summary, source: source, live: true, written: start)
            try html.write(toFile: page, atomically: true, encoding: .utf8)
            #expect(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>"), "with scripts off, the page reloads itself")
            #expect(html.contains("Written 2026-11-25 "))
        }
        try write("first")
        // 12:45:10.000 to 12:45:12.500 UTC.
        let fragment = "#from=1795610710.000000&to=1795610712.500000"
        let browser = try Chromium.Session(url: "file://" + page + fragment)
        defer { browser.stop() }
        let shown = try browser.waitForTitle(within: 10) { $0.contains("first") && $0.contains("12:45:10.000 to 12:45:12.500") }
        #expect(shown != nil, "first load: \(browser.lastTitle)")
        // peersniff rewrites the page; within the next reload the browser shows the new one, zoomed as before.
        try write("second")
        // (The title is the page's own until its script has run: wait for both.)
        let reloaded = try browser.waitForTitle(within: 15) { $0.contains("second") && $0.contains("12:45:10.000 to 12:45:12.500") }
        #expect(reloaded != nil, "after the reload: \(browser.lastTitle)")
        #expect(browser.lastURL.hasSuffix(fragment), "\(browser.lastURL)")
    }

    @Test("With scripts off the controls that need them are not shown (hidden as written); the script shows them")
    func controlsNeedScripts() throws {
        let folder = Paths.temporaryFolder()
        let page = folder.appendingPathComponent("failover.html").path
        _ = try runPeersniff(["-r", Paths.fixture("failover/bridge.pcap"), "-q", "--html", page] + Self.speed10)
        // Chromium dumps no DOM with scripts off: the page as written is what such a browser shows.
        let off = try String(contentsOfFile: page, encoding: .utf8)
        let on = try Chromium.dumpDOM(page).text
        func controls(_ dom: String) -> String { dom.components(separatedBy: "<div class=\"controls\"").dropFirst().first?.prefix { $0 != ">" }.description ?? "" }
        #expect(controls(off).contains("hidden"), "scripts off: \(controls(off))")
        #expect(!controls(on).contains("hidden"), "scripts on: \(controls(on))")
        #expect(on.contains("data-zoom=\"in\""))
    }

    @Test("The display filter: said in the header, the --node lane emphasised, the --since/--until span shaded, the other types faded")
    func displayFilterHighlighted() throws {
        let rows = try Self.table("failover").rows
        let first = try #require(rows.first?.epoch)
        let since = Self.clock(String(Double(first)! + 6)).prefix(8), until = Self.clock(String(Double(first)! + 9)).prefix(8)
        let (_, dom) = try Self.page("failover", ["--node", "10.37.0.30", "--type", "FULL", "--since", String(since), "--until", String(until)])
        #expect(dom.contains("<p class=\"filter\">Display filter <code>--node 10.37.0.30 --type FULL --since \(since) --until \(until)</code>"))
        #expect(dom.contains("class=\"lab match\"") && dom.components(separatedBy: "class=\"lab match\"").count == 2, "one lane emphasised")
        let lane = dom.components(separatedBy: "<g class=\"lane\" data-ip=\"10.37.0.30\">").dropFirst().first?.prefix(200) ?? ""
        #expect(lane.contains("lanebg match"), "\(lane)")
        #expect(dom.contains("<rect class=\"fspan\""))
        #expect(dom.contains("<g class=\"fr t-HELLO dim\">") && dom.contains("<g class=\"fr t-FULL\">"))
    }

    @Test("Beyond the budget of exact frames the busiest spans keep theirs, the rest is binned and the page says so, within 5 MB")
    func exactFramesBudget() throws {
        // 20,000 HELLOs: a quiet minute (one a second), then a burst of 19,940 in 2 s, then a quiet minute.
        var packets: [TestPacket] = []
        func hello(_ t: Double, _ k: Int) -> TestPacket {
            let s = t.rounded(.down)
            return TestPacket(seconds: CaptureClock.base + UInt32(s), fraction: UInt32(((t - s) * 1e6).rounded(.down)),
                              bytes: PacketBuilder.discovery(DiscoveryPayload.hello("board \(k % 40)"), src: "10.37.1.\(k % 40 + 1)"))
        }
        for k in 0..<30 { packets.append(hello(Double(k), k)) }
        for k in 0..<19_940 { packets.append(hello(30 + Double(k) * 0.0001, k)) }
        for k in 0..<30 { packets.append(hello(33 + Double(k), k)) }
        let capture = try writeTestCapture(makeCapture(packets))
        let page = Paths.temporaryFolder().appendingPathComponent("budget.html").path
        let run = try runPeersniff(["-r", capture, "-q", "--html", page])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.utf8.count < 5_000_000, "\(html.utf8.count) bytes")
        let ticks = html.components(separatedBy: "<path d=\"M").count - 1
        #expect(ticks > 0 && ticks <= TimelineRecorder.exactBudget, "\(ticks) exact ticks")
        #expect(html.contains("Budget reached: \(ticks) of 20000 frames are drawn one by one"))
        #expect(html.contains("<div class=\"binned\""), "the binned spans hatched on the axis")
        // The burst (packets 31 to 19,970) is the busiest span: its frames are the ones kept.
        let numbers = html.components(separatedBy: "<title>#").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(numbers.count == ticks)
        // The quiet minute before it was given up for it; after it, quiet frames fill what the budget has left.
        let before = numbers.filter { $0 <= 30 }, inBurst = numbers.filter { (31...19_970).contains($0) }
        #expect(before.isEmpty, "kept before the burst: \(before.prefix(5))")
        #expect(inBurst.count > TimelineRecorder.exactBudget * 9 / 10, "\(inBurst.count) of the burst kept")
        let dom = try Chromium.dumpDOM(page)
        #expect(dom.console.isEmpty, "\(dom.console)")
    }

    @Test("Events have marks of their own, not ticks: each OFFLINE about the dead registry is a declared-offline mark at its time; the node at fault is outlined")
    func eventMarksAndFault() throws {
        let rows = try Self.table("failover").rows
        // From tshark: the OFFLINE frames about 10.37.0.20 (05 0a 25 00 14).
        let offlines = rows.filter { $0.payloadHex.lowercased() == "050a250014" }
        #expect(offlines.count > 10)
        let (_, dom) = try Self.page("failover")
        let overlay = dom.components(separatedBy: "<div id=\"marks\"").dropFirst().first?.components(separatedBy: "</div>").first ?? ""
        let marks = overlay.components(separatedBy: "<i class=\"m k-node-declared-offline\"").dropFirst().map { piece in
            piece.components(separatedBy: "title=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? ""
        }
        #expect(marks.count == offlines.count, "\(marks.count) marks, \(offlines.count) OFFLINEs")
        for row in offlines {
            #expect(marks.contains { $0.hasPrefix("\(Self.clock(row.epoch)) #\(row.number) node-declared-offline: 10.37.0.20") }, "packet \(row.number)")
        }
        // Marks are shapes over the lanes, never SVG lines like the ticks.
        #expect(!dom.contains("<line class=\"marker"))
        // The registry that died is at fault in the failover: its lane and its label outlined.
        let lane = dom.components(separatedBy: "<g class=\"lane\" data-ip=\"10.37.0.20\">").dropFirst().first?.prefix(120) ?? ""
        #expect(lane.contains("lanebg fault-error"), "\(lane)")
        #expect(dom.contains("class=\"lab fault-error\""))
        #expect(!(dom.components(separatedBy: "<g class=\"lane\" data-ip=\"10.37.0.40\">").dropFirst().first?.prefix(120).contains("fault") ?? true))
    }

    @Test("A day of failovers (the failover capture 300 times over): the page stays under 5 MB and says what it left out")
    func manyIncidentsStayWithinTheBound() throws {
        // The fixture's records, repeated with their times moved on by the capture's length each time.
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Paths.fixture("failover/bridge.pcap"))))
        func u32(_ at: Int) -> UInt32 { UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24 }
        try #require(u32(0) == 0xa1b2_c3d4, "a little-endian microsecond pcap")
        var records: [(seconds: UInt32, rest: ArraySlice<UInt8>)] = []
        var at = 24
        while at + 16 <= data.count {
            let length = Int(u32(at + 8))
            records.append((u32(at), data[(at + 4)..<(at + 16 + length)]))
            at += 16 + length
        }
        let length = records.last!.seconds - records.first!.seconds + 1
        var out = Array(data[0..<24])
        for copy in 0..<300 {
            for record in records {
                let seconds = record.seconds + UInt32(copy) * length
                out += [UInt8(seconds & 0xff), UInt8(seconds >> 8 & 0xff), UInt8(seconds >> 16 & 0xff), UInt8(seconds >> 24)]
                out += record.rest
            }
        }
        let capture = try writeTestCapture(Data(out))
        let page = Paths.temporaryFolder().appendingPathComponent("day.html").path
        let run = try runPeersniff(["-r", capture, "--json", "-q", "--html", page] + Self.speed10)
        #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
        let diagnoses = (run.records.last?["diagnoses"] as? [[String: Any]] ?? []).count
        #expect(diagnoses > HTMLPage.maxDiagnoses, "\(diagnoses) diagnoses")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.utf8.count < 5_000_000, "\(html.utf8.count) bytes")
        #expect(html.contains("\(diagnoses - HTMLPage.maxDiagnoses) more diagnoses, not listed nor shaded on the timeline"))
        #expect(html.components(separatedBy: "<li class=\"sev-").count - 1 == HTMLPage.maxDiagnoses)
        let dom = try Chromium.dumpDOM(page)
        #expect(dom.console.isEmpty, "\(dom.console)")
    }
}

extension Chromium {
    /// The DOM after the page's script ran at `fragment`.
    static func dumpDOM(_ page: String, fragment: String) throws -> (text: String, console: [String]) {
        let run = try runProgram(path!, flags + ["--dump-dom", "file://" + page + fragment])
        let console = run.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (run.stdout, console)
    }

    static func screenshot(_ page: String, to png: String, fragment: String) throws {
        _ = try runProgram(path!, flags + ["--window-size=1400,1000", "--screenshot=" + png, "file://" + page + fragment])
    }

    /// A browser left running on a page, asked over its DevTools HTTP endpoint
    /// (`/json/list`) for the page's title and URL as time goes on.
    final class Session {
        let process = Process()
        let profile = Paths.temporaryFolder()
        var port = 0
        var lastTitle = ""
        var lastURL = ""

        init(url: String) throws {
            process.executableURL = URL(fileURLWithPath: Chromium.path!)
            process.arguments = Chromium.flags + ["--remote-debugging-port=0", "--user-data-dir=" + profile.path, url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Chromium writes the port it took into the profile.
            for _ in 0..<100 where port == 0 {
                if let text = try? String(contentsOf: profile.appendingPathComponent("DevToolsActivePort"), encoding: .utf8),
                   let line = text.split(separator: "\n").first, let value = Int(line) { port = value } else { Thread.sleep(forTimeInterval: 0.1) }
            }
            guard port > 0 else { throw ToolMissing(name: "chromium's DevTools port") }
        }

        /// Polls the page's title until `accept` takes it (nil: not within `seconds`).
        func waitForTitle(within seconds: Double, _ accept: (String) -> Bool) throws -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let run = try runProgram("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/json/list"])
                if let data = run.stdout.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
                   let target = list.first(where: { $0["type"] as? String == "page" }) {
                    lastTitle = target["title"] as? String ?? ""
                    lastURL = target["url"] as? String ?? ""
                    if accept(lastTitle) { return lastTitle }
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
            return nil
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: profile)
        }
    }
}
