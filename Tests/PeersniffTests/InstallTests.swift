import Analyzer
import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// scripts/install.sh, as a user runs it: into a temporary prefix, the binary, the
/// manual page and the generated completions; again (nothing changes); then
/// --uninstall, which leaves the prefix as it was. --setcap, where the machine allows.
@Suite("Install", .serialized)
struct InstallTests {
    static let script = Paths.root.appendingPathComponent("scripts/install.sh").path

    /// The files installed under a prefix, as install.sh names them.
    static let installedFiles = [
        "bin/peersniff",
        "share/man/man1/peersniff.1",
        "share/bash-completion/completions/peersniff",
        "share/zsh/site-functions/_peersniff",
        "share/fish/vendor_completions.d/peersniff.fish",
    ]

    /// The sections peersniff(1) must have, as groff prints their headings.
    static let manSections = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "DIAGNOSES", "EXIT STATUS", "EXAMPLES", "FILES", "SEE ALSO"]

    @Test("install.sh puts a working binary, a clean man page and completions under the prefix; again changes nothing; --uninstall leaves the prefix as it was",
          .enabled(if: toolAvailable("groff"), "groff renders the man page"))
    func installAndUninstall() throws {
        let prefix = try Self.makePrefix()
        defer { try? FileManager.default.removeItem(at: prefix) }
        // Something of someone else's already there, in a folder install also uses.
        let other = prefix.appendingPathComponent("share/man/man1/other.1")
        try FileManager.default.createDirectory(at: other.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(".TH OTHER 1\n".utf8).write(to: other)
        let before = try Self.listing(prefix)

        let install = try Self.runScript(["--prefix", prefix.path])
        try #require(install.status == 0, "install.sh failed:\n\(install.stdout)\n\(install.stderr)")
        for file in Self.installedFiles {
            let path = prefix.appendingPathComponent(file).path
            #expect(FileManager.default.fileExists(atPath: path), "\(file) is missing")
            #expect(install.stdout.contains("installed \(path)"), "install.sh does not say it installed \(file)")
        }

        // The binary runs, and is the version this checkout builds.
        let binary = prefix.appendingPathComponent("bin/peersniff").path
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        let version = try runProgram(binary, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == (try runPeersniff(["--version"])).stdout)
        #expect(!version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        // The last line says what was installed where, on one line: the version's first
        // line ("peersniff 0.1.0"), not its libpcap line run into the sentence.
        let firstVersionLine = version.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let lastLine = install.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine == "installed \(firstVersionLine) under \(prefix.path): try 'peersniff --help' or 'man peersniff'")

        // The manifest names every installed file and the folders install created.
        let manifest = try String(contentsOfFile: prefix.appendingPathComponent("share/peersniff/install-manifest").path, encoding: .utf8)
        let lines = manifest.split(separator: "\n").map(String.init)
        for file in Self.installedFiles { #expect(lines.contains(prefix.appendingPathComponent(file).path)) }
        #expect(lines.contains(prefix.path + "/bin/"))
        #expect(!lines.contains(prefix.path + "/share/man/"), "share/man was there before: not install's to remove")

        try checkManPage(prefix.appendingPathComponent("share/man/man1/peersniff.1").path, binary: binary)
        try checkBashCompletion(prefix.appendingPathComponent("share/bash-completion/completions/peersniff").path)
        let zsh = try String(contentsOfFile: prefix.appendingPathComponent("share/zsh/site-functions/_peersniff").path, encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef peersniff"))
        #expect(zsh.contains("--color"))
        let fish = try String(contentsOfFile: prefix.appendingPathComponent("share/fish/vendor_completions.d/peersniff.fish").path, encoding: .utf8)
        #expect(fish.contains("peersniff"))
        #expect(fish.contains("color"))
        for (shell, file) in [("zsh", "share/zsh/site-functions/_peersniff"), ("fish", "share/fish/vendor_completions.d/peersniff.fish")] where toolAvailable(shell) {
            let check = try runProgram(Self.which(shell), ["-n", prefix.appendingPathComponent(file).path])
            #expect(check.status == 0, "\(shell) -n: \(check.stderr)")
        }

        // Idempotent: a second install leaves every file as it was and says so.
        let installed = try Self.listing(prefix)
        let again = try Self.runScript(["--prefix", prefix.path])
        try #require(again.status == 0, "second install failed:\n\(again.stdout)\n\(again.stderr)")
        for file in Self.installedFiles {
            #expect(again.stdout.contains("unchanged \(prefix.appendingPathComponent(file).path)"))
        }
        #expect(!again.stdout.contains("created folder"))
        #expect(try Self.listing(prefix) == installed)

        // --uninstall: the prefix exactly as before install (names, kinds, modes).
        let uninstall = try Self.runScript(["--uninstall", "--prefix", prefix.path])
        #expect(uninstall.status == 0, "\(uninstall.stdout)\n\(uninstall.stderr)")
        #expect(try Self.listing(prefix) == before)
        #expect(FileManager.default.fileExists(atPath: other.path))
        // And again: nothing left to do, not an error.
        let twice = try Self.runScript(["--uninstall", "--prefix", prefix.path])
        #expect(twice.status == 0)
        #expect(twice.stdout.contains("nothing to uninstall"))
        #expect(try Self.listing(prefix) == before)
    }

    @Test("--setcap grants cap_net_raw and cap_net_admin, so a user who is not root captures live; --uninstall cleans up",
          .enabled(if: getuid() == 0 && toolAvailable("setcap") && toolAvailable("getcap"), "setcap needs root and libcap2-bin"))
    func setcap() throws {
        let prefix = try Self.makePrefix()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let before = try Self.listing(prefix)
        let install = try Self.runScript(["--prefix", prefix.path, "--setcap"])
        try #require(install.status == 0, "install.sh --setcap failed:\n\(install.stdout)\n\(install.stderr)")
        let binary = prefix.appendingPathComponent("bin/peersniff").path
        let caps = try runProgram(Self.which("getcap"), [binary])
        #expect(caps.stdout.contains("cap_net_admin,cap_net_raw"), "getcap: \(caps.stdout)")
        #expect(caps.stdout.contains("eip"), "getcap: \(caps.stdout)")

        // With the capabilities, nobody watches the loopback interface for a moment.
        if toolAvailable("runuser") {
            let live = try runProgram(Self.which("runuser"), ["-u", "nobody", "--", binary, "-i", "lo", "--duration", "0.3", "-q", "--color", "never"])
            #expect(live.status == 0, "live capture as nobody: \(live.stderr)")
        }

        // The same again: nothing to do.
        let again = try Self.runScript(["--prefix", prefix.path, "--setcap"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("unchanged capabilities"))
        // Without --setcap, the capabilities go.
        let plain = try Self.runScript(["--prefix", prefix.path])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("removed capabilities"))
        #expect(try runProgram(Self.which("getcap"), [binary]).stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)

        let uninstall = try Self.runScript(["--uninstall", "--prefix", prefix.path])
        #expect(uninstall.status == 0)
        #expect(try Self.listing(prefix) == before)
    }

    @Test("install.sh refuses unknown arguments with status 2, and --uninstall removes nothing a damaged manifest names outside the prefix")
    func refusals() throws {
        let bad = try Self.runScript(["--bogus"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("usage:"))

        let prefix = try Self.makePrefix()
        let outside = try Self.makePrefix()
        defer {
            try? FileManager.default.removeItem(at: prefix)
            try? FileManager.default.removeItem(at: outside)
        }
        let victim = outside.appendingPathComponent("keep")
        try Data("keep".utf8).write(to: victim)
        let mine = prefix.appendingPathComponent("bin/peersniff")
        try FileManager.default.createDirectory(at: mine.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data().write(to: mine)
        let manifest = prefix.appendingPathComponent("share/peersniff/install-manifest")
        try FileManager.default.createDirectory(at: manifest.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("\(mine.path)\n\(victim.path)\n\(prefix.path)/bin/../../\(outside.lastPathComponent)/keep\n".utf8).write(to: manifest)

        let uninstall = try Self.runScript(["--uninstall", "--prefix", prefix.path])
        #expect(uninstall.status == 0)
        #expect(!FileManager.default.fileExists(atPath: mine.path))
        #expect(!FileManager.default.fileExists(atPath: manifest.path))
        #expect(FileManager.default.fileExists(atPath: victim.path))
        #expect(uninstall.stderr.contains("left alone"))
    }

    @Test("--wireshark puts the dissector in $HOME's personal Wireshark plugin folder, where tshark loads it; an install without it and --uninstall take it away",
          .enabled(if: toolAvailable("tshark"), "tshark loads the installed dissector"))
    func wireshark() throws {
        let prefix = try Self.makePrefix()
        let home = try Self.makePrefix()
        defer {
            try? FileManager.default.removeItem(at: prefix)
            try? FileManager.default.removeItem(at: home)
        }
        // HOME is the test's: the dissector goes to $HOME/.local/lib/wireshark/plugins.
        var environment = ProcessInfo.processInfo.environment
        environment["PEERSNIFF_BUILD_FLAGS"] = "--ignore-lock"
        environment["HOME"] = home.path
        environment["SUDO_USER"] = nil
        environment["PEERSNIFF_WIRESHARK_PLUGINS"] = nil
        func run(_ arguments: [String]) throws -> RunResult {
            try runProgram("/bin/bash", [Self.script] + arguments, environment: environment)
        }
        let plugins = home.appendingPathComponent(".local/lib/wireshark/plugins")
        let plugin = plugins.appendingPathComponent("peersniff-discovery.lua").path
        let source = Paths.root.appendingPathComponent("contrib/wireshark/peersniff-discovery.lua").path
        // Someone else's plugin, in a folder the dissector does not use, and a prefix listing.
        let other = home.appendingPathComponent(".local/lib/wireshark/other/other.lua")
        try FileManager.default.createDirectory(at: other.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("-- not ours\n".utf8).write(to: other)
        let before = try Self.listing(prefix)

        let install = try run(["--prefix", prefix.path, "--wireshark"])
        try #require(install.status == 0, "install.sh --wireshark failed:\n\(install.stdout)\n\(install.stderr)")
        #expect(install.stdout.contains("installed \(plugin)"))
        #expect(FileManager.default.contents(atPath: plugin) == FileManager.default.contents(atPath: source), "not the dissector's bytes")
        let manifest = try String(contentsOfFile: prefix.appendingPathComponent("share/peersniff/install-manifest").path, encoding: .utf8)
        let lines = manifest.split(separator: "\n").map(String.init)
        #expect(lines.contains(plugin))
        #expect(lines.contains(plugins.path + "/"), "the plugin folder it created is not in the manifest")
        #expect(!lines.contains(home.appendingPathComponent(".local/lib/wireshark").path + "/"), ".local/lib/wireshark was there before")
        // The last line is still the install's sentence.
        #expect(install.stdout.split(separator: "\n").last?.hasPrefix("installed peersniff") == true)

        // tshark, with that HOME and no -X, has the dissector: it reads every-code.pcap as peersniff does.
        let tshark = try runProgram(try toolPath("tshark"), ["-r", EveryCodeFixture.path, "-Y", "discovery", "-T", "fields", "-e", "frame.number"],
                                    environment: ["HOME": home.path, "PATH": environment["PATH"] ?? "/usr/bin:/bin"])
        let expected = (try runPeersniff(["-r", EveryCodeFixture.path, "--json"])).datagramRecords
            .filter { $0["reason"] as? String != "incomplete-fragments" }.compactMap { $0["n"] as? Int }
        #expect(tshark.stdout.split(separator: "\n").compactMap { Int($0) } == expected, "tshark: \(tshark.stderr)")
        // Installed and given with -X: the installed copy is used, and the other says so.
        let both = try runProgram(try toolPath("tshark"), ["-X", "lua_script:\(source)", "-r", EveryCodeFixture.path, "-Y", "discovery",
                                                          "-T", "fields", "-e", "frame.number"],
                                  environment: ["HOME": home.path, "PATH": environment["PATH"] ?? "/usr/bin:/bin"])
        #expect(both.stderr.contains("already loaded from \(plugin)"), "tshark: \(both.stderr)")
        #expect(!both.stderr.contains("Lua: Error"), "tshark: \(both.stderr)")
        #expect(both.stdout.split(separator: "\n").compactMap { Int($0) } == expected)

        // Again: unchanged. Without --wireshark: the dissector and its folders go.
        let again = try run(["--prefix", prefix.path, "--wireshark"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("unchanged \(plugin)"))
        let without = try run(["--prefix", prefix.path])
        #expect(without.status == 0, "\(without.stdout)\n\(without.stderr)")
        #expect(without.stdout.contains("removed \(plugin) (no longer installed)"))
        #expect(!FileManager.default.fileExists(atPath: plugins.path))
        #expect(FileManager.default.fileExists(atPath: other.path))
        let afterWithout = try String(contentsOfFile: prefix.appendingPathComponent("share/peersniff/install-manifest").path, encoding: .utf8)
        #expect(!afterWithout.contains(home.path), "the manifest still names the plugin folders:\n\(afterWithout)")

        // --wireshark again, then --uninstall: the prefix as before, the dissector and its folder gone, the other plugin kept.
        #expect(try run(["--prefix", prefix.path, "--wireshark"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: plugin))
        let uninstall = try run(["--uninstall", "--prefix", prefix.path])
        #expect(uninstall.status == 0, "\(uninstall.stdout)\n\(uninstall.stderr)")
        #expect(uninstall.stdout.contains("removed \(plugin)"))
        #expect(uninstall.stderr.isEmpty, "\(uninstall.stderr)")
        #expect(!FileManager.default.fileExists(atPath: plugins.path))
        #expect(FileManager.default.fileExists(atPath: other.path))
        #expect(try Self.listing(prefix) == before)
        // --wireshark with --uninstall is a usage error.
        #expect(try run(["--uninstall", "--wireshark", "--prefix", prefix.path]).status == 2)

        // A damaged manifest: only a file of the dissector's name in a .../wireshark/plugins
        // folder is the dissector's; another plugin, or the name elsewhere, is left alone.
        let lookalike = other.deletingLastPathComponent().appendingPathComponent("peersniff-discovery.lua")
        try Data("-- not ours either\n".utf8).write(to: lookalike)
        let damaged = prefix.appendingPathComponent("share/peersniff/install-manifest")
        try FileManager.default.createDirectory(at: damaged.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("\(other.path)\n\(lookalike.path)\n\(plugins.path)/../other/other.lua\n".utf8).write(to: damaged)
        let refused = try run(["--uninstall", "--prefix", prefix.path])
        #expect(refused.status == 0)
        #expect(refused.stderr.contains("left alone"))
        #expect(FileManager.default.fileExists(atPath: other.path))
        #expect(FileManager.default.fileExists(atPath: lookalike.path))
    }

    // MARK: The man page

    /// groff -ww renders it with no warning; it has the sections and names every option
    /// of the command, as the binary describes itself.
    func checkManPage(_ page: String, binary: String) throws {
        // -P-cbu: plain text, no bold or underline.
        let rendered = try runProgram(Self.which("groff"), ["-ww", "-man", "-Tutf8", "-P-cbu", page])
        #expect(rendered.status == 0)
        #expect(rendered.stderr.isEmpty, "groff -ww warns:\n\(rendered.stderr)")
        let text = rendered.stdout
        for section in Self.manSections {
            #expect(text.contains("\n\(section)\n"), "no \(section) section")
        }
        // DIAGNOSES lists every code the analyzer can give, with its severity.
        let diagnoses = text.components(separatedBy: "\nDIAGNOSES\n").last?.components(separatedBy: "\nEXIT STATUS\n").first ?? ""
        for code in DiagnosisCode.allCases {
            #expect(diagnoses.contains("\n       \(code.rawValue) (\(code.severity.rawValue))\n"), "DIAGNOSES lacks \(code.rawValue)")
        }
        for reference in ["tcpdump(8)", "tshark(1)", "pcap-filter(7)"] {
            #expect(text.contains(reference), "SEE ALSO lacks \(reference)")
        }
        // Every option of the command, from the parser's own description of it.
        let dump = try runProgram(binary, ["--experimental-dump-help"])
        try #require(dump.status == 0)
        let options = Self.optionNames(dump.stdout)
        #expect(options.contains("--color") && options.contains("-r") && options.contains("--fail-on"))
        // Each has an entry of its own under OPTIONS: a line that starts with it, or
        // with its other spellings first ("       -q, --quiet").
        let optionsSection = text.components(separatedBy: "\nOPTIONS\n").last?.components(separatedBy: "\nEXIT STATUS\n").first ?? ""
        for option in options {
            let entry = "\n {7}(\\S+, )*\(NSRegularExpression.escapedPattern(for: option))[ ,\n]"
            #expect(optionsSection.range(of: entry, options: .regularExpression) != nil, "OPTIONS has no entry for \(option)")
        }
        for status in ["0", "1", "2", "3"] {
            #expect(text.range(of: "\n {7}\(status) ", options: .regularExpression) != nil, "EXIT STATUS lacks \(status)")
        }
        if toolAvailable("man") {
            let man = try runProgram(Self.which("man"), ["--warnings", "-l", page], environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "MANWIDTH": "80", "LANG": "C.UTF-8"])
            #expect(man.status == 0)
            #expect(man.stderr.isEmpty, "man --warnings:\n\(man.stderr)")
        }
    }

    /// The option names (`-r`, `--color`, `--no-verify-checksums`) in
    /// `--experimental-dump-help`, leaving out the built-in help and version.
    static func optionNames(_ json: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let command = object["command"] as? [String: Any],
              let arguments = command["arguments"] as? [[String: Any]] else { return [] }
        var names: [String] = []
        for argument in arguments where (argument["shouldDisplay"] as? Bool) != false {
            for name in argument["names"] as? [[String: Any]] ?? [] {
                guard let kind = name["kind"] as? String, let value = name["name"] as? String else { continue }
                names.append(kind == "short" ? "-\(value)" : "--\(value)")
            }
        }
        return names
    }

    // MARK: The bash completion

    /// Sourced into bash: it registers itself for peersniff, completes `--co` to
    /// `--color` (and `--col` to it alone), and offers the values of --color.
    func checkBashCompletion(_ file: String) throws {
        let program = """
            source "$1"
            complete -p peersniff
            reply() {
                COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                _peersniff peersniff "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                echo "${COMPREPLY[*]}"
            }
            reply peersniff --co
            reply peersniff --col
            reply peersniff --color ''
            reply peersniff -r x.pcap --color a
            reply peersniff --fail-on ''
            """
        let run = try runProgram("/bin/bash", ["--norc", "--noprofile", "-c", program, "bash", file])
        #expect(run.status == 0, "bash: \(run.stderr)")
        #expect(run.stderr.isEmpty, "bash: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(lines.count >= 6, "bash printed: \(run.stdout)")
        #expect(lines[0].hasPrefix("complete ") && lines[0].hasSuffix(" peersniff") && lines[0].contains("-F _peersniff"))
        #expect(lines[1].split(separator: " ").contains("--color"))
        #expect(lines[2] == "--color")
        #expect(lines[3] == "auto always never")
        #expect(lines[4] == "auto always")
        #expect(lines[5] == "malformed anomaly")
    }

    // MARK: Helpers

    /// A fresh, empty prefix any user can walk through (runuser -u nobody runs from it).
    static func makePrefix() throws -> URL {
        let prefix = Paths.temporaryFolder()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: prefix.path)
        return prefix
    }

    /// Every path under a folder with its kind and mode, sorted.
    static func listing(_ folder: URL) throws -> [String] {
        let run = try runProgram(which("find"), [folder.path, "-mindepth", "1", "-printf", "%P %y %m\n"])
        #expect(run.status == 0)
        return run.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// Runs install.sh. Its `swift build` passes --ignore-lock: `swift test` holds the
    /// package's .build lock while the tests run (a build waiting for it never ends).
    static func runScript(_ arguments: [String]) throws -> RunResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PEERSNIFF_BUILD_FLAGS"] = "--ignore-lock"
        return try runProgram("/bin/bash", [script] + arguments, environment: environment)
    }

    /// The full path of a program on PATH (or in the sbin folders, where setcap lives).
    static func which(_ name: String) -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        return "/usr/bin/\(name)"
    }
}
