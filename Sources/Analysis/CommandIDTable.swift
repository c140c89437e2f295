import RedisSemantics

/// What an analysis works out once per command from its name (the command's role there, whether it enqueues, ...)
/// and then reads for every command: kept by command id, the read inlined where it is asked, the first look-up
/// (string comparisons) out of line. As a call per command per analysis, the read had cost ~25 instructions.
struct CommandIDTable<Value> {
    private var values: [Value?] = []

    /// The value for `id`: `lookUp`'s, asked the first time only.
    @inline(__always)
    mutating func value(of id: CommandID, lookUp: (CommandID) -> Value) -> Value {
        let index = Int(id.rawValue)
        if index < values.count, let value = values[index] { return value }
        return remember(lookUp(id), at: index)
    }

    @inline(never)
    private mutating func remember(_ value: Value, at index: Int) -> Value {
        if index >= values.count { values += repeatElement(nil, count: index + 1 - values.count) }
        values[index] = value
        return value
    }
}
