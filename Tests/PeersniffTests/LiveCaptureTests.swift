import Foundation
import Testing
import Capture
import EndToEndSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// Live watch (-i) tested for real, end to end: peersniff captures, in one network
// namespace, what peersniff-test-sender sends from another through a veth pair
// (Support/Namespace.swift). Needs root and iproute2; skipped otherwise.

@Suite("Live capture through a veth pair", .serialized,
       .enabled(if: LiveTestEnvironment.available, "\(LiveTestEnvironment.reason)"))
struct LiveCaptureTests {
    static let sender = TestNetwork.senderAddress
    static let peer = TestNetwork.unicastPeer
    static let broadcast = "255.255.255.255"

    /// peersniff's path, as run by root inside the namespaces.
    var peersniff: String { Paths.peersniff.path }

    /// The test's own records: without the wake-up HELLO's (see `TestNetwork.awaitExit`).
    func ownRecords(_ records: [[String: Any]]) -> [[String: Any]] { records.filter { !$0.isWakeUp } }

    func records(_ records: [[String: Any]], kind: String) -> [[String: Any]] {
        ownRecords(records).filter { $0["kind"] as? String == kind }
    }

    func events(_ all: [[String: Any]], _ name: String) -> [[String: Any]] {
        records(all, kind: "event").filter { $0["event"] as? String == name }
    }

    func summary(_ records: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(records.last { $0["kind"] as? String == "summary" }, "no summary record", sourceLocation: sourceLocation)
    }

    /// How many wake-up packets the run needed.
    func wakeUps(_ records: [[String: Any]]) -> Int {
        records.filter { $0["kind"] as? String == "frame" && $0.isWakeUp }.count
    }

    // MARK: - The frames, the timeline, and nothing transmitted

    @Test("every frame type sent through the veth is decoded; peersniff transmits nothing")
    func capturesEveryFrameTypeWithoutTransmitting() throws {
        try withTestNetwork { net in
            let txBefore = try net.captureTxPackets()
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "--duration", "2"])
            try net.waitUntilCapturing(capture)
            try net.send("all")
            let run = net.awaitExit(capture, within: 3.5, "--duration 2")
            let txAfter = try net.captureTxPackets()
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(run.stderr.isEmpty, "stderr: \(run.stderr)")
            let all = run.records
            let frames = records(all, kind: "frame")

            // Types, addresses, ports and packet numbers (the second fragment completes the big FULL).
            #expect(frames.map { $0["type"] as? String } == ["HELLO", "FULL", "PING", "PONG", "OFFLINE", "FULL"])
            #expect(frames.map { $0["n"] as? Int } == [1, 2, 3, 4, 5, 7])
            #expect(frames.map { $0["src"] as? String } == Array(repeating: Self.sender, count: 6))
            #expect(frames.map { $0["dst"] as? String } ==
                    [Self.broadcast, Self.broadcast, Self.peer, Self.peer, Self.broadcast, Self.broadcast])
            #expect(frames.allSatisfy { $0["dport"] as? Int == 37020 && ($0["sport"] as? Int ?? 0) > 0 })
            #expect(frames.allSatisfy { WallTime($0["ts"] as? String ?? "") != nil }, "ts is RFC 3339 UTC")
            try #require(frames.count == 6)
            #expect(frames[0]["name"] as? String == "Test Board")
            #expect(frames[0]["warnings"] == nil)
            let smallPeers = try #require(frames[1]["peers"] as? [[String: Any]])
            #expect(smallPeers.map { $0["ip"] as? String } == [Self.sender, Self.peer])
            #expect(smallPeers.map { $0["name"] as? String } == ["Test Board", "Peer Board"])
            #expect(frames[4]["ip"] as? String == "10.99.0.9")

            // The 51-entry FULL (1889 bytes) came as two IP fragments and was reassembled.
            let bigPeers = try #require(frames[5]["peers"] as? [[String: Any]])
            #expect(bigPeers.count == 51)
            #expect(bigPeers.first?["ip"] as? String == Self.sender)
            #expect(bigPeers.last?["ip"] as? String == "10.99.1.51")
            #expect(Set(frames[5]["warnings"] as? [String] ?? []) == ["fragmented", "exceeds-receive-buffer"])

            // The FULL that promises three entries and holds one.
            let malformed = records(all, kind: "malformed")
            try #require(malformed.count == 1)
            #expect(malformed[0]["reason"] as? String == "truncated-peer")
            #expect(malformed[0]["offset"] as? Int == 19)
            #expect(malformed[0]["length"] as? Int == 19)
            #expect(malformed[0]["n"] as? Int == 8)
            #expect(malformed[0]["src"] as? String == Self.sender)
            #expect((malformed[0]["hex"] as? String)?.hasPrefix("0203") == true)

            // The timeline.
            let seen = events(all, "node-seen")
            #expect(seen.first { $0["ip"] as? String == Self.sender }.map { [$0["via"] as? String, $0["name"] as? String] } == ["HELLO", "Test Board"])
            #expect(seen.first { $0["ip"] as? String == Self.sender }?["n"] as? Int == 1)
            #expect(seen.first { $0["ip"] as? String == Self.peer }.map { [$0["via"] as? String, $0["name"] as? String] } == ["FULL", "Peer Board"])
            #expect(seen.count == 2 + 50, "the sender, its peer, and the 50 boards listed by the big FULL")
            #expect(events(all, "registry-elected").map { $0["ip"] as? String } == [Self.sender])
            #expect(events(all, "registry-elected").first?["n"] as? Int == 2)
            let offline = events(all, "node-declared-offline")
            #expect(offline.map { [$0["ip"] as? String, $0["by"] as? String] } == [["10.99.0.9", Self.sender]])
            #expect(offline.first?["n"] as? Int == 5)
            for anomaly in ["registry-conflict", "registry-unexpected", "registry-silent"] {
                #expect(events(all, anomaly).isEmpty, "\(anomaly) in a clean run")
            }

            let s = try summary(all)
            #expect(s["kernel_dropped"] as? Int == 0)
            #expect(s["kernel_received"] as? Int == 8 + wakeUps(all))
            #expect(s["packets_read"] as? Int == 8 + wakeUps(all))
            #expect(s["malformed"] as? Int == 1)
            #expect(s["datagrams_reassembled"] as? Int == 1)

            // Nothing left the capturing interface while peersniff watched it.
            #expect(txAfter == txBefore, "tx_packets of \(net.captureInterface) went from \(txBefore) to \(txAfter)")
            // And the counter does see a transmission from that side (the check is not blind).
            try net.run(in: .capture, Paths.testSender.path,
                        ["--scenario", "hello", "--bind", TestNetwork.captureAddress, "--broadcast", "10.99.0.255"], check: true)
            #expect(try net.captureTxPackets() == txAfter + 1)
        }
    }

    @Test("no send system call during a capture (strace)",
          .enabled(if: systemToolPath("strace") != nil, "strace is not installed"))
    func makesNoSendSystemCall() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trace = folder.appendingPathComponent("trace.txt").path
        try withTestNetwork { net in
            let capture = try net.start(in: .capture, systemToolPath("strace")!,
                                        ["-f", "-qq", "-o", trace, "-e", "trace=network",
                                         peersniff, "-i", net.captureInterface, "--json", "--duration", "2"])
            try net.waitUntilCapturing(capture)
            try net.send("all")
            let run = net.awaitExit(capture, within: 4, "--duration 2 under strace")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(records(run.records, kind: "frame").count == 6)
            let calls = try String(contentsOfFile: trace, encoding: .utf8)
            #expect(calls.contains("socket(AF_PACKET"), "the trace shows the capture socket: \(calls.prefix(2000))")
            let sends = calls.split(separator: "\n").filter {
                $0.range(of: #"\b(send|sendto|sendmsg|sendmmsg)\("#, options: .regularExpression) != nil
            }
            #expect(sends.isEmpty, "send calls: \(sends)")
        }
    }

    // MARK: - Starting fails clearly

    @Test("-i nosuchif: exit 1, naming the interface and listing the existing ones")
    func unknownInterface() throws {
        try withTestNetwork { net in
            let run = try net.run(in: .capture, peersniff, ["-i", "nosuchif", "--json"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("nosuchif"), "stderr: \(run.stderr)")
            #expect(run.stderr.contains(net.captureInterface), "the namespace's veth is listed: \(run.stderr)")
            #expect(run.stderr.firstMatch(of: /\blo\b/) != nil, "loopback is listed too: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }

    @Test("run as nobody: exit 1, naming CAP_NET_RAW, CAP_NET_ADMIN and setcap")
    func unprivileged() throws {
        let nobody = try #require(getpwnam("nobody"), "no user nobody").pointee
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A copy nobody can surely reach and run.
        let copy = folder.appendingPathComponent("peersniff")
        try FileManager.default.copyItem(at: Paths.peersniff, to: copy)
        chmod(folder.path, 0o755)
        chmod(copy.path, 0o755)
        let asNobody: [String]
        if let setpriv = systemToolPath("setpriv") {
            asNobody = [setpriv, "--reuid=\(nobody.pw_uid)", "--regid=\(nobody.pw_gid)", "--clear-groups"]
        } else {
            asNobody = [try #require(systemToolPath("runuser"), "neither setpriv nor runuser"), "-u", "nobody", "--"]
        }
        try withTestNetwork { net in
            let run = try net.run(in: .capture, asNobody[0], Array(asNobody.dropFirst()) + [copy.path, "-i", net.captureInterface])
            #expect(run.status == 1, "stdout: \(run.stdout) stderr: \(run.stderr)")
            for word in [net.captureInterface, "CAP_NET_RAW", "CAP_NET_ADMIN", "setcap"] {
                #expect(run.stderr.contains(word), "\(word) in: \(run.stderr)")
            }
        }
    }

    // MARK: - Stopping

    enum Stop: String, CaseIterable, CustomTestStringConvertible {
        case sigint = "SIGINT", sigterm = "SIGTERM"
        var number: Int32 { self == .sigint ? SIGINT : SIGTERM }
        var testDescription: String { rawValue }
    }

    @Test("a signal mid-capture: the -w file is complete for tshark, the summary has the kernel's counts",
          .enabled(if: systemToolPath("tshark") != nil, "tshark is not installed"),
          arguments: Stop.allCases, [true, false])
    func signalMidCapture(stop: Stop, json: Bool) throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved = folder.appendingPathComponent("live.pcap").path
        try withTestNetwork { net in
            let capture = try net.start(in: .capture, peersniff,
                                        ["-i", net.captureInterface, "-w", saved] + (json ? ["--json"] : ["--color", "never"]))
            try net.waitUntilCapturing(capture)
            try net.send("all")
            // The frames are out (the malformed FULL is the last), then the signal.
            let printed = capture.waitForOutput(timeout: 3) { json ? $0.contains("\"truncated-peer\"") : $0.contains("truncated-peer") }
            #expect(printed, "the frames were printed while capturing: \(capture.stdout)")
            capture.signal(stop.number)
            let run = net.awaitExit(capture, within: 1.5, "\(stop.rawValue) while idle")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let extra = json ? wakeUps(run.records) : (run.stdout.contains("\"wake-up\"") ? 1 : 0)

            // The summary, with the kernel's received and dropped counts.
            if json {
                let s = try summary(run.records)
                #expect(s["kernel_received"] as? Int == 8 + extra)
                #expect(s["kernel_dropped"] as? Int == 0)
                #expect(s["frames"] as? Int == 6 + extra)
            } else {
                let received = run.stdout.firstMatch(of: /(\d+) received/)?.1
                let dropped = run.stdout.firstMatch(of: /(\d+) dropped/)?.1
                #expect(received.flatMap { Int($0) } == 8 + extra, "summary: \(run.stdout.suffix(1500))")
                #expect(dropped.flatMap { Int($0) } == 0, "summary: \(run.stdout.suffix(1500))")
            }

            // tshark reads the whole file: 8 packets (the big FULL in two fragments).
            let tshark = try runProgram(systemToolPath("tshark")!, ["-r", saved, "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport"])
            #expect(tshark.status == 0, "tshark: \(tshark.stderr)")
            #expect(!tshark.stderr.contains("cut short") && !tshark.stderr.contains("truncated"), "tshark: \(tshark.stderr)")
            let lines = tshark.stdout.split(separator: "\n")
            #expect(lines.count == 8 + extra, "tshark lists: \(tshark.stdout)")
            #expect(lines.prefix(8).allSatisfy { $0.contains(Self.sender) }, "tshark lists: \(tshark.stdout)")
            #expect(lines.filter { $0.hasSuffix("37020") }.count == 7 + extra, "every datagram to port 37020, the big one reassembled: \(tshark.stdout)")
        }
    }

    @Test("the interface goes away mid-capture: exit 1 naming it, the summary printed, the -w file valid",
          .enabled(if: systemToolPath("tshark") != nil, "tshark is not installed"))
    func interfaceGone() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved = folder.appendingPathComponent("gone.pcap").path
        try withTestNetwork { net in
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "-w", saved])
            try net.waitUntilCapturing(capture)
            try net.send("all")
            let printed = capture.waitForOutput(timeout: 3) { $0.contains("\"truncated-peer\"") }
            #expect(printed, "the frames were printed while capturing: \(capture.stdout)")
            // Pull the capturing end of the veth out from under peersniff.
            try net.run(in: .capture, LiveTestEnvironment.ip ?? "/usr/sbin/ip", ["link", "delete", net.captureInterface], check: true)
            let run = net.awaitExit(capture, within: 2, "the interface gone")
            #expect(run.status == 1)
            #expect(run.stderr.contains(net.captureInterface), "stderr names the interface: \(run.stderr)")
            let s = try summary(run.records)
            #expect(s["frames"] as? Int ?? 0 >= 6, "the summary counts what was captured: \(s)")
            let tshark = try runProgram(systemToolPath("tshark")!, ["-r", saved, "-T", "fields", "-e", "frame.number"])
            #expect(tshark.status == 0, "tshark reads the -w file: \(tshark.stderr)")
            #expect(tshark.stdout.split(separator: "\n").count >= 8, "tshark lists: \(tshark.stdout)")
        }
    }

    @Test("a vanished interface is noticed by asking for it by name, even where the kernel reports no socket error")
    func interfaceIndexAnswersGone() throws {
        // A veth pair of the test's own (no address, nothing sent), one end opened by
        // this process: the live loop's fallback check, without the socket error that
        // normally ends the capture first. (This kernel has no dummy interfaces.)
        let ip = try #require(LiveTestEnvironment.ip)
        let name = "psn-d\(String(getpid() % 100_000, radix: 16))"
        _ = try? runProgram(ip, ["link", "delete", name])
        let added = try runProgram(ip, ["link", "add", name, "type", "veth", "peer", "name", name + "p"])
        try #require(added.status == 0, "ip link add: \(added.stderr)")
        defer { _ = try? runProgram(ip, ["link", "delete", name]) }
        #expect(try runProgram(ip, ["link", "set", name, "up"]).status == 0)

        let handle = try PcapHandle.openLive(name)
        let index = try #require(handle.interfaceIndex())
        #expect(index == Int32(if_nametoindex(name)), "the kernel's own index for \(name)")
        #expect(try runProgram(ip, ["link", "delete", name]).status == 0)
        #expect(handle.interfaceIndex() == 0, "gone: no interface of that name any more")
    }

    @Test("--duration 1 stops by itself on an idle interface")
    func durationStops() throws {
        try withTestNetwork { net in
            let started = Date()
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "--duration", "1"])
            try net.waitUntilCapturing(capture)
            let capturing = Date()
            let run = net.awaitExit(capture, within: 2, "--duration 1")
            let ended = Date()
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(ended.timeIntervalSince(capturing) >= 0.6, "it watched for its second (the capture opened ~0.3 s before `capturing`)")
            #expect(ended.timeIntervalSince(started) < 3)
            let s = try summary(run.records)
            #expect(s["kernel_received"] as? Int == wakeUps(run.records))
            #expect(s["kernel_dropped"] as? Int == 0)
        }
    }

    @Test("--html while live: the page is rewritten every few seconds (whole, by rename) and reloads itself; the last one at exit")
    func livePage() throws {
        try withTestNetwork { net in
            let folder = Paths.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let page = folder.appendingPathComponent("watch.html").path
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "--html", page, "--duration", "8"])
            try net.waitUntilCapturing(capture)
            try net.send("all")
            // Within two rewrites the page holds the sender's lane, and asks to be reloaded.
            var live = ""
            for _ in 0..<70 {
                live = (try? String(contentsOfFile: page, encoding: .utf8)) ?? ""
                if live.contains("data-ip=\"\(Self.sender)\"") { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(live.contains("data-ip=\"\(Self.sender)\""), "the live page shows the sender's lane")
            #expect(live.contains("http-equiv=\"refresh\""), "the live page reloads itself")
            #expect(live.hasSuffix("</html>\n"), "a whole page, never half of one")
            let run = net.awaitExit(capture, within: 9, "--duration 8")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let last = try String(contentsOfFile: page, encoding: .utf8)
            #expect(last.contains("data-ip=\"\(Self.sender)\"") && last.hasSuffix("</html>\n"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["watch.html"], "no temporary file left")
        }
    }

    @Test("-c 3 stops after the third datagram")
    func countStops() throws {
        try withTestNetwork { net in
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "-c", "3"])
            try net.waitUntilCapturing(capture)
            try net.send("all")
            let run = net.awaitExit(capture, within: 2, "-c 3")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let frames = records(run.records, kind: "frame")
            #expect(frames.map { $0["type"] as? String } == ["HELLO", "FULL", "PING"])
            #expect(records(run.records, kind: "malformed").isEmpty)
            #expect(try summary(run.records)["frames"] as? Int == 3)
        }
    }

    @Test("live -f that leaves discovery traffic out counts it: every packet a second capture without -f saw")
    func extraFilterCountsLive() throws {
        try withTestNetwork { net in
            let all = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "-q", "--duration", "2"])
            // TTL 1 is never what the sender uses: -f leaves every discovery packet out.
            let none = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "-q", "--duration", "2", "-f", "ip[8] == 1"])
            try net.waitUntilCapturing(all)
            try net.waitUntilCapturing(none)
            try net.send("all")
            let seen = net.awaitExit(all, within: 5, "no -f")
            let filtered = net.awaitExit(none, within: 5, "-f")
            #expect(seen.status == 0 && filtered.status == 0, "\(seen.stderr) \(filtered.stderr)")
            let matched = try #require(try summary(seen.records)["packets_matched"] as? Int)
            #expect(matched > 0)
            #expect(try summary(filtered.records)["left_out_by_filter"] as? Int == matched)
            #expect(try summary(filtered.records)["frames"] as? Int == 0)
            #expect(filtered.stderr.contains("warning: -f 'ip[8] == 1' left \(matched) packets of discovery traffic out of the analysis"))
        }
    }

    // MARK: - Privileges

    @Test("-Z nobody gives up root once the capture is open, and still captures")
    func dropsRoot() throws {
        let nobody = try #require(getpwnam("nobody"), "no user nobody").pointee
        let uid = nobody.pw_uid, gid = nobody.pw_gid
        try withTestNetwork { net in
            let capture = try net.start(in: .capture, peersniff, ["-i", net.captureInterface, "--json", "-Z", "nobody", "--duration", "2"])
            try net.waitUntilCapturing(capture)
            let status = try String(contentsOfFile: "/proc/\(capture.pid)/status", encoding: .utf8)
            func field(_ name: String) -> [String] {
                let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
                return line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).map(String.init)
            }
            #expect(field("Name").first == "peersniff")
            #expect(field("Uid") == Array(repeating: "\(uid)", count: 4), "real, effective, saved, filesystem: \(field("Uid"))")
            #expect(field("Gid") == Array(repeating: "\(gid)", count: 4), "\(field("Gid"))")
            #expect(field("Groups").allSatisfy { $0 == "\(gid)" }, "no supplementary group of root's: \(field("Groups"))")
            #expect(field("CapEff") == ["0000000000000000"], "no capability left: \(field("CapEff"))")
            #expect(field("CapPrm") == ["0000000000000000"], "none to take back: \(field("CapPrm"))")
            try net.send("all")
            let run = net.awaitExit(capture, within: 3, "--duration 2 after -Z")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(records(run.records, kind: "frame").count == 6, "the open capture keeps working without root")
        }
    }

    // MARK: - Wall-clock deadlines

    @Test("registry-silent fires on the wall clock, with no further packet, stamped at its deadline")
    func registrySilentOnWallClock() throws {
        let late = "10.99.0.5"
        try withTestNetwork(senderAddresses: [late]) { net in
            let capture = try net.start(in: .capture, peersniff,
                                        ["-i", net.captureInterface, "--json", "--registry-timeout", "0.5", "--duration", "3"])
            try net.waitUntilCapturing(capture)
            // 10.99.0.1 is alone, then 10.99.0.5 says HELLO: 10.99.0.1, the lowest of two,
            // owes a FULL within 0.5 s, and never sends one.
            try net.send("hello", bind: Self.sender, ["--name", "Registry Board"])
            Thread.sleep(forTimeInterval: 0.1)
            try net.send("hello", bind: late, ["--name", "Late Board"])
            let sent = Date()
            let fired = capture.waitForOutput(timeout: 1.5) { $0.contains("registry-silent") }
            let stillRunning = capture.isRunning
            #expect(fired, "registry-silent printed within 1.5 s of the HELLO that made the FULL due, no packet since")
            #expect(stillRunning, "while the capture went on (it ends at --duration 3)")
            if fired { #expect(Date().timeIntervalSince(sent) >= 0.4) }
            let run = net.awaitExit(capture, within: 3.5, "--duration 3")
            #expect(run.status == 0, "stderr: \(run.stderr)")

            let hellos = records(run.records, kind: "frame")
            #expect(hellos.map { $0["src"] as? String } == [Self.sender, late])
            let silent = events(run.records, "registry-silent")
            try #require(silent.count == 1, "\(run.stdout)")
            #expect(silent[0]["expected"] as? String == Self.sender)
            #expect(silent[0]["after"] as? String == late)
            #expect(silent[0]["n"] == nil, "registry-silent has no packet number")
            let helloTime = try #require(WallTime(hellos.last?["ts"] as? String ?? ""))
            let silentTime = try #require(WallTime(silent[0]["ts"] as? String ?? ""))
            #expect(silentTime == helloTime.adding(nanoseconds: 500_000_000),
                    "stamped at the deadline: \(silentTime) = \(helloTime) + 0.5 s")
        }
    }

    // MARK: - -D

    @Test("-D lists the veth with its address, up")
    func listsInterfaces() throws {
        try withTestNetwork { net in
            let run = try net.run(in: .capture, peersniff, ["-D"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let line = run.stdout.split(separator: "\n").first { $0.contains(net.captureInterface) }
            let veth = try #require(line, "the veth is listed: \(run.stdout)")
            #expect(veth.contains(TestNetwork.captureAddress), "\(veth)")
            #expect(veth.firstMatch(of: /\bup\b/) != nil, "\(veth)")
            #expect(run.stdout.firstMatch(of: /\blo\b/) != nil, "\(run.stdout)")
        }
    }
}
