import Analysis

/// `KeyCount` lists written without the `Encoder` protocol: the bytes its synthesized `encode(to:)` gives through
/// `JSONByteWriter` (members in key order, absent optionals left out), held equal to Foundation's by the tests.
/// A report holds up to 10,000 keys and as many prefixes, each with a dozen members: the members before and after
/// the key are put together in a buffer and appended at once.
extension JSONOutput {
    /// An array of key counts whose elements are indented at `depth + 1`, its brackets at `depth`.
    mutating func writeKeyCounts(_ counts: [KeyCount], depth: Int) {
        guard !counts.isEmpty else {
            writeEmpty(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), depth: depth)
            return
        }
        append(UInt8(ascii: "["))
        // Either side of the key: at most 7 lines (6 members and the closing brace, or the element's line, its
        // brace and 5 members), each a separator, indentation, a name of at most 18 bytes and 20 of number.
        let capacity = 7 * (2 + 2 * (depth + 2) + 18 + 20)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            for index in counts.indices {
                writeKeyCount(counts[index], first: index == 0, depth: depth + 1, buffer: buffer.baseAddress!)
            }
        }
        startLine(first: true, depth: depth)
        append(UInt8(ascii: "]"))
    }

    /// One key count as an element (after a separator unless `first`) whose members are indented at `depth + 1`,
    /// its braces at `depth`. The members in the order of their names' bytes (`clients` before `clientsCapped`,
    /// `replyBytes` before `requestBytes`).
    private mutating func writeKeyCount(_ count: KeyCount, first: Bool, depth: Int, buffer: UnsafeMutablePointer<UInt8>) {
        let inner = depth + 1
        var cursor = JSONByteCursor(buffer)
        cursor.startLine(first: first, depth: depth)
        cursor.write(UInt8(ascii: "{"))
        cursor.startLine(first: true, depth: inner)
        cursor.writeLiteral("\"bytes\" : ")
        cursor.writeInteger(count.bytes)
        cursor.startLine(first: false, depth: inner)
        cursor.writeLiteral("\"calls\" : ")
        cursor.writeInteger(Int64(count.calls))
        if let clients = count.clients {
            cursor.startLine(first: false, depth: inner)
            cursor.writeLiteral("\"clients\" : ")
            cursor.writeInteger(Int64(clients))
        }
        if let capped = count.clientsCapped {
            cursor.startLine(first: false, depth: inner)
            cursor.writeLiteral("\"clientsCapped\" : ")
            cursor.writeLiteral(capped ? "true" : "false")
        }
        cursor.startLine(first: false, depth: inner)
        cursor.writeLiteral("\"error\" : ")
        cursor.writeInteger(Int64(count.error))
        cursor.startLine(first: false, depth: inner)
        cursor.writeLiteral("\"key\" : ")
        bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: cursor.position - buffer))
        writeString(count.key)

        cursor = JSONByteCursor(buffer)
        Self.writeOptional("\"maxValueBytes\" : ", count.maxValueBytes.map(Int64.init), depth: inner, &cursor)
        Self.writeOptional("\"reads\" : ", count.reads.map(Int64.init), depth: inner, &cursor)
        Self.writeOptional("\"replyBytes\" : ", count.replyBytes, depth: inner, &cursor)
        Self.writeOptional("\"requestBytes\" : ", count.requestBytes, depth: inner, &cursor)
        Self.writeOptional("\"serverMicros\" : ", count.serverMicros, depth: inner, &cursor)
        Self.writeOptional("\"writes\" : ", count.writes.map(Int64.init), depth: inner, &cursor)
        cursor.startLine(first: true, depth: depth)
        cursor.write(UInt8(ascii: "}"))
        bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: cursor.position - buffer))
    }

    /// A member after the first, left out when absent (as `encodeIfPresent` does).
    private static func writeOptional(_ name: StaticString, _ value: Int64?, depth: Int, _ cursor: inout JSONByteCursor) {
        guard let value else { return }
        cursor.startLine(first: false, depth: depth)
        cursor.writeLiteral(name)
        cursor.writeInteger(value)
    }
}
