import Capture
import Output
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGUSR1: print the running counts without stopping, as tcpdump does.
nonisolated(unsafe) var statusRequested: sig_atomic_t = 0

/// SIGUSR1 and the running counts it asks for.
public enum StatusSignal {
    /// From now on SIGUSR1 asks for the counts (instead of ending the process).
    public static func install() {
        installFlagHandler(SIGUSR1) { _ in statusRequested = 1 }
    }

    /// Whether counts were asked for since the last call.
    static func take() -> Bool {
        guard statusRequested != 0 else { return false }
        statusRequested = 0
        return true
    }
}

/// Set by SIGHUP: open the output files again (log rotation).
nonisolated(unsafe) var reopenRequested: sig_atomic_t = 0

/// SIGHUP, as daemons take it: the outputs are opened again (after logrotate renamed them).
public enum ReopenSignal {
    /// From now on SIGHUP asks for the outputs to be opened again (instead of ending
    /// the process). Installed only when there is a file to reopen.
    public static func install() {
        installFlagHandler(SIGHUP) { _ in reopenRequested = 1 }
    }

    /// Whether a reopen was asked for since the last call.
    static func take() -> Bool {
        guard reopenRequested != 0 else { return false }
        reopenRequested = 0
        return true
    }
}

/// Routes `signal` to `handler`, which only sets a flag the loops read; reads it
/// interrupts are restarted. The signal is unblocked too: a parent may have started
/// us with it blocked (the mask is inherited).
private func installFlagHandler(_ signal: Int32, _ handler: @escaping @convention(c) (Int32) -> Void) {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = handler
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(signal, &action, nil)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    sigprocmask(SIG_UNBLOCK, &set, nil)
}

extension Pipeline {
    /// One line of running counts for standard error.
    func statusLine(read: Int, kernel: (received: Int, dropped: Int)? = nil) -> String {
        var line = "peersniff: \(read) packets read, \(summary.packetsMatched) on the discovery port, \(summary.frames) frames, \(summary.malformed) malformed"
        if let kernel { line += ", kernel: \(kernel.received) received, \(kernel.dropped) dropped" }
        return line + "\n"
    }
}

/// The progress of a long offline read on standard error (only when it is a
/// terminal, and the inputs are files of known size): percent, packets, rate and
/// time left, a few times a second, cleared at the end.
public final class ProgressLine {
    private var started = 0.0
    private var lastDrawn = 0.0
    private var drawn = false

    public init() { started = ProgressLine.now() }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Redraws if a quarter of a second has passed since the last time.
    func update(position: Int, size: Int, packets: Int) {
        let now = ProgressLine.now()
        guard now - lastDrawn >= 0.25, size > 0 else { return }
        lastDrawn = now
        let fraction = min(1, Double(position) / Double(size))
        let elapsed = now - started
        let rate = elapsed > 0 ? Double(packets) / elapsed : 0
        let left = fraction > 0.001 ? formatSeconds(elapsed * (1 - fraction) / fraction) + " left" : "time left not known yet"
        let line = "\r\u{1B}[K\(Int(fraction * 100))%  \(packets) packets  \(Int(rate)) packets/s  \(left)"
        writeStandardError(line)
        drawn = true
    }

    /// Clears the line.
    func finish() {
        if drawn { writeStandardError("\r\u{1B}[K") }
        drawn = false
    }
}
