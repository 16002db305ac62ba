import DiscoveryCodec
import WireBytes

/// `split-brain` (error): two groups, each with its own registry.
///
/// The firmware: boards that cannot hear each other (two switches, a VLAN split, a
/// broken link) each elect their own registry. Nothing crosses in steady state; when
/// some board broadcasts, both registries send FULLs that do not list each other (one
/// side may still list the other, a stale entry it has not declared offline yet), the
/// boards HELLO back, and the groups converge on the lowest address.
///
/// Opens on FULLs from two senders within the conflict window, at least one of which
/// leaves the other out (a FULL counts as leaving X out only once X had been heard
/// before it; the other may still list it), while both keep sending frames: neither is back from a silence of a
/// round or more (a frozen registry's catch-up crossing its successor's FULLs is its
/// return, told with its failover). A merge of several groups is one incident naming
/// every registry involved; it closes when a FULL of one of them lists all the others.
struct SplitBrain {
    struct Snapshot {
        var sender: IPv4Address
        var time: Timestamp
        /// The entries its FULL listed (kept, not reallocated, from one FULL to the next).
        let listing = Listing()

        func lists(_ ip: IPv4Address) -> Bool {
            for k in 0..<listing.count where listing.entries[k].ip == ip.value { return true }
            return false
        }
    }

    /// A FULL's entries, copied whole (one copy of memory: the addresses alone would be
    /// gathered one by one), in memory of their own (changed without asking for it).
    final class Listing {
        let entries = UnsafeMutablePointer<FullEntry>.allocate(capacity: 256)
        var count = 0

        deinit { entries.deallocate() }

        func keep(_ from: UnsafeBufferPointer<FullEntry>) {
            let n = min(from.count, 256)
            // (Entries are plain values: laid over the last FULL's as over fresh memory.)
            if n > 0 { entries.initialize(from: from.baseAddress!, count: n) }
            count = n
        }
    }

    struct Detail {
        var fulls = 2
        var on: IPv4Address?
    }

    static let snapshots = 4
    static let maxOpen = 16

    var recent: [Snapshot] = []
    var lastSender: IPv4Address?
    var details: [Detail] = []
    var open: [Int32] = []
    /// Merges closed less than a round ago: a pair of them seen again reopens it.
    var closed: [Int32] = []

    init() { open.reserveCapacity(8) }

    mutating func full(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        // The FULL's entries as the analyzer holds them, read in place (the analyzer keeps
        // them while the engine reads them: no reference to count).
        unowned(unsafe) let buffer = ctx.analyzer.fullComparison.previousEntries
        let entries = UnsafeBufferPointer(start: buffer.base, count: buffer.count)
        if !open.isEmpty { followOpen(entries, from: sender, at: time, ctx) }
        for j in recent.indices where recent[j].sender != sender
            && time.totalNanoseconds - recent[j].time.totalNanoseconds < ctx.timing.conflictWindow {
            let other = recent[j].sender
            guard ctx.isLive(other) else { continue }
            // One of the two FULLs leaves the other registry out (the other may still list
            // it: a stale entry). When only the other's, older FULL left this sender out
            // and the two converged since, that FULL is the past, not a new split.
            let senderLeavesOut = !lists(entries, other) && heardBefore(other, time, ctx)
            let otherLeavesOut = !recent[j].lists(sender) && heardBefore(sender, recent[j].time, ctx)
            guard senderLeavesOut || otherLeavesOut else { continue }
            if !senderLeavesOut && converged(sender, other, after: recent[j].time, ctx) { continue }
            guard keptSending(sender, at: time, ctx), keptSending(other, at: time, ctx) else { continue }
            join(other, sender, since: recent[j].time, at: time, ctx)
        }
        keep(entries, from: sender, at: time, ctx)
    }

    /// A merge of both converged after `time`.
    private func converged(_ a: IPv4Address, _ b: IPv4Address, after time: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        closed.contains { ctx.log[$0].ips.contains(a) && ctx.log[$0].ips.contains(b) && (ctx.log[$0].until ?? time) >= time }
    }

    /// `ip` sent a frame before `time` (a FULL that leaves out a node not heard yet is no split).
    private func heardBefore(_ ip: IPv4Address, _ time: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        guard let first = ctx.firstSent(ip) else { return false }
        return first < time
    }

    /// Not back from a silence of a round or more within the last round.
    private func keptSending(_ ip: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) -> Bool {
        guard let back = ctx.heard.peek(ctx.place(ip), ip).backSince else { return true }
        return time.totalNanoseconds - back.totalNanoseconds > ctx.timing.round
    }

    private mutating func join(_ a: IPv4Address, _ b: IPv4Address, since: Timestamp, at time: Timestamp, _ ctx: DiagnosisContext) {
        ctx.story(a, until: time)
        ctx.story(b, until: time)
        if let k = open.first(where: { ctx.log[$0].ips.contains(a) || ctx.log[$0].ips.contains(b) }) {
            for ip in [a, b] where !ctx.log[k].ips.contains(ip) {
                ctx.log[k].ips.append(ip)
                ctx.log.touch()
            }
            return
        }
        closed.removeAll { ctx.log[$0].until.map { time.totalNanoseconds - $0.totalNanoseconds > ctx.timing.round } ?? true }
        if let n = closed.firstIndex(where: { ctx.log[$0].ips.contains(a) && ctx.log[$0].ips.contains(b) }) {
            let k = closed.remove(at: n)
            ctx.log[k].isOpen = true
            ctx.log[k].until = nil
            ctx.log.touch()
            details[Int(ctx.log[k].detail)].on = nil
            open.append(k)
            return
        }
        // Spoofed FULLs from ever new senders: a few merges at a time are followed, the rest counted.
        guard open.count < SplitBrain.maxOpen else {
            ctx.log.countDropped()
            return
        }
        details.append(Detail())
        let k = ctx.log.open(.splitBrain, [a, b], since: since, detail: details.count - 1, isOpen: true)
        if let k { open.append(k) }
    }

    /// Open merges with this sender: converged when its FULL lists every other registry.
    private mutating func followOpen(_ entries: UnsafeBufferPointer<FullEntry>, from sender: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        for k in open where ctx.log[k].ips.contains(sender) {
            let d = Int(ctx.log[k].detail)
            if ctx.log[k].ips.allSatisfy({ $0 == sender || lists(entries, $0) }) {
                ctx.log.close(k, at: time)
                details[d].on = sender
                for ip in ctx.log[k].ips { ctx.story(ip, until: time) }
                if closed.count < SplitBrain.maxOpen { closed.append(k) }
            } else {
                details[d].fulls += 1
            }
        }
        open.removeAll { !ctx.log[$0].isOpen }
    }

    /// Keeps this FULL's addresses as the sender's latest (a repeat of the sender's own
    /// previous FULL changes only the time).
    private mutating func keep(_ entries: UnsafeBufferPointer<FullEntry>, from sender: IPv4Address, at time: Timestamp, _ ctx: DiagnosisContext) {
        // Looked for by index (a search with a closure holds a reference to the array).
        var found: Int?
        for j in 0..<recent.count where recent[j].sender == sender { found = j; break }
        if let j = found {
            let repeated = ctx.analyzer.lastFullWasIdentical && lastSender == sender
            recent[j].time = time
            if !repeated { recent[j].listing.keep(entries) }
        } else {
            let j: Int
            if recent.count < SplitBrain.snapshots {
                recent.append(Snapshot(sender: sender, time: time))
                j = recent.count - 1
            } else {
                j = recent.indices.min { recent[$0].time < recent[$1].time }!
            }
            recent[j].sender = sender
            recent[j].time = time
            recent[j].listing.keep(entries)
        }
        lastSender = sender
    }

    private func lists(_ entries: UnsafeBufferPointer<FullEntry>, _ ip: IPv4Address) -> Bool {
        for entry in entries where entry.ip == ip.value { return true }
        return false
    }

    /// The latest of the recent FULLs (of other senders) that does not list `ip`.
    func latestFull(without ip: IPv4Address) -> Timestamp? {
        var latest: Timestamp?
        for snapshot in recent where snapshot.sender != ip && !snapshot.lists(ip) {
            if latest == nil || snapshot.time > latest! { latest = snapshot.time }
        }
        return latest
    }

    func describe(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> (DiagnosisMessage, [(name: String, value: Diagnosis.Figure)], [IPv4Address]) {
        let d = details[Int(record.detail)]
        var ips = record.ips
        var names = DiagnosisMessage()
        for (n, ip) in ips.enumerated() { names += (n == 0 ? "" : n == ips.count - 1 ? " and " : ", ") + ctx.label(ip) }
        var text: DiagnosisMessage = ips.count == 2
            ? "\(names) both sent FULLs that do not list each other (from \(time: record.since)): two groups, each with its own registry, came to hear each other."
            : "\(names) all sent FULLs that leave some of the others out (from \(time: record.since)): \(ips.count) groups, each with its own registry, came to hear each other."
        if let end = record.until, let on = d.on {
            text += " They converged on \(ctx.label(on)) at \(time: end), \(span: end, record.since) later, after \(d.fulls) FULLs."
            ips = ips.filter { $0 != on } + [on]
        } else {
            text += " They had not converged by the end of the capture."
        }
        text += " Two switches, a VLAN split or a broken link kept them apart; the groups merge only when some board broadcasts (a boot HELLO, an OFFLINE)."
        return (text, [("fulls", .count(d.fulls))], ips)
    }

    func openLine(_ record: IncidentRecord, _ ctx: DiagnosisContext) -> DiagnosisMessage {
        var names = DiagnosisMessage()
        for (n, ip) in record.ips.enumerated() { names += (n == 0 ? "" : " and ") + ctx.label(ip) }
        return "registries that do not list each other: \(names)"
    }
}
