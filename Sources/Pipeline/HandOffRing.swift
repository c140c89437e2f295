#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Reusable buffers passed from one producer thread to one consumer thread, in order: the producer acquires a free
/// buffer, fills it and submits it; the consumer takes the oldest submitted one, reads it and recycles it. The
/// semaphores (and the free list's lock) order every write to a buffer before its reads on the other side. Memory is
/// bounded by `capacity` buffers, and nothing is allocated per hand-over.
///
/// Free buffers are reused last in, first out, and made only when none is free: while the consumer keeps up, the
/// same two or three buffers go round, still in cache and their pages already mapped, instead of every buffer of the
/// ring in turn (64 batches of ~250 KB were written cold and each page first touched on its first lap). A consumer
/// that finds nothing submitted looks again for a short while before it sleeps, so a producer that submits at a
/// steady pace seldom has to wake it with a system call.
final class HandOffRing<Buffer: AnyObject>: @unchecked Sendable {
    let capacity: Int
    private let make: () -> Buffer
    /// Free buffers, the most recently recycled last; both threads use it, under `freeListLock`.
    private var freeList: [Buffer] = []
    private let freeListLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Buffers made so far (producer thread only).
    private(set) var made = 0
    /// Submitted buffers in order, `capacity` slots used round: at most `capacity` buffers exist.
    private let submitted: UnsafeMutablePointer<Buffer?>
    private var submittedCount = 0
    private var takenCount = 0
    /// `takenCount` as the producer may read it.
    private let takenSoFar = Atomic<Int>(0)
    /// Made at 0 and raised once per buffer: libdispatch traps when a semaphore is destroyed below its initial
    /// value, and a producer may still hold a buffer when all is done.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    /// How long the consumer looks for a submitted buffer before it sleeps: a few batches' worth of the producer's
    /// time, short enough not to matter on a busy machine.
    static var spinNanos: Int64 { 200_000 }

    init(capacity: Int, make: @escaping () -> Buffer) {
        precondition(capacity >= 2, "a ring of one buffer would make the threads take turns")
        self.capacity = capacity
        self.make = make
        freeList.reserveCapacity(capacity)
        freeListLock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(freeListLock, nil)
        submitted = .allocate(capacity: capacity)
        submitted.initialize(repeating: nil, count: capacity)
        for _ in 0..<capacity { free.signal() }
    }

    deinit {
        pthread_mutex_destroy(freeListLock)
        freeListLock.deallocate()
        submitted.deinitialize(count: capacity)
        submitted.deallocate()
    }

    /// A free buffer to fill: the one recycled last, or a new one while fewer than `capacity` exist (waits while the
    /// consumer holds all the others). Producer thread only.
    func acquire() -> Buffer {
        free.wait()
        pthread_mutex_lock(freeListLock)
        let recycled = freeList.popLast()
        pthread_mutex_unlock(freeListLock)
        if let recycled { return recycled }
        made += 1
        return make()
    }

    /// `buffer`, acquired and filled, goes to the consumer. Producer thread only.
    func submit(_ buffer: Buffer) {
        submitted[submittedCount % capacity] = buffer
        submittedCount += 1
        filled.signal()
    }

    /// The oldest submitted buffer (waits for one). Consumer thread only; `recycle(_:)` it when done.
    func take() -> Buffer {
        if filled.wait(timeout: .now()) != .success {
            let deadline = Self.now() + Self.spinNanos
            while filled.wait(timeout: .now()) != .success {
                if Self.now() > deadline {
                    filled.wait()
                    break
                }
                sched_yield()
            }
        }
        let slot = takenCount % capacity
        takenCount += 1
        takenSoFar.store(takenCount, ordering: .relaxed)
        let buffer = submitted[slot]!
        submitted[slot] = nil
        return buffer
    }

    /// Buffers submitted and not yet taken: how far the consumer is behind. Producer thread only; the consumer may
    /// have taken more by the time it is used.
    var waiting: Int { submittedCount - takenSoFar.load(ordering: .relaxed) }

    /// `buffer`, taken and read, may be filled again. Consumer thread only.
    func recycle(_ buffer: Buffer) {
        pthread_mutex_lock(freeListLock)
        freeList.append(buffer)
        pthread_mutex_unlock(freeListLock)
        free.signal()
    }

    private static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
