#if canImport(Glibc)
import Glibc
#endif
import WireBytes

/// `thresholds-mismatch` (warning): the boards' own cadence says the firmware runs
/// several times faster or slower than the thresholds in use assume.
///
/// The firmware: each board's liveness task runs once a round (15 s, 5 T, at the
/// default T of 3 s; 1.5 s in a `speed 10` run) and PINGs one known peer; an OFFLINE
/// makes a board PING its subject "to check" at once, off that beat. So the times
/// between one board's PINGs and its few PINGs before stack up at the round (and its
/// multiples) while the checks scatter: the round is the smallest of the differences
/// that come most often. When it is three times the round the thresholds assume, or
/// a third of it, or further, every rule that measures in T is off by as much, and
/// diagnoses made under it may be wrong: say so first, with the options that fit
/// (T = the measured round / 5; the conflict window in the default ratio, 5/3 T).
struct ThresholdsMismatch {
    /// How far off before it is told, either way.
    static let factor = 3.0
    /// Differences needed before the cadence is trusted, and how often the round must come.
    static let minimumIntervals = 12
    static let minimumAtRound = 4
    /// Differences after which the cadence is known: later PINGs are not looked at.
    static let enough = 4096
    /// Each PING is compared with this many PINGs of the same board before it.
    static let lags = 6
    /// Bins: 16 a factor of two, from 1/64 to 64 times the assumed round.
    static let binsPerOctave = 16
    static let octaves = 12

    /// Each board's PINGs so far, and the times (ns) of its last six, the newest first.
    var history = NodeSlots<(count: Int, times: (Int64, Int64, Int64, Int64, Int64, Int64))>((0, (0, 0, 0, 0, 0, 0)))
    var bins = [Int](repeating: 0, count: ThresholdsMismatch.binsPerOctave * ThresholdsMismatch.octaves)
    /// The ratios that fell in each bin, added up (their mean is the bin's value).
    var sums = [Double](repeating: 0, count: ThresholdsMismatch.binsPerOctave * ThresholdsMismatch.octaves)
    var intervals = 0
    var boards = 0
    var first: Timestamp?

    mutating func ping(from sender: IPv4Address, place: Int, at time: Timestamp, _ ctx: DiagnosisContext) {
        guard intervals < ThresholdsMismatch.enough else { return }
        if first == nil { first = time }
        let s = history.slot(place, sender)
        var entry = history[s]
        if entry.count == 0 { boards += 1 }
        let round = Double(ctx.timing.round)
        let now = time.totalNanoseconds
        withUnsafeBytes(of: entry.times) { raw in
            for k in 0..<min(entry.count, ThresholdsMismatch.lags) {
                let ratio = Double(now - raw.load(fromByteOffset: k * 8, as: Int64.self)) / round
                if let bin = Self.bin(ratio) {
                    bins[bin] += 1
                    sums[bin] += ratio
                    intervals += 1
                }
            }
        }
        // The newest first: shift the six back by one.
        entry.times = (now, entry.times.0, entry.times.1, entry.times.2, entry.times.3, entry.times.4)
        entry.count += 1
        history[s] = entry
    }

    /// The bin of a ratio to the assumed round (nil outside the range): its power of
    /// two and the top four bits of its significand, no logarithm.
    @inline(__always)
    static func bin(_ ratio: Double) -> Int? {
        guard ratio > 0, ratio.isFinite else { return nil }
        let octave = Int(ratio.exponent) + octaves / 2
        guard octave >= 0, octave < octaves else { return nil }
        let fraction = Int((ratio.bitPattern >> 48) & 0xF)
        return octave * binsPerOctave + fraction
    }

    /// The measured round as a ratio to the assumed one, when there is enough to tell:
    /// the smallest difference among those that come (nearly) as often as the most common.
    var measuredRatio: Double? {
        guard intervals >= ThresholdsMismatch.minimumIntervals, let most = bins.max(), most >= ThresholdsMismatch.minimumAtRound else { return nil }
        for (bin, count) in bins.enumerated() where count * 5 >= most * 4 { return sums[bin] / Double(count) }
        return nil
    }

    /// The thresholds that fit the measured round, for the command line.
    func fitting(_ ctx: DiagnosisContext) -> (timeout: String, window: String)? {
        guard let ratio = measuredRatio, ratio >= ThresholdsMismatch.factor || ratio <= 1 / ThresholdsMismatch.factor else { return nil }
        let t = ctx.analyzer.thresholds.registryTimeout * ratio
        return (shortNumber(t), shortNumber(t * 5 / 3))
    }

    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        guard let ratio = measuredRatio, let fit = fitting(ctx), let first else { return nil }
        let round = Double(ctx.timing.round) / 1e9
        let faster = ratio < 1
        let times = faster ? 1 / ratio : ratio
        var text: DiagnosisMessage = "The boards PING about every \(span: round * ratio) (\(intervals) intervals from \(boards) board\(prose: plural(boards))): their liveness round is about \(Int(times.rounded())) times \(prose: faster ? "shorter" : "longer") than the \(span: round) the thresholds in use assume (--registry-timeout \(prose: shortNumber(ctx.analyzer.thresholds.registryTimeout))). "
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
