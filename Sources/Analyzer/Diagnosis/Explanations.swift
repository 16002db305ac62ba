import WireBytes

/// Which incident explains which: the explained one is not reported on its own. The
/// one place where suppression happens, as data (as Zeek's notice framework suppresses
/// in one place), with the two admission policies beside it:
///
/// - the flood policy: while the node cap is reached, what happens about an address
///   heard only once is the address flood's (`address-flood` tells it);
/// - the one-off policy: a FULL whose sender was heard that once is a claim, not a
///   reign (`OneOffSender` tells it, once per sender).
enum Explanations {
    /// How an explaining incident relates to the one it explains.
    enum Relation {
        /// Both are about the same node (the explained one's first node is the
        /// explainer's first node).
        case sameNode
        /// The explained one's first node is among the explainer's nodes.
        case amongNodes
        /// The same two nodes, within the conflict window of each other.
        case samePairWithinWindow
        /// The explained one began during the explainer (or less than a round before it).
        case during
    }

    /// (explainer, explained, relation).
    static let table: [(explainer: DiagnosisCode, explained: DiagnosisCode, relation: Relation)] = [
        // A lost registry is told by its story, not again as a lost node.
        (.registryFailover, .nodeLost, .sameNode),
        (.desktopRegistry, .nodeLost, .sameNode),
        (.registryLostUnnoticed, .nodeLost, .sameNode),
        // Legacy firmware never answers PING: the OFFLINEs about it are its own story.
        (.legacyFirmware, .offlineStorm, .amongNodes),
        (.legacyFirmware, .nodeFlapping, .amongNodes),
        (.legacyFirmware, .nodeLost, .amongNodes),
        // FULLs from a node that is not the lowest, in a conflict with that node.
        (.twoRegistries, .registryNotLowest, .samePairWithinWindow),
        // A silent LAN: the FULLs nobody sent and the nodes nobody heard are its doing.
        (.lanSilent, .registryLostUnnoticed, .during),
        (.lanSilent, .registryHandoverGap, .during),
        (.lanSilent, .desktopRegistry, .during),
        (.lanSilent, .registryFailover, .during),
        (.lanSilent, .nodeLost, .during),
    ]

    /// Codes whose FULL conflicts near a registry story are that story's (a failover,
    /// a desktop client, a split, a false OFFLINE, an owed FULL: `DiagnosisContext.story`).
    static let explainedByStories: Set<DiagnosisCode> = [.twoRegistries, .registryNotLowest]

    /// Whether a conflict or an unexpected FULL between `a` and `b` at `time` is
    /// explained as it happens, by a registry story within a round.
    static func storyExplains(_ code: DiagnosisCode, _ a: IPv4Address, _ b: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        explainedByStories.contains(code) && (ctx.inStory(a, at: time) || ctx.inStory(b, at: time))
    }

    /// The diagnoses to report: the flood and one-off policies, then the table.
    /// `told`: explainers told earlier and no longer among the candidates.
    static func apply(_ candidates: [Diagnosis], strays: Set<IPv4Address>, _ ctx: DiagnosisContext,
                      told: ExplainerIndex? = nil) -> [Diagnosis] {
        let flooded = !ctx.analyzer.flood.isEmpty
        let admitted = candidates.filter { d in
            if d.code == .addressFlood { return true }
            if flooded, d.ips.contains(where: ctx.isFloodNoise) { return false }
            if !strays.isEmpty, d.figure("one_off") == nil, d.ips.contains(where: strays.contains) { return false }
            return true
        }
        var index = ExplainerIndex()
        for d in admitted { index.add(d) }
        return admitted.filter { !index.explains($0, ctx) && !(told?.explains($0, ctx) ?? false) }
    }

    static func holds(_ relation: Relation, _ explainer: Diagnosis, _ explained: Diagnosis, _ ctx: DiagnosisContext) -> Bool {
        guard let first = explained.ips.first else { return false }
        switch relation {
        case .sameNode:
            return explainer.ips.first == first
        case .amongNodes:
            return explainer.ips.contains(first)
        case .during:
            let start = explainer.since.totalNanoseconds - ctx.timing.round
            return explained.since.totalNanoseconds >= start && (explainer.until.map { explained.since <= $0 } ?? true)
        case .samePairWithinWindow:
            guard Set(explainer.ips) == Set(explained.ips) else { return false }
            let window = ctx.timing.conflictWindow
            return explainer.since.totalNanoseconds - window <= (explained.until ?? explained.since).totalNanoseconds
                && explained.since.totalNanoseconds - window <= (explainer.until ?? explainer.since).totalNanoseconds
        }
    }
}

/// Explainers indexed by code and by the nodes their relation looks at, so that each
/// diagnosis is checked only against the few that can explain it (a flood can make
/// thousands of diagnoses, a long capture thousands of incidents).
struct ExplainerIndex {
    struct Key: Hashable {
        var code: DiagnosisCode
        var a: UInt32
        var b: UInt32
    }
    private var explainers: [Diagnosis] = []
    private var index: [Key: [Int]] = [:]

    static func keys(_ relation: Explanations.Relation, _ d: Diagnosis, asExplainer: Bool) -> [Key] {
        switch relation {
        case .sameNode: return d.ips.first.map { [Key(code: d.code, a: $0.value, b: 0)] } ?? []
        case .amongNodes:
            return asExplainer ? d.ips.map { Key(code: d.code, a: $0.value, b: 0) } : (d.ips.first.map { [Key(code: d.code, a: $0.value, b: 0)] } ?? [])
        case .samePairWithinWindow:
            guard d.ips.count == 2 else { return [] }
            return [Key(code: d.code, a: min(d.ips[0].value, d.ips[1].value), b: max(d.ips[0].value, d.ips[1].value))]
        case .during: return [Key(code: d.code, a: 0, b: 0)]
        }
    }

    /// Keeps `d` if it explains anything.
    mutating func add(_ d: Diagnosis) {
        guard Explanations.table.contains(where: { $0.explainer == d.code }) else { return }
        let i = explainers.count
        explainers.append(d)
        for row in Explanations.table where row.explainer == d.code {
            for key in Self.keys(row.relation, d, asExplainer: true) where index[key]?.last != i { index[key, default: []].append(i) }
        }
    }

    /// Whether an explainer kept here explains `explained`.
    func explains(_ explained: Diagnosis, _ ctx: DiagnosisContext) -> Bool {
        guard !explainers.isEmpty else { return false }
        return Explanations.table.contains { row in
            guard row.explained == explained.code else { return false }
            return Self.keys(row.relation, explained, asExplainer: false).contains { key in
                let probe = Key(code: row.explainer, a: key.a, b: key.b)
                return (index[probe] ?? []).contains { Explanations.holds(row.relation, explainers[$0], explained, ctx) }
            }
        }
    }
}
