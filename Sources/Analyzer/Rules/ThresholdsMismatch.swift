#if canImport(Glibc)
import Glibc
#endif
import WireBytes

/// `thresholds-mismatch` (warning): the boards' own cadence says the firmware runs
/// several times faster or slower than the thresholds in use assume.
///
/// The firmware: each board PINGs one known peer per liveness round (15 s, 5 T, at
/// the default T of 3 s; 1.5 s in a `speed 10` run). The interval between one board's
/// PINGs, leaving out those an OFFLINE set off ("PING x to check"), measures the round
/// the boards really run. When its median is three times the round the thresholds
/// assume, or a third of it, or further, every rule that measures in T is off by as
/// much, and diagnoses made under it may be wrong: say so first, with the options
/// that fit (T = the measured round / 5; the conflict window in the default ratio, 5/3 T).
struct ThresholdsMismatch {
    /// How far off before it is told, either way.
    static let factor = 3.0
    /// Intervals needed before the cadence is trusted.
    static let minimumIntervals = 6

    var lastPing = NodeSlots<Timestamp?>(nil)
    /// Intervals by size, on a log scale: bin i holds ratios to the assumed round in
    /// [2^((i - 48) / 8), 2^((i - 47) / 8)), from 1/64 to 64 times.
    var bins = [Int](repeating: 0, count: 97)
    var intervals = 0
    var boards = 0
    var first: Timestamp?
    /// The latest OFFLINE: PINGs soon after it check its subject, off the round.
    var lastOffline: Timestamp?

    mutating func offline(at time: Timestamp) { lastOffline = time }

    mutating func ping(from sender: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) {
        if first == nil { first = time }
        let s = lastPing.slot(place, sender)
        let previous = lastPing[s]
        lastPing[s] = time
        guard let previous else {
            boards += 1
            return
        }
        // A PING within T of an OFFLINE checks its subject: not the round's.
        if let offline = lastOffline, FirmwareTiming.within(ctx.timing.registryTimeout, time, after: offline) { return }
        let ratio = Double(time.totalNanoseconds - previous.totalNanoseconds) / Double(ctx.timing.round)
        guard ratio > 0 else { return }
        let bin = Int((log2(ratio) * 8).rounded(.down)) + 48
        bins[max(0, min(bins.count - 1, bin))] += 1
        intervals += 1
    }

    /// The median interval as a ratio to the assumed round, when there are enough.
    var medianRatio: Double? {
        guard intervals >= ThresholdsMismatch.minimumIntervals else { return nil }
        var seen = 0
        for (i, n) in bins.enumerated() {
            seen += n
            if seen * 2 >= intervals { return pow(2, (Double(i - 48) + 0.5) / 8) }
        }
        return nil
    }

    /// The thresholds that fit the measured round, for the command line.
    func fitting(_ ctx: DiagnosisContext) -> (timeout: String, window: String)? {
        guard let ratio = medianRatio, ratio >= ThresholdsMismatch.factor || ratio <= 1 / ThresholdsMismatch.factor else { return nil }
        let t = ctx.analyzer.thresholds.registryTimeout * ratio
        return (shortNumber(t), shortNumber(t * 5 / 3))
    }

    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        guard let ratio = medianRatio, let fit = fitting(ctx), let first else { return nil }
        let round = Double(ctx.timing.round) / 1e9
        let faster = ratio < 1
        let times = faster ? 1 / ratio : ratio
        var text: DiagnosisMessage = "The boards PING about every \(span: round * ratio) (the median of \(intervals) intervals from \(boards) board\(prose: plural(boards))): their liveness round is \(prose: shortNumber(times)) times \(prose: faster ? "shorter" : "longer") than the \(span: round) the thresholds in use assume (--registry-timeout \(prose: shortNumber(ctx.analyzer.thresholds.registryTimeout))). "
        text += "The firmware runs \(prose: faster ? "faster" : "slower") than real time, or with other timings: read it with --registry-timeout \(prose: fit.timeout) --conflict-window \(prose: fit.window). Until then, every diagnosis here is measured with the wrong unit and may be wrong."
        return Diagnosis(code: .thresholdsMismatch, ips: [], since: first, until: nil, message: text,
                         figures: [("round_s", .seconds(round * ratio)), ("intervals", .count(intervals))])
    }

    /// Two significant digits: "0.3", "0.5", "30", "1.2".
    private func shortNumber(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        let digits = max(0, 1 - Int(log10(value).rounded(.down)))
        let scale = pow(10, Double(digits))
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
