/// The bytes of partial records that all connections' decryptors hold together, against one bound: each holds at
/// most one record per direction, but many connections each sending part of a record must not add up without
/// limit. A connection whose partial record would pass the bound stops being decrypted (`bufferLimit`).
public final class TLSBufferBudget {
    public let limit: Int
    public internal(set) var used = 0
    /// Connections stopped at the bound (once each).
    public internal(set) var refusals = 0

    public init(limit: Int) {
        self.limit = limit
    }
}
