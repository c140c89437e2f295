import Testing
@testable import TLSDecryption

/// Partial records of many connections add up against one bound; past it a connection stops, named, and what it
/// held is given back, as it is when a connection fails or closes.
@Suite struct TLSBufferBudgetTests {
    /// A ClientHello record header announcing 16,000 bytes, and 1,000 bytes of it with the header.
    static let partialHello: [UInt8] = [22, 3, 1, 0x3E, 0x80] + [1, 0, 0x3E, 0x7C] + Array(repeating: 3, count: 991)

    @Test func connectionsPastTheBoundStopAndGiveTheirBytesBack() {
        let budget = TLSBufferBudget(limit: 10_000)
        var decryptors: [TLSConnectionDecryptor] = []
        for _ in 0..<20 {
            let decryptor = TLSConnectionDecryptor(keys: nil, budget: budget)
            Self.partialHello.withUnsafeBytes { decryptor.feed($0, fromClient: true) { _, _ in Issue.record("plaintext") } }
            decryptors.append(decryptor)
            #expect(budget.used <= budget.limit)
        }
        #expect(budget.used == 10_000)
        #expect(budget.refusals == 10)
        #expect(decryptors.filter { $0.failure == .bufferLimit }.count == 10)
        for decryptor in decryptors { decryptor.release() }
        #expect(budget.used == 0)
    }

    @Test func aFailedDirectionHoldsNothing() {
        let budget = TLSBufferBudget(limit: 1 << 20)
        let decryptor = TLSConnectionDecryptor(keys: nil, budget: budget)
        Self.partialHello.withUnsafeBytes { decryptor.feed($0, fromClient: true) { _, _ in } }
        #expect(budget.used == Self.partialHello.count)
        decryptor.gap(fromClient: true)
        // No whole record yet: the hello itself was lost.
        #expect(budget.used == 0 && decryptor.failure == .handshakeNotSeen)
    }
}
