import Analyzer
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// `--html FILE`: the incident on one page. One self-contained file (inline CSS,
/// SVG and script; a Content-Security-Policy that forbids loading anything), drawn
/// by peersniff as SVG so that it reads with scripts off; the script only adds zoom,
/// pan and filtering. Every string from the network is escaped for HTML text or
/// attribute (no network string ever lands in the script).
public enum HTMLPage {
    /// Lanes drawn at most; the rest are counted in one line.
    static let maxDrawnLanes = 300
    /// Rectangles of frame ticks at most, over all lanes (the page stays a few MB).
    static let tickBudget = 16_000
    static let width = 1200.0
    static let laneHeight = 22.0
    static let bandHeight = 30.0

    /// The page for what `recorder` saw and the run's summary. `source` says what was
    /// read; `live`: the page reloads itself. One section a function, in page order.
    public static func render(recorder: TimelineRecorder, summary: Summary, source: String, live: Bool) -> String {
        var page = Page()
        let l = Layout(recorder: recorder, summary: summary)
        head(&page, l, source: source, live: live)
        whatHappened(&page, l)
        timeline(&page, l)
        tables(&page, l)
        page.add("</ul></section><script>\(raw: script)</script></body></html>\n")
        return page.text
    }

    /// What every section reads: the span of time drawn, the diagnoses, the lanes.
    struct Layout {
        let recorder: TimelineRecorder
        let summary: Summary
        let report: ElectionReport?
        let start: Timestamp
        let end: Timestamp
        let span: Double
        let diagnoses: [Diagnosis]
        /// Lanes drawn (recorder indexes, the busiest), every lane's address in order, its row.
        let drawn: [Int]
        let laneIPs: [IPv4Address]
        let laneRow: [UInt32: Int]
        let hidden: Int
        let bandTop = 0.0
        let lanesTop = HTMLPage.bandHeight + 8
        let height: Double

        init(recorder: TimelineRecorder, summary: Summary) {
            self.recorder = recorder
            self.summary = summary
            report = summary.election
            start = summary.firstTime ?? recorder.start ?? Timestamp(seconds: 0, nanoseconds: 0)
            end = max(summary.lastTime ?? start, recorder.last ?? start)
            span = max(end.seconds(since: start), 0.001)
            diagnoses = report?.diagnoses ?? []
            // Lanes: the busiest nodes (by frames sent), drawn in address order.
            let byFrames = recorder.lanes.indices.sorted { recorder.lanes[$0].frames > recorder.lanes[$1].frames }
            drawn = byFrames.prefix(HTMLPage.maxDrawnLanes).sorted { recorder.lanes[$0].ip < recorder.lanes[$1].ip }
            // Nodes only listed in FULLs have no frames and no lane of the recorder: they get one too.
            let listedOnly = (report?.nodes ?? []).filter { recorder.laneIndex($0.ip) == nil }.prefix(max(0, HTMLPage.maxDrawnLanes - drawn.count))
            var ips = drawn.map { recorder.lanes[$0].ip } + listedOnly.map(\.ip)
            ips.sort()
            laneIPs = ips
            laneRow = Dictionary(uniqueKeysWithValues: ips.enumerated().map { ($1.value, $0) })
            hidden = (report?.nodes.count ?? recorder.lanes.count) - ips.count
            height = HTMLPage.bandHeight + 8 + Double(ips.count) * HTMLPage.laneHeight + 4
        }

        /// The horizontal place of a time.
        func x(_ t: Timestamp) -> Double { max(0, min(HTMLPage.width, t.seconds(since: start) / span * HTMLPage.width)) }

        /// An address and its quoted name, as every writer shows it.
        func nameOf(_ ip: IPv4Address) -> String { addressAndName(ip, report?.nodes.first(where: { $0.ip == ip })?.name) }
    }

    /// The head, and what was read.
    static func head(_ page: inout Page, _ l: Layout, source: String, live: Bool) {
        page.add("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        page.add("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">")
        if live { page.add("<meta http-equiv=\"refresh\" content=\"5\">") }
        page.add("<title>peersniff: \(text: source)</title><style>\(raw: css)</style></head><body>")
        page.add("<header><h1>peersniff</h1><p class=\"read\">Read: <b>\(text: source)</b> · \(l.start.rfc3339) to \(l.end.rfc3339) (\(text: formatSeconds(l.span))) · \(l.summary.packetsRead) packets, \(l.summary.frames) frames, \(l.summary.malformed) malformed\(live ? " · <span class=\"live\">live, refreshed every few seconds</span>" : "")</p></header>")
    }

    /// "What happened": the diagnoses, each linked to its place on the timeline.
    static func whatHappened(_ page: inout Page, _ l: Layout) {
        page.add("<section id=\"what\"><h2>What happened</h2>")
        if l.diagnoses.isEmpty {
            page.add("<p>Nothing wrong seen: no diagnosis.</p>")
        } else {
            page.add("<ol class=\"diagnoses\">")
            for (k, d) in l.diagnoses.enumerated() {
                let until = d.until.map { clock($0) } ?? "the end"
                page.add("<li class=\"sev-\(d.severity.rawValue)\"><a href=\"#inc-\(k)\"><span class=\"sev\">\(d.severity.rawValue)</span> \(clock(d.since)) → \(until) <b>\(d.code.rawValue)</b></a> \(text: d.ips.map(\.description).joined(separator: ", "))<p>\(raw: d.message.htmlText(markup: true))</p></li>")
            }
            page.add("</ol>")
        }
        page.add("</section>")
    }

    /// The timeline: the controls, the axis, the registry band, the lanes, the ticks, the incidents and the election events.
    static func timeline(_ page: inout Page, _ l: Layout) {
        page.add("<section id=\"timeline\"><h2>Timeline</h2><div class=\"controls\">")
        page.add("<button type=\"button\" data-zoom=\"in\">zoom in</button><button type=\"button\" data-zoom=\"out\">zoom out</button><button type=\"button\" data-zoom=\"reset\">whole capture</button> <span class=\"hint\">wheel zooms, drag pans; hover for details</span> ")
        for type in FrameType.allCases {
            page.add("<label class=\"t-\(type.name)\"><input type=\"checkbox\" checked data-type=\"\(type.name)\"> \(type.name)</label> ")
        }
        page.add("</div><div class=\"tl\"><div class=\"labels\" style=\"height:\(fmt(l.height))px\">")
        page.add("<div class=\"lab band\" style=\"top:\(fmt(l.bandTop))px;height:\(fmt(bandHeight))px\">registry</div>")
        for (row, ip) in l.laneIPs.enumerated() {
            page.add("<div class=\"lab\" style=\"top:\(fmt(l.lanesTop + Double(row) * laneHeight))px\" title=\"\(text: l.nameOf(ip))\">\(text: l.nameOf(ip))</div>")
        }
        page.add("</div><div class=\"plot\"><svg id=\"axis\" viewBox=\"0 0 \(fmt(width)) 18\" preserveAspectRatio=\"none\" data-start=\"\(l.start.asDouble)\" data-span=\"\(l.span)\">")
        for (t, label) in axisTicks(span: l.span) {
            let px = t / l.span * width
            page.add("<line x1=\"\(fmt(px))\" x2=\"\(fmt(px))\" y1=\"12\" y2=\"18\" vector-effect=\"non-scaling-stroke\"/><text x=\"\(fmt(px + 2))\" y=\"10\">\(text: label)</text>")
        }
        page.add("</svg><svg id=\"chart\" viewBox=\"0 0 \(fmt(width)) \(fmt(l.height))\" preserveAspectRatio=\"none\" style=\"height:\(fmt(l.height))px\">")
        page.add("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#d33\" fill-opacity=\"0.45\"/></pattern></defs>")

        band(&page, l)
        lanes(&page, l)
        ticks(&page, l)
        incidents(&page, l)
        markers(&page, l)
        page.add("</g></svg></div></div>")
        if l.hidden > 0 { page.add("<p class=\"more\">\(l.hidden) more node\(l.hidden == 1 ? "" : "s") not drawn (the \(l.laneIPs.count) busiest are); the node table lists them.</p>") }
        if l.recorder.markersDropped > 0 { page.add("<p class=\"more\">\(l.recorder.markersDropped) more election events not marked (the first \(TimelineRecorder.maxMarkers) are).</p>") }
        if let flood = l.report?.flood, !flood.isEmpty {
            page.add("<p class=\"more\">About \(flood.distinctAddresses) addresses beyond the node cap of \(l.report!.maxNodes) were counted, not kept.</p>")
        }
        page.add("<p class=\"legend\">Band: the registry (the sender of the latest FULL), coloured per node; hatched where no registry answered. Lanes: frames by type as ticks (HELLO, FULL, PING, PONG, OFFLINE, LEGACY from top), grey where declared offline, the green line while known; incidents shaded by severity; election events as vertical marks.</p></section>")
    }

    /// The registry band: reigns coloured per node; hatched where no registry answered.
    static func band(_ page: inout Page, _ l: Layout) {
        page.add("<g id=\"band\">")
        // The registry band: reigns coloured per node.
        for reign in l.report?.history ?? [] {
            let x0 = l.x(reign.since), x1 = l.x(reign.until ?? l.end)
            page.add("<rect class=\"reign\" data-ip=\"\(reign.ip)\" x=\"\(fmt(x0))\" y=\"\(fmt(l.bandTop + 2))\" width=\"\(fmt(max(0.5, x1 - x0)))\" height=\"\(fmt(bandHeight - 4))\" fill=\"\(colour(reign.ip))\"><title>\(text: l.nameOf(reign.ip)) registry from \(clock(reign.since))\(reign.until.map { " to " + clock($0) } ?? " to the end") (\(reign.fulls) FULLs)</title></rect>")
        }
        // Where no registry answered: the incidents that say so.
        for (k, d) in l.diagnoses.enumerated() where [.registryFailover, .registryLostUnnoticed, .registryHandoverGap, .desktopRegistry, .splitBrain].contains(d.code) {
            let x0 = l.x(d.since), x1 = l.x(d.until ?? l.end)
            page.add("<rect class=\"gap\" data-incident=\"\(k)\" x=\"\(fmt(x0))\" y=\"\(fmt(l.bandTop))\" width=\"\(fmt(max(1, x1 - x0)))\" height=\"\(fmt(bandHeight))\" fill=\"url(#hatch)\"><title>\(text: d.code.rawValue): \(raw: d.message.htmlText(markup: false))</title></rect>")
        }
        page.add("</g>")
    }

    /// The lanes: live, offline.
    static func lanes(_ page: inout Page, _ l: Layout) {
        // Lanes: live, offline, frames binned by type, incidents shaded.
        page.add("<g id=\"lanes\">")
        let nodeByIP = Dictionary((l.report?.nodes ?? []).map { ($0.ip.value, $0) }, uniquingKeysWith: { a, _ in a })
        for (row, ip) in l.laneIPs.enumerated() {
            let y = l.lanesTop + Double(row) * laneHeight
            page.add("<g class=\"lane\" data-ip=\"\(ip)\">")
            page.add("<rect class=\"lanebg\" x=\"0\" y=\"\(fmt(y))\" width=\"\(fmt(width))\" height=\"\(fmt(laneHeight - 2))\"/>")
            if let node = nodeByIP[ip.value], let first = node.firstSent ?? node.firstListed {
                page.add("<rect class=\"live\" x=\"\(fmt(l.x(first)))\" y=\"\(fmt(y + laneHeight - 5))\" width=\"\(fmt(max(0.5, width - l.x(first))))\" height=\"3\"><title>\(text: l.nameOf(ip)) known from \(clock(first))</title></rect>")
            }
            if let lane = l.recorder.laneIndex(ip).map({ l.recorder.lanes[$0] }) {
                for away in lane.offline {
                    let x0 = l.x(away.since), x1 = l.x(away.until ?? l.end)
                    page.add("<rect class=\"offline\" x=\"\(fmt(x0))\" y=\"\(fmt(y))\" width=\"\(fmt(max(0.5, x1 - x0)))\" height=\"\(fmt(laneHeight - 2))\"><title>declared offline \(clock(away.since))\(away.until.map { " until it came back at " + clock($0) } ?? " and never came back")</title></rect>")
                }
            }
            page.add("</g>")
        }
    }

    /// Frame ticks, binned; fewer columns when there are many lanes.
    static func ticks(_ page: inout Page, _ l: Layout) {
        // Frame ticks, binned; fewer columns when there are many lanes.
        let columns = max(30, min(TimelineRecorder.binCount, tickBudget / max(1, l.drawn.count * 4)))
        // A tooltip per tick only while they are few (the page stays small).
        let tickTitles = columns * l.drawn.count <= 2500
        let group = max(1, (TimelineRecorder.binCount + columns - 1) / columns)
        let binSeconds = Double(l.recorder.binWidth) / 1e9 * Double(group)
        for type in FrameType.allCases {
            page.add("<g class=\"ticks t-\(type.name)\">")
            for index in l.drawn {
                let lane = l.recorder.lanes[index]
                guard let row = l.laneRow[lane.ip.value] else { continue }
                let y = l.lanesTop + Double(row) * laneHeight + 1 + Double(type.index) * 2.6
                var b = 0
                while b < TimelineRecorder.binCount {
                    var count: UInt32 = 0
                    for k in b..<min(b + group, TimelineRecorder.binCount) { count &+= l.recorder.count(lane: index, bin: k, type: type.index) }
                    if count > 0 {
                        let t0 = Double(b) * Double(l.recorder.binWidth) / 1e9
                        let px = t0 / l.span * width
                        let w = max(1, binSeconds / l.span * width)
                        if tickTitles {
                            page.add("<rect x=\"\(fmt(px))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"2.4\"><title>\(count) \(type.name) from \(lane.ip) near +\(fmt3(t0)) s</title></rect>")
                        } else {
                            page.add("<rect x=\"\(fmt(px))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"2.4\"/>")
                        }
                    }
                    b += group
                }
            }
            page.add("</g>")
        }
    }

    /// Incidents shaded across the lanes they concern (the first shape is the link target).
    static func incidents(_ page: inout Page, _ l: Layout) {
        // Incidents shaded across the lanes they concern (the first shape is the link target).
        page.add("<g id=\"incidents\">")
        for (k, d) in l.diagnoses.enumerated() {
            let x0 = l.x(d.since), x1 = l.x(d.until ?? l.end)
            let rows = d.ips.compactMap { l.laneRow[$0.value] }
            var first = true
            for row in rows {
                let y = l.lanesTop + Double(row) * laneHeight
                page.add("<rect \(raw: first ? "id=\"inc-\(k)\" " : "")class=\"incident sev-\(d.severity.rawValue)\" data-code=\"\(d.code.rawValue)\" x=\"\(fmt(x0))\" y=\"\(fmt(y))\" width=\"\(fmt(max(2, x1 - x0)))\" height=\"\(fmt(laneHeight - 2))\"><title>\(clock(d.since)) \(text: d.code.rawValue): \(raw: d.message.htmlText(markup: false))</title></rect>")
                first = false
            }
            if first {
                page.add("<rect id=\"inc-\(k)\" class=\"incident sev-\(d.severity.rawValue)\" data-code=\"\(d.code.rawValue)\" x=\"\(fmt(x0))\" y=\"\(fmt(l.bandTop))\" width=\"\(fmt(max(2, x1 - x0)))\" height=\"\(fmt(bandHeight))\"><title>\(clock(d.since)) \(text: d.code.rawValue): \(raw: d.message.htmlText(markup: false))</title></rect>")
            }
        }
        page.add("</g>")
    }

    /// Election events as markers: on their node's lane, or on the registry band.
    static func markers(_ page: inout Page, _ l: Layout) {
        // Election events as markers: on their node's lane, or on the registry band.
        page.add("<g id=\"markers\">")
        for marker in l.recorder.markers {
            let px = l.x(marker.time)
            let onBand = [.registryElected, .registryChanged, .registryConflict, .registryUnexpected, .registrySilent].contains(marker.kind)
            let row = onBand ? nil : marker.ip.flatMap { l.laneRow[$0.value] }
            let y0 = row.map { l.lanesTop + Double($0) * laneHeight } ?? l.bandTop
            let y1 = y0 + (row == nil ? bandHeight : laneHeight - 2)
            let text = "\(clock(marker.time))\(marker.packet.map { " #\($0)" } ?? " (deadline)") \(marker.kind.rawValue): \(marker.text)"
            page.add("<line class=\"marker k-\(marker.kind.rawValue)\" x1=\"\(fmt(px))\" x2=\"\(fmt(px))\" y1=\"\(fmt(y0))\" y2=\"\(fmt(y1))\" vector-effect=\"non-scaling-stroke\"><title>\(text: text)</title></line>")
        }
    }

    /// The node table, the registry history and the counts.
    static func tables(_ page: inout Page, _ l: Layout) {
        // Tables.
        page.add("<section id=\"tables\"><h2>Nodes</h2><table><thead><tr><th>address</th><th>name</th><th>first seen</th><th>last seen</th>")
        for type in FrameType.allCases { page.add("<th>\(type.name)</th>") }
        page.add("<th>state</th></tr></thead><tbody>")
        for node in (l.report?.nodes ?? []).prefix(2000) {
            page.add("<tr data-ip=\"\(node.ip)\"><td>\(node.ip)</td><td>\(text: node.name.map { "\"\(terminalSafe($0.description))\"" } ?? "-")</td><td>\(node.firstSent.map(clock) ?? "-")</td><td>\(node.lastSent.map(clock) ?? "-")</td>")
            for type in FrameType.allCases { page.add("<td>\(node.framesByType[type.index])</td>") }
            page.add("<td>\(nodeState(node))\(node.timesDeclaredOffline > 0 ? " (declared offline \(node.timesDeclaredOffline)×)" : "")</td></tr>")
        }
        page.add("</tbody></table>")
        if let count = l.report?.nodes.count, count > 2000 { page.add("<p class=\"more\">\(count - 2000) more nodes (--json lists them all).</p>") }
        page.add("<h2>Registry history</h2><table><thead><tr><th>registry</th><th>from</th><th>until</th><th>FULLs</th></tr></thead><tbody>")
        for reign in l.report?.history ?? [] {
            page.add("<tr class=\"reign-row\" data-ip=\"\(reign.ip)\"><td>\(text: l.nameOf(reign.ip))</td><td>\(clock(reign.since))</td><td>\(reign.until.map(clock) ?? "the end")</td><td>\(reign.fulls)</td></tr>")
        }
        page.add("</tbody></table><h2>Counts</h2><ul class=\"counts\">")
        page.add("<li>packets: \(l.summary.packetsRead) read, \(l.summary.packetsMatched) on the discovery port</li>")
        page.add("<li>frames: \(FrameType.allCases.map { "\($0.name) \(l.summary.framesByType[$0.index])" }.joined(separator: ", "))</li>")
        page.add("<li>malformed: \(MalformationReason.allCases.filter { l.summary.malformedByReason[$0.index] > 0 }.map { "\($0) \(l.summary.malformedByReason[$0.index])" }.joined(separator: ", ")) (\(l.summary.malformed))</li>")
        if let report = l.report { page.add("<li>events: \(report.eventCounts.filter { $0.count > 0 }.map { "\($0.kind.rawValue) \($0.count)" }.joined(separator: ", "))</li>") }
    }

    // MARK: Pieces

    /// The page being written: only HTML goes in (`HTML` escapes what it interpolates).
    struct Page {
        var text = ""
        mutating func add(_ piece: HTML) { text += piece.text }
    }

    /// Text from the network for HTML text or a quoted attribute: controls and
    /// invisible or reordering characters made visible (as on a terminal), then
    /// `& < > " '` as entities, so that `</script>`, `<!--` and attribute break-outs
    /// are inert text.
    public static func escape(_ text: String) -> String {
        // Controls and non-ASCII go through the terminal's escaping first (rare: names).
        var plain = true
        for byte in text.utf8 where byte < 0x20 || byte >= 0x7F { plain = false; break }
        let source = plain ? text : terminalSafe(text, quoting: false)
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count + 8)
        for byte in source.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func clock(_ t: Timestamp) -> String { millisecondClock(t) }

    static func fmt(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func fmt3(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        return String(r)
    }

    /// A colour per node: a hue from its address.
    static func colour(_ ip: IPv4Address) -> String {
        var h = ip.value &* 0x9E37_79B1
        h ^= h >> 15
        return "hsl(\(h % 360),60%,58%)"
    }

    /// Ticks of the time axis: about ten, at round seconds from the start.
    static func axisTicks(span: Double) -> [(Double, String)] {
        let steps: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]
        let step = steps.first { span / $0 <= 12 } ?? 86400
        var ticks: [(Double, String)] = []
        var t = 0.0
        while t <= span + 1e-9, ticks.count < 40 {
            ticks.append((t, "+" + (step < 1 ? fmt3(t) : fmt(t)) + " s"))
            t += step
        }
        return ticks
    }

    static let css = """
    body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}
    h1{font-size:20px;margin:0}h2{font-size:16px;margin:18px 0 6px}
    .read{margin:4px 0;color:#444}.live{color:#b50}
    .diagnoses li{margin:6px 0}.diagnoses p{margin:2px 0 0;color:#333}.diagnoses a{color:inherit;text-decoration:none}
    .sev{display:inline-block;min-width:60px;font-weight:bold;text-transform:uppercase;font-size:12px}
    li.sev-error .sev{color:#c00}li.sev-warning .sev{color:#b60}li.sev-note .sev{color:#666}
    .controls{margin:6px 0}.controls button{margin-right:4px}.hint{color:#777;font-size:12px;margin-right:10px}
    .controls label{margin-right:8px;font-size:12px}
    .tl{display:flex;border:1px solid #ccc}.labels{position:relative;width:240px;flex:none;margin-top:18px;border-right:1px solid #ccc}
    .lab{position:absolute;left:4px;right:4px;height:22px;line-height:20px;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
    .lab.band{font-weight:bold;line-height:30px}
    .plot{flex:1;min-width:0;overflow:hidden;cursor:grab}.plot svg{display:block;width:100%}
    #axis{height:18px}#axis text{font-size:10px;fill:#555}#axis line{stroke:#999}
    .lanebg{fill:#f6f6f6}.live{fill:#6b6}.offline{fill:#999;fill-opacity:.45}
    .reign{stroke:#fff;stroke-width:.5}
    .ticks.t-HELLO rect{fill:#2a2}.ticks.t-FULL rect{fill:#27c}.ticks.t-PING rect{fill:#888}.ticks.t-PONG rect{fill:#bbb}.ticks.t-OFFLINE rect{fill:#d22}.ticks.t-LEGACY rect{fill:#e80}
    label.t-HELLO{color:#2a2}label.t-FULL{color:#27c}label.t-PING{color:#666}label.t-PONG{color:#999}label.t-OFFLINE{color:#d22}label.t-LEGACY{color:#e80}
    .incident{fill-opacity:.18}.incident.sev-error{fill:#d00}.incident.sev-warning{fill:#e90}.incident.sev-note{fill:#888}
    .incident:target{fill-opacity:.45;stroke:#000}
    .marker{stroke:#000;stroke-width:1.5}.k-registry-silent{stroke:#d00}.k-registry-conflict,.k-registry-unexpected{stroke:#c60}.k-node-declared-offline{stroke:#a00;stroke-width:1}.k-node-returned{stroke:#080}
    .more,.legend{color:#666;font-size:12px}
    table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
    .hidden-type{display:none}
    """

    /// Zoom (wheel, buttons), pan (drag) and filtering by frame type. Reads only the
    /// page's own attributes; no data from the network is in it.
    static let script = """
    (function(){
    var chart=document.getElementById('chart'),axis=document.getElementById('axis');if(!chart)return;
    var W=\(width),x0=0,w=W,start=parseFloat(axis.getAttribute('data-start')),span=parseFloat(axis.getAttribute('data-span'));
    var H=chart.viewBox.baseVal.height;
    function label(t){var s=t*span/W;return '+'+(w*span/W<1?s.toFixed(3):s.toFixed(w*span/W<20?1:0))+' s';}
    function drawAxis(){while(axis.firstChild)axis.removeChild(axis.firstChild);var n=10,step=w/n;
    for(var i=0;i<=n;i++){var t=x0+i*step,px=i*W/n;var l=document.createElementNS('http://www.w3.org/2000/svg','line');
    l.setAttribute('x1',px);l.setAttribute('x2',px);l.setAttribute('y1',12);l.setAttribute('y2',18);l.setAttribute('vector-effect','non-scaling-stroke');axis.appendChild(l);
    var tx=document.createElementNS('http://www.w3.org/2000/svg','text');tx.setAttribute('x',px+2);tx.setAttribute('y',10);tx.textContent=label(t);axis.appendChild(tx);}}
    function apply(){if(w>W)w=W;if(w<W/5000)w=W/5000;if(x0<0)x0=0;if(x0+w>W)x0=W-w;chart.setAttribute('viewBox',x0+' 0 '+w+' '+H);drawAxis();}
    function zoom(f,c){var at=x0+(c===undefined?0.5:c)*w;w=w*f;x0=at-(c===undefined?0.5:c)*w;apply();}
    document.querySelectorAll('[data-zoom]').forEach(function(b){b.addEventListener('click',function(){var z=b.getAttribute('data-zoom');if(z==='in')zoom(0.5);else if(z==='out')zoom(2);else{x0=0;w=W;apply();}});});
    chart.addEventListener('wheel',function(e){e.preventDefault();var r=chart.getBoundingClientRect();zoom(e.deltaY<0?0.8:1.25,(e.clientX-r.left)/r.width);},{passive:false});
    var drag=null;chart.addEventListener('mousedown',function(e){drag={x:e.clientX,x0:x0};});
    window.addEventListener('mousemove',function(e){if(!drag)return;var r=chart.getBoundingClientRect();x0=drag.x0-(e.clientX-drag.x)/r.width*w;apply();});
    window.addEventListener('mouseup',function(){drag=null;});
    document.querySelectorAll('input[data-type]').forEach(function(c){c.addEventListener('change',function(){document.querySelectorAll('g.ticks.t-'+c.getAttribute('data-type')).forEach(function(g){g.classList.toggle('hidden-type',!c.checked);});});});
    document.querySelectorAll('.diagnoses a').forEach(function(a){a.addEventListener('click',function(){var r=document.getElementById(a.getAttribute('href').slice(1));if(!r)return;var rx=parseFloat(r.getAttribute('x')),rw=parseFloat(r.getAttribute('width'));w=Math.min(W,Math.max(rw*3,W/200));x0=rx-(w-rw)/2;apply();});});
    drawAxis();
    })();
    """
}
