/// Identifies one TCP connection of a capture: 1, 2, 3... in order of first sight. A 4-tuple reused after a close
/// gets a new ID.
///
/// An ID from the reassembler also carries the connection's slot: a small number, unique among the connections
/// open at the same time and reused after a close, by which later stages keep per-connection state in arrays
/// (`ConnectionTable`). Equality, hashing, ordering and coding look at the number only.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// Low `numberBits` bits: the number; above them the slot plus one (0 for none).
    @usableFromInline let bits: UInt64

    @usableFromInline static let numberBits = 40
    @usableFromInline static let numberMask: UInt64 = 1 << numberBits - 1
    /// Slots at and past this are not carried (the connection is kept by number instead).
    @usableFromInline static let slotLimit = 1 << (64 - numberBits) - 1

    /// The connection's number (in reports, ordering and coding).
    @inlinable
    public var rawValue: UInt64 { bits & Self.numberMask }

    /// An ID without a slot. Numbers past 2^40 (a trillion connections) keep their low 40 bits.
    public init(rawValue: UInt64) {
        bits = rawValue & Self.numberMask
    }

    /// An ID carrying `slot` when it is below `slotLimit`.
    @inlinable
    public init(number: UInt64, slot: Int?) {
        let carried = if let slot, slot >= 0, slot < Self.slotLimit { UInt64(slot + 1) } else { UInt64(0) }
        bits = number & Self.numberMask | carried << UInt64(Self.numberBits)
    }

    /// The reassembler's slot for the connection, if the ID carries one.
    @inlinable
    public var slot: Int? {
        let carried = Int(truncatingIfNeeded: bits >> UInt64(Self.numberBits))
        return carried == 0 ? nil : carried &- 1
    }

    @inlinable
    public static func == (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }

    private enum CodingKeys: String, CodingKey {
        case rawValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rawValue: try container.decode(UInt64.self, forKey: .rawValue))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rawValue, forKey: .rawValue)
    }
}
