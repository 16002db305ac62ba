import Analyzer
import Output
import PeersniffCore
import WireBytes

/// `--html FILE`: the page, drawn from a recorder fed the same records as the
/// output, replaced whole (live, every five seconds).
final class PageFileOutput: SideOutput {
    let path: PathName
    let recorder: TimelineRecorder
    let source: String
    var last: Timestamp?
    static let liveEvery = 5.0

    init(path: PathName, recorder: TimelineRecorder, source: String) {
        self.path = path
        self.recorder = recorder
        self.source = source
    }

    /// The page, stamped with the wall clock `now` (its age is shown from it).
    func write(_ summary: Summary, live: Bool, now: Timestamp, _ session: Session) {
        // A node is quiet after two liveness rounds: the round is five registry timeouts (15 s and 3 s on a board).
        let failed = HTMLPage.withRenderedBytes(recorder: recorder, summary: summary, source: source, live: live, written: now,
                                                quietAfter: session.command.analysis.thresholds.registryTimeout * 10) {
            replaceFile(path, with: $0)
        }
        if let failure = failed {
            session.failures.record("--html \(path.display)", code: failure.code, cause: failure.cause)
        }
    }

    func tick(_ now: Timestamp, _ session: Session) {
        guard last.map({ now.seconds(since: $0) >= Self.liveEvery }) ?? true else { return }
        last = now
        var summary = session.pipeline.summary
        summary.election = session.election.report()
        write(summary, live: true, now: now, session)
    }

    func end(_ summary: Summary, _ session: Session) { write(summary, live: false, now: wallClock(), session) }
}
