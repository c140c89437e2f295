import FuzzSupport
import RESP
import RedisSemantics

// fuzz-resp: the input is one direction of a Redis connection.
//
// 1. RESPDecoder, client and server side, default and tight limits: fed whole, then in pieces cut at points
//    derived from the input, then (for short inputs) byte by byte. Every piece is copied into its own exact-size
//    allocation so AddressSanitizer catches any read outside the piece. The decoder promises the same events
//    whatever the segmentation, so a different event digest is a failure too.
// 2. ConnectionSession: the input is cut into alternating request and reply chunks (with a gap now and then)
//    and the session's events are drained as the analyzer does.

/// Folds every decoder event into a 64-bit FNV-1a digest (content bytes included, which also makes ASan check
/// that `content` points at valid memory).
///
/// With `skipping`, it asks the decoder to skip bulk strings past the second element of a top-level aggregate
/// (`countsBulkStringsOnly`) and digests such a string the same whether it came as a token or was skipped.
struct DigestHandler: RESPTokenHandler {
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var events = 0
    var skipping = false
    /// Elements seen at depth 1 of the current top-level value (as tokens or skipped).
    var elements = 0

    var countsBulkStringsOnly: Bool { skipping && elements >= 2 }

    mutating func bulkStringsSkipped(_ count: Int) {
        if !countsBulkStringsOnly || count <= 0 { fatalError("skipped \(count) strings the handler did not ask to skip") }
        elements += count
        for _ in 0..<count { mix(0x5C1) }
    }

    @inline(__always) mutating func mix(_ value: UInt64) {
        digest = (digest ^ value) &* 0x100_0000_01b3
    }

    mutating func token(_ token: RESPToken) {
        if token.depth == 0 && !token.insideAttribute { elements = 0 }
        if token.depth == 1 && !token.insideAttribute {
            let counted = countsBulkStringsOnly && token.kind == .bulkString
            elements += 1
            if counted {
                mix(0x5C1)
                return
            }
        }
        events += 1
        mix(UInt64(token.kind.rawValue))
        mix(UInt64(bitPattern: Int64(token.depth)))
        mix(UInt64(bitPattern: Int64(token.length)))
        mix(UInt64(bitPattern: token.integer))
        mix(token.insideAttribute ? 1 : 2)
        mix(token.isInline ? 3 : 4)
        mix(UInt64(token.content.count))
        for byte in token.content { mix(UInt64(byte)) }
        // A token never keeps more than it says the value holds.
        if token.content.count > max(token.length, 0) && token.kind != .verbatimString {
            fatalError("token keeps \(token.content.count) bytes of a \(token.length)-byte \(token.kind)")
        }
    }

    mutating func messageEnd(byteCount: Int) {
        events += 1
        mix(0xE0D)
        mix(UInt64(bitPattern: Int64(byteCount)))
    }

    mutating func protocolError(_ error: RESPProtocolError) {
        events += 1
        mix(0xE77)
        mix(UInt64(error.code.rawValue.utf8.count))
        for byte in error.code.rawValue.utf8 { mix(UInt64(byte)) }
        mix(UInt64(bitPattern: error.streamOffset))
    }
}

let tightLimits: RESPLimits = {
    var limits = RESPLimits()
    limits.keptPrefix = 5
    limits.maxBulkLength = 100
    limits.maxAggregateElements = 10
    limits.maxDepth = 3
    limits.maxInlineLength = 40
    return limits
}()

/// Feeds `input` cut at `cuts` (sorted offsets), each piece in its own allocation; returns the event digest.
func decode(_ input: UnsafeRawBufferPointer, side: RESPDecoder.Side, limits: RESPLimits, cuts: [Int],
            skipping: Bool = false) -> DigestHandler {
    var decoder = RESPDecoder(side: side, limits: limits)
    var handler = DigestHandler(skipping: skipping)
    var from = 0
    for cut in cuts + [input.count] where cut >= from {
        let count = cut - from
        if count > 0 {
            let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
            piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: input[from..<cut]))
            decoder.feed(UnsafeRawBufferPointer(piece), handler: &handler)
            piece.deallocate()
        }
        from = cut
    }
    if decoder.streamOffset != Int64(input.count) {
        fatalError("streamOffset \(decoder.streamOffset) after feeding \(input.count) bytes")
    }
    return handler
}

/// A few cut points that depend on the input, so the fuzzer can steer them.
func cutPoints(_ input: UnsafeRawBufferPointer) -> [Int] {
    guard input.count > 1 else { return [] }
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    for byte in input.prefix(16) { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }
    var cuts: [Int] = []
    for _ in 0..<4 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        cuts.append(Int((seed >> 33) % UInt64(input.count)))
    }
    // Also cut right after every CR: the CR/LF pair split across pieces is the classic resumption bug.
    if let crIndex = input.firstIndex(of: 13) { cuts.append(crIndex + 1) }
    return Array(Set(cuts)).sorted()
}

func checkDecoder(_ input: UnsafeRawBufferPointer) {
    let cuts = cutPoints(input)
    for side in [RESPDecoder.Side.client, .server] {
        for limits in [RESPLimits(), tightLimits] {
            for skipping in [false, true] {
                let whole = decode(input, side: side, limits: limits, cuts: [], skipping: skipping)
                let split = decode(input, side: side, limits: limits, cuts: cuts, skipping: skipping)
                if whole.digest != split.digest {
                    fatalError("\(side) decoder (skipping: \(skipping)): events differ when the input is cut at \(cuts)")
                }
                if input.count <= 64 {
                    let bytewise = decode(input, side: side, limits: limits, cuts: Array(0..<input.count), skipping: skipping)
                    if whole.digest != bytewise.digest {
                        fatalError("\(side) decoder (skipping: \(skipping)): events differ when the input is fed byte by byte")
                    }
                }
            }
        }
    }
}

func checkSession(_ input: UnsafeRawBufferPointer) {
    guard let first = input.first else { return }
    var limits = SessionLimits()
    limits.maxPendingCommands = 16
    limits.maxQueuedInTransaction = 8
    if first & 0x80 != 0 { limits.resp = tightLimits }
    // A fresh registry per input: interned unknown names must not carry over between inputs.
    let registry = CommandRegistry(maxUnknownNames: 8)
    // Sometimes a small shared budget, so the total-pending path runs too; it must balance to zero at close.
    let budget = first & 0x20 != 0 ? PendingBudget(limit: 4) : nil
    let session = ConnectionSession(connection: 1, registry: registry, limits: limits, midStream: first & 0x40 != 0,
                                    pendingBudget: budget)
    // Chunks of 1 + (seed % 32) bytes, direction and gaps chosen from the following bytes.
    var offset = 1
    var time: Int64 = 1_000
    var seed = UInt64(first)
    while offset < input.count {
        seed = seed &* 6_364_136_223_846_793_005 &+ UInt64(input[offset]) &+ 1
        let size = min(input.count - offset, 1 + Int((seed >> 40) % 48))
        let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<offset + size])
        time += Int64((seed >> 20) % 5_000)
        switch (seed >> 57) % 16 {
        case 0: session.gap(fromClient: true, timestampNanos: time)
        case 1: session.gap(fromClient: false, timestampNanos: time)
        default: break
        }
        if (seed >> 61) & 1 == 0 {
            session.feedRequest(chunk, timestampNanos: time)
        } else {
            session.feedReply(chunk, timestampNanos: time)
        }
        if session.events.count > 64 {
            // Unpacks every packed record (AddressSanitizer checks the reads), one per `.command` event.
            let commands = session.events.reduce(0) { count, event in if case .command = event { count + 1 } else { count } }
            if session.records.count != commands { fatalError("\(session.records.count) records for \(commands) command events") }
            session.eventBuffer.removeAll()
        }
        offset += size
    }
    session.close(timestampNanos: time + 1)
    if session.pendingCount != 0 { fatalError("\(session.pendingCount) commands still pending after close") }
    if let budget, budget.held != 0 { fatalError("pending budget holds \(budget.held) after the only session closed") }
}

let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
    let input = fuzzBytes(data, size)
    checkDecoder(input)
    checkSession(input)
    return 0
}

@_cdecl("fuzz_resp_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput)
}

/// libFuzzer's runtime references this symbol even when the driver is started through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(data, size)
}
