import ArgumentParser
import PeersniffCore

/// What to read: files or an interface, which packets, for how long.
struct InputOptions: ParsableArguments {
    @Option(name: .customShort("r"), help: ArgumentHelp("Read a pcap or pcapng file; '-' reads standard input. Repeat to merge several files by timestamp.", valueName: "file"), completion: .file())
    var read: [String] = []

    /// Completed from the kernel's interfaces (bash, zsh and fish), as tcpdump's -i.
    @Option(name: .customShort("i"), help: ArgumentHelp("Watch this interface live (or 'any').", valueName: "interface"),
            completion: .shellCommand("ls /sys/class/net 2>/dev/null; echo any"))
    var interface: String?

    @Flag(name: .customShort("D"), help: "List the interfaces that can be watched, then exit.")
    var listInterfaces = false

    @Option(name: .long, help: "The discovery port.")
    var port: UInt16 = 37020

    @Option(name: .customShort("f"), help: ArgumentHelp("An extra BPF expression, ANDed with peersniff's own filter.", valueName: "expression"))
    var filter: String?

    @Option(name: .customShort("c"), parsing: .unconditional, help: ArgumentHelp("Stop after this many discovery datagrams.", valueName: "count"))
    var count: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Live: stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customShort("Z"), help: ArgumentHelp("Live: drop root privileges to this user right after the capture is opened.", valueName: "user"))
    var user: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Check UDP checksums (offloaded ones are recognised, not errors).")
    var verifyChecksums = true

    @Flag(name: .long, help: "With several -r files: analyse the same datagram seen in two of them (two views of one LAN) twice. By default it is analysed once and counted as a duplicate.")
    var keepDuplicates = false

    func validate() throws {
        if !read.isEmpty && interface != nil { throw ValidationError("-r and -i cannot be used together.") }
        if let count, count < 1 { throw ValidationError("-c needs a count of at least 1.") }
        if let duration, !(duration > 0) || !duration.isFinite { throw ValidationError("--duration needs a positive number of seconds.") }
        if duration != nil && interface == nil { throw ValidationError("--duration applies to live capture (-i).") }
        if user != nil && interface == nil { throw ValidationError("-Z applies to live capture (-i).") }
        if read.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input ('-r -') can be read only once.") }
    }

    /// The files named with -r, as the user named them.
    var files: [NamedFile] { read.filter { $0 != "-" }.map { NamedFile(option: "-r", path: commandLinePath($0)) } }

    /// What was read, in words (the page and the metrics name it).
    var source: String {
        interface.map { "interface \($0)" } ?? read.map { $0 == "-" ? "standard input" : commandLinePath($0).display }.joined(separator: ", ")
    }
}
