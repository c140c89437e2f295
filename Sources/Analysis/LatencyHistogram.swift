import Histogram
import TCPReassembly

/// A latency distribution in nanoseconds, 2 significant digits (1% resolution), from 1 ns to 1 hour. About 30 KB
/// each (36 KB with values past a minute), so one per command (not per call) is cheap.
///
/// Recording counts into the same buckets `Histogram` would use (1 ns unit, 2 significant digits: 256 sub-buckets
/// per power of two), without `Histogram`'s general bookkeeping: this runs about three times per command. The
/// summaries read percentiles, mean and extremes from these counts as `Histogram` would; `histogram` builds the
/// `Histogram` these counts and the exact extremes make, which is the one the values themselves would have made
/// (`LatencyHistogramTests` holds all of them to the results of a `Histogram` fed the values).
public struct LatencyHistogram: Sendable {
    /// Count per bucket index, in `Histogram`'s layout for these settings; as long as the highest index recorded.
    private var counts: [UInt64] = []
    private var total: UInt64 = 0
    /// The largest value and the smallest non-zero value recorded, exactly (`Histogram` keeps both).
    private var highest: UInt64 = 0
    private var lowestNonZero: UInt64 = .max

    public init() {}

    /// The buckets, shared with `RoundTripHistogram`.
    typealias Layout = HistogramBucketLayout

    /// Bucket `index`'s lowest value and its width (the values it stands for).
    @inline(__always)
    static func range(at index: Int) -> (lowest: UInt64, size: UInt64) {
        let lowest = Layout.value(at: index)
        return (lowest, UInt64(1) << UInt64(Layout.bucket(of: lowest)))
    }

    /// Inlined: about three per command, and the call cost about as much as the count.
    @inline(__always)
    public mutating func record(nanos: Int64) {
        add(min(UInt64(clamping: max(1, nanos)), Layout.highestRecordable), count: 1)
    }

    /// Records a count or a ratio (zero allowed), not a duration.
    public mutating func record(value: Int) {
        add(min(UInt64(clamping: max(0, value)), Layout.highestRecordable), count: 1)
    }

    @inline(__always)
    private mutating func add(_ value: UInt64, count: UInt64) {
        let index = Layout.index(of: value)
        if index >= counts.count { grow(toInclude: index) }
        counts.withUnsafeMutableBufferPointer { $0[index] &+= count }
        total &+= count
        if value > highest { highest = value }
        if value < lowestNonZero && value != 0 { lowestNonZero = value }
    }

    /// Sized at first use for up to a minute, as `Histogram` was: no allocation per command afterwards unless a
    /// value past that comes. Out of line: rare.
    @inline(never)
    private mutating func grow(toInclude index: Int) {
        let length = max(index + 1, counts.isEmpty ? Layout.index(of: 60_000_000_000) + 1 : 0)
        counts += repeatElement(0, count: length - counts.count)
    }

    public mutating func add(_ other: LatencyHistogram) {
        if other.counts.count > counts.count { grow(toInclude: other.counts.count - 1) }
        for index in other.counts.indices { counts[index] &+= other.counts[index] }
        total &+= other.total
        highest = max(highest, other.highest)
        lowestNonZero = min(lowestNonZero, other.lowestNonZero)
    }

    public var count: Int { Int(total) }

    /// The distribution as a `Histogram`: each bucket's count recorded under one of its values, the exact largest
    /// and smallest non-zero values for theirs (so `max`, `min` and `maxRecorded` are what recording every value
    /// would give; any other bucket lies strictly between them, or holds 0).
    public var histogram: Histogram<UInt64> {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                          numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
        guard total > 0 else { return histogram }
        let highestIndex = Layout.index(of: highest)
        let lowestIndex = lowestNonZero == .max ? -1 : Layout.index(of: lowestNonZero)
        for index in counts.indices where counts[index] > 0 {
            let value = index == highestIndex ? highest : index == lowestIndex ? lowestNonZero : Layout.value(at: index)
            _ = histogram.record(value, count: counts[index])
        }
        return histogram
    }

    /// `Histogram.mean` of `histogram`, computed from the counts: the same sum in the same order (each bucket's
    /// middle value times its count, buckets in order), without `Histogram`'s general iteration over every bucket,
    /// which costs milliseconds per histogram at the end of a run.
    public var mean: Double {
        guard total > 0 else { return 0 }
        var sum: Double = 0
        for index in counts.indices where counts[index] > 0 {
            let (lowest, size) = Self.range(at: index)
            sum += Double(lowest + size >> 1) * Double(counts[index])
        }
        return sum / Double(total)
    }

    /// The recorded distribution as [value in ns, count] pairs (one per non-empty HDR bucket): enough to merge
    /// reports exactly (`respcap merge`) at the histogram's precision. The first and last pairs hold the exact
    /// smallest and largest values recorded (in their buckets), because percentiles are clamped to those.
    /// (Each bucket under its highest value, as `Histogram.recordedValues()` gives them, read from the counts.)
    public var buckets: [[UInt64]] {
        var pairs: [[UInt64]] = []
        for index in counts.indices where counts[index] > 0 {
            let (lowest, size) = Self.range(at: index)
            pairs.append([lowest + size - 1, counts[index]])
        }
        guard !pairs.isEmpty else { return pairs }
        // `Histogram.min` and `maxRecorded`.
        return Self.pinningExtremes(pairs, low: counts[0] > 0 ? 0 : lowestNonZero, high: highest)
    }

    /// `pairs` (value, count; in order) with the first value replaced by `low` and the last by `high`, the smallest
    /// and largest values recorded; a single pair of several values is split in two so that both show.
    static func pinningExtremes(_ pairs: [[UInt64]], low: UInt64, high: UInt64) -> [[UInt64]] {
        guard let last = pairs.indices.last else { return pairs }
        if last == 0 && pairs[0][1] > 1 && low != high {
            return [[low, 1], [high, pairs[0][1] - 1]]
        }
        var pairs = pairs
        pairs[0][0] = low
        pairs[last][0] = high
        return pairs
    }

    public init(buckets: [[UInt64]]) {
        self.init()
        for pair in buckets where pair.count == 2 && pair[1] > 0 {
            add(min(pair[0], Layout.highestRecordable), count: pair[1])
        }
    }

    /// `Histogram.valueAtPercentile` of `histogram`, read from the counts (the same buckets in the same order, the
    /// same rounding): building the `Histogram` and walking its whole table four times per latency summary cost
    /// milliseconds at the end of a run. For 0 < `percentile` < 100.
    func valueAtPercentile(_ percentile: Double) -> UInt64 {
        let requested = Swift.min(Swift.max(percentile.nextDown, 0), 100)
        let countAtPercentile = Swift.max(1, UInt64((requested * Double(total) / 100).rounded(.up)))
        var running: UInt64 = 0
        var index = 0
        while index < counts.count {
            running &+= counts[index]
            if running >= countAtPercentile {
                let (lowest, size) = Self.range(at: index)
                return Swift.max(Swift.min(lowest + size - 1, highest), smallest)
            }
            index += 1
        }
        return 0
    }

    /// `Histogram.min`: 0 when a zero was recorded, else the smallest value.
    private var smallest: UInt64 { counts.first.map { $0 > 0 ? 0 : lowestNonZero } ?? lowestNonZero }

    /// `Histogram.max`: the highest value of the largest value's bucket.
    private var highestInBucket: UInt64 {
        let (lowest, size) = Self.range(at: Layout.index(of: highest))
        return highest == 0 ? 0 : lowest + size - 1
    }

    /// Percentiles of the recorded values multiplied by `scale` (e.g. 1e-9 for nanoseconds as seconds), to
    /// six decimals. `min` and `max` are the exact extremes recorded; p50/p90/p99 are bucket values, kept within them.
    public func percentiles(scale: Double) -> Percentiles {
        guard total > 0 else { return Percentiles() }
        let low = smallest
        func v(_ x: UInt64) -> Double {
            (Double(Swift.min(Swift.max(x, low), highest)) * scale * 1_000_000).rounded() / 1_000_000
        }
        return Percentiles(count: Int(total), p50: v(valueAtPercentile(50)),
                           p90: v(valueAtPercentile(90)), p99: v(valueAtPercentile(99)),
                           max: v(highest), mean: (mean * scale * 1_000_000).rounded() / 1_000_000, min: v(low))
    }

    /// Percentiles and max in microseconds.
    public var summaryMicros: AnalysisReport.Latency {
        guard total > 0 else { return AnalysisReport.Latency() }
        func micros(_ v: UInt64) -> Double { (Double(v) / 100).rounded() / 10 }
        return AnalysisReport.Latency(
            count: Int(total),
            p50: micros(valueAtPercentile(50)),
            p90: micros(valueAtPercentile(90)),
            p99: micros(valueAtPercentile(99)),
            p999: micros(valueAtPercentile(99.9)),
            max: micros(highestInBucket),
            mean: (mean / 100).rounded() / 10)
    }
}
