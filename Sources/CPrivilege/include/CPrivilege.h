// Linux process-credential calls Swift cannot make itself: prctl(2) is variadic and capset(2) has no libc wrapper.
// Used only by respcap's PrivilegeDrop and PrivilegedParent; each returns 0 on success, or -1 with errno set
// (ENOSYS where the platform has no such call).
#ifndef RESPCAP_CPRIVILEGE_H
#define RESPCAP_CPRIVILEGE_H

/// Empties the calling thread's permitted, effective and inheritable capability sets (capset, version 3).
int respcap_clear_capabilities(void);

/// 1 when the calling thread's permitted, effective and inheritable sets are all empty, 0 when not, -1 on error.
int respcap_capabilities_are_clear(void);

/// Empties the ambient set (PR_CAP_AMBIENT_CLEAR_ALL); kernels before 4.3 have none (EINVAL).
int respcap_clear_ambient_capabilities(void);

/// Removes every capability from the bounding set (needs CAP_SETPCAP, so before giving up root).
int respcap_drop_bounding_set(void);

/// PR_SET_NO_NEW_PRIVS: execve can never grant privileges again (setuid bits and file capabilities are ignored).
int respcap_set_no_new_privs(void);

/// 1 when no_new_privs is set, 0 when not, -1 on error.
int respcap_no_new_privs(void);

/// PR_SET_DUMPABLE: 0 keeps processes of the same user from ptrace-attaching (and taking open descriptors).
int respcap_set_dumpable(int dumpable);

/// PR_SET_PDEATHSIG: `signal` is sent to the caller when the thread that forked it ends. Cleared by credential
/// changes, so set after them.
int respcap_set_parent_death_signal(int signal);

#endif
