import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

// Live capture tested for real: two network namespaces joined by a veth pair, made
// with unique names for one test and removed by name when it ends, failed or not.
// All traffic stays inside them: the sender's side has a default route into the
// veth, the capture side none.

/// What live tests need: root (namespaces, raw sockets) and iproute2's `ip`.
public enum LiveTestEnvironment {
    public static let isRoot = getuid() == 0
    public static let ip = systemToolPath("ip")
    public static var available: Bool { isRoot && ip != nil }
    public static let reason = "live capture tests need root and iproute2's ip"
}

/// A program's path on PATH, or in the system folders root's PATH usually has.
public func systemToolPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

public struct NamespaceSetupFailed: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// The test network: namespace `sender` (10.99.0.1 and a few more addresses on its
/// veth end, default route into the veth) and namespace `capture` (10.99.0.2 on the
/// other end). 10.99.0.3 is a board that exists only as a permanent neighbour entry on
/// the sender's side pointing at the capture side's MAC address: unicast PINGs to it
/// reach the capture side's veth without any ARP, and the capture side, which does not
/// own the address and does not forward, drops them silently (no ICMP). So nothing on
/// the capture side ever has a reason to transmit.
public final class TestNetwork: @unchecked Sendable {
    public enum Side: Sendable { case sender, capture }

    public static let senderAddress = "10.99.0.1"
    public static let captureAddress = "10.99.0.2"
    /// A unicast destination that is not the capture side's own address.
    public static let unicastPeer = "10.99.0.3"
    /// The sender's address for the wake-up HELLO (see `awaitExit`).
    public static let wakeUpAddress = "10.99.0.254"

    public let id: String
    public let senderNamespace: String
    public let captureNamespace: String
    public let senderInterface: String
    public let captureInterface: String
    public private(set) var captureMAC = ""
    private let lock = NSLock()
    private var started: [SpawnedProgram] = []

    /// Unique names: psn-<6 hex>-s / -c for the namespaces, psn-<6 hex>s / c for the
    /// veth ends (interface names have at most 15 characters).
    public init() {
        id = String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF))
        senderNamespace = "psn-\(id)-s"
        captureNamespace = "psn-\(id)-c"
        senderInterface = "psn-\(id)s"
        captureInterface = "psn-\(id)c"
    }

    /// Builds the network; `senderAddresses` are extra /24 addresses of the sender's veth end.
    public func setUp(senderAddresses: [String] = []) throws {
        try ip(["netns", "add", senderNamespace])
        try ip(["netns", "add", captureNamespace])
        // Both ends are created inside their namespaces: they never appear in the host's.
        try ip(["link", "add", senderInterface, "netns", senderNamespace, "type", "veth",
                "peer", "name", captureInterface, "netns", captureNamespace])
        // No IPv6 on either end: no router solicitation, no DAD, no MLD report.
        for (side, interface) in [(Side.sender, senderInterface), (.capture, captureInterface)] {
            let knob = "/proc/sys/net/ipv6/conf/\(interface)/disable_ipv6"
            try run(in: side, "/bin/sh", ["-c", "[ ! -e \(knob) ] || echo 1 > \(knob)"], check: true)
        }
        for address in [Self.senderAddress] + senderAddresses + [Self.wakeUpAddress] {
            try ip(["-n", senderNamespace, "addr", "add", "\(address)/24", "dev", senderInterface])
        }
        try ip(["-n", captureNamespace, "addr", "add", "\(Self.captureAddress)/24", "dev", captureInterface])
        try ip(["-n", senderNamespace, "link", "set", senderInterface, "up"])
        try ip(["-n", captureNamespace, "link", "set", captureInterface, "up"])
        // 255.255.255.255 needs a route; this one leads only into the veth.
        try ip(["-n", senderNamespace, "route", "add", "default", "dev", senderInterface])
        captureMAC = try run(in: .capture, "/bin/cat", ["/sys/class/net/\(captureInterface)/address"], check: true)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try ip(["-n", senderNamespace, "neigh", "add", Self.unicastPeer, "lladdr", captureMAC,
                "dev", senderInterface, "nud", "permanent"])
    }

    /// Stops whatever is still running in the namespaces, then removes them by name
    /// (removing a namespace removes its veth end, and with it the pair).
    public func tearDown() {
        let programs = lock.withLock { started }
        for program in programs { program.kill() }
        for name in [senderNamespace, captureNamespace] {
            _ = try? runProgram(LiveTestEnvironment.ip ?? "/usr/sbin/ip", ["netns", "delete", name])
        }
        // In case a half-built pair was left in the host's namespace.
        for name in [senderInterface, captureInterface] {
            _ = try? runProgram(LiveTestEnvironment.ip ?? "/usr/sbin/ip", ["link", "delete", name])
        }
    }

    public func namespace(_ side: Side) -> String { side == .sender ? senderNamespace : captureNamespace }

    @discardableResult
    private func ip(_ arguments: [String]) throws -> RunResult {
        guard let ip = LiveTestEnvironment.ip else { throw NamespaceSetupFailed(description: "ip is not installed") }
        let result = try runProgram(ip, arguments)
        if result.status != 0 {
            throw NamespaceSetupFailed(description: "ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result
    }

    private func netnsExec(_ side: Side, _ program: String, _ arguments: [String]) -> [String] {
        ["netns", "exec", namespace(side), program] + arguments
    }

    /// Runs `program` inside one namespace to its end (`ip netns exec` also gives it
    /// that namespace's /sys).
    @discardableResult
    public func run(in side: Side, _ program: String, _ arguments: [String], check: Bool = false) throws -> RunResult {
        let result = try runProgram(LiveTestEnvironment.ip!, netnsExec(side, program, arguments))
        if check && result.status != 0 {
            throw NamespaceSetupFailed(description: "\(program) \(arguments.joined(separator: " ")) in \(namespace(side)) failed (\(result.status)): \(result.stderr)")
        }
        return result
    }

    /// Starts `program` inside one namespace and returns at once. `ip netns exec`
    /// replaces itself with the program, so the pid is the program's.
    public func start(in side: Side, _ program: String, _ arguments: [String]) throws -> SpawnedProgram {
        let spawned = try SpawnedProgram(LiveTestEnvironment.ip!, netnsExec(side, program, arguments))
        lock.withLock { started.append(spawned) }
        return spawned
    }

    /// The capture side's veth end's transmitted-packet counter, read inside its namespace.
    public func captureTxPackets() throws -> Int {
        let text = try run(in: .capture, "/bin/cat", ["/sys/class/net/\(captureInterface)/statistics/tx_packets"], check: true).stdout
        guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NamespaceSetupFailed(description: "tx_packets of \(captureInterface) is not a number: \(text)")
        }
        return count
    }

    /// Runs the test sender in the sender's namespace, from `bind` (10.99.0.1 unless told).
    @discardableResult
    public func send(_ scenario: String, bind: String = TestNetwork.senderAddress, _ extra: [String] = []) throws -> RunResult {
        let result = try run(in: .sender, Paths.testSender.path,
                             ["--scenario", scenario, "--bind", bind, "--unicast", Self.unicastPeer] + extra)
        if result.status != 0 || !result.stderr.isEmpty {
            throw NamespaceSetupFailed(description: "peersniff-test-sender --scenario \(scenario) failed (\(result.status)): \(result.stderr)")
        }
        return result
    }

    /// Waits until `program` (started with `start(in: .capture, …)`) has opened its
    /// capture: a packet socket exists in the capture namespace, seen through the
    /// program's own /proc entry once `ip` has replaced itself. Then gives it a moment
    /// to set its filter.
    public func waitUntilCapturing(_ program: SpawnedProgram, timeout: Double = 5) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !program.isRunning {
                throw NamespaceSetupFailed(description: "the capture ended before it started: \(program.stderr)")
            }
            let comm = (try? String(contentsOfFile: "/proc/\(program.pid)/comm", encoding: .utf8)) ?? "ip\n"
            if comm != "ip\n",
               let sockets = try? String(contentsOfFile: "/proc/\(program.pid)/net/packet", encoding: .utf8),
               sockets.split(separator: "\n").count > 1 {
                Thread.sleep(forTimeInterval: 0.3)
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw NamespaceSetupFailed(description: "no capture started within \(timeout) s: \(program.stderr)")
    }

    /// Waits for `program` to end by itself within `seconds`. libpcap's read timeout
    /// does not fire on an idle Linux interface (libpcap issue #1001), so a capture that
    /// only looks at its stop conditions between packets never ends while idle: that is
    /// recorded as a failure, and the capture is then woken with one HELLO from
    /// 10.99.0.254 (`isWakeUp` tells its records apart) so that the rest of the test can
    /// still check what it printed. Killed if even that does not end it.
    public func awaitExit(_ program: SpawnedProgram, within seconds: Double, _ what: String,
                   sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
        if !program.waitForExit(timeout: seconds) {
            Issue.record("\(what): peersniff was still running \(seconds) s later, with no packet arriving; woken with one more packet", sourceLocation: sourceLocation)
            _ = try? send("hello", bind: Self.wakeUpAddress, ["--name", "wake-up"])
            if !program.waitForExit(timeout: 3) {
                Issue.record("\(what): peersniff did not end even after a packet arrived; killed", sourceLocation: sourceLocation)
                program.kill()
            }
        }
        return program.result()
    }
}

/// Builds a test network, runs `body` with it, and removes it whatever happens.
public func withTestNetwork<T>(senderAddresses: [String] = [], _ body: (TestNetwork) throws -> T) throws -> T {
    let network = TestNetwork()
    defer { network.tearDown() }
    try network.setUp(senderAddresses: senderAddresses)
    return try body(network)
}

extension Paths {
    /// The test sender, built next to peersniff.
    public static var testSender: URL {
        peersniff.deletingLastPathComponent().appendingPathComponent("peersniff-test-sender")
    }
}

/// A program running in the background whose output is collected as it comes.
/// Started with posix_spawn and a clean signal state, as a shell starts programs:
/// every signal at its default action and none blocked. (Foundation's `Process` passes
/// on the test runner's signal mask, which blocks SIGINT and SIGTERM, so a signal
/// sent to the program would stay pending.)
public final class SpawnedProgram: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var out: [UInt8] = []
    private var err: [UInt8] = []
    private var exitStatus: Int32? = nil
    private let drained = DispatchGroup()

    public init(_ path: String, _ arguments: [String]) throws {
        var outFDs: [Int32] = [0, 0], errFDs: [Int32] = [0, 0]
        guard pipe(&outFDs) == 0, pipe(&errFDs) == 0 else {
            throw NamespaceSetupFailed(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by programs other tests start meanwhile (dup2 clears it on 1 and 2).
        for fd in outFDs + errFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        prepareSpawn(&actions, &attributes, output: outFDs[1], error: errFDs[1])
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        close(outFDs[1])
        close(errFDs[1])
        guard spawned == 0 else {
            close(outFDs[0])
            close(errFDs[0])
            throw NamespaceSetupFailed(description: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        pid = child
        for (fd, isError) in [(outFDs[0], false), (errFDs[0], true)] {
            drained.enter()
            DispatchQueue.global().async { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = read(fd, &buffer, buffer.count)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    lock.withLock {
                        if isError { err.append(contentsOf: buffer[0..<count]) } else { out.append(contentsOf: buffer[0..<count]) }
                    }
                }
                close(fd)
                drained.leave()
            }
        }
    }

    public var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    public var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// stdout's JSON Lines so far.
    public var records: [[String: Any]] { RunResult(status: 0, stdout: stdout, stderr: "").records }

    public func signal(_ number: Int32) {
        if isRunning { _ = Glibc.kill(pid, number) }
    }

    /// Reaps the program if it has ended: its exit status, or the signal that ended it.
    public var isRunning: Bool {
        lock.withLock {
            if exitStatus == nil { exitStatus = reapIfEnded(pid) }
            return exitStatus == nil
        }
    }

    /// Whether the program ended within `timeout` seconds.
    @discardableResult
    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// Waits until what the program printed on stdout satisfies `condition`.
    @discardableResult
    public func waitForOutput(timeout: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(stdout) {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    public func kill() {
        guard isRunning else { return }
        signal(SIGKILL)
        waitForExit(timeout: 5)
    }

    /// Status (the signal's number if one ended it) and output, once the program has
    /// ended (waits for it).
    public func result() -> RunResult {
        while isRunning { Thread.sleep(forTimeInterval: 0.02) }
        drained.wait()
        return RunResult(status: lock.withLock { exitStatus ?? -1 }, stdout: stdout, stderr: stderr)
    }
}

/// An RFC 3339 UTC time as peersniff writes it, as whole seconds and nanoseconds.
public struct WallTime: Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init?(_ text: String) {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let parts = body.split(separator: ".", maxSplits: 1)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: String(parts[0]) + "Z") else { return nil }
        seconds = Int64(date.timeIntervalSince1970)
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let value = Int64(digits) else { return nil }
            var scaled = value
            for _ in digits.count..<9 { scaled *= 10 }
            nanoseconds = scaled
        } else {
            nanoseconds = 0
        }
    }

    public init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds + nanoseconds / 1_000_000_000
        self.nanoseconds = nanoseconds % 1_000_000_000
    }

    public func adding(nanoseconds delta: Int64) -> WallTime { WallTime(seconds: seconds, nanoseconds: nanoseconds + delta) }

    public var totalNanoseconds: Int64 { seconds * 1_000_000_000 + nanoseconds }
    public static func < (a: WallTime, b: WallTime) -> Bool { a.totalNanoseconds < b.totalNanoseconds }
    public var description: String { "\(seconds).\(String(format: "%09lld", nanoseconds))" }
}

extension Dictionary where Key == String, Value == Any {
    /// Whether this record is about the wake-up HELLO (or its sender) rather than the test's traffic.
    public var isWakeUp: Bool {
        for key in ["src", "ip"] where self[key] as? String == TestNetwork.wakeUpAddress { return true }
        return false
    }
}

/// A child's standard streams (input from /dev/null, `output` and `error` as given) and
/// its signals (none blocked, every one at its default action: a test process may
/// block or ignore some), for posix_spawn. The caller destroys both.
public func prepareSpawn(_ actions: inout posix_spawn_file_actions_t, _ attributes: inout posix_spawnattr_t, output: Int32, error: Int32) {
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, output, 1)
    posix_spawn_file_actions_adddup2(&actions, error, 2)
    posix_spawnattr_init(&attributes)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var all = sigset_t()
    sigfillset(&all)
    sigdelset(&all, SIGKILL)
    sigdelset(&all, SIGSTOP)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
}

/// Reaps `pid` if it has ended, without waiting: its exit status, or the signal that
/// ended it; nil while it runs; -1 when it cannot be waited for.
public func reapIfEnded(_ pid: pid_t) -> Int32? {
    var status: Int32 = 0
    let reaped = waitpid(pid, &status, WNOHANG)
    // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
    if reaped == pid { return status & 0x7F == 0 ? (status >> 8) & 0xFF : status & 0x7F }
    if reaped < 0 && errno != EINTR { return -1 }
    return nil
}
