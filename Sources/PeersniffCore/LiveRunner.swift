import Capture
import Output
import PacketLayers
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM; the capture loop checks it between reads (the read
/// timeout bounds how long that takes).
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

/// `-i IFACE`: watches an interface through the same pipeline as files.
public struct LiveRunner {
    public let interface: String
    public let options: Options
    /// `--duration`: stop after this many seconds.
    public var duration: Double?
    /// `-Z USER`: drop root once the capture is open.
    public var dropTo: String?
    /// Called about four times a second while watching (the live view redraws).
    public var onTick: (Timestamp) -> Void = { _ in }
    /// Write each record out at once (a person is watching); otherwise output is
    /// flushed when the line goes idle and on each tick.
    public var flushEachRecord = false

    public init(interface: String, options: Options, duration: Double? = nil, dropTo: String? = nil) {
        self.interface = interface
        self.options = options
        self.duration = duration
        self.dropTo = dropTo
    }

    /// Watches until `-c`, `--duration`, SIGINT/SIGTERM, or the interface goes away.
    /// Returns the error that ended the capture, if one did (the summary is still due).
    public func run(pipeline: Pipeline) throws(CaptureError) -> String? {
        let handle = try PcapHandle.openLive(interface)
        let dlt = handle.linkType
        guard let link = LinkType(dlt: dlt) else {
            throw CaptureError(.unsupportedLinkType, "\(interface): link type \(PcapHandle.linkTypeName(dlt)) is not supported")
        }
        // The kernel applies peersniff's own filter; -f, when given, is applied here, so
        // that the discovery packets it leaves out of the analysis are counted.
        var userFilter: BPFProgram? = nil
        if let extra = options.extraFilter, !extra.isEmpty {
            _ = try handle.compile(extra)
            userFilter = try handle.compile(discoveryFilter(port: options.port, link: link, extra: extra))
        }
        try handle.setFilter(try handle.compile(discoveryFilter(port: options.port, link: link, extra: nil)))
        var leftOut = 0
        defer { pipeline.setLeftOutByFilter(leftOut) }
        try pipeline.inputsOpened([InputFormat(name: interface, linkType: dlt, snapLength: handle.snapLength, precision: handle.precision)])
        if let dropTo { try dropPrivileges(to: dropTo) }

        stopRequested = 0
        installStopHandlers()
        let state = Pipeline.SourceState(link: link, label: nil)
        let started = wallClock()
        var lastTick = started
        var number = 0
        var failure: String? = nil
        try handle.setNonBlocking()
        let index = handle.interfaceIndex()
        loop: while stopRequested == 0 && !pipeline.limitReached {
            // Wait for packets at most 100 ms, then read all that are buffered.
            if handle.waitForPackets(milliseconds: 100) {
                reading: while stopRequested == 0 && !pipeline.limitReached {
                    switch handle.next() {
                    case let .packet(packet):
                        number += 1
                        if let userFilter, !userFilter.matches(packet) {
                            leftOut += 1
                            continue reading
                        }
                        pipeline.process(packet, number: number, source: state)
                        if flushEachRecord { pipeline.flushOutput() }
                        // Traffic that never pauses must not starve the tick (deadlines,
                        // the metrics file, the page, SIGHUP): a look at the clock every
                        // 1024 packets.
                        if number & 1023 == 0, wallClock().totalNanoseconds - lastTick.totalNanoseconds >= 250_000_000 {
                            break reading
                        }
                    case .timeout:
                        break reading
                    case .end:
                        break loop
                    case let .failed(message):
                        failure = "\(interface): the capture stopped: \(message)"
                        break loop
                    }
                }
            }
            // The line is idle (or was drained): show what is pending.
            pipeline.flushOutput()
            if reopenRequested != 0, ReopenSignal.take() { pipeline.reopen() }
            let now = wallClock()
            // Deadlines pass on the wall clock even when nothing arrives.
            if now.totalNanoseconds - lastTick.totalNanoseconds >= 250_000_000 {
                lastTick = now
                // The kernel tells a vanished interface with an error on the socket;
                // where it does not, asking for the interface by name does.
                if let index, index > 0, let current = handle.interfaceIndex(), current != index {
                    failure = "\(interface): the capture stopped: The interface disappeared"
                    break
                }
                pipeline.tick(now, source: state)
                // The kernel's counts as they stand (the metrics file shows them).
                let stats = handle.statistics()
                if let stats {
                    pipeline.setKernelStatistics(received: stats.received, dropped: stats.dropped, interfaceDropped: stats.interfaceDropped)
                }
                pipeline.setRead(number)
                if statusRequested != 0, StatusSignal.take() {
                    writeStandardError(pipeline.statusLine(read: number, kernel: stats.map { ($0.received, $0.dropped) }))
                }
                onTick(now)
                pipeline.flushOutput()
            }
            if let duration, now.seconds(since: started) >= duration { break }
        }
        if let stats = handle.statistics() {
            pipeline.setKernelStatistics(received: stats.received, dropped: stats.dropped, interfaceDropped: stats.interfaceDropped)
        }
        pipeline.finish(source: state)
        pipeline.setRead(number)
        return failure
    }
}

/// The wall clock as a capture timestamp.
public func wallClock() -> Timestamp {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Timestamp(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
}

private func installStopHandlers() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in stopRequested = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
    // A parent that blocked them (some launchers do) must not leave us unstoppable.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGINT)
    sigaddset(&stopSignals, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
}
