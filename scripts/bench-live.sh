#!/usr/bin/env bash
# How many commands per second `respcap live` keeps up with on lo with zero drops.
#
# Starts a redis-server on a spare port, then for each pipeline depth runs `respcap live -i lo` (release build)
# while redis-benchmark sends SET/GET as fast as it can from 50 connections, stops respcap with SIGINT, and prints
# the command rate over the capture, respcap's command count against the server's INFO commandstats delta, and
# the drops (kernel, interface, not analysed). Everything shares the machine: redis-server, redis-benchmark and
# respcap's two threads. Needs root (or CAP_NET_RAW).
#
#   swift build -c release && sudo scripts/bench-live.sh            # depths 1 4 16 64, 1M requests each
#   DEPTHS="16" REQUESTS=2000000 scripts/bench-live.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${RESPCAP:-.build/release/respcap}
PORT=${PORT:-16381}
REQUESTS=${REQUESTS:-1000000}
DEPTHS=${DEPTHS:-"1 4 16 64"}
CLIENTS=${CLIENTS:-50}
EXTRA=${EXTRA:-}          # extra respcap options, e.g. "--immediate" or "-B 8192"
PY=/usr/bin/python3
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
work=$(mktemp -d)
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$work/redis.log" --dir "$work"
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

stats() { redis-cli -p "$PORT" info commandstats | tr -d '\r' | grep '^cmdstat_' || true; }

echo "machine: $(nproc) cores, $(uname -sr), $(redis-server --version | cut -d' ' -f3)"
printf '%-6s %12s %12s %12s %10s %10s %10s %6s\n' depth "cmd/s" respcap server kernel ifdrop notAnal exit
for depth in $DEPTHS; do
    stats >"$work/before"
    # shellcheck disable=SC2086
    "$BIN" live -i lo --port "$PORT" --format json -o "$work/report.json" $EXTRA 2>"$work/respcap.err" &
    pid=$!
    for _ in $(seq 100); do grep -q "capturing on" "$work/respcap.err" 2>/dev/null && break; sleep 0.05; done
    redis-benchmark -p "$PORT" -n "$REQUESTS" -c "$CLIENTS" -P "$depth" -t set,get -q >/dev/null
    stats >"$work/after"
    sleep 0.3
    kill -INT "$pid"
    set +e; wait "$pid"; rc=$?; set -e
    "$PY" - "$work" "$depth" "$rc" <<'EOF'
import json, sys
work, depth, rc = sys.argv[1], sys.argv[2], sys.argv[3]
def calls(path):
    out = {}
    for line in open(path):
        name, _, fields = line.strip()[8:].partition(":")
        kv = dict(f.split("=") for f in fields.split(","))
        out[name] = int(kv["calls"]) + int(kv.get("rejected_calls", 0))
    return out
before, after = calls(f"{work}/before"), calls(f"{work}/after")
server = sum(after[k] - before.get(k, 0) for k in after)
r = json.load(open(f"{work}/report.json"))
q = r["quality"]
seen = r["totals"]["commands"]
print(f"{depth:<6} {r['totals']['commandsPerSecond']:>12.0f} {seen:>12} {server:>12} {q['captureDropsKernel']:>10} "
      f"{q['captureDropsInterface']:>10} {q['packetsNotAnalysed']:>10} {rc:>6}")
EOF
done
