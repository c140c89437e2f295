import Analysis
import Findings
import Dispatch

/// Runs an `AnalysisStage` on a thread of its own, fed batches by the stream stage's thread through a
/// `HandOffRing`: the producer acquires a batch, fills it and submits it; the worker handles batches in the order
/// submitted, clears them and recycles them.
final class AnalysisWorker: @unchecked Sendable {
    private let stage: AnalysisStage
    private let ring: HandOffRing<StageBatch>
    private let finished = DispatchSemaphore(value: 0)

    /// 64 batches of ~512 session events: slack for the bursts of a capture (a phase of long replies loads one
    /// thread, one of distinct keys the other) and for a shared machine taking a core away for a while. With
    /// records packed (~350 bytes), 64 cost ~15 MB of RSS; on the 250 MB mix (medians of 9, taking turns, on a busy
    /// host) 16 batches 0.63–0.72 s, 32 0.66 s, 64 0.61 s. (With ~850-byte records, more than 16 had been slower.)
    init(stage: AnalysisStage, batchCount: Int = 64) {
        self.stage = stage
        ring = HandOffRing((0..<max(2, batchCount)).map { _ in StageBatch() })
    }

    /// Starts the thread; false when none could be made.
    func start() -> Bool {
        guard case .success(let thread) = OSThread.start({ [self] in run() }) else { return false }
        thread.detach()
        return true
    }

    /// A cleared batch to write into (waits while the worker holds all the others). Producer thread only.
    func acquire() -> StageBatch { ring.acquire() }

    /// Hands over the oldest acquired batch not yet submitted. Producer thread only.
    func submit() { ring.submit() }

    /// Waits until the worker has handled the batch marked `isLast`.
    func waitUntilFinished() {
        finished.wait()
    }

    private func run() {
        while true {
            let batch = ring.take()
            stage.consume(batch)
            let last = batch.isLast
            batch.clear()
            ring.recycle()
            if last {
                finished.signal()
                return
            }
        }
    }
}
