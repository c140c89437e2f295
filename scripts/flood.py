#!/usr/bin/python3
"""Writes hostile captures for measuring respcap's memory bounds under floods.

  flood.py syn OUT [N]        N SYNs (default 1,000,000) from distinct source address/port pairs to :6379
  flood.py open OUT [N]       N connections that complete the handshake, send one PING each and never close
  flood.py pipeline OUT [N] [K]  N connections (default 1,000) that each pipeline K PINGs (default 10,000) and
                              never get a reply: every command stays pending
  flood.py http OUT [N]       N connections to port 80 that complete the handshake, send two HTTP requests (the
                              second after the answer to the first) and never close: not Redis, found so by content

Then, e.g.:  /usr/bin/time -v respcap analyze -q --format json -o /dev/null OUT
"""

import struct
import sys


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    total = 20 + 20 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 0xFFFF, 0, 0)
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload


def write(out, packets):
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, data in enumerate(packets):
            sec, usec = divmod(i, 1_000_000)
            f.write(struct.pack("<IIII", 1_700_000_000 + sec, usec, len(data), len(data)))
            f.write(data)


def client(i):
    """A distinct (address, port) for connection i: 10.x.y.z, ports 1024-60999."""
    port = 1024 + i % 60000
    host = i // 60000
    return bytes([10, (host >> 16) & 0xFF, (host >> 8) & 0xFF, host & 0xFF]), port


SERVER = bytes([10, 255, 255, 1])


def syn_flood(n):
    for i in range(n):
        addr, port = client(i)
        yield frame(addr, SERVER, port, 6379, i, 0, 0x02)


def open_connections(n):
    ping = b"*1\r\n$4\r\nPING\r\n"
    for i in range(n):
        addr, port = client(i)
        yield frame(addr, SERVER, port, 6379, 100, 0, 0x02)
        yield frame(SERVER, addr, 6379, port, 500, 101, 0x12)
        yield frame(addr, SERVER, port, 6379, 101, 501, 0x10)
        yield frame(addr, SERVER, port, 6379, 101, 501, 0x18, ping)
        yield frame(SERVER, addr, 6379, port, 501, 101 + len(ping), 0x18, b"+PONG\r\n")


def http_connections(n):
    request = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    for i in range(n):
        addr, port = client(i)
        yield frame(addr, SERVER, port, 80, 100, 0, 0x02)
        yield frame(SERVER, addr, 80, port, 500, 101, 0x12)
        yield frame(addr, SERVER, port, 80, 101, 501, 0x10)
        seq, reply = 101, 501
        for _ in range(2):
            yield frame(addr, SERVER, port, 80, seq, reply, 0x18, request)
            seq += len(request)
            yield frame(SERVER, addr, 80, port, reply, seq, 0x18, response)
            reply += len(response)


def unanswered_pipelines(n, k):
    ping = b"*1\r\n$4\r\nPING\r\n"
    per_segment = 100
    for i in range(n):
        addr, port = client(i)
        yield frame(addr, SERVER, port, 6379, 100, 0, 0x02)
        yield frame(SERVER, addr, 6379, port, 500, 101, 0x12)
        yield frame(addr, SERVER, port, 6379, 101, 501, 0x10)
        seq = 101
        for sent in range(0, k, per_segment):
            payload = ping * min(per_segment, k - sent)
            yield frame(addr, SERVER, port, 6379, seq, 501, 0x18, payload)
            seq += len(payload)


def main(argv):
    if len(argv) < 2 or argv[0] not in ("syn", "open", "pipeline", "http"):
        print(__doc__, file=sys.stderr)
        return 64
    if argv[0] == "pipeline":
        n = int(argv[2]) if len(argv) > 2 else 1_000
        k = int(argv[3]) if len(argv) > 3 else 10_000
        write(argv[1], unanswered_pipelines(n, k))
        return 0
    n = int(argv[2]) if len(argv) > 2 else 1_000_000
    floods = {"syn": syn_flood, "open": open_connections, "http": http_connections}
    write(argv[1], floods[argv[0]](n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
