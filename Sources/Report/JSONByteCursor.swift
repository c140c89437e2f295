/// Writes JSON pieces at a pointer into a buffer the caller sized for them: no capacity or uniqueness check per
/// piece, which is what appending each piece to an array costs (more than the piece, for a number or a line start).
struct JSONByteCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) {
        position = start
    }

    mutating func write(_ byte: UInt8) {
        position.initialize(to: byte)
        position += 1
    }

    mutating func writeLiteral(_ text: StaticString) {
        position.initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        position += text.utf8CodeUnitCount
    }

    /// As `JSONOutput.startLine`: `,` unless first, a line feed, two spaces per level of `depth`.
    mutating func startLine(first: Bool, depth: Int) {
        if !first { write(UInt8(ascii: ",")) }
        write(UInt8(ascii: "\n"))
        position.initialize(repeating: UInt8(ascii: " "), count: 2 * depth)
        position += 2 * depth
    }

    /// As `JSONOutput.writeInteger`: at most 20 bytes.
    mutating func writeInteger(_ value: Int64) {
        if value < 0 { write(UInt8(ascii: "-")) }
        var n = value.magnitude
        var digits = 1
        var rest = n
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        position += digits
        var digit = position
        repeat {
            digit -= 1
            digit.initialize(to: UInt8(ascii: "0") + UInt8(n % 10))
            n /= 10
        } while n > 0
    }
}
