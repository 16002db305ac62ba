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

/// The command line: tcpdump's habits (CONTRACT.md), its options in three groups as
/// the man page has them. This file only parses arguments; `Session` builds the
/// outputs and runs the capture.
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

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Display") var display: DisplayOptions
    @OptionGroup(title: "Analysis") var analysis: AnalysisOptions

    /// Words with no option before them: a second file after one -r, most likely.
    @Argument(help: .hidden) var stray: [String] = []

    func validate() throws {
        if let word = stray.first {
            if !input.read.isEmpty {
                throw ValidationError("'\(word)': to read several files, repeat -r before each: -r \(input.read[0]) -r \(word)")
            }
            throw ValidationError("'\(word)' is not an option: to read a capture, -r \(word); to watch an interface, -i \(word).")
        }
        if input.listInterfaces || output.printFilter { return }
        if input.read.isEmpty && input.interface == nil { throw ValidationError("Say what to read: -r FILE, or -i INTERFACE to watch one live.") }
        // One view of the records at a time: none silently dropped.
        let views = [("-q", output.quiet), ("--events", output.events), ("--malformed", output.malformed)].filter(\.1).map(\.0)
        if views.count > 1 {
            throw ValidationError("\(views.joined(separator: " and ")) are different views (only the summary, only the events, only the malformed report): choose one. --json with no view gives every kind of record, for jq to choose.")
        }
    }

    /// What the pipeline needs of the options.
    var pipelineOptions: Options {
        var options = Options()
        options.port = input.port
        options.extraFilter = input.filter
        options.verifyChecksums = input.verifyChecksums
        options.countLimit = input.count
        options.dropDuplicates = input.read.count > 1 && !input.keepDuplicates
        return options
    }

    func run() throws {
        if output.printFilter { return print(discoveryFilter(port: input.port, extra: input.filter)) }
        if input.listInterfaces { return listCaptureInterfaces() }
        // Before anything is opened for writing: no output on an input or on another
        // output (usage, exit 2), and the files replaced whole can be (exit 1).
        if let message = sameFileMessage(inputs: input.files, outputs: output.files) { fail(message, status: 2) }
        if let message = unwritableReplacedFile(output.files.filter { $0.option == "--metrics" || $0.option == "--html" }) { fail(message) }
        let session = Session(self)
        // SIGHUP opens the file outputs again; without one it ends the run as usual.
        if output.hasFileOutput { ReopenSignal.install() } else { unblockHangup() }
        StatusSignal.install()
        session.end(session.capture())
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
