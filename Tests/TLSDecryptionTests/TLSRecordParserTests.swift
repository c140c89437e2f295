import Testing
@testable import TLSDecryption

/// The record layer: any segmentation gives the same records, a partial record is held (bounded), and a header
/// that is not TLS or announces more than TLS allows is refused.
@Suite struct TLSRecordParserTests {
    static func record(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, 3, 3, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static let stream: [UInt8] = record(22, Array(repeating: 1, count: 40)) + record(20, [1])
        + record(23, (0..<16_640).map { UInt8($0 & 0xFF) }) + record(23, []) + record(21, [1, 0])

    static func records(_ bytes: [UInt8], pieces: [Int]) throws(TLSFailure) -> [String] {
        var parser = TLSRecordParser()
        var out: [String] = []
        var offset = 0
        var cycle = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + max(1, pieces[cycle % pieces.count]))
            cycle += 1
            try bytes[offset..<end].withUnsafeBytes { buffer in
                Result { () throws(TLSFailure) in
                    try parser.feed(buffer) { type, version, body in
                        out.append("\(type.rawValue)/\(version)/\(body.count)/\(body.reduce(0) { $0 &+ Int($1) })")
                    }
                }
            }.get()
            #expect(parser.bufferedBytes <= TLSRecordParser.headerLength + TLSRecordParser.maxFragmentLength)
            offset = end
        }
        return out
    }

    @Test func anySegmentationGivesTheSameRecords() throws {
        let whole = try Self.records(Self.stream, pieces: [Self.stream.count])
        #expect(whole.count == 5)
        #expect(whole[2].hasPrefix("23/771/16640/"))
        for pieces in [[1], [2, 3], [5], [4, 6, 1000], [16_645], [16_646, 1]] {
            #expect(try Self.records(Self.stream, pieces: pieces) == whole, "pieces \(pieces)")
        }
    }

    @Test func everyTruncatedPrefixHoldsItsPartialRecord() throws {
        let first = Self.record(23, Array(repeating: 9, count: 100))
        for cut in 0..<first.count {
            #expect(try Self.records(Array(first[..<cut]), pieces: [7]).isEmpty, "prefix \(cut)")
        }
    }

    @Test func aRecordLongerThanTLSAllowsIsRefused() {
        let header: [UInt8] = [23, 3, 3, 0x41, 0x01]  // 16,641 bytes
        #expect(throws: TLSFailure.recordTooLong(16_641)) { try Self.records(header, pieces: [5]) }
        #expect(throws: TLSFailure.recordTooLong(16_641)) { try Self.records(header + [0], pieces: [1]) }
    }

    @Test(arguments: [[UInt8(ascii: "*"), 49, 13, 10, 36], [24, 3, 3, 0, 1], [23, 2, 0, 0, 1], [22, 3, 9, 0, 1]])
    func headersThatAreNotTLSAreRefused(header: [UInt8]) {
        #expect(throws: TLSFailure.notTLS) { try Self.records(header + [0], pieces: [100]) }
        #expect(!header.withUnsafeBytes { TLSRecordParser.looksLikeTLS($0) })
    }

    @Test func midStreamAnyRecordWithAValidHeaderLooksLikeTLS() {
        let record: [UInt8] = [23, 3, 3, 0x10, 0x00, 1]
        #expect(record.withUnsafeBytes { TLSRecordParser.looksLikeTLS($0, handshakeStart: false) })
        #expect(!record.withUnsafeBytes { TLSRecordParser.looksLikeTLS($0, handshakeStart: true) })
        #expect(Array(record.prefix(3)).withUnsafeBytes { TLSRecordParser.looksLikeTLS($0, handshakeStart: false) })
        #expect(![UInt8]([23, 3, 3, 0xFF, 0xFF]).withUnsafeBytes { TLSRecordParser.looksLikeTLS($0, handshakeStart: false) })
    }

    @Test func aClientHelloLooksLikeTLSAndRESPDoesNot() {
        let hello: [UInt8] = [22, 3, 1, 2, 0, 1]
        #expect(hello.withUnsafeBytes { TLSRecordParser.looksLikeTLS($0) })
        #expect(!Array("*1\r\n$4\r\nPING\r\n".utf8).withUnsafeBytes { TLSRecordParser.looksLikeTLS($0) })
        #expect(!Array("PING\r\n".utf8).withUnsafeBytes { TLSRecordParser.looksLikeTLS($0) })
    }
}
