/*
 * Linked only into release binaries built by scripts/release.sh, and only when libpcap is linked statically.
 *
 * Debian's libpcap.a is built with D-Bus capture support, so it needs libdbus-1.a, whose sysdeps object calls
 * sd_listen_fds() and sd_is_socket() in _dbus_listen_systemd_sockets(): the code path of a D-Bus *server*
 * started by systemd socket activation, which a D-Bus client (libpcap) never takes. Debian ships no static
 * libsystemd, and linking libsystemd.so would add the dependency we are removing. These two functions give the
 * answer libsystemd gives a process that was not socket-activated: no file descriptors passed.
 */
#include <errno.h>

int sd_listen_fds(int unset_environment) {
    (void)unset_environment;
    return 0;
}

int sd_is_socket(int fd, int family, int type, int listening) {
    (void)fd; (void)family; (void)type; (void)listening;
    return -ENOSYS;
}
