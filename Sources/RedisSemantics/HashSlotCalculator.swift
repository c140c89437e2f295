/// `HashSlot.slot(of:fullLength:)` with the CRC tables held by the instance, for callers that work out a slot per
/// command (the argument digest): through `HashSlot`'s static tables every call first went through a `swift_once`,
/// and the CRC loop was a closure call of its own.
public struct HashSlotCalculator {
    /// `HashSlot.tables`, read once.
    let tables: [UInt16]

    public init() {
        tables = HashSlot.tables
    }

    /// As `HashSlot.slot(of:fullLength:)`, with these tables.
    @inline(__always)
    public func slot(of key: UnsafeRawBufferPointer, fullLength: Int) -> Int? {
        tables.withUnsafeBufferPointer { HashSlot.slot(of: key, fullLength: fullLength, tables: $0) }
    }

    /// As `HashSlot.crc16(_:)`.
    @inline(__always)
    func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        tables.withUnsafeBufferPointer { HashSlot.crc16(bytes, tables: $0) }
    }
}
