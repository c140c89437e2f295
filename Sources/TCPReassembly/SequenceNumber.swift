/// A TCP sequence number. Ordering is RFC 1982 serial-number arithmetic: `a < b` when `b` is less than 2^31 ahead
/// of `a` modulo 2^32, so comparisons stay right across the wrap. Only meaningful for numbers less than 2^31 apart.
public struct SequenceNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Signed distance from `self` to `other` (positive when `other` is ahead), in -2^31 ..< 2^31.
    @inline(__always)
    public func distance(to other: SequenceNumber) -> Int {
        Int(Int32(bitPattern: other.rawValue &- rawValue))
    }

    /// The number `count` bytes on, wrapping modulo 2^32.
    @inline(__always)
    public func advanced(by count: Int) -> SequenceNumber {
        SequenceNumber(rawValue &+ UInt32(truncatingIfNeeded: count))
    }

    @inline(__always)
    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        Int32(bitPattern: lhs.rawValue &- rhs.rawValue) < 0
    }

    public var description: String { String(rawValue) }
}
