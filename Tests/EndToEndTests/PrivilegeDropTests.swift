@testable import respcap
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Who `live`'s capture process becomes, resolved before anything is opened: `PrivilegeDrop(user:effectiveUID:)`
/// for root and for a user with file capabilities. (The drop itself is checked on a running capture in
/// LivePrivilegeTests.)
@Suite(.enabled(if: PrivilegeDrop.account(named: "nobody")?.uid == 65534, "no user nobody with uid 65534 here"))
struct PrivilegeDropTests {
    static let nobody = PrivilegeDrop.Account(name: "nobody", uid: 65534, gid: 65534)

    @Test func rootBecomesNobodyByDefault() throws {
        #expect(try PrivilegeDrop(user: nil, effectiveUID: 0).account == Self.nobody)
    }

    @Test(arguments: ["nobody", "65534"])
    func rootBecomesTheUserNamedOrNumbered(user: String) throws {
        #expect(try PrivilegeDrop(user: user, effectiveUID: 0).account == Self.nobody)
    }

    @Test func aUidWithoutAnEntryGetsTheOverflowGroupNotItsNumber() throws {
        let uid: uid_t = 3_999_999_001
        try #require(PrivilegeDrop.account(numeric: "\(uid)") != nil && getpwuid(uid) == nil)
        #expect(try PrivilegeDrop(user: "\(uid)", effectiveUID: 0).account == .init(name: "\(uid)", uid: uid, gid: 65534))
    }

    @Test func aUserWhoIsNotRootKeepsTheirUser() throws {
        #expect(try PrivilegeDrop(user: nil, effectiveUID: 65534).account == nil)
        #expect(try PrivilegeDrop(user: "nobody", effectiveUID: 65534).account == nil)
    }

    @Test(arguments: [("respcap-no-such-user", uid_t(0), "no such user"), ("-1", 0, "no such user"), ("", 0, "no such user"),
                      ("root", 65534, "only root can run the capture as another user"),
                      ("0", 65534, "only root can run the capture as another user")])
    func refusedUsersAreUsageErrors(user: String, effectiveUID: uid_t, message: String) {
        #expect {
            try PrivilegeDrop(user: user, effectiveUID: effectiveUID)
        } throws: { error in
            guard let error = error as? PrivilegeDropError else { return false }
            return error.isUsageError && error.description.contains(message)
        }
    }
}
