#!/usr/bin/env python3
"""Measures respcap against the read floor (tcpdump -r FILE -w /dev/null) and tshark's RESP decode on the
same files in the same run, and writes a Markdown table (Benchmarks/RESULTS.md by default).

Usage: Benchmarks/run.py [--respcap PATH] [--runs N] [--no-tshark] [--tshark-max-mb N] [--out FILE] [--port P]
                         [--extra-args '...'] FILE...
Wall time is the median of N runs, the tools taking turns (tshark runs once, half-way); peak RSS is the largest
seen. Packets and commands come from respcap's own
JSON report (capture.packets, totals.commands)."""
import argparse, json, os, shlex, stat, statistics, subprocess, sys, time, platform

def run(cmd, stdout=subprocess.DEVNULL):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        sys.exit(f"bench: {' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024.0  # MiB

# As root, tcpdump drops to its own user and chowns the file it writes, /dev/null included: keep the user.
TCPDUMP_KEEP_USER = ["-Z", "root"] if os.geteuid() == 0 else []

def require_null_device():
    """The read floor is `tcpdump -w /dev/null`: when /dev/null is a regular file (a root process once replaced it),
    tcpdump writes the whole capture to disk and the floor is wrong. Refuse to measure then."""
    mode = os.stat("/dev/null").st_mode
    if not stat.S_ISCHR(mode):
        sys.exit("bench: /dev/null is not a character device, so tcpdump's read floor would include writing the "
                 "capture to disk; restore it (rm /dev/null && mknod -m 666 /dev/null c 1 3) and run again")

def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip(); break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("files", nargs="+")
    p.add_argument("--respcap", default=os.path.join(here, "..", ".build", "release", "respcap"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-tshark", action="store_true")
    p.add_argument("--tshark-max-mb", type=float, default=300)
    p.add_argument("--port", default="16379")
    p.add_argument("--extra-args", default="")
    p.add_argument("--out", default=os.path.join(here, "RESULTS.md"))
    a = p.parse_args()
    require_null_device()
    rows = []
    for path in a.files:
        size_mb = os.path.getsize(path) / 1e6
        report = subprocess.run([a.respcap, "analyze", "-q", "--port", a.port, "--format", "json", path]
                                + shlex.split(a.extra_args), capture_output=True, check=False).stdout
        r = json.loads(report)
        packets = r["capture"]["packets"]
        commands = r["totals"]["commands"]
        name = os.path.basename(path)
        tools = [("respcap (json)", [a.respcap, "analyze", "-q", "--port", a.port, "--format", "json", path] + shlex.split(a.extra_args)),
                 ("respcap (markdown)", [a.respcap, "analyze", "-q", "--port", a.port, "--format", "markdown", path] + shlex.split(a.extra_args)),
                 ("tcpdump -r -w /dev/null", ["tcpdump", "-r", path, "-w", "/dev/null"] + TCPDUMP_KEEP_USER)]
        if not a.no_tshark and size_mb <= a.tshark_max_mb:
            tools.append(("tshark RESP decode", ["tshark", "-r", path, "-d", f"tcp.port=={a.port},resp", "-T", "fields", "-e", "resp.bulk_string.value"]))
        # Round-robin, tshark's one run half-way: on a shared machine the load changes within minutes, and every
        # tool should see the same share of it.
        walls, peaks = {label: [] for label, _ in tools}, {label: 0.0 for label, _ in tools}
        repeated = [(label, cmd) for label, cmd in tools if not label.startswith("tshark")]
        for round_index in range(a.runs):
            if round_index == a.runs // 2:
                for label, cmd in tools:
                    if label.startswith("tshark"):
                        wall, peak = run(cmd)
                        walls[label].append(wall); peaks[label] = max(peaks[label], peak)
            for label, cmd in repeated:
                wall, peak = run(cmd)
                walls[label].append(wall); peaks[label] = max(peaks[label], peak)
        results = {}
        for label, _ in tools:
            wall = statistics.median(walls[label])
            results[label] = (wall, peaks[label], min(walls[label]), max(walls[label]))
            print(f"{name:16} {label:24} {wall:8.2f} s {size_mb / wall:8.1f} MB/s {packets / wall / 1e6:6.2f} Mpkt/s "
                  f"{commands / wall / 1e6:6.2f} Mcmd/s {peaks[label]:7.1f} MiB  (runs {min(walls[label]):.2f}–{max(walls[label]):.2f} s)",
                  flush=True)
        rows.append((name, size_mb, packets, commands, results))
    lines = [f"# Benchmark results", "", f"Machine: {machine()}. Median of {a.runs} runs (tshark: 1 run, half-way through "
             f"them), the tools taking turns; peak RSS is the maximum. respcap: release build, all analyses on. /dev/null "
             f"was checked to be a character device before measuring.", "",
             "| capture | MB | packets | commands | tool | wall s | runs s (min–max) | MB/s | packets/s | commands/s | peak RSS MiB |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    ratios = []
    for name, size_mb, packets, commands, results in rows:
        for label, (wall, rss, low, high) in results.items():
            lines.append(f"| {name} | {size_mb:.0f} | {packets:,} | {commands:,} | {label} | {wall:.2f} | {low:.2f}–{high:.2f} | "
                         f"{size_mb / wall:.0f} | {packets / wall:,.0f} | {commands / wall:,.0f} | {rss:.1f} |")
        rc, td = results["respcap (json)"][0], results["tcpdump -r -w /dev/null"][0]
        line = (f"- {name}: respcap runs at {td / rc:.2f}× the speed of tcpdump (respcap ÷ tcpdump time = {rc / td:.2f}); "
                f"the read floor here: tcpdump -r -w /dev/null at {size_mb / td:.0f} MB/s")
        if "tshark RESP decode" in results:
            line += f"; tshark ÷ respcap time = {results['tshark RESP decode'][0] / rc:.1f}"
        ratios.append(line)
    lines += ["", "Ratios (JSON output):", ""] + ratios + [""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(ratios))

if __name__ == "__main__":
    main()
