import DiscoveryCodec
#if canImport(Glibc)
import Glibc
#endif
import WireBytes

/// What the observer knows of one address.
public struct Node: Sendable {
    public let ip: IPv4Address
    /// The last name known (from its HELLO, its LEGACY `name` or a FULL entry).
    public internal(set) var name: Name?
    /// Every distinct name seen, in order (at most `maxNames`).
    public internal(set) var names: [Name] = []
    /// Times of the first and last frame it sent itself; nil if only listed.
    public internal(set) var firstSent: Timestamp?
    public internal(set) var lastSent: Timestamp?
    /// When a FULL first listed it.
    public internal(set) var firstListed: Timestamp?
    public internal(set) var framesByType = FrameCounts()
    /// Declared offline and not heard from since.
    public internal(set) var declaredOffline = false
    public internal(set) var timesDeclaredOffline = 0
    public internal(set) var timesReturned = 0
    /// In the live set L.
    public internal(set) var live = false
    /// The sender of the frame that first named it (itself, or a FULL's sender).
    var introducedBy = IPv4Address(0)
    /// Listed in a FULL from another node.
    var listedByOther = false
    /// `version` of its LEGACY announcement, if it sent one.
    public internal(set) var legacyVersion: String?
    /// The last FULL it sent, for the conflict rule (cleared when declared offline).
    var lastFull: Timestamp?
    /// `node-seen` was reported (a node first met in an OFFLINE is not yet seen).
    var seen = false

    static let maxNames = 16

    public var framesSent: Int { framesByType.total }

    /// Heard from twice, or heard from and listed by another node: not a one-off
    /// address (the node cap never evicts it).
    public var isConfirmed: Bool { framesSent >= 2 || (framesSent >= 1 && listedByOther) }
}

/// One reign in the registry history: the sender of FULLs from `since` until the
/// next sender's first FULL.
public struct Reign: Sendable {
    public var ip: IPv4Address
    public var since: Timestamp
    public var until: Timestamp?
    public var fulls: Int
}

/// The election timeline of CONTRACT.md, reconstructed from frames and their
/// capture times only: it does not know files, interfaces or terminals, so the
/// same analyzer serves `-r` and `-i`, and tests feed it frames directly.
///
/// The observer's view: the live set L (senders and FULL listings, minus nodes
/// declared offline; a node declared offline re-enters L only by sending a frame,
/// since a FULL may still list a dead node) and the current registry (the sender
/// of the latest FULL).
public final class ElectionAnalyzer {
    public struct Thresholds: Sendable {
        /// `--registry-timeout`: how long a due FULL may take.
        public var registryTimeout: Double
        /// `--conflict-window`: FULLs from two senders closer than this conflict.
        public var conflictWindow: Double

        public init(registryTimeout: Double = 3, conflictWindow: Double = 5) {
            self.registryTimeout = registryTimeout
            self.conflictWindow = conflictWindow
        }
    }

    public let thresholds: Thresholds
    private let timeoutNanoseconds: Int64
    private let windowNanoseconds: Int64
    /// Receives every event as it happens (unless a `sink` is set).
    public var emit: (ElectionEvent) -> Void
    /// Receives every event as it happens instead of `emit`, called borrowed: a closure
    /// kept in a property is retained and released for each call, a sink is not. Kept
    /// here for as long as it is set.
    public var sink: ElectionEventSink? {
        didSet {
            sinkReference = sink.map { Unmanaged.passUnretained($0) }
            peersChangedTaken = sink?.takesPeersChanged ?? true
        }
    }
    private var sinkReference: Unmanaged<ElectionEventSink>?
    /// Whoever receives the events takes `peers-changed` (else it is only counted).
    private var peersChangedTaken = true

    /// The nodes (the analyzer's own table, changed as frames come: read it, do not keep it).
    public let nodes = NodeTable()
    /// The lowest address in L, and how many nodes L holds.
    public private(set) var lowest: IPv4Address?
    public private(set) var liveCount = 0
    /// The sender of the latest FULL, and that FULL's capture time.
    public private(set) var registry: IPv4Address?
    public private(set) var lastFullTime: Timestamp?
    public var history: [Reign] {
        guard let latest = latestReign else { return [] }
        var history = reigns
        history[history.count - 1] = latest
        return history
    }
    /// The reigns, the latest's FULLs counted apart (`latestReignFulls`): counting one
    /// more in the array would ask for its storage to itself on every FULL.
    private(set) var reigns: [Reign] = []
    private var latestReignFulls = 0

    /// The current reign (`history.last`, without making the history).
    public var latestReign: Reign? {
        guard var reign = reigns.last else { return nil }
        reign.fulls = latestReignFulls
        return reign
    }
    /// Reigns dropped from the front of `history` to bound memory.
    public private(set) var historyDropped = 0
    static let maxHistory = 1000
    /// Events so far, by `ElectionEventKind.index`.
    public var eventCounts: [Int] { counterValues(counts) }
    /// The same counters in place, one a kind (a tuple of Ints, laid out as an array of
    /// them: counting an event asks for no storage to itself, as an array's change would).
    private var counts = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// One more event of the kind at `index`.
    @inline(__always)
    private func count(_ index: Int) { addOne(to: &counts, at: index) }

    /// The previous FULL and the shortcuts that compare the next one with it.
    let fullComparison = FullComparison()
    /// Makes every listing of every FULL (the plain rule the shortcuts are tested against).
    var listsEveryEntry: Bool {
        get { fullComparison.listsEveryEntry }
        set { fullComparison.listsEveryEntry = newValue }
    }
    /// FULLs compared by their shared start and end (for tests to see the path taken).
    var comparedByShared: Int { fullComparison.comparedByShared }
    /// FULLs whose listings were found through the log of nodes changed since the previous one.
    var listedByLog: Int { fullComparison.listedByLog }
    /// FULLs whose listing by the log gave way to the scan when the table filled up.
    private(set) var logGaveWay = 0
    /// Of those, compared by the decoder's reading of the shared start and end.
    var comparedByLineage: Int { fullComparison.comparedByLineage }
    /// The pending FULL deadline: the node due to send it, when, and why.
    public private(set) var pending: (expected: IPv4Address, deadline: Timestamp, after: IPv4Address?)? {
        didSet { deadlineNanoseconds = pending?.deadline.totalNanoseconds ?? .max }
    }
    /// The pending deadline in nanoseconds (`Int64.max`: none): what every packet's
    /// clock compares with.
    @usableFromInline private(set) var deadlineNanoseconds = Int64.max
    /// Conflict episodes: the last conflicting FULL time per pair.
    private var conflictEpisodes: [PairKey: Timestamp] = [:]
    static let maxConflictEpisodes = 4096
    /// Conflict episodes forgotten beyond `maxConflictEpisodes`.
    public private(set) var conflictEpisodesDropped = 0
    /// FULL senders of the last conflict window (most recent time each), at most
    /// `maxRecentSenders`: spoofed FULLs from ever new senders must not make each
    /// FULL cost more (a conflict with the oldest of them is then not reported).
    private var recentFullSenders: [IPv4Address] = []
    static let maxRecentSenders = 8
    /// Senders dropped from `recentFullSenders` while still within the window.
    public private(set) var conflictSendersDropped = 0

    public struct PairKey: Hashable, Sendable {
        public let low: IPv4Address
        public let high: IPv4Address
        init(_ a: IPv4Address, _ b: IPv4Address) { low = min(a, b); high = max(a, b) }
    }

    /// The most nodes kept (`--max-nodes`): addresses beyond are counted in `flood`.
    public let maxNodes: Int
    public static let defaultMaxNodes = 4096
    /// Addresses beyond the cap: counted, not kept.
    public private(set) var flood = AddressFlood()
    /// When the flood began: the first time an address of those heard only once was
    /// heard, as the table stood when the cap first filled (nil: no flood).
    public private(set) var floodStart: Timestamp?
    /// The latest FULL repeated the one before it byte for byte.
    public private(set) var lastFullWasIdentical = false
    /// The node cap is reached: new addresses now take the place of one-off ones.
    public var isCrowded: Bool { nodes.count >= maxNodes }
    /// Places the cap may evict, oldest first.
    private var evictable: PlaceQueue
    /// The sender of the frame being observed, and whether this frame is all that was
    /// heard of it (its first, and nobody else listed it).
    private var currentSender = IPv4Address(0)
    private var currentSenderIsOneOff = false
    /// The time of the frame the latest observed frame's sender sent before it (nil:
    /// its first), for the diagnosis engine, which follows the same frames.
    public private(set) var previousFromSender: Timestamp?
    /// The place of that sender's node when it was observed.
    public private(set) var previousFromSenderPlace = -1

    public init(thresholds: Thresholds = Thresholds(), maxNodes: Int = ElectionAnalyzer.defaultMaxNodes,
                emit: @escaping (ElectionEvent) -> Void = { _ in }) {
        self.thresholds = thresholds
        self.maxNodes = max(2, maxNodes)
        evictable = PlaceQueue(capacity: max(2, maxNodes))
        timeoutNanoseconds = Int64((thresholds.registryTimeout * 1e9).rounded())
        windowNanoseconds = Int64((thresholds.conflictWindow * 1e9).rounded())
        self.emit = emit
    }

    private func send(_ detail: ElectionEvent.Detail, _ time: Timestamp, _ origin: PacketOrigin?) {
        let event = ElectionEvent(time: time, origin: origin, detail: detail)
        count(event.kind.index)
        if let sinkReference {
            sinkReference._withUnsafeGuaranteedRef { $0.receive(event) }
        } else {
            emit(event)
        }
    }

    // MARK: Time

    /// Capture time has reached `now` (a packet's time, or the wall clock live): a
    /// deadline strictly before it has passed. A FULL stamped at the deadline is in time.
    @inlinable
    public func advance(to now: Timestamp) {
        if now.totalNanoseconds > deadlineNanoseconds { deadlinePassed(now) }
    }

    @inline(never)
    @usableFromInline
    func deadlinePassed(_ now: Timestamp) {
        guard let due = pending, now > due.deadline else { return }
        pending = nil
        send(.registrySilent(expected: due.expected, after: due.after), due.deadline, nil)
    }

    // MARK: Frames

    /// One decoded frame from `sender` at `time`. `origin` is passed through to the
    /// events it causes. Call `advance(to:)` with the packet's time first.
    /// Returns the sender's place in the node table, -1 if it is not kept (beyond the
    /// node cap); a FULL's listings may since have given the place to another address.
    @discardableResult
    public func observe(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) -> Int {
        advance(to: time)
        let lowestBefore = lowest
        currentSender = sender
        // A sender beyond the node cap is counted, not followed.
        let index = admit(sender, at: time)
        guard index >= 0 else { return -1 }

        // Any decoded frame puts its sender in L.
        heardFrom(index, frame: frame, at: time, origin: origin)

        switch frame.type {
        case .full:
            currentSenderIsOneOff = !nodes.storage[index].isConfirmed
            observeFull(frame, from: sender, at: time, origin: origin)
            currentSenderIsOneOff = false
        case .offline:
            declareOffline(frame.offlineIP, by: sender, at: time, origin: origin)
        case .hello, .ping, .pong, .legacy:
            break
        }

        scheduleOrCancel(after: frame.type, from: sender, lowestBefore: lowestBefore, at: time)
        return index
    }

    private func heardFrom(_ index: Int, frame: FrameView, at time: Timestamp, origin: PacketOrigin?) {
        let (ip, isNew, declaredOffline, live, previous) = nodes.heard(index, type: frame.type.index, at: time)
        previousFromSender = previous
        previousFromSenderPlace = index
        if isNew {
            var name: Name? = nil
            if frame.type == .hello { name = Name(bytes: Array(frame.helloName)) }
            if frame.type == .legacy, let text = frame.legacyName { name = Name(text) }
            if frame.type == .full, let first = frame.peers.first(where: { $0.ip == ip }) { name = Name(bytes: Array(first.name)) }
            send(.nodeSeen(ip: ip, name: name, via: frame.type), time, origin)
        }
        if declaredOffline {
            nodes.storage[index].declaredOffline = false
            nodes.storage[index].timesReturned += 1
            fullComparison.nodeChanged(index)
            send(.nodeReturned(ip: ip), time, origin)
        }
        if !live { enterLive(index) }
        // The sender's own name, from its HELLO or LEGACY announcement.
        switch frame.type {
        case .hello: learnName(frame.helloName, for: index, at: time, origin: origin)
        case .legacy:
            if let text = frame.legacyName {
                var copy = text
                copy.withUTF8 { learnName(UnsafeRawBufferPointer($0), for: index, at: time, origin: origin) }
            }
            if let version = frame.legacy?["version"]?.stringValue { nodes.storage[index].legacyVersion = version }
        default: break
        }
    }

    private func enterLive(_ index: Int) {
        guard !nodes.storage[index].live else { return }
        nodes.storage[index].live = true
        liveCount += 1
        fullComparison.nodeChanged(index)
        let ip = nodes.storage[index].ip
        if lowest == nil || ip < lowest! { lowest = ip }
    }

    private func leaveLive(_ index: Int) {
        guard nodes.storage[index].live else { return }
        nodes.storage[index].live = false
        liveCount -= 1
        fullComparison.nodeChanged(index)
        guard lowest == nodes.storage[index].ip else { return }
        var newLowest: IPv4Address? = nil
        for node in nodes.storage where node.live {
            if newLowest == nil || node.ip < newLowest! { newLowest = node.ip }
        }
        lowest = newLowest
    }

    /// A name differing from the last one known gives `node-renamed`; the first gives none.
    private func learnName(_ bytes: UnsafeRawBufferPointer, for index: Int, at time: Timestamp, origin: PacketOrigin?) {
        if let current = nodes.storage[index].name, sameName(current, bytes) { return }
        let name = Name(bytes: Array(bytes))
        if let current = nodes.storage[index].name {
            send(.nodeRenamed(Rename(ip: nodes.storage[index].ip, from: current, to: name)), time, origin)
        }
        nodes.storage[index].name = name
        fullComparison.nodeChanged(index)
        if !nodes.storage[index].names.contains(name), nodes.storage[index].names.count < Node.maxNames {
            nodes.storage[index].names.append(name)
        }
    }

    private func observeFull(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) {
        // Listings put nodes in L, unless they were declared offline (see `makeListings`).
        let identical = fullComparison.isIdentical(frame)
        lastFullWasIdentical = identical
        let changed = makeListings(frame, identical: identical, at: time, origin: origin)

        // The registry is the sender of the latest FULL.
        if let current = registry {
            if current != sender {
                send(.registryChanged(from: current, to: sender), time, origin)
                reigns[reigns.count - 1].until = time
                reigns[reigns.count - 1].fulls = latestReignFulls
                appendReign(Reign(ip: sender, since: time, until: nil, fulls: 1))
            } else {
                latestReignFulls += 1
            }
        } else {
            send(.registryElected(ip: sender), time, origin)
            appendReign(Reign(ip: sender, since: time, until: nil, fulls: 1))
        }
        registry = sender
        lastFullTime = time

        // Two registries: another sender's FULL less than a window ago, not declared offline since.
        // (Looked for before removing: most FULLs find none, and removing asks for the
        // array's storage to itself.)
        if recentFullSenders.contains(where: { isPastWindow($0, at: time) }) {
            recentFullSenders.removeAll { isPastWindow($0, at: time) }
        }
        // By index: iterating the array would hold a reference to it for the loop.
        for k in recentFullSenders.indices {
            let other = recentFullSenders[k]
            guard other != sender, let last = lastFull(of: other), time.totalNanoseconds - last.totalNanoseconds < windowNanoseconds else { continue }
            let pair = PairKey(sender, other)
            let previous = conflictEpisodes[pair]
            conflictEpisodes[pair] = time
            if let previous, time.totalNanoseconds - previous.totalNanoseconds < windowNanoseconds { continue }
            send(.registryConflict(ips: [pair.low, pair.high]), time, origin)
        }
        if let senderIndex = nodes.find(sender) { nodes.storage[senderIndex].lastFull = time }
        if !recentFullSenders.contains(sender) {
            if recentFullSenders.count == ElectionAnalyzer.maxRecentSenders {
                recentFullSenders.removeFirst()
                conflictSendersDropped += 1
            }
            recentFullSenders.append(sender)
        }
        if conflictEpisodes.count > ElectionAnalyzer.maxConflictEpisodes {
            // Episodes older than a window are over; if spoofed senders still leave too
            // many, they are forgotten and counted (a conflict may then be told again).
            conflictEpisodes = conflictEpisodes.filter { time.totalNanoseconds - $0.value.totalNanoseconds < windowNanoseconds }
            if conflictEpisodes.count > ElectionAnalyzer.maxConflictEpisodes {
                conflictEpisodesDropped += conflictEpisodes.count
                conflictEpisodes.removeAll()
            }
        }

        // The firmware elects the lowest address in L.
        if let expected = lowest, expected != sender {
            send(.registryUnexpected(ip: sender, expected: expected), time, origin)
        }

        // peers-changed against the previous FULL, whoever sent it.
        if changed {
            if peersChangedTaken {
                send(.peersChanged(added: fullComparison.changes.added, removed: fullComparison.changes.removed,
                                   renamed: fullComparison.changes.renamed), time, origin)
            } else {
                count(ElectionEventKind.peersChanged.index)
            }
        }
        fullComparison.keep(frame, identical: identical)
    }

    /// A recent FULL sender whose last FULL is a window or more before `time`, or that
    /// was declared offline since.
    @inline(__always)
    private func isPastWindow(_ ip: IPv4Address, at time: Timestamp) -> Bool {
        guard let last = lastFull(of: ip) else { return true }
        return time.totalNanoseconds - last.totalNanoseconds >= windowNanoseconds
    }

    /// One listing: the node is seen, known by this name, and in L unless declared offline.
    private func list(_ ip: IPv4Address, name: UnsafeRawBufferPointer, at time: Timestamp, origin: PacketOrigin?) -> Int {
        let index = admit(ip, at: time)
        guard index >= 0 else { return -1 }
        if ip != currentSender { nodes.storage[index].listedByOther = true }
        if nodes.storage[index].firstListed == nil { nodes.storage[index].firstListed = time }
        if !nodes.storage[index].seen {
            nodes.storage[index].seen = true
            send(.nodeSeen(ip: ip, name: Name(bytes: Array(name)), via: .full), time, origin)
        }
        // A FULL that is its sender's only frame (a stray or spoofed FULL) does not
        // rename a node that named itself.
        if !(currentSenderIsOneOff && ip != currentSender && nodes.storage[index].firstSent != nil) {
            learnName(name, for: index, at: time, origin: origin)
        }
        if !nodes.storage[index].declaredOffline { enterLive(index) }
        return index
    }

    /// Makes the FULL's listings, in wire order, and compares its entries with the
    /// previous FULL's: true when there is a `peers-changed` to report (the comparison's
    /// `changes`). `FullComparison` says which listings are already made; the rest are
    /// made here.
    private func makeListings(_ frame: FrameView, identical: Bool, at time: Timestamp, origin: PacketOrigin?) -> Bool {
        let repeats = frame.warnings.contains(.fullDuplicateIP) || listsEveryEntry
        if identical {
            // The same entries at the same offsets: the previous FULL's entries (and
            // their nodes) stand; only nodes changed since are listed again.
            // (A FULL that lists an address twice under two names renames it each time.)
            guard !fullComparison.unchangedSincePrevious || repeats else { return false }
            if repeats {
                for peer in frame.peers { _ = list(peer.ip, name: peer.name, at: time, origin: origin) }
            } else {
                unowned(unsafe) let previous = fullComparison.previousEntries
                // The same entries as the previous FULL's, which all have their nodes.
                fullComparison.reuseEntries()
                listChanged(previous.base, count: previous.count, payload: frame.payload,
                            sorted: !frame.warnings.contains(.fullNotSorted), at: time, origin: origin)
            }
            return false
        }
        let hadPrevious = fullComparison.havePrevious
        let changed = fullComparison.compare(frame, repeats: repeats)
        // The comparison keeps its buffer while the listings are made: read without a reference.
        unowned(unsafe) let entries = fullComparison.currentEntries
        if repeats {
            // Every listing in wire order, repeats included (the last name stands).
            for peer in frame.peers { _ = list(peer.ip, name: peer.name, at: time, origin: origin) }
            for k in 0..<entries.count {
                entries.base[k].node = nodes.find(IPv4Address(entries.base[k].ip)).map { Int32($0) } ?? -1
            }
        } else {
            listChanged(entries.base, count: entries.count, payload: frame.payload,
                        sorted: !frame.warnings.contains(.fullNotSorted), at: time, origin: origin)
        }
        // A reordering alone is no change of the peer list.
        return hadPrevious && changed
    }

    /// Makes, in wire order, the listings of entries without a node (new or renamed)
    /// and of nodes changed since the previous FULL.
    /// (The entries in place, the comparison's buffer that holds them kept by it: no
    /// reference to count while the listings are made.)
    /// When the entries are in the firmware's order and the table is not crowded, the
    /// entries to list are found from the nodes changed since the previous FULL (a few)
    /// instead of by looking at every entry (`FullComparison.nextByLog`).
    private func listChanged(_ base: UnsafeMutablePointer<FullEntry>, count: Int, payload: UnsafeRawBufferPointer,
                             sorted: Bool, at time: Timestamp, origin: PacketOrigin?) {
        @inline(__always) func listing(_ k: Int) {
            let entry = base[k]
            let name = UnsafeRawBufferPointer(start: payload.baseAddress! + Int(entry.nameOffset), count: Int(entry.nameLength))
            base[k].node = Int32(list(IPv4Address(entry.ip), name: name, at: time, origin: origin))
        }
        let nodes = self.nodes
        var byLog = fullComparison.canFindByLog(sorted: sorted, crowded: isCrowded)
        if byLog { fullComparison.beginListingByLog() }
        // (Each listing may change nodes, and the log with them: the next entry is found
        // again after each.)
        func next(after k: Int) -> Int {
            byLog ? fullComparison.nextByLog(base, count: count, after: k) { nodes.storage[$0].ip.value }
                  : fullComparison.nextNeedingListing(base, count: count, from: k + 1)
        }
        var k = next(after: -1)
        while k < count {
            listing(k)
            // A listing that filled the table: from now on a new address may take the
            // place of another, whose entries the log cannot find. The plain scan goes on.
            if byLog && isCrowded {
                byLog = false
                logGaveWay += 1
            }
            k = next(after: k)
        }
    }

    private func declareOffline(_ ip: IPv4Address, by sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) {
        let index = admit(ip, at: time)
        guard index >= 0 else { return }
        nodes.storage[index].declaredOffline = true
        nodes.storage[index].timesDeclaredOffline += 1
        fullComparison.nodeChanged(index)
        nodes.storage[index].lastFull = nil
        send(.nodeDeclaredOffline(ip: ip, by: sender), time, origin)
        leaveLive(index)
    }

    // MARK: The node cap

    /// The node's place: a new address gets one while there is room; beyond the cap,
    /// it takes the place of the oldest node not confirmed (heard from twice, or heard
    /// from and listed by another node) that is neither the lowest nor the registry,
    /// so that a flood of spoofed addresses churns through the table while the boards
    /// stay. -1: no such place, the address is counted in `flood`, not kept.
    @inline(__always)
    func admit(_ ip: IPv4Address, at time: Timestamp) -> Int {
        if let index = nodes.find(ip) { return index }
        return admitNew(ip, at: time)
    }

    /// A new address (out of line: nearly every frame is from a node already known).
    @inline(never)
    private func admitNew(_ ip: IPv4Address, at time: Timestamp) -> Int {
        if nodes.count < maxNodes {
            let index = nodes.place(ip)
            nodes.storage[index].introducedBy = currentSender
            evictable.push(index)
            return index
        }
        if flood.isEmpty { noteFloodStart(at: time) }
        while let candidate = evictable.pop() {
            let node = nodes.storage[candidate]
            if node.isConfirmed || node.ip == lowest || node.ip == registry || node.ip == pending?.expected { continue }
            if node.live { leaveLive(candidate) }
            flood.note(node.ip, broughtBy: node.introducedBy, at: time)
            nodes.reuse(candidate, for: ip)
            nodes.storage[candidate].introducedBy = currentSender
            fullComparison.nodeChanged(candidate)
            evictable.push(candidate)
            return candidate
        }
        flood.note(ip, broughtBy: currentSender, at: time)
        return -1
    }

    /// The cap fills for the first time: the flood began with the oldest address of
    /// those heard only once (one scan, once a run).
    private func noteFloodStart(at time: Timestamp) {
        var start = time
        for node in nodes.storage where !node.isConfirmed {
            if let first = node.firstSent ?? node.firstListed, first < start { start = first }
        }
        floodStart = start
    }

    /// The registry the boards follow: the sender of the latest FULL, unless that
    /// sender is a one-off (heard once, listed by nobody else: a stray or spoofed
    /// FULL), then the latest earlier sender that is not.
    public var confirmedRegistry: IPv4Address? {
        guard let registry else { return nil }
        if nodes[registry]?.isConfirmed == true { return registry }
        for reign in reigns.reversed() where nodes[reign.ip]?.isConfirmed == true { return reign.ip }
        return nil
    }

    private func appendReign(_ reign: Reign) {
        reigns.append(reign)
        latestReignFulls = reign.fulls
        if reigns.count > ElectionAnalyzer.maxHistory {
            reigns.removeFirst(reigns.count - ElectionAnalyzer.maxHistory / 2)
            historyDropped += ElectionAnalyzer.maxHistory / 2
        }
    }

    /// CONTRACT's "due" rule. A FULL from X (the lowest in L, with L holding at least
    /// two nodes) is due when X has just become the lowest while not being the sender
    /// of the latest FULL, or when a HELLO or an OFFLINE from another node arrives
    /// (the firmware's registry answers both with a FULL). The deadline is cancelled
    /// when X sends a FULL, leaves L or stops being the lowest.
    private func scheduleOrCancel(after type: FrameType, from sender: IPv4Address, lowestBefore: IPv4Address?, at time: Timestamp) {
        if let due = pending {
            let cancelled = (type == .full && sender == due.expected) || lowest != due.expected
                || !isLive(due.expected)
            if cancelled { pending = nil }
        }
        guard let x = lowest, liveCount >= 2 else { return }
        let becameLowest = lowestBefore != x && registry != x
        let answered = (type == .hello || type == .offline) && sender != x
        guard becameLowest || answered else { return }
        if pending?.expected == x { return }
        pending = (x, time.adding(nanoseconds: timeoutNanoseconds), answered ? sender : nil)
    }

    /// A node's fields read in place (`nodes[ip]` copies the whole node, names and all).
    @inline(__always)
    private func lastFull(of ip: IPv4Address) -> Timestamp? {
        guard let index = nodes.find(ip) else { return nil }
        return nodes.storage[index].lastFull
    }

    @inline(__always)
    func isLive(_ ip: IPv4Address) -> Bool {
        guard let index = nodes.find(ip) else { return false }
        return nodes.storage[index].live
    }

    /// The input ended: deadlines it did not reach are dropped.
    public func finish() {
        pending = nil
    }

    public func eventCount(_ kind: ElectionEventKind) -> Int { eventCounts[kind.index] }
}
