import Analyzer
import Capture
import DiscoveryCodec
import Output
import PeersniffCore
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// One run: the one place where the outputs are built from the options, the capture
/// (live or offline) driven, and the end told. Adding an output is one new file (a
/// `RecordWriter` for the records, or a `SideOutput` beside them) plus one line in
/// `init`.
final class Session {
    let command: Peersniff
    let failures = OutputFailures()
    let stream: Output.OutputStream
    let analyzer: ElectionAnalyzer
    /// The writer the user reads (text, JSON Lines, the malformed report, the live view),
    /// with the page's recorder beside it when there is one.
    let writer: RecordWriter
    let pipeline: Pipeline
    let election: ElectionBridge
    /// The outputs beside the records, in the order they are told a tick and the end.
    var sideOutputs: [SideOutput] = []
    let toTerminal: Bool

    init(_ command: Peersniff) {
        self.command = command
        let output = command.output
        stream = Session.openStream(output, failures: failures)
        toTerminal = output.outputPath == nil && isatty(1) != 0
        analyzer = ElectionAnalyzer(thresholds: command.analysis.thresholds, maxNodes: command.analysis.maxNodes)
        var (primary, liveView) = Session.recordWriter(command, stream: stream, analyzer: analyzer, toTerminal: toTerminal)
        // --node, --type, --since, --until: what the user reads, not what is analysed.
        let displayFilter = command.display.filter.map { DisplayFilterWriter($0, next: primary) }
        if let displayFilter { primary = displayFilter }
        // The record writers beside the one the user reads.
        var others: [RecordWriter] = []
        let source = command.input.source
        if let view = liveView { sideOutputs.append(LiveViewOutput(view)) }
        var pageRecorder: TimelineRecorder?
        if let html = output.html {
            let recorder = TimelineRecorder()
            pageRecorder = recorder
            recorder.filter = command.display.filter
            recorder.nameOf = { [analyzer] in analyzer.nodes[$0]?.name }
            others.append(recorder)
            sideOutputs.append(PageFileOutput(path: commandLinePath(html), recorder: recorder, source: source))
        }
        if let metrics = output.metrics { sideOutputs.append(MetricsFileOutput(path: commandLinePath(metrics), options: output, source: source)) }
        let failures = failures
        let dumps = [(output.write, "-w", PcapDumpOutput.Selection.every), (output.writeMalformed, "--write-malformed", .problems)]
            .compactMap { path, option, selection in
                path.map { PcapDumpOutput(path: commandLinePath($0), option: option, selection: selection, append: output.append, failures: failures) }
            }
        others += dumps as [RecordWriter]
        sideOutputs += dumps as [SideOutput]
        writer = others.isEmpty ? primary : RecordFanout(primary, others)
        election = ElectionBridge(analyzer: analyzer, writer: writer, port: command.input.port)
        pipeline = Pipeline(options: command.pipelineOptions, writer: writer, consumer: election)
        pipeline.failures = failures
        pipeline.pageRecorder = pageRecorder
        pipeline.keepsPacketBytes = !dumps.isEmpty
        displayFilter?.start = { [unowned pipeline] in pipeline.summary.firstTime }
        pipeline.onInputsOpened = { formats throws(CaptureError) in
            for dump in dumps { try dump.open(formats) }
        }
        liveView?.diagnosis = election.diagnosis
        pipeline.onReopen = { [unowned self] in
            stream.reopen()
            for side in sideOutputs { side.reopen(self) }
        }
    }

    /// -o FILE (opened before the capture, as -w is), or standard output.
    static func openStream(_ output: OutputOptions, failures: OutputFailures) -> Output.OutputStream {
        guard let path = output.outputPath else { return Output.OutputStream(descriptor: 1, name: "standard output", failures: failures) }
        let opened = Output.OutputStream.file(path, name: "-o \(path.display)", append: output.append, failures: failures)
        guard let file = opened.stream else { fail(opened.error ?? "-o: cannot write") }
        return file
    }

    /// The writer the user reads, and the live view when it is that writer.
    static func recordWriter(_ command: Peersniff, stream: Output.OutputStream, analyzer: ElectionAnalyzer,
                             toTerminal: Bool) -> (RecordWriter, LiveView?) {
        let output = command.output
        let names: (IPv4Address) -> Name? = { [analyzer] in analyzer.nodes[$0]?.name }
        if output.json {
            return (JSONLinesWriter(stream: stream, quiet: output.quiet, eventsOnly: output.events, problemsOnly: output.malformed,
                                    observer: output.observerName), nil)
        }
        // The window's width, read once: text on a terminal (or with COLUMNS set) fits it.
        let layout = output.outputPath == nil ? TextLayout.standardOutput(isTerminal: toTerminal, verbose: output.verbose)
                                              : TextLayout(columns: nil, verbose: output.verbose)
        if output.malformed {
            let report = MalformedReportWriter(stream: stream, style: output.style, layout: layout)
            report.nameOf = names
            return (report, nil)
        }
        // On a terminal, live capture shows a picture refreshed in place.
        if let interface = command.input.interface, !output.quiet, !output.events, !output.noLiveView, toTerminal {
            let view = LiveView(stream: stream, analyzer: analyzer, style: output.style, title: interface)
            return (view, view)
        }
        let text = TextWriter(stream: stream, quiet: output.quiet, eventsOnly: output.events, style: output.style, layout: layout)
        text.nameOf = names
        return (text, nil)
    }

    /// The time the state is read at: live, the wall clock; offline, the capture's last packet.
    func stateTime() -> Timestamp { command.input.interface != nil ? wallClock() : (pipeline.summary.lastTime ?? wallClock()) }

    /// Reads the input to its end (or, live, to a signal or --duration); the errors that ended it early.
    func capture() -> [String] {
        let input = command.input
        do {
            if let interface = input.interface {
                var runner = LiveRunner(interface: interface, options: command.pipelineOptions, duration: input.duration, dropTo: input.user)
                runner.flushEachRecord = toTerminal
                runner.onTick = { [unowned self] now in for side in sideOutputs { side.tick(now, self) } }
                return try runner.run(pipeline: pipeline).map { [$0] } ?? []
            }
            var reader = OfflineReader(paths: input.read.map(commandLinePath), options: command.pipelineOptions)
            // Progress on a terminal's stderr, when stdout does not stream records to it
            // (-q, --malformed, or output redirected), and never with --json.
            let output = command.output
            if isatty(2) != 0, !output.json, output.quiet || output.malformed || !toTerminal { reader.progress = ProgressLine() }
            return try reader.run(pipeline: pipeline)
        } catch {
            stream.flush()
            fail(error.message, status: error.kind == .badFilter ? 2 : 1)
        }
    }

    /// The end: every incident told, the side outputs and the summary written, and the
    /// exit status decided (one line naming a failed output or input).
    func end(_ errors: [String]) -> Never {
        if !errors.isEmpty { pipeline.setInputError(errors.joined(separator: "; ")) }
        election.finish()
        var summary = pipeline.summary
        summary.election = election.report()
        for side in sideOutputs { side.end(summary, self) }
        summary.outputError = failures.first?.message
        writer.write(summary)
        writer.flush()
        if command.output.outputPath != nil { stream.close() }
        // -o failed: the summary goes to standard error rather than nowhere.
        if let failure = failures.first, command.output.outputPath != nil, failure.output == stream.name {
            stream.divertToStandardError()
            summary.outputError = failure.message
            writer.write(summary)
            writer.flush()
        }
        // An output that failed ends the run with one line naming it (the summary went
        // to standard output unless that was the one failing).
        if let warning = summary.filterWarning { printError("warning: " + warning) }
        for message in errors { printError(message) }
        if let failure = failures.first { printError(failure.message) }
        if failures.first != nil || !errors.isEmpty { exit(1) }
        exit(command.analysis.failed(summary) ? 3 : 0)
    }
}
