import Analyzer
import Output
import WireBytes

/// An output beside the records (the records themselves go through one fixed
/// fan-out, `RecordWriter`, where the instruction budget needs it): it hears the live
/// tick, SIGHUP and the end, and ignores what it does not care about, in the shape of
/// swift-nio's ChannelHandler without its dynamic pipeline. One conformer a file;
/// `Session.init` is the one place where they are built from the options.
protocol SideOutput: AnyObject {
    /// Live, a few times a second (the wall clock).
    func tick(_ now: Timestamp, _ session: Session)
    /// SIGHUP: files opened again (log rotation).
    func reopen(_ session: Session)
    /// The end of the run, with its summary (the election's report in it).
    func end(_ summary: Summary, _ session: Session)
}

extension SideOutput {
    func tick(_ now: Timestamp, _ session: Session) {}
    func reopen(_ session: Session) {}
    func end(_ summary: Summary, _ session: Session) {}
}
