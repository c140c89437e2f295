#!/usr/bin/env bash
# Regenerates fixtures/network-delay/: the same workload over round trips of 0.5, 2 and 20 ms, captured at the
# client's and at the server's end (capture.py; root, redis-server, redis-tools, tcpdump, iproute2, python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
for rtt in 500:rtt-0.5ms 2000:rtt-2ms 20000:rtt-20ms; do
    micros=${rtt%%:*}
    out=fixtures/network-delay/${rtt#*:}
    rm -rf "$out"
    /usr/bin/python3 scripts/delayed-network/capture.py --rtt-micros "$micros" --out "$out" --requests 100 --reconnects 30 \
        2> >(grep -v '^WARNING: Keepalive disabled' >&2)
    chmod 644 "$out"/*
done
