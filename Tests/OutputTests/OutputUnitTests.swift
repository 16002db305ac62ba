@testable import Analyzer
import DiscoveryCodec
import Foundation
@testable import Output
import Testing
import WireBytes
import TestSupport

/// The page, the metrics, the text summary and the malformed report as units: each
/// rendered from a summary the test builds itself (the dead-registry story fed to the
/// analyzer directly, no binary, no capture file), and checked against what the test
/// knows of the story (its own frames), not against an earlier run.
@Suite("Outputs as units, from a summary built in the test")
struct OutputUnitTests {
    static let a = "10.37.0.20", b = "10.37.0.30", c = "10.37.0.40"
    static let names = [a: "Attack from Mars", b: "Medieval <b>Madness</b>", c: "Twilight \"Zone\""]

    /// Three boards boot; .20, the registry, falls silent after 17 s; .30 declares it
    /// offline at 45 s and takes over; the storm about .20 follows.
    static var steps: [SentFrame] {
        func full(_ sender: String, _ others: [String]) -> Frame { firmwareFull(sender, others, names: { names[$0]! }) }
        return [
            at(0, a, .hello(names[a]!)), at(1, b, .hello(names[b]!)), at(1.5, a, full(a, [b])),
            at(2, c, .hello(names[c]!)), at(2.5, a, full(a, [b, c])),
            at(15, b, .ping), at(15.5, a, .pong), at(17, a, .ping), at(17.5, c, .pong),
            at(45, b, .offline(a)), at(45.1, b, full(b, [c])), at(46, c, .offline(a)), at(46.5, b, full(b, [c])),
            at(60, b, .offline(a)), at(60.5, b, full(b, [c])),
        ]
    }

    /// The story through the analyzer and the engine, and the summary of it.
    static func story() -> (run: AnalyzerHarness, summary: Summary) {
        let run = AnalyzerHarness(steps)
        var summary = Summary()
        for step in steps { summary.framesByType[step.frame.type.index] += 1 }
        summary.packetsRead = steps.count
        summary.packetsMatched = steps.count
        summary.firstTime = steps.first?.time
        summary.lastTime = steps.last?.time
        summary.election = run.analyzer.report(diagnoses: run.diagnosis)
        return (run, summary)
    }

    /// What a writer wrote to a file.
    /// A PING from `a`, decoded as the pipeline hands it over (its bytes live while `body` runs).
    static func withPing(_ body: (FrameView) throws -> Void) throws {
        let payload: [UInt8] = [0x03]
        try payload.withUnsafeBytes { raw in
            guard case let .frame(view) = decodeFrame(raw, sender: IPv4Address(Self.a)) else { throw CancellationError() }
            try body(view)
        }
    }

    static func written(_ body: (Output.OutputStream) -> Void) throws -> String {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let stream = Output.OutputStream(descriptor: fd)
        body(stream)
        stream.flush()
        close(fd)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("The page: every diagnosis with its code, the names escaped, every reign in the history")
    func page() throws {
        let (_, summary) = Self.story()
        let report = try #require(summary.election)
        let page = HTMLPage.render(recorder: TimelineRecorder(), summary: summary, source: "unit <test>", live: false)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("Content-Security-Policy"))
        #expect(page.contains("unit &lt;test&gt;") && !page.contains("unit <test>"))
        for d in report.diagnoses { #expect(page.contains("<b>\(d.code.rawValue)</b>"), "\(d.code)") }
        #expect(report.diagnoses.map(\.code.rawValue).contains("registry-failover"))
        // The names are text, never markup: `<b>` in a name is escaped, its quote too.
        #expect(page.contains("Medieval &lt;b&gt;Madness&lt;/b&gt;") && !page.contains("Medieval <b>Madness"))
        #expect(page.contains("Twilight \\&quot;Zone\\&quot;"))
        // The registry history: .20 then .30, as the story's FULLs say.
        let rows = page.components(separatedBy: "<tr class=\"reign-row\"").dropFirst()
        #expect(rows.count == 2)
        #expect(rows.first?.contains("data-ip=\"\(Self.a)\"") == true && rows.last?.contains("data-ip=\"\(Self.b)\"") == true)
    }

    @Test("Frame counts: each frame type its own counter, by its index, the total their sum, equal only when every counter is")
    func frameCounters() {
        var counts = FrameCounts()
        for type in FrameType.allCases { for k in 0..<(type.index + 1) * 3 { if k % 2 == 0 { counts[type.index] += 1 } else { counts.add(type.index) } } }
        for type in FrameType.allCases { #expect(counts[type.index] == (type.index + 1) * 3, "\(type)") }
        #expect(counts.total == FrameType.allCases.map { ($0.index + 1) * 3 }.reduce(0, +))
        #expect(Set(FrameType.allCases.map(\.index)) == Set(0..<6), "six counters, one a type")
        for type in FrameType.allCases {
            var other = counts
            other[type.index] += 1
            #expect(other != counts, "\(type)")
            other[type.index] -= 1
            #expect(other == counts)
        }
    }

    @Test("A summary counts each warning of FrameWarnings.all in its own counter, every warning has one, and the counters read back as they were set")
    func summaryWarningCounters() {
        #expect(Summary().warningsByCode == [Int](repeating: 0, count: FrameWarnings.all.count))
        for (k, entry) in FrameWarnings.all.enumerated() {
            var summary = Summary()
            summary.count(entry.warning)
            summary.count(entry.warning.union(.fragmented))
            var expected = [Int](repeating: 0, count: FrameWarnings.all.count)
            expected[k] += 2
            if entry.warning != .fragmented { expected[FrameWarnings.all.firstIndex { $0.warning == .fragmented }!] += 1 }
            #expect(summary.warningsByCode == expected, "\(entry.code)")
        }
        var set = Summary()
        set.warningsByCode = Array(1...FrameWarnings.all.count)
        #expect(set.warningsByCode == Array(1...FrameWarnings.all.count))
    }

    @Test("The metrics: frames by type as the story sent them, the registry, the diagnoses by code")
    func metrics() throws {
        let (run, summary) = Self.story()
        let report = try #require(summary.election)
        let exposition = MetricsExposition(observer: "unit", version: "test", libpcap: "none", source: "unit", interval: 10)
        let text = exposition.render(summary: summary, analyzer: run.analyzer, engine: run.diagnosis, report: report,
                                     now: Self.steps.last!.time, written: Self.steps.last!.time)
        func value(_ line: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line) }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        }
        for type in FrameType.allCases {
            let sent = Self.steps.filter { $0.frame.type == type }.count
            #expect(value("peersniff_frames_total{observer=\"unit\",type=\"\(type.name)\"}") == Double(sent), "\(type.name)")
        }
        #expect(text.contains("peersniff_registry_info{observer=\"unit\",address=\"\(Self.b)\",name=\"Medieval <b>Madness</b>\"} 1"), "\(text)")
        #expect(value("peersniff_diagnoses{observer=\"unit\",code=\"registry-failover\",severity=\"error\"}") == 1)
        #expect(value("peersniff_open_incidents{observer=\"unit\",code=\"offline-storm\",severity=\"warning\"}") == 1)
        #expect(text.hasSuffix("\n"))
    }

    @Test("A writer that says it takes no frame records (-q, --events) writes nothing for one; one that takes them writes it; a fan-out takes them if any of its writers does")
    func takesFrames() throws {
        try Self.withPing { view in
            let record = FrameRecord(origin: PacketOrigin(number: 1, time: Timestamp(seconds: 1_800_000_000, nanoseconds: 0), file: nil),
                                     endpoints: Endpoints(source: .v4(IPv4Address(Self.a)!), destination: .v4(IPv4Address(Self.b)!),
                                                          sourcePort: 37020, destinationPort: 37020),
                                     frame: view)
            let writers: [(String, (Output.OutputStream) -> RecordWriter)] = [
                ("text", { TextWriter(stream: $0) }),
                ("text -q", { TextWriter(stream: $0, quiet: true) }),
                ("text --events", { TextWriter(stream: $0, eventsOnly: true) }),
                ("--json", { JSONLinesWriter(stream: $0) }),
                ("--json -q", { JSONLinesWriter(stream: $0, quiet: true) }),
                ("--json --events", { JSONLinesWriter(stream: $0, eventsOnly: true) }),
            ]
            for (label, make) in writers {
                var takes = true
                let text = try Self.written { stream in
                    let writer = make(stream)
                    takes = writer.takesFrames
                    writer.write(record)
                }
                #expect(takes == !text.isEmpty, "\(label): says it takes frames: \(takes), wrote \(text.utf8.count) bytes")
                #expect(takes == !(label.hasSuffix("-q") || label.hasSuffix("--events")), "\(label)")
            }
            let quiet = TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)
            #expect(!RecordFanout(quiet, [TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)]).takesFrames)
            // The page's recorder is handed frames by the pipeline, not records: with it
            // beside -q no record is made; a writer beside it that takes them still gets them.
            #expect(!TimelineRecorder().takesFrames)
            #expect(!RecordFanout(quiet, [TimelineRecorder()]).takesFrames, "the page's recorder takes no frame records")
            let beside = try Self.written { stream in
                let fanout = RecordFanout(quiet, [TimelineRecorder(), TextWriter(stream: stream)])
                #expect(fanout.takesFrames)
                fanout.write(record)
            }
            #expect(!beside.isEmpty, "the text writer beside the recorder wrote the frame")
        }
    }

    @Test("A writer that says it takes no events (-q, --json --problems) writes nothing for any; one that takes them writes one; a fan-out takes them if any of its writers does")
    func takesEvents() throws {
        let origin = PacketOrigin(number: 1, time: Timestamp(seconds: 1_800_000_000, nanoseconds: 0), file: nil)
        let events = [
            ElectionEvent(time: origin.time, origin: origin, detail: .registryElected(ip: IPv4Address(Self.a)!)),
            ElectionEvent(time: origin.time, origin: origin, detail: .nodeDeclaredOffline(ip: IPv4Address(Self.b)!, by: IPv4Address(Self.a)!)),
            ElectionEvent(time: origin.time, origin: origin, detail: .peersChanged(added: [IPv4Address(Self.b)!], removed: [], renamed: [])),
        ]
        let writers: [(String, Bool, (Output.OutputStream) -> RecordWriter)] = [
            ("text", true, { TextWriter(stream: $0) }),
            ("text -q", false, { TextWriter(stream: $0, quiet: true) }),
            ("text --events", true, { TextWriter(stream: $0, eventsOnly: true) }),
            ("--json", true, { JSONLinesWriter(stream: $0) }),
            ("--json -q", false, { JSONLinesWriter(stream: $0, quiet: true) }),
            ("--json --events", true, { JSONLinesWriter(stream: $0, eventsOnly: true) }),
            ("--json --problems", false, { JSONLinesWriter(stream: $0, problemsOnly: true) }),
        ]
        for (label, expected, make) in writers {
            var takes = true
            let text = try Self.written { stream in
                let writer = make(stream)
                takes = writer.takesEvents
                for event in events { writer.write(event) }
                writer.flush()
            }
            #expect(takes == !text.isEmpty, "\(label): says it takes events: \(takes), wrote \(text.utf8.count) bytes")
            #expect(takes == expected, "\(label)")
            // peers-changed alone: what it writes for it, as it says.
            var takesPeers = true
            let peers = try Self.written { stream in
                let writer = make(stream)
                takesPeers = writer.takesPeersChanged
                writer.write(events[2])
                writer.flush()
            }
            #expect(takesPeers == !peers.isEmpty, "\(label): says it takes peers-changed: \(takesPeers), wrote \(peers.utf8.count) bytes")
        }
        // The page marks what tells the story, not a FULL's changed list: the recorder
        // takes events but not peers-changed, and one beside -q makes the relay leave it out.
        let recorder = TimelineRecorder()
        #expect(recorder.takesEvents && !recorder.takesPeersChanged)
        recorder.write(events[2])
        #expect(recorder.lanes.isEmpty, "peers-changed left no mark on the page")
        #expect(!RecordFanout(TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true), [TimelineRecorder()]).takesPeersChanged)
        #expect(RecordFanout(JSONLinesWriter(stream: Output.OutputStream(descriptor: -1)), [TimelineRecorder()]).takesPeersChanged)
        #expect(DisplayFilterWriter(DisplayFilter(), next: TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)).takesPeersChanged,
                "the display filter counts every event it shows or hides")
        let quiet = TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)
        #expect(!RecordFanout(quiet, [TextWriter(stream: Output.OutputStream(descriptor: -1), quiet: true)]).takesEvents)
        #expect(RecordFanout(quiet, [TimelineRecorder()]).takesEvents, "the page's recorder marks events")
        // The malformed report writes no event; the display filter counts the events it
        // shows and hides, so it takes them whatever its next writer says.
        let report = try Self.written { stream in
            let writer = MalformedReportWriter(stream: stream)
            #expect(!writer.takesEvents)
            for event in events { writer.write(event) }
        }
        #expect(report.isEmpty, "the malformed report wrote \(report.utf8.count) bytes for events")
        #expect(DisplayFilterWriter(DisplayFilter(), next: quiet).takesEvents)
    }

    @Test("The page's recorder keeps exact frames within its budget, giving up the quietest other bin first (the first of equals), as a plain model of the rule does")
    func exactBudget() throws {
        // PINGs from one board, in bursts of uneven size into the 10 ms bins of the
        // first 6 s (no coarsening): bin b gets 5 + (b / 3 * 37) % 41 frames (equals side by side).
        try Self.withPing { view in
            let recorder = TimelineRecorder()
            let budget = TimelineRecorder.exactBudget
            var modelCounts = [Int](repeating: 0, count: TimelineRecorder.binCount)
            var modelKept = [Bool](repeating: true, count: TimelineRecorder.binCount)
            var modelTotal = 0, modelDropped = 0, number = 0
            var firstDifference: Int?
            for bin in 0..<TimelineRecorder.binCount {
                let burst = 5 + (bin / 3 * 37) % 41
                for k in 0..<burst {
                    number += 1
                    let time = Timestamp(seconds: 1_800_000_000, nanoseconds: 0).adding(nanoseconds: Int64(bin) * 10_000_000 + Int64(k) * 1000)
                    recorder.frame(view, from: IPv4Address(Self.a)!, to: IPv4Address(Self.b)!,
                                   origin: PacketOrigin(number: number, time: time, file: nil))
                    // The rule, plainly: keep it if its bin still keeps; over the budget,
                    // drop the other bin with the fewest (the first of equals), else this one.
                    guard modelKept[bin] else { modelDropped += 1; continue }
                    modelCounts[bin] += 1
                    modelTotal += 1
                    while modelTotal > budget {
                        let others = modelCounts.indices.filter { $0 != bin && modelCounts[$0] > 0 }
                        let victim = others.min { modelCounts[$0] < modelCounts[$1] } ?? bin
                        modelTotal -= modelCounts[victim]
                        modelDropped += modelCounts[victim]
                        modelCounts[victim] = 0
                        modelKept[victim] = false
                    }
                }
                // After every burst, not only at the end (the order of giving up shows in between).
                if Array(recorder.exactKept) != modelKept || recorder.exactDropped != modelDropped { firstDifference = firstDifference ?? bin }
            }
            #expect(firstDifference == nil, "the recorder and the model differ after bin \(firstDifference ?? -1)")
            #expect(number > budget + 2_000)
            #expect(Array(recorder.exactKept) == modelKept)
            #expect(recorder.exactFrames.count == modelTotal)
            #expect(recorder.exactDropped == modelDropped)
            #expect(recorder.exactFrames.count + recorder.exactDropped == number)
            // The frames kept are those of the kept bins, in time order, each as it came.
            let kept = recorder.exactFrames
            #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.nanoseconds < $1.nanoseconds })
            #expect(kept.allSatisfy { $0.type == UInt8(FrameType.ping.index) && $0.other == IPv4Address(Self.b)!.value })
        }
    }

    @Test("Over a long capture the recorder's bins coarsen, merging two bins' exact frames in time order; frames from before the first go in the first bin; a plain model of bins, merges and the budget agrees after every burst")
    func exactCoarsening() throws {
        try Self.withPing { view in
            let recorder = TimelineRecorder()
            let (binCount, budget) = (TimelineRecorder.binCount, TimelineRecorder.exactBudget)
            // The model: each bin's frame numbers, whether it still keeps, the bins' width.
            var bins = [[Int]](repeating: [], count: binCount)
            var kept = [Bool](repeating: true, count: binCount)
            var width: Int64 = 10_000_000
            var total = 0, dropped = 0, number = 0
            let start: Int64 = 1_800_000_000 * 1_000_000_000
            let senders = [Self.a, Self.b, "10.37.0.77"].map { IPv4Address($0)! }
            var random: UInt64 = 0x2545_F491_4F6C_DD1D
            func next(_ bound: Int) -> Int {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((random >> 33) % UInt64(bound))
            }
            func feed(_ nanoseconds: Int64) {
                number += 1
                let time = Timestamp(seconds: 0, nanoseconds: 0).adding(nanoseconds: nanoseconds)
                recorder.frame(view, from: senders[number % 3], to: IPv4Address(Self.b)!, origin: PacketOrigin(number: number, time: time, file: nil))
                // Its bin, the bins coarsened (two merged into one, first then second) until it fits.
                let offset = nanoseconds - start
                while offset >= 0 && offset / width >= Int64(binCount) {
                    for b in 0..<binCount / 2 {
                        bins[b] = bins[2 * b] + bins[2 * b + 1]
                        kept[b] = kept[2 * b] && kept[2 * b + 1]
                    }
                    for b in binCount / 2..<binCount { bins[b] = []; kept[b] = true }
                    width *= 2
                }
                let bin = offset < 0 ? 0 : Int(offset / width)
                guard kept[bin] else { dropped += 1; return }
                bins[bin].append(number)
                total += 1
                while total > budget {
                    let victim = bins.indices.filter { $0 != bin && !bins[$0].isEmpty }.min { bins[$0].count < bins[$1].count } ?? bin
                    total -= bins[victim].count
                    dropped += bins[victim].count
                    bins[victim] = []
                    kept[victim] = false
                }
            }
            // 300 bursts of 20 to 150 frames a millisecond apart, 60 to 200 ms between
            // bursts (about 40 s: three coarsenings); now and then one from half a second
            // before the first frame (a second input's).
            var now = start
            var firstDifference: Int?
            for burst in 0..<300 {
                for _ in 0..<(20 + next(131)) { feed(now); now += 1_000_000 }
                if burst % 37 == 36 { feed(start - 500_000_000) }
                now += Int64(60 + next(141)) * 1_000_000
                let same = Array(recorder.exactKept) == kept && recorder.binWidth == width && recorder.exactDropped == dropped
                    && recorder.exactFrames.map(\.number) == bins.flatMap { $0 }
                if !same { firstDifference = firstDifference ?? burst }
            }
            #expect(firstDifference == nil, "the recorder and the model differ after burst \(firstDifference ?? -1)")
            #expect(width >= 80_000_000, "the bins coarsened three times at least (width \(width))")
            #expect(number > 2 * budget && dropped > 0)
            #expect(recorder.exactFrames.count + recorder.exactDropped == number)
        }
    }

    @Test("A bin given up by a frame from before the first (another input's) leaves the ranking right for the bin that goes on filling: the quieter bin is given up next, not the one that was quieter then")
    func exactBudgetAfterAnEarlierFrame() throws {
        try Self.withPing { view in
            let recorder = TimelineRecorder()
            let start = Timestamp(seconds: 1_800_000_000, nanoseconds: 0)
            var number = 0
            func feed(bin: Int, _ count: Int) {
                for k in 0..<count {
                    number += 1
                    let time = start.adding(nanoseconds: Int64(bin) * 10_000_000 + Int64(k))
                    recorder.frame(view, from: IPv4Address(Self.a)!, to: IPv4Address(Self.b)!, origin: PacketOrigin(number: number, time: time, file: nil))
                }
            }
            func early() {
                number += 1
                recorder.frame(view, from: IPv4Address(Self.a)!, to: IPv4Address(Self.b)!,
                               origin: PacketOrigin(number: number, time: start.adding(nanoseconds: -1_000_000_000), file: nil))
            }
            // Bins 0 to 3 of 10 ms: 4,900 + 3,000 + 2,000 + 2,100 frames, the budget.
            #expect(TimelineRecorder.exactBudget == 12_000)
            feed(bin: 0, 4_900)
            feed(bin: 1, 3_000)
            feed(bin: 2, 2_000)
            feed(bin: 3, 2_100)
            #expect(recorder.exactDropped == 0)
            // One from before the first, into bin 0: over the budget, bin 2 (the quietest other) goes.
            early()
            #expect(Array(recorder.exactKept.prefix(4)) == [true, true, false, true])
            // Bin 3 fills on (4,099 now, more than bin 1's 3,000); the next earlier frame
            // is over the budget again: bin 1 is the quietest other now.
            feed(bin: 3, 1_999)
            #expect(recorder.exactDropped == 2_000)
            early()
            #expect(Array(recorder.exactKept.prefix(4)) == [true, false, false, true], "bin 1 (3,000 frames) given up, not bin 3 (4,099)")
            #expect(recorder.exactDropped == 5_000)
            #expect(recorder.exactFrames.count == 4_902 + 4_099)
        }
    }

    @Test("The text summary: What happened names each diagnosis; the node table counts each node's frames as sent")
    func textSummary() throws {
        let (run, summary) = Self.story()
        let report = try #require(summary.election)
        let text = try Self.written { stream in
            let writer = TextWriter(stream: stream, quiet: true)
            writer.nameOf = { run.analyzer.nodes[$0]?.name }
            writer.write(summary)
        }
        let happened = text.components(separatedBy: "Summary").first ?? ""
        for d in report.diagnoses {
            #expect(happened.contains("\(d.severity.rawValue.uppercased())") && happened.contains(d.code.rawValue), "\(d.code)")
        }
        for ip in [Self.a, Self.b, Self.c] {
            let row = try #require(text.split(separator: "\n").first { $0.hasPrefix(ip + " ") || $0.hasPrefix("  " + ip) }, "no row for \(ip)")
            let sent = Self.steps.filter { $0.sender == ip }
            let counts = row.split(separator: " ").compactMap { Int($0) }
            #expect(counts.prefix(FrameType.allCases.count).map { $0 } == FrameType.allCases.map { type in sent.filter { $0.frame.type == type }.count },
                    "\(ip): \(row)")
        }
    }

    @Test("The malformed report: the reason, the offset's byte marked, the sender")
    func malformedReport() throws {
        // A FULL of two entries whose second is cut after its address: 2 + 5 + 4 bytes.
        let payload: [UInt8] = [0x02, 0x02, 10, 37, 0, 20, 0, 10, 37, 0, 30]
        let malformation = try payload.withUnsafeBytes { raw -> Malformation in
            guard case let .malformed(m) = decodeFrame(raw, sender: IPv4Address(Self.a)) else { throw CancellationError() }
            return m
        }
        #expect(malformation.reason.description == "truncated-peer" && malformation.offset == 7)
        let text = try Self.written { stream in
            let writer = MalformedReportWriter(stream: stream)
            payload.withUnsafeBytes { raw in
                let origin = PacketOrigin(number: 42, time: Timestamp(12), file: nil)
                let endpoints = Endpoints(source: .v4(IPv4Address(Self.a)!), destination: .v4(IPv4Address("255.255.255.255")!),
                                          sourcePort: 45123, destinationPort: 37020)
                writer.write(MalformedRecord(origin: origin, endpoints: endpoints, malformation: malformation, payload: raw))
            }
            writer.write(Summary())
        }
        #expect(text.contains("truncated-peer"), "\(text)")
        #expect(text.contains(Self.a) && text.contains("#42"), "\(text)")
        #expect(text.contains("offset 7"), "\(text)")
    }
}
