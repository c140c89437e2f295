/// Identifies one TCP connection of a capture: 1, 2, 3... in order of first sight. A 4-tuple reused after a close
/// gets a new ID.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
