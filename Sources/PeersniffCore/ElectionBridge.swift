import Analyzer
import DiscoveryCodec
import Output
import WireBytes

/// Feeds decoded frames to the election analyzer and its events to the writer,
/// and keeps the traffic figures the diagnoses need.
public final class ElectionBridge: FrameConsumer {
    public let analyzer: ElectionAnalyzer
    public private(set) var tally = TrafficTally()
    let writer: RecordWriter

    public init(analyzer: ElectionAnalyzer, writer: RecordWriter) {
        self.writer = writer
        self.analyzer = analyzer
        analyzer.emit = { [unowned writer] event in writer.write(event) }
    }

    public func consume(_ record: FrameRecord) {
        guard let sender = record.endpoints.source.ipv4 else { return }
        tally.count(record.frame, at: record.origin.time)
        analyzer.observe(record.frame, from: sender, at: record.origin.time, origin: record.origin)
    }

    public func clock(_ time: Timestamp) {
        analyzer.advance(to: time)
    }

    /// The end of the input: pending deadlines are dropped.
    public func finish() { analyzer.finish() }

    public func report(malformed: Int) -> ElectionReport {
        var tally = self.tally
        tally.malformed = malformed
        return analyzer.report(tally: tally)
    }
}
