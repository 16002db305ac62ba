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
    /// `version` of its LEGACY announcement, if it sent one.
    public internal(set) var legacyVersion: String?
    /// The last FULL it sent, for the conflict rule (cleared when declared offline).
    var lastFull: Timestamp?
    /// `node-seen` was reported (a node first met in an OFFLINE is not yet seen).
    var seen = false
    /// registry-silent events that expected it, and registry-unexpected FULLs it sent.
    public internal(set) var timesSilent = 0
    public internal(set) var timesUnexpected = 0
    /// `listingsVersion` when its name, offline mark or place in L last changed: a
    /// FULL entry that the previous FULL held too, for a node unchanged since, is a
    /// listing already made.
    var listingStamp = 0

    static let maxNames = 16

    public var framesSent: Int { framesByType.total }
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
    /// Receives every event as it happens.
    public var emit: (ElectionEvent) -> Void

    public private(set) var nodes = NodeTable()
    /// The lowest address in L, and how many nodes L holds.
    public private(set) var lowest: IPv4Address?
    public private(set) var liveCount = 0
    /// The sender of the latest FULL.
    public private(set) var registry: IPv4Address?
    public private(set) var history: [Reign] = []
    /// Reigns dropped from the front of `history` to bound memory.
    public private(set) var historyDropped = 0
    static let maxHistory = 1000
    public private(set) var eventCounts = [Int](repeating: 0, count: ElectionEventKind.allCases.count)

    /// The previous FULL's payload, kept as bytes (one buffer, reused), for
    /// `peers-changed`.
    private var previousFull: [UInt8] = []
    private var havePreviousFull = false
    /// The previous FULL's entries in wire order (offsets into `previousFull`, with
    /// their nodes), and a scratch buffer for the current one's.
    private var previousEntries = EntryBuffer()
    private var currentEntries = EntryBuffer()
    /// Scratch for comparing FULLs whose entries are not in address order.
    private var previousOrder: [Int32] = []
    private var currentOrder: [Int32] = []
    /// Counts the changes that make a listing matter again (a rename, an OFFLINE, a
    /// return, a node leaving or entering L), to skip the listings of a repeated FULL.
    private var listingsVersion = 0
    private var listingsVersionAtPreviousFull = -1
    /// The previous FULL's warnings: whether it listed an address twice (its
    /// listings are then all made again), or out of address order.
    private var previousWarnings: FrameWarnings = []
    /// Makes every listing of every FULL, skipping none: the plain rule, which tests
    /// hold the shortcuts of `makeListings` against.
    var listsEveryEntry = false
    /// FULLs compared by their shared start and end (for tests to see the path taken).
    var comparedByShared = 0
    /// The pending FULL deadline: the node due to send it, when, and why.
    public private(set) var pending: (expected: IPv4Address, deadline: Timestamp, after: IPv4Address?)?
    /// Conflict episodes: the last conflicting FULL time per pair.
    private var conflictEpisodes: [PairKey: Timestamp] = [:]
    /// FULL senders of the last conflict window (most recent time each).
    private var recentFullSenders: [IPv4Address] = []

    /// Times a due FULL went unanswered, per expected node.
    public var silentCounts: [IPv4Address: Int] {
        var counts: [IPv4Address: Int] = [:]
        for node in nodes.storage where node.timesSilent > 0 { counts[node.ip] = node.timesSilent }
        return counts
    }
    /// Conflicts per pair (lower address first).
    public private(set) var conflictCounts: [PairKey: Int] = [:]
    /// Unexpected FULLs per sender.
    public var unexpectedCounts: [IPv4Address: Int] {
        var counts: [IPv4Address: Int] = [:]
        for node in nodes.storage where node.timesUnexpected > 0 { counts[node.ip] = node.timesUnexpected }
        return counts
    }

    public struct PairKey: Hashable, Sendable {
        public let low: IPv4Address
        public let high: IPv4Address
        init(_ a: IPv4Address, _ b: IPv4Address) { low = min(a, b); high = max(a, b) }
    }

    public init(thresholds: Thresholds = Thresholds(), emit: @escaping (ElectionEvent) -> Void = { _ in }) {
        self.thresholds = thresholds
        timeoutNanoseconds = Int64((thresholds.registryTimeout * 1e9).rounded())
        windowNanoseconds = Int64((thresholds.conflictWindow * 1e9).rounded())
        self.emit = emit
    }

    private func send(_ detail: ElectionEvent.Detail, _ time: Timestamp, _ origin: PacketOrigin?) {
        let event = ElectionEvent(time: time, origin: origin, detail: detail)
        eventCounts[event.kind.index] += 1
        switch detail {
        case let .registrySilent(expected, _):
            let index = nodes.place(expected)
            nodes.storage[index].timesSilent += 1
        case let .registryConflict(ips) where ips.count == 2: conflictCounts[PairKey(ips[0], ips[1]), default: 0] += 1
        case let .registryUnexpected(ip, _):
            let index = nodes.place(ip)
            nodes.storage[index].timesUnexpected += 1
        default: break
        }
        emit(event)
    }

    // MARK: Time

    /// Capture time has reached `now` (a packet's time, or the wall clock live): a
    /// deadline strictly before it has passed. A FULL stamped at the deadline is in time.
    public func advance(to now: Timestamp) {
        guard let due = pending, now > due.deadline else { return }
        pending = nil
        send(.registrySilent(expected: due.expected, after: due.after), due.deadline, nil)
    }

    // MARK: Frames

    /// One decoded frame from `sender` at `time`. `origin` is passed through to the
    /// events it causes. Call `advance(to:)` with the packet's time first.
    public func observe(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) {
        advance(to: time)
        let lowestBefore = lowest

        // Any decoded frame puts its sender in L.
        heardFrom(sender, frame: frame, at: time, origin: origin)

        switch frame.type {
        case .full:
            observeFull(frame, from: sender, at: time, origin: origin)
        case .offline:
            declareOffline(frame.offlineIP, by: sender, at: time, origin: origin)
        case .hello, .ping, .pong, .legacy:
            break
        }

        scheduleOrCancel(after: frame.type, from: sender, lowestBefore: lowestBefore, at: time)
    }

    private func heardFrom(_ ip: IPv4Address, frame: FrameView, at time: Timestamp, origin: PacketOrigin?) {
        let index = nodes.place(ip)
        let isNew = !nodes.storage[index].seen
        nodes.storage[index].seen = true
        if nodes.storage[index].firstSent == nil { nodes.storage[index].firstSent = time }
        nodes.storage[index].lastSent = time
        nodes.storage[index].framesByType[frame.type.index] += 1
        if isNew {
            var name: Name? = nil
            if frame.type == .hello { name = Name(bytes: Array(frame.helloName)) }
            if frame.type == .legacy, let text = frame.legacyName { name = Name(text) }
            if frame.type == .full, let first = frame.peers.first(where: { $0.ip == ip }) { name = Name(bytes: Array(first.name)) }
            send(.nodeSeen(ip: ip, name: name, via: frame.type), time, origin)
        }
        if nodes.storage[index].declaredOffline {
            nodes.storage[index].declaredOffline = false
            nodes.storage[index].timesReturned += 1
            listingsVersion &+= 1
            nodes.storage[index].listingStamp = listingsVersion
            send(.nodeReturned(ip: ip), time, origin)
        }
        enterLive(index)
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
        listingsVersion &+= 1
        nodes.storage[index].listingStamp = listingsVersion
        let ip = nodes.storage[index].ip
        if lowest == nil || ip < lowest! { lowest = ip }
    }

    private func leaveLive(_ index: Int) {
        guard nodes.storage[index].live else { return }
        nodes.storage[index].live = false
        liveCount -= 1
        listingsVersion &+= 1
        nodes.storage[index].listingStamp = listingsVersion
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
        listingsVersion &+= 1
        nodes.storage[index].listingStamp = listingsVersion
        if !nodes.storage[index].names.contains(name), nodes.storage[index].names.count < Node.maxNames {
            nodes.storage[index].names.append(name)
        }
    }

    private func observeFull(_ frame: FrameView, from sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) {
        // Listings put nodes in L, unless they were declared offline (see `makeListings`).
        let identical = havePreviousFull && previousFull.count == frame.payload.count
            && previousFull.withUnsafeBytes { memcmp($0.baseAddress!, frame.payload.baseAddress!, frame.payload.count) == 0 }
        let changes = makeListings(frame, identical: identical, at: time, origin: origin)

        // The registry is the sender of the latest FULL.
        if let current = registry {
            if current != sender {
                send(.registryChanged(from: current, to: sender), time, origin)
                history[history.count - 1].until = time
                appendReign(Reign(ip: sender, since: time, until: nil, fulls: 1))
            } else {
                history[history.count - 1].fulls += 1
            }
        } else {
            send(.registryElected(ip: sender), time, origin)
            appendReign(Reign(ip: sender, since: time, until: nil, fulls: 1))
        }
        registry = sender

        // Two registries: another sender's FULL less than a window ago, not declared offline since.
        if !recentFullSenders.isEmpty {
            recentFullSenders.removeAll { ip in
                guard let last = nodes[ip]?.lastFull else { return true }
                return time.totalNanoseconds - last.totalNanoseconds >= windowNanoseconds
            }
        }
        for other in recentFullSenders where other != sender {
            guard let last = nodes[other]?.lastFull, time.totalNanoseconds - last.totalNanoseconds < windowNanoseconds else { continue }
            let pair = PairKey(sender, other)
            let previous = conflictEpisodes[pair]
            conflictEpisodes[pair] = time
            if let previous, time.totalNanoseconds - previous.totalNanoseconds < windowNanoseconds { continue }
            send(.registryConflict(ips: [pair.low, pair.high]), time, origin)
        }
        let senderIndex = nodes.place(sender)
        nodes.storage[senderIndex].lastFull = time
        if !recentFullSenders.contains(sender) { recentFullSenders.append(sender) }
        if conflictEpisodes.count > 4096 { conflictEpisodes.removeAll() }

        // The firmware elects the lowest address in L.
        if let expected = lowest, expected != sender {
            send(.registryUnexpected(ip: sender, expected: expected), time, origin)
        }

        // peers-changed against the previous FULL, whoever sent it.
        if let changes { send(.peersChanged(added: changes.added, removed: changes.removed, renamed: changes.renamed), time, origin) }
        keepAsPrevious(frame, identical: identical)
    }

    /// One listing: the node is seen, known by this name, and in L unless declared offline.
    private func list(_ ip: IPv4Address, name: UnsafeRawBufferPointer, at time: Timestamp, origin: PacketOrigin?) -> Int {
        let index = nodes.place(ip)
        if nodes.storage[index].firstListed == nil { nodes.storage[index].firstListed = time }
        if !nodes.storage[index].seen {
            nodes.storage[index].seen = true
            send(.nodeSeen(ip: ip, name: Name(bytes: Array(name)), via: .full), time, origin)
        }
        learnName(name, for: index, at: time, origin: origin)
        if !nodes.storage[index].declaredOffline { enterLive(index) }
        return index
    }

    /// Makes the FULL's listings, in wire order, and compares its entries with the
    /// previous FULL's (the `peers-changed` to report, nil when nothing changed).
    ///
    /// A listing is a no-op when the previous FULL listed the same address with the
    /// same name and the node has not changed since (`listingStamp`): then after the
    /// previous FULL's listing the node was seen, listed, so named, and in L unless
    /// declared offline, and it still is. Only the other entries are listed again; a
    /// FULL that repeats an address, or follows one that did, is listed in full.
    ///
    /// A registry's FULLs differ by little: the entries before the first changed byte
    /// and after the last are the previous FULL's (`compareShared`); only those in
    /// between are compared by address. FULLs not in the firmware's order are
    /// compared whole (`compareAll`).
    private func makeListings(_ frame: FrameView, identical: Bool, at time: Timestamp, origin: PacketOrigin?)
        -> (added: [IPv4Address], removed: [IPv4Address], renamed: [Rename])? {
        let payload = frame.payload
        let repeats = frame.warnings.contains(.fullDuplicateIP) || listsEveryEntry
        let since = listingsVersionAtPreviousFull

        if identical {
            // The same entries at the same offsets: the previous FULL's entries (and
            // their nodes) stand; only nodes changed since are listed again.
            // (A FULL that lists an address twice under two names renames it each time.)
            guard listingsVersion != since || repeats else { return nil }
            if repeats {
                for peer in frame.peers { _ = list(peer.ip, name: peer.name, at: time, origin: origin) }
            } else {
                listChanged(previousEntries, payload: payload, since: since, at: time, origin: origin)
            }
            return nil
        }

        var changes = (added: [IPv4Address](), removed: [IPv4Address](), renamed: [Rename]())
        let sorted = !frame.warnings.contains(.fullNotSorted)
        let skipUnchanged = havePreviousFull && !repeats && !previousWarnings.contains(.fullDuplicateIP)
        previousFull.withUnsafeBytes { old in
            if skipUnchanged, sorted, !previousWarnings.contains(.fullNotSorted),
               compareShared(payload, old: old, changes: &changes) {
                comparedByShared += 1
                return
            }
            readEntries(payload, into: currentEntries)
            compareAll(payload, old: havePreviousFull ? old : nil, keepNodes: skipUnchanged, changes: &changes)
        }
        if repeats {
            // Every listing in wire order, repeats included (the last name stands).
            for peer in frame.peers { _ = list(peer.ip, name: peer.name, at: time, origin: origin) }
            for k in 0..<currentEntries.count {
                currentEntries.base[k].node = Int32(nodes.find(IPv4Address(currentEntries.base[k].ip))!)
            }
        } else {
            listChanged(currentEntries, payload: payload, since: since, at: time, origin: origin)
        }
        // A reordering alone is no change of the peer list.
        guard havePreviousFull, !changes.added.isEmpty || !changes.removed.isEmpty || !changes.renamed.isEmpty else { return nil }
        return changes
    }

    /// Fills `currentEntries` from the entries the two FULLs share at their start and
    /// end, and compares the entries in between by address. Both FULLs are in the
    /// firmware's order (their first entry, then ascending addresses, each once), and
    /// the first entry is shared: then the entries in between hold every address one
    /// FULL has and the other has not. False (nothing done) when the first entry differs.
    private func compareShared(_ payload: UnsafeRawBufferPointer, old: UnsafeRawBufferPointer,
                               changes: inout (added: [IPv4Address], removed: [IPv4Address], renamed: [Rename])) -> Bool {
        let new = payload.baseAddress!, oldBase = old.baseAddress!
        let newLength = payload.count, oldLength = old.count
        let shortest = min(newLength, oldLength)
        let prefixEnd = 2 + commonPrefix(new + 2, oldBase + 2, shortest - 2)
        let suffixStart = newLength - commonSuffix(new + newLength, oldBase + oldLength, shortest - prefixEnd)
        let shift = newLength - oldLength
        let previous = previousEntries.base, current = currentEntries.base
        let oldCount = previousEntries.count

        // The shared start: old entries that end within it.
        var a = 0
        while a < oldCount, Int(previous[a].nameOffset + previous[a].nameLength) <= prefixEnd { a += 1 }
        guard a >= 1 else { return false }
        current.update(from: previous, count: a)

        // Entries after the shared start, until one starts where an old entry started
        // `shift` bytes away within the shared end: from there on they are the old ones.
        var offset = Int(previous[a - 1].nameOffset + previous[a - 1].nameLength)
        var count = a
        var oldSuffix = a  // the old entry where the shared end takes over
        var aligned = false
        while offset < newLength {
            if offset >= suffixStart {
                while oldSuffix < oldCount, Int(previous[oldSuffix].nameOffset) - 5 + shift < offset { oldSuffix += 1 }
                if oldSuffix < oldCount, Int(previous[oldSuffix].nameOffset) - 5 + shift == offset { aligned = true; break }
            }
            let length = Int(new.load(fromByteOffset: offset + 4, as: UInt8.self))
            current[count] = FullEntry(ip: UInt32(bigEndian: new.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                                         nameOffset: UInt32(offset + 5), nameLength: UInt32(length), node: -1)
            count += 1
            offset += 5 + length
        }
        let middleEnd = count
        if aligned {
            for k in oldSuffix..<oldCount {
                var entry = previous[k]
                entry.nameOffset = UInt32(Int(entry.nameOffset) + shift)
                current[count] = entry
                count += 1
            }
        } else {
            oldSuffix = oldCount
        }
        currentEntries.count = count

        // The entries in between, both in ascending address order.
        var i = a, j = a
        while i < oldSuffix || j < middleEnd {
            if j == middleEnd || (i < oldSuffix && previous[i].ip < current[j].ip) {
                changes.removed.append(IPv4Address(previous[i].ip)); i += 1
            } else if i == oldSuffix || current[j].ip < previous[i].ip {
                changes.added.append(IPv4Address(current[j].ip)); j += 1
            } else {
                compareNames(previous[i], oldBase, &current[j], new, &changes)
                i += 1; j += 1
            }
        }
        return true
    }

    /// Compares every entry by address: the FULLs' entries sorted (stable, so that a
    /// repeated address keeps its first listing) and merged.
    private func compareAll(_ payload: UnsafeRawBufferPointer, old: UnsafeRawBufferPointer?, keepNodes: Bool,
                            changes: inout (added: [IPv4Address], removed: [IPv4Address], renamed: [Rename])) {
        let current = currentEntries.base
        sortedOrder(currentEntries, into: &currentOrder)
        guard let old else { return }
        let previous = previousEntries.base
        sortedOrder(previousEntries, into: &previousOrder)
        var i = 0, j = 0
        while i < previousOrder.count || j < currentOrder.count {
            let p = i < previousOrder.count ? Int(previousOrder[i]) : -1
            let c = j < currentOrder.count ? Int(currentOrder[j]) : -1
            if c < 0 || (p >= 0 && previous[p].ip < current[c].ip) {
                changes.removed.append(IPv4Address(previous[p].ip)); i += 1
            } else if p < 0 || current[c].ip < previous[p].ip {
                changes.added.append(IPv4Address(current[c].ip)); j += 1
            } else {
                compareNames(previous[p], old.baseAddress!, &current[c], payload.baseAddress!, &changes)
                if !keepNodes { current[c].node = -1 }
                i += 1; j += 1
            }
        }
    }

    /// One address in both FULLs: renamed, or the same listing (its node carried over).
    @inline(__always)
    private func compareNames(_ o: FullEntry, _ oldBase: UnsafeRawPointer, _ n: inout FullEntry, _ newBase: UnsafeRawPointer,
                              _ changes: inout (added: [IPv4Address], removed: [IPv4Address], renamed: [Rename])) {
        let a = UnsafeRawBufferPointer(start: oldBase + Int(o.nameOffset), count: Int(o.nameLength))
        let b = UnsafeRawBufferPointer(start: newBase + Int(n.nameOffset), count: Int(n.nameLength))
        if sameBytes(a, b) {
            n.node = o.node
        } else {
            changes.renamed.append(Rename(ip: IPv4Address(o.ip), from: Name(bytes: Array(a)), to: Name(bytes: Array(b))))
        }
    }

    /// Makes, in wire order, the listings of entries without a node (new or renamed)
    /// and of nodes changed since the previous FULL.
    private func listChanged(_ entries: EntryBuffer, payload: UnsafeRawBufferPointer, since: Int, at time: Timestamp, origin: PacketOrigin?) {
        let base = entries.base
        for k in 0..<entries.count {
            let entry = base[k]
            guard entry.node < 0 || listsEveryEntry || nodes.storage[Int(entry.node)].listingStamp > since else { continue }
            let name = UnsafeRawBufferPointer(start: payload.baseAddress! + Int(entry.nameOffset), count: Int(entry.nameLength))
            base[k].node = Int32(list(IPv4Address(entry.ip), name: name, at: time, origin: origin))
        }
    }

    /// Keeps this FULL as the previous one: its bytes and its entries (buffers reused).
    private func keepAsPrevious(_ frame: FrameView, identical: Bool) {
        if !identical {
            previousFull.removeAll(keepingCapacity: true)
            previousFull.append(contentsOf: frame.payload)
            swap(&previousEntries, &currentEntries)
            havePreviousFull = true
        }
        previousWarnings = frame.warnings
        listingsVersionAtPreviousFull = listingsVersion
    }

    private func declareOffline(_ ip: IPv4Address, by sender: IPv4Address, at time: Timestamp, origin: PacketOrigin?) {
        let index = nodes.place(ip)
        nodes.storage[index].declaredOffline = true
        nodes.storage[index].timesDeclaredOffline += 1
        listingsVersion &+= 1
        nodes.storage[index].listingStamp = listingsVersion
        nodes.storage[index].lastFull = nil
        send(.nodeDeclaredOffline(ip: ip, by: sender), time, origin)
        leaveLive(index)
    }

    private func appendReign(_ reign: Reign) {
        history.append(reign)
        if history.count > ElectionAnalyzer.maxHistory {
            history.removeFirst(history.count - ElectionAnalyzer.maxHistory / 2)
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
                || nodes[due.expected]?.live != true
            if cancelled { pending = nil }
        }
        guard let x = lowest, liveCount >= 2 else { return }
        let becameLowest = lowestBefore != x && registry != x
        let answered = (type == .hello || type == .offline) && sender != x
        guard becameLowest || answered else { return }
        if pending?.expected == x { return }
        pending = (x, time.adding(nanoseconds: timeoutNanoseconds), answered ? sender : nil)
    }

    /// The input ended: deadlines it did not reach are dropped.
    public func finish() {
        pending = nil
    }

    public func eventCount(_ kind: ElectionEventKind) -> Int { eventCounts[kind.index] }
}

/// A FULL entry: its address, where its name lies in the payload, and its node.
struct FullEntry {
    var ip: UInt32
    var nameOffset: UInt32
    var nameLength: UInt32
    /// The node's place in the table, once listed (-1 before).
    var node: Int32
}

/// A FULL's entries in raw memory, reused from FULL to FULL (a FULL lists at most 255).
final class EntryBuffer {
    let base: UnsafeMutablePointer<FullEntry>
    var count = 0
    init() { base = .allocate(capacity: 256) }
    deinit { base.deallocate() }
}

/// The entries of a FULL that the codec accepted, in wire order, without nodes.
private func readEntries(_ payload: UnsafeRawBufferPointer, into entries: EntryBuffer) {
    let raw = payload.baseAddress!
    let count = Int(raw.load(fromByteOffset: 1, as: UInt8.self))
    var offset = 2
    for k in 0..<count {
        let length = Int(raw.load(fromByteOffset: offset + 4, as: UInt8.self))
        entries.base[k] = FullEntry(ip: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                                      nameOffset: UInt32(offset + 5), nameLength: UInt32(length), node: -1)
        offset += 5 + length
    }
    entries.count = count
}

/// The entries' places sorted by address (stable), each address once: its first listing.
private func sortedOrder(_ entries: EntryBuffer, into order: inout [Int32]) {
    order.removeAll(keepingCapacity: true)
    let base = entries.base
    for k in 0..<entries.count {
        // Insertion: a FULL is sorted already but for its first entry.
        let ip = base[k].ip
        var at = order.count
        while at > 0, base[Int(order[at - 1])].ip > ip { at -= 1 }
        if at > 0, base[Int(order[at - 1])].ip == ip { continue }  // a repeat: the first listing stands
        order.insert(Int32(k), at: at)
    }
}

/// Whether two byte runs are equal (names: short, compared in place).
@inline(__always)
private func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = a.count
    guard n == b.count else { return false }
    guard n > 0 else { return true }
    return memcmp(a.baseAddress!, b.baseAddress!, n) == 0
}
