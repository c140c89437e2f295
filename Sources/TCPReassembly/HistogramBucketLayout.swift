/// The buckets of respcap's latency and round-trip histograms: those `Histogram` (hdrhistogram-swift) uses for a
/// 1 ns unit and 2 significant digits (1% resolution), from 1 ns to an hour. 256 sub-buckets, half of them per
/// power of two past the first, so a value's bucket is its bit length past 8 and its sub-bucket the top 8 bits.
///
/// Here, below both users: `RoundTripHistogram` (this module) and `LatencyHistogram` (Analysis) must count into the
/// same buckets, since the report's histograms are built from either.
public enum HistogramBucketLayout {
    /// Values past an hour are clamped to it.
    public static let highestRecordable: UInt64 = 3_600_000_000_000

    /// The bucket index of `value`.
    @inlinable @inline(__always)
    public static func index(of value: UInt64) -> Int {
        let bucket = bucket(of: value)
        let subBucket = Int(truncatingIfNeeded: value >> UInt64(bucket))
        return ((bucket + 1) << 7) + subBucket - 128
    }

    /// The power-of-two bucket of `value`: its bit length past 8 (0 for the first 256 values, counted one by one).
    @inlinable @inline(__always)
    public static func bucket(of value: UInt64) -> Int {
        56 - (value | 255).leadingZeroBitCount
    }

    /// The lowest value of bucket `index` (inverse of `index(of:)` on bucket boundaries).
    @inlinable
    public static func value(at index: Int) -> UInt64 {
        var bucket = (index >> 7) - 1
        var subBucket = (index & 127) + 128
        if bucket < 0 {
            subBucket -= 128
            bucket = 0
        }
        return UInt64(subBucket) << UInt64(bucket)
    }
}
