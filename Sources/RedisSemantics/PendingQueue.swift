/// A FIFO ring buffer of commands awaiting replies. Grows by doubling up to `maxCount`; storage is reused, so a
/// connection in steady state allocates nothing per command.
struct PendingQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0
    let maxCount: Int

    init(maxCount: Int) { self.maxCount = max(1, maxCount) }

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    /// Reads or changes the oldest element in place (an element is a whole record: copying it costs).
    mutating func withFirst<R>(_ body: (inout Element) -> R) -> R? {
        guard count > 0 else { return nil }
        return body(&storage[head]!)
    }

    /// Appends; when full at `maxCount`, drops and returns the oldest element.
    mutating func append(_ element: Element) -> Element? {
        var dropped: Element?
        if count == maxCount {
            dropped = popFirst()
        }
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
        return dropped
    }

    /// Hands the oldest element to `body` where it lies, then removes it (no copy out of the queue).
    mutating func removeFirst(handing body: (inout Element) -> Void) {
        guard count > 0 else { return }
        body(&storage[head]!)
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
    }

    /// Appends the element `make` returns, written straight into its slot; when full at `maxCount`, drops and
    /// returns the oldest element.
    @inline(__always)
    mutating func append(making make: () -> Element) -> Element? {
        var dropped: Element?
        if count == maxCount {
            dropped = popFirst()
        }
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = make()
        count += 1
        return dropped
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head].take()
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    mutating func replaceFirst(_ element: Element) {
        guard count > 0 else { return }
        storage[head] = element
    }

    private mutating func grow() {
        // From one slot: an element is a whole CommandRecord (~850 bytes) and most connections have one in flight.
        let newCapacity = max(1, storage.count * 2)
        var newStorage = [Element?](repeating: nil, count: newCapacity)
        for i in 0..<count {
            newStorage[i] = storage[(head + i) & (storage.count - 1)]
        }
        storage = newStorage
        head = 0
    }
}
