#!/bin/sh
# Regenerates fixtures/ports/: Redis on port 6401 among HTTP, TLS, PostgreSQL and memcached traffic, and those
# protocols alone, with the Redis server's INFO counters as the truth. Needs root (tcpdump on lo), redis-server,
# redis-benchmark, curl, openssl, memcached, postgresql (initdb, postgres, psql; run as the postgres user) and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in redis-server redis-benchmark tcpdump curl openssl memcached psql runuser; do
    command -v "$tool" >/dev/null || { echo "capture-ports: $tool not found" >&2; exit 1; }
done
exec python3 "$here/fixtures/capture_ports.py" "$@"
