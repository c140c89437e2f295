#!/usr/bin/env python3
"""Opens N connections to a Redis server, sends one PING on each and reads its PONG, then keeps every
connection open until stdin closes or reads a line: the capture of a server holding many idle clients.

Usage: idle_connections.py PORT N SOURCE   (prints "ready" on stdout once all N have their PONG)
Connections come from the address SOURCE (127.0.0.0/8 on loopback): give each process its own, as one address
has only so many ephemeral ports.
"""
import socket
import sys

PING = b"*1\r\n$4\r\nPING\r\n"


def main() -> int:
    port, count, source = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    held = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(PING)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                raise SystemExit("idle_connections: connection %d closed by the server" % i)
            reply += chunk
        if reply != b"+PONG\r\n":
            raise SystemExit("idle_connections: connection %d got %r" % (i, reply))
        held.append(s)
    print("ready", flush=True)
    sys.stdin.read()
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
