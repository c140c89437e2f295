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

extension CommandIDTable where Value == Bool {
    /// Whether `id` names one of `names` (a set of command names, read the first time only: read per command, a
    /// static set cost its lazy initialisation check and a retain and release).
    @inline(__always)
    mutating func isNamed(_ id: CommandID, oneOf names: @autoclosure () -> Set<String>,
                          in registry: CommandRegistry) -> Bool {
        value(of: id) { Self.contains(registry.name(of: $0), in: names()) }
    }

    @inline(never)
    private static func contains(_ name: String, in names: Set<String>) -> Bool { names.contains(name) }
}
