#!/usr/bin/env bash
# Builds seed corpora for the fuzz targets into Fuzz/corpus-generated/ (git-ignored) from the bundled fixtures and,
# when present, the external captures in /work/shared/external-captures (read in place, never copied into git).
#   corpus-generated/pcap     whole capture files up to 256 KB (fuzz-pcap)
#   corpus-generated/packets  single frames, prefixed by nothing (fuzz-packets)
#   corpus-generated/resp     per-direction TCP payload streams, cut to 4 KB pieces (fuzz-resp)
#   corpus-generated/tls      per-direction TCP payload streams of fixtures/tls, first 24 KB (fuzz-tls)
#   corpus-generated/markdown NUL-separated names (command, key, client, error code, subcommand, queue, label)
#                             that once broke Markdown, or could (fuzz-markdown)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/corpus-generated"
external="${RESPCAP_EXTERNAL_CAPTURES:-$here/../../shared/external-captures}"
rm -rf "$out"
mkdir -p "$out/pcap" "$out/packets" "$out/resp" "$out/markdown" "$out/tls"

# Markdown seeds need nothing but printf.
seed=0
for names in 'nl\n## Injected heading\0a|b\0<script>alert(1)</script>\0<img/src=x>\0x|\n# sub\0q|`x`\0label\n# h' \
             'x` | <img src=x onerror=alert(1)>\0`\0``\0ERR\0- item\0***\0<!--' \
             'cr\r\n# h\033[2J\0 both \0\342\200\256rtl\0\377\376\0    code\0---\0&amp;' \
             'get\0key:1\0worker\0MOVED\0setname\0queue:1\0before.json'; do
    printf "$names" > "$out/markdown/seed-$seed"
    seed=$((seed + 1))
done

captures=("$here"/../fixtures/*.pcap "$here"/../fixtures/tls/*.pcap "$here"/../fixtures/replication/*.pcap)
if [ -d "$external" ]; then
    while IFS= read -r f; do captures+=("$f"); done < <(find "$external" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
fi

if ! command -v python3 >/dev/null; then
    # Without python3 the whole-file target still gets the fixtures; the others start from their crashers.
    echo "make-corpus.sh: no python3; seeding fuzz-pcap with the fixtures only" >&2
    for f in "$here"/../fixtures/*.pcap "$here"/../fixtures/replication/*.pcap; do [ "$(stat -c %s "$f")" -le 262144 ] && cp "$f" "$out/pcap/"; done
    exit 0
fi
python3 - "$out" "${captures[@]}" <<'PY'
import hashlib, os, struct, sys

out, paths = sys.argv[1], sys.argv[2:]

def save(kind, data):
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)

def records(blob):
    """(linktype, frame) of a pcap or pcapng file; stops quietly at anything odd."""
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        link = struct.unpack(e + "I", blob[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(blob):
            caplen = struct.unpack(e + "I", blob[off + 8:off + 12])[0]
            if off + 16 + caplen > len(blob): break
            yield link, blob[off + 16:off + 16 + caplen]
            off += 16 + caplen
    elif magic == b"\x0a\x0d\x0d\x0a":
        e, off, links = "<", 0, []
        while off + 12 <= len(blob):
            btype = struct.unpack("<I", blob[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if blob[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            length = struct.unpack(e + "I", blob[off + 4:off + 8])[0]
            if length < 12 or off + length > len(blob): break
            body = blob[off + 8:off + length - 4]
            if btype == 1 and len(body) >= 2:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen, _ = struct.unpack(e + "IIIII", body[:20])
                if iface < len(links): yield links[iface], body[20:20 + caplen]
            off += length

def tcp_payload(link, f):
    """((src, dst) key, payload) or None."""
    if link == 1:
        off, et = 14, f[12:14]
        while et in (b"\x81\x00", b"\x88\xa8") and len(f) >= off + 4:
            et, off = f[off + 2:off + 4], off + 4
    elif link == 113: off, et = 16, f[14:16]
    elif link == 276: off, et = 20, f[0:2]
    elif link in (0, 108): off, et = 4, b"\x08\x00" if 2 in f[:4] else b"\x86\xdd"
    elif link in (101, 228, 229): off, et = 0, b"\x08\x00" if f[:1] and f[0] >> 4 == 4 else b"\x86\xdd"
    else: return None
    ip = f[off:]
    if et == b"\x08\x00" and len(ip) >= 20 and ip[9] == 6:
        hl, src, dst, tcp = (ip[0] & 15) * 4, ip[12:16], ip[16:20], None
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[hl:max(total, hl)]
    elif et == b"\x86\xdd" and len(ip) >= 40 and ip[6] == 6:
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:]
    else:
        return None
    if len(tcp) < 20: return None
    return (src + tcp[0:2], dst + tcp[2:4]), tcp[(tcp[12] >> 4) * 4:]

for path in paths:
    try:
        blob = open(path, "rb").read()
    except OSError:
        continue
    if len(blob) <= 256 << 10:
        save("pcap", blob)
    streams, frames = {}, 0
    for link, frame in records(blob):
        if frames < 64:
            save("packets", frame)
        frames += 1
        tp = tcp_payload(link, frame)
        if tp and tp[1]:
            streams.setdefault(tp[0], bytearray()).extend(tp[1])
    for data in list(streams.values())[:32]:
        if "/fixtures/tls/" in path:
            save("tls", bytes(data[:24 << 10]))
            continue
        for i in range(0, min(len(data), 16 << 10), 4096):
            save("resp", bytes(data[i:i + 4096]))
PY
for d in pcap packets resp markdown tls; do echo "$d: $(ls "$out/$d" | wc -l) files"; done
