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
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ADDRESS = "10.0.3.2"
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
        for ns, tun, local, peer in ((self.client_ns, self.client_tun, CLIENT_ADDRESS, SERVER_ADDRESS),
                                     (self.server_ns, self.server_tun, SERVER_ADDRESS, CLIENT_ADDRESS)):
            # IPv4 only: no router solicitations or other IPv6 chatter on the link.
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
            run("ip", "link", "set", tun, "netns", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "addr", "add", local, "peer", peer, "dev", tun)
            run("ip", "-n", ns, "link", "set", tun, "up")

    def exec(self, ns, *args):
        return ["ip", "netns", "exec", ns, *args]

    def close(self):
        stats = None
        if self.forwarder is not None:
            self.forwarder.send_signal(signal.SIGTERM)
            self.forwarder.wait(timeout=10)
            if os.path.exists(self.stats_path):
                with open(self.stats_path) as f:
                    stats = json.load(f)
        for ns in (self.client_ns, self.server_ns):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        return stats


def capture(rtt_micros, out, requests, clients, tests):
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
        benchmark = ["redis-benchmark", "-h", SERVER_ADDRESS, "-p", str(PORT), "-c", str(clients),
                     "-n", str(requests), "-t", tests, "-q"]
        run(*net.exec(net.client_ns, *benchmark), stdout=subprocess.DEVNULL)
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
            server.terminate()
            server.wait(timeout=10)
        forwarder = net.close()
        shutil.rmtree(workdir, ignore_errors=True)
    before_calls, after_calls = calls(before), calls(after)
    commands = {name: after_calls[name] - before_calls.get(name, 0) for name in after_calls
                if after_calls[name] != before_calls.get(name, 0)}
    commands.pop("info", None)
    delays = one_way_delays(os.path.join(out, "client-side.pcap"), os.path.join(out, "server-side.pcap"))
    truth = {
        "configuredRoundTripMicros": rtt_micros,
        "measuredOneWayMicros": delays,
        "measuredRoundTripMicros": delays["clientToServer"]["p50"] + delays["serverToClient"]["p50"],
        "holdMicrosEachWay": rtt_micros // 2,
        "forwarder": forwarder,
        "client": CLIENT_ADDRESS,
        "captures": {"client-side.pcap": "client", "server-side.pcap": "server"},
        "workload": " ".join(benchmark),
        "server": {
            "version": version,
            "address": f"{SERVER_ADDRESS}:{PORT}",
            "commands": commands,
            "connectionsReceived": int(after["total_connections_received"]) - int(before["total_connections_received"]),
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
    a = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("capture.py needs root (network namespaces, TUN devices)")
    truth = capture(a.rtt_micros, a.out, a.requests, a.clients, a.tests)
    print(json.dumps(truth["forwarder"]))


if __name__ == "__main__":
    main()
