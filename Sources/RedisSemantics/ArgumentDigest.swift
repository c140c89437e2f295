/// What the analyses derive from a command's first key on every command — its position, hashes, prefix and hash
/// slot — worked out once, as the record is packed on the stream stage's thread, instead of on the analysis thread.
/// (The job frameworks' marks are looked for on the analysis thread: with them here the stream thread set the
/// pace.) A record packed without a digester, or made otherwise, has `isSet` false: an analysis then works the
/// digest out itself, with the same function (`ArgumentDigesting`'s implementation in the analyses' layer).
public struct ArgumentDigest: Sendable, BitwiseCopyable, Equatable {
    /// The first key's hash (FNV-1a, mixed) and that of its prefix (the key analysis's prefix rule).
    public var keyHash: UInt64 = 0
    public var prefixHash: UInt64 = 0
    /// Argument index of the first key, as the command table places it; 0 when the command names none or the key was
    /// not kept.
    public var keyPosition: Int32 = 0
    /// Length in bytes of the first key's prefix.
    public var prefixLength: Int32 = 0
    /// The first key's cluster hash slot; -1 when there is no key or the kept bytes cannot tell (cut inside `{...}`).
    public var keySlot: Int32 = -1
    /// Worked out (false: an analysis must work it out).
    public var isSet: Bool {
        get { setMark != 0 }
        set { setMark = newValue ? 1 : 0 }
    }
    /// `isSet` as a word: the digest is then 32 bytes with no tail padding, so that it lies right before the record's
    /// arguments (`PackedRecords.digestOffset`).
    private var setMark: UInt32 = 0

    public init() {}
}

/// Works out a record's `ArgumentDigest`: given to the session's event buffer, it is called once per packed record.
public protocol ArgumentDigesting: AnyObject {
    func digest(of record: UnsafePointer<CommandRecord>) -> ArgumentDigest
}
