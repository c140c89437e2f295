import Formatting
@testable import Analysis
@testable import Findings
@testable import Pipeline
@testable import Report
import Testing

/// Durations in report headers: the digits the value has, no more ("1.0 ms" for 1.406 ms was wrong).
@Suite struct NumberFormattingTests {
    @Test func durationsShowTheDigitsTheyHave() {
        #expect(NumberFormatting.seconds(0.001406) == "1.41 ms")
        #expect(NumberFormatting.seconds(0.000406) == "406 µs")
        #expect(NumberFormatting.seconds(0.0362) == "36.2 ms")
        #expect(NumberFormatting.seconds(2.06) == "2.06 s")
        var capture = AnalysisReport.CaptureSummary()
        capture.firstTimestampNanos = 1_000_000_000
        capture.lastTimestampNanos = 1_001_406_000
        capture.durationSeconds = 0.001
        #expect(NumberFormatting.captureDuration(capture) == "1.41 ms")
        // A merged report's duration (a union of ranges) is not its first-to-last span: shown as recorded.
        capture.lastTimestampNanos = 1_009_000_000
        #expect(NumberFormatting.captureDuration(capture) == "1 ms")
    }
}
