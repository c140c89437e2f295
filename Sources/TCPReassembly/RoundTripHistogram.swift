/// Round-trip samples of one host in nanoseconds, counted in `LatencyHistogram`'s buckets (`HistogramBucketLayout`),
/// so that the report's histogram built from `buckets` holds exactly these counts.
///
/// Stores only the span of buckets its values fall in (a host's round trips sit within a few powers of two: a few
/// KB), growing at either end when a value falls outside, within a budget of buckets the caller holds; recording is
/// an array increment otherwise.
public struct RoundTripHistogram: Sendable {
    /// Counts of buckets `base ..< base + counts.count`.
    private var counts: [UInt32] = []
    private var base = 0
    public private(set) var count = 0
    /// The exact extremes, kept so that the report's histogram pins them as `LatencyHistogram` does.
    public private(set) var lowest: UInt64 = .max
    public private(set) var highest: UInt64 = 0

    public init() {}

    /// Records `nanos`, unless that needs more new buckets than `budget` has left (then false, nothing recorded);
    /// the buckets it adds are taken from `budget`.
    @discardableResult
    public mutating func record(nanos: Int64, budget: inout Int) -> Bool {
        let value = min(UInt64(clamping: max(1, nanos)), HistogramBucketLayout.highestRecordable)
        let index = HistogramBucketLayout.index(of: value)
        if counts.isEmpty {
            guard budget >= 1 else { return false }
            budget -= 1
            base = index
            counts = [0]
        } else if index < base {
            guard budget >= base - index else { return false }
            budget -= base - index
            counts.insert(contentsOf: repeatElement(0, count: base - index), at: 0)
            base = index
        } else if index >= base + counts.count {
            let added = index - base - counts.count + 1
            guard budget >= added else { return false }
            budget -= added
            counts += repeatElement(0, count: added)
        }
        counts[index - base] &+= 1
        count += 1
        if value < lowest { lowest = value }
        if value > highest { highest = value }
        return true
    }

    /// Records `nanos` whatever the buckets it takes.
    public mutating func record(nanos: Int64) {
        var unlimited = Int.max
        record(nanos: nanos, budget: &unlimited)
    }

    /// [value in ns, count] per non-empty bucket, in order, the first and last at the exact extremes (the layout of
    /// `LatencyHistogram.buckets`, which `LatencyHistogram(buckets:)` reads back into the same buckets).
    public var buckets: [[UInt64]] {
        var pairs: [[UInt64]] = []
        for (offset, n) in counts.enumerated() where n > 0 {
            pairs.append([HistogramBucketLayout.value(at: base + offset), UInt64(n)])
        }
        guard let last = pairs.indices.last else { return pairs }
        if last == 0 && pairs[0][1] > 1 && lowest != highest {
            return [[lowest, 1], [highest, pairs[0][1] - 1]]
        }
        pairs[0][0] = lowest
        pairs[last][0] = highest
        return pairs
    }
}
