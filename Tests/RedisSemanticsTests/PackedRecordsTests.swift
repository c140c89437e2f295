import Testing
@testable import RedisSemantics

/// Packed records unpack to the records that were packed: every field, and each kept argument with its bytes.
@Suite struct PackedRecordsTests {
    static func record(_ seed: UInt64) -> CommandRecord {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var record = CommandRecord.empty
        record.restart(connection: next(), command: CommandID(rawValue: Int32(next() % 300)), argumentCount: Int(next() % 300),
                       requestStartNanos: Int64(next() % 1_000_000))
        record.requestBytes = Int(next() % 10_000)
        record.requestEndNanos = Int64(next())
        record.replyBytes = Int(next() % 100_000)
        record.replyStartNanos = Int64(next())
        record.replyEndNanos = Int64(next())
        record.replyKind = next() % 2 == 0 ? nil : .array
        record.errorPrefix = next() % 3 == 0 ? "WRONGTYPE" : nil
        record.outcome = next() % 2 == 0 ? .replied : .unanswered
        record.pipelineDepth = Int(next() % 64)
        record.isBlocking = next() % 2 == 0
        record.replyCount = Int64(bitPattern: next())
        let first = (0..<Int(next() % 130)).map { _ in UInt8(truncatingIfNeeded: next()) }
        first.withUnsafeBytes { record.replyFirstElement.set($0, fullLength: first.count + 3) }
        record.replySecondElementCount = Int64(next() % 10)
        // 0 to 4 kept arguments of 0 to 130 bytes (cut at 120), in the slots the session uses.
        for slot in 0..<Int(next() % 5) {
            let bytes = (0..<Int(next() % 131)).map { _ in UInt8(truncatingIfNeeded: next()) }
            bytes.withUnsafeBytes {
                record.arguments.keep(slot: slot, argumentIndex: slot == 3 ? 7 : slot + 1, content: $0, fullLength: bytes.count + 1)
            }
        }
        return record
    }

    /// The first `count` bytes of two records alike, but of the reply element's byte storage only those it keeps
    /// (packed, the rest is not kept).
    static func sameFields(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer, count: Int) -> Bool {
        let elementStart = PackedRecords.replyElementBytesOffset, elementEnd = PackedRecords.replyElementBytesEnd
        let kept = x.baseAddress!.assumingMemoryBound(to: CommandRecord.self).replyFirstElement.pointee.count
        return x.prefix(elementStart + kept).elementsEqual(y.prefix(elementStart + kept))
            && x[elementEnd..<count].elementsEqual(y[elementEnd..<count])
    }

    static func expectSame(_ a: CommandRecord, _ b: CommandRecord, sourceLocation: SourceLocation = #_sourceLocation) {
        let header = PackedRecords.headerBytes
        let same = withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in sameFields(x, y, count: header) } }
        #expect(same, "fields before the arguments differ", sourceLocation: sourceLocation)
        #expect(a.replyFirstElement.bytes == b.replyFirstElement.bytes, sourceLocation: sourceLocation)
        for index in 0..<10 {
            #expect(a.arguments.bytes(ofArgument: index) == b.arguments.bytes(ofArgument: index), sourceLocation: sourceLocation)
            #expect(a.arguments.fullLength(ofArgument: index) == b.arguments.fullLength(ofArgument: index),
                    sourceLocation: sourceLocation)
        }
    }

    /// Short copies as overlapping words copy every byte of every length and write nothing past them.
    @Test func shortCopiesWriteExactlyTheirBytes() {
        let source = (0..<140).map { UInt8($0 + 1) }
        for count in 0...130 {
            var destination = [UInt8](repeating: 0xEE, count: 140)
            source.withUnsafeBytes { from in
                destination.withUnsafeMutableBytes { KeptArguments.copyBytes(count, from: from.baseAddress!, to: $0.baseAddress!) }
            }
            #expect(Array(destination[..<count]) == Array(source[..<count]), "count \(count)")
            #expect(destination[count...].allSatisfy { $0 == 0xEE }, "count \(count)")
        }
    }

    @Test func unpacksWhatWasPacked() {
        let packed = PackedRecords(capacity: 0)  // the smallest: it must grow several times
        let records = (0..<3000).map { Self.record(UInt64($0)) }
        for var record in records { withUnsafePointer(to: &record) { packed.append($0) } }
        #expect(packed.count == records.count)
        #expect(packed.byteCount < records.count * MemoryLayout<CommandRecord>.size * 3 / 4, "packing saves little")
        let unpacked = packed.all
        #expect(unpacked.count == records.count)
        for (a, b) in zip(records, unpacked) { Self.expectSame(a, b) }
        // Unpacking into a record that held a longer one leaves none of it visible.
        var scratch = Self.record(12345)
        var offset = 0
        for record in records {
            offset = withUnsafeMutablePointer(to: &scratch) { packed.unpack(at: offset, into: $0) }
            Self.expectSame(record, scratch)
        }
        #expect(offset == packed.byteCount)
        packed.removeAll()
        #expect(packed.count == 0 && packed.byteCount == 0 && packed.all.isEmpty)
    }

    /// A packed record read where it lies (as the analyses read it) has the fields and kept arguments of the record
    /// that was packed, read by value or through its address; the next record starts where `offset(after:)` says.
    @Test func readsRecordsWhereTheyLie() {
        let packed = PackedRecords(capacity: 0)
        var words = CommandRecord.empty
        for (slot, word) in ["k", "GROUP", "", "Streams"].enumerated() {
            Array(word.utf8).withUnsafeBytes { words.arguments.keep(slot: slot, argumentIndex: slot == 3 ? 9 : slot + 1, content: $0, fullLength: word.utf8.count) }
        }
        let records = [words] + (0..<3000).map { Self.record(UInt64($0) + 7) }
        for var record in records { withUnsafePointer(to: &record) { packed.append($0) } }
        #expect(packed.record(at: 0).pointee.arguments.argument(2, equalsLowercase: "group"))
        #expect(packed.record(at: 0).pointee.arguments.argument(9, equalsLowercase: "streams"))
        #expect(!packed.record(at: 0).pointee.arguments.argument(1, equalsLowercase: "group"))
        var offset = 0
        let fieldBytes = PackedRecords.argumentsOffset
        for record in records {
            let lying = packed.record(at: offset)
            #expect(Int(bitPattern: lying) % MemoryLayout<CommandRecord>.alignment == 0)
            let same = withUnsafeBytes(of: record) { x in
                Self.sameFields(x, UnsafeRawBufferPointer(start: lying, count: fieldBytes), count: fieldBytes)
            }
            #expect(same, "fields before the arguments differ")
            #expect(lying.replyFirstElement.withUnsafeBytes { Array($0) } == record.replyFirstElement.bytes)
            let byValue = lying.pointee.arguments
            for index in 0..<10 {
                let expected = record.arguments.bytes(ofArgument: index)
                #expect(byValue.bytes(ofArgument: index) == expected)
                #expect(byValue.fullLength(ofArgument: index) == record.arguments.fullLength(ofArgument: index))
                #expect(lying.keptArguments.withArgument(index) { Array($0) } == expected)
                #expect(lying.keptArguments.withArgumentAndLength(index) { $1 } == record.arguments.fullLength(ofArgument: index))
                #expect(lying.keptArguments.withArguments { $0(index).map { Array($0) } } == expected)
            }
            offset = packed.offset(after: offset)
        }
        #expect(offset == packed.byteCount)
    }
}
