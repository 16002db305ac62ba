import Analyzer
import DiscoveryCodec
import Testing
import WireBytes

// Feeds an `ElectionAnalyzer` frames directly, as (time, sender, frame) steps, and
// collects its events in a form tests can compare: the contract's fields, with
// addresses and names as text.

/// One step of a scenario: `sender` sends `frame` at `time` (seconds of capture time).
public struct SentFrame: Sendable, CustomStringConvertible {
    public var time: Timestamp
    public var sender: String
    public var frame: Frame
    /// Sent from the discovery port (a desktop client binds it; boards send from an ephemeral port).
    public var fromDiscoveryPort = false

    public init(time: Timestamp, sender: String, frame: Frame, fromDiscoveryPort: Bool = false) {
        self.time = time; self.sender = sender; self.frame = frame; self.fromDiscoveryPort = fromDiscoveryPort
    }

    public var description: String { "\(time.asDouble)s \(sender) \(frame.type.name)" }
}

/// `sender` sends `frame` at `seconds`.
public func at(_ seconds: Double, _ sender: String, _ frame: Frame) -> SentFrame {
    SentFrame(time: Timestamp(seconds), sender: sender, frame: frame)
}

/// `sender` sends `frame` at exactly `time`.
public func at(_ time: Timestamp, _ sender: String, _ frame: Frame) -> SentFrame {
    SentFrame(time: time, sender: sender, frame: frame)
}

/// Frame builders in the words of the tests: addresses and names as text.
extension Frame {
    public static func hello(_ name: String) -> Frame { .hello(name: Name(name)) }
    /// A FULL listing `entries` (address, name) in order; the firmware lists its sender first.
    public static func full(_ entries: (String, String)...) -> Frame {
        .full(peers: entries.map { Peer(ip: IPv4Address($0.0)!, name: Name($0.1)) })
    }
    public static func offline(_ ip: String) -> Frame { .offline(ip: IPv4Address(ip)!) }
    /// An old firmware's JSON announcement carrying `name`.
    public static func legacy(name: String) -> Frame { .legacy(.object([(key: "name", value: .string(name))])) }
}

/// A renamed entry of `peers-changed`, as text.
public struct RenamedEntry: Hashable, Sendable, CustomStringConvertible {
    public var ip: String
    public var from: String
    public var to: String
    public init(_ ip: String, _ from: String, _ to: String) { self.ip = ip; self.from = from; self.to = to }
    public var description: String { "\(ip) \(from)→\(to)" }
}

/// A rule's test case: frames sent, and the events the rule must make of them.
public struct RuleCase: Sendable, CustomTestStringConvertible {
    public var label: String
    public var steps: [SentFrame]
    public var expected: [TimelineEvent]
    public var testDescription: String { label }

    public init(label: String, steps: [SentFrame], expected: [TimelineEvent]) {
        self.label = label; self.steps = steps; self.expected = expected
    }
}

/// One event of CONTRACT.md's timeline table with its fields. Lists whose order the
/// contract does not fix (`ips`, `added`, `removed`, `renamed`) are kept in numeric
/// address order, so that comparisons do not depend on it.
public enum TimelineEvent: Hashable, Sendable, CustomStringConvertible {
    case nodeSeen(ip: String, name: String?, via: FrameType)
    case nodeRenamed(ip: String, from: String, to: String)
    case nodeDeclaredOffline(ip: String, by: String)
    case nodeReturned(ip: String)
    case registryElected(ip: String)
    case registryChanged(from: String, to: String)
    case registryConflict(ips: [String])
    case registryUnexpected(ip: String, expected: String)
    case registrySilent(expected: String, after: String?)
    case peersChanged(added: [String], removed: [String], renamed: [RenamedEntry])

    public init(_ detail: ElectionEvent.Detail) {
        func text(_ ips: [IPv4Address]) -> [String] { ips.sorted().map(\.description) }
        switch detail {
        case let .nodeSeen(ip, name, via): self = .nodeSeen(ip: ip.description, name: name?.description, via: via)
        case let .nodeRenamed(r): self = .nodeRenamed(ip: r.ip.description, from: r.from.description, to: r.to.description)
        case let .nodeDeclaredOffline(ip, by): self = .nodeDeclaredOffline(ip: ip.description, by: by.description)
        case let .nodeReturned(ip): self = .nodeReturned(ip: ip.description)
        case let .registryElected(ip): self = .registryElected(ip: ip.description)
        case let .registryChanged(from, to): self = .registryChanged(from: from.description, to: to.description)
        case let .registryConflict(ips): self = .registryConflict(ips: text(ips))
        case let .registryUnexpected(ip, expected):
            self = .registryUnexpected(ip: ip.description, expected: expected.description)
        case let .registrySilent(expected, after):
            self = .registrySilent(expected: expected.description, after: after?.description)
        case let .peersChanged(added, removed, renamed):
            self = .peersChanged(
                added: text(added), removed: text(removed),
                renamed: renamed.sorted { $0.ip < $1.ip }
                    .map { RenamedEntry($0.ip.description, $0.from.description, $0.to.description) })
        }
    }

    public var kind: ElectionEventKind {
        switch self {
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

    public var description: String {
        switch self {
        case let .nodeSeen(ip, name, via): "node-seen \(ip) \(name.map { "\"\($0)\"" } ?? "-") via \(via.name)"
        case let .nodeRenamed(ip, from, to): "node-renamed \(ip) \"\(from)\"→\"\(to)\""
        case let .nodeDeclaredOffline(ip, by): "node-declared-offline \(ip) by \(by)"
        case let .nodeReturned(ip): "node-returned \(ip)"
        case let .registryElected(ip): "registry-elected \(ip)"
        case let .registryChanged(from, to): "registry-changed \(from)→\(to)"
        case let .registryConflict(ips): "registry-conflict \(ips)"
        case let .registryUnexpected(ip, expected): "registry-unexpected \(ip) expected \(expected)"
        case let .registrySilent(expected, after): "registry-silent expected \(expected) after \(after ?? "-")"
        case let .peersChanged(added, removed, renamed): "peers-changed +\(added) -\(removed) ~\(renamed)"
        }
    }
}

/// An event with its stamp: the capture time and the number of the packet that
/// caused it (nil for `registry-silent`).
public struct StampedEvent: Sendable, CustomStringConvertible {
    public var time: Timestamp
    public var packet: Int?
    public var event: TimelineEvent

    public init(time: Timestamp, packet: Int?, event: TimelineEvent) {
        self.time = time; self.packet = packet; self.event = event
    }

    public var description: String { "\(time.asDouble)s #\(packet.map(String.init) ?? "-") \(event)" }
}

/// `desktop` sends `frame` from the discovery port at `seconds`.
public func fromPort(_ seconds: Double, _ desktop: String, _ frame: Frame) -> SentFrame {
    SentFrame(time: Timestamp(seconds), sender: desktop, frame: frame, fromDiscoveryPort: true)
}

/// An analyzer, its diagnosis engine, and the events it emitted. Packets are
/// numbered 1, 2, … in the order fed.
public final class AnalyzerHarness {
    public let analyzer: ElectionAnalyzer
    public let diagnosis: DiagnosisEngine
    public private(set) var stamped: [StampedEvent] = []
    public private(set) var packets = 0
    /// Decodes with a `FrameDecoder`, as the pipeline does (its memory of the last FULL,
    /// and the lineage it gives each FULL); nil: with `decodeFrame`, which remembers nothing.
    public var decoder: FrameDecoder?

    public init(registryTimeout: Double = 3, conflictWindow: Double = 5, maxNodes: Int = ElectionAnalyzer.defaultMaxNodes) {
        analyzer = ElectionAnalyzer(thresholds: .init(registryTimeout: registryTimeout, conflictWindow: conflictWindow), maxNodes: maxNodes)
        diagnosis = DiagnosisEngine(analyzer: analyzer)
        analyzer.emit = { [unowned self] event in
            diagnosis.event(event)
            stamped.append(StampedEvent(time: event.time, packet: event.origin?.number, event: TimelineEvent(event.detail)))
        }
    }

    /// Runs `steps` through a fresh analyzer and, when `finish`, ends the input.
    public convenience init(_ steps: [SentFrame], registryTimeout: Double = 3, conflictWindow: Double = 5,
                     maxNodes: Int = ElectionAnalyzer.defaultMaxNodes, finish: Bool = true) {
        self.init(registryTimeout: registryTimeout, conflictWindow: conflictWindow, maxNodes: maxNodes)
        feed(steps)
        if finish { self.finish() }
    }

    /// Feeds one frame as the next packet; returns the events it caused.
    @discardableResult
    public func feed(_ step: SentFrame, sourceLocation: SourceLocation = #_sourceLocation) -> [StampedEvent] {
        let before = stamped.count
        packets += 1
        let sender = IPv4Address(step.sender)!
        let origin = PacketOrigin(number: packets, time: step.time, file: nil)
        let bytes = step.frame.encoded()
        bytes.withUnsafeBytes { raw in
            switch decoder?.decode(raw, sender: sender) ?? decodeFrame(raw, sender: sender) {
            case let .frame(view):
                analyzer.advance(to: step.time)
                diagnosis.clock(step.time)
                analyzer.observe(view, from: sender, at: step.time, origin: origin)
                diagnosis.frame(view, from: sender, at: step.time, fromDiscoveryPort: step.fromDiscoveryPort)
            case let .malformed(malformation):
                Issue.record("test frame \(step) does not decode: \(malformation)", sourceLocation: sourceLocation)
            }
        }
        return Array(stamped[before...])
    }

    /// Decodes a frame with `decoder` and does not show it to the analyzer (as the
    /// pipeline does with a FULL from a sender beyond the node cap): the decoder's last
    /// FULL is then not the analyzer's.
    public func decodeOnly(_ step: SentFrame) {
        let bytes = step.frame.encoded()
        bytes.withUnsafeBytes { raw in _ = decoder?.decode(raw, sender: IPv4Address(step.sender)!) }
    }

    public func feed(_ steps: [SentFrame]) {
        for step in steps { feed(step) }
    }

    /// Capture time reaches `time` without a discovery packet (as a malformed packet would).
    public func advance(to time: Timestamp) {
        analyzer.advance(to: time)
        diagnosis.clock(time)
    }

    /// The diagnoses so far.
    public var diagnoses: [Diagnosis] { diagnosis.diagnoses() }

    /// The codes of the diagnoses above `note`, in order.
    public var problems: [String] { diagnoses.filter { $0.severity > .note }.map(\.code.rawValue) }

    /// The first diagnosis with `code`.
    public func diagnosis(_ code: DiagnosisCode) -> Diagnosis? { diagnoses.first { $0.code == code } }

    /// The input ends.
    public func finish() { analyzer.finish() }

    public var events: [TimelineEvent] { stamped.map(\.event) }

    /// The events of one kind, in order.
    public func events(_ kind: ElectionEventKind) -> [TimelineEvent] { events.filter { $0.kind == kind } }

    public func stamped(_ kind: ElectionEventKind) -> [StampedEvent] { stamped.filter { $0.event.kind == kind } }

    /// Whether `ip` is in the live set L.
    public func isLive(_ ip: String) -> Bool { analyzer.nodes[IPv4Address(ip)!]?.live == true }

    /// The lowest address in L, as text.
    public var lowest: String? { analyzer.lowest?.description }
}

/// A FULL as the firmware builds it: its sender first, then the others in ascending
/// numeric order, each entry named by `names`.
public func firmwareFull(_ sender: String, _ others: [String], names: (String) -> String) -> Frame {
    let sorted = others.sorted { IPv4Address($0)! < IPv4Address($1)! }
    return .full(peers: ([sender] + sorted).map { Peer(ip: IPv4Address($0)!, name: Name(names($0))) })
}

extension Diagnosis.Figure {
    /// The figure's seconds, if it is a span.
    public var seconds: Double? {
        if case let .seconds(s) = self { return s }
        return nil
    }

    /// The figure's count, if it is one.
    public var count: Int? {
        if case let .count(n) = self { return n }
        return nil
    }
}
