import FuzzSupport
import TLSDecryption

// fuzz-tls: the input is the bytes of a TLS connection, as respcap's stream stage would see them.
//
// 1. TLSRecordParser: fed whole, then in pieces cut at points derived from the input, each piece copied into its
//    own exact-size allocation (AddressSanitizer catches a read outside it). The same records must come out, in
//    the same order, whatever the cut; the parser never holds more than one record.
// 2. TLSConnectionDecryptor: the input is cut into alternating client and server chunks (a gap now and then),
//    with a key log holding secrets for whatever sits where a ClientHello's random would be, so the handshake,
//    key derivation and record decryption paths all run on hostile bytes. Plaintext is only ever handed out in
//    records of at most 2^14 + 256 bytes; the partial records held stay within their budget and are all given back.
// 3. TLSKeyLog: the input as key log text.

/// FNV-1a over every record's type, version and body.
struct RecordDigest {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    var records = 0

    mutating func mix(_ byte: UInt64) { value = (value ^ byte) &* 0x100_0000_01b3 }

    mutating func record(_ type: TLSRecordParser.ContentType, _ version: UInt16, _ body: UnsafeRawBufferPointer) {
        records += 1
        mix(UInt64(type.rawValue))
        mix(UInt64(version))
        mix(UInt64(body.count))
        for byte in body { mix(UInt64(byte)) }
    }
}

/// Feeds `bytes` to a record parser in pieces of the given sizes (cycled); the digest and how it ended.
func parse(_ bytes: UnsafeRawBufferPointer, pieces: [Int]) -> (RecordDigest, TLSFailure?) {
    var parser = TLSRecordParser()
    var digest = RecordDigest()
    var offset = 0
    var cycle = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + max(1, pieces[cycle % pieces.count]))
        cycle += 1
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: end - offset, alignment: 1)
        defer { piece.deallocate() }
        piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        do throws(TLSFailure) {
            try parser.feed(UnsafeRawBufferPointer(piece)) { type, version, body in digest.record(type, version, body) }
        } catch {
            return (digest, error)
        }
        if parser.bufferedBytes > TLSRecordParser.headerLength + TLSRecordParser.maxFragmentLength {
            fatalError("record parser holds \(parser.bufferedBytes) bytes")
        }
        offset = end
    }
    return (digest, nil)
}

func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)

    // 1. Any segmentation, the same records (up to the first failure, which must be the same too).
    let (whole, wholeFailure) = parse(bytes, pieces: [max(1, bytes.count)])
    let cuts = bytes.prefix(4).map { Int($0) + 1 }
    for pieces in [cuts.isEmpty ? [1] : cuts, [1], [5, 16_645]] {
        let (split, failure) = parse(bytes, pieces: pieces)
        if split.value != whole.value || split.records != whole.records || failure != wholeFailure {
            fatalError("records differ with pieces \(pieces): \(split.records) vs \(whole.records), \(String(describing: failure))")
        }
    }

    // 2. The decryptor, with secrets for the random at a ClientHello's offset (record 5 + handshake 4 + version 2).
    var keyLog = TLSKeyLog()
    if bytes.count >= 43 {
        let random = hex(UnsafeRawBufferPointer(rebasing: bytes[11..<43]))
        let secret32 = String(repeating: "5a", count: 32)
        let secret48 = String(repeating: "a5", count: 48)
        let text = ["CLIENT_RANDOM \(random) \(secret48)", "CLIENT_HANDSHAKE_TRAFFIC_SECRET \(random) \(secret32)",
                    "SERVER_HANDSHAKE_TRAFFIC_SECRET \(random) \(secret48)", "CLIENT_TRAFFIC_SECRET_0 \(random) \(secret32)",
                    "SERVER_TRAFFIC_SECRET_0 \(random) \(secret32)"].joined(separator: "\n")
        keyLog = (try? TLSKeyLog(bytes: Array(text.utf8))) ?? TLSKeyLog()
    }
    let budget = TLSBufferBudget(limit: 20_000)
    let keys = bytes.first.map { $0 & 1 == 0 } ?? true ? TLSKeyStore(keyLog: keyLog) : nil
    // Waiting for secrets that never come holds records: bounded, and given back.
    keys?.waitsForGrowth = bytes.first.map { $0 & 2 == 0 } ?? false
    let decryptor = TLSConnectionDecryptor(keys: keys, budget: budget)
    var offset = 0
    var fromClient = true
    var step = 0
    while offset < bytes.count {
        let length = Int(bytes[offset]) * 67 + 1
        let end = min(bytes.count, offset + length)
        decryptor.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), fromClient: fromClient) { plaintext, _ in
            if plaintext.count > 16_384 + 256 { fatalError("a record's plaintext of \(plaintext.count) bytes") }
            _ = plaintext.reduce(0) { $0 &+ $1 }
        }
        step += 1
        if step % 7 == 0 { decryptor.gap(fromClient: !fromClient) }
        if bytes[offset] & 0x80 != 0 { fromClient.toggle() }
        offset = end
    }
    _ = "\(String(describing: decryptor.failure)) \(decryptor.failure?.advice ?? "")"
    if budget.used > budget.limit { fatalError("partial records hold \(budget.used) bytes past the bound") }
    decryptor.release()
    if budget.used != 0 { fatalError("\(budget.used) bytes of partial records not given back") }

    // 3. The input as a key log.
    do {
        _ = try TLSKeyLog(bytes: Array(bytes))
    } catch {
        _ = error.description
    }
    return 0
}

@_cdecl("fuzz_tls_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput)
}

/// libFuzzer's runtime references this symbol even when the driver is started through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(data, size)
}
