import DiscoveryCodec
import WireBytes

/// The failure modes of PROTOCOL.md's "How discovery goes wrong", as CONTRACT.md
/// names them.
public enum DiagnosisCode: String, CaseIterable, Sendable {
    case registryFailover = "registry-failover"
    case registryLostUnnoticed = "registry-lost-unnoticed"
    case registryHandoverGap = "registry-handover-gap"
    case desktopRegistry = "desktop-registry"
    case splitBrain = "split-brain"
    case twoRegistries = "two-registries"
    case registryNotLowest = "registry-not-lowest"
    case offlineStorm = "offline-storm"
    case nodeLost = "node-lost"
    case nodeFlapping = "node-flapping"
    case falseOffline = "false-offline"
    case fullExceedsReceiveBuffer = "full-exceeds-receive-buffer"
    case legacyFirmware = "legacy-firmware"
    case malformedFrames = "malformed-frames"
    case addressFlood = "address-flood"
    case nodeRestarted = "node-restarted"
    case lanSilent = "lan-silent"
    case thresholdsMismatch = "thresholds-mismatch"

    /// CONTRACT.md's severity of each code.
    public var severity: Severity {
        switch self {
        case .registryFailover, .registryLostUnnoticed, .desktopRegistry, .splitBrain, .fullExceedsReceiveBuffer: .error
        case .nodeLost, .nodeRestarted: .note
        default: .warning
        }
    }
}

/// `error`: discovery did not work for someone; `warning`: something is wrong but
/// discovery worked; `note`: worth knowing.
public enum Severity: String, Sendable, Comparable {
    case note, warning, error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A plain-English finding about one incident: what happened, to whom, when, for
/// how long and what to do, with the numbers behind it.
public struct Diagnosis: Sendable {
    /// A number of the diagnosis (`count`, `gap_s`, ...): an integer or seconds.
    public enum Figure: Sendable, Equatable {
        case count(Int)
        case seconds(Double)
    }

    /// The incident's number within the run (its `id`).
    public var id: Int
    public var code: DiagnosisCode
    public var severity: Severity { code.severity }
    /// The nodes it is about, the one at fault first.
    public var ips: [IPv4Address]
    public var since: Timestamp
    /// Absent while it lasts at the end of the input.
    public var until: Timestamp?
    /// Its words, in parts: each output renders the names in it itself.
    public var message: DiagnosisMessage
    /// The words as plain text (names quoted and escaped).
    public var text: String { message.plainText }
    /// Named numbers, in the order they are written.
    public var figures: [(name: String, value: Figure)]

    public init(id: Int = 0, code: DiagnosisCode, ips: [IPv4Address], since: Timestamp, until: Timestamp?, message: DiagnosisMessage,
                figures: [(name: String, value: Figure)] = []) {
        self.id = id
        self.code = code
        self.ips = ips
        self.since = since
        self.until = until
        self.message = message
        self.figures = figures
    }

    /// A figure by name.
    public func figure(_ name: String) -> Figure? { figures.first { $0.name == name }?.value }
}

/// The analyzer's part of the summary.
public struct ElectionReport: Sendable {
    public var nodes: [Node]
    public var registry: IPv4Address?
    public var history: [Reign]
    public var historyDropped: Int
    public var eventCounts: [(kind: ElectionEventKind, count: Int)]
    /// In the order the incidents began.
    public var diagnoses: [Diagnosis]
    /// Diagnoses not kept (beyond the engine's cap on incidents).
    public var diagnosesDropped: Int
    /// The node cap, and the addresses beyond it.
    public var maxNodes: Int
    public var flood: AddressFlood
    /// Bounds that were reached, and how much each left out (only those reached).
    public var limitsReached: [(name: String, count: Int)]

    /// The worst severity of the diagnoses (nil: none).
    public var worstSeverity: Severity? { diagnoses.map(\.severity).max() }
}

extension ElectionAnalyzer {
    /// The summary of the timeline so far, with the engine's diagnoses.
    public func report(diagnoses engine: DiagnosisEngine?) -> ElectionReport {
        let sortedNodes = nodes.values.sorted { $0.ip < $1.ip }
        return ElectionReport(
            nodes: sortedNodes,
            registry: confirmedRegistry,
            history: history,
            historyDropped: historyDropped,
            eventCounts: ElectionEventKind.allCases.map { ($0, eventCount($0)) },
            diagnoses: engine?.diagnoses() ?? [],
            diagnosesDropped: engine?.incidentsDropped ?? 0,
            maxNodes: maxNodes,
            flood: flood,
            limitsReached: [("recent_full_senders_dropped", conflictSendersDropped),
                            ("conflict_episodes_dropped", conflictEpisodesDropped),
                            ("registry_history_dropped", historyDropped),
                            ("incidents_not_followed", engine?.incidentsDropped ?? 0),
                            ("incidents_not_told", engine?.incidentsNotTold ?? 0)].filter { $0.1 > 0 })
    }
}
