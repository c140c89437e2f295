#!/bin/sh
# Regenerates fixtures/*.pcap, *.truth.json and *.tcpdump.txt from a private redis-server.
# Usage: scripts/capture-fixtures.sh [SCENARIO...]   (no arguments: every scenario)
# Needs root (tcpdump on lo), redis-server, redis-benchmark, tcpdump, tshark and /usr/bin/python3
# with redis-py. See fixtures/README.md for the scenarios and scripts/fixtures/harness.py for how
# the truth files are reconciled.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in redis-server redis-benchmark tcpdump tshark; do
    command -v "$tool" >/dev/null || { echo "capture-fixtures: $tool not found" >&2; exit 1; }
done
# Debian's python3-redis (4.3) first: the ledger hooks Connection.pack_command, which redis-py 5 (if pip
# installed one under /usr/local) bypasses, and redis-py 5 adds CLIENT SETINFO to every connection.
PYTHONPATH=/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
/usr/bin/python3 -c "import redis" 2>/dev/null || {
    echo "capture-fixtures: /usr/bin/python3 lacks redis-py (apt install python3-redis)" >&2; exit 1; }
exec /usr/bin/python3 "$here/fixtures/capture.py" "$@"
