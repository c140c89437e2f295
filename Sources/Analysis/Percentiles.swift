/// A distribution summarised for reports: count, percentiles, max and mean, in the unit the field name says.
public struct Percentiles: Codable, Sendable, Equatable {
    public var count = 0
    public var p50: Double = 0
    public var p90: Double = 0
    public var p99: Double = 0
    public var max: Double = 0
    public var mean: Double = 0
    /// The smallest value, exactly (nil in older reports). `min` and `max` are the values recorded; from a histogram,
    /// p50/p90/p99 and the mean are its bucket values (within 1%).
    public var min: Double?

    public init(count: Int = 0, p50: Double = 0, p90: Double = 0, p99: Double = 0, max: Double = 0, mean: Double = 0,
                min: Double? = nil) {
        self.min = min
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
        self.mean = mean
    }

    /// Exact percentiles of a small sample (nearest rank). Sorts a copy.
    public init(values: [Double]) {
        guard !values.isEmpty else { self.init(); return }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double {
            let index = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        self.init(count: sorted.count, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.count - 1],
                  mean: sorted.reduce(0, +) / Double(sorted.count), min: sorted[0])
    }
}
