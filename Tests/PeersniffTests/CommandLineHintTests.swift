import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// The mistakes a tcpdump user makes on peersniff's command line get a usage error
/// (exit 2) that says what to type instead, before anything is read or written; no
/// two views of the records are taken with one silently dropped; -i completes the
/// machine's interfaces in bash, zsh and fish.
@Suite("Command line hints")
struct CommandLineHintTests {
    static let capture = Paths.fixture("boot3/bridge.pcap")

    @Test("a usage error that says what to type", arguments: [
        (["-r", capture, "other.pcap"], "repeat -r before each: -r \(capture) -r other.pcap"),
        (["eth0"], "-i eth0"),
        (["-r", capture, "--registry-timeout", "-1"], "--registry-timeout needs a positive number"),
        (["-r", capture, "--conflict-window", "-0.5"], "--conflict-window needs a positive number"),
        (["-r", capture, "--max-nodes", "-3"], "--max-nodes needs a count from 2"),
        (["-r", capture, "-c", "-1"], "-c needs a count of at least 1"),
        (["-r", capture, "-q", "--events"], "-q and --events are different views"),
        (["-r", capture, "--events", "--malformed"], "--events and --malformed are different views"),
        (["-r", capture, "--json", "-q", "--events"], "-q and --events are different views"),
        (["-r", capture, "--json", "-q", "--malformed"], "-q and --malformed are different views"),
        (["-r", capture, "--node", "10.37.0"], "--node needs an IPv4 address"),
        (["-r", capture, "--type", "HALLO"], "'HALLO' is not a kind of record"),
        (["-r", capture, "--since", "25:00"], "--since needs a clock time"),
        (["-r", capture, "--until", "+-3"], "--until needs a clock time"),
    ])
    func usageError(arguments: [String], says expected: String) throws {
        let run = try runPeersniff(arguments)
        #expect(run.status == 2, "\(arguments): exit \(run.status)")
        #expect(run.stderr.contains(expected), "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(arguments): nothing is read before the usage is right")
    }

    /// peersniff's completion script for `shell`, written to a temporary file (removed by the caller).
    static func completionScript(_ shell: String, name: String) throws -> (text: String, file: URL) {
        let script = try runPeersniff(["--generate-completion-script", shell])
        try #require(script.status == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())")
        try Data(script.stdout.utf8).write(to: file)
        return (script.stdout, file)
    }

    /// What the kernel has, as `ip link` and tcpdump -D see it.
    static var interfaces: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []).sorted()
    }

    @Test("-i completes the interfaces in bash", .enabled(if: toolAvailable("bash")))
    func bashCompletesInterfaces() throws {
        let (_, file) = try Self.completionScript("bash", name: "peersniff-completion.bash")
        defer { try? FileManager.default.removeItem(at: file) }
        // What bash does on `peersniff -i <TAB>`: the function the script registered, with
        // the words so far.
        let run = try runProgram(try toolPath("bash"), ["-c", """
            source '\(file.path)'
            COMP_WORDS=(peersniff -i ""); COMP_CWORD=2; COMP_LINE="peersniff -i "; COMP_POINT=${#COMP_LINE}
            _peersniff peersniff "" -i
            printf '%s\\n' "${COMPREPLY[@]}"
            """])
        #expect(run.status == 0, "\(run.stderr)")
        let offered = Set(run.stdout.split(separator: "\n").map(String.init))
        #expect(!Self.interfaces.isEmpty)
        for interface in Self.interfaces + ["any"] { #expect(offered.contains(interface), "bash does not offer \(interface): \(offered)") }
    }

    @Test("-i completes the interfaces in fish", .enabled(if: toolAvailable("fish")))
    func fishCompletesInterfaces() throws {
        let (_, file) = try Self.completionScript("fish", name: "peersniff-completion.fish")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try runProgram(try toolPath("fish"), ["--no-config", "-c", "source '\(file.path)'; complete -C 'peersniff -i '"])
        #expect(run.status == 0, "\(run.stderr)")
        // "eth0<TAB>Watch this interface live (or 'any')."
        let offered = Set(run.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") })
        for interface in Self.interfaces + ["any"] { #expect(offered.contains(interface), "fish does not offer \(interface): \(offered)") }
    }

    /// zsh completes only inside its line editor; here: the script loads in a zsh with
    /// compinit, and the list its -i spec evaluates is the interfaces.
    @Test("-i completes the interfaces in zsh", .enabled(if: toolAvailable("zsh")))
    func zshCompletesInterfaces() throws {
        let (script, file) = try Self.completionScript("zsh", name: "_peersniff")
        defer { try? FileManager.default.removeItem(at: file) }
        let load = try runProgram(try toolPath("zsh"), ["-f", "-c", "autoload -U compinit && compinit -u -D && source '\(file.path)' && echo loaded"])
        #expect(load.status == 0 && load.stdout.contains("loaded"), "\(load.stderr)")
        // The -i spec's list, evaluated as zsh would.
        let spec = script.split(separator: "\n").first { $0.contains("'-i[") }.map(String.init) ?? ""
        let command = spec.range(of: #"\$\(([^)]*)\)"#, options: .regularExpression).map { String(spec[$0].dropFirst(2).dropLast()) } ?? ""
        try #require(!command.isEmpty, "no command in the -i spec: \(spec)")
        let listed = try runProgram(try toolPath("zsh"), ["-f", "-c", command])
        let offered = Set(listed.stdout.split(separator: "\n").map(String.init))
        for interface in Self.interfaces + ["any"] { #expect(offered.contains(interface), "zsh does not offer \(interface): \(offered)") }
    }
}
