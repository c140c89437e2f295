import RedisSemantics

/// Works out a record's `ArgumentDigest`: the first key as the key analysis takes it (its argument index by the
/// command table, its hash, its prefix by `prefixRule` and that prefix's hash) and the key's cluster hash slot. The
/// stream stage gives one to the sessions' event buffer, so that this runs as records are packed, on that thread;
/// the analyses use one of their own for records packed without it.
public final class ArgumentDigester: ArgumentDigesting {
    let registry: CommandRegistry
    let prefixRule: KeyPrefixRule
    private let hashSlots = HashSlotCalculator()
    /// Per command id: the first key's fixed argument index (0: none), `movable` (read from the arguments), or
    /// `unknown` (not looked up yet). An array: ids are dense, and this runs per command.
    private var keyPositions: [Int] = []
    private static let unknown = -1, movable = -2

    public init(registry: CommandRegistry, prefixRule: KeyPrefixRule) {
        self.registry = registry
        self.prefixRule = prefixRule
    }

    public func digest(of location: UnsafePointer<CommandRecord>) -> ArgumentDigest {
        var digest = ArgumentDigest()
        digest.isSet = true
        let argumentCount = location.pointee.argumentCount
        let position = firstKeyPosition(location)
        // Only arguments the command table says are keys: other arguments may be values or passwords.
        guard position > 0, position < argumentCount else { return digest }
        location.keptArguments.withArgumentAndLength(position) { key, fullLength in
            let prefixLength = prefixRule.prefixLength(of: key)
            let (hash, prefixHash) = keyHashes(key, prefixLength: prefixLength, prefixSeed: 1)
            digest.keyPosition = Int32(position)
            digest.keyHash = hash
            digest.prefixHash = prefixHash
            digest.prefixLength = Int32(prefixLength)
            digest.keySlot = hashSlots.slot(of: key, fullLength: fullLength).map { Int32($0) } ?? -1
        }
        return digest
    }

    /// The first key's argument index, from the command table's key specs: fixed per command (cached), or for
    /// commands whose keys move with their arguments (EVAL's numkeys, ZUNIONSTORE, XREAD's STREAMS) resolved on the
    /// kept arguments of this request (0 when they say there is no key, or lie beyond the kept ones).
    @inline(__always)
    private func firstKeyPosition(_ location: UnsafePointer<CommandRecord>) -> Int {
        let command = location.pointee.command
        let slot = Int(command.rawValue)
        if slot >= keyPositions.count { keyPositions += repeatElement(Self.unknown, count: slot + 1 - keyPositions.count) }
        var position = keyPositions[slot]
        if position == Self.unknown {
            if let tableIndex = registry.tableIndex(of: command) {
                // With as many arguments as a request can have, a fixed position is the begin-search index.
                position = CommandTable.flags(at: tableIndex).contains(.movableKeys) ? Self.movable
                    : CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: Int(Int32.max), argument: { _ in nil }) ?? 0
            } else {
                position = 0
            }
            keyPositions[slot] = position
        }
        guard position == Self.movable, let tableIndex = registry.tableIndex(of: command) else { return position }
        let argumentCount = location.pointee.argumentCount
        return location.keptArguments.withArguments { argument in
            CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: argumentCount, argument: argument)
        } ?? 0
    }
}
