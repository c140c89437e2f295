import Histogram

/// A latency distribution in nanoseconds, 2 significant digits (1% resolution), from 1 ns to 1 hour, resized as
/// needed. About 30 KB each, so one per command (not per call) is cheap.
public struct LatencyHistogram: Sendable {
    public private(set) var histogram: Histogram<UInt64>

    public init() {
        histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                      numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
    }

    public mutating func record(nanos: Int64) {
        let value = UInt64(clamping: max(1, nanos))
        _ = histogram.record(min(value, 3_600_000_000_000))
    }

    /// Records a count or a ratio (zero allowed), not a duration.
    public mutating func record(value: Int) {
        _ = histogram.record(UInt64(clamping: min(max(0, value), 3_600_000_000_000)))
    }

    public mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    public var count: Int { Int(histogram.totalCount) }

    /// The recorded distribution as [value in ns, count] pairs (one per non-empty HDR bucket): enough to merge
    /// reports exactly (`respcap merge`) at the histogram's precision. The first and last pairs hold the exact
    /// smallest and largest values recorded (in their buckets), because percentiles are clamped to those.
    public var buckets: [[UInt64]] {
        var pairs: [[UInt64]] = []
        for value in histogram.recordedValues() {
            pairs.append([value.value, UInt64(value.count)])
        }
        guard let last = pairs.indices.last else { return pairs }
        let (low, high) = (histogram.min, histogram.maxRecorded)
        if last == 0 && pairs[0][1] > 1 && low != high {
            pairs = [[low, 1], [high, pairs[0][1] - 1]]
        } else {
            pairs[0][0] = low
            pairs[last][0] = high
        }
        return pairs
    }

    public init(buckets: [[UInt64]]) {
        self.init()
        for pair in buckets where pair.count == 2 && pair[1] > 0 {
            _ = histogram.record(min(pair[0], 3_600_000_000_000), count: pair[1])
        }
    }

    /// Percentiles of the recorded values multiplied by `scale` (e.g. 1e-9 for nanoseconds as seconds), to
    /// six decimals.
    public func percentiles(scale: Double) -> Percentiles {
        guard histogram.totalCount > 0 else { return Percentiles() }
        func v(_ x: Double) -> Double { (x * scale * 1_000_000).rounded() / 1_000_000 }
        return Percentiles(count: Int(histogram.totalCount), p50: v(Double(histogram.valueAtPercentile(50))),
                           p90: v(Double(histogram.valueAtPercentile(90))), p99: v(Double(histogram.valueAtPercentile(99))),
                           max: v(Double(histogram.max)), mean: v(histogram.mean))
    }

    /// Percentiles and max in microseconds.
    public var summaryMicros: AnalysisReport.Latency {
        guard histogram.totalCount > 0 else { return AnalysisReport.Latency() }
        func micros(_ v: UInt64) -> Double { (Double(v) / 100).rounded() / 10 }
        return AnalysisReport.Latency(
            count: Int(histogram.totalCount),
            p50: micros(histogram.valueAtPercentile(50)),
            p90: micros(histogram.valueAtPercentile(90)),
            p99: micros(histogram.valueAtPercentile(99)),
            p999: micros(histogram.valueAtPercentile(99.9)),
            max: micros(histogram.max),
            mean: (histogram.mean / 100).rounded() / 10)
    }
}
