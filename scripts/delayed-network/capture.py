"""Captures Redis traffic over a delayed network, at both ends, with its truth.

    capture.py --rtt-micros 2000 --out DIR [--requests 200] [--clients 2] [--tests set,get]

Root only. Builds two network namespaces, a client (10.0.3.2) and a server (10.0.9.1), joined by two TUN devices
and forwarder.py, which holds every packet for half of --rtt-micros each way: the configured round trip is
--rtt-micros plus the forwarder's own lateness (measured, in the truth). Then redis-server in the server
namespace, tcpdump on each namespace's TUN device (link type RAW), and redis-benchmark in the client namespace.
Writes into DIR:

  client-side.pcap   what the client's host saw (capture taken at the client)
  server-side.pcap   what the server's host saw (capture taken at the server)
  truth.json         the configured round trip, the one-way delays measured by matching each packet in the two
                     captures (one clock), the forwarder's lateness, the client and server addresses,
                     redis-benchmark's command line, the server's INFO deltas (commands, connections)

Everything is torn down at the end, also on failure.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ADDRESS = "10.0.3.2"
# A second client host: one long connection, so its round trip comes mostly from data samples.
SECOND_CLIENT_ADDRESS = "10.0.3.3"
SERVER_ADDRESS = "10.0.9.1"
PORT = 6379


def run(*args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def info(sock_path):
    """INFO over the unix socket (not in either capture): a dict of field → value."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(b"*2\r\n$4\r\nINFO\r\n$3\r\nall\r\n")
        data = b""
        while True:
            data += s.recv(65536)
            header, _, rest = data.partition(b"\r\n")
            if header.startswith(b"$") and len(rest) >= int(header[1:]):
                text = rest[: int(header[1:])].decode()
                break
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            fields[key] = value
    return fields


def calls(fields):
    out = {}
    for key, value in fields.items():
        if key.startswith("cmdstat_"):
            parts = dict(p.split("=") for p in value.split(","))
            out[key[len("cmdstat_"):]] = int(parts["calls"]) + int(parts.get("rejected_calls", 0))
    return out


def stop(process):
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pcap_packets(path):
    """(IPv4 addresses + first 16 TCP header bytes + length, capture time in µs) per packet of a RAW pcap."""
    with open(path, "rb") as f:
        data = f.read()
    nanos = struct.unpack("<I", data[:4])[0] == 0xA1B23C4D
    offset, out = 24, []
    while offset + 16 <= len(data):
        seconds, fraction, length, _ = struct.unpack("<IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + length]
        offset += 16 + length
        if packet and packet[0] >> 4 == 4:
            header = (packet[0] & 15) * 4
            out.append(((packet[12:20], packet[header:header + 16], len(packet)),
                        seconds * 1e6 + (fraction / 1000 if nanos else fraction)))
    return out


def one_way_delays(client_pcap, server_pcap):
    """Each packet's time from one capture to the other (same clock): the real one-way delay of the link."""
    at_server = dict(pcap_packets(server_pcap))
    to_server, to_client = [], []
    for key, time_at_client in pcap_packets(client_pcap):
        if key in at_server:
            delta = at_server[key] - time_at_client
            (to_server if delta > 0 else to_client).append(abs(delta))

    def summary(values):
        values.sort()
        pick = lambda p: round(values[min(len(values) - 1, int(len(values) * p / 100))]) if values else None
        return {"packets": len(values), "p50": pick(50), "p90": pick(90), "p99": pick(99)}
    return {"clientToServer": summary(to_server), "serverToClient": summary(to_client)}


def turnaround(client_pcap, host):
    """At the client's end: from each segment with data to `host` to the host's next segment on that connection
    (its ACK, alone or on its next request), the smallest of each 8 in a row, as the data samples take them: what a
    data sample at the server's end holds besides the round trip."""
    windows, current, pending = [], {}, {}
    with open(client_pcap, "rb") as f:
        data = f.read()
    nanos = struct.unpack("<I", data[:4])[0] == 0xA1B23C4D
    offset = 24
    while offset + 16 <= len(data):
        seconds, fraction, length, _ = struct.unpack("<IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + length]
        offset += 16 + length
        if not packet or packet[0] >> 4 != 4:
            continue
        header = (packet[0] & 15) * 4
        source, destination = socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20])
        sport, dport = struct.unpack(">HH", packet[header:header + 4])
        payload = len(packet) - header - (packet[header + 12] >> 4) * 4
        t = seconds * 1e6 + (fraction / 1000 if nanos else fraction)
        if destination == host and payload > 0:
            pending.setdefault(dport, t)
        elif source == host and sport in pending:
            window = current.setdefault(sport, [])
            window.append(t - pending.pop(sport))
            if len(window) == 8:
                windows.append(min(window))
                current[sport] = []
    windows.sort()
    return windows[len(windows) // 2] if windows else None


def truth_connections(before, after):
    """Connections the server accepted between the two INFO calls, less the "after" INFO's own (unix socket)."""
    return int(after["total_connections_received"]) - int(before["total_connections_received"]) - 1


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class DelayedNetwork:
    """The two namespaces, their TUN devices and the forwarder; `close` removes them all."""

    def __init__(self, rtt_micros, workdir):
        tag = str(os.getpid() % 100000)
        self.client_ns, self.server_ns = f"rcdn-c{tag}", f"rcdn-s{tag}"
        self.client_tun, self.server_tun = f"rcdnc{tag}", f"rcdns{tag}"
        self.stats_path = os.path.join(workdir, "forwarder.json")
        self.forwarder = None
        run("ip", "netns", "add", self.client_ns)
        run("ip", "netns", "add", self.server_ns)
        self.forwarder = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "forwarder.py"), self.client_tun, self.server_tun,
             str(rtt_micros // 2), self.stats_path], stdout=subprocess.PIPE, text=True)
        if self.forwarder.stdout.readline().strip() != "ready":
            raise RuntimeError("forwarder did not start")
        for ns, tun, locals_, remote in ((self.client_ns, self.client_tun, (CLIENT_ADDRESS, SECOND_CLIENT_ADDRESS),
                                          SERVER_ADDRESS + "/32"),
                                         (self.server_ns, self.server_tun, (SERVER_ADDRESS,), "10.0.3.0/24")):
            # IPv4 only: no router solicitations or other IPv6 chatter on the link.
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
            run("ip", "link", "set", tun, "netns", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            for local in locals_:
                run("ip", "-n", ns, "addr", "add", local + "/32", "dev", tun)
            run("ip", "-n", ns, "link", "set", tun, "up")
            run("ip", "-n", ns, "route", "add", remote, "dev", tun)

    def exec(self, ns, *args):
        return ["ip", "netns", "exec", ns, *args]

    def close(self):
        stats = None
        if self.forwarder is not None:
            stop(self.forwarder)
            if os.path.exists(self.stats_path):
                with open(self.stats_path) as f:
                    stats = json.load(f)
        for ns in (self.client_ns, self.server_ns):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        return stats


def one_connection(source, count):
    """`count` SET/GET pairs one at a time over one connection from `source` (a second client host)."""
    with socket.create_connection((SERVER_ADDRESS, PORT), source_address=(source, 0)) as s:
        for i in range(count):
            for command in (b"*3\r\n$3\r\nSET\r\n$4\r\nkey2\r\n$1\r\n%d\r\n" % (i % 10), b"*2\r\n$3\r\nGET\r\n$4\r\nkey2\r\n"):
                s.sendall(command)
                reply = b""
                while not reply.endswith(b"\r\n") or (reply.startswith(b"$") and reply.count(b"\r\n") < 2):
                    reply += s.recv(4096)


def capture(rtt_micros, out, requests, clients, tests, reconnects):
    os.makedirs(out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="respcap-delayed-")
    net = DelayedNetwork(rtt_micros, workdir)
    server = dumps = None
    try:
        sock_path = os.path.join(workdir, "redis.sock")
        server = subprocess.Popen(net.exec(net.server_ns, "redis-server", "--port", str(PORT), "--bind", SERVER_ADDRESS,
                                           "--unixsocket", sock_path, "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                           "--dir", workdir, "--logfile", os.path.join(workdir, "redis.log")))
        wait_for(lambda: os.path.exists(sock_path), 10, "redis-server")
        wait_for(lambda: "redis_version" in info(sock_path), 10, "redis-server to answer")
        version = info(sock_path)["redis_version"]
        before = info(sock_path)
        dumps = []
        for ns, tun, name in ((net.client_ns, net.client_tun, "client-side.pcap"),
                              (net.server_ns, net.server_tun, "server-side.pcap")):
            log = open(os.path.join(workdir, name + ".log"), "w+")
            dump = subprocess.Popen(net.exec(ns, "tcpdump", "-i", tun, "-s", "2048", "-B", "16384", "-U", "--immediate-mode", "-n",
                                             "-w", os.path.join(out, name), f"tcp port {PORT}"),
                                    stderr=log, stdout=subprocess.DEVNULL)
            dumps.append((dump, log))
        for dump, log in dumps:
            wait_for(lambda: "listening on" in open(log.name).read(), 10, "tcpdump")
        # Long-lived connections (data samples), then one connection per request (a handshake each).
        workloads = [
            ["redis-benchmark", "-h", SERVER_ADDRESS, "-p", str(PORT), "-c", str(clients), "-n", str(requests),
             "-t", tests, "-q"],
            ["redis-benchmark", "-h", SERVER_ADDRESS, "-p", str(PORT), "-c", str(clients), "-n", str(reconnects),
             "-t", "ping_mbulk", "-k", "0", "-q"],
            [sys.executable, os.path.abspath(__file__), "--one-connection", SECOND_CLIENT_ADDRESS, str(requests)],
        ]
        for workload in workloads:
            run(*net.exec(net.client_ns, *workload), stdout=subprocess.DEVNULL)
        time.sleep(0.5 + 2 * rtt_micros / 1e6)
        for dump, _ in dumps:
            dump.send_signal(signal.SIGINT)
        for dump, log in dumps:
            dump.wait(timeout=10)
            with open(log.name) as f:
                text = f.read()
            if "\n0 packets dropped by kernel" not in text:
                raise RuntimeError("tcpdump dropped packets: " + text)
        dumps = None
        after = info(sock_path)
    finally:
        for dump, _ in dumps or []:
            dump.kill()
        if server is not None:
            stop(server)
        forwarder = net.close()
        shutil.rmtree(workdir, ignore_errors=True)
    before_calls, after_calls = calls(before), calls(after)
    commands = {name: after_calls[name] - before_calls.get(name, 0) for name in after_calls
                if after_calls[name] != before_calls.get(name, 0)}
    commands.pop("info", None)
    syns, opened = {}, set()
    for (addresses, tcp, _), _ in pcap_packets(os.path.join(out, "server-side.pcap")):
        if tcp[13] & 0x12 == 0x02 and (addresses, tcp[:8]) not in opened:  # a SYN (not resent): a connection
            opened.add((addresses, tcp[:8]))
            host = socket.inet_ntoa(addresses[:4])
            syns[host] = syns.get(host, 0) + 1
    delays = one_way_delays(os.path.join(out, "client-side.pcap"), os.path.join(out, "server-side.pcap"))
    truth = {
        "configuredRoundTripMicros": rtt_micros,
        "measuredOneWayMicros": delays,
        "measuredRoundTripMicros": delays["clientToServer"]["p50"] + delays["serverToClient"]["p50"],
        "holdMicrosEachWay": rtt_micros // 2,
        "forwarder": forwarder,
        "clients": {
            CLIENT_ADDRESS: {"connections": syns[CLIENT_ADDRESS],
                             "workload": [" ".join(w) for w in workloads[:2]]},
            SECOND_CLIENT_ADDRESS: {"connections": syns[SECOND_CLIENT_ADDRESS], "workload": f"one connection, {requests} SET/GET pairs one at a time",
                                    "turnaroundMicros": turnaround(os.path.join(out, "client-side.pcap"),
                                                                   SECOND_CLIENT_ADDRESS)},
        },
        "captures": {"client-side.pcap": "client", "server-side.pcap": "server"},
        "server": {
            "version": version,
            "address": f"{SERVER_ADDRESS}:{PORT}",
            "commands": commands,
            "connectionsReceived": truth_connections(before, after),
        },
    }
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True)
        f.write("\n")
    return truth


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-micros", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--tests", default="set,get")
    parser.add_argument("--reconnects", type=int, default=40)
    parser.add_argument("--one-connection", nargs=2, help=argparse.SUPPRESS)
    if "--one-connection" in sys.argv:
        i = sys.argv.index("--one-connection")
        one_connection(sys.argv[i + 1], int(sys.argv[i + 2]))
        return
    a = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("capture.py needs root (network namespaces, TUN devices)")
    # A caller may have blocked or ignored the signals that stop tcpdump, redis-server and the forwarder (children
    # inherit both): take them back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not os.path.exists("/dev/net/tun"):  # containers often lack the node, not the driver
        os.makedirs("/dev/net", exist_ok=True)
        os.mknod("/dev/net/tun", 0o666 | stat.S_IFCHR, os.makedev(10, 200))
    truth = capture(a.rtt_micros, a.out, a.requests, a.clients, a.tests, a.reconnects)
    print(json.dumps(truth["forwarder"]))


if __name__ == "__main__":
    main()
