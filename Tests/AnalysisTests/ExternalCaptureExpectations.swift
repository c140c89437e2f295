// Expected respcap results for the third-party captures in ../shared/external-captures (data only).
//
// Every number comes from the upstream project's own expected output (Zeek/spicy-redis baselines, tcpdump .out,
// Packetbeat test assertions, nDPI .out), checked against the bytes on the wire (tshark's RESP dissector and
// follow-stream, plus a replay of each stream through redis-server's own request-splitting rules). Where upstream
// and the wire differ, the wire wins and `why` says so. EXTERNAL-CAPTURES.md gives the derivation per capture.
//
// Conventions behind the numbers:
// - `commands` uses INFO commandstats names: lowercase first argument, `parent|sub` for container commands.
// - An empty inline line and a `*0`/`*-1` header are not requests (redis-server skips them).
// - SUBSCRIBE-family commands are answered by their confirmations (one per channel, RESP2 array or RESP3 push):
//   respcap pairs those with the command, as redis-server sends them in its place (Zeek logs such commands
//   without a reply and counts the confirmations as published data). `pushes` counts the rest: `message`/
//   `pmessage` arrays on a subscribed connection and every other RESP3 `>` frame.
// - CLIENT REPLY OFF and SKIP get no reply; commands while OFF and the one after SKIP get none either.
// - `errorReplies` counts top-level `-` and `!` replies; `errorsByPrefix` keys are the first word of the message.
// - Traffic that is not Redis (TLS, fuzzed bytes) yields no commands and no replies; a capture holding nothing else
//   (no command, reply or push expected) is `unusable`: its quality has a `reason` and `analyze` exits with 6.

struct ExternalCaptureExpectation: Sendable {
    let directory: String          // folder name under ../shared/external-captures
    let file: String               // capture file name
    let ports: [UInt16]
    let commands: [String: Int]?   // calls by respcap command name; nil = not asserted
    let totalCommands: Int?
    let errorReplies: Int?
    let errorsByPrefix: [String: Int]?
    let pushes: Int?               // RESP3 pushes + RESP2 pub/sub messages (not replies)
    let unpairedReplies: Int?
    let connections: Int?          // TCP connections with at least one segment on a Redis port
    let notRedis: Bool             // the port carries traffic that is not (only) Redis
    let truncatedFile: Bool        // the capture file itself ends mid-record
    let why: String                // upstream file(s) the numbers come from; differences and their reasons
}

enum ExternalCaptures {
    static let all: [ExternalCaptureExpectation] = [
        ExternalCaptureExpectation(
            directory: "ndpi-resp", file: "resp.pcap", ports: [6379],
            commands: ["command": 1, "ping": 1, "set": 1, "get": 1], totalCommands: 4,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                resp.pcap.out: one flow 192.168.88.221:51882 <-> 192.168.88.231:6379 classified RESP, 22/17 packets. \
                nDPI prints no commands; they come from the stream: plain COMMAND (no subcommand, so `command`), \
                lowercase ping, set test "Hello world!", get test, four replies (COMMAND's is 90 KB, depth 8).
                """),
        ExternalCaptureExpectation(
            directory: "packetbeat-redis-one-transaction", file: "redis_one_transaction.pcap", ports: [6380],
            commands: ["lindex": 1], totalCommands: 1,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                EXPECTED.md (test_0022): exactly one transaction with redis_ports=[6380]; the wire holds \
                `lindex test 1` -> `$6 hello1`. Port 6380, not the default.
                """),
        ExternalCaptureExpectation(
            directory: "packetbeat-redis-session", file: "redis_session.pcap", ports: [6380],
            commands: ["set": 1, "get": 1, "llen": 2, "lpush": 3, "lindex": 4], totalCommands: 11,
            errorReplies: 1, errorsByPrefix: ["ERR": 1], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                EXPECTED.md (test_0013): events SET, GET, LLEN (Error: `ERR Operation against a key holding the \
                wrong kind of value`), then OK events; the test does not assert a count, the wire has 11 pairs \
                (set, get, llen, lpush x3, llen, lindex x4). Pre-3.0 server: the type error says ERR, not WRONGTYPE.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-auth", file: "auth.pcap", ports: [6379],
            commands: ["command|docs": 1, "auth": 3], totalCommands: 4,
            errorReplies: 2, errorsByPrefix: ["WRONGPASS": 1, "ERR": 1], pushes: 0, unpairedReplies: 0,
            connections: 1, notRedis: false, truncatedFile: false,
            why: """
                baseline/tests.auth/output prints three AUTH (notauser/notapassword, default/defaultpasswordinvalid \
                for the one-argument form, noone/password). Replies on the wire: -WRONGPASS, -ERR AUTH <password> \
                called without any password configured..., +OK (SOURCE.md says the third is WRONGPASS: the bytes \
                say +OK). COMMAND DOCS (205 KB reply) precedes them.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-django-cache", file: "django-cache.pcap", ports: [6379],
            commands: ["client|setinfo": 2, "get": 6, "set": 308], totalCommands: 316,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 2,
            notRedis: false, truncatedFile: false,
            why: """
                baseline/tests.django/redis.log: 316 rows (2 CLIENT, 6 GET, 308 SET); output prints 308 SETs. \
                Zeek shows no reply for the last SET and GET; the wire has both (+OK, `$2 24`): Zeek's \
                end-of-trace artifact, the connection never closes. Two GETs return $-1 (not errors). \
                Connection 2 is a keep-alive pair with no payload.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-loop-redis", file: "loop-redis.pcap", ports: [6379],
            commands: ["set": 2, "get": 1], totalCommands: 3,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline/tests.trace/redis.log: SET hi:2 2, SET hi:3 sup, GET hi:3, all err=F; output the same. \
                Zeek's old schema leaves the GET reply `-`; the wire has `$3 sup`.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-pubsub", file: "pubsub.pcap", ports: [6379],
            commands: ["subscribe": 1, "publish": 1], totalCommands: 2,
            errorReplies: 0, errorsByPrefix: [:], pushes: 1, unpairedReplies: 0, connections: 3,
            notRedis: false, truncatedFile: false,
            why: """
                baseline/tests.pubsub/redis.log: SUBSCRIBE (no reply), PUBLISH, and a command-less row for the \
                `message` frame. Wire: subscriber gets `subscribe my_channel 1` (SUBSCRIBE's confirmation, paired \
                with it) and `message my_channel hello :)` (1 push), publisher gets `:1`. Third connection: \
                handshake only.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-start-with-server", file: "start-with-server.pcap", ports: [6379],
            commands: ["ping": 2], totalCommands: 2,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 1, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline output is empty: Zeek refuses a flow whose first data is from the server. Wire truth: \
                the capture starts at the first byte of a complete 205 KB COMMAND DOCS reply whose request is not \
                captured (1 unpaired reply), then PING -> +PONG twice.
                """),
        ExternalCaptureExpectation(
            directory: "spicy-redis-tls", file: "tls.pcap", ports: [6379],
            commands: [:], totalCommands: 0,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: true, truncatedFile: false,
            why: """
                Upstream asserts that no redis.log is written. The port carries TLS (client starts 16 03 01, \
                server 16 03 03): not Redis, so no commands and no replies may be reported.
                """),
        ExternalCaptureExpectation(
            directory: "tcpdump-resp-1-benchmark", file: "resp_1_benchmark.pcap", ports: [6379],
            commands: [
                "ping": 2, "set": 1, "get": 1, "incr": 1, "lpush": 2, "lpop": 1, "sadd": 1, "spop": 1,
                "lrange": 4, "mset": 1,
            ],
            totalCommands: 15,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 15,
            notRedis: false, truncatedFile: false,
            why: """
                resp_1.out: 15 SYNs, one request line and one reply line per connection: "PING" (inline), \
                "PING" (RESP), SET, GET, INCR, LPUSH, LPOP, SADD, SPOP, LPUSH, LRANGE x4 (100-600 elements), \
                MSET; replies PONG x2, OK, xxx, 3, 47158, ... , OK. No error replies.
                """),
        ExternalCaptureExpectation(
            directory: "tcpdump-resp-2-inline", file: "resp_2_inline.pcap", ports: [6379],
            commands: ["set": 2, "incr": 1, "get": 2, "lpush": 5, "lrange": 1, "del": 1], totalCommands: 12,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                resp_2.out: client packets 4/6/8 carry "set test 1"; "incr test" ... "del test4" (10); \
                "get test4" - 12 lowercase inline commands; packet 10 carries all 12 replies (OK, 2, OK, redis, \
                170..174, a 174-element array, 0, null). tcpdump prints one line per packet, not per command.
                """),
        ExternalCaptureExpectation(
            directory: "tcpdump-resp-3-malicious", file: "resp_3_malicious.pcap", ports: [6379],
            commands: nil, totalCommands: nil,
            errorReplies: 9, errorsByPrefix: ["ERR": 9], pushes: 0, unpairedReplies: nil, connections: 18,
            notRedis: true, truncatedFile: false,
            why: """
                resp_3.out: server lines show 9 errors - ERR unknown command for '$0', '+', '-', ':', ':0392...' \
                (85 digits), '$-20', 'hi', '$-1', and ERR Protocol error: invalid multibulk length for \
                `*1000...0`; no reply to `*-20`, `*-1`, `+hello`/`-hello`/`:hello` (no CRLF). Certain requests: \
                incr 3 (one segment) and ping 9 (three segments with bare LF and empty lines). redis-server ran \
                the 8 malformed lines as unknown inline commands; whether respcap counts some of them (`-`, `:`, \
                `hi` pass its inline-name check, the rest do not) is a design choice, so commands, totals and \
                unpaired replies (the multibulk-length error answers no command) are not asserted. \
                18 connections (one seen only as FIN/ACK).
                """),
        ExternalCaptureExpectation(
            directory: "tcpdump-resp-4-infiniteloop", file: "resp_4_infiniteloop.pcapng", ports: [6379],
            commands: nil, totalCommands: nil,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: true, truncatedFile: false,
            why: """
                resp_4_infiniteloop.out: one client packet, "length negative and not -1", ~150 x invalid, "4" \
                "EVAL" ... "1" [|resp]. Fuzzed bytes picked up mid-connection (`*-532450017895590926`, lines of \
                `$`), no server data. Only a lone `EVAL` line could pass as an inline command, with unknown \
                framing before it, so commands are not asserted; nothing may be paired or counted as a reply. \
                The packet is complete in the file ([|resp] is tcpdump's own printer stopping).
                """),
        ExternalCaptureExpectation(
            directory: "zeek-almost-resp", file: "almost-resp.pcap", ports: [6379],
            commands: ["auth": 1, "ping": 1], totalCommands: 2,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 2,
            notRedis: true, truncatedFile: false,
            why: """
                baseline redis.log: AUTH -> OK and PING -> OK, then Zeek gives up. Wire: two inline commands, \
                `+OK\\r\\n+OK\\r\\n`, then `not RESP`, `Still not RESP`, `Nope` lines from the fake server \
                (not Redis: a parse error, no replies from them). Connection 1 is a ::1 SYN refused by RST.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-array-element-object-exhaustion", file: "array-element-object-exhaustion.pcap",
            ports: [6379],
            commands: ["ping": 1], totalCommands: 1,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline analyzer_debug.log: violation `too many elements 1000 > 500` only with \
                Redis::max_aggregate_elements=500; with default limits no violation. Wire: inline PING, reply \
                `*1000` of RESP3 nulls (3007 bytes, 3 segments) - one reply, within respcap's default limits.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-attr", file: "attr.pcap", ports: [6379],
            commands: ["fake": 1, "fake2": 1], totalCommands: 2,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 4,
            notRedis: true, truncatedFile: false,
            why: """
                baseline redis.log: FAKE -> [1, 2, 3], FAKE2 -> [2039123, 9543892] (output: with attributes \
                {key-popularity: ...}). Attributes (`|`) belong to the reply, they are not replies. Each reply is \
                followed by a stray bare `\\n` from the hand-made server: not RESP, hence notRedis (a parse \
                error after the reply). Two ::1 attempts refused by RST count as connections.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-auth", file: "auth.pcap", ports: [6379],
            commands: ["auth": 3], totalCommands: 3,
            errorReplies: 2, errorsByPrefix: ["WRONGPASS": 2], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline output: AUTH notauser -> Auth failed WRONGPASS, AUTH default -> OK, AUTH noone -> \
                Auth failed WRONGPASS. Same on the wire.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-bulk-loading", file: "bulk-loading.pcap", ports: [6379],
            commands: ["set": 1000, "echo": 1], totalCommands: 1001,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline output: 1000 lines `SET: KeyN ValueN` (N = 0...999). The wire adds the --pipe trailer: \
                an empty inline line (no request, no reply) and ECHO of 20 random bytes, echoed back; \
                1001 replies.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-client-skip-while-off", file: "client-skip-while-off.pcap", ports: [6379],
            commands: ["ping": 4, "client|reply": 3], totalCommands: 7,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: 7 rows PING(PONG), CLIENT(-), PING(-), CLIENT(-), CLIENT(OK), PING(PONG), \
                PING(PONG): 4 replies, SKIP while OFF suppresses nothing more.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-django-cloud", file: "django-cloud.pcapng", ports: [10625],
            commands: ["get": 6, "set": 152], totalCommands: 158,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: 158 rows (6 GET, 152 SET), all success T; output `Found 152 SET commands`; \
                conn.log one connection 192.168.1.4:50044 -> 18.234.186.95:10625, 18106/928 payload bytes \
                (equal to the reassembled streams). Port 10625 must be given.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-excessive-pipelining", file: "excessive-pipelining.pcap", ports: [6379],
            commands: ["ping": 12], totalCommands: 12,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: 12 rows, 5 named PING and 7 unnamed, all PONG; weird.log \
                Redis_excessive_pipelining 6 > 5. Upstream ran with max_pending_commands=5; the wire has 12 \
                inline PINGs in one segment and 12 +PONG in one segment.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-history-django-cache-trace", file: "django-cache.trace", ports: [6379],
            commands: ["client|setinfo": 2, "get": 6, "set": 308], totalCommands: 316,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 2,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: same 316 rows as spicy-redis-django-cache (identical Redis packets). The HTTP \
                (8000), TLS (4243) and SSDP traffic is on other ports and must be ignored; only the 2 port-6379 \
                connections count. Zeek's missing last two replies: see spicy-redis-django-cache.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-large-requests-responses", file: "large-requests-responses.pcap", ports: [6379],
            commands: ["command|docs": 1, "set": 2, "get": 2], totalCommands: 5,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                redis-default.log: COMMAND, SET FIVE_HUNDRED_X, SET THOUSAND_X, GET x2, all T; values capped at \
                250 bytes (10 in redis-smaller.log); redis-uncapped.filtered.log shows the full 500/1000 X. \
                Caps change logged values only, not counts. COMMAND DOCS reply 239 KB.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-oss-fuzz-473580107", file: "oss-fuzz-473580107.pcap", ports: [80],
            commands: [:], totalCommands: 0,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: true, truncatedFile: false,
            why: """
                baseline .stderr is empty (Zeek must only not crash). Fuzzed, mangled HTTP CONNECT bytes on \
                port 80 (run with ports [80]): not Redis, so no commands and no replies. Warning: thousands of \
                lines such as `---`, `--`, `CONN`, `Content-Type:` pass a per-line inline-name check; only a \
                per-connection not-Redis verdict keeps them out.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-pipeline-quotes", file: "pipeline-quotes.pcap", ports: [6379],
            commands: ["set": 6], totalCommands: 6,
            errorReplies: 1, errorsByPrefix: ["ERR": 1], pushes: 0, unpairedReplies: nil, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: 8 SET rows, 6 OK, `SET bad1 "unclosed...` -> ERR Protocol error: unbalanced \
                quotes in request, `SET bad2 'unclosed...` no reply. Wire truth differs: redis-server executed \
                6 SETs; bad1 is a request protocol error (not a command) and the server closed before bad2, \
                which has unbalanced quotes too. So set 6. The ERR answers the rejected request: unpaired 1 if \
                that is not paired, 0 if it is - not asserted.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-pipeline-with-commands", file: "pipeline-with-commands.pcap", ports: [6379],
            commands: ["ping": 2, "set": 1, "get": 1], totalCommands: 4,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: PING PONG, PING PONG, SET HI 3 OK, GET HI 3; output SET: HI 3, GET: HI.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-pipelining-example", file: "pipelining-example.pcap", ports: [6379],
            commands: ["ping": 3], totalCommands: 3,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: "baseline redis.log: 3 rows PING -> PONG."),
        ExternalCaptureExpectation(
            directory: "zeek-pop3-redis-50-pings", file: "redis-50-pings.pcap", ports: [6379],
            commands: ["auth": 1, "client|setinfo": 2, "ping": 50, "quit": 1], totalCommands: 54,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                POP3 analyzer baselines (a POP3 signature misfired on Redis): out has 3 pop3_reply OK, weird.log \
                pop3_client_command_unknown `*2`, analyzer_debug.log POP3 disabled. conn.log: one connection, \
                848/370 payload bytes, 58/58 packets (equal to the reassembled streams). Redis view from the \
                wire: AUTH zeek, CLIENT SETINFO x2, 50 PING, QUIT, 54 replies (+OK/+PONG).
                """),
        ExternalCaptureExpectation(
            directory: "zeek-pubsub-resp3", file: "pubsub-resp3.pcap", ports: [6379],
            commands: [
                "hello": 2, "command|docs": 2, "subscribe": 1, "psubscribe": 1, "set": 1, "ping": 1, "publish": 2,
            ],
            totalCommands: 10,
            errorReplies: 0, errorsByPrefix: [:], pushes: 3, unpairedReplies: 0, connections: 2,
            notRedis: false, truncatedFile: false,
            why: """
                baseline output: 5 `Got published data!` (subscribe, psubscribe, message, pmessage, pmessage), \
                all RESP3 `>` pushes; the subscribe and psubscribe confirmations answer their commands, so 3 pushes. Wire: A = HELLO 3, COMMAND DOCS, SUBSCRIBE, PSUBSCRIBE, SET, PING (4 \
                replies); B = HELLO 3, COMMAND DOCS, PUBLISH x2 (4 replies). No FIN; nothing pending at the end.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-pubsub", file: "pubsub.pcap", ports: [6379],
            commands: ["subscribe": 1, "psubscribe": 1, "reset": 1, "get": 1, "publish": 2, "set": 1],
            totalCommands: 7,
            errorReplies: 0, errorsByPrefix: [:], pushes: 3, unpairedReplies: 0, connections: 4,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: PUBLISH (2), PUBLISH (1), SET OK, SUBSCRIBE (-), PSUBSCRIBE (-), RESET, \
                GET you_are_sane; output: 5 published-data arrays (subscribe, psubscribe confirmations, message, \
                pmessage x2); the two confirmations answer SUBSCRIBE and PSUBSCRIBE, leaving 3 pushes. Subscriber conn has no handshake.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-reply-off-on-2conn", file: "reply-off-on-2conn.pcap", ports: [6379],
            commands: ["ping": 4, "client|reply": 2], totalCommands: 6,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 2,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: per connection PING PONG, CLIENT (-), PING (-): 2 replies in all; \
                CLIENT REPLY state is per connection.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-reply-off-on", file: "reply-off-on.pcap", ports: [6379],
            commands: ["ping": 5, "client|reply": 3], totalCommands: 8,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline redis.log: 8 rows; replies PONG (PING), OK (CLIENT REPLY ON), PONG, PONG (last PING); \
                OFF, the PING while off, SKIP and the PING after SKIP have none.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-set", file: "set.pcap", ports: [6379],
            commands: ["set": 3], totalCommands: 3,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: "baseline output: Key test/hi, one:1/2, two:2/three; each +OK on the wire."),
        ExternalCaptureExpectation(
            directory: "zeek-start-with-server", file: "start-with-server.pcapng", ports: [6379],
            commands: ["set": 1], totalCommands: 1,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 1, connections: 1,
            notRedis: false, truncatedFile: false,
            why: """
                baseline output empty: Zeek refuses flows whose first data comes from the server. Wire truth: \
                `+OK` with no captured request (1 unpaired reply), then SET hello there -> +OK.
                """),
        ExternalCaptureExpectation(
            directory: "zeek-stream", file: "stream.pcap", ports: [6379],
            commands: ["xadd": 3, "xrange": 1], totalCommands: 4,
            errorReplies: 0, errorsByPrefix: [:], pushes: 0, unpairedReplies: 0, connections: 1,
            notRedis: false, truncatedFile: false,
            why: "baseline redis.log: XADD x3 (stream ids), XRANGE -> 2 entries (nested arrays, depth 3)."),
    ]
}
