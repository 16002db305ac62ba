import Analyzer
import DiscoveryCodec
import Output
import WireBytes

/// Feeds decoded frames to the election analyzer, its events to the writer and to
/// the diagnosis engine, the frames to the engine after the analyzer, and the
/// incidents the engine opens and closes to the writer as they happen.
public final class ElectionBridge {
    public let analyzer: ElectionAnalyzer
    public let diagnosis: DiagnosisEngine
    let writer: RecordWriter
    let port: UInt16

    public init(analyzer: ElectionAnalyzer, writer: RecordWriter, port: UInt16 = 37020) {
        self.writer = writer
        self.analyzer = analyzer
        self.port = port
        let diagnosis = DiagnosisEngine(analyzer: analyzer, port: port)
        self.diagnosis = diagnosis
        // Only the bridge drives the analyzer, and it holds both while it does:
        // borrowed, with no reference counting per event (a closure kept by the
        // analyzer would be retained and released for each call).
        analyzer.sink = Self.relay(engine: diagnosis, writer: writer)
    }

    /// The analyzer's events to the engine, then to the writer (the writer's own type
    /// opened, so that it too is borrowed without a reference count); to the engine
    /// alone when the writer takes no events (`-q`).
    private static func relay<W: RecordWriter>(engine: DiagnosisEngine, writer: W) -> ElectionEventSink {
        writer.takesEvents ? EventRelay(engine: engine, writer: writer) : EngineRelay(engine: engine)
    }

    public func consume(_ record: FrameRecord) {
        guard let sender = record.endpoints.source.ipv4 else { return }
        consume(record.frame, from: sender, sourcePort: record.endpoints.sourcePort, origin: record.origin)
    }

    /// A frame from `sender`'s UDP port `sourcePort`, without a record (when nothing
    /// writes frames).
    @inline(__always)
    public func consume(_ frame: FrameView, from sender: IPv4Address, sourcePort: UInt16, origin: PacketOrigin) {
        let place = analyzer.observe(frame, from: sender, at: origin.time, origin: origin)
        diagnosis.frame(frame, from: sender, place: place, at: origin.time, fromDiscoveryPort: sourcePort == port)
    }

    public func consume(_ record: MalformedRecord) {
        diagnosis.malformed(from: record.endpoints.source.ipv4, at: record.origin.time)
    }

    /// Capture time reached `time`: the analyzer's deadlines, then the engine's clock
    /// (the engine drives both, its analyzer being this one), then the incidents
    /// opened or closed by now, to the writer: asked at every packet's clock (before it
    /// is read, so what a frame opened is told at the next packet or tick) and live at
    /// every tick; one comparison when not due.
    @inline(__always)
    public func clock(_ time: Timestamp) {
        guard diagnosis.advance(to: time) else { return }
        pollIncidents(time)
    }

    @inline(never)
    private func pollIncidents(_ time: Timestamp) {
        let changes = diagnosis.pollIncidents(now: time)
        if !changes.isEmpty { for change in changes { writer.write(change) } }
    }

    /// The end of the input: pending deadlines are dropped, and every incident of the
    /// summary is told before it.
    public func finish() {
        analyzer.finish()
        let now = diagnosis.lastTime ?? Timestamp(seconds: 0, nanoseconds: 0)
        for change in diagnosis.pollIncidents(now: now, final: true) { writer.write(change) }
    }

    public func report() -> ElectionReport {
        analyzer.report(diagnoses: diagnosis)
    }
}

/// The analyzer's events to the engine, borrowed (a writer that takes none gets this
/// relay alone): the bridge that makes the relay holds the engine for as long as the
/// analyzer runs. The engine has no rule that follows `peers-changed`: alone, the relay
/// does not take it.
private class EngineRelay: ElectionEventSink {
    let engine: Unmanaged<DiagnosisEngine>

    init(engine: DiagnosisEngine, takesPeersChanged: Bool = false) {
        self.engine = Unmanaged.passUnretained(engine)
        super.init(takesPeersChanged: takesPeersChanged)
    }

    override func receive(_ event: ElectionEvent) {
        engine._withUnsafeGuaranteedRef { $0.event(event) }
    }
}

/// The analyzer's events to the engine, then to the writer, both borrowed; `peers-changed`
/// only if the writer takes it (the engine has no use for it).
private final class EventRelay<W: RecordWriter>: EngineRelay {
    let writer: Unmanaged<W>

    init(engine: DiagnosisEngine, writer: W) {
        self.writer = Unmanaged.passUnretained(writer)
        super.init(engine: engine, takesPeersChanged: writer.takesPeersChanged)
    }

    override func receive(_ event: ElectionEvent) {
        super.receive(event)
        writer._withUnsafeGuaranteedRef { $0.write(event) }
    }
}
