#!/bin/sh
# Regenerates fixtures/replication/*.pcap and *.truth.json: a real master and replica (redis-server --replicaof),
# disk-based and diskless full syncs, and a capture on the replica's host (replica-side). Needs root (tcpdump on
# lo), redis-server and /usr/bin/python3 with redis-py.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH=/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
exec /usr/bin/python3 "$here/fixtures/capture_replication.py" "$@"
