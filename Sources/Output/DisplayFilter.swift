import Analyzer
import DiscoveryCodec
import WireBytes

/// What the user asked to see (`--node`, `--type`, `--since`, `--until`), as tshark's
/// `-Y`: it chooses what is printed, never what is analysed. The analyzer, the
/// diagnoses, the page, the metrics and `-w` see every packet.
public struct DisplayFilter: Sendable {
    /// A record is shown if it is about one of these (none: every node). A frame is
    /// about its sender, its destination and, for an OFFLINE, the node it declares
    /// offline; an event about every address it names; an incident about its `ips`.
    public var nodes: Set<IPv4Address> = []
    /// The kinds of record shown (none: every kind).
    public var kinds: Set<Kind> = []
    public var since: TimeBound?
    public var until: TimeBound?

    /// What `--type` names: a frame type, malformed datagrams, events (all, or one
    /// kind), incidents.
    public enum Kind: Hashable, Sendable {
        case frame(FrameType)
        case malformed
        case events
        case event(ElectionEventKind)
        case incidents

        /// `--type`'s words: HELLO FULL PING PONG OFFLINE LEGACY (any case), malformed,
        /// event (every election event), an event's name (node-declared-offline ...),
        /// incident.
        public init?(_ word: String) {
            if let type = FrameType.allCases.first(where: { $0.name.lowercased() == word.lowercased() }) {
                self = .frame(type)
                return
            }
            switch word.lowercased() {
            case "malformed": self = .malformed
            case "event", "events": self = .events
            case "incident", "incidents": self = .incidents
            default:
                guard let kind = ElectionEventKind(rawValue: word.lowercased()) else { return nil }
                self = .event(kind)
            }
        }

        public var word: String {
            switch self {
            case let .frame(type): type.name
            case .malformed: "malformed"
            case .events: "event"
            case let .event(kind): kind.rawValue
            case .incidents: "incident"
            }
        }

        /// Every word `--type` takes, for the help and for a mistake's message.
        public static var words: [String] {
            FrameType.allCases.map(\.name) + ["malformed", "event", "incident"] + ElectionEventKind.allCases.map(\.rawValue)
        }
    }

    /// A bound of `--since`/`--until`: a clock time (UTC, as every output writes it) on
    /// the day of the first packet, a whole RFC 3339 time, or seconds from the first packet.
    public struct TimeBound: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case fromStart(seconds: Double)
            case timeOfDay(seconds: Double)
            case absolute(Timestamp)
        }
        public let kind: Kind
        /// As the user wrote it: the summary says it back.
        public let text: String

        /// `+8.5`, `12:45:06`, `12:45:06.49`, `12:45`, `2026-11-25T12:45:06.49Z`.
        public init?(_ text: String) {
            self.text = text
            if text.hasPrefix("+") {
                guard let value = Double(text.dropFirst()), value.isFinite, value >= 0 else { return nil }
                kind = .fromStart(seconds: value)
            } else if let t = text.firstIndex(of: "T") {
                // A whole time: the date, then the clock, then Z.
                guard text.hasSuffix("Z") || text.hasSuffix("z") else { return nil }
                let dateParts = text[..<t].split(separator: "-", omittingEmptySubsequences: false)
                guard dateParts.count == 3, let year = Int64(dateParts[0]), let month = Int64(dateParts[1]), let day = Int64(dateParts[2]),
                      (1...12).contains(month), (1...31).contains(day),
                      let clock = TimeBound.secondOfDay(text[text.index(after: t)..<text.index(before: text.endIndex)]) else { return nil }
                kind = .absolute(TimeBound.time(dayStart: daysFromCivil(year: year, month: month, day: day) * 86_400, plus: clock))
            } else {
                guard let clock = TimeBound.secondOfDay(Substring(text)) else { return nil }
                kind = .timeOfDay(seconds: clock)
            }
        }

        /// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`: seconds since midnight.
        static func secondOfDay(_ text: Substring) -> Double? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3, parts[0].count == 2, parts[1].count == 2,
                  let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes) else { return nil }
            var seconds = 0.0
            if parts.count == 3 {
                guard parts[2].count >= 2, parts[2].first?.isNumber == true, let value = Double(parts[2]), value >= 0, value < 61 else { return nil }
                seconds = value
            }
            return Double(hours * 3600 + minutes * 60) + seconds
        }

        /// The bound as a time, given the run's first packet.
        public func resolved(start: Timestamp) -> Timestamp {
            switch kind {
            case let .absolute(time):
                return time
            case let .fromStart(seconds):
                return start.adding(nanoseconds: Int64((seconds * 1e9).rounded()))
            case let .timeOfDay(seconds):
                return TimeBound.time(dayStart: start.seconds - ((start.seconds % 86_400) + 86_400) % 86_400, plus: seconds)
            }
        }

        /// `seconds` (of a day) after the second `dayStart` since 1970.
        static func time(dayStart: Int64, plus seconds: Double) -> Timestamp {
            Timestamp(seconds: dayStart, nanoseconds: 0, precision: .nanoseconds).adding(nanoseconds: Int64((seconds * 1e9).rounded()))
        }
    }

    public init(nodes: Set<IPv4Address> = [], kinds: Set<Kind> = [], since: TimeBound? = nil, until: TimeBound? = nil) {
        self.nodes = nodes
        self.kinds = kinds
        self.since = since
        self.until = until
    }

    /// Nothing asked: every record is shown.
    public var isEmpty: Bool { nodes.isEmpty && kinds.isEmpty && since == nil && until == nil }

    /// The filter as the user wrote it, for the summary.
    public var description: String {
        var parts: [String] = []
        parts += nodes.sorted().map { "--node \($0)" }
        parts += kinds.map { "--type \($0.word)" }.sorted()
        if let since { parts.append("--since \(since.text)") }
        if let until { parts.append("--until \(until.text)") }
        return parts.joined(separator: " ")
    }
}

/// What the display filter let through and held back, for the summary.
public struct DisplayCounts: Sendable, Equatable {
    public var filter: String
    public var framesShown = 0
    public var framesHidden = 0
    public var malformedShown = 0
    public var malformedHidden = 0
    public var eventsShown = 0
    public var eventsHidden = 0
    public var incidentsShown = 0
    public var incidentsHidden = 0

    public init(filter: String) { self.filter = filter }

    /// "`--node 10.37.0.40`: 120 of 268 frames, 0 of 0 malformed, ... (the analysis saw every one)".
    public var sentence: String {
        func part(_ shown: Int, _ hidden: Int, _ noun: String) -> String { "\(shown) of \(shown + hidden) \(noun)" }
        return "\(filter): " + [part(framesShown, framesHidden, "frames"), part(malformedShown, malformedHidden, "malformed"),
                                part(eventsShown, eventsHidden, "events"), part(incidentsShown, incidentsHidden, "incidents")]
            .joined(separator: ", ") + " (the analysis and the diagnoses saw everything)"
    }
}

/// Hands the writer the user reads only the records the display filter matches, and
/// counts what it held back; the summary passes, with the counts in it.
public final class DisplayFilterWriter: RecordWriter {
    let filter: DisplayFilter
    let next: RecordWriter
    public private(set) var counts: DisplayCounts
    /// The bounds, once the first record gives the start.
    private var since: Timestamp?
    private var until: Timestamp?
    private var resolved = false

    public init(_ filter: DisplayFilter, next: RecordWriter) {
        self.filter = filter
        self.next = next
        counts = DisplayCounts(filter: filter.description)
    }

    /// The start of the run's time span (the summary's `first_ts`: its first packet),
    /// which `+SECONDS` counts from and whose day a clock time is on; without it, the
    /// first record's time.
    public var start: (() -> Timestamp?)?

    private func resolve(_ time: Timestamp) {
        guard !resolved else { return }
        resolved = true
        let start = start?() ?? time
        since = filter.since?.resolved(start: start)
        until = filter.until?.resolved(start: start)
    }

    private func inTime(_ time: Timestamp) -> Bool {
        resolve(time)
        if let since, time < since { return false }
        if let until, until < time { return false }
        return true
    }

    private func shows(_ kind: DisplayFilter.Kind) -> Bool {
        if filter.kinds.isEmpty { return true }
        if filter.kinds.contains(kind) { return true }
        if case .event = kind { return filter.kinds.contains(.events) }
        return false
    }

    private func about(_ addresses: [IPv4Address]) -> Bool {
        filter.nodes.isEmpty || addresses.contains { filter.nodes.contains($0) }
    }

    private func about(_ endpoints: Endpoints) -> Bool {
        if filter.nodes.isEmpty { return true }
        if case let .v4(source) = endpoints.source, filter.nodes.contains(source) { return true }
        if case let .v4(destination) = endpoints.destination, filter.nodes.contains(destination) { return true }
        return false
    }

    public func matches(_ record: FrameRecord) -> Bool {
        guard inTime(record.origin.time), shows(.frame(record.frame.type)) else { return false }
        if about(record.endpoints) { return true }
        return record.frame.type == .offline && filter.nodes.contains(record.frame.offlineIP)
    }

    public func matches(_ record: MalformedRecord) -> Bool {
        inTime(record.origin.time) && shows(.malformed) && about(record.endpoints)
    }

    public func matches(_ event: ElectionEvent) -> Bool {
        inTime(event.time) && shows(.event(event.kind)) && about(event.addresses)
    }

    /// An incident is shown if its span meets the time window.
    public func matches(_ incident: IncidentChange) -> Bool {
        guard shows(.incidents), about(incident.diagnosis.ips) else { return false }
        resolve(incident.diagnosis.since)
        if let until, until < incident.diagnosis.since { return false }
        if let since, let end = incident.diagnosis.until, end < since { return false }
        return true
    }

    /// Passes a record on or holds it back, counting which.
    @inline(__always)
    private func pass(_ shown: Bool, _ counted: WritableKeyPath<DisplayCounts, Int>, _ held: WritableKeyPath<DisplayCounts, Int>,
                      _ write: () -> Void) {
        if shown {
            counts[keyPath: counted] += 1
            write()
        } else {
            counts[keyPath: held] += 1
        }
    }

    public func write(_ record: FrameRecord) {
        pass(matches(record), \.framesShown, \.framesHidden) { next.write(record) }
    }

    public func write(_ record: MalformedRecord) {
        pass(matches(record), \.malformedShown, \.malformedHidden) { next.write(record) }
    }

    public func write(_ event: ElectionEvent) {
        pass(matches(event), \.eventsShown, \.eventsHidden) { next.write(event) }
    }

    public func write(_ incident: IncidentChange) {
        if matches(incident) {
            if incident.state == .open { counts.incidentsShown += 1 }
            next.write(incident)
        } else if incident.state == .open {
            counts.incidentsHidden += 1
        }
    }

    public func write(_ summary: Summary) {
        var summary = summary
        summary.display = counts
        next.write(summary)
    }

    public func flush() { next.flush() }
}

extension ElectionEvent {
    /// Every address the event names.
    public var addresses: [IPv4Address] {
        switch detail {
        case let .nodeSeen(ip, _, _): [ip]
        case let .nodeRenamed(rename): [rename.ip]
        case let .nodeDeclaredOffline(ip, by): [ip, by]
        case let .nodeReturned(ip): [ip]
        case let .registryElected(ip): [ip]
        case let .registryChanged(from, to): [from, to]
        case let .registryConflict(ips): ips
        case let .registryUnexpected(ip, expected): [ip, expected]
        case let .registrySilent(expected, after): [expected] + (after.map { [$0] } ?? [])
        case let .peersChanged(added, removed, renamed): added + removed + renamed.map(\.ip)
        }
    }
}
