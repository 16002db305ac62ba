import WireBytes

/// FULLs from a node that is not the one registry, not explained by a registry story
/// (a failover, a desktop client, a split, a false OFFLINE, an owed FULL, within a
/// round of it: `Explanations`):
///
/// - `two-registries` (warning): FULLs from two senders within the conflict window
///   (the analyzer's `registry-conflict`), counted per pair.
/// - `registry-not-lowest` (warning): FULLs while a lower node was live (the analyzer's
///   `registry-unexpected`), counted per sender; explained by `two-registries` of the
///   same pair within the conflict window.
///
/// The firmware elects the lowest address among the devices each board knows; two
/// senders of FULL mean two views of the network (a board that does not hear another).
struct TwoRegistries {
    static let maxPairs = 256

    var counts: [Int] = []
    var pairs: [ElectionAnalyzer.PairKey: Int32] = [:]
    var notLowest = NodeSlots<Int32?>(nil)
    // What the current frame's events said, classified at the end of the frame.
    var conflicts: [(a: IPv4Address, b: IPv4Address)] = []
    var unexpected: (ip: IPv4Address, expected: IPv4Address)?

    init() { conflicts.reserveCapacity(16) }

    mutating func conflict(_ a: IPv4Address, _ b: IPv4Address) {
        if conflicts.count < 16 { conflicts.append((a, b)) }
    }

    mutating func unexpected(_ ip: IPv4Address, expected: IPv4Address) { unexpected = (ip, expected) }

    /// The current frame made a conflict or an unexpected FULL.
    var hasPending: Bool { !conflicts.isEmpty || unexpected != nil }

    /// The frame's conflicts are the flood's.
    mutating func forgetFrame() {
        conflicts.removeAll(keepingCapacity: true)
        unexpected = nil
    }

    /// The end of a frame: its conflicts and unexpected FULL, unless a story explains them.
    mutating func endOfFrame(at time: Timestamp, _ ctx: DiagnosisContext) {
        if !conflicts.isEmpty {
            for (a, b) in conflicts {
                if Explanations.storyExplains(.twoRegistries, a, b, at: time, ctx) { continue }
                let pair = ElectionAnalyzer.PairKey(a, b)
                if let k = pairs[pair] {
                    counts[Int(ctx.log[k].detail)] += 1
                    ctx.log[k].until = time
                } else if pairs.count < TwoRegistries.maxPairs {
                    counts.append(1)
                    let k = ctx.log.open(.twoRegistries, [pair.low, pair.high], since: time, detail: counts.count - 1)
                    if let k {
                        ctx.log[k].until = time
                        pairs[pair] = k
                    }
                } else {
                    ctx.log.countDropped()
                }
            }
            conflicts.removeAll(keepingCapacity: true)
        }
        guard let (ip, expected) = unexpected else { return }
        unexpected = nil
        if Explanations.storyExplains(.registryNotLowest, ip, expected, at: time, ctx) { return }
        guard let place = ctx.place(ip) else { return }
        let s = notLowest.slot(place, ip)
        if let k = notLowest[s] {
            counts[Int(ctx.log[k].detail)] += 1
            ctx.log[k].until = time
        } else {
            counts.append(1)
            notLowest[s] = ctx.log.open(.registryNotLowest, [ip, expected], since: time, detail: counts.count - 1)
            if let k = notLowest[s] { ctx.log[k].until = time }
        }
    }

    func count(_ record: IncidentRecord) -> Int { counts[Int(record.detail)] }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)]) {
        let count = counts[Int(record.detail)]
        let x = record.ips[0]
        if record.code == .twoRegistries {
            var text: DiagnosisMessage = "\(ctx.label(x)) and \(ctx.label(record.ips[1])) both acted as registry: FULLs from both within \(prose: formatThreshold(ctx.analyzer.thresholds.conflictWindow)) (the conflict window), \(count) time\(prose: plural(count)) from \(time: record.since)"
            if let until = record.until, until > record.since { text += " to \(time: until)" }
            text += ". Their views of the network differ: check that every board hears every other's broadcasts."
            return (text, [("count", .count(count))])
        }
        let lower = record.ips.count > 1 ? record.ips[1] : x
        let text: DiagnosisMessage = "\(ctx.label(x)) sent \(count) FULL\(prose: plural(count)) from \(time: record.since) while the lower address \(ctx.label(lower)) was live: it does not know \(lower), or not every board hears \(lower)."
        return (text, [("count", .count(count))])
    }
}
