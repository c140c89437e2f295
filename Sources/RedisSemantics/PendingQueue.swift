/// A command sent and not yet answered: its record, completed in place when its reply arrives.
struct PendingCommand {
    var record: CommandRecord
    /// SUBSCRIBE-family: confirmations still expected; 1 for everything else.
    var repliesExpected: Int
    var subscriptionKind: SubscriptionKind?
}

/// One connection's commands awaiting replies, oldest first: a list linked through the slots of the store its owner's
/// sessions share (`PendingCommandStore`). A connection with nothing in flight holds no slot, however many commands
/// it had in flight before; a connection in steady state allocates nothing per command.
struct PendingQueue {
    let store: PendingCommandStore
    /// `store` for the per-command calls: a call through `store` itself was retained and released around it.
    /// `store` keeps it alive.
    private let storeReference: Unmanaged<PendingCommandStore>
    private var head: Int32 = -1
    private var tail: Int32 = -1
    private(set) var count = 0
    let maxCount: Int

    init(store: PendingCommandStore, maxCount: Int) {
        self.store = store
        self.storeReference = Unmanaged.passUnretained(store)
        self.maxCount = max(1, maxCount)
    }

    /// `store.allocate()`, for the request being read. Mutating so that the caller does not copy the queue (and
    /// retain `store`) to call it.
    @inline(__always)
    mutating func allocateSlot() -> Int32 {
        storeReference._withUnsafeGuaranteedRef { $0.allocate() }
    }

    var isEmpty: Bool { count == 0 }

    var first: PendingCommand? { count == 0 ? nil : store.slots[Int(head)] }

    /// Reads or changes the oldest command where it lies.
    @inline(__always)
    mutating func withFirst<R>(_ body: (inout PendingCommand) -> R) -> R? {
        guard count > 0 else { return nil }
        return body(&store.slots[Int(head)])
    }

    /// Appends the command already written in `slot` (from `store.allocate()`), without copying it. The caller makes
    /// room first when `count == maxCount`.
    @inline(__always)
    mutating func append(slot: Int32) {
        precondition(count < maxCount, "PendingQueue full")
        store.next[Int(slot)] = -1
        if count == 0 { head = slot } else { store.next[Int(tail)] = slot }
        tail = slot
        count += 1
    }

    /// Hands the oldest command to `body` where it lies, then removes it (no copy out of the store).
    mutating func removeFirst(handing body: (inout PendingCommand) -> Void) {
        guard count > 0 else { return }
        let slot = unlinkFirst()
        body(&store.slots[Int(slot)])
        store.release(slot)
    }

    mutating func popFirst() -> PendingCommand? {
        guard count > 0 else { return nil }
        let slot = unlinkFirst()
        let command = store.slots[Int(slot)]
        store.release(slot)
        return command
    }

    mutating func replaceFirst(_ command: PendingCommand) {
        guard count > 0 else { return }
        store.slots[Int(head)] = command
    }

    /// Gives every slot back to the store (the session is going away).
    mutating func releaseAll() {
        while count > 0 { store.release(unlinkFirst()) }
    }

    private mutating func unlinkFirst() -> Int32 {
        let slot = head
        head = store.next[Int(slot)]
        count -= 1
        if count == 0 { tail = -1 }
        return slot
    }
}

/// The slots of the commands in flight on all the sessions of one owner (and of the requests they are reading).
///
/// A pending command is a whole record (~880 bytes): kept per connection, even one slot each made an idle connection
/// cost that much for as long as it stayed open. Shared, the store holds as many slots as were ever in flight at
/// once. It grows by doubling and never shrinks; `PendingBudget` bounds what may be in flight.
final class PendingCommandStore {
    /// Every slot always holds a whole command (a stale one when free): slots are written and read in place.
    fileprivate(set) var slots: UnsafeMutablePointer<PendingCommand>
    /// Per slot: the next slot of its queue, or of the free list; -1 ends a list.
    fileprivate(set) var next: UnsafeMutablePointer<Int32>
    private(set) var capacity = 0
    private var firstFree: Int32 = -1
    /// Slots handed out and not released.
    private(set) var inUse = 0

    init() {
        slots = UnsafeMutablePointer<PendingCommand>.allocate(capacity: 0)
        next = UnsafeMutablePointer<Int32>.allocate(capacity: 0)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
        next.deallocate()
    }

    /// A free slot (holding a stale command, to be written over). Growing the store moves every slot: pointers into
    /// it do not survive this call, indexes do.
    func allocate() -> Int32 {
        if firstFree < 0 { grow() }
        let slot = firstFree
        firstFree = next[Int(slot)]
        inUse += 1
        return slot
    }

    func release(_ slot: Int32) {
        next[Int(slot)] = firstFree
        firstFree = slot
        inUse -= 1
    }

    private func grow() {
        let newCapacity = max(4, capacity * 2)
        let newSlots = UnsafeMutablePointer<PendingCommand>.allocate(capacity: newCapacity)
        newSlots.moveInitialize(from: slots, count: capacity)
        newSlots.advanced(by: capacity).initialize(
            repeating: PendingCommand(record: .empty, repliesExpected: 0, subscriptionKind: nil), count: newCapacity - capacity)
        let newNext = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        newNext.update(from: next, count: capacity)
        // The new slots become the free list, in order.
        for slot in capacity..<newCapacity { newNext[slot] = Int32(slot + 1) }
        newNext[newCapacity - 1] = firstFree
        firstFree = Int32(capacity)
        slots.deallocate()
        next.deallocate()
        slots = newSlots
        next = newNext
        capacity = newCapacity
    }
}
