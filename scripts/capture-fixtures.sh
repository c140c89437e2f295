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
/usr/bin/python3 -c "import redis" 2>/dev/null || {
    echo "capture-fixtures: /usr/bin/python3 lacks redis-py (apt install python3-redis)" >&2; exit 1; }
exec /usr/bin/python3 "$here/fixtures/capture.py" "$@"
