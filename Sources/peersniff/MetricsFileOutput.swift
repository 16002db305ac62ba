import Analyzer
import Capture
import Output
import PeersniffCore
import WireBytes

/// `--metrics FILE`: the state as Prometheus reads it (node_exporter's textfile
/// collector), replaced whole every `--metrics-interval` seconds live, at SIGHUP and
/// at the end.
final class MetricsFileOutput: SideOutput {
    let path: PathName
    let interval: Double
    let exposition: MetricsExposition
    var last: Timestamp?

    init(path: PathName, options: OutputOptions, source: String) {
        self.path = path
        interval = options.metricsInterval
        exposition = MetricsExposition(observer: options.observerName, version: peersniffVersion, libpcap: PcapHandle.libraryVersion,
                                       source: source, interval: options.metricsInterval)
    }

    func write(_ session: Session, now: Timestamp, report: ElectionReport? = nil) {
        let text = exposition.render(summary: session.pipeline.summary, analyzer: session.analyzer, engine: session.election.diagnosis,
                                     report: report ?? session.election.report(), now: now, written: wallClock())
        if let failure = replaceFile(path, with: text) {
            session.failures.record("--metrics \(path.display)", code: failure.code, cause: failure.cause)
        }
    }

    func tick(_ now: Timestamp, _ session: Session) {
        guard last.map({ now.seconds(since: $0) >= interval }) ?? true else { return }
        last = now
        write(session, now: now)
    }

    func reopen(_ session: Session) { write(session, now: session.stateTime()) }

    /// The metrics at the end: live, as the wall clock stands; offline, as the capture ended.
    func end(_ summary: Summary, _ session: Session) { write(session, now: session.stateTime(), report: summary.election) }
}
