import Testing
@testable import RedisSemantics

/// The name index finds every command and subcommand of the table, in any case, and nothing else: short names by
/// packed words, long ones (over 16 bytes) by their bytes.
@Suite struct CommandTableLookupTests {
    static func lookup(_ name: String, parent: Int? = nil) -> Int? {
        Array(name.utf8).withUnsafeBytes { bytes in
            parent.map { CommandTable.lookupSubcommand(parent: $0, bytes) } ?? CommandTable.lookup(bytes)
        }
    }

    @Test func findsEveryNameInAnyCase() {
        var long = 0
        for index in 0..<CommandTable.count {
            let spec = CommandTable.spec(at: index)
            let parent = CommandTable.parent(of: index)
            let key = parent == nil ? spec.name : String(spec.name.split(separator: "|", maxSplits: 1)[1])
            if key.utf8.count > 16 { long += 1 }
            #expect(Self.lookup(key, parent: parent) == index, "\(spec.name)")
            #expect(Self.lookup(key.uppercased(), parent: parent) == index, "\(spec.name)")
            let mixed = String(key.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
            #expect(Self.lookup(mixed, parent: parent) == index, "\(spec.name)")
            // One byte more or less, or a changed last byte, is another name.
            #expect(Self.lookup(key + "x", parent: parent).map { CommandTable.spec(at: $0).name } != spec.name)
            #expect(Self.lookup(String(key.dropLast()), parent: parent) != index)
        }
        #expect(long > 0, "no name longer than 16 bytes: the byte-compared path went untested")
        #expect(CommandTable.count > 200)
    }

    @Test func unknownNamesAndPlacesAreNotFound() {
        for name in ["", "gett", "ge", "seT\0", "s\u{e9}t", String(repeating: "a", count: 17), String(repeating: "get", count: 40)] {
            #expect(Self.lookup(name) == nil, "\(name)")
        }
        let get = Self.lookup("get")!
        let client = Self.lookup("client")!
        // A subcommand name is found only under its container, and a container's subcommand only as one.
        #expect(Self.lookup("setname") == nil)
        #expect(Self.lookup("setname", parent: client) != nil)
        #expect(Self.lookup("setname", parent: get) == nil)
        #expect(Self.lookup("get", parent: client) == nil)
    }
}
