import Analysis
import Findings
import Pipeline
import Capture
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr for long runs on a terminal: bytes read of total, packets/s, ETA.
/// Silent when stderr is not a terminal or with --quiet.
final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    private var started = MonotonicClock.seconds()
    private var lastDraw = 0.0
    private var drawn = false

    init(enabled: Bool) {
        self.enabled = enabled && isatty(2) != 0
    }

    func update(_ progress: CaptureAnalyzer.Progress) {
        guard enabled else { return }
        let t = MonotonicClock.seconds()
        guard t - lastDraw >= 0.25, t - started >= 0.5 else { return }
        lastDraw = t
        let elapsed = t - started
        let rate = Double(progress.packets) / max(elapsed, 0.001)
        var line = "\r\u{1B}[K"
        if progress.fileCount > 1 { line += "[\(progress.fileIndex + 1)/\(progress.fileCount)] " }
        if let size = progress.fileSize, size > 0 {
            let fraction = Double(progress.bytesConsumed) / Double(size)
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: max(0, width - filled)) + "] "
            line += "\(Int(fraction * 100))% of \(size / 1_000_000) MB"
            let bytesRate = Double(progress.bytesConsumed) / max(elapsed, 0.001)
            if bytesRate > 0 {
                line += ", ETA \(Int(Double(size - progress.bytesConsumed) / bytesRate)) s"
            }
        } else {
            line += "\(progress.bytesConsumed / 1_000_000) MB read"
        }
        line += ", \(progress.packets) packets (\(Int(rate / 1000))k/s)"
        Diagnostics.write(line)
        drawn = true
    }

    func clear() {
        guard drawn else { return }
        Diagnostics.write("\r\u{1B}[K")
        drawn = false
    }
}
