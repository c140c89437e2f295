/// A direct-mapped table of the command-table ids of names seen lately (`CommandRegistry.id(forName:)`). Only
/// command-table entries go in, whose ids never change, so a stale entry is merely replaced. A value holding its
/// storage's address (no reference to count on each lookup); its owner calls `deallocate()`.
struct RecentNames {
    struct Entry {
        var key = RecentNameKey(UnsafeRawBufferPointer(start: nil, count: 0))
        var id = CommandID(rawValue: -1)
    }

    static var bits: Int { 6 }
    private let entries: UnsafeMutablePointer<Entry>

    init() {
        entries = .allocate(capacity: 1 << Self.bits)
        entries.initialize(repeating: Entry(), count: 1 << Self.bits)
    }

    func deallocate() {
        entries.deinitialize(count: 1 << Self.bits)
        entries.deallocate()
    }

    /// Where `key` is or would go.
    @inline(__always)
    func entry(for key: RecentNameKey) -> UnsafeMutablePointer<Entry> {
        entries + key.slot(bits: Self.bits)
    }
}
