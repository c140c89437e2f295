#!/bin/sh
# Regenerates fixtures/corpus/NAME.pcap, NAME.truth.json and NAME.tcpdump.txt: real job frameworks and
# clients (Celery, RQ, Dramatiq, arq, BullMQ, Sidekiq, node-redis, redis-py), healthy and in incident
# variants, each against a private redis-server, with server truth (INFO deltas, MONITOR for commands run
# inside scripts) reconciled against the clients' own ledger and the capture.
# Usage: scripts/capture-corpus.sh [NAME...]   (no arguments: every scenario; -l lists them)
# Needs root (tcpdump on lo). Installs nothing: prints what is missing and stops.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
missing=""
for tool in redis-server tcpdump tshark node ruby sidekiq dpkg-query; do
    command -v "$tool" >/dev/null || missing="$missing\n  command $tool"
done
for mod in redis celery kombu rq dramatiq arq bullmq; do
    /usr/bin/python3 -c "import $mod" 2>/dev/null || missing="$missing\n  python module $mod (/usr/bin/python3)"
done
/usr/bin/python3 - <<'PY' 2>/dev/null || missing="$missing\n  redis-py >= 5 for /usr/bin/python3 (RESP3, redis.asyncio)"
import redis, sys
sys.exit(0 if int(redis.__version__.split(".")[0]) >= 5 else 1)
PY
[ -f /usr/share/nodejs/redis/package.json ] || missing="$missing\n  node module redis (Debian node-redis)"
ruby -e 'require "sidekiq"' 2>/dev/null || missing="$missing\n  ruby gem sidekiq (Debian ruby-sidekiq)"
if [ -n "$missing" ]; then
    printf "capture-corpus: missing:%b\n" "$missing" >&2
    cat >&2 <<'HINT'
Install (nothing is installed by this script):
  apt-get install -y redis-server redis-tools tcpdump tshark ruby-sidekiq nodejs node-redis
  /usr/bin/python3 -m pip install --break-system-packages 'redis>=5,<6' celery==5.5.3 kombu==5.5.4 \
      rq dramatiq arq bullmq
(bullmq and arq need redis-py < 6; kombu 5.6+ refuses redis-py < 6.1, hence Celery 5.5 / kombu 5.5.
The corpus was captured with redis-py 5.3.1, Celery 5.5.3, kombu 5.5.4, RQ 3.0.0, Dramatiq 2.2.1,
arq 0.28.0, bullmq 2.15.0, Debian's ruby-sidekiq 6.4.1 / ruby-redis 4.8.0 and node-redis 4.5.1.)
HINT
    exit 1
fi
[ "$(id -u)" = 0 ] || { echo "capture-corpus: needs root (tcpdump on lo)" >&2; exit 1; }
exec /usr/bin/python3 "$here/fixtures/capture_corpus.py" "$@"
