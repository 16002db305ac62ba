import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// `--html FILE` pages rendered in a real browser (Debian's headless Chromium): they
/// load with no console message and no request outside the file (a
/// Content-Security-Policy forbids any and would log it), every node's lane and
/// every reign of the summary is in the DOM, hostile names stay text, and a
/// screenshot is written for a person to look at (its path is in the test log).
@Suite("The HTML page in a browser", .enabled(if: Chromium.path != nil, "chromium is not installed (.ci/run installs it)"))
struct HTMLPageTests {
    static let pages: [(name: String, capture: String, thresholds: [String])] = {
        let speed10 = ["--registry-timeout", "0.3", "--conflict-window", "0.5"]
        var list: [(String, String, [String])] = []
        for scenario in ["boot3", "failover", "lowjoin", "desktop-lowest", "rejoin", "legacy"] {
            for view in ["bridge", "board-view"] {
                list.append(("\(scenario)-\(view)", Paths.fixture("\(scenario)/\(view).pcap"), scenario == "boot3" ? [] : speed10))
            }
        }
        for slice in ["bridge-start", "bridge-fragments"] { list.append(("big-\(slice)", Paths.fixture("big/\(slice).pcap"), speed10)) }
        list.append(("every-code", Paths.fixture("malformed/every-code.pcap"), []))
        return list
    }()

    /// Where the screenshots go (kept after the run, not committed).
    static let shots: URL = {
        let url = URL(fileURLWithPath: "/tmp/peersniff-pages")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    @Test("Each capture's page loads clean, with every node's lane and every reign", arguments: pages.map(\.name))
    func page(name: String) throws {
        let entry = Self.pages.first { $0.name == name }!
        let page = Self.shots.appendingPathComponent("\(name).html").path
        let run = try runPeersniff(["-r", entry.capture, "--json", "-q", "--html", page] + entry.thresholds)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = run.records.last ?? [:]
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.utf8.count < 5_000_000)
        // Nothing to load: no URL but the SVG namespace the script names elements with.
        let urls = html.components(separatedBy: "://").dropFirst().filter { !$0.hasPrefix("www.w3.org/2000/svg") }
        #expect(urls.isEmpty, "\(name): the page names a URL: \(urls.prefix(3).map { String($0.prefix(40)) })")

        let dom = try Chromium.dumpDOM(page)
        #expect(dom.console.isEmpty, "\(name): console: \(dom.console)")
        let nodes = (summary["nodes"] as? [[String: Any]] ?? []).compactMap { $0["ip"] as? String }
        #expect(!nodes.isEmpty)
        for ip in nodes {
            #expect(dom.text.contains("<g class=\"lane\" data-ip=\"\(ip)\""), "\(name): no lane for \(ip)")
        }
        let reigns = (summary["registry_history"] as? [[String: Any]] ?? []).compactMap { $0["ip"] as? String }
        // Each reign in the band, in order (a reign that a silent span cuts is drawn in two pieces).
        var drawn: [String] = []
        var lastReign = -1
        for piece in dom.text.components(separatedBy: "<div class=\"seg reign ").dropFirst() {
            let ip = piece.components(separatedBy: "data-ip=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? ""
            let reign = piece.components(separatedBy: "data-reign=\"").dropFirst().first.flatMap { Int($0.prefix { $0 != "\"" }) } ?? -1
            if reign != lastReign { drawn.append(ip) }
            lastReign = reign
        }
        #expect(drawn == reigns, "\(name): reigns drawn \(drawn), summary \(reigns)")
        let diagnoses = summary["diagnoses"] as? [[String: Any]] ?? []
        for (k, diagnosis) in diagnoses.enumerated() {
            // One group an incident: its words once, as the group's hover title, and a shape
            // on each lane it names (the first, the node at fault, outlined), or one across all.
            let pieces = dom.text.components(separatedBy: "<g id=\"inc-\(k)\" class=\"incident ")
            guard pieces.count == 2 else {
                Issue.record("\(name): diagnosis \(k) has \(pieces.count - 1) places on the timeline, not one")
                continue
            }
            let group = pieces[1].components(separatedBy: "</g>")[0]
            let code = diagnosis["code"] as? String ?? "?"
            let ips = (diagnosis["ips"] as? [String] ?? []).filter(nodes.contains)
            let titles = group.components(separatedBy: "<title>").dropFirst()
            #expect(titles.count == 1, "\(name): diagnosis \(k) titled \(titles.count) times")
            #expect(titles.first?.components(separatedBy: "</title>")[0].contains(" \(code): ") == true, "\(name): diagnosis \(k)'s title")
            #expect(group.components(separatedBy: "<rect").count - 1 == max(1, ips.count), "\(name): diagnosis \(k) on \(ips)")
            let firstAtFault = (diagnosis["ips"] as? [String])?.first.map(nodes.contains) ?? false
            #expect(group.components(separatedBy: "class=\"at-fault\"").count - 1 == (firstAtFault ? 1 : 0), "\(name): diagnosis \(k)'s node at fault")
        }

        let shot = Self.shots.appendingPathComponent("\(name).png").path
        try Chromium.screenshot(page, to: shot)
        print("page \(name): \(page), screenshot \(shot)")
        #expect(FileManager.default.fileExists(atPath: shot))
    }

    @Test("Hostile names are text: no script of theirs runs, the title stays ours")
    func hostileNames() throws {
        let names = ["</script><script>document.title='pwned'</script>", "\"><img src=x onerror=\"document.title='pwned'\">",
                     "<!-- <svg onload=alert(1)>", "x' onmouseover='document.title=1", "ab\u{202E}cd"]
        var packets: [TestPacket] = []
        for (k, name) in names.enumerated() {
            packets.append(.at(UInt32(k), 0, PacketBuilder.discovery(DiscoveryPayload.hello(name), src: "10.37.0.\(20 + k)")))
        }
        packets.append(.at(6, 0, PacketBuilder.discovery(DiscoveryPayload.full(names.enumerated().map { (ip: "10.37.0.\(20 + $0.offset)", name: $0.element) }), src: "10.37.0.20")))
        let capture = try writeTestCapture(makeCapture(packets))
        let page = Self.shots.appendingPathComponent("hostile.html").path
        let run = try runPeersniff(["-r", capture, "-q", "--html", page])
        #expect(run.status == 0)
        let dom = try Chromium.dumpDOM(page)
        #expect(dom.console.isEmpty, "console: \(dom.console)")
        let title = dom.text.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? ""
        #expect(title.hasPrefix("peersniff: "), "title \(title.debugDescription)")
        #expect(!dom.text.contains("pwned</title>"))
        #expect(!dom.text.contains("<img"), "an injected element")
        #expect(!dom.text.contains("<svg onload"))
        // Shown as text, escaped; the bidi override made visible.
        #expect(dom.text.contains("&lt;/script&gt;&lt;script&gt;document.title="))
        #expect(dom.text.contains("\\u{202E}") || dom.text.contains("\\u{202e}"))
        try Chromium.screenshot(page, to: Self.shots.appendingPathComponent("hostile.png").path)
    }
}

/// Debian's chromium, headless.
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                        "--disable-extensions", "--disable-background-networking", "--enable-logging=stderr", "--v=0"]

    /// The DOM after the page's script ran, and every console message (CSP violations included).
    static func dumpDOM(_ page: String) throws -> (text: String, console: [String]) {
        let run = try runProgram(path!, flags + ["--dump-dom", "file://" + page])
        let console = run.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (run.stdout, console)
    }

    static func screenshot(_ page: String, to png: String) throws {
        _ = try runProgram(path!, flags + ["--window-size=1400,1200", "--screenshot=" + png, "file://" + page])
    }
}
