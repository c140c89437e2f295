#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Estimates the number of distinct items in 16 KiB (2^14 registers, ~0.8% standard error), whatever their number.
public struct HyperLogLog: Sendable {
    private static let precision = 14
    private static let registerCount = 1 << precision
    private var registers = [UInt8](repeating: 0, count: registerCount)

    public init() {}

    /// Inlined: this runs per keyed command, and is a shift, a count of zeros and a comparison.
    @inline(__always)
    public mutating func add(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - Self.precision))
        let rest = hash << UInt64(Self.precision)
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - Self.precision) + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    public mutating func merge(_ other: HyperLogLog) {
        for i in 0..<Self.registerCount where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    public var estimate: Int {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(1 << Int(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 {
            return Int((m * log(m / Double(zeros))).rounded())  // linear counting for small sets
        }
        return Int(raw.rounded())
    }
}
