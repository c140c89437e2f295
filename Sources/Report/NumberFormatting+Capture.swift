import Analysis
import Formatting

extension NumberFormatting {
    /// How long a capture lasted: from its first and last timestamps when `durationSeconds` is their span (rounded
    /// to the millisecond in the JSON report), else `durationSeconds` (a merged report's union of time ranges).
    static func captureDuration(_ capture: AnalysisReport.CaptureSummary) -> String {
        captureDuration(first: capture.firstTimestampNanos, last: capture.lastTimestampNanos, durationSeconds: capture.durationSeconds)
    }

    static func captureDuration(first: Int64?, last: Int64?, durationSeconds: Double) -> String {
        if let first, let last, last >= first {
            let exact = Double(last - first) / 1e9
            if abs(exact - durationSeconds) <= 0.0005 + 1e-9 { return seconds(exact) }
        }
        // Rounded to the millisecond: no more digits than that.
        return durationSeconds < 1 ? fixed(durationSeconds * 1000, 0) + " ms" : seconds(durationSeconds)
    }
}
