import WireBytes

/// The firmware's schedule, as every rule measures time: the only place where the
/// ratios between the thresholds live.
///
/// The firmware's defaults are a registry timeout T of 3 s (how long a due FULL may
/// take), a liveness round of 15 s (5 T: each board PINGs one peer per round), a
/// listen period of 1.5 s (T/2: a board reads its socket that often) and a boot
/// delay of 10 s (a board HELLOs that long after power-on). A `speed 10` capture,
/// read with T = 0.3 s, keeps the ratios, so the rules hold at any speed.
public struct FirmwareTiming: Sendable {
    /// T, `--registry-timeout`, in nanoseconds.
    public let registryTimeout: Int64
    /// `--conflict-window`: FULLs from two senders closer than this conflict.
    public let conflictWindow: Int64
    /// The liveness round: 5 T.
    public let round: Int64
    /// The listen period: T/2.
    public let listen: Int64
    /// From power-on to the boot HELLO: 10/3 T.
    public let bootDelay: Int64

    public init(_ thresholds: ElectionAnalyzer.Thresholds) {
        registryTimeout = Int64((thresholds.registryTimeout * 1e9).rounded())
        conflictWindow = Int64((thresholds.conflictWindow * 1e9).rounded())
        round = 5 * registryTimeout
        listen = registryTimeout / 2
        bootDelay = registryTimeout * 10 / 3
    }

    /// `later` is at most `span` after `earlier`.
    @inline(__always)
    static func within(_ span: Int64, _ later: Timestamp, after earlier: Timestamp) -> Bool {
        later.totalNanoseconds - earlier.totalNanoseconds <= span
    }
}
