import WireBytes

/// A diagnosis as it happens: an incident opens, and closes (CONTRACT.md's
/// `incident` record, Zeek's notice.log). `withdrawn`: what was open turned out not to
/// be an incident of its own (explained by a later one, or decided otherwise).
public struct IncidentChange: Sendable {
    public enum State: String, Sendable { case open, closed }
    public var state: State
    /// When it was written (capture time; live, the wall clock).
    public var time: Timestamp
    /// The incident as it stands: its `id` names it in both records and in the summary.
    public var diagnosis: Diagnosis
    public var withdrawn = false
    /// The stream's key of the incident.
    var key = ""
}

/// Follows the engine's diagnoses as they stand and tells each one once as it opens
/// and once as it closes. The summary's diagnoses are exactly the incidents it told
/// (and did not withdraw), with the same ids.
///
/// A registry story is told once it has stood for T (the registry timeout): what the
/// wire says within T can still overturn it (a registry declared offline that answers
/// within T was falsely declared, and its "failover" was none), so that an incident
/// told is one the summary keeps. Its closing is told at once.
///
/// Asked often, it costs little: it looks again only when an incident began or ended
/// (the log's `version`), when a rule's aggregate changed, T after a new incident
/// appeared, or a round after it last looked while something may ripen with time (an
/// owed FULL, a node declared offline, a storm of oversize FULLs, a silence).
struct IncidentStream {
    struct Told {
        var id: Int
        var closed: Bool
        var diagnosis: Diagnosis
        var withdrawn = false
    }

    private(set) var told: [String: Told] = [:]
    /// Incidents seen but not yet told, since when (they are told once T old).
    private(set) var waiting: [String: Timestamp] = [:]
    var nextID = 1
    var lastVersion = -1
    var nextLook: Timestamp?
    /// What was told, for a quick look without words: the log places told, the nodes
    /// told lost, whether the oversize FULLs' end was told.
    private(set) var toldSources = Set<Int>()
    /// Log places told and closed (they stand as told: not looked at again until the
    /// end), the keys told and still open, and the explainers among those told closed.
    private(set) var closedSources = Set<Int>()
    private(set) var openKeys = Set<String>()
    private(set) var toldExplainers = ExplainerIndex()
    private(set) var toldLost = Set<UInt32>()
    private(set) var oversizeEndTold = false
    /// Bound: incidents told in a run (beyond, counted).
    static let capacity = 4096
    private(set) var notTold = 0

    /// The key of a diagnosis: where it came from and what it is.
    static func key(_ d: Diagnosis, source: Int) -> String {
        source > 0 ? key(code: d.code, source: source) : "\(d.code.rawValue):\(d.code.isAggregate ? "" : d.ips.first?.description ?? "")"
    }

    /// The key of an incident of the log.
    static func key(code: DiagnosisCode, source: Int) -> String { "\(source):\(code.rawValue)" }

    func id(for key: String) -> Int? { told[key]?.id }

    /// The changes from what was told to `current` (each with its key), at `now`;
    /// `settle`: how long a new incident stands before it is told (0: at once).
    mutating func update(_ current: [(key: String, diagnosis: Diagnosis)], now: Timestamp, settle: Int64) -> [IncidentChange] {
        var changes: [IncidentChange] = []
        defer { note(changes) }
        var present = Set<String>()
        for (key, diagnosis) in current {
            present.insert(key)
            if var entry = told[key], !(entry.closed && (diagnosis.until == nil || entry.withdrawn)) {
                guard !entry.closed else { continue }
                entry.diagnosis = diagnosis
                entry.diagnosis.id = entry.id
                if diagnosis.until != nil {
                    entry.closed = true
                    changes.append(IncidentChange(state: .closed, time: now, diagnosis: entry.diagnosis, key: key))
                }
                told[key] = entry
            } else {
                if settle > 0, diagnosis.code.mayBeOverturned {
                    let seen = waiting[key] ?? now
                    waiting[key] = seen
                    guard now.totalNanoseconds - seen.totalNanoseconds >= settle else { continue }
                }
                waiting[key] = nil
                guard told.count < IncidentStream.capacity else {
                    notTold += 1
                    continue
                }
                var d = diagnosis
                d.id = nextID
                nextID += 1
                told[key] = Told(id: d.id, closed: d.until != nil, diagnosis: d)
                changes.append(IncidentChange(state: .open, time: now, diagnosis: d, key: key))
                if let colon = key.firstIndex(of: ":"), let source = Int(key[..<colon]) { toldSources.insert(source) }
                if d.until != nil { changes.append(IncidentChange(state: .closed, time: now, diagnosis: d, key: key)) }
            }
        }
        // Seen, gone before told: never an incident.
        if !waiting.isEmpty { waiting = waiting.filter { present.contains($0.key) } }
        // Open and gone: withdrawn (closed ones stay as they were told).
        for key in openKeys where !present.contains(key) {
            guard var entry = told[key], !entry.closed else { continue }
            entry.closed = true
            entry.withdrawn = true
            told[key] = entry
            var d = entry.diagnosis
            d.until = now
            changes.append(IncidentChange(state: .closed, time: now, diagnosis: d, withdrawn: true, key: key))
        }
        return changes
    }

    /// Keeps what the quick look needs of what was told.
    private mutating func note(_ changes: [IncidentChange]) {
        for change in changes {
            let d = change.diagnosis
            let key = change.key
            if change.state == .open {
                openKeys.insert(key)
            } else {
                openKeys.remove(key)
                if !change.withdrawn {
                    toldExplainers.add(d)
                    if let colon = key.firstIndex(of: ":"), let source = Int(key[..<colon]) { closedSources.insert(source) }
                }
            }
            if d.code == .nodeLost, let ip = d.ips.first {
                if change.state == .open { toldLost.insert(ip.value) } else if change.withdrawn { toldLost.remove(ip.value) }
            }
            if d.code == .fullExceedsReceiveBuffer, change.state == .closed { oversizeEndTold = true }
        }
    }

    /// The earliest time a waiting incident is T old.
    func nextSettled(settle: Int64) -> Timestamp? {
        waiting.values.min().map { $0.adding(nanoseconds: settle) }
    }
}

extension DiagnosisCode {
    /// A registry story the next T of the wire can still decide otherwise (a registry
    /// declared offline that answers within T, an owed FULL that comes, a conflict
    /// that is a merge): told once it has stood for T.
    var mayBeOverturned: Bool {
        switch self {
        case .registryFailover, .registryHandoverGap, .registryLostUnnoticed, .desktopRegistry, .splitBrain,
             .twoRegistries, .registryNotLowest: true
        default: false
        }
    }

    /// One per run, whatever nodes it names (its list grows).
    var isAggregate: Bool {
        switch self {
        case .legacyFirmware, .fullExceedsReceiveBuffer, .malformedFrames, .addressFlood, .thresholdsMismatch: true
        default: false
        }
    }
}
