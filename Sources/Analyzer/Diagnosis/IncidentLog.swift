import WireBytes

/// What every incident has. What is particular to its rule (counts, times, who)
/// stays in the rule that found it, typed, at `detail` (the rule's own index).
struct IncidentRecord {
    var code: DiagnosisCode
    /// The nodes it is about, the one at fault first.
    var ips: [IPv4Address]
    var since: Timestamp
    var until: Timestamp?
    /// Still going on.
    var isOpen = false
    /// Not an incident of its own after all (explained by another, or decided away).
    var discarded = false
    /// The rule's record of it.
    var detail: Int32
}

/// Every incident of the run, in the order they began; their place is their `id`
/// (from 1). Bounded: beyond `capacity` incidents are counted, not followed.
struct IncidentLog {
    private(set) var records: [IncidentRecord] = []
    private(set) var dropped = 0
    /// Bumped when an incident opens, closes or is decided away (not when its counts
    /// grow): the incident stream looks again only then.
    private(set) var version = 0

    /// Something the stream must look at again changed.
    mutating func touch() { version &+= 1 }
    static let capacity = 4096

    /// Opens an incident; nil when the log is full (counted).
    mutating func open(_ code: DiagnosisCode, _ ips: [IPv4Address], since: Timestamp, detail: Int, isOpen: Bool = false) -> Int32? {
        guard records.count < IncidentLog.capacity else {
            dropped += 1
            return nil
        }
        records.append(IncidentRecord(code: code, ips: ips, since: since, until: nil, isOpen: isOpen, detail: Int32(detail)))
        version &+= 1
        return Int32(records.count - 1)
    }

    mutating func countDropped() { dropped += 1 }

    subscript(k: Int32) -> IncidentRecord {
        get { records[Int(k)] }
        _modify { yield &records[Int(k)] }
    }

    /// Closes an open incident at `time`.
    mutating func close(_ k: Int32, at time: Timestamp) {
        records[Int(k)].isOpen = false
        records[Int(k)].until = time
        version &+= 1
    }
}

/// A rule's state per node, kept by the node's place in the analyzer's table; a place
/// the node cap gives to a new address starts afresh.
struct NodeSlots<State> {
    private var slots: [(ip: UInt32, state: State)] = []
    private let empty: State

    init(_ empty: State) { self.empty = empty }

    /// The slot of the node at `place` (grown or reset as needed).
    @inline(__always)
    mutating func slot(_ place: Int, _ ip: IPv4Address) -> Int {
        if place < slots.count, slots[place].ip == ip.value { return place }
        return claim(place, ip)
    }

    private mutating func claim(_ place: Int, _ ip: IPv4Address) -> Int {
        if place >= slots.count {
            slots.append(contentsOf: repeatElement((ip: UInt32(0), state: empty), count: place + 1 - slots.count))
        }
        slots[place] = (ip.value, empty)
        return place
    }

    subscript(slot: Int) -> State {
        get { slots[slot].state }
        _modify { yield &slots[slot].state }
    }

    /// The state of `ip` at `place` without changing anything (the empty state if none).
    @inline(__always)
    func peek(_ place: Int?, _ ip: IPv4Address) -> State {
        guard let place, place < slots.count, slots[place].ip == ip.value else { return empty }
        return slots[place].state
    }
}
