#!/usr/bin/env bash
# Tests the release artefacts of scripts/release.sh the way an operator uses them: in a clean Debian root with no
# Swift toolchain and no build tools, (1) the bare binary copied in, then (2) the .deb installed with dpkg, each
# running `respcap --version` and `respcap analyze` on a bundled capture whose report must open with the BRPOP
# finding. Needs root (debootstrap, chroot, mount). Not part of `swift test`: `make release` runs it.
#
# The root is a `debootstrap --variant=minbase` of this host's Debian suite, made once (network: deb.debian.org)
# and cached outside the repository; each run works in a throwaway copy, so the cache stays clean.
# Environment: RESPCAP_CHROOT_CACHE (default /var/cache/respcap-chroot), DEBIAN_MIRROR (default deb.debian.org).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "test-release.sh: FAIL: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount /proc); run it with sudo"
bin=dist/respcap
deb=$(ls dist/respcap_*_amd64.deb 2>/dev/null | head -n 1 || true)
[ -x "$bin" ] && [ -n "$deb" ] || die "no dist/respcap or dist/respcap_*_amd64.deb: run scripts/release.sh first"
fixture=fixtures/sidekiq-brpop-many-queues.pcap
[ -f "$fixture" ] || die "missing $fixture"

# --- the cached clean root ----------------------------------------------------------------------------------------
. /etc/os-release
suite=${VERSION_CODENAME:?cannot tell the host Debian suite from /etc/os-release}
cache=${RESPCAP_CHROOT_CACHE:-/var/cache/respcap-chroot}
base=$cache/$suite
if [ ! -f "$base/.respcap-minbase-ok" ]; then
    command -v debootstrap >/dev/null || die "debootstrap not installed (apt-get install debootstrap)"
    log "creating a minimal $suite root in $base (once; later runs reuse it)"
    rm -rf "$base.partial"
    mkdir -p "$cache"
    debootstrap --variant=minbase "$suite" "$base.partial" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2 \
        || die "debootstrap failed (log: $base.partial/debootstrap/debootstrap.log)"
    rm -rf "$base" && mv "$base.partial" "$base"
    touch "$base/.respcap-minbase-ok"
fi

# A throwaway copy: installing the .deb must not change the cache that the next run starts from.
root=$(mktemp -d /var/tmp/respcap-release-root.XXXXXX)
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
cp -a "$base/." "$root/"
mount -t proc proc "$root/proc"

# The point of the test: nothing of Swift is in the root.
if [ -e "$root/opt/swift" ] || find "$root/usr" -name 'libswift*' -print -quit | grep -q .; then
    die "the test root contains a Swift installation"
fi
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

check_report() { # $1: report file, $2: label
    grep -q 'blocking-pop-many-keys' "$1" || die "$2: the report lacks the blocking-pop-many-keys finding"
    grep -q 'Blocking pops name 234 keys per call' "$1" || die "$2: the BRPOP finding does not name 234 keys per call"
    log "$2: report has the finding: $(grep -m1 'blocking-pop-many-keys' "$1")"
}

mkdir -p "$root/srv/respcap"
cp "$fixture" "$root/srv/respcap/"

# The package's Depends that the root lacks, installed with apt as an operator would (network: the mirror).
install_missing_depends() {
    local missing=() pkg
    for pkg in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g'); do
        in_root dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    log "installing the runtime dependencies the root lacks: ${missing[*]}"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    in_root apt-get update -qq >&2 && in_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || die "cannot install ${missing[*]} in the test root"
}

# --- 1. the bare binary, copied to the host --------------------------------------------------------------------
cp "$bin" "$root/usr/local/bin/respcap"
log "bare binary: ldd inside the root"
bare_ldd=$(in_root ldd /usr/local/bin/respcap 2>&1 || true)
echo "$bare_ldd" >&2
if [[ $bare_ldd == *"not found"* ]]; then
    # A binary linked with a dynamic libpcap needs it on the host (docs/INSTALL.md); a static one needs nothing.
    install_missing_depends
fi
version=$(in_root /usr/local/bin/respcap --version) || die "bare binary: respcap --version failed"
[[ $version =~ ^respcap\ [0-9]+\.[0-9]+\.[0-9]+.*\(git\ [^\)]+\)$ ]] || die "bare binary: unexpected --version '$version'"
log "bare binary: $version"
in_root /usr/local/bin/respcap analyze /srv/respcap/sidekiq-brpop-many-queues.pcap > "$root/srv/respcap/bare.md" \
    || die "bare binary: respcap analyze exited $?"
check_report "$root/srv/respcap/bare.md" "bare binary"
rm "$root/usr/local/bin/respcap"

# --- 2. the .deb, installed with dpkg ----------------------------------------------------------------------------
cp "$deb" "$root/srv/respcap/respcap.deb"
log "installing $(basename "$deb") with dpkg"
install_missing_depends
in_root dpkg -i /srv/respcap/respcap.deb >&2 || die ".deb: dpkg -i failed"
in_root dpkg -s respcap | grep -q '^Status: install ok installed' || die ".deb: respcap is not installed"
for f in /usr/bin/respcap /usr/share/bash-completion/completions/respcap /usr/share/zsh/vendor-completions/_respcap \
         /usr/share/fish/vendor_completions.d/respcap.fish /usr/share/man/man1/respcap.1.gz; do
    [ -s "$root$f" ] || die ".deb: $f not installed"
done
gzip -t "$root/usr/share/man/man1/respcap.1.gz" || die ".deb: the man page is not valid gzip"
zcat "$root/usr/share/man/man1/respcap.1.gz" | grep -Eq '^\.(TH|Dt) ' || die ".deb: the man page has no .TH/.Dt header"
grep -q '_respcap' "$root/usr/share/bash-completion/completions/respcap" || die ".deb: the bash completion looks wrong"
deb_version=$(in_root respcap --version) || die ".deb: respcap --version failed"
[ "$deb_version" = "$version" ] || die ".deb: --version '$deb_version' differs from the binary's '$version'"
log ".deb: $deb_version"
in_root respcap analyze /srv/respcap/sidekiq-brpop-many-queues.pcap > "$root/srv/respcap/deb.md" \
    || die ".deb: respcap analyze exited $?"
check_report "$root/srv/respcap/deb.md" ".deb"
in_root dpkg -r respcap >&2 || die ".deb: dpkg -r respcap failed"

echo "test-release: 2 passed, 0 failed"
