#!/bin/bash
# Generates the benchmark captures with a real redis-server and redis-benchmark on loopback.
# Usage: Benchmarks/generate.sh [mix|mix1g|brpop|churn|idle|small ...]   (no arguments: every input but idle)
# Writes to $BENCH_DATA (default Benchmarks/data, git-ignored). Needs root (tcpdump on lo),
# redis-server, redis-benchmark and tcpdump. The server listens on $BENCH_PORT (default 16379) so it
# does not meet another Redis on 6379.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${BENCH_DATA:-$here/data}
port=${BENCH_PORT:-16379}
mkdir -p "$data"
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

start_server() {
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --maxclients 20000 --logfile "$work/redis.log" &
    echo $! > "$work/redis.pid"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
    echo "generate: redis-server did not start" >&2; exit 1
}
stop_server() { kill "$(cat "$work/redis.pid")"; wait "$(cat "$work/redis.pid")" 2>/dev/null || true; rm -f "$work/redis.pid"; }

# capture NAME TARGET_BYTES COMMAND...: runs COMMAND in a loop under tcpdump until the file reaches TARGET_BYTES.
capture() {
    local name=$1 target=$2; shift 2
    local file="$data/$name.pcap"
    tcpdump -i lo -s 0 -B 65536 -U -w "$file" "tcp port $port" 2>"$work/tcpdump.log" &
    local dump=$!
    echo $dump > "$work/tcpdump.pid"
    sleep 1
    while [ "$(stat -c %s "$file")" -lt "$target" ]; do "$@" >/dev/null; done
    sleep 1
    kill -INT $dump; wait $dump 2>/dev/null || true
    rm -f "$work/tcpdump.pid"
    grep -i 'dropped by kernel' "$work/tcpdump.log" >&2 || true
    echo "generate: $file $(stat -c %s "$file") bytes" >&2
}

# ~50 clients; a mix of the common commands, pipelined (-P 16) and not, random keys from a 100k space
# (KEYSPACE overrides it: 10k vs 1M distinct keys).
mix_round() {
    local keyspace=${KEYSPACE:-100000}
    redis-benchmark -p "$port" -c 50 -n 20000 -r "$keyspace" -P 16 -q \
        -t set,get,incr,lpush,rpop,sadd,hset,zadd,mset,lrange_100
    redis-benchmark -p "$port" -c 50 -n 2000 -r "$keyspace" -q -t set,get,incr,lpush,rpop,sadd,hset,zadd
}

# BRPOP over 234 keys each (0.01 s timeout, so every call returns) while a producer feeds some of them.
brpop_round() {
    local keys=""
    for i in $(seq 234); do keys="$keys queue:$i"; done
    redis-benchmark -p "$port" -c 10 -n 20000 -r 234 -q lpush queue:__rand_int__ job >/dev/null &
    local producer=$!
    redis-benchmark -p "$port" -c 40 -n 40000 -q brpop $keys 0.01
    wait $producer
}

# 100,000 short connections: one PING each (keep-alive off).
churn_round() { redis-benchmark -p "$port" -c 20 -n 100000 -k 0 -q -t ping_mbulk; }

# 200,000 connections that each send one PING and stay open past the capture's end: the memory a tracked
# connection costs. A process may hold only so many descriptors here, so 20 servers (ports $port+1...$port+20,
# analyse with --port) hold 10,000 clients each, one client process per server. The capture stops before they close.
capture_idle() {
    local servers=20 per_server=${IDLE_PER_SERVER:-10000} file="$data/idle200k.pcap" first=$((port + 1))
    local last=$((port + servers))
    for p in $(seq $first $last); do
        redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
            --maxclients $((per_server + 100)) --protected-mode no --logfile "$work/redis-$p.log" &
        echo $! > "$work/redis-$p.pid"
    done
    for p in $(seq $first $last); do
        for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    tcpdump -i lo -s 0 -B 65536 -U -w "$file" "tcp portrange $first-$last" 2>"$work/tcpdump.log" &
    local dump=$!
    echo $dump > "$work/tcpdump.pid"
    sleep 1
    mkfifo "$work/idle.in"
    local clients=""
    for p in $(seq $first $last); do
        python3 "$here/idle_connections.py" "$p" "$per_server" "127.0.1.$((p - port))" < "$work/idle.in" \
            > "$work/idle-$p.out" &
        clients="$clients $!"
    done
    exec 7> "$work/idle.in"
    for p in $(seq $first $last); do
        until grep -q ready "$work/idle-$p.out" 2>/dev/null; do
            for c in $clients; do kill -0 "$c" 2>/dev/null || { echo "generate: idle_connections.py failed" >&2; exit 1; }; done
            sleep 1
        done
    done
    sleep 1
    kill -INT $dump; wait $dump 2>/dev/null || true
    rm -f "$work/tcpdump.pid"
    exec 7>&-
    for c in $clients; do wait "$c"; done
    for p in $(seq $first $last); do kill "$(cat "$work/redis-$p.pid")"; rm -f "$work/redis-$p.pid"; done
    grep -i 'dropped by kernel' "$work/tcpdump.log" >&2 || true
    echo "generate: $file $(stat -c %s "$file") bytes (ports $first-$last)" >&2
}

start_server
for input in "${@:-small mix brpop churn mix1g}"; do
    for one in $input; do
        case $one in
            small) capture small $((20 << 20)) mix_round ;;
            mix) capture mix200m $((200 << 20)) mix_round ;;
            mix1g) capture mix1g $((1024 << 20)) mix_round ;;
            keys10k) KEYSPACE=10000 capture keys10k $((200 << 20)) mix_round ;;
            keys1m) KEYSPACE=1000000 capture keys1m $((200 << 20)) mix_round ;;
            brpop) capture brpop234 $((50 << 20)) brpop_round ;;
            idle) capture_idle ;;
            churn) redis-cli -p "$port" config set maxclients 20000 >/dev/null; capture churn100k $((1 << 20)) churn_round ;;
            *) echo "generate: unknown input $one" >&2; exit 2 ;;
        esac
    done
done
stop_server
