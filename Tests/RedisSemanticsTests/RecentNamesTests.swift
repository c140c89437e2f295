import Testing
@testable import RedisSemantics

/// `CommandRegistry.id(forName:)` answers repeated names from a table of recent ones: the answers must be the
/// command table's, whatever the case, length, order of lookups or collisions in that table.
@Suite struct RecentNamesTests {
    static func id(_ registry: CommandRegistry, _ name: String) -> CommandID {
        Array(name.utf8).withUnsafeBytes { registry.id(forName: $0) }
    }

    static func tableID(_ name: String) -> Int? {
        Array(name.utf8).withUnsafeBytes { CommandTable.lookup($0) }
    }

    @Test func repeatedLookupsGiveTheTablesIDs() {
        let registry = CommandRegistry()
        let names = ["get", "GET", "Get", "set", "SET", "lpush", "LRANGE", "mset", "zadd", "hset", "incr", "rpop",
                     "sadd", "config", "client", "ping", "xreadgroup", "XREADGROUP", "georadiusbymember_ro",
                     "GEORADIUSBYMEMBER_RO", "cluster", "a", "ab", "abc", "sdiffstore", "zrangebyscore", "psubscribe"]
        // Several rounds, so that every name is also looked up after others may have taken its entry.
        for _ in 0..<3 {
            for name in names {
                let id = Self.id(registry, name)
                if let index = Self.tableID(name) {
                    #expect(id == CommandID(rawValue: Int32(index)), "\(name)")
                } else {
                    #expect(!registry.isKnown(id), "\(name)")
                }
            }
        }
    }

    /// Names of every length up to past the packed width, told apart by their last byte or their length alone.
    @Test func namesOfEveryLengthStayApart() {
        let registry = CommandRegistry(maxUnknownNames: 100)
        var seen: [String: CommandID] = [:]
        for length in 1...20 {
            for last in ["x", "y"] {
                let name = String(repeating: "q", count: length - 1) + last
                seen[name] = Self.id(registry, name)
            }
        }
        for (name, id) in seen {
            #expect(Self.id(registry, name) == id, "\(name)")
            #expect(registry.name(of: id) == name, "\(name)")
        }
    }

    /// Unknown names keep going through interning: past the limit each one is counted, repeated or not.
    @Test func unknownNamesAreCountedEachTime() {
        let registry = CommandRegistry(maxUnknownNames: 1)
        _ = Self.id(registry, "nosuchcommand")
        #expect(registry.unknownNamesDropped == 0)
        #expect(Self.id(registry, "another") == registry.otherID)
        #expect(Self.id(registry, "another") == registry.otherID)
        #expect(registry.unknownNamesDropped == 2)
    }

    @Test func keysReadOnlyTheNamesBytes() {
        // A name cut out of a longer buffer: the bytes around it must not change its key.
        let buffer = Array("XXXXsetYYYY".utf8)
        let other = Array("ZZZZsetWWWW".utf8)
        let first = buffer.withUnsafeBytes { RecentNameKey(UnsafeRawBufferPointer(rebasing: $0[4..<7])) }
        let second = other.withUnsafeBytes { RecentNameKey(UnsafeRawBufferPointer(rebasing: $0[4..<7])) }
        #expect(first == second)
        #expect(first.count == 3)
        let long = Array(String(repeating: "k", count: 17).utf8).withUnsafeBytes { RecentNameKey($0) }
        #expect(long.count == 0)
    }
}
