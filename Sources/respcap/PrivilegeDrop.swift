import CPrivilege
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who `live`'s capture process becomes once the interface is open, and the giving up of everything else. As with
/// tcpdump -Z and Wireshark's dumpcap, the process that parses bytes anyone on the network may have sent holds no
/// privilege: started as root it becomes `--user` (default `nobody`); started with file capabilities it keeps its
/// user. Either way it ends with no capability in any set and no_new_privs set.
///
/// Resolved before anything is opened, so a bad `--user` costs no capture. `apply()` must run while the process has
/// one thread: capabilities and no_new_privs belong to a thread, and only threads started afterwards inherit them.
struct PrivilegeDrop: Equatable {
    struct Account: Equatable {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    /// The user to become, with its primary group as the only group; nil keeps the current user and groups.
    let account: Account?

    /// The user named by `--user` (a name, or a numeric uid), `nobody` when none is named and the effective user is
    /// root, or none. A user who is not root can only name themselves.
    init(user requested: String?, effectiveUID: uid_t = geteuid()) throws(PrivilegeDropError) {
        guard let requested else {
            guard effectiveUID == 0 else {
                account = nil
                return
            }
            guard let nobody = Self.account(named: "nobody") else { throw PrivilegeDropError.noNobody() }
            account = nobody
            return
        }
        guard let found = Self.account(named: requested) ?? Self.account(numeric: requested) else {
            throw PrivilegeDropError.unknownUser(requested)
        }
        if effectiveUID != 0 {
            guard found.uid == effectiveUID else { throw PrivilegeDropError.otherUser(requested, effectiveUID: effectiveUID) }
            account = nil
            return
        }
        account = found
    }

    /// Becomes the account (groups, then group, then user, each checked), then empties every capability set and
    /// sets no_new_privs. Throws, and the caller must not go on, when any step did not take.
    func apply() throws(PrivilegeDropError) {
        if let account {
            // While still root: only CAP_SETPCAP may shrink the bounding set. no_new_privs already keeps execve from
            // granting anything; an empty bounding set is a second lock, so a failure here is not fatal.
            _ = respcap_drop_bounding_set()
            var groups = [account.gid]
            guard setgroups(1, &groups) == 0 else { throw PrivilegeDropError.failed("setgroups(\(account.gid))") }
            guard setgid(account.gid) == 0 else { throw PrivilegeDropError.failed("setgid(\(account.gid))") }
            guard setuid(account.uid) == 0 else { throw PrivilegeDropError.failed("setuid(\(account.uid))") }
            guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid else {
                throw PrivilegeDropError.failed("becoming \(account.name)", reason: "the user or group did not change")
            }
            if account.uid != 0 && setuid(0) == 0 {
                throw PrivilegeDropError.failed("becoming \(account.name)", reason: "root can still be regained")
            }
        }
        // Kernels before 4.3 have no ambient set: nothing to clear.
        if respcap_clear_ambient_capabilities() != 0 && errno != EINVAL {
            throw PrivilegeDropError.failed("clearing the ambient capabilities")
        }
        guard respcap_clear_capabilities() == 0 else { throw PrivilegeDropError.failed("clearing the capabilities") }
        guard respcap_capabilities_are_clear() == 1 else {
            throw PrivilegeDropError.failed("clearing the capabilities", reason: "some remain")
        }
        guard respcap_set_no_new_privs() == 0, respcap_no_new_privs() == 1 else {
            throw PrivilegeDropError.failed("setting no_new_privs")
        }
        // A process of the same user could otherwise attach with ptrace and take the capture socket and the open
        // outputs (becoming another user does this by itself; keeping the user does not).
        _ = respcap_set_dumpable(0)
    }

    // MARK: User database

    static func account(named name: String) -> Account? {
        lookUp { entry, buffer, size, result in getpwnam_r(name, entry, buffer, size, result) }
    }

    /// A numeric uid: its entry when it has one, else the uid with the overflow group (65534), never a group that
    /// merely shares its number.
    static func account(numeric text: String) -> Account? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let uid = uid_t(text) else { return nil }
        return lookUp { entry, buffer, size, result in getpwuid_r(uid, entry, buffer, size, result) }
            ?? Account(name: text, uid: uid, gid: 65534)
    }

    private static func lookUp(_ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
                                        UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32) -> Account? {
        var size = 16 << 10
        while size <= 1 << 20 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: size)
            let status = buffer.withUnsafeMutableBufferPointer { call(&entry, $0.baseAddress!, $0.count, &result) }
            if status == ERANGE {
                size *= 4
                continue
            }
            guard status == 0, let found = result else { return nil }
            return Account(name: String(cString: found.pointee.pw_name), uid: found.pointee.pw_uid, gid: found.pointee.pw_gid)
        }
        return nil
    }
}

/// Why the capture process cannot run as asked: a `--user` refused before anything is opened (a usage error), or a
/// step of the drop that did not take (the capture does not start).
struct PrivilegeDropError: Error, CustomStringConvertible {
    private enum Code { case unknownUser, otherUser, noNobody, failed }

    private let code: Code
    let description: String

    /// A `--user` respcap refuses (or none given where one is needed), rather than a drop that failed.
    var isUsageError: Bool { code != .failed }

    static func unknownUser(_ name: String) -> Self {
        Self(code: .unknownUser, description: "--user \(name): no such user")
    }

    static func otherUser(_ name: String, effectiveUID: uid_t) -> Self {
        Self(code: .otherUser, description: "--user \(name): only root can run the capture as another user "
             + "(this is uid \(effectiveUID))")
    }

    static func noNobody() -> Self {
        Self(code: .noNobody, description: "there is no user 'nobody' to run the capture as: name one with --user")
    }

    /// `step` failed; `reason` defaults to errno's text.
    static func failed(_ step: String, reason: String? = nil) -> Self {
        Self(code: .failed, description: "cannot drop privileges before capturing (\(step)): "
             + (reason ?? String(cString: strerror(errno))))
    }
}
