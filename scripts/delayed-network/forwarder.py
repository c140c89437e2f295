"""A delaying link between two TUN devices: every packet read from one is written to the other after a fixed hold.

    forwarder.py TUN_A TUN_B HOLD_MICROS STATS_JSON

Creates the two TUN devices (IFF_TUN | IFF_NO_PI: bare IP packets), prints "ready" once they exist (the caller
then moves each into its network namespace), and forwards until SIGTERM, when it writes its statistics to
STATS_JSON. Each direction holds for HOLD_MICROS, so a round trip through it takes twice that.

Packets wait in one heap ordered by release time, so the hold does not serialise throughput: a burst read at
once leaves at once, HOLD_MICROS later, in the order read. The process asks for real-time scheduling and a 1 ns
timer slack (both when allowed, as root), and polls instead of sleeping in the last 100 µs before a release, so
that a release is late by a few microseconds, not by a wake-up or a timeslice of whatever else runs. It starts
each write early by the recent average lateness (at most 50 µs), so that packets leave on time on average; how
late (or early) each packet left is measured and written to the statistics.
"""

import ctypes
import fcntl
import heapq
import json
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
PR_SET_TIMERSLACK = 29
SPIN_SECONDS = 0.0001
MAX_AHEAD_SECONDS = 0.00005


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def tighten_scheduling():
    """Real-time priority and a 1 ns timer slack; returns what was granted."""
    granted = []
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
        granted.append("timerslack=1ns")
    except OSError:
        pass
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
        granted.append("SCHED_FIFO")
    except (OSError, AttributeError):
        pass
    return granted


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def main():
    name_a, name_b, hold_micros, stats_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    hold = hold_micros / 1e6
    a, b = open_tun(name_a), open_tun(name_b)
    other = {a: b, b: a}
    granted = tighten_scheduling()
    heap = []
    sequence = 0
    late = []  # microseconds each packet left after its release time
    forwarded = {a: 0, b: 0}
    stopping = []
    ahead = 0.0  # how early to start a write so that the packet is out at its release time
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("ready", flush=True)
    while not stopping:
        # Sleep until shortly before the next release, then poll without sleeping: a wake-up from sleep is late by
        # tens of microseconds, which would add to every hold.
        timeout = max(0.0, heap[0][0] - ahead - time.monotonic() - SPIN_SECONDS) if heap else 0.5
        try:
            readable, _, _ = select.select([a, b], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd in readable:
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                heapq.heappush(heap, (now + hold, sequence, other[fd], packet))
                sequence += 1
                forwarded[fd] += 1
        now = time.monotonic()
        while heap and heap[0][0] - ahead <= now:
            release, _, out, packet = heapq.heappop(heap)
            try:
                os.write(out, packet)
            except OSError:
                pass  # the device's queue is full or it went away: the packet is lost, as on a real link
            now = time.monotonic()
            late.append(int((now - release) * 1e6))
            # Steer the write's own time out of the hold: lateness averages to zero.
            ahead = min(MAX_AHEAD_SECONDS, max(0.0, ahead + (now - release) / 16))
    late.sort()
    stats = {
        "holdMicrosEachWay": hold_micros,
        "packets": {"aToB": forwarded[a], "bToA": forwarded[b]},
        "scheduling": granted,
        "lateMicros": {"p50": percentile(late, 50), "p90": percentile(late, 90), "p99": percentile(late, 99),
                       "max": late[-1] if late else 0},
    }
    with open(stats_path, "w") as f:
        json.dump(stats, f, indent=2)


if __name__ == "__main__":
    main()
