/// A FIFO ring buffer of commands awaiting replies. Grows by doubling up to `maxCount`; storage is reused, so a
/// connection in steady state allocates nothing per command.
///
/// Every slot always holds an element (a stale one outside the live range): an element is a whole record (~850
/// bytes), and slots that are written and read in place, never wrapped in an Optional, are not copied on the way
/// in or out.
struct PendingQueue<Element> {
    private var storage: [Element] = []
    private var head = 0
    private(set) var count = 0
    let maxCount: Int

    init(maxCount: Int) { self.maxCount = max(1, maxCount) }

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    /// Reads or changes the oldest element in place.
    mutating func withFirst<R>(_ body: (inout Element) -> R) -> R? {
        guard count > 0 else { return nil }
        return body(&storage[head])
    }

    /// Appends an element written in place by `fill` into the next slot (which holds a stale element; `make` makes
    /// the elements of new slots when the queue grows). The caller makes room first when `count == maxCount`.
    @inline(__always)
    mutating func append(fill: (inout Element) -> Void, make: () -> Element) {
        precondition(count < maxCount, "PendingQueue full")
        if count == storage.count { grow(make) }
        fill(&storage[(head + count) & (storage.count - 1)])
        count += 1
    }

    /// Hands the oldest element to `body` where it lies, then removes it (no copy out of the queue).
    mutating func removeFirst(handing body: (inout Element) -> Void) {
        guard count > 0 else { return }
        body(&storage[head])
        head = (head + 1) & (storage.count - 1)
        count -= 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    mutating func replaceFirst(_ element: Element) {
        guard count > 0 else { return }
        storage[head] = element
    }

    private mutating func grow(_ make: () -> Element) {
        // From one slot: most connections have one command in flight.
        let newCapacity = max(1, storage.count * 2)
        var newStorage: [Element] = []
        newStorage.reserveCapacity(newCapacity)
        for i in 0..<count {
            newStorage.append(storage[(head + i) & (storage.count - 1)])
        }
        while newStorage.count < newCapacity { newStorage.append(make()) }
        storage = newStorage
        head = 0
    }
}
