#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded single-producer, single-consumer queue of copied packets between a capture thread and an analysis
/// thread.
///
/// The producer never waits: a packet that does not fit (packet or byte bound reached) is counted in `dropped`
/// and discarded, so a slow consumer costs analysed packets, never captured ones. Storage is one byte ring and
/// one slot ring allocated up front; `push` copies the packet once, `consume` lends the consumer batches of
/// packets straight from the ring (valid during the call only) and releases them afterwards. No allocation per
/// packet.
public final class PacketQueue: @unchecked Sendable {
    public let maxPackets: Int
    public let maxBytes: Int

    private struct Slot {
        var offset: Int
        var length: Int
        /// Bytes this packet holds in the ring, including the unused tail skipped to keep it contiguous.
        var reserved: Int
        var timestampNanos: Int64
        var linkType: LinkType
        var originalLength: Int
    }

    private let bytes: UnsafeMutableRawPointer
    private let slots: UnsafeMutablePointer<Slot>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    // Guarded by `mutex`.
    private var head = 0          // next slot to fill
    private var count = 0         // slots filled
    private var writeOffset = 0   // next byte to fill
    private var usedBytes = 0     // bytes reserved, including skipped tails
    private var closed = false
    private var consumerWaiting = false
    private var droppedCount = 0
    private var pushedCount = 0

    /// - Parameters:
    ///   - maxBytes: packet bytes held at most (one ring of this size is allocated now).
    ///   - maxPackets: packets held at most.
    public init(maxBytes: Int, maxPackets: Int) {
        self.maxBytes = max(maxBytes, 65_536)
        self.maxPackets = max(maxPackets, 16)
        bytes = UnsafeMutableRawPointer.allocate(byteCount: self.maxBytes, alignment: 16)
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: self.maxPackets)
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
        slots.deallocate()
        bytes.deallocate()
    }

    /// Packets discarded because the queue was full.
    public var dropped: Int { locked { droppedCount } }
    /// Packets accepted.
    public var pushed: Int { locked { pushedCount } }
    /// Most packets held at once.

    /// Copies `packet` in; false (and counted in `dropped`) when it does not fit. Producer thread only.
    @discardableResult
    public func push(_ packet: CapturedPacket) -> Bool {
        let length = packet.bytes.count
        pthread_mutex_lock(mutex)
        guard !closed, count < maxPackets, let (offset, reserved) = reserve(length) else {
            droppedCount += 1
            pthread_mutex_unlock(mutex)
            return false
        }
        // The reserved region belongs to the producer until `count` is published below; the consumer never
        // reads past published slots, so the copy can run unlocked.
        pthread_mutex_unlock(mutex)
        if length > 0, let source = packet.bytes.baseAddress {
            (bytes + offset).copyMemory(from: source, byteCount: length)
        }
        pthread_mutex_lock(mutex)
        slots[head] = Slot(offset: offset, length: length, reserved: reserved, timestampNanos: packet.timestampNanos,
                           linkType: packet.linkType, originalLength: packet.originalLength)
        head = head + 1 == maxPackets ? 0 : head + 1
        count += 1
        pushedCount += 1
        let wake = consumerWaiting
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return true
    }

    /// Finds room for `length` contiguous bytes and reserves it; called with the mutex held.
    private func reserve(_ length: Int) -> (offset: Int, reserved: Int)? {
        if usedBytes == 0 { writeOffset = 0 }
        guard length <= maxBytes - usedBytes else { return nil }
        let readOffset = (writeOffset - usedBytes + maxBytes) % maxBytes
        let wrapped = usedBytes > 0 && writeOffset <= readOffset
        if wrapped {
            // Free space is [writeOffset, readOffset).
            guard length <= readOffset - writeOffset else { return nil }
            writeOffset += length
            usedBytes += length
            return (writeOffset - length, length)
        }
        if length <= maxBytes - writeOffset {
            let offset = writeOffset
            writeOffset += length
            if writeOffset == maxBytes { writeOffset = 0 }
            usedBytes += length
            return (offset, length)
        }
        // Skip the tail and start again at the front.
        guard length <= readOffset else { return nil }
        let skipped = maxBytes - writeOffset
        writeOffset = length
        usedBytes += skipped + length
        return (0, skipped + length)
    }

    /// No more packets will be pushed; the consumer drains what is held, then `consume` returns false.
    public func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
    }

    /// Waits up to `timeoutNanos` for packets, then hands each held packet to `body` in order (its bytes are
    /// BORROWED for the call) and frees their space. Returns false once the queue is closed and empty.
    /// Consumer thread only.
    public func consume(timeoutNanos: Int64, _ body: (CapturedPacket) -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        if count == 0 && !closed {
            consumerWaiting = true
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let total = Int64(deadline.tv_nsec) + timeoutNanos
            deadline.tv_sec += Int(total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            while count == 0 && !closed {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
            consumerWaiting = false
        }
        let available = count
        let first = (head - count + maxPackets) % maxPackets
        let finished = closed && count == 0
        pthread_mutex_unlock(mutex)
        if finished { return false }
        guard available > 0 else { return true }

        var index = first
        var released = 0
        for _ in 0..<available {
            let slot = slots[index]
            let packet = CapturedPacket(timestampNanos: slot.timestampNanos, linkType: slot.linkType,
                                        originalLength: slot.originalLength,
                                        bytes: UnsafeRawBufferPointer(start: bytes + slot.offset, count: slot.length))
            body(packet)
            released += slot.reserved
            index = index + 1 == maxPackets ? 0 : index + 1
        }
        pthread_mutex_lock(mutex)
        count -= available
        usedBytes -= released
        pthread_mutex_unlock(mutex)
        return true
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
