import Foundation
import Testing
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// contrib/: the Prometheus alerting rules and the systemd unit, as an operator
/// installs them. promtool checks the rules and runs their unit tests; each alert's
/// cases are shown to depend on the alert (a renamed alert, or one that always fires,
/// makes them fail). systemd-analyze verifies the unit; its privileges and sandbox are
/// read line by line; and its command line runs under its credentials, with every
/// system call it makes inside the unit's SystemCallFilter.
///
/// promtool (Debian package prometheus) and systemd-analyze (systemd) are required,
/// not optional: scripts/setup.sh installs them, and a missing one fails the test.
@Suite("Contrib: alerting rules and the systemd unit")
struct ContribTests {
    static let rulesPath = Paths.root.appendingPathComponent("contrib/prometheus/peersniff-rules.yml").path
    static let ruleTestsPath = Paths.root.appendingPathComponent("contrib/prometheus/peersniff-rules.test.yml").path
    static let unitPath = Paths.root.appendingPathComponent("contrib/systemd/peersniff@.service").path

    /// The alerts the rules must have, and what each expression must be made of: the
    /// series it watches and peersniff's own threshold metrics (never fixed seconds).
    static let requiredAlerts: [(name: String, fragments: [String])] = [
        ("PeersniffNoRegistryAnswer", ["peersniff_registry_answer_wait_seconds", "> ignoring(address, name) group_left()",
                                       "(5 * peersniff_registry_timeout_seconds)"]),
        ("PeersniffSplitBrain", [#"peersniff_open_incident_info{code="split-brain"}"#]),
        ("PeersniffDesktopRegistry", [#"peersniff_open_incident_info{code="desktop-registry"}"#]),
        ("PeersniffAddressFlood", ["(peersniff_addresses_beyond_cap_total["]),
        ("PeersniffKernelDrops", ["increase(peersniff_kernel_dropped_total["]),
        ("PeersniffSensorStale", ["peersniff_last_update_timestamp_seconds", "> 3 * peersniff_metrics_interval_seconds"]),
        // A stale file is PeersniffSensorStale's: left out here (one cause, one alert).
        ("PeersniffLanSilent", ["peersniff_seconds_since_last_discovery_frame >= 10 * peersniff_registry_timeout_seconds",
                                "and on(instance, job, observer) (peersniff_nodes_kept > 0)",
                                "unless on(instance, job, observer)", "> 3 * peersniff_metrics_interval_seconds"]),
    ]

    /// The only capabilities the service may hold.
    static let capabilities: Set<String> = ["CAP_NET_RAW", "CAP_NET_ADMIN"]

    /// Settings of the unit's [Service] that must be exactly so.
    static let serviceSettings: [(key: String, value: String)] = [
        ("DynamicUser", "yes"), ("User", "peersniff"), ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"), ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"), ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
        ("RestrictNamespaces", "yes"), ("LockPersonality", "yes"), ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"), ("Restart", "on-failure"),
        ("RuntimeDirectory", "peersniff"), ("RuntimeDirectoryMode", "0755"), ("RuntimeDirectoryPreserve", "yes"),
        ("StateDirectory", "peersniff"), ("UMask", "0022"),
    ]

    // MARK: - Prometheus rules

    @Test("promtool check rules accepts the rules file, and finds every alert in it")
    func promtoolChecksRules() throws {
        let promtool = try Self.requiredTool("promtool", package: "prometheus")
        let rules = AlertRules(try String(contentsOfFile: Self.rulesPath, encoding: .utf8))
        let check = try runProgram(promtool, ["check", "rules", Self.rulesPath])
        #expect(check.status == 0, "promtool check rules:\n\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: \(rules.alerts.count) rules found"),
                "promtool counts other rules than the \(rules.alerts.count) alerts read here:\n\(check.stdout)")
    }

    @Test("the rules: the alerts wanted, built on peersniff's own thresholds, each with a severity and a summary and description naming venue and registry")
    func rulesAreComplete() throws {
        let rules = AlertRules(try String(contentsOfFile: Self.rulesPath, encoding: .utf8))
        #expect(rules.groupNames == ["peersniff"], "one group, peersniff: \(rules.groupNames)")
        #expect(Set(rules.alerts.map(\.name)).count == rules.alerts.count, "an alert name is used twice")
        for (name, fragments) in Self.requiredAlerts {
            guard let alert = rules.alerts.first(where: { $0.name == name }) else {
                Issue.record("no alert \(name)")
                continue
            }
            let expression = alert.value("expr") ?? ""
            for fragment in fragments {
                #expect(expression.contains(fragment), "\(name): the expression lacks \(fragment): \(expression)")
            }
        }
        for alert in rules.alerts {
            let expression = alert.value("expr") ?? ""
            // A comparison with a fixed number other than 0 would be a threshold
            // peersniff does not set (seconds, counts).
            let comparisons = expression.matches(of: /[<>]=?\s*([0-9][0-9.]*)(?![0-9.]|\s*\*)/).map { String($0.output.1) }
            #expect(comparisons.allSatisfy { $0 == "0" }, "\(alert.name) compares with a fixed number: \(expression)")
            #expect(["critical", "warning"].contains(alert.value("severity") ?? ""), "\(alert.name): severity \(alert.value("severity") ?? "none")")
            for key in ["summary", "description"] {
                let text = alert.value(key) ?? ""
                #expect(!text.isEmpty, "\(alert.name) has no \(key)")
                // The venue: the observer, or the instance when there is none.
                #expect(text.contains("{{ if $labels.observer }}{{ $labels.observer }}{{ else }}{{ $labels.instance }}{{ end }}"),
                        "\(alert.name): the \(key) does not name the venue")
                // The registry: the alert's own node, or peersniff_registry_info of the same instance and observer.
                let ownNode = text.contains("$labels.address") && text.contains("$labels.name")
                let lookedUp = text.contains(#"peersniff_registry_info{instance=%q,observer=%q}" $labels.instance $labels.observer | query"#)
                #expect(ownNode || lookedUp, "\(alert.name): the \(key) does not name the registry")
            }
        }
    }

    @Test("promtool test rules passes every case of the rule tests")
    func promtoolTestsRules() throws {
        let promtool = try Self.requiredTool("promtool", package: "prometheus")
        let run = try runProgram(promtool, ["test", "rules", Self.ruleTestsPath])
        #expect(run.status == 0, "promtool test rules:\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("SUCCESS"), "\(run.stdout)")
        #expect(!run.stdout.contains("FAILED") && !run.stderr.contains("FAILED"), "\(run.stdout)\n\(run.stderr)")
    }

    @Test("every alert has a case where it fires and a look-alike where it must not; with and without observer; names with a quote and a backslash")
    func ruleTestsCoverEveryAlert() throws {
        let rules = AlertRules(try String(contentsOfFile: Self.rulesPath, encoding: .utf8))
        let tests = RuleTestCases(try String(contentsOfFile: Self.ruleTestsPath, encoding: .utf8))
        #expect(tests.ruleFiles == ["peersniff-rules.yml"], "the tests load \(tests.ruleFiles)")
        let names = Set(rules.alerts.map(\.name))
        for name in names.sorted() {
            #expect(tests.cases.contains { $0.alertname == name && !$0.expected.isEmpty }, "no case where \(name) fires")
            #expect(tests.cases.contains { $0.alertname == name && $0.expected.isEmpty }, "no case where \(name) must stay quiet")
        }
        for unknown in Set(tests.cases.map(\.alertname)).subtracting(names) {
            Issue.record("the tests name an alert the rules do not have: \(unknown)")
        }
        let firing = tests.cases.flatMap(\.expected)
        #expect(firing.contains { $0.labels["observer"] != nil }, "no firing case with an observer label")
        #expect(firing.contains { $0.labels["observer"] == nil }, "no firing case without an observer label (the instance names the venue)")
        #expect(firing.contains { ($0.labels["name"] ?? "").contains("\"") }, "no registry name with a double quote")
        #expect(firing.contains { ($0.labels["name"] ?? "").contains("\\") }, "no registry name with a backslash")
        for alert in firing {
            let summary = alert.annotations["summary"] ?? "", description = alert.annotations["description"] ?? ""
            #expect(!summary.isEmpty && !description.isEmpty, "an expected alert without summary or description: \(alert.labels)")
            // The expanded texts name the venue (observer, else instance) and a registry (an address, or the lack of one).
            let venue = alert.labels["observer"] ?? alert.labels["instance"] ?? "?"
            #expect(summary.contains(venue) && description.contains(venue), "the venue \(venue) is not in \(summary) / \(description)")
            let namesRegistry = { (text: String) in
                text.firstMatch(of: /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/) != nil || text.contains("no FULL seen") || text.contains("none known")
            }
            #expect(namesRegistry(summary) || namesRegistry(description), "no registry named in \(summary) / \(description)")
        }
    }

    @Test("each alert's firing cases fail once the alert is gone, and a look-alike of each fails once it always fires")
    func ruleTestsDependOnTheRules() throws {
        let promtool = try Self.requiredTool("promtool", package: "prometheus")
        let rulesText = try String(contentsOfFile: Self.rulesPath, encoding: .utf8)
        let rules = AlertRules(rulesText)
        let tests = RuleTestCases(try String(contentsOfFile: Self.ruleTestsPath, encoding: .utf8))
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.ruleTestsPath, toPath: folder.appendingPathComponent("peersniff-rules.test.yml").path)
        let mutated = folder.appendingPathComponent("peersniff-rules.yml")

        /// The cases promtool reports as failed: (alertname, eval time in seconds).
        func failures(_ rules: String) throws -> Set<FailedCase> {
            try Data(rules.utf8).write(to: mutated)
            let run = try runProgram(promtool, ["test", "rules", folder.appendingPathComponent("peersniff-rules.test.yml").path])
            #expect(run.status != 0, "promtool passed a mutated rules file:\n\(rules)")
            return Set((run.stdout + run.stderr).matches(of: /alertname: (\w+), time: ([0-9a-z]+),/).compactMap { match in
                promDuration(String(match.output.2)).map { FailedCase(alertname: String(match.output.1), seconds: $0) }
            })
        }

        for alert in rules.alerts {
            // Gone: every case where it fires must fail.
            let renamed = rulesText.replacingOccurrences(of: "- alert: \(alert.name)\n", with: "- alert: \(alert.name)Renamed\n")
            try #require(renamed != rulesText)
            let failedWithout = try failures(renamed)
            for testCase in tests.cases where testCase.alertname == alert.name && !testCase.expected.isEmpty {
                #expect(failedWithout.contains(FailedCase(alertname: alert.name, seconds: testCase.seconds)),
                        "\(alert.name)'s case at \(testCase.evalTime) passes without the alert")
            }
            // Always firing wherever peersniff's series are (its `for:` kept): at least
            // one look-alike must fail, so it is quiet because of the expression, with
            // data there (not only pending on its `for:`, or evaluated where nothing is).
            let always = try #require(rules.replacingExpression(of: alert.name, in: rulesText,
                                                                with: #"count by (instance, job, observer) ({__name__=~"peersniff_.+"})"#))
            let failedAlways = try failures(always)
            let quiet = tests.cases.filter { $0.alertname == alert.name && $0.expected.isEmpty }
            #expect(quiet.contains { failedAlways.contains(FailedCase(alertname: alert.name, seconds: $0.seconds)) },
                    "\(alert.name): no quiet case notices an alert that always fires (cases at \(quiet.map(\.evalTime)))")
        }
    }

    // MARK: - systemd unit

    @Test("the unit's privileges: a dynamic user, exactly CAP_NET_RAW and CAP_NET_ADMIN, no new privileges; nothing grants more")
    func unitPrivileges() throws {
        let unit = try UnitFile(contentsOf: Self.unitPath)
        #expect(unit.continuationLines.isEmpty, "lines continued with a backslash (not read here): \(unit.continuationLines)")
        for key in ["AmbientCapabilities", "CapabilityBoundingSet"] {
            let lines = unit.values(key)
            #expect(lines.count == 1, "\(key) set \(lines.count) times: \(lines)")
            let words = lines.flatMap { $0.split(separator: " ").map(String.init) }
            #expect(words.count == 2 && Set(words) == Self.capabilities, "\(key)=\(lines.joined(separator: " | "))")
        }
        // No line anywhere names another capability, or undoes the bounding set.
        for entry in unit.entries {
            for capability in entry.value.matches(of: /CAP_[A-Z_]+/).map({ String($0.output) }) where !Self.capabilities.contains(capability) {
                Issue.record("\(entry.key)=\(entry.value) names \(capability)")
            }
            if entry.key == "AmbientCapabilities" || entry.key == "CapabilityBoundingSet" {
                #expect(!entry.value.hasPrefix("~"), "an inverted capability list: \(entry.key)=\(entry.value)")
            }
        }
        for key in ["PermissionsStartOnly", "PrivateUsers", "SupplementaryGroups", "Group", "RootDirectory"] {
            #expect(unit.values(key).isEmpty, "\(key) is set: \(unit.values(key))")
        }
        for entry in unit.entries where entry.key.hasPrefix("Exec") {
            #expect(!entry.value.hasPrefix("+") && !entry.value.hasPrefix("!"), "a command run with full privileges: \(entry.key)=\(entry.value)")
        }
        for (key, value) in Self.serviceSettings {
            #expect(unit.values(key) == [value], "\(key)=\(unit.values(key)) (wanted \(value))")
        }
    }

    @Test("the unit's command: peersniff where install.sh puts it, -i %I -q, the metrics file inside the RuntimeDirectory, SIGHUP on reload, the interface awaited")
    func unitCommand() throws {
        let unit = try UnitFile(contentsOf: Self.unitPath)
        let exec = try #require(unit.values("ExecStart").first, "no ExecStart")
        #expect(unit.values("ExecStart").count == 1)
        let words = exec.split(separator: " ").map(String.init)

        // install.sh's default prefix.
        let install = try String(contentsOfFile: Paths.root.appendingPathComponent("scripts/install.sh").path, encoding: .utf8)
        let prefix = try #require(install.firstMatch(of: /\nprefix=(\S+)\n/)?.output.1, "no default prefix= in install.sh")
        #expect(words.first == "\(prefix)/bin/peersniff", "ExecStart runs \(words.first ?? "nothing"), install.sh installs \(prefix)/bin/peersniff")

        func argument(after option: String) -> String? {
            words.firstIndex(of: option).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        }
        #expect(argument(after: "-i") == "%I")
        #expect(words.contains("-q"))
        #expect(argument(after: "--observer") == "${PEERSNIFF_OBSERVER}", "one word, spaces kept")
        #expect(words.last == "$PEERSNIFF_OPTIONS", "extra options, split at spaces")
        let runtime = try #require(unit.values("RuntimeDirectory").first)
        let metrics = try #require(argument(after: "--metrics"), "no --metrics")
        #expect(metrics.hasPrefix("/run/\(runtime)/") && !metrics.dropFirst("/run/\(runtime)/".count).contains("/"),
                "the metrics file \(metrics) is not in the RuntimeDirectory /run/\(runtime)")
        #expect(metrics.hasSuffix(".prom") && metrics.contains("%I"), "one file per instance, named *.prom for node_exporter: \(metrics)")

        // Defaults an operator can change.
        #expect(unit.values("Environment").contains { $0.hasPrefix("PEERSNIFF_OBSERVER=") && $0.count > "PEERSNIFF_OBSERVER=".count })
        #expect(unit.values("EnvironmentFile").contains("-/etc/default/peersniff"))

        let reload = try #require(unit.values("ExecReload").first, "no ExecReload")
        #expect(reload.split(separator: " ") == ["/bin/kill", "-HUP", "$MAINPID"], "ExecReload=\(reload)")

        let device = "sys-subsystem-net-devices-%i.device"
        #expect(unit.values("BindsTo", in: "Unit").contains(device))
        let after = unit.values("After", in: "Unit").flatMap { $0.split(separator: " ").map(String.init) }
        #expect(after.contains(device) && after.contains("network.target"), "After=\(after)")
        #expect(unit.values("WantedBy", in: "Install") == ["multi-user.target"])
        let families = Set(unit.values("RestrictAddressFamilies").flatMap { $0.split(separator: " ").map(String.init) })
        #expect(families == ["AF_PACKET", "AF_NETLINK", "AF_UNIX", "AF_INET", "AF_INET6"], "\(families)")
        #expect(unit.values("SystemCallFilter").first == "@system-service")
        #expect(unit.values("RestartSec").count == 1)
    }

    @Test("systemd-analyze verify accepts the unit without a warning (and does complain about a broken copy here); security exposure stays low")
    func systemdVerifies() throws {
        let analyze = try Self.requiredTool("systemd-analyze", package: "systemd")
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // verify wants an instance name, and an ExecStart binary that exists: the one
        // this checkout built stands in for /usr/local/bin/peersniff. --man=no: the
        // manual page is not installed here.
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        let binary = Paths.peersniff.path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no built peersniff at \(binary)")
        let instance = text.replacingOccurrences(of: "ExecStart=/usr/local/bin/peersniff ", with: "ExecStart=\(binary) ")
        try #require(instance != text, "ExecStart does not run /usr/local/bin/peersniff")
        let path = folder.appendingPathComponent("peersniff@lo.service").path
        try Data(instance.utf8).write(to: URL(fileURLWithPath: path))

        // A broken copy first: verify prints warnings and still exits 0, so its
        // complaints are read from stderr. If it says nothing here, it checks nothing.
        let brokenFolder = folder.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: brokenFolder, withIntermediateDirectories: true)
        let broken = instance.replacingOccurrences(of: "\nProtectHome=yes\n", with: "\nProtectHome=yess\nNoSuchSetting=1\n")
        try Data(broken.utf8).write(to: brokenFolder.appendingPathComponent("peersniff@lo.service"))
        let control = try runProgram(analyze, ["verify", "--man=no", brokenFolder.appendingPathComponent("peersniff@lo.service").path])
        let verifyChecks = control.stderr.contains("NoSuchSetting") && control.stderr.contains("yess")
        if !verifyChecks {
            Issue.record("""
                systemd-analyze verify did not complain about a broken unit in this environment \
                (status \(control.status), stderr: \(control.stderr)): its verdict on the real unit means nothing here. \
                The line-by-line checks of the unit still run.
                """)
        }

        let verify = try runProgram(analyze, ["verify", "--man=no", path])
        #expect(verify.status == 0, "systemd-analyze verify: \(verify.stderr)")
        #expect(verify.stderr.isEmpty && verify.stdout.isEmpty, "systemd-analyze verify warns:\n\(verify.stdout)\(verify.stderr)")

        // The sandbox as systemd scores it (1.8 with systemd 252; 10 is an unconfined service).
        let security = try runProgram(analyze, ["security", "--offline=yes", "--no-pager", path])
        #expect(security.status == 0, "systemd-analyze security: \(security.stderr)")
        let level = security.stdout.firstMatch(of: /Overall exposure level for peersniff@lo.service: ([0-9.]+)/).flatMap { Double($0.output.1) }
        let exposure = try #require(level, "no exposure level in:\n\(security.stdout.suffix(500))")
        #expect(exposure <= 2.5, "exposure \(exposure):\n\(security.stdout.split(separator: "\n").filter { $0.hasPrefix("✗") }.joined(separator: "\n"))")
    }

    @Test("the unit's command line runs under its credentials (nobody, with only its capabilities, no new privileges): it captures, writes a metrics file node_exporter can read, survives SIGHUP, and makes only system calls its filter allows",
          .enabled(if: LiveTestEnvironment.available, "\(LiveTestEnvironment.reason)"),
          .enabled(if: systemToolPath("strace") != nil && systemToolPath("setpriv") != nil, "needs strace and setpriv (util-linux)"))
    func commandLineRunsInItsSandbox() throws {
        let promtool = try Self.requiredTool("promtool", package: "prometheus")
        let analyze = try Self.requiredTool("systemd-analyze", package: "systemd")
        let unit = try UnitFile(contentsOf: Self.unitPath)
        let exec = try #require(unit.values("ExecStart").first)
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let nobody: uid_t = 65534
        // The RuntimeDirectory and the StateDirectory, as systemd makes them for the dynamic user.
        let runtime = folder.appendingPathComponent("run")
        let state = folder.appendingPathComponent("state")
        for (directory, mode) in [(runtime, unit.values("RuntimeDirectoryMode").first ?? "0755"), (state, "0700")] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            #expect(chown(directory.path, nobody, nobody) == 0)
            #expect(chmod(directory.path, mode_t(mode, radix: 8) ?? 0o700) == 0)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        // What nobody runs must be where nobody can reach it: a clone in a 0700 folder
        // (mktemp -d) keeps its build out of reach, so the binary is copied here.
        let binary = folder.appendingPathComponent("peersniff").path
        try FileManager.default.copyItem(atPath: Paths.peersniff.path, toPath: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let runtimeName = try #require(unit.values("RuntimeDirectory").first)
        let capabilities = unit.values("AmbientCapabilities").flatMap { $0.split(separator: " ") }
            .map { "+" + $0.dropFirst("CAP_".count).lowercased() }.joined(separator: ",")
        let umask = try #require(unit.values("UMask").first)
        let trace = folder.appendingPathComponent("trace.txt").path

        let help = try runPeersniff(["--help"])
        let missing = ["--metrics", "--observer"].filter { !help.stdout.contains($0) }
        guard missing.isEmpty else {
            Issue.record("this peersniff has no \(missing.joined(separator: " or ")), which the unit's ExecStart uses")
            return
        }
        try withTestNetwork { net in
            let interface = net.captureInterface
            let observer = Self.defaultObserver(unit, instance: interface)
            // ExecStart, as systemd expands it for this instance, with the folders above,
            // and PEERSNIFF_OPTIONS saying how long to run (and a -w file in the state folder).
            var arguments: [String] = []
            for word in exec.split(separator: " ").dropFirst().map(String.init) {
                switch word {
                case "${PEERSNIFF_OBSERVER}": arguments.append(observer)
                case "$PEERSNIFF_OPTIONS":
                    arguments += ["--duration", "3", "--metrics-interval", "0.2", "-w", state.appendingPathComponent("\(interface).pcap").path]
                default:
                    arguments.append(word.replacingOccurrences(of: "%I", with: interface).replacingOccurrences(of: "%i", with: interface)
                        .replacingOccurrences(of: "/run/\(runtimeName)/", with: runtime.path + "/"))
                }
            }
            let setpriv = ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", "--inh-caps=-all,\(capabilities)",
                           "--ambient-caps=-all,\(capabilities)", "--bounding-set=-all,\(capabilities)", "--no-new-privs"]
            let program = try net.start(in: .capture, systemToolPath("strace")!,
                                        ["-f", "-qq", "-o", trace, systemToolPath("setpriv")!] + setpriv
                                        + ["/bin/sh", "-c", "umask \(umask) && exec \"$0\" \"$@\"", binary] + arguments)
            try net.waitUntilCapturing(program)
            // systemctl reload: SIGHUP to the main process (strace's child).
            let child = try #require(Self.childProcess(of: program.pid), "no child of strace \(program.pid)")
            #expect(kill(child, SIGHUP) == 0)
            Thread.sleep(forTimeInterval: 0.3)
            try net.send("all")
            let run = net.awaitExit(program, within: 6, "the unit's command line under strace")
            #expect(run.status == 0, "status \(run.status), stderr: \(run.stderr)")
            #expect(!run.stderr.contains("Operation not permitted") && !run.stderr.contains("ermission"), "stderr: \(run.stderr)")

            // The metrics file: where node_exporter reads, readable by its user, valid, counting what was sent.
            let metrics = runtime.appendingPathComponent("\(interface).prom").path
            var status = stat()
            try #require(stat(metrics, &status) == 0, "no metrics file at \(metrics)")
            #expect(status.st_mode & 0o004 != 0, "the metrics file's mode is \(String(status.st_mode & 0o7777, radix: 8)): node_exporter's user cannot read it")
            #expect(status.st_uid == nobody, "the metrics file belongs to \(status.st_uid)")
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(text.contains("observer=\"\(observer)\""), "the observer label \(observer) is not in the metrics")
            let matched = text.firstMatch(of: /\npeersniff_packets_matched_total\{[^}]*\} ([0-9]+)\n/).flatMap { Int($0.output.1) }
            #expect((matched ?? 0) > 0, "no packet matched: the capture did not work as nobody with \(capabilities)")
            let check = try runProgram(promtool, ["check", "metrics"], stdin: Data(text.utf8))
            #expect(check.status == 0, "promtool check metrics: \(check.stdout)\(check.stderr)")
            #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("\(interface).pcap").path))
        }

        // The system calls peersniff made (from its execve on), against the unit's filter.
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let start = try #require(lines.firstIndex { $0.contains("execve(\"\(binary)\"") && $0.hasSuffix("= 0") },
                                 "no execve of peersniff in the trace")
        let calls = lines[start...]
        let used = Set(calls.compactMap { $0.firstMatch(of: /^\d+\s+([a-z_0-9]+)\(/).map { String($0.output.1) } })
        #expect(used.contains("socket") && calls.contains { $0.contains("socket(AF_PACKET") }, "the trace has no capture socket")
        #expect(calls.contains { $0.contains("--- SIGHUP") }, "SIGHUP did not reach peersniff")
        let allowed = try Self.allowedSystemCalls(unit, analyze: analyze)
        #expect(allowed.count > 100, "the filter expands to \(allowed.count) calls")
        let refused = used.subtracting(allowed)
        #expect(refused.isEmpty, "peersniff calls \(refused.sorted()), outside SystemCallFilter=\(unit.values("SystemCallFilter"))")
        let families = Set(unit.values("RestrictAddressFamilies").flatMap { $0.split(separator: " ").map(String.init) })
        for family in Set(calls.compactMap { $0.firstMatch(of: /socket\((AF_[A-Z0-9]+)/).map { String($0.output.1) } }) {
            #expect(families.contains(family), "peersniff opens an \(family) socket, outside RestrictAddressFamilies")
        }
    }

    // MARK: - Helpers

    /// A tool these tests cannot do without: its path, or a failure saying where it comes from.
    static func requiredTool(_ name: String, package: String) throws -> String {
        try #require(systemToolPath(name), "\(name) is not installed: scripts/setup.sh installs it (Debian package \(package))")
    }

    /// PEERSNIFF_OBSERVER's default from the unit's Environment=, with %H and %i expanded.
    static func defaultObserver(_ unit: UnitFile, instance: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let setting = unit.values("Environment").last { $0.hasPrefix("PEERSNIFF_OBSERVER=") } ?? "PEERSNIFF_OBSERVER="
        return String(setting.dropFirst("PEERSNIFF_OBSERVER=".count))
            .replacingOccurrences(of: "%H", with: host).replacingOccurrences(of: "%I", with: instance).replacingOccurrences(of: "%i", with: instance)
    }

    /// The one child of `pid` (strace's: setpriv, then sh, then peersniff, one process).
    static func childProcess(of pid: pid_t) -> pid_t? {
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8),
               let child = children.split(separator: " ").first.flatMap({ pid_t($0) }),
               (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) == "peersniff\n" {
                return child
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// The system calls the unit's SystemCallFilter= lines allow: the allow lists'
    /// calls, minus the deny lists' (~), groups expanded by systemd-analyze.
    static func allowedSystemCalls(_ unit: UnitFile, analyze: String) throws -> Set<String> {
        var cache: [String: Set<String>] = [:]
        func expand(_ item: String) throws -> Set<String> {
            guard item.hasPrefix("@") else { return [item] }
            if let known = cache[item] { return known }
            let run = try runProgram(analyze, ["syscall-filter", "--no-pager", item])
            guard run.status == 0 else { throw ToolMissing(name: "systemd-analyze syscall-filter \(item): \(run.stderr)") }
            var calls: Set<String> = []
            for line in run.stdout.split(separator: "\n").dropFirst() {
                let word = line.trimmingCharacters(in: .whitespaces)
                if word.isEmpty || word.hasPrefix("#") { continue }
                calls.formUnion(try expand(word))
            }
            cache[item] = calls
            return calls
        }
        var allowed: Set<String> = [], denied: Set<String> = []
        for line in unit.values("SystemCallFilter") {
            let deny = line.hasPrefix("~")
            for item in line.dropFirst(deny ? 1 : 0).split(separator: " ").map(String.init) {
                if deny { denied.formUnion(try expand(item)) } else { allowed.formUnion(try expand(item)) }
            }
        }
        return allowed.subtracting(denied)
    }
}

// MARK: - Reading the files by lines (no YAML or unit-file library)

/// An alerting rules file read by lines: the groups' names, and each alert's lines.
struct AlertRules {
    struct Alert {
        var name: String
        var lines: [Substring]

        /// A key's value inside the alert (`expr`, `for`, `severity`, `summary`): on its
        /// line, or the more-indented lines after it (a `>-` block) joined by spaces.
        func value(_ key: String) -> String? {
            guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }) else { return nil }
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            let inline = line.drop { $0 == " " }.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
            if inline != ">-" && inline != ">" && inline != "|" && inline != "|-" { return inline.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
            var block: [String] = []
            for next in lines[(index + 1)...] {
                if next.trimmingCharacters(in: .whitespaces).isEmpty { break }
                if next.prefix(while: { $0 == " " }).count <= indent { break }
                block.append(next.trimmingCharacters(in: .whitespaces))
            }
            return block.joined(separator: " ")
        }
    }

    var groupNames: [String] = []
    var alerts: [Alert] = []

    init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if let match = trimmed.firstMatch(of: /^- name: (.+)$/) {
                groupNames.append(String(match.output.1))
            } else if let match = trimmed.firstMatch(of: /^- alert: (\S+)$/) {
                alerts.append(Alert(name: String(match.output.1), lines: [line]))
            } else if !alerts.isEmpty {
                alerts[alerts.count - 1].lines.append(line)
            }
        }
    }

    /// The rules text with `name`'s expression replaced by `expression` (its other lines kept).
    func replacingExpression(of name: String, in text: String, with expression: String) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let alert = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "- alert: \(name)" }),
              let expr = lines[alert...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expr:") }) else { return nil }
        let indent = lines[expr].prefix { $0 == " " }.count
        var end = expr + 1
        while end < lines.count, !lines[end].trimmingCharacters(in: .whitespaces).isEmpty,
              lines[end].prefix(while: { $0 == " " }).count > indent { end += 1 }
        lines.replaceSubrange(expr..<end, with: [String(repeating: " ", count: indent) + "expr: '\(expression)'"])
        return lines.joined(separator: "\n")
    }
}

/// A promtool rule test file read by lines: its rule files and each alert test case.
struct RuleTestCases {
    struct ExpectedAlert {
        var labels: [String: String] = [:]
        var annotations: [String: String] = [:]
    }
    struct Case {
        var evalTime: String
        var alertname: String
        var expected: [ExpectedAlert]
        var seconds: Int { promDuration(evalTime) ?? -1 }
    }

    var ruleFiles: [String] = []
    var cases: [Case] = []

    init(_ text: String) {
        enum Place { case none, ruleFiles, labels, annotations }
        var place = Place.none
        var evalTime = ""
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if line.hasPrefix("rule_files:") { place = .ruleFiles; continue }
            if place == .ruleFiles {
                if trimmed.hasPrefix("- ") { ruleFiles.append(String(trimmed.dropFirst(2))); continue }
                place = .none
            }
            if let match = trimmed.firstMatch(of: /^- eval_time: (\S+)$/) {
                evalTime = String(match.output.1)
                place = .none
            } else if let match = trimmed.firstMatch(of: /^alertname: (\S+)$/) {
                cases.append(Case(evalTime: evalTime, alertname: String(match.output.1), expected: []))
            } else if trimmed.hasPrefix("exp_alerts:") || trimmed.hasPrefix("- name:") || trimmed.hasPrefix("input_series:") {
                place = .none
            } else if trimmed == "- exp_labels:" {
                cases[cases.count - 1].expected.append(ExpectedAlert())
                place = .labels
            } else if trimmed == "exp_annotations:" {
                place = .annotations
            } else if place != .none, let match = trimmed.firstMatch(of: /^(\w+): (.*)$/), !cases.isEmpty, !cases[cases.count - 1].expected.isEmpty {
                let key = String(match.output.1)
                var value = String(match.output.2)
                if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                    value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
                }
                let last = cases.count - 1, alert = cases[last].expected.count - 1
                if place == .labels { cases[last].expected[alert].labels[key] = value } else { cases[last].expected[alert].annotations[key] = value }
            }
        }
    }
}

/// A case promtool reported as failed.
struct FailedCase: Hashable {
    var alertname: String
    var seconds: Int
}

/// A Prometheus duration (`13m`, `0s`, `1h2m`, `10m50s`) in seconds.
func promDuration(_ text: String) -> Int? {
    let parts = text.matches(of: /([0-9]+)(ms|s|m|h|d)/)
    guard !parts.isEmpty, parts.map({ $0.output.0.count }).reduce(0, +) == text.count else { return nil }
    return parts.reduce(0) { total, part in
        let value = Int(part.output.1) ?? 0
        switch part.output.2 {
        case "d": return total + value * 86400
        case "h": return total + value * 3600
        case "m": return total + value * 60
        case "s": return total + value
        default: return total
        }
    }
}

/// A systemd unit file read by lines: every `Key=value` with its section (comments
/// and blank lines skipped).
struct UnitFile {
    struct Entry {
        var section: String
        var key: String
        var value: String
    }
    var entries: [Entry] = []
    /// Lines that end in a backslash (continued on the next line).
    var continuationLines: [String] = []

    init(contentsOf path: String) throws {
        var section = ""
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasSuffix("\\") { continuationLines.append(trimmed) }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                section = String(trimmed.dropFirst().dropLast())
            } else if let equals = trimmed.firstIndex(of: "=") {
                entries.append(Entry(section: section, key: trimmed[..<equals].trimmingCharacters(in: .whitespaces),
                                     value: trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)))
            }
        }
    }

    /// The values given to `key` in `section`, in order.
    func values(_ key: String, in section: String = "Service") -> [String] {
        entries.filter { $0.section == section && $0.key == key }.map(\.value)
    }
}
