// The tests' one source of seeded randomness: every random input can be made again.

/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, good enough
/// statistics, and the same stream on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<n (0 when n is 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
    /// True `percent` times in a hundred.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    public mutating func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var i = 0
            while i < count {
                var word = next()
                for _ in 0..<min(8, count - i) { buffer[i] = UInt8(truncatingIfNeeded: word); word >>= 8; i += 1 }
            }
            initialized = count
        }
    }
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    /// A length that is usually small and sometimes not.
    public mutating func length(upTo limit: Int) -> Int {
        switch below(8) {
        case 0: return below(limit + 1)
        case 1, 2: return below(min(limit, 64) + 1)
        default: return below(min(limit, 16) + 1)
        }
    }
}
