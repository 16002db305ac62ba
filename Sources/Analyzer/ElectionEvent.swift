import DiscoveryCodec
import WireBytes

/// The kinds of event of CONTRACT.md's election timeline.
public enum ElectionEventKind: String, CaseIterable, Sendable {
    case nodeSeen = "node-seen"
    case nodeRenamed = "node-renamed"
    case nodeDeclaredOffline = "node-declared-offline"
    case nodeReturned = "node-returned"
    case registryElected = "registry-elected"
    case registryChanged = "registry-changed"
    case registryConflict = "registry-conflict"
    case registryUnexpected = "registry-unexpected"
    case registrySilent = "registry-silent"
    case peersChanged = "peers-changed"

    /// The contract's name, as a static string (what the writers copy as it is).
    public var staticName: StaticString {
        switch self {
        case .nodeSeen: "node-seen"
        case .nodeRenamed: "node-renamed"
        case .nodeDeclaredOffline: "node-declared-offline"
        case .nodeReturned: "node-returned"
        case .registryElected: "registry-elected"
        case .registryChanged: "registry-changed"
        case .registryConflict: "registry-conflict"
        case .registryUnexpected: "registry-unexpected"
        case .registrySilent: "registry-silent"
        case .peersChanged: "peers-changed"
        }
    }

    /// A dense index 0..<10, in the order of `allCases`.
    public var index: Int {
        switch self {
        case .nodeSeen: 0
        case .nodeRenamed: 1
        case .nodeDeclaredOffline: 2
        case .nodeReturned: 3
        case .registryElected: 4
        case .registryChanged: 5
        case .registryConflict: 6
        case .registryUnexpected: 7
        case .registrySilent: 8
        case .peersChanged: 9
        }
    }
}

/// A renamed entry of `peers-changed` or a `node-renamed`.
public struct Rename: Hashable, Sendable {
    public var ip: IPv4Address
    public var from: Name
    public var to: Name
}

/// One step of the election timeline.
public struct ElectionEvent: Sendable {
    public enum Detail: Sendable {
        case nodeSeen(ip: IPv4Address, name: Name?, via: FrameType)
        case nodeRenamed(Rename)
        case nodeDeclaredOffline(ip: IPv4Address, by: IPv4Address)
        case nodeReturned(ip: IPv4Address)
        case registryElected(ip: IPv4Address)
        case registryChanged(from: IPv4Address, to: IPv4Address)
        /// Both senders, lower address first.
        case registryConflict(ips: [IPv4Address])
        case registryUnexpected(ip: IPv4Address, expected: IPv4Address)
        case registrySilent(expected: IPv4Address, after: IPv4Address?)
        case peersChanged(added: [IPv4Address], removed: [IPv4Address], renamed: [Rename])
    }

    /// The capture time: the causing packet's, or the deadline of a `registry-silent`.
    public var time: Timestamp
    /// The packet that caused it; nil for `registry-silent`.
    public var origin: PacketOrigin?
    public var detail: Detail

    public var kind: ElectionEventKind {
        switch detail {
        case .nodeSeen: .nodeSeen
        case .nodeRenamed: .nodeRenamed
        case .nodeDeclaredOffline: .nodeDeclaredOffline
        case .nodeReturned: .nodeReturned
        case .registryElected: .registryElected
        case .registryChanged: .registryChanged
        case .registryConflict: .registryConflict
        case .registryUnexpected: .registryUnexpected
        case .registrySilent: .registrySilent
        case .peersChanged: .peersChanged
        }
    }
}

/// Where an analyzer's events go when they should reach their receiver without a
/// reference count per event (`ElectionAnalyzer.sink`): a class, so that the analyzer
/// can call it borrowed. Subclass it and override `receive`.
open class ElectionEventSink {
    /// The sink does something with `peers-changed` (its lists of addresses): false for
    /// a receiver that ignores them, so that the analyzer counts the event without
    /// making it (a changed FULL would else make three lists' references for nothing).
    public let takesPeersChanged: Bool

    public init(takesPeersChanged: Bool = true) {
        self.takesPeersChanged = takesPeersChanged
    }

    /// One event, as it happens.
    open func receive(_ event: ElectionEvent) {}
}
