/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator whose whole state is
/// one word, so a seed fixes every byte of a capture.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (Lemire's multiply-high; the bias is below 2^-40 here).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range`.
    @inline(__always)
    mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < p
    }

    /// One element of a non-empty array.
    @inline(__always)
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// A child generator with its own stream, so that one part of the traffic does
    /// not shift the others when its draws change.
    mutating func fork() -> SplitMix64 { SplitMix64(seed: next()) }
}

extension SplitMix64 {
    /// A port from Linux's ephemeral range, never the discovery port: background
    /// traffic that happened to use it would count as (malformed) discovery traffic.
    mutating func ephemeralPort() -> UInt16 {
        while true {
            let port = UInt16(inRange(32768...60999))
            if port != 37020 { return port }
        }
    }
}
