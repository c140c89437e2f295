#include "CPrivilege.h"

#include <errno.h>

#ifdef __linux__
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// Older headers lack these; the values are the kernel's ABI.
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif
#ifndef PR_GET_NO_NEW_PRIVS
#define PR_GET_NO_NEW_PRIVS 39
#endif

int respcap_clear_capabilities(void) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };
    return (int)syscall(SYS_capset, &header, data);
}

int respcap_capabilities_are_clear(void) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
        if (data[i].effective || data[i].permitted || data[i].inheritable) return 0;
    }
    return 1;
}

int respcap_clear_ambient_capabilities(void) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

int respcap_drop_bounding_set(void) {
    // The kernel's last capability is not known at compile time: drop until it says there is no such one.
    for (unsigned long cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) return 0;
            return -1;
        }
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -1;
    }
    return 0;
}

int respcap_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

int respcap_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }

int respcap_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }

int respcap_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }

#else

static int unsupported(void) {
    errno = ENOSYS;
    return -1;
}

int respcap_clear_capabilities(void) { return unsupported(); }
int respcap_capabilities_are_clear(void) { return unsupported(); }
int respcap_clear_ambient_capabilities(void) { return unsupported(); }
int respcap_drop_bounding_set(void) { return unsupported(); }
int respcap_set_no_new_privs(void) { return unsupported(); }
int respcap_no_new_privs(void) { return unsupported(); }
int respcap_set_dumpable(int dumpable) { (void)dumpable; return unsupported(); }
int respcap_set_parent_death_signal(int signal) { (void)signal; return unsupported(); }

#endif
