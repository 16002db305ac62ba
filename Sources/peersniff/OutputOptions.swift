import ArgumentParser
import Output
#if canImport(Glibc)
import Glibc
#endif

/// What to write, where, and how it looks.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "JSON Lines on standard output instead of text.")
    var json = false

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the records (text or --json) to this file instead of standard output ('-'); SIGHUP opens it again (log rotation).", valueName: "file"), completion: .file())
    var output: String?

    @Flag(name: .long, help: "-o, -w and --write-malformed add to the files already there (a pcap file of the same link type) instead of starting them anew: a service that restarts keeps what it wrote.")
    var append = false

    @Option(name: .long, help: ArgumentHelp("A name for this sensor (a venue, a LAN): in every JSON record and as the label observer of every metric.", valueName: "name"))
    var observer: String?

    @Flag(name: [.customShort("q"), .long], help: "Print only the summary at the end.")
    var quiet = false

    @Flag(name: .long, help: "Print only the election events (and the summary).")
    var events = false

    @Flag(name: [.customShort("v"), .long], help: "Show everything: every peer of a FULL (the first few without it), every malformed record in full with its whole hex dump (repeats folded without it).")
    var verbose = false

    @Flag(name: .long, help: "Print only the malformed-frame report: every malformed datagram and frame with warnings, with a marked hex dump, then tallies by code and source.")
    var malformed = false

    @Option(name: .customShort("w"), help: ArgumentHelp("Also save every matched packet (all fragments of a frame) to this pcap file.", valueName: "file"), completion: .file())
    var write: String?

    @Option(name: .long, help: ArgumentHelp("Save the packets behind malformed records and frames with warnings to this pcap file.", valueName: "file"), completion: .file())
    var writeMalformed: String?

    @Option(name: .long, help: ArgumentHelp("Also write the election timeline as one self-contained HTML page (live: rewritten every few seconds).", valueName: "file"), completion: .file())
    var html: String?

    @Option(name: .long, help: ArgumentHelp("Also write Prometheus metrics to this file (for node_exporter's textfile collector), replaced atomically every --metrics-interval seconds and at the end.", valueName: "file"), completion: .file())
    var metrics: String?

    @Option(name: .long, help: ArgumentHelp("Live: seconds between two writes of the --metrics file.", valueName: "seconds"))
    var metricsInterval: Double = 10

    @Option(name: .long, help: ArgumentHelp("Colour the text output: auto, always or never (NO_COLOR is honoured).", valueName: "when"))
    var color: ColorChoice = .auto

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @Flag(name: .long, help: "Live: stream plain lines instead of the picture refreshed in place.")
    var noLiveView = false

    @Flag(name: .long, help: "Print the BPF expression peersniff uses on Ethernet, then exit.")
    var printFilter = false

    func validate() throws {
        if !(metricsInterval >= 0.1) || !metricsInterval.isFinite { throw ValidationError("--metrics-interval needs a number of seconds of at least 0.1.") }
        if let observer, observer.utf8.count > 256 { throw ValidationError("--observer needs a name of at most 256 bytes.") }
    }

    /// An empty --observer (a service's unset variable) is no observer.
    var observerName: String? { observer?.isEmpty == false ? observer : nil }

    /// -o FILE, as the user named it (nil: standard output).
    var outputPath: PathName? { output.flatMap { $0 == "-" ? nil : commandLinePath($0) } }

    /// The files written, as the user named them.
    var files: [NamedFile] {
        [("-o", output.flatMap { $0 == "-" ? nil : $0 }), ("-w", write), ("--write-malformed", writeMalformed),
         ("--metrics", metrics), ("--html", html)]
            .compactMap { option, name in name.map { NamedFile(option: option, path: commandLinePath($0)) } }
    }

    /// Any file output that SIGHUP opens again.
    var hasFileOutput: Bool { outputPath != nil || metrics != nil || write != nil || writeMalformed != nil || html != nil }

    var useColor: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto:
            if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
            return (output == nil || output == "-") && isatty(1) != 0
        }
    }

    var style: TextStyle { useColor ? .ansi : .plain }
}
