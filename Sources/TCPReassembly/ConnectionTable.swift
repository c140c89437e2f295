/// Per-connection values by `ConnectionID`, for the stages after the reassembler: in an array indexed by the ID's
/// slot (8 bytes a connection for a reference, where a dictionary entry cost about 40 at its usual load), by number
/// for an ID without one. A slot is reused once its connection closed, so a value must be removed when its connection
/// closes, and a caller that may hold an ID of a closed connection checks the value it gets back is that connection's.
/// Inlinable, so that it is specialized for its value type where it is used (looked up per event).
public struct ConnectionTable<Value> {
    @usableFromInline var bySlot: [Value?] = []
    @usableFromInline var byNumber: [ConnectionID: Value] = [:]

    @inlinable
    public init() {}

    @inlinable
    public subscript(id: ConnectionID) -> Value? {
        get {
            guard let slot = id.slot else { return byNumber.isEmpty ? nil : byNumber[id] }
            return slot < bySlot.count ? bySlot[slot] : nil
        }
        set {
            guard let slot = id.slot else {
                byNumber[id] = newValue
                return
            }
            if slot >= bySlot.count {
                guard newValue != nil else { return }
                bySlot.append(contentsOf: repeatElement(nil, count: slot + 1 - bySlot.count))
            }
            bySlot[slot] = newValue
        }
    }
}

extension ConnectionTable where Value: AnyObject {
    /// The value for `id` without retaining it, valid while the table holds it: for a caller that uses it within
    /// a `_withUnsafeGuaranteedRef` per event, where a strong reference costs a retain and a release.
    @inlinable
    public func unretained(_ id: ConnectionID) -> Unmanaged<Value>? {
        guard let slot = id.slot else { return byNumber.isEmpty ? nil : byNumber[id].map { Unmanaged.passUnretained($0) } }
        guard slot < bySlot.count, let value = bySlot[slot] else { return nil }
        return Unmanaged.passUnretained(value)
    }
}
