import Dispatch

/// Runs an `AnalysisStage` on a thread of its own, fed batches by the stream stage's thread.
///
/// A fixed ring of `StageBatch`es passes between the two through two semaphores (a single-producer,
/// single-consumer bounded queue, as in `CaptureReadAhead`): the producer takes a free batch, fills it and
/// submits it; the worker handles batches in the order submitted, clears them and frees them. The semaphores
/// order every write to a batch before its reads on the other side. Batches are reused: no allocation in steady
/// state, and memory bounded by the ring.
final class AnalysisWorker: @unchecked Sendable {
    private let stage: AnalysisStage
    private let ring: [StageBatch]
    /// Made at 0 and raised once per batch: libdispatch traps when a semaphore is destroyed below its initial
    /// value, and the producer still holds the batch it was writing when all is done.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var acquired = 0
    private var consumed = 0

    /// 16 batches of ~512 session events: enough slack that neither thread waits for the other through the bursts
    /// of a capture (on the 250 MB mix: 4 batches 0.87 s, 8 0.77 s, 16 0.73 s, 32 0.78 s; ~7 MB at most).
    init(stage: AnalysisStage, batchCount: Int = 16) {
        self.stage = stage
        ring = (0..<max(2, batchCount)).map { _ in StageBatch() }
        for _ in ring { free.signal() }
    }

    /// Starts the thread; false when none could be made.
    func start() -> Bool {
        ReaderThread.detach { [self] in run() }
    }

    /// A cleared batch to write into (waits while the worker holds all the others). Producer thread only.
    func acquire() -> StageBatch {
        free.wait()
        let batch = ring[acquired % ring.count]
        acquired += 1
        return batch
    }

    /// Hands `batch` (the oldest acquired and not yet submitted) to the worker. Producer thread only.
    func submit(_ batch: StageBatch) {
        filled.signal()
    }

    /// Waits until the worker has handled the batch marked `isLast`.
    func waitUntilFinished() {
        finished.wait()
    }

    private func run() {
        while true {
            filled.wait()
            let batch = ring[consumed % ring.count]
            consumed += 1
            stage.consume(batch)
            let last = batch.isLast
            batch.clear()
            free.signal()
            if last {
                finished.signal()
                return
            }
        }
    }
}
