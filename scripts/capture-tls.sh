#!/bin/sh
# Regenerates fixtures/tls/: TLS captures of a private redis-server (--tls-port, a throwaway CA made here with
# openssl), the clients' NSS key logs, and truth files with the server's own INFO counters before and after.
# Usage: scripts/capture-tls.sh [SCENARIO...]   (no arguments: every scenario)
#        scripts/capture-tls.sh --inject-secrets [SCENARIO...]   (only the *.secrets.pcapng copies)
# Needs root (tcpdump on lo), redis-server built with TLS (Debian's is), openssl, tcpdump, editcap and
# /usr/bin/python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in redis-server openssl tcpdump editcap; do
    command -v "$tool" >/dev/null || { echo "capture-tls: $tool not found" >&2; exit 1; }
done
exec /usr/bin/python3 "$here/fixtures/capture_tls.py" "$@"
