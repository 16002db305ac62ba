import Analyzer

/// Hands every record to the output the user reads and to the outputs beside it (the
/// page's recorder, the pcap dumps), in that order; frame records only to those that
/// take them (not the page's recorder: the pipeline hands it frames itself). Built
/// only when there is more than one: the plain run (`-q`, text, `--json`) calls its
/// one writer directly.
public final class RecordFanout: RecordWriter {
    let primary: RecordWriter
    /// The first of the others, and the rest: an event goes to the second writer (the
    /// page's recorder, when there is a page) without a walk over an array.
    let second: RecordWriter?
    let rest: [RecordWriter]
    /// The primary writer takes frame records (asked once: `-q` with the page takes
    /// none, and is not called for each).
    let primaryTakesFrames: Bool
    /// The primary writer takes events (asked once).
    let primaryTakesEvents: Bool
    /// The others that take frame records (the pcap dumps; not the page's recorder,
    /// which the pipeline hands frames directly), asked once.
    let framed: [RecordWriter]

    public init(_ primary: RecordWriter, _ others: [RecordWriter]) {
        self.primary = primary
        primaryTakesFrames = primary.takesFrames
        primaryTakesEvents = primary.takesEvents
        second = others.first
        rest = Array(others.dropFirst())
        framed = others.filter(\.takesFrames)
        takesEvents = primary.takesEvents || others.contains { $0.takesEvents }
        takesPeersChanged = primary.takesPeersChanged || others.contains { $0.takesPeersChanged }
    }

    public var takesFrames: Bool { primaryTakesFrames || !framed.isEmpty }
    /// Any of them takes events (asked once).
    public let takesEvents: Bool
    /// Any of them takes `peers-changed` (asked once).
    public let takesPeersChanged: Bool

    public func write(_ record: FrameRecord) {
        if primaryTakesFrames { primary.write(record) }
        if !framed.isEmpty { for other in framed { other.write(record) } }
    }

    public func write(_ record: MalformedRecord) {
        primary.write(record)
        second?.write(record)
        if !rest.isEmpty { for other in rest { other.write(record) } }
    }

    public func write(_ event: ElectionEvent) {
        // (-q with the page: the quiet primary writer takes no event, the recorder does.)
        if primaryTakesEvents { primary.write(event) }
        second?.write(event)
        if !rest.isEmpty { for other in rest { other.write(event) } }
    }

    public func write(_ incident: IncidentChange) {
        primary.write(incident)
        second?.write(incident)
        if !rest.isEmpty { for other in rest { other.write(incident) } }
    }

    /// The summary is the user's: the others end through their own `end`.
    public func write(_ summary: Summary) { primary.write(summary) }

    public func flush() {
        primary.flush()
        second?.flush()
        for other in rest { other.flush() }
    }
}
