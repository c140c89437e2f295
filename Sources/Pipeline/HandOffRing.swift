import Analysis
import Findings
import Dispatch

/// A fixed ring of reusable buffers passed from one producer thread to one consumer thread, in order, through two
/// semaphores: the producer acquires a free buffer, fills it and submits it; the consumer takes the oldest
/// submitted one, reads it and recycles it. The semaphores order every write to a buffer before its reads on the
/// other side. Memory is bounded by the ring, and nothing is allocated per hand-over.
final class HandOffRing<Buffer: AnyObject>: @unchecked Sendable {
    private let buffers: [Buffer]
    /// Made at 0 and raised once per buffer: libdispatch traps when a semaphore is destroyed below its initial
    /// value, and a producer may still hold a buffer when all is done.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private var acquired = 0
    private var taken = 0

    init(_ buffers: [Buffer]) {
        precondition(buffers.count >= 2, "a ring of one buffer would make the threads take turns")
        self.buffers = buffers
        for _ in buffers { free.signal() }
    }

    /// A free buffer to fill (waits while the consumer holds all the others). Producer thread only.
    func acquire() -> Buffer { next(after: free, counting: &acquired) }

    /// The oldest acquired buffer not yet submitted is filled. Producer thread only.
    func submit() {
        filled.signal()
    }

    /// The oldest submitted buffer (waits for one). Consumer thread only; `recycle()` it before taking the next.
    func take() -> Buffer { next(after: filled, counting: &taken) }

    /// Both sides go round the ring in the same order, each one buffer per signal of the other's semaphore.
    private func next(after semaphore: DispatchSemaphore, counting count: inout Int) -> Buffer {
        semaphore.wait()
        let buffer = buffers[count % buffers.count]
        count += 1
        return buffer
    }

    /// The buffer last taken may be filled again. Consumer thread only.
    func recycle() {
        free.signal()
    }
}
