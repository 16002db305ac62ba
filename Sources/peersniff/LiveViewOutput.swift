import Output
import WireBytes

/// The live picture on a terminal, redrawn at each tick (its records come through
/// the record fan-out: it is the record writer then).
final class LiveViewOutput: SideOutput {
    let view: LiveView

    init(_ view: LiveView) { self.view = view }

    func tick(_ now: Timestamp, _ session: Session) { view.redraw(now: now) }
}
