import Histogram
import TCPReassembly
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// `LatencyHistogram` counts into `Histogram`'s buckets itself; what it reports must be what a `Histogram` fed the
/// same values reports.
@Suite struct LatencyHistogramTests {
    static func reference() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                          numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
        return histogram
    }

    /// `LatencyHistogram.buckets` as a `Histogram` gives them: its recorded values, the first and last pairs
    /// holding the exact smallest and largest values.
    static func buckets(of histogram: Histogram<UInt64>) -> [[UInt64]] {
        LatencyHistogram.pinningExtremes(histogram.recordedValues().map { [$0.value, UInt64($0.count)] },
                                         low: histogram.min, high: histogram.maxRecorded)
    }

    /// Log-uniform values from 1 ns to past an hour (clamped, as `record(nanos:)` does), with runs of equal values.
    static func values(count: Int, seed: UInt64) -> [UInt64] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var values: [UInt64] = []
        while values.count < count {
            let bits = next() % 44
            let value = min(max(1, next() % (UInt64(1) << bits + 1)), 3_600_000_000_000)
            for _ in 0..<Int(next() % 3 + 1) { values.append(value) }
        }
        return values
    }

    static func expectSame(_ fast: LatencyHistogram, _ reference: Histogram<UInt64>,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let built = fast.histogram
        #expect(fast.count == Int(reference.totalCount), sourceLocation: sourceLocation)
        #expect(built.totalCount == reference.totalCount, sourceLocation: sourceLocation)
        #expect(built.min == reference.min, sourceLocation: sourceLocation)
        #expect(built.max == reference.max, sourceLocation: sourceLocation)
        #expect(built.maxRecorded == reference.maxRecorded, sourceLocation: sourceLocation)
        #expect(built.mean == reference.mean, sourceLocation: sourceLocation)
        #expect(fast.mean == reference.mean, sourceLocation: sourceLocation)
        for percentile in [0.0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100] {
            #expect(built.valueAtPercentile(percentile) == reference.valueAtPercentile(percentile), "p\(percentile)",
                    sourceLocation: sourceLocation)
        }
        #expect(built.recordedValues().map { [$0.value, $0.count] } == reference.recordedValues().map { [$0.value, $0.count] },
                sourceLocation: sourceLocation)
        #expect(fast.buckets == Self.buckets(of: reference), sourceLocation: sourceLocation)
        // Read from the counts directly, as the summaries are.
        for percentile in [0.001, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999] {
            #expect(fast.valueAtPercentile(percentile) == reference.valueAtPercentile(percentile), "p\(percentile)",
                    sourceLocation: sourceLocation)
        }
        let summary = fast.summaryMicros
        func micros(_ v: UInt64) -> Double { (Double(v) / 100).rounded() / 10 }
        #expect(summary.count == Int(reference.totalCount), sourceLocation: sourceLocation)
        #expect([summary.p50, summary.p90, summary.p99, summary.p999, summary.max]
                    == [50, 90, 99, 99.9].map { micros(reference.valueAtPercentile($0)) } + [micros(reference.max)],
                sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 2, 3, 1000, 20_000])
    func reportsWhatAHistogramOfTheValuesReports(count: Int) {
        var fast = LatencyHistogram()
        var reference = Self.reference()
        for value in Self.values(count: count, seed: UInt64(count)) {
            fast.record(nanos: Int64(value))
            reference.record(value)
        }
        Self.expectSame(fast, reference)
    }

    /// Zeros (counts and ratios may be 0) next to others; a single value; equal extremes.
    @Test(arguments: [[0], [0, 0], [0, 5], [5, 0, 5], [7], [7, 7], [0, 300, 299], [255, 256, 257, 511, 512]])
    func edgeCases(values: [Int]) {
        var fast = LatencyHistogram()
        var reference = Self.reference()
        for value in values {
            fast.record(value: value)
            reference.record(UInt64(value))
        }
        Self.expectSame(fast, reference)
        #expect(LatencyHistogram().histogram.totalCount == 0)
        #expect(LatencyHistogram().summaryMicros.count == 0)
        #expect(LatencyHistogram().buckets.isEmpty)
        #expect(LatencyHistogram().mean == 0)
    }

    @Test func mergesAndRoundTripsLikeAHistogram() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        var reference = Self.reference()
        for value in Self.values(count: 5000, seed: 1) {
            a.record(nanos: Int64(value))
            reference.record(value)
        }
        for value in Self.values(count: 3000, seed: 2).map({ $0 / 1000 + 1 }) {
            b.record(nanos: Int64(value))
            reference.record(value)
        }
        var merged = a
        merged.add(b)
        Self.expectSame(merged, reference)
        // `buckets` -> `init(buckets:)` keeps the distribution (what `respcap merge` relies on).
        let again = LatencyHistogram(buckets: merged.buckets)
        #expect(again.buckets == merged.buckets)
        #expect(again.percentiles(scale: 1) == merged.percentiles(scale: 1))
    }

    /// The bucket index agrees with `Histogram`'s on every bucket's lowest value and its neighbours.
    @Test func bucketIndexMatchesHistogramLayout() {
        var fast = LatencyHistogram()
        var reference = Self.reference()
        for index in 0..<4608 {
            let low = HistogramBucketLayout.value(at: index)
            guard low <= 3_600_000_000_000 else { break }
            #expect(HistogramBucketLayout.index(of: low) == index, "index \(index)")
            for value in [low, low + 1, max(1, low) - 1] where value <= 3_600_000_000_000 {
                fast.record(value: Int(value))
                reference.record(value)
            }
        }
        Self.expectSame(fast, reference)
    }
}
