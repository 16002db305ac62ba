import Analyzer
import ArgumentParser
import Capture
import EarlySignals
import Output
import PeersniffCore
#if canImport(Glibc)
import Glibc
#endif

// SIGHUP and SIGUSR1 are blocked from the process's first instruction (EarlySignals'
// pre-init function) and wait for their handlers instead of ending the process; again
// here, should a loader not run pre-init functions (OutputPaths.swift).
if peersniff_early_signals_blocked() == 0 { blockSignalsUntilHandled() }

/// The command line: tcpdump's habits (CONTRACT.md). This file only parses
/// arguments and wires the steps together.
struct Peersniff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peersniff",
        abstract: "Watch the pinball boards' UDP discovery protocol: decode every frame, reconstruct the registry election.",
        discussion: """
            Reads pcap/pcapng files (-r) or, as root, watches an interface (-i). peersniff only listens: it never transmits.
            Exit status: 0 done; 1 input unreadable, capture not started, or an output failed; 2 usage error; \
            3 --fail-on matched (malformed: a malformed datagram; anomaly: a diagnosis of severity warning or error).
            """,
        version: versionText)

    @Option(name: .customShort("r"), help: ArgumentHelp("Read a pcap or pcapng file; '-' reads standard input. Repeat to merge several files by timestamp.", valueName: "file"), completion: .file())
    var read: [String] = []

    @Option(name: .customShort("i"), help: ArgumentHelp("Watch this interface live (or 'any').", valueName: "interface"))
    var interface: String?

    @Flag(name: .customShort("D"), help: "List the interfaces that can be watched, then exit.")
    var listInterfaces = false

    @Option(name: .long, help: "The discovery port.")
    var port: UInt16 = 37020

    @Option(name: .customShort("f"), help: ArgumentHelp("An extra BPF expression, ANDed with peersniff's own filter.", valueName: "expression"))
    var filter: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Also save every matched packet (all fragments of a frame) to this pcap file.", valueName: "file"), completion: .file())
    var write: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many discovery datagrams.", valueName: "count"))
    var count: Int?

    @Flag(name: .long, help: "JSON Lines on standard output instead of text.")
    var json = false

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the records (text or --json) to this file instead of standard output ('-'); SIGHUP opens it again (log rotation).", valueName: "file"), completion: .file())
    var output: String?

    @Flag(name: [.customShort("q"), .long], help: "Print only the summary at the end.")
    var quiet = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Check UDP checksums (offloaded ones are recognised, not errors).")
    var verifyChecksums = true

    @Option(name: .long, help: ArgumentHelp("Colour the text output: auto, always or never (NO_COLOR is honoured).", valueName: "when"))
    var color: ColorChoice = .auto

    @Flag(name: .long, help: "Print only the malformed-frame report: every malformed datagram and frame with warnings, with a marked hex dump, then tallies by code and source.")
    var malformed = false

    @Option(name: .long, help: ArgumentHelp("Save the packets behind malformed records and frames with warnings to this pcap file.", valueName: "file"), completion: .file())
    var writeMalformed: String?

    @Option(name: .long, help: ArgumentHelp("Exit with status 3 if the run saw malformed datagrams ('malformed') or made a diagnosis of severity warning or error ('anomaly'). Repeatable.", valueName: "what"))
    var failOn: [FailCondition] = []

    enum FailCondition: String, ExpressibleByArgument, CaseIterable { case malformed, anomaly }

    @Flag(name: .long, help: "Print only the election events (and the summary).")
    var events = false

    @Option(name: .long, help: ArgumentHelp("Seconds a due FULL may take before registry-silent.", valueName: "seconds"))
    var registryTimeout: Double = 3

    @Option(name: .long, help: ArgumentHelp("FULLs from two senders closer than this are a registry-conflict.", valueName: "seconds"))
    var conflictWindow: Double = 5

    @Option(name: .long, help: ArgumentHelp("Keep at most this many nodes (default 4096; the firmware lists at most 51). Addresses beyond are counted and named in an address-flood diagnosis, not kept.", valueName: "count"))
    var maxNodes: Int = ElectionAnalyzer.defaultMaxNodes

    @Option(name: .long, help: ArgumentHelp("Also write the election timeline as one self-contained HTML page (live: rewritten every few seconds).", valueName: "file"), completion: .file())
    var html: String?

    @Flag(name: .long, help: "-o, -w and --write-malformed add to the files already there (a pcap file of the same link type) instead of starting them anew: a service that restarts keeps what it wrote.")
    var append = false

    @Option(name: .long, help: ArgumentHelp("Also write Prometheus metrics to this file (for node_exporter's textfile collector), replaced atomically every --metrics-interval seconds and at the end.", valueName: "file"), completion: .file())
    var metrics: String?

    @Option(name: .long, help: ArgumentHelp("Live: seconds between two writes of the --metrics file.", valueName: "seconds"))
    var metricsInterval: Double = 10

    @Option(name: .long, help: ArgumentHelp("A name for this sensor (a venue, a LAN): in every JSON record and as the label observer of every metric.", valueName: "name"))
    var observer: String?

    @Option(name: .long, help: ArgumentHelp("Live: stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customShort("Z"), help: ArgumentHelp("Live: drop root privileges to this user right after the capture is opened.", valueName: "user"))
    var user: String?

    @Flag(name: .long, help: "Live: stream plain lines instead of the picture refreshed in place.")
    var noLiveView = false

    @Flag(name: .long, help: "Print the BPF expression peersniff uses on Ethernet, then exit.")
    var printFilter = false

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    func validate() throws {
        if listInterfaces || printFilter { return }
        if read.isEmpty && interface == nil { throw ValidationError("Say what to read: -r FILE, or -i INTERFACE to watch one live.") }
        if !read.isEmpty && interface != nil { throw ValidationError("-r and -i cannot be used together.") }
        if let count, count < 1 { throw ValidationError("-c needs a count of at least 1.") }
        if let duration, !(duration > 0) || !duration.isFinite { throw ValidationError("--duration needs a positive number of seconds.") }
        if duration != nil && interface == nil { throw ValidationError("--duration applies to live capture (-i).") }
        if user != nil && interface == nil { throw ValidationError("-Z applies to live capture (-i).") }
        if read.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input ('-r -') can be read only once.") }
        if !(registryTimeout > 0) || !registryTimeout.isFinite { throw ValidationError("--registry-timeout needs a positive number of seconds.") }
        if !(conflictWindow > 0) || !conflictWindow.isFinite { throw ValidationError("--conflict-window needs a positive number of seconds.") }
        if maxNodes < 2 || maxNodes > Peersniff.maxNodesLimit { throw ValidationError("--max-nodes needs a count from 2 to \(Peersniff.maxNodesLimit).") }
        if !(metricsInterval >= 0.1) || !metricsInterval.isFinite { throw ValidationError("--metrics-interval needs a number of seconds of at least 0.1.") }
        if let observer, observer.utf8.count > 256 { throw ValidationError("--observer needs a name of at most 256 bytes.") }
    }

    /// The most nodes `--max-nodes` keeps: the memory and the metrics file this takes
    /// are in the README ("The node cap").
    static let maxNodesLimit = 65_536

    /// The files named on the command line, as the user named them.
    var inputFiles: [NamedFile] { read.filter { $0 != "-" }.map { NamedFile(option: "-r", path: commandLinePath($0)) } }
    var outputFiles: [NamedFile] {
        [("-o", output.flatMap { $0 == "-" ? nil : $0 }), ("-w", write), ("--write-malformed", writeMalformed),
         ("--metrics", metrics), ("--html", html)]
            .compactMap { option, name in name.map { NamedFile(option: option, path: commandLinePath($0)) } }
    }

    func run() throws {
        // An empty --observer (a service's unset variable) is no observer.
        let observer = observer?.isEmpty == false ? observer : nil
        var options = Options()
        options.port = port
        options.extraFilter = filter
        options.verifyChecksums = verifyChecksums
        options.countLimit = count
        options.writePath = write.map(commandLinePath)
        options.writeMalformedPath = writeMalformed.map(commandLinePath)
        options.append = append

        if printFilter {
            print(discoveryFilter(port: port, extra: filter))
            return
        }
        if listInterfaces {
            listCaptureInterfaces()
            return
        }

        // Before anything is opened for writing: no output on an input or on another
        // output (usage, exit 2), and the files replaced whole can be (exit 1).
        if let message = sameFileMessage(inputs: inputFiles, outputs: outputFiles) { fail(message, status: 2) }
        if let message = unwritableReplacedFile(outputFiles.filter { $0.option == "--metrics" || $0.option == "--html" }) { fail(message) }

        let failures = OutputFailures()
        // -o FILE: the records go to a file (opened before the capture, as -w is).
        let outputPath = output.flatMap { $0 == "-" ? nil : commandLinePath($0) }
        let stream: Output.OutputStream
        if let outputPath {
            let opened = Output.OutputStream.file(outputPath, name: "-o \(outputPath.display)", append: append, failures: failures)
            guard let file = opened.stream else { fail(opened.error ?? "-o: cannot write") }
            stream = file
        } else {
            stream = Output.OutputStream(descriptor: 1, name: "standard output", failures: failures)
        }
        let toTerminal = outputPath == nil && isatty(1) != 0
        let writer: RecordWriter
        let textWriter: TextWriter?
        var reportWriter: MalformedReportWriter? = nil
        if json {
            writer = JSONLinesWriter(stream: stream, quiet: quiet, eventsOnly: events, problemsOnly: malformed, observer: observer)
            textWriter = nil
        } else if malformed {
            reportWriter = MalformedReportWriter(stream: stream, style: useColor ? .ansi : .plain)
            writer = reportWriter!
            textWriter = nil
        } else {
            textWriter = TextWriter(stream: stream, quiet: quiet, eventsOnly: events, style: useColor ? .ansi : .plain)
            writer = textWriter!
        }
        let thresholds = ElectionAnalyzer.Thresholds(registryTimeout: registryTimeout, conflictWindow: conflictWindow)
        let analyzer = ElectionAnalyzer(thresholds: thresholds, maxNodes: maxNodes)
        // On a terminal, live capture shows a picture refreshed in place.
        var liveView: LiveView? = nil
        var activeWriter = writer
        if let interface, textWriter != nil, !quiet, !events, !noLiveView, toTerminal {
            liveView = LiveView(stream: stream, analyzer: analyzer, style: useColor ? .ansi : .plain, title: interface)
            activeWriter = liveView!
        }
        // --html: a recorder beside the output, fed the same records.
        var recorder: TimelineRecorder? = nil
        if html != nil {
            recorder = TimelineRecorder()
            recorder!.nameOf = { analyzer.nodes[$0]?.name }
            activeWriter = RecordFanout(activeWriter, recorder!)
        }
        let htmlPath = html.map(commandLinePath)
        let source = interface.map { "interface \($0)" } ?? read.map { $0 == "-" ? "standard input" : commandLinePath($0).display }.joined(separator: ", ")
        let pipeline = Pipeline(options: options, writer: activeWriter)
        pipeline.failures = failures
        let election = ElectionBridge(analyzer: analyzer, writer: activeWriter, port: port)
        pipeline.consumer = election
        liveView?.diagnosis = election.diagnosis
        textWriter?.nameOf = { analyzer.nodes[$0]?.name }
        reportWriter?.nameOf = { analyzer.nodes[$0]?.name }
        // --metrics: the state as Prometheus reads it, replaced whole each time.
        let metricsPath = metrics.map(commandLinePath)
        let exposition = MetricsExposition(observer: observer, version: peersniffVersion, libpcap: PcapHandle.libraryVersion,
                                           source: source, interval: metricsInterval)
        func writeMetrics(now: Timestamp, report: ElectionReport? = nil) {
            guard let metricsPath else { return }
            let text = exposition.render(summary: pipeline.summary, analyzer: analyzer, engine: election.diagnosis,
                                         report: report ?? election.report(), now: now, written: wallClock())
            if let failure = replaceFile(metricsPath, with: text) {
                failures.record("--metrics \(metricsPath.display)", code: failure.code, cause: failure.cause)
            }
        }
        /// The time the state is read at: live, the wall clock; offline, the capture's last packet.
        func stateTime() -> Timestamp { interface != nil ? wallClock() : (pipeline.summary.lastTime ?? wallClock()) }
        // --html: the page, replaced whole (live, every five seconds).
        func writePage(_ summary: Summary, live: Bool) {
            guard let recorder, let htmlPath else { return }
            let page = HTMLPage.render(recorder: recorder, summary: summary, source: source, live: live)
            if let failure = replaceFile(htmlPath, with: page) {
                failures.record("--html \(htmlPath.display)", code: failure.code, cause: failure.cause)
            }
        }
        // SIGHUP: -o opens its name again, the metrics file is written anew (the -w
        // files are the pipeline's own). Without a file to reopen, SIGHUP ends the run.
        pipeline.onReopen = {
            stream.reopen()
            if metricsPath != nil { writeMetrics(now: stateTime()) }
        }
        if outputPath != nil || metricsPath != nil || write != nil || writeMalformed != nil || html != nil {
            ReopenSignal.install()
        } else {
            unblockHangup()
        }
        var errors: [String] = []
        StatusSignal.install()
        do {
            if let interface {
                var runner = LiveRunner(interface: interface, options: options, duration: duration, dropTo: user)
                runner.flushEachRecord = toTerminal
                var lastPage: Timestamp? = nil
                var lastMetrics: Timestamp? = nil
                runner.onTick = { now in
                    liveView?.redraw(now: now)
                    if metricsPath != nil, lastMetrics.map({ now.seconds(since: $0) >= metricsInterval }) ?? true {
                        lastMetrics = now
                        writeMetrics(now: now)
                    }
                    // The live page, every five seconds.
                    if htmlPath != nil, lastPage.map({ now.seconds(since: $0) >= 5 }) ?? true {
                        lastPage = now
                        var summary = pipeline.summary
                        summary.election = election.report()
                        writePage(summary, live: true)
                    }
                }
                if let failure = try runner.run(pipeline: pipeline) { errors.append(failure) }
            } else {
                var reader = OfflineReader(paths: read.map(commandLinePath), options: options)
                // Progress on a terminal's stderr, when stdout does not stream records to it
                // (-q, --malformed, or output redirected), and never with --json.
                if isatty(2) != 0, !json, quiet || malformed || !toTerminal { reader.progress = ProgressLine() }
                errors = try reader.run(pipeline: pipeline)
            }
        } catch {
            stream.flush()
            fail(error.message, status: error.kind == .badFilter ? 2 : 1)
        }
        if !errors.isEmpty { pipeline.setInputError(errors.joined(separator: "; ")) }
        election.finish()
        var summary = pipeline.summary
        summary.election = election.report()
        writePage(summary, live: false)
        // The metrics at the end: live, as the wall clock stands; offline, as the capture ended.
        writeMetrics(now: stateTime(), report: summary.election)
        summary.outputError = failures.first?.message
        activeWriter.write(summary)
        activeWriter.flush()
        if outputPath != nil { stream.close() }
        // -o failed: the summary goes to standard error rather than nowhere.
        if let failure = failures.first, outputPath != nil, failure.output == stream.name {
            stream.divertToStandardError()
            summary.outputError = failure.message
            activeWriter.write(summary)
            activeWriter.flush()
        }
        // An output that failed ends the run with one line naming it (the summary went
        // to standard output unless that was the one failing).
        if let failure = failures.first {
            for message in errors { printError(message) }
            printError(failure.message)
            Glibc.exit(1)
        }
        if !errors.isEmpty {
            for message in errors { printError(message) }
            Glibc.exit(1)
        }
        if failed(summary) { Glibc.exit(3) }
    }

    /// `-D`: the interfaces, with their addresses and whether they are up.
    func listCaptureInterfaces() {
        do {
            let interfaces = try PcapHandle.interfaces()
            for (index, interface) in interfaces.enumerated() {
                var line = "\(index + 1). \(interface.name)"
                if let description = interface.description { line += " (\(description))" }
                var flags = [interface.isUp ? "up" : "down"]
                if interface.isRunning { flags.append("running") }
                if interface.isLoopback { flags.append("loopback") }
                line += " [" + flags.joined(separator: ", ") + "]"
                if !interface.addresses.isEmpty { line += " " + interface.addresses.joined(separator: " ") }
                print(line)
            }
        } catch {
            fail(error.message)
        }
    }

    /// `--fail-on`: malformed datagrams; or anomalies: a diagnosis of severity
    /// `warning` or `error`.
    func failed(_ summary: Summary) -> Bool {
        if failOn.contains(.malformed), summary.malformed > 0 { return true }
        if failOn.contains(.anomaly), let worst = summary.election?.worstSeverity, worst >= .warning { return true }
        return false
    }

    var useColor: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto:
            if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
            return (output == nil || output == "-") && isatty(1) != 0
        }
    }
}

let peersniffVersion = "0.1.0"

/// `--version`: peersniff's, and the libpcap it runs with.
let versionText = "peersniff \(peersniffVersion)\n\(PcapHandle.libraryVersion)"

/// A file name from the command line as the bytes the user gave: the argument
/// parser sees arguments decoded as UTF-8 (a byte that is not becomes U+FFFD), so the
/// name is found again among the raw arguments (`-r NAME`, `-rNAME`, `--read=NAME`).
func commandLinePath(_ argument: String) -> PathName {
    for index in 1..<Int(CommandLine.argc) {
        guard let pointer = CommandLine.unsafeArgv[index] else { continue }
        let raw = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
        var candidates = [raw[...]]
        if raw.starts(with: Array("--".utf8)), let equals = raw.firstIndex(of: UInt8(ascii: "=")) {
            candidates.append(raw[(equals + 1)...])
        } else if raw.count > 2, raw[0] == UInt8(ascii: "-"), raw[1] != UInt8(ascii: "-") {
            candidates.append(raw[2...])
        }
        for candidate in candidates where String(decoding: candidate, as: UTF8.self) == argument {
            return PathName(bytes: Array(candidate))
        }
    }
    return PathName(argument)
}

func printError(_ message: String) {
    let line = "peersniff: \(terminalSafe(message, quoting: false))\n"
    writeStandardError(line)
}

func fail(_ message: String, status: Int32 = 1) -> Never {
    printError(message)
    exit(status)
}

// Usage errors exit 2, as tcpdump's do (ArgumentParser's own default is 64), and
// what they echo (a stray file name, a bad value) is made terminal-safe first.
do {
    var command = try Peersniff.parseAsRoot()
    try command.run()
} catch {
    let code = Peersniff.exitCode(for: error)
    let message = Peersniff.fullMessage(for: error)
    if code == .success {
        // --help and --version: our own text.
        print(message)
        exit(0)
    }
    let safe = message.split(separator: "\n", omittingEmptySubsequences: false)
        .map { terminalSafe(String($0), quoting: false) }.joined(separator: "\n")
    writeStandardError(safe + "\n")
    exit(code == .validationFailure ? 2 : code.rawValue)
}
