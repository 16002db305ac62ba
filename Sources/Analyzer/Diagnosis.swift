import DiscoveryCodec
import WireBytes

/// Traffic figures the diagnoses need beyond the timeline, counted by the caller
/// as frames pass (the analyzer itself sees only frames and time).
public struct TrafficTally: Sendable {
    public var hellos = 0
    public var fulls = 0
    public var legacyFrames = 0
    /// FULLs longer than the boards' 1024-byte receive buffer.
    public var oversizeFulls = 0
    public var largestFull = 0
    public var largestFullPeers = 0
    public var fragmentedFrames = 0
    public var malformed = 0
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?

    public init() {}

    /// Counts one decoded frame.
    public mutating func count(_ frame: FrameView, at time: Timestamp) {
        if firstTime == nil { firstTime = time }
        lastTime = time
        switch frame.type {
        case .hello: hellos += 1
        case .full:
            fulls += 1
            if frame.payload.count > FirmwareLimits.receiveBuffer { oversizeFulls += 1 }
            if frame.payload.count > largestFull {
                largestFull = frame.payload.count
                largestFullPeers = frame.peers.count
            }
        case .legacy: legacyFrames += 1
        default: break
        }
        if frame.warnings.contains(.fragmented) { fragmentedFrames += 1 }
    }
}

/// A plain-English finding about what went wrong, with the numbers behind it.
public struct Diagnosis: Sendable {
    /// A stable code for scripts: `registry-never-answers`, `two-registries`, ...
    public var code: String
    public var text: String
}

/// The analyzer's part of the summary.
public struct ElectionReport: Sendable {
    public var nodes: [Node]
    public var registry: IPv4Address?
    public var history: [Reign]
    public var historyDropped: Int
    public var eventCounts: [(kind: ElectionEventKind, count: Int)]
    public var diagnoses: [Diagnosis]
}

extension ElectionAnalyzer {
    /// The summary of the timeline so far, with diagnoses.
    public func report(tally: TrafficTally) -> ElectionReport {
        let sortedNodes = nodes.values.sorted { $0.ip < $1.ip }
        return ElectionReport(
            nodes: sortedNodes,
            registry: registry,
            history: history,
            historyDropped: historyDropped,
            eventCounts: ElectionEventKind.allCases.map { ($0, eventCount($0)) },
            diagnoses: diagnose(tally: tally))
    }

    func label(_ ip: IPv4Address) -> String {
        if let name = nodes[ip]?.name { return "\(ip) \"\(name)\"" }
        return "\(ip)"
    }

    func diagnose(tally: TrafficTally) -> [Diagnosis] {
        var found: [Diagnosis] = []
        // A registry everyone elects but that never sends FULL: the desktop-client case.
        for (ip, count) in silentCounts.sorted(by: { $0.key < $1.key }) {
            let fulls = nodes[ip]?.framesByType[FrameType.full.index] ?? 0
            let hellos = nodes[ip]?.framesByType[FrameType.hello.index] ?? 0
            var text = "\(label(ip)) has the lowest address, so the boards elect it registry, but \(count) time\(count == 1 ? "" : "s") a FULL it owed did not come within \(formatThreshold(thresholds.registryTimeout)) (registry-silent); it sent \(fulls) FULL\(fulls == 1 ? "" : "s") in all"
            if fulls == 0 && hellos > 0 {
                text += " and \(hellos) HELLO\(hellos == 1 ? "" : "s"): it behaves like a desktop client, which never sends FULL, so discovery stalls. Give it a higher address than the boards, or stop it"
            }
            found.append(Diagnosis(code: "registry-never-answers", text: text + "."))
        }
        for (pair, count) in conflictCounts.sorted(by: { ($0.key.low, $0.key.high) < ($1.key.low, $1.key.high) }) {
            found.append(Diagnosis(code: "two-registries",
                text: "\(label(pair.low)) and \(label(pair.high)) both acted as registry: FULLs from both within \(formatThreshold(thresholds.conflictWindow)), \(count) episode\(count == 1 ? "" : "s") (registry-conflict). Their views of the network differ."))
        }
        if tally.oversizeFulls > 0 {
            var text = "\(tally.oversizeFulls) FULL frame\(tally.oversizeFulls == 1 ? " was" : "s were") longer than the boards' 1024-byte receive buffer (the largest \(tally.largestFull) bytes, \(tally.largestFullPeers) peers): every board reads them cut and loses the peers past the cut"
            if let first = tally.firstTime, let last = tally.lastTime, last > first {
                let span = last.seconds(since: first)
                text += "; boards missing from the list HELLO again and the registry answers each with a FULL: \(tally.hellos) HELLOs and \(tally.fulls) FULLs in \(formatThreshold(span)) (\(Int((Double(tally.hellos + tally.fulls) / max(span, 0.001)).rounded())) a second)"
            }
            found.append(Diagnosis(code: "full-exceeds-receive-buffer", text: text + ". Shorter names or fewer boards per network keep FULL under 1024 bytes."))
        }
        for node in nodes.values.sorted(by: { $0.ip < $1.ip }) where node.timesDeclaredOffline >= 2 {
            found.append(Diagnosis(code: "node-flapping",
                text: "\(label(node.ip)) was declared offline \(node.timesDeclaredOffline) times and came back \(node.timesReturned) time\(node.timesReturned == 1 ? "" : "s"): it misses PINGs (frozen, overloaded or on a bad link)."))
        }
        let legacy = nodes.values.filter { $0.framesByType[FrameType.legacy.index] > 0 }.sorted { $0.ip < $1.ip }
        if !legacy.isEmpty {
            let list = legacy.map { node in label(node.ip) + (node.legacyVersion.map { " (version \($0))" } ?? "") }.joined(separator: ", ")
            found.append(Diagnosis(code: "legacy-firmware",
                text: "\(legacy.count) device\(legacy.count == 1 ? "" : "s") still announce\(legacy.count == 1 ? "s" : "") itself with old JSON firmware (\(tally.legacyFrames) frames): \(list). Current boards do not list them; update their firmware."))
        }
        for (ip, count) in unexpectedCounts.sorted(by: { $0.key < $1.key }) where silentCounts.isEmpty {
            found.append(Diagnosis(code: "registry-not-lowest",
                text: "\(label(ip)) sent \(count) FULL\(count == 1 ? "" : "s") while a lower address was live (registry-unexpected): it does not know the lower node, or is not the registry the boards elect."))
        }
        if tally.malformed > 0 {
            found.append(Diagnosis(code: "malformed-frames", text: "\(tally.malformed) malformed datagram\(tally.malformed == 1 ? "" : "s") on the discovery port: see --malformed."))
        }
        return found
    }
}

/// "0.3 s", "5 s", "2 min 5 s".
func formatThreshold(_ seconds: Double) -> String {
    if seconds < 60 {
        let rounded = (seconds * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) s" : "\(rounded) s"
    }
    let whole = Int(seconds.rounded())
    return whole < 3600 ? "\(whole / 60) min \(whole % 60) s" : "\(whole / 3600) h \(whole / 60 % 60) min"
}
