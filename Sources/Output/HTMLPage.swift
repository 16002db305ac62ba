import Analyzer
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// `--html FILE`: the incident on one page. One self-contained file (inline CSS,
/// SVG and script; a Content-Security-Policy that forbids loading anything), drawn
/// by peersniff so that it reads with scripts off; the script only adds zoom, pan,
/// hiding frame types, the page's age and (live) reloading, keeping the view in the
/// URL's fragment. Every string from the network is escaped for HTML text or
/// attribute (no network string ever lands in the script).
public enum HTMLPage {
    /// Lanes drawn at most; the rest are counted in one line.
    static let maxDrawnLanes = 300
    /// Rectangles of binned ticks at most, over all lanes (the page stays a few MB);
    /// the exact frames are bounded by `TimelineRecorder.exactBudget`.
    static let tickBudget = 16_000
    /// The chart's width in its own units (the SVG's viewBox), and the width in
    /// pixels it is assumed to get before the script measures it.
    static let width = 1200.0
    static let assumedPixels = 1100.0
    static let laneHeight = 30.0
    static let bandHeight = 30.0
    static let axisHeight = 24.0
    /// Labels in the band need this many pixels; narrower reigns are in the key.
    static let labelPixels = 44.0
    /// Diagnoses listed and shaded at most (the JSON summary lists every one), pieces
    /// of the band drawn and reigns in its key: the page stays a few MB.
    public static let maxDiagnoses = 200
    static let maxBandSegments = 1500
    static let maxKeyReigns = 60

    /// The page for what `recorder` saw and the run's summary. `source` says what was
    /// read; `live`: the page reloads itself; `written`: the wall clock at writing.
    /// `quietAfter`: the silence that makes a node's lane blank (two liveness rounds;
    /// nil: three times the node's usual gap).
    public static func render(recorder: TimelineRecorder, summary: Summary, source: String, live: Bool, written: Timestamp? = nil,
                              quietAfter: Double? = nil) -> String {
        String(decoding: renderBytes(recorder: recorder, summary: summary, source: source, live: live, written: written,
                                     quietAfter: quietAfter), as: UTF8.self)
    }

    /// The page as UTF-8 bytes (no String made of it).
    public static func renderBytes(recorder: TimelineRecorder, summary: Summary, source: String, live: Bool, written: Timestamp? = nil,
                                   quietAfter: Double? = nil) -> [UInt8] {
        withRenderedBytes(recorder: recorder, summary: summary, source: source, live: live, written: written, quietAfter: quietAfter) {
            Array($0)
        }
    }

    /// The page's bytes lent to `body` where they were written, as they go to their file
    /// (no copy of a few MB held beside them), freed after. (A function of its own, as
    /// the instruction budget counts the drawing by its name.)
    @inline(never)
    public static func withRenderedBytes<R>(recorder: TimelineRecorder, summary: Summary, source: String, live: Bool, written: Timestamp? = nil,
                                            quietAfter: Double? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // About what the page takes: its frame ticks, a kilobyte each, and the rest (the
        // memory is reserved, not touched, beyond what is written).
        var page = Page(capacity: 1 << 20 + 1024 * recorder.exactCount)
        defer { page.out.deallocate() }
        var l = Layout(recorder: recorder, summary: summary)
        l.quietAfter = quietAfter
        head(&page, l, source: source, live: live, written: written)
        whatHappened(&page, l)
        timeline(&page, l, live: live, written: written)
        tables(&page, l)
        page.add("</section><script>\(raw: script)</script></body></html>\n")
        return try page.out.withUnsafeBytes(body)
    }

    /// One piece of the registry band: a reign (the sender of FULLs), or a span where
    /// the boards' elected registry sent none (hatched).
    struct BandSegment {
        var ip: IPv4Address
        var from: Timestamp
        var to: Timestamp
        /// The reign's index in the history; nil for a silent span.
        var reign: Int?
        var fulls = 0
        /// The diagnosis that says the elected registry was silent.
        var silent: Diagnosis?
    }

    /// What every section reads: the span of time drawn, the diagnoses, the lanes, the band.
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
        let height: Double
        let nodes: [UInt32: Node]
        let band: [BandSegment]
        /// Colours of the registries, in the order they first appear in the band.
        let palette: [UInt32: Int]
        /// The display filter, its bounds resolved against the first packet.
        let filter: DisplayFilter?
        let since: Timestamp?
        let until: Timestamp?
        /// The nodes at fault in an error or warning (the first of its `ips`), worst severity.
        let fault: [UInt32: Severity]
        /// The silence drawn as a node's quiet time.
        var quietAfter: Double?
        /// The frames kept exactly, in time order (made once: the ticks and the key read them).
        let exactFrames: [TimelineRecorder.ExactFrame]

        init(recorder: TimelineRecorder, summary: Summary) {
            self.recorder = recorder
            self.summary = summary
            report = summary.election
            start = summary.firstTime ?? recorder.start ?? Timestamp(seconds: 0, nanoseconds: 0)
            end = max(summary.lastTime ?? start, recorder.last ?? start)
            span = max(end.seconds(since: start), 0.001)
            diagnoses = report?.diagnoses ?? []
            // Lanes: the busiest nodes (by frames sent), drawn in address order.
            let frames = recorder.lanes.indices.map { recorder.frames(lane: $0) }
            let byFrames = recorder.lanes.indices.sorted { frames[$0] > frames[$1] }
            drawn = byFrames.prefix(HTMLPage.maxDrawnLanes).sorted { recorder.lanes[$0].ip < recorder.lanes[$1].ip }
            // Nodes only listed in FULLs have no frames and no lane of the recorder: they get one too.
            let listedOnly = (report?.nodes ?? []).filter { recorder.laneIndex($0.ip) == nil }.prefix(max(0, HTMLPage.maxDrawnLanes - drawn.count))
            var ips = drawn.map { recorder.lanes[$0].ip } + listedOnly.map(\.ip)
            ips.sort()
            laneIPs = ips
            laneRow = Dictionary(uniqueKeysWithValues: ips.enumerated().map { ($1.value, $0) })
            hidden = (report?.nodes.count ?? recorder.lanes.count) - ips.count
            height = Double(max(ips.count, 1)) * HTMLPage.laneHeight
            nodes = Dictionary((report?.nodes ?? []).map { ($0.ip.value, $0) }, uniquingKeysWith: { a, _ in a })
            band = HTMLPage.bandSegments(report: report, end: end)
            var palette: [UInt32: Int] = [:]
            for segment in band where palette[segment.ip.value] == nil { palette[segment.ip.value] = palette.count }
            self.palette = palette
            filter = recorder.filter
            since = filter?.since?.resolved(start: start)
            until = filter?.until?.resolved(start: start)
            var fault: [UInt32: Severity] = [:]
            for d in diagnoses where d.severity != .note {
                if let ip = d.ips.first { fault[ip.value] = max(fault[ip.value] ?? .note, d.severity) }
            }
            self.fault = fault
            exactFrames = recorder.exactFrames
        }

        /// The horizontal place of a time, in the chart's units.
        func x(_ t: Timestamp) -> Double { max(0, min(HTMLPage.width, t.seconds(since: start) / span * HTMLPage.width)) }

        /// An address and its quoted name, as every writer shows it.
        func nameOf(_ ip: IPv4Address) -> String { addressAndName(ip, nodes[ip.value]?.name) }

        /// The node is one the display filter names.
        func matches(_ ip: IPv4Address) -> Bool { filter.map { $0.nodes.contains(ip) } ?? false }

        /// The frame type is one the display filter shows (nil: no filter on types).
        func shows(_ type: FrameType) -> Bool? {
            guard let kinds = filter?.kinds, !kinds.isEmpty else { return nil }
            return kinds.contains(.frame(type))
        }

        func shows(_ kind: ElectionEventKind) -> Bool? {
            guard let kinds = filter?.kinds, !kinds.isEmpty else { return nil }
            return kinds.contains(.events) || kinds.contains(.event(kind))
        }

        /// The colour of a registry: a fixed qualitative palette, in order of appearance.
        func colour(_ ip: IPv4Address) -> Int { (palette[ip.value] ?? 0) % HTMLPage.palette.count }
    }

    /// The band: the reigns of the registry history, and over them the spans where the
    /// boards' elected registry sent no FULL, as the diagnoses tell (`desktop-registry`,
    /// `registry-lost-unnoticed`, `registry-failover`, `registry-handover-gap`: the first
    /// of their `ips` is the node the boards took as registry).
    static func bandSegments(report: ElectionReport?, end: Timestamp) -> [BandSegment] {
        var segments: [BandSegment] = []
        for (k, reign) in (report?.history ?? []).enumerated() {
            segments.append(BandSegment(ip: reign.ip, from: reign.since, to: reign.until ?? end, reign: k, fulls: reign.fulls))
        }
        let silentCodes: [DiagnosisCode] = [.desktopRegistry, .registryLostUnnoticed, .registryFailover, .registryHandoverGap]
        var silent = (report?.diagnoses ?? []).filter { silentCodes.contains($0.code) && !$0.ips.isEmpty }.sorted { $0.since < $1.since }
        // Silent spans do not overlap each other: a later one starts where the earlier ends.
        var lastEnd: Timestamp?
        var kept: [BandSegment] = []
        for k in silent.indices {
            var from = silent[k].since
            let to = silent[k].until ?? end
            if let lastEnd, from < lastEnd { from = lastEnd }
            guard from < to else { continue }
            kept.append(BandSegment(ip: silent[k].ips[0], from: from, to: to, reign: nil, silent: silent[k]))
            lastEnd = to
        }
        silent = []
        // Cut the reigns where a silent span lies over them.
        for s in kept {
            var cut: [BandSegment] = []
            for segment in segments {
                guard segment.silent == nil, segment.from < s.to, s.from < segment.to else {
                    cut.append(segment)
                    continue
                }
                if segment.from < s.from {
                    var left = segment
                    left.to = s.from
                    cut.append(left)
                }
                if s.to < segment.to {
                    var right = segment
                    right.from = s.to
                    cut.append(right)
                }
            }
            segments = cut
        }
        segments += kept
        segments.sort { $0.from < $1.from || ($0.from == $1.from && $0.silent != nil && $1.silent == nil) }
        return segments
    }

    /// The head, what was read, the display filter and how fresh the page is.
    static func head(_ page: inout Page, _ l: Layout, source: String, live: Bool, written: Timestamp?) {
        page.add("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        page.add("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">")
        // Live with scripts off, the page reloads itself; with scripts on, the script
        // reloads it, keeping the view in the fragment.
        if live { page.add("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>") }
        page.add("<title>peersniff: \(text: source)</title><style>\(raw: css)</style></head><body>")
        page.add("<header><h1>peersniff</h1><p class=\"read\">Read: <b>\(text: source)</b> · \(date(l.start)) \(clockMicro(l.start)) to \(clockMicro(l.end)) UTC (\(text: formatSeconds(l.span))) · \(l.summary.packetsRead) packets, \(l.summary.frames) frames, \(l.summary.malformed) malformed</p>")
        if let written {
            page.add("<p class=\"fresh\(raw: live ? " live" : "")\">\(raw: live ? "<b>Live</b>: rewritten every 5 s. " : "")Written \(date(written)) \(millisecondClock(written)) UTC (wall clock)<span id=\"age\"></span>.</p>")
        }
        if let filter = l.filter {
            var parts: [String] = []
            if !filter.nodes.isEmpty { parts.append("the lanes of \(filter.nodes.sorted().map(\.description).joined(separator: ", ")) emphasised") }
            if !filter.kinds.isEmpty { parts.append("\(filter.kinds.map(\.word).sorted().joined(separator: ", ")) emphasised, the rest faded") }
            if l.since != nil || l.until != nil {
                parts.append("\(l.since.map { clockMilli($0) } ?? "the start") to \(l.until.map { clockMilli($0) } ?? "the end") shaded")
            }
            page.add("<p class=\"filter\">Display filter <code>\(text: filter.description)</code>: the page shows everything and highlights what matches (\(text: parts.joined(separator: "; "))).</p>")
        }
        page.add("</header>")
    }

    /// "What happened": the diagnoses, each linked to its place on the timeline.
    static func whatHappened(_ page: inout Page, _ l: Layout) {
        page.add("<section id=\"what\"><h2>What happened</h2>")
        if l.diagnoses.isEmpty {
            page.add("<p>Nothing wrong seen: no diagnosis.</p>")
        } else {
            page.add("<ol class=\"diagnoses\">")
            for (k, d) in l.diagnoses.prefix(maxDiagnoses).enumerated() {
                let until = d.until.map { clockMilli($0) } ?? "the end"
                page.add("<li class=\"sev-\(d.severity.rawValue)\"><a href=\"#inc-\(k)\" data-from=\"\(epoch(d.since))\" data-to=\"\(epoch(d.until ?? l.end))\"><span class=\"sev\">\(d.severity.rawValue)</span> \(clockMilli(d.since)) → \(until) <b>\(d.code.rawValue)</b></a> ")
                // The addresses it concerns (digits and dots, nothing to escape), fifty for a false-offline.
                for (place, ip) in d.ips.enumerated() {
                    if place > 0 { page.append(", ") }
                    page.append(ipv4: ip.value)
                }
                page.append("<p>")
                page.add(d.message, markup: true)
                page.add("</p></li>")
            }
            page.add("</ol>")
            if l.diagnoses.count > maxDiagnoses {
                page.add("<p class=\"more budget\">\(l.diagnoses.count - maxDiagnoses) more diagnoses, not listed nor shaded on the timeline (the first \(maxDiagnoses) are; the --json summary lists every one).</p>")
            }
        }
        if let dropped = l.report?.diagnosesDropped, dropped > 0 {
            page.add("<p class=\"more budget\">\(dropped) more incidents were not followed (beyond the engine's cap).</p>")
        }
        page.add("</section>")
    }

    /// The timeline: the controls, the clock axis, the registry band, the lanes (ticks,
    /// quiet time, offline spans, incidents), the election events, then the key.
    static func timeline(_ page: inout Page, _ l: Layout, live: Bool, written: Timestamp?) {
        page.add("<section id=\"timeline\"><h2>Timeline</h2>")
        // The controls need the script: hidden until it runs.
        page.add("<div class=\"controls\" id=\"controls\" hidden><button type=\"button\" data-zoom=\"in\">zoom in</button><button type=\"button\" data-zoom=\"out\">zoom out</button><button type=\"button\" data-zoom=\"reset\">whole capture</button> <span class=\"hint\">wheel zooms, drag pans; zoomed in, each tick is one frame: hover it</span> ")
        for type in FrameType.allCases {
            page.add("<label class=\"t-\(type.name)\"><input type=\"checkbox\" checked data-type=\"\(type.name)\"> \(type.name)</label> ")
        }
        page.add("<span id=\"view\" class=\"hint\"></span></div>")
        page.add("<div class=\"tl\" id=\"tl\" data-start=\"\(epoch(l.start))\" data-span=\"\(l.span)\"\(raw: live ? " data-live=\"1\"" : "")\(raw: written.map { " data-written=\"\(epoch($0))\"" } ?? "")>")
        labels(&page, l)
        page.add("<div class=\"plot\" id=\"plot\">")
        axis(&page, l)
        band(&page, l)
        page.add("<svg id=\"chart\" viewBox=\"0 0 \(fmt(width)) \(fmt(l.height))\" preserveAspectRatio=\"none\" style=\"height:\(fmt(l.height))px\">")
                lanes(&page, l)
        filterSpan(&page, l)
        incidents(&page, l)
        ticks(&page, l)
        frames(&page, l)
        page.add("</svg>")
        markers(&page, l)
        page.add("</div></div>")
        key(&page, l)
        page.add("</section>")
    }

    /// The left column: the axis's zone, the band, one label a lane.
    static func labels(_ page: inout Page, _ l: Layout) {
        page.add("<div class=\"labels\"><div class=\"lab axis-lab\" style=\"height:\(fmt(axisHeight))px\">UTC</div><div class=\"lab band-lab\" style=\"height:\(fmt(bandHeight))px\">registry</div>")
        for ip in l.laneIPs {
            var classes = "lab"
            if l.matches(ip) { classes += " match" }
            if let severity = l.fault[ip.value] { classes += " fault-\(severity.rawValue)" }
            let swatch: HTML = l.palette[ip.value] != nil ? "<i class=\"sw c\(l.colour(ip))\"></i>" : ""
            let faultNote = l.fault[ip.value].map { " (at fault in an \($0 == .error ? "error" : "warning"))" } ?? ""
            page.add("<div class=\"\(classes)\" style=\"height:\(fmt(laneHeight))px\" title=\"\(text: l.nameOf(ip) + faultNote)\">\(swatch)\(text: l.nameOf(ip))</div>")
        }
        page.add("</div>")
    }

    /// Clock ticks (UTC) at round steps; the script draws them again as the view changes.
    static func axis(_ page: inout Page, _ l: Layout) {
        page.add("<div id=\"axis\" style=\"height:\(fmt(axisHeight))px\">")
        // Where the ticks are counts per bin (exact frames given up), hatched.
        for (b0, b1) in binnedRuns(l) {
            let x0 = l.x(l.start.adding(nanoseconds: Int64(b0) * l.recorder.binWidth))
            let x1 = l.x(l.start.adding(nanoseconds: Int64(b1) * l.recorder.binWidth))
            page.add("<div class=\"binned\" data-x0=\"\(fmt4(x0))\" data-x1=\"\(fmt4(x1))\" style=\"\(raw: position(x0, x1))\" title=\"ticks here are counts per \(text: formatSeconds(Double(l.recorder.binWidth) / 1e9)) (the exact frames of the busiest spans were kept)\"></div>")
        }
        if let since = l.since ?? l.until.map({ _ in l.start }), let until = l.until ?? (l.since != nil ? l.end : nil) {
            let x0 = l.x(since), x1 = l.x(until)
            page.add("<div class=\"fspan\" data-x0=\"\(fmt4(x0))\" data-x1=\"\(fmt4(x1))\" style=\"\(raw: position(x0, x1))\"></div>")
        }
        page.add("<div id=\"ticks\">")
        let stepMs = axisStep(seconds: l.span, labels: 8)
        let startMs = l.start.totalNanoseconds / 1_000_000
        let endMs = l.end.totalNanoseconds / 1_000_000
        var t = (startMs / stepMs + 1) * stepMs
        while t <= endMs {
            let x = Double(t - startMs) / 1000 / l.span * width
            page.add("<span class=\"tick\" style=\"left:\(fmt4(x / width * 100))%\">\(clockLabel(milliseconds: t, withMilliseconds: stepMs < 1000))</span>")
            t += stepMs
        }
        page.add("</div></div>")
    }

    /// The registry band: reigns in the palette, each labelled where it is wide enough;
    /// the elected-but-silent spans hatched with the name.
    static func band(_ page: inout Page, _ l: Layout) {
        page.add("<div id=\"band\" style=\"height:\(fmt(bandHeight))px\">")
        if l.band.isEmpty { page.add("<span class=\"noreg\">no FULL seen: no registry</span>") }
        for segment in l.band.prefix(maxBandSegments) {
            let x0 = l.x(segment.from), x1 = l.x(segment.to)
            let narrow = (x1 - x0) / width * assumedPixels < labelPixels
            let name = l.nameOf(segment.ip)
            let until = segment.to == l.end && segment.reign.map({ l.report?.history[$0].until == nil }) == true ? "the end" : clockMilli(segment.to)
            if let d = segment.silent {
                let what = silentWords(d, l)
                page.add("<div class=\"seg silent c\(l.colour(segment.ip))\(raw: narrow ? " narrow" : "")\" data-ip=\"\(segment.ip)\" data-code=\"\(d.code.rawValue)\" data-x0=\"\(fmt4(x0))\" data-x1=\"\(fmt4(x1))\" style=\"\(raw: position(x0, x1))\" title=\"\(text: name) \(text: what.long), \(clockMilli(segment.from)) to \(clockMilli(segment.to))\"><span>\(text: name) · \(text: what.short)</span></div>")
            } else {
                page.add("<div class=\"seg reign c\(l.colour(segment.ip))\(raw: narrow ? " narrow" : "")\" data-ip=\"\(segment.ip)\" data-reign=\"\(segment.reign ?? 0)\" data-x0=\"\(fmt4(x0))\" data-x1=\"\(fmt4(x1))\" style=\"\(raw: position(x0, x1))\" title=\"\(text: name) registry from \(clockMilli(segment.from)) to \(until) (\(segment.fulls) FULLs in the reign)\"><span>\(text: name)</span></div>")
            }
        }
        page.add("</div>")
    }

    /// What a silent span of the band says, short (in the band) and long (on hover).
    static func silentWords(_ d: Diagnosis, _ l: Layout) -> (short: String, long: String) {
        switch d.code {
        case .desktopRegistry: return ("elected, sends no FULL", "elected registry by the boards (lowest address) but a desktop client that never sends FULL (desktop-registry)")
        case .registryLostUnnoticed: return ("silent registry", "the registry, silent: FULLs it owed never came and nobody took over (registry-lost-unnoticed)")
        case .registryFailover:
            let next = d.ips.count > 1 ? l.nameOf(d.ips[1]) : "another node"
            return ("silent registry", "the registry, silent until \(next) took over (registry-failover)")
        default: return ("lowest, FULL late", "the lowest address, so the boards' registry, but its first FULL came late or never (registry-handover-gap)")
        }
    }

    /// The lanes: background (emphasised when the filter names the node, outlined when
    /// it is at fault), offline spans, and the line of when it was heard and quiet.
    static func lanes(_ page: inout Page, _ l: Layout) {
        for (row, ip) in l.laneIPs.enumerated() {
            let y = Double(row) * laneHeight
            page.add("<g class=\"lane\" data-ip=\"\(ip)\">")
            var classes = "lanebg"
            if l.matches(ip) { classes += " match" }
            if let severity = l.fault[ip.value] { classes += " fault-\(severity.rawValue)" }
            page.add("<rect class=\"\(classes)\" x=\"0\" y=\"\(fmt(y + 0.5))\" width=\"\(fmt(width))\" height=\"\(fmt(laneHeight - 2))\"/>")
            // Quiet first: a span declared offline is quiet too, and its grey stays on top.
            heard(&page, l, ip: ip, y: y + laneHeight - 4)
            if let lane = l.recorder.laneIndex(ip).map({ l.recorder.lanes[$0] }), !lane.offline.isEmpty {
                // Up to `maxOfflineSpans` a lane: the name escaped once, each span written in.
                let name = escapedBytes(l.nameOf(ip))
                for away in lane.offline {
                    let x0 = l.x(away.since), x1 = l.x(away.until ?? l.end)
                    page.append("<rect class=\"offline\"")
                    page.appendBox(x: x0, y: y + 0.5, width: max(0.05, x1 - x0), height: laneHeight - 2)
                    page.append("><title>")
                    page.append(contentsOf: name)
                    page.append(" declared offline ")
                    writeClockMilli(away.since, to: &page)
                    if let until = away.until {
                        page.append(" until it came back at ")
                        writeClockMilli(until, to: &page)
                    } else {
                        page.append(" and never came back")
                    }
                    page.append("</title></rect>")
                }
            }
            page.add("</g>")
        }
    }

    /// The line under a lane while the node was heard; through its quiet times (a
    /// silence of `quietAfter`, or three times its usual gap, and four bins at least)
    /// the lane is blank.
    static func heard(_ page: inout Page, _ l: Layout, ip: IPv4Address, y: Double) {
        let top = y - laneHeight + 4.5
        let node = l.nodes[ip.value]
        let name = l.nameOf(ip)
        let binSeconds = Double(l.recorder.binWidth) / 1e9
        let binsUsed = min(TimelineRecorder.binCount, Int(l.span / binSeconds) + 1)
        var busy: [Int] = []
        if let lane = l.recorder.laneIndex(ip) {
            for b in 0..<binsUsed where l.recorder.heard(lane: lane, bin: b) { busy.append(b) }
        }
        guard let firstBin = busy.first else {
            if let listed = node?.firstListed {
                let x0 = l.x(listed)
                page.add("<rect class=\"quiet\" x=\"\(fmt4(x0))\" y=\"\(fmt(top))\" width=\"\(fmt4(max(0.05, width - x0)))\" height=\"\(fmt(laneHeight - 2))\"><title>\(text: name): listed in FULLs from \(clockMilli(listed)), never heard itself</title></rect>")
            }
            return
        }
        var gaps = zip(busy, busy.dropFirst()).map { $1 - $0 }.sorted()
        let usual = gaps.isEmpty ? 1 : gaps[gaps.count / 2]
        let quietBins = max(4, l.quietAfter.map { Int(($0 / binSeconds).rounded(.up)) } ?? 3 * usual)
        gaps = []
        func time(_ bin: Int) -> Timestamp { l.start.adding(nanoseconds: Int64(bin) * l.recorder.binWidth) }
        let first = node?.firstSent ?? time(firstBin)
        let last = node?.lastSent ?? time(busy.last! + 1)
        var from = first
        var runEnd = firstBin
        func heardRect(_ a: Timestamp, _ b: Timestamp) {
            let x0 = l.x(a), x1 = l.x(b)
            page.add("<rect class=\"heard\" x=\"\(fmt4(x0))\" y=\"\(fmt(y))\" width=\"\(fmt4(max(0.05, x1 - x0)))\" height=\"2\"/>")
        }
        func quietRect(_ a: Timestamp, _ b: Timestamp, toTheEnd: Bool) {
            let x0 = l.x(a), x1 = l.x(b)
            page.add("<rect class=\"quiet\" x=\"\(fmt4(x0))\" y=\"\(fmt(top))\" width=\"\(fmt4(max(0.05, x1 - x0)))\" height=\"\(fmt(laneHeight - 2))\"><title>\(text: name) quiet\(raw: toTheEnd ? "" : " about") \(text: formatSeconds(b.seconds(since: a))): nothing from it from \(clockMilli(a)) to \(toTheEnd ? "the end (" + clockMilli(b) + ")" : clockMilli(b))</title></rect>")
        }
        for b in busy.dropFirst() {
            if b - runEnd >= quietBins {
                let quietFrom = time(runEnd + 1), quietTo = time(b)
                heardRect(from, quietFrom)
                quietRect(quietFrom, quietTo, toTheEnd: false)
                from = quietTo
            }
            runEnd = b
        }
        heardRect(from, last)
        if l.end.seconds(since: last) >= Double(quietBins) * binSeconds { quietRect(last, l.end, toTheEnd: true) }
    }

    /// The display filter's span (`--since`, `--until`), shaded across the lanes.
    static func filterSpan(_ page: inout Page, _ l: Layout) {
        guard l.since != nil || l.until != nil else { return }
        let x0 = l.x(l.since ?? l.start), x1 = l.x(l.until ?? l.end)
        page.add("<rect class=\"fspan\" x=\"\(fmt4(x0))\" y=\"0\" width=\"\(fmt4(max(0.05, x1 - x0)))\" height=\"\(fmt(l.height))\"><title>the display filter's span: \(clockMilli(l.since ?? l.start)) to \(clockMilli(l.until ?? l.end))</title></rect>")
    }

    /// Incidents shaded and outlined on the lanes they concern, the one at fault solid;
    /// an incident about no drawn lane across all. One group an incident, the link
    /// target, with its words once as the group's title (a false-offline about 49 nodes
    /// drew them 49 times: 7 of the 11.6 MB of the benchmark's page).
    static func incidents(_ page: inout Page, _ l: Layout) {
        page.add("<g id=\"incidents\">")
        for (k, d) in l.diagnoses.prefix(maxDiagnoses).enumerated() {
            let x0 = l.x(d.since), x1 = l.x(d.until ?? l.end)
            let rows = d.ips.enumerated().compactMap { place, ip in l.laneRow[ip.value].map { (place, $0) } }
            page.add("<g id=\"inc-\(k)\" class=\"incident sev-\(d.severity.rawValue)\(raw: rows.isEmpty ? " all" : "")\" data-code=\"\(d.code.rawValue)\"><title>\(clockMilli(d.since)) \(text: d.code.rawValue): ")
            page.add(d.message, markup: false)
            page.add("</title>")
            for (place, row) in rows {
                let y = Double(row) * laneHeight
                page.append(place == 0 ? "<rect class=\"at-fault\"" : "<rect")
                page.appendBox(x: x0, y: y + 0.5, width: max(0.3, x1 - x0), height: laneHeight - 2)
                page.append("/>")
            }
            if rows.isEmpty {
                page.add("<rect x=\"\(fmt4(x0))\" y=\"0\" width=\"\(fmt4(max(0.3, x1 - x0)))\" height=\"\(fmt(l.height))\"/>")
            }
            page.add("</g>")
        }
        page.add("</g>")
    }

    /// The runs of bins whose exact frames were given up: [first, end) bin indexes.
    static func binnedRuns(_ l: Layout) -> [(Int, Int)] {
        let binSeconds = Double(l.recorder.binWidth) / 1e9
        let used = min(TimelineRecorder.binCount, Int(l.span / binSeconds) + 1)
        var runs: [(Int, Int)] = []
        var b = 0
        while b < used {
            if l.recorder.exactKept[b] { b += 1; continue }
            let from = b
            while b < used, !l.recorder.exactKept[b] { b += 1 }
            runs.append((from, b))
        }
        return runs
    }

    /// Frame ticks where the exact frames were given up: counts per bin, by type;
    /// fewer columns when there are many lanes.
    static func ticks(_ page: inout Page, _ l: Layout) {
        let runs = binnedRuns(l)
        guard !runs.isEmpty else { return }
        let columns = max(30, min(TimelineRecorder.binCount, tickBudget / max(1, l.drawn.count * 4)))
        let tickTitles = columns * l.drawn.count <= 600
        let group = max(1, (TimelineRecorder.binCount + columns - 1) / columns)
        let binSeconds = Double(l.recorder.binWidth) / 1e9 * Double(group)
        for type in FrameType.allCases {
            page.add("<g class=\"bins t-\(type.name)\(raw: l.shows(type) == false ? " dim" : "")\">")
            for index in l.drawn {
                let lane = l.recorder.lanes[index]
                guard let row = l.laneRow[lane.ip.value] else { continue }
                let y = Double(row) * laneHeight + 2 + Double(type.index) * 4
                for (from, to) in runs {
                    var b = from
                    while b < to {
                        let upTo = min(b + group, to)
                        var count: UInt32 = 0
                        for k in b..<upTo { count &+= l.recorder.count(lane: index, bin: k, type: type.index) }
                        if count > 0 {
                            let t0 = l.start.adding(nanoseconds: Int64(b) * l.recorder.binWidth)
                            let px = l.x(t0)
                            let w = max(0.3, Double(upTo - b) * Double(l.recorder.binWidth) / 1e9 / l.span * width)
                            // Written straight in: thousands of them (no text from the network).
                            page.append("<rect")
                            page.appendBox(x: px, y: y, width: w, height: 3.4)
                            if tickTitles {
                                page.append("><title>")
                                page.append(decimal: UInt64(count))
                                page.append(UInt8(ascii: " "))
                                page.append(type.staticName)
                                page.append(" from ")
                                page.append(ipv4: lane.ip.value)
                                page.append(", ")
                                writeClockMilli(t0, to: &page)
                                page.append(" to ")
                                writeClockMilli(t0.adding(nanoseconds: Int64((binSeconds * 1e9).rounded())), to: &page)
                                page.append(" (counted, not kept one by one)</title></rect>")
                            } else {
                                page.append("/>")
                            }
                        }
                        b = upTo
                    }
                }
            }
            page.add("</g>")
        }
    }

    /// The frames kept exactly: one tick each, with its packet number, clock time and
    /// one line of text on hover. The text is written straight into the page; each
    /// address's escaped name is made once.
    static func frames(_ page: inout Page, _ l: Layout) {
        let all = l.exactFrames
        guard !all.isEmpty else { return }
        // Each drawn lane's address and name, escaped once, and its place (by recorder lane).
        var laneText = [[UInt8]](repeating: [], count: l.recorder.lanes.count)
        var laneY = [Double?](repeating: nil, count: l.recorder.lanes.count)
        for index in l.drawn {
            let ip = l.recorder.lanes[index].ip
            guard let row = l.laneRow[ip.value] else { continue }
            escape(l.nameOf(ip), into: &laneText[index])
            laneY[index] = Double(row) * laneHeight + 2
        }
        // The other end of a PING, PONG or OFFLINE, escaped once per address.
        var otherText: [UInt32: [UInt8]] = [:]
        var laneOtherText = [[UInt8]?](repeating: nil, count: l.recorder.lanes.count)
        var fileText: [Int: [UInt8]] = [:]
        var byType = [[Int]](repeating: [], count: 6)
        for (k, frame) in all.enumerated() where laneY[Int(frame.lane)] != nil { byType[Int(frame.type)].append(k) }
        for type in FrameType.allCases {
            guard !byType[type.index].isEmpty else { continue }
            page.add("<g class=\"fr t-\(type.name)\(raw: l.shows(type) == false ? " dim" : "")\">")
            for k in byType[type.index] {
                let frame = all[k]
                let lane = Int(frame.lane)
                let time = Timestamp(seconds: frame.nanoseconds / 1_000_000_000, nanoseconds: Int32(frame.nanoseconds % 1_000_000_000),
                                     precision: l.start.precision)
                // <path d="M{x} {y}v3.4"><title>#{n} [{file}] {clock} {TYPE} {lane}…</title></path>
                page.append("<path d=\"M")
                fmt4(l.x(time)).write(to: &page)
                page.append(UInt8(ascii: " "))
                fmt(laneY[lane]! + Double(type.index) * 4).write(to: &page)
                page.append("v3.4\"><title>#")
                page.append(decimal: UInt64(frame.number))
                if frame.file > 0, Int(frame.file) <= l.recorder.files.count {
                    let file = Int(frame.file)
                    if fileText[file] == nil { fileText[file] = escapedBytes(l.recorder.files[file - 1]) }
                    page.append(" [")
                    page.append(contentsOf: fileText[file]!)
                    page.append(UInt8(ascii: "]"))
                }
                page.append(UInt8(ascii: " "))
                time.writeTimeOfDay(to: &page)
                page.append(UInt8(ascii: " "))
                page.append(type.staticName)
                page.append(UInt8(ascii: " "))
                page.append(contentsOf: laneText[lane])
                switch type {
                case .ping, .pong, .offline:
                    page.append(type == .offline ? " says " : " → ")
                    // Mostly a node with a lane: its text by the lane's index, not hashed.
                    let other = IPv4Address(frame.other)
                    if let index = l.recorder.laneIndex(other), index < laneOtherText.count {
                        if laneOtherText[index] == nil { laneOtherText[index] = escapedBytes(l.nameOf(other)) }
                        page.append(contentsOf: laneOtherText[index]!)
                    } else {
                        if otherText[frame.other] == nil { otherText[frame.other] = escapedBytes(l.nameOf(other)) }
                        page.append(contentsOf: otherText[frame.other]!)
                    }
                    if type == .offline { page.append(" is offline") }
                case .full:
                    page.append(": ")
                    page.append(decimal: UInt64(frame.other))
                    page.append(frame.other == 1 ? " peer" : " peers")
                default: break
                }
                page.append("</title></path>")
            }
            page.append("</g>")
        }
    }

    /// Election events as marks of their own (shapes, not ticks), over the band or their
    /// node's lane, each written straight into the page: its words (clock, packet, kind,
    /// the text output's sentence) escaped as they are written.
    static func markers(_ page: inout Page, _ l: Layout) {
        page.add("<div id=\"marks\" style=\"top:\(fmt(axisHeight))px;height:\(fmt(bandHeight + l.height))px\">")
        let describer = l.recorder.describer
        for event in l.recorder.markers {
            let x = l.x(event.time)
            let onBand = [.registryElected, .registryChanged, .registryConflict, .registryUnexpected, .registrySilent].contains(event.kind)
            let ip: IPv4Address? = switch event.detail {
            case let .nodeDeclaredOffline(subject, _): subject
            default: describer.primaryAddress(event)
            }
            let row = onBand ? nil : ip.flatMap { l.laneRow[$0.value] }
            if !onBand, row == nil { continue }
            let top = row.map { bandHeight + Double($0) * laneHeight + 10 } ?? bandHeight - 9
            // <i class="m k-{kind}[ dim]" data-x="{x}" style="left:{x%}%;top:{top}px" title="{clock} #{n} {kind}: {words}"></i>
            // (the kinds' names are our own words: lower case and dashes)
            page.append("<i class=\"m k-")
            page.append(event.kind.staticName)
            if l.shows(event.kind) == false { page.append(" dim") }
            page.append("\" data-x=\"")
            fmt4(x).write(to: &page)
            page.append("\" style=\"left:")
            fmt4(x / width * 100).write(to: &page)
            page.append("%;top:")
            fmt(top).write(to: &page)
            page.append("px\" title=\"")
            // The description is terminal-safe as the text output writes it: escaping it
            // whole (`escape`) would change nothing but the entities.
            page.appendEscaped { text in
                event.time.writeTimeOfDay(to: &text)
                if let origin = event.origin {
                    text.append(" #")
                    if origin.number < 0 { text.append(UInt8(ascii: "-")) }
                    text.append(decimal: UInt64(origin.number.magnitude))
                } else {
                    text.append(" (deadline)")
                }
                text.append(UInt8(ascii: " "))
                text.append(event.kind.staticName)
                text.append(": ")
                describer.writeDescription(event, to: &text)
            }
            page.append("\"></i>")
        }
        page.add("</div>")
    }

    /// The key: the registries (every reign, narrow or not), the marks, the budgets.
    static func key(_ page: inout Page, _ l: Layout) {
        page.add("<div class=\"key\"><h3>Registry band</h3><ul class=\"reigns\">")
        for segment in l.band.prefix(maxKeyReigns) {
            let name = l.nameOf(segment.ip)
            if let d = segment.silent {
                page.add("<li><i class=\"sw silent c\(l.colour(segment.ip))\"></i>\(clockMilli(segment.from)) to \(clockMilli(segment.to)) <b>\(text: name)</b>: \(text: silentWords(d, l).long)</li>")
            } else {
                let last = segment.reign.map { l.report?.history[$0].until == nil } == true && segment.to == l.end
                page.add("<li><i class=\"sw c\(l.colour(segment.ip))\"></i>\(clockMilli(segment.from)) to \(last ? "the end" : clockMilli(segment.to)) <b>\(text: name)</b> registry (sent FULLs)</li>")
            }
        }
        if l.band.isEmpty { page.add("<li>No FULL seen: no registry.</li>") }
        if l.band.count > maxKeyReigns { page.add("<li class=\"more\">\(l.band.count - maxKeyReigns) more pieces of the band: the registry history below lists every reign.</li>") }
        page.add("</ul>")
        if l.band.count > maxBandSegments { page.add("<p class=\"more budget\">The band draws the first \(maxBandSegments) of its \(l.band.count) pieces.</p>") }
        if let dropped = l.report?.historyDropped, dropped > 0 { page.add("<p class=\"more budget\">\(dropped) reigns of the registry history were not kept (beyond its cap).</p>") }
        page.add("<h3>Lanes</h3><ul class=\"marks\">")
        page.add("<li>Frames, one tick each, by type from the top of the lane: ")
        for type in FrameType.allCases { page.add("<span class=\"kt t-\(type.name)\"><i></i>\(type.name)</span> ") }
        page.add("</li><li><span class=\"kl heard\"></span> heard from the node · <span class=\"kl quiet\"></span> quiet: blank where nothing came from it for \(text: l.quietAfter.map { formatSeconds($0) + " (two liveness rounds)" } ?? "a while") · <span class=\"kl off\"></span> declared offline</li>")
        page.add("<li>Events: <span class=\"km\"><i class=\"m k-registry-changed\"></i> registry elected or changed</span> <span class=\"km\"><i class=\"m k-registry-conflict\"></i> conflict or unexpected registry</span> <span class=\"km\"><i class=\"m k-registry-silent\"></i> a FULL due never came</span> <span class=\"km\"><i class=\"m k-node-declared-offline\"></i> declared offline</span> <span class=\"km\"><i class=\"m k-node-returned\"></i> came back</span> <span class=\"km\"><i class=\"m k-node-renamed\"></i> renamed</span></li>")
        page.add("<li>Incidents: shaded over the lanes they concern, by severity (<span class=\"ki sev-error\">error</span> <span class=\"ki sev-warning\">warning</span> <span class=\"ki sev-note\">note</span>); the node at fault outlined, its label marked.</li>")
        if l.filter != nil { page.add("<li><span class=\"ki match\">display filter</span>: the nodes, types and span it names emphasised.</li>") }
        page.add("</ul>")
        // The budgets: what was kept exactly, and what was not.
        var isDrawn = [Bool](repeating: false, count: l.recorder.lanes.count)
        for index in l.drawn { isDrawn[index] = true }
        let exactDrawn = l.exactFrames.reduce(0) { $0 + (isDrawn[Int($1.lane)] ? 1 : 0) }
        let total = l.summary.frames
        if exactDrawn == total {
            page.add("<p class=\"more\">Every one of the \(total) frames is drawn as itself: zoom in and hover a tick for its packet number, clock time and text.</p>")
        } else {
            if l.recorder.exactDropped > 0 {
                page.add("<p class=\"more budget\">Budget reached: \(exactDrawn) of \(total) frames are drawn one by one (those of the busiest spans, at most \(TimelineRecorder.exactBudget)); elsewhere, hatched on the axis, ticks are counts per \(text: formatSeconds(Double(l.recorder.binWidth) / 1e9)).</p>")
            } else {
                page.add("<p class=\"more budget\">\(exactDrawn) of \(total) frames are drawn one by one, each a tick: the others are from nodes that have no lane drawn.</p>")
            }
            if l.recorder.framesWithoutLane > 0 {
                page.add("<p class=\"more budget\">\(l.recorder.framesWithoutLane) frames came from nodes beyond the first \(TimelineRecorder.maxLanes) the page follows: not drawn.</p>")
            }
        }
        if l.hidden > 0 { page.add("<p class=\"more budget\">\(l.hidden) more node\(l.hidden == 1 ? "" : "s") not drawn (the \(l.laneIPs.count) busiest are); the node table lists them.</p>") }
        if l.recorder.markersDropped > 0 { page.add("<p class=\"more budget\">\(l.recorder.markersDropped) more election events not marked (the first \(TimelineRecorder.maxMarkers) are).</p>") }
        if let flood = l.report?.flood, !flood.isEmpty {
            page.add("<p class=\"more budget\">About \(flood.distinctAddresses) addresses beyond the node cap of \(l.report!.maxNodes) were counted, not kept.</p>")
        }
        page.add("</div>")
    }

    /// The node table, the registry history and the counts.
    static func tables(_ page: inout Page, _ l: Layout) {
        page.add("<section id=\"tables\"><h2>Nodes</h2><table><thead><tr><th>address</th><th>name</th><th>first seen</th><th>last seen</th>")
        for type in FrameType.allCases { page.add("<th>\(type.name)</th>") }
        page.add("<th>state</th></tr></thead><tbody>")
        for node in (l.report?.nodes ?? []).prefix(2000) {
            page.add("<tr data-ip=\"\(node.ip)\"><td>\(node.ip)</td><td>\(text: node.name.map { "\"\(terminalSafe($0.description))\"" } ?? "-")</td><td>\(node.firstSent.map(clockMilli) ?? "-")</td><td>\(node.lastSent.map(clockMilli) ?? "-")</td>")
            for type in FrameType.allCases { page.add("<td>\(node.framesByType[type.index])</td>") }
            page.add("<td>\(nodeState(node))\(node.timesDeclaredOffline > 0 ? " (declared offline \(node.timesDeclaredOffline)×)" : "")</td></tr>")
        }
        page.add("</tbody></table>")
        if let count = l.report?.nodes.count, count > 2000 { page.add("<p class=\"more\">\(count - 2000) more nodes (--json lists them all).</p>") }
        page.add("<h2>Registry history</h2><table><thead><tr><th>registry</th><th>from</th><th>until</th><th>FULLs</th></tr></thead><tbody>")
        for reign in l.report?.history ?? [] {
            page.add("<tr class=\"reign-row\" data-ip=\"\(reign.ip)\"><td><i class=\"sw c\(l.colour(reign.ip))\"></i>\(text: l.nameOf(reign.ip))</td><td>\(clockMilli(reign.since))</td><td>\(reign.until.map(clockMilli) ?? "the end")</td><td>\(reign.fulls)</td></tr>")
        }
        page.add("</tbody></table><h2>Counts</h2><ul class=\"counts\">")
        page.add("<li>packets: \(l.summary.packetsRead) read, \(l.summary.packetsMatched) on the discovery port</li>")
        page.add("<li>frames: \(FrameType.allCases.map { "\($0.name) \(l.summary.framesByType[$0.index])" }.joined(separator: ", "))</li>")
        page.add("<li>malformed: \(MalformationReason.allCases.filter { l.summary.malformedByReason[$0.index] > 0 }.map { "\($0) \(l.summary.malformedByReason[$0.index])" }.joined(separator: ", ")) (\(l.summary.malformed))</li>")
        if let report = l.report { page.add("<li>events: \(report.eventCounts.filter { $0.count > 0 }.map { "\($0.kind.rawValue) \($0.count)" }.joined(separator: ", "))</li>") }
        page.add("</ul>")
    }

    // MARK: Pieces

    /// The page being written, in raw memory: `HTML` pieces (which escape what they
    /// interpolate), and, where elements come by the thousand (ticks, spans, marks),
    /// the element's markup written straight in, its text from the network escaped
    /// once a page or through `appendEscaped` (no `HTML` value, which is an array of
    /// its own, made for each). Its owner frees it.
    struct Page: ByteSink {
        var out: RawBytes
        /// Each node name a diagnosis quotes, escaped once a page (by address, with the
        /// name it was made of: `DiagnosisMessage.writeHTML`).
        var escapedNames: [UInt32: (name: Name, escaped: [UInt8])] = [:]

        init(capacity: Int) { out = RawBytes(capacity: capacity) }

        mutating func add(_ piece: HTML) { piece.bytes.withUnsafeBytes { out.append(bytes: $0) } }
        /// A diagnosis's words (`markup`: each name in its span).
        mutating func add(_ message: DiagnosisMessage, markup: Bool) {
            message.writeHTML(into: &out, markup: markup, names: &escapedNames)
        }

        /// What `body` writes, with `& < > " '` as entities: text already made
        /// terminal-safe (a node's label, an event's description), which `escape` would
        /// leave as it is but for the entities.
        mutating func appendEscaped(_ body: (inout EntitySink<RawBytes>) -> Void) {
            var sink = EntitySink(base: out)
            body(&sink)
            out = sink.base
        }

        /// ` x="…" y="…" width="…" height="…"`, a rectangle's place: across to a ten
        /// thousandth of the chart (`fmt4`), down to a tenth of a lane's unit (`fmt`).
        mutating func appendBox(x: Double, y: Double, width w: Double, height h: Double) {
            append(" x=\"")
            HTMLPage.fmt4(x).write(to: &self)
            append("\" y=\"")
            HTMLPage.fmt(y).write(to: &self)
            append("\" width=\"")
            HTMLPage.fmt4(w).write(to: &self)
            append("\" height=\"")
            HTMLPage.fmt(h).write(to: &self)
            append(UInt8(ascii: "\""))
        }

        // Each a store or a copy in line, as into the raw memory itself.
        @inline(__always) mutating func append(_ byte: UInt8) { out.append(byte) }
        @inline(__always) mutating func append(bytes: UnsafeRawBufferPointer) { out.append(bytes: bytes) }
        @inline(__always) mutating func append(decimal number: UInt64) { out.append(decimal: number) }
        @inline(__always) mutating func append(ipv4 value: UInt32) { out.append(ipv4: value) }
        @inline(__always) mutating func append(decimal number: UInt64, width: Int) { out.append(decimal: number, width: width) }
        @inline(__always) mutating func append(contentsOf bytes: [UInt8]) { out.append(contentsOf: bytes) }
    }

    /// Text from the network for HTML text or a quoted attribute: controls and
    /// invisible or reordering characters made visible (as on a terminal), then
    /// `& < > " '` as entities, so that `</script>`, `<!--` and attribute break-outs
    /// are inert text.
    public static func escape(_ text: String) -> String { String(decoding: escapedBytes(text), as: UTF8.self) }

    /// The same, as UTF-8 bytes (a name escaped once, written many times).
    static func escapedBytes(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        escape(text, into: &out)
        return out
    }

    /// The same, appended to `out` as UTF-8.
    static func escape<Sink: ByteSink>(_ text: String, into out: inout Sink) {
        // Controls and non-ASCII go through the terminal's escaping first (names), in one
        // pass: what it writes is escaped as it is written.
        var plain = true
        for byte in text.utf8 where byte < 0x20 || byte >= 0x7F { plain = false; break }
        var sink = EntitySink(base: consume out)
        if plain { sink.append(string: text) } else { appendTerminalSafe(text, to: &sink, quoting: false) }
        out = sink.base
    }

    /// Bytes appended to `base` with `& < > " '` written as entities (`escape`).
    struct EntitySink<Base: ByteSink>: ByteSink {
        var base: Base

        mutating func append(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: "&"): base.append("&amp;")
            case UInt8(ascii: "<"): base.append("&lt;")
            case UInt8(ascii: ">"): base.append("&gt;")
            case UInt8(ascii: "\""): base.append("&quot;")
            case UInt8(ascii: "'"): base.append("&#39;")
            default: base.append(byte)
            }
        }

        mutating func append(bytes chunk: UnsafeRawBufferPointer) {
            // Runs that need no entity are copied whole.
            var run = 0
            for i in chunk.indices {
                switch chunk[i] {
                case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                    base.append(bytes: UnsafeRawBufferPointer(rebasing: chunk[run..<i]))
                    append(chunk[i])
                    run = i + 1
                default: continue
                }
            }
            base.append(bytes: UnsafeRawBufferPointer(rebasing: chunk[run...]))
        }

        // Digits and dots need no entity.
        mutating func append(decimal number: UInt64) { base.append(decimal: number) }
        mutating func append(ipv4 value: UInt32) { base.append(ipv4: value) }
        mutating func append(decimal number: UInt64, width: Int) { base.append(decimal: number, width: width) }
    }

    /// `HH:MM:SS.mmm` (UTC).
    static func clockMilli(_ t: Timestamp) -> String { millisecondClock(t) }

    /// The same, written into `out` (digits, colons and a point: nothing to escape).
    static func writeClockMilli<Sink: ByteSink>(_ t: Timestamp, to out: inout Sink) { t.writeTimeOfDay(to: &out, limit: 12) }

    /// `HH:MM:SS.ffffff` (UTC), with the capture's precision, as the text output.
    static func clockMicro(_ t: Timestamp) -> String { t.timeOfDayText() }

    /// `YYYY-MM-DD` (UTC).
    static func date(_ t: Timestamp) -> String {
        var out: [UInt8] = []
        t.writeRFC3339(to: &out)
        return String(decoding: out.prefix(10), as: UTF8.self)
    }

    /// Seconds since 1970 with six decimals, for the script.
    static func epoch(_ t: Timestamp) -> String {
        let micro = (t.totalNanoseconds + 500) / 1000
        let fraction = String(micro % 1_000_000)
        return "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// A time axis step in milliseconds: the first round step giving at most `labels` labels.
    static func axisStep(seconds span: Double, labels: Int) -> Int64 {
        let steps: [Int64] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
                              900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000]
        return steps.first { span * 1000 / Double($0) <= Double(labels) } ?? 86_400_000
    }

    /// `HH:MM:SS` or `HH:MM:SS.mmm` of a time in milliseconds since 1970 (UTC).
    static func clockLabel(milliseconds t: Int64, withMilliseconds: Bool) -> String {
        let ms = ((t % 86_400_000) + 86_400_000) % 86_400_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var text = two(ms / 3_600_000) + ":" + two(ms / 60_000 % 60) + ":" + two(ms / 1000 % 60)
        if withMilliseconds { text += "." + String(String(ms % 1000 + 1000).dropFirst()) }
        return text
    }

    /// `left` and `width` in percent of the chart, for an HTML piece over it.
    static func position(_ x0: Double, _ x1: Double) -> String {
        "left:\(fmt4(x0 / width * 100))%;width:\(fmt4(max(0, x1 - x0) / width * 100))%"
    }

    /// One decimal at most (a lane's place, a height).
    static func fmt(_ v: Double) -> Fixed { Fixed(value: v, decimals: 1) }

    /// Four decimals, no exponent (a frame's place: a millionth of the chart).
    static func fmt4(_ v: Double) -> Fixed { Fixed(value: v, decimals: 4) }

    /// A number for the page with one decimal (`fmt`: a whole number without one) or up
    /// to four (`fmt4`: no trailing zeros, no exponent), written straight into the page.
    struct Fixed: CustomStringConvertible {
        let value: Double
        let decimals: Int

        var description: String {
            var out: [UInt8] = []
            write(to: &out)
            return String(decoding: out, as: UTF8.self)
        }

        func write<Sink: ByteSink>(to out: inout Sink) {
            if decimals == 1 {
                let tenths = (value * 10).rounded()
                let r = tenths / 10
                if r == r.rounded() {
                    let whole = Int(r)
                    if whole < 0 { out.append(UInt8(ascii: "-")) }
                    out.append(decimal: UInt64(whole.magnitude))
                } else if abs(tenths) < 1e15 {
                    // What `String(r)` writes: r is the double nearest to tenths / 10, so
                    // its shortest form is the whole part, a point and the one digit.
                    let k = Int64(tenths)
                    if k < 0 { out.append(UInt8(ascii: "-")) }
                    out.append(decimal: k.magnitude / 10)
                    out.append(UInt8(ascii: "."))
                    out.append(UInt8(ascii: "0") + UInt8(k.magnitude % 10))
                } else {
                    out.append(string: String(r))
                }
                return
            }
            let scaled = Int64((value * 10_000).rounded())
            if scaled < 0 { out.append(UInt8(ascii: "-")) }
            let magnitude = scaled.magnitude
            out.append(decimal: magnitude / 10_000)
            var fraction = magnitude % 10_000
            guard fraction != 0 else { return }
            out.append(UInt8(ascii: "."))
            var digits = 4
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            var pad = digits - (fraction < 10 ? 1 : fraction < 100 ? 2 : fraction < 1000 ? 3 : 4)
            while pad > 0 { out.append(UInt8(ascii: "0")); pad -= 1 }
            out.append(decimal: fraction)
        }
    }

    /// The registries' colours: a fixed qualitative palette (Tableau 10 without its
    /// red, which the page keeps for errors), with the text colour that reads on each.
    static let palette: [(fill: String, text: String)] = [
        ("#4e79a7", "#fff"), ("#f28e2b", "#000"), ("#59a14f", "#fff"), ("#b07aa1", "#fff"), ("#edc948", "#000"),
        ("#76b7b2", "#000"), ("#9c755f", "#fff"), ("#ff9da7", "#000"), ("#bab0ac", "#000"),
    ]

    static let css: String = {
        var rules = """
        body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}
        h1{font-size:20px;margin:0}h2{font-size:16px;margin:18px 0 6px}h3{font-size:13px;margin:10px 0 2px}
        .read,.fresh,.filter{margin:3px 0;color:#444}.fresh.live b{color:#b50}#age.stale{color:#c00;font-weight:bold}
        .filter code{background:#fff3b0;padding:0 3px}
        .diagnoses li{margin:6px 0}.diagnoses p{margin:2px 0 0;color:#333}.diagnoses a{color:inherit;text-decoration:none}
        .sev{display:inline-block;min-width:60px;font-weight:bold;text-transform:uppercase;font-size:12px}
        li.sev-error .sev{color:#c00}li.sev-warning .sev{color:#b60}li.sev-note .sev{color:#666}
        .controls{margin:6px 0}.controls button{margin-right:4px}.hint{color:#777;font-size:12px;margin-right:10px}
        .controls label{margin-right:8px;font-size:12px}
        .tl{display:flex;border:1px solid #ccc}.labels{width:250px;flex:none;border-right:1px solid #ccc}
        .lab{box-sizing:border-box;padding:0 4px;line-height:28px;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-left:4px solid transparent}
        .axis-lab{color:#777;font-size:11px}.band-lab{font-weight:bold;line-height:30px}
        .lab.match{background:#fff3b0;font-weight:bold}.lab.fault-error{border-left-color:#d00;color:#900}.lab.fault-warning{border-left-color:#e90;color:#840}
        .plot{flex:1;min-width:0;overflow:hidden;position:relative;cursor:grab}
        #chart{display:block;width:100%}
        #axis{position:relative;border-bottom:1px solid #ccc;overflow:hidden}
        .tick{position:absolute;top:0;bottom:0;font-size:11px;color:#444;border-left:1px solid #999;padding-left:3px;white-space:nowrap;line-height:14px}
        .binned{position:absolute;bottom:0;height:5px;background:repeating-linear-gradient(45deg,#999 0 2px,transparent 2px 5px)}
        #axis .fspan{position:absolute;top:0;bottom:0;background:#9cf;opacity:.35}
        #band{position:relative;overflow:hidden;border-bottom:1px solid #ccc}.noreg{color:#777;font-size:12px;padding-left:6px;line-height:30px}
        .seg{position:absolute;top:2px;bottom:2px;box-sizing:border-box;border-right:1px solid #fff;overflow:hidden;white-space:nowrap;font-size:12px;line-height:26px}
        .seg{text-overflow:ellipsis}.seg span{padding:0 5px}.seg.narrow span{display:none}
        .seg.silent span{display:inline-block;max-width:calc(100% - 14px);overflow:hidden;text-overflow:ellipsis;vertical-align:top;background:#fff;color:#000;border-radius:3px;line-height:16px;margin-top:5px;margin-left:3px;padding:0 4px;font-weight:bold}
        .lanebg{fill:#eceff3}.lanebg.match{fill:#fff3b0}
        .lanebg.fault-error{stroke:#d00;stroke-width:1.5px;vector-effect:non-scaling-stroke}.lanebg.fault-warning{stroke:#e90;stroke-width:1.5px;vector-effect:non-scaling-stroke}
        .offline{fill:#8a8a8a;fill-opacity:.35}.heard{fill:#456}.quiet{fill:#fff}
        .fspan{fill:#9cf;fill-opacity:.22;stroke:#39c;stroke-width:1px;vector-effect:non-scaling-stroke}
        .fr path{stroke-width:3px;vector-effect:non-scaling-stroke;fill:none}.deep .fr path{stroke-width:6px}
        .dim{opacity:.22}
        .incident{fill-opacity:.14;stroke-width:1px;stroke-dasharray:4 3}.incident rect{vector-effect:non-scaling-stroke}.incident .at-fault{stroke-width:2px;stroke-dasharray:none}
        .incident.sev-error{fill:#d00;stroke:#d00}.incident.sev-warning{fill:#e90;stroke:#e90}.incident.sev-note{fill:#888;stroke:#888}.incident.all{fill-opacity:.07}
        .incident:target{fill-opacity:.4}
        #marks,#flabels{position:absolute;left:0;right:0;pointer-events:none}.fl{position:absolute;font-size:10px;line-height:11px;margin-left:5px;padding:0 2px;background:#fffd;color:#222;white-space:nowrap}
        .m{position:absolute;display:block;width:10px;height:10px;margin-left:-5px;pointer-events:auto;box-sizing:border-box}
        .k-registry-elected,.k-registry-changed{background:#000;transform:rotate(45deg) scale(.8)}
        .k-registry-conflict,.k-registry-unexpected{background:#f80;border:1.5px solid #000;transform:rotate(45deg) scale(.8)}
        .k-registry-silent{border:2.5px solid #d00;border-radius:50%;background:#fff}
        .k-node-declared-offline{background:#60c;clip-path:polygon(0 0,100% 0,50% 100%)}
        .k-node-returned{background:#1a1;clip-path:polygon(50% 0,100% 100%,0 100%)}
        .k-node-renamed{background:#fff;border:2px solid #27c}
        .key{font-size:12px;color:#333;margin-top:6px}.key ul{margin:2px 0;padding-left:18px}
        .sw{display:inline-block;width:14px;height:11px;margin-right:5px;vertical-align:-1px;border:1px solid #0003}
        .kt i{display:inline-block;width:3px;height:12px;margin:0 3px 0 6px;vertical-align:-2px}
        .kl{display:inline-block;width:26px;height:4px;vertical-align:middle}.kl.heard{background:#456}.kl.quiet{background:#fff;height:10px;border:1px solid #ccc}.kl.off{height:10px;background:#8a8a8a59}
        .km{margin-right:10px;white-space:nowrap}.km .m{position:relative;display:inline-block;margin:0 4px 0 2px;vertical-align:-1px}
        .ki{padding:0 4px}.ki.sev-error{background:#fbb}.ki.sev-warning{background:#fdb}.ki.sev-note{background:#ddd}.ki.match{background:#fff3b0}
        .more,.legend{color:#666;font-size:12px}.budget{color:#840}
        table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}

        """
        let colours: [(String, String)] = [("HELLO", "#2a2"), ("FULL", "#27c"), ("PING", "#888"), ("PONG", "#bbb"), ("OFFLINE", "#d22"), ("LEGACY", "#e80")]
        for (type, colour) in colours {
            rules += ".fr.t-\(type) path{stroke:\(colour)}.bins.t-\(type) rect{fill:\(colour)}label.t-\(type){color:\(colour)}.kt.t-\(type) i{background:\(colour)}.hide-\(type) .t-\(type){display:none}\n"
        }
        for (k, colour) in palette.enumerated() {
            rules += ".seg.c\(k),.sw.c\(k){background:\(colour.fill);color:\(colour.text)}"
            rules += ".seg.silent.c\(k),.sw.silent.c\(k){background:repeating-linear-gradient(45deg,\(colour.fill) 0 4px,#fff 4px 8px);border:1px dashed \(colour.fill)}\n"
        }
        return rules
    }()

    /// Zoom (wheel, buttons), pan (drag), hiding frame types, the page's age and, live,
    /// reloading; the view is kept in the URL's fragment (`#from=…&to=…&hide=…`, times in
    /// seconds since 1970) so that a reload keeps it. Reads only the page's own
    /// attributes; no data from the network is in it.
    static let script = """
    (function(){
    var tl=document.getElementById('tl'),chart=document.getElementById('chart'),plot=document.getElementById('plot');if(!tl||!chart)return;
    var W=\(width),start=parseFloat(tl.getAttribute('data-start')),span=parseFloat(tl.getAttribute('data-span')),H=chart.viewBox.baseVal.height;
    var minW=Math.max(W*0.004/span,W/1e7),x0=0,w=W,hidden={},baseTitle=document.title;
    var live=tl.getAttribute('data-live')==='1',written=parseFloat(tl.getAttribute('data-written'));
    var controls=document.getElementById('controls');if(controls)controls.hidden=false;
    var steps=[1,2,5,10,20,50,100,200,500,1e3,2e3,5e3,1e4,15e3,3e4,6e4,12e4,3e5,6e5,9e5,18e5,36e5,72e5,108e5,216e5,432e5,864e5];
    function two(n){return (n<10?'0':'')+n;}
    function label(ms,withMs){var d=((ms%864e5)+864e5)%864e5;var s=two(Math.floor(d/36e5))+':'+two(Math.floor(d/6e4)%60)+':'+two(Math.floor(d/1e3)%60);if(withMs)s+='.'+String(1000+d%1000).slice(1);return s;}
    function pixels(){return plot.getBoundingClientRect().width||\(assumedPixels);}
    function drawAxis(){var box=document.getElementById('ticks');while(box.firstChild)box.removeChild(box.firstChild);
    var a=start+x0*span/W,b=start+(x0+w)*span/W,n=Math.max(2,Math.floor(pixels()/110)),step=steps[steps.length-1];
    for(var i=0;i<steps.length;i++){if((b-a)*1000/steps[i]<=n){step=steps[i];break;}}
    var t=Math.ceil(Math.round(a*1000)/step)*step;if(t<a*1000)t+=step;
    for(;t<=b*1000;t+=step){var e=document.createElement('span');e.className='tick';e.style.left=((t/1000-a)/(b-a)*100)+'%';e.textContent=label(Math.round(t),step<1000);box.appendChild(e);}}
    function place(){var k=100/w,px=pixels();
    document.querySelectorAll('[data-x0]').forEach(function(e){var a=parseFloat(e.getAttribute('data-x0')),b=parseFloat(e.getAttribute('data-x1'));
    e.style.left=((a-x0)*k)+'%';e.style.width=((b-a)*k)+'%';
    if(e.classList.contains('seg')){var vis=(Math.min(b,x0+w)-Math.max(a,x0))/w*px;e.classList.toggle('narrow',vis<\(labelPixels));var s=e.firstElementChild;if(s)s.style.marginLeft=Math.max(0,(x0-a)/w*px)+'px';}});
    document.querySelectorAll('#marks [data-x]').forEach(function(e){e.style.left=((parseFloat(e.getAttribute('data-x'))-x0)*k)+'%';});}
    function save(){var s=[];if(w<W*0.9999){s.push('from='+(start+x0*span/W).toFixed(6));s.push('to='+(start+(x0+w)*span/W).toFixed(6));}
    var h=Object.keys(hidden).filter(function(t){return hidden[t];});if(h.length)s.push('hide='+h.join(','));
    var f=s.length?'#'+s.join('&'):'';if(location.hash!==f&&!(f===''&&location.hash==='')){try{history.replaceState(null,'',f||location.pathname+location.search);}catch(x){location.replace(f||'#');}}}
    function showView(){var v=document.getElementById('view');if(!v)return;var sec=w*span/W;v.textContent=w<W*0.9999?'showing '+(sec<1?(sec*1000).toFixed(1)+' ms':sec.toFixed(sec<10?2:0)+' s')+' of the capture':'';}
    var flabels=document.createElement('div');flabels.id='flabels';plot.appendChild(flabels);
    function frameLabels(){while(flabels.firstChild)flabels.removeChild(flabels.firstChild);if(w>=W/8)return;
    flabels.style.top=(chart.getBoundingClientRect().top-plot.getBoundingClientRect().top)+'px';var shown=[];
    document.querySelectorAll('.fr path').forEach(function(p){var m=/^M([0-9.]+) ([0-9.]+)/.exec(p.getAttribute('d'));if(!m)return;var x=parseFloat(m[1]);
    var type=p.parentNode.getAttribute('class').split(' ')[1].slice(2);if(x<x0||x>x0+w||hidden[type])return;shown.push([x,parseFloat(m[2]),p,type]);});
    if(shown.length>80)return;
    // One line of labels a lane, side by side in time order.
    var px=pixels(),ends={};shown.sort(function(a,b){return a[1]-b[1]||a[0]-b[0];});
    shown.sort(function(a,b){return Math.floor(a[1]/\(laneHeight))-Math.floor(b[1]/\(laneHeight))||a[0]-b[0];});
    shown.forEach(function(f){var t=f[2].querySelector('title'),n=t?(/^#[0-9]+/.exec(t.textContent)||[''])[0]:'';var e=document.createElement('span');e.className='fl';
    var lane=Math.floor(f[1]/\(laneHeight)),left=Math.max((f[0]-x0)/w*px,ends[lane]||0);e.textContent=n+' '+f[3];
    e.style.left=left+'px';e.style.top=(lane*\(laneHeight)+\(laneHeight / 2 - 6))+'px';flabels.appendChild(e);ends[lane]=left+e.getBoundingClientRect().width+6;});}
    function apply(){if(w>W)w=W;if(w<minW)w=minW;if(x0<0)x0=0;if(x0+w>W)x0=W-w;chart.setAttribute('viewBox',x0+' 0 '+w+' '+H);
    tl.setAttribute('data-view',x0.toFixed(4)+' '+w.toFixed(6));chart.classList.toggle('deep',w<W/8);frameLabels();place();drawAxis();showView();save();
    var a=start+x0*span/W,b=start+(x0+w)*span/W;document.title=baseTitle+(w<W*0.9999?' · '+label(Math.round(a*1000),true)+' to '+label(Math.round(b*1000),true):'');}
    function zoom(f,c){var at=x0+(c===undefined?0.5:c)*w;w=w*f;if(w<minW)w=minW;x0=at-(c===undefined?0.5:c)*w;apply();}
    function types(){document.querySelectorAll('input[data-type]').forEach(function(c){var t=c.getAttribute('data-type');c.checked=!hidden[t];chart.classList.toggle('hide-'+t,!!hidden[t]);});}
    function load(){var q={};location.hash.slice(1).split('&').forEach(function(p){var i=p.indexOf('=');if(i>0)q[p.slice(0,i)]=decodeURIComponent(p.slice(i+1));});
    if(q.from&&q.to){var a=(parseFloat(q.from)-start)/span*W,b=(parseFloat(q.to)-start)/span*W;if(isFinite(a)&&isFinite(b)&&b>a){x0=a;w=b-a;}}
    if(q.hide)q.hide.split(',').forEach(function(t){if(/^[A-Z]+$/.test(t))hidden[t]=true;});}
    document.querySelectorAll('[data-zoom]').forEach(function(b){b.addEventListener('click',function(){var z=b.getAttribute('data-zoom');if(z==='in')zoom(0.5);else if(z==='out')zoom(2);else{x0=0;w=W;apply();}});});
    plot.addEventListener('wheel',function(e){e.preventDefault();var r=chart.getBoundingClientRect();zoom(e.deltaY<0?0.8:1.25,Math.min(1,Math.max(0,(e.clientX-r.left)/r.width)));},{passive:false});
    var drag=null;plot.addEventListener('mousedown',function(e){drag={x:e.clientX,x0:x0};});
    window.addEventListener('mousemove',function(e){if(!drag)return;var r=chart.getBoundingClientRect();x0=drag.x0-(e.clientX-drag.x)/r.width*w;apply();});
    window.addEventListener('mouseup',function(){drag=null;});
    window.addEventListener('resize',function(){place();drawAxis();});
    document.querySelectorAll('input[data-type]').forEach(function(c){c.addEventListener('change',function(){hidden[c.getAttribute('data-type')]=!c.checked;types();frameLabels();save();});});
    document.querySelectorAll('.diagnoses a').forEach(function(a){a.addEventListener('click',function(e){e.preventDefault();var f=parseFloat(a.getAttribute('data-from')),t=parseFloat(a.getAttribute('data-to'));
    var rx=(f-start)/span*W,rw=Math.max((t-f)/span*W,W/400);w=Math.min(W,rw*3);x0=rx-(w-rw)/2;apply();tl.scrollIntoView();});});
    var age=document.getElementById('age');
    function tick(){if(!age||!isFinite(written))return;var s=Math.max(0,Math.round(Date.now()/1000-written));age.textContent=', '+(s<120?s+' s':Math.round(s/60)+' min')+' ago';age.classList.toggle('stale',live&&s>20);if(live&&s>20)age.textContent+=' (not rewritten since: is peersniff still running?)';}
    load();types();apply();tick();setInterval(tick,1000);
    if(live)setTimeout(function(){save();location.reload();},5000);
    })();
    """
}
