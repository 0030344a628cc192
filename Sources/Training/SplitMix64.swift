/// A small, fast pseudo-random generator (SplitMix64) whose output depends on
/// nothing but its 64-bit state.
///
/// Everything seeded in training (weight initialisation, the per-epoch
/// shuffle) draws from this generator through integer arithmetic and IEEE
/// operations that are correctly rounded (`sqrt`, `*`, `+`), so the same seed
/// gives bitwise the same weights and the same order on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The whole state; saving and restoring it resumes the exact stream.
    public var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed integer in `0..<bound` (rejection sampling, no
    /// modulo bias). `bound` must be positive.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        // The largest multiple of `bound` that fits: values at or above it are rejected.
        let limit = UInt64.max - (UInt64.max % bound)
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }

    /// A uniformly distributed `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A generator for an independent stream derived from `seed` and a
    /// purpose-specific `stream` number (for example the epoch).
    public static func derived(seed: UInt64, stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}
