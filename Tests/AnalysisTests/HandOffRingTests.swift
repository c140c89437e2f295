import Foundation
@testable import Pipeline
import Testing

/// The ring between the stream thread and the analysis thread: everything submitted is taken once, in order; free
/// buffers are reused most recent first and made only when none is free; memory stays bounded.
@Suite struct HandOffRingTests {
    final class Box {
        var value = -1
        let serial: Int
        init(serial: Int) { self.serial = serial }
    }

    /// A consumer slower than the producer at times and faster at others (it sleeps now and then): every value
    /// arrives once, in order, and no more buffers are made than the ring holds.
    @Test func deliversInOrderAcrossThreads() {
        var made = 0
        let ring = HandOffRing<Box>(capacity: 4) { made += 1; return Box(serial: made) }
        let count = 5_000
        final class Received: @unchecked Sendable { var values: [Int] = [] }
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        let consumer = Thread {
            for index in 0..<count {
                let box = ring.take()
                received.values.append(box.value)
                if index % 97 == 0 { usleep(300) }
                ring.recycle(box)
            }
            done.signal()
        }
        consumer.start()
        for value in 0..<count {
            let box = ring.acquire()
            box.value = value
            ring.submit(box)
            if value % 211 == 0 { usleep(500) }
        }
        done.wait()
        #expect(received.values == Array(0..<count))
        #expect(ring.made == made && made <= 4 && made >= 2)
    }

    /// On one thread: the buffer recycled last is the next one acquired, and a new one is made only while none is
    /// free; `waiting` counts what was submitted and not taken.
    @Test func reusesTheMostRecentlyRecycledBuffer() {
        var made = 0
        let ring = HandOffRing<Box>(capacity: 8) { made += 1; return Box(serial: made) }
        let first = ring.acquire(), second = ring.acquire()
        #expect(made == 2 && first !== second)
        ring.submit(first)
        ring.submit(second)
        #expect(ring.waiting == 2)
        let takenFirst = ring.take()
        #expect(takenFirst === first && ring.waiting == 1)
        let takenSecond = ring.take()
        #expect(takenSecond === second && ring.waiting == 0)
        ring.recycle(takenFirst)
        ring.recycle(takenSecond)
        #expect(ring.acquire() === second)
        #expect(ring.acquire() === first)
        #expect(made == 2)
        _ = ring.acquire()
        #expect(made == 3)
    }
}
