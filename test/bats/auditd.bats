#!/usr/bin/env bats
# cai-auditd: the collector on a real unix socket, fed by real senders
# (python3 SOCK_SEQPACKET clients and the shim): kernel-verified
# credentials, rejection of malformed messages, SIGHUP reopen, SIGTERM
# drain, permissions, socket activation.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
}

teardown() { audit_teardown; }

# send JSON...: each argument is one event, sent as a record by a python3
# client.
send() {
	local m hex=()
	for m in "$@"; do
		hex+=("$(record "$m")")
	done
	send_records "$SOCK" "${hex[@]}"
}

good_event() { # PID
	printf '{"v":1,"ts":"2026-01-01T00:00:00.000000000Z","mono":"1.000000000","pid":%s,"ppid":1,"tid":%s,"uid":0,"comm":"x","cwd":"/","call":"open","phase":"exit","args":{"path":"/etc/hostname","flags":["O_RDONLY"]},"result":{"return":3}}' "$1" "$1"
}

@test "--help prints usage on stdout" {
	run --separate-stderr "$CAI_AUDITD" --help
	assert_success
	assert_output --partial "Usage: cai-auditd"
	assert_output --partial "/run/containai/audit.sock"
	[ -z "$stderr" ]
}

@test "--version" {
	run "$CAI_AUDITD" --version
	assert_success
	assert_output --regexp '^cai-auditd [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option or an argument is a usage error (exit 2)" {
	run --separate-stderr "$CAI_AUDITD" --bogus
	assert_failure 2
	run --separate-stderr "$CAI_AUDITD" extra
	assert_failure 2
	[[ "$stderr" == *'unexpected argument `extra`'* ]]
}

@test "socket is 0666 (agents may write), log is 0600 (only root reads)" {
	start_collector
	[ "$(stat -c %a "$SOCK")" = 666 ]
	[ "$(stat -c %a "$LOG")" = 600 ]
}

@test "an existing log with group-write or world bits is restricted" {
	touch "$LOG"
	chmod 0666 "$LOG"
	start_collector
	[ "$(stat -c %a "$LOG")" = 640 ]
}

@test "a log path that is a symlink is refused" {
	ln -s "$AUD/elsewhere" "$LOG"
	run --separate-stderr "$CAI_AUDITD" --socket "$SOCK" --log "$LOG"
	assert_failure 1
	[[ "$stderr" == *"open log \`$LOG\`"* ]]
	[ ! -e "$AUD/elsewhere" ]
}

@test "an event is stamped with the sender's kernel-verified pid, uid and gid" {
	start_collector
	"$PY" - "$SOCK" "$(record "$(good_event 1)")" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.send(bytes.fromhex(sys.argv[2]))
open(os.environ["BATS_TEST_TMPDIR"] + "/sender", "w").write("%d %d %d\n" % (os.getpid(), os.getuid(), os.getgid()))
PY
	stop_collector
	read -r spid suid sgid <"$AUD/sender"
	run jq -c '[.pid, .peer.pid, .peer.uid, .peer.gid]' "$LOG"
	# The claim (pid 1) is kept; the stamp says who really sent it.
	assert_output "[1,$spid,$suid,$sgid]"
}

@test "a forked child on its parent's connection is told apart: peer is the connection's, sent_as the child's" {
	start_collector
	"$PY" - "$SOCK" "$(record "$(good_event 7)")" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(bytes.fromhex(sys.argv[2]))
pid = os.fork()
if pid == 0:
    s.send(bytes.fromhex(sys.argv[2])); os._exit(0)
os.waitpid(pid, 0)
print(os.getpid(), pid)
PY
	stop_collector
	# The kernel's record of the connection names the parent for both; the
	# child's own (kernel-checked, unprivileged) credentials ride beside it.
	[ "$(jq -s '[.[].peer.pid] | unique | length' "$LOG")" = 1 ]
	[ "$(jq -s '[.[] | .peer.sent_as.pid // .peer.pid] | unique | length' "$LOG")" = 2 ]
}

@test "peers that sent and hung up before the collector ran: every event logged, fds closed, an empty message is no end" {
	start_collector
	local before i
	before=$(find "/proc/$AUDITD_PID/fd" -mindepth 1 | wc -l)
	# Stopped, the collector finds each connection with its messages and
	# its end already queued when it accepts it, as a fork child's exec
	# event most often is: it reads them there and then.
	kill -STOP "$AUDITD_PID"
	"$PY" - "$SOCK" "$(record "$(good_event 9)")" <<'PY'
import array, os, socket, sys
rec = bytes.fromhex(sys.argv[2])
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(rec)
    s.send(b"")  # an empty message: not the end of the stream
    s.send(rec)
    r, w = os.pipe()
    s.sendmsg([rec], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w]))])
    os.close(r)
    os.close(w)
    s.send(rec)
    s.close()
PY
	kill -CONT "$AUDITD_PID"
	for i in $(seq 100); do
		[ "$(find "/proc/$AUDITD_PID/fd" -mindepth 1 | wc -l)" -eq "$before" ] && break
		sleep 0.05
	done
	# No connection, and none of the 40 pipe ends, is left open.
	[ "$(find "/proc/$AUDITD_PID/fd" -mindepth 1 | wc -l)" -eq "$before" ]
	stop_collector
	[ "$(count_events '.pid == 9')" -eq 60 ]
	[ "$(jq -r 'select(.rejected) | .rejected.reason' "$LOG" |
		grep -c '^file descriptors came with a message that is not a ring registration$')" -eq 20 ]
	# (an empty message is not an event: it is not counted)
	grep -q "80 received, 60 written, 20 rejected" "$AUD/auditd.err"
}

@test "a peer of nobody's, read at accept and then watched: more than a batch queued, an empty message and events after accept all kept" {
	audit_setup_public
	start_collector
	local i
	# Stopped: nobody's 100 events are queued when the collector accepts
	# the connection, more than it reads there (a batch); the rest come
	# through its epoll set. After that, on the open connection, an empty
	# message (the credentials the kernel attaches, from the listening
	# socket's SO_PASSCRED, tell it from the end) and one more event.
	kill -STOP "$AUDITD_PID"
	mkfifo "$AUD/go"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" -c '
import socket, sys
rec = bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for i in range(100):
    s.send(rec)
print("queued", flush=True)
sys.stdin.readline()
s.send(b"")
s.send(rec)
print("sent", flush=True)
sys.stdin.readline()
s.close()
' "$SOCK" "$(record "$(good_event 11)")" <"$AUD/go" >"$AUD/peer.out" 2>&1 &
	local peer=$!
	exec 7>"$AUD/go"
	for i in $(seq 100); do grep -q queued "$AUD/peer.out" && break; sleep 0.05; done
	kill -CONT "$AUDITD_PID"
	for i in $(seq 100); do [ "$(count_events '.pid == 11')" -eq 100 ] && break; sleep 0.05; done
	# (what the collector said and did, should it fail)
	echo "events of pid 11 logged: $(count_events '.pid == 11'); collector: $(tr '\n' ' ' <"$AUD/auditd.err")" >&2
	grep -v '"pid":11,' "$LOG" | tail -n 5 >&2 || true
	[ "$(count_events '.pid == 11')" -eq 100 ]
	echo go >&7
	for i in $(seq 100); do [ "$(count_events '.pid == 11')" -eq 101 ] && break; sleep 0.05; done
	# Read while the connection is still open: the empty message did not
	# end it.
	[ "$(count_events '.pid == 11')" -eq 101 ]
	grep -q sent "$AUD/peer.out"
	echo go >&7
	exec 7>&-
	wait "$peer"
	stop_collector
	[ "$(jq -s '[.[] | select(.pid == 11) | .peer.uid] | unique' -c "$LOG")" = "[$(id -u nobody)]" ]
	grep -q "101 received, 101 written, 0 rejected" "$AUD/auditd.err"
}

@test "malformed records are rejected, counted, logged without content; the collector goes on" {
	start_collector
	good=$(record "$(good_event 5)")
	bad=(
		"$(printf 'not json' | od -An -tx1 | tr -d ' \n')"         # not a record at all
		"$(printf '{"v":1}' | od -An -tx1 | tr -d ' \n')"          # JSON is no longer taken
		"ca01$(echo "$good" | cut -c5-)"                           # another wire version
		"$(record '{"v":2}')"                                      # unknown schema version
		"$(record "$(good_event 5 | jq -c '. + {peer: {}}')")"     # a key of its own: forged peer
		"${good:0:$((${#good} - 6))}"                              # ends inside an item
		"${good}0300"                                              # an end without a beginning
		"${good:0:8}ff01${good:8}"                                 # an unknown item type
		"${good:0:8}0433${good:12}"                                # an unknown key
		"$(record "$(good_event 5 | jq -c '.pid = -1')")"          # a negative pid
		"$(record "$(good_event 5 | jq -c '.call = "read"')")"     # a call the shim never reports
		"${good}0601$(printf '%016x' 0)"                           # a duplicate key ("v")
		"$good"
	)
	send_records "$SOCK" "${bad[@]}"
	stop_collector
	[ "$(jq -s '[.[] | select(has("rejected"))] | length' "$LOG")" = 12 ]
	[ "$(jq -s '[.[] | select(has("call"))] | length' "$LOG")" = 1 ]
	run jq -r 'select(has("rejected")) | .rejected.reason' "$LOG"
	assert_line "not an audit record (wire version 2)"
	assert_line "unknown schema version"
	assert_line 'a key of the sender'"'"'s own outside "env"'
	assert_line "record ends inside an item"
	assert_line "an end without a beginning"
	assert_line "unknown item type"
	assert_line "unknown key"
	assert_line "missing or mistyped id field"
	assert_line "unknown call"
	assert_line "duplicate key"
	refute_output --partial "not json"
	grep -q "13 received, 1 written, 12 rejected" "$AUD/auditd.err"
}

@test "a record larger than the limit is rejected, not cut and accepted" {
	start_collector
	# The encoder itself refuses a record over the limit: made by hand.
	big="ca020100$("$PY" -c 'print("0408" + (9000).to_bytes(2, "little").hex() + "78" * 9000)')"
	send_records "$SOCK" "$big" "$(record "$(good_event 5)")"
	stop_collector
	run jq -r 'select(has("rejected")) | .rejected.reason' "$LOG"
	assert_output "message too large"
	[ "$(jq -s '[.[] | select(has("call"))] | length' "$LOG")" = 1 ]
}

@test "every line is strict JSON: hostile strings are escaped, bad UTF-8 becomes U+FFFD" {
	start_collector
	# Bytes a JSON reader must never see raw: control characters, quotes,
	# backslashes, DEL, invalid and overlong UTF-8, a surrogate, NUL.
	path=$("$PY" -c 'print((b"/a\x00b\n\"\\\x7f\x1b[2J\xff\xc0\xaf\xed\xa0\x80\xe2\x82\xac").hex())')
	ev=$(record "$(good_event 9)")
	# Replace the path string's bytes: find "/etc/hostname" in the record.
	old=$(printf '/etc/hostname' | od -An -tx1 | tr -d ' \n')
	oldlen=$(printf '%04x' 13 | sed 's/\(..\)\(..\)/\2\1/')
	newlen=$(printf '%04x' $((${#path} / 2)) | sed 's/\(..\)\(..\)/\2\1/')
	ev=${ev/$oldlen$old/$newlen$path}
	send_records "$SOCK" "$ev"
	stop_collector
	# python's json module in strict mode accepts the line, and the path
	# reads back with every hostile byte escaped or replaced.
	"$PY" -c '
import json, sys
line = open(sys.argv[1], "rb").read().decode("utf-8")
ev = json.loads(line, parse_constant=lambda c: sys.exit("constant " + c))
p = ev["args"]["path"]
assert p == "/a\x00b\n\"\\\x7f\x1b[2J\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\u20ac", repr(p)
' "$LOG"
	# and on the raw line, no control byte at all
	run ! env LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$LOG"
}

@test "a flood of random bytes never crashes it" {
	start_collector
	"$PY" - "$SOCK" <<'PY'
import os, random, socket, sys
random.seed(7)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for i in range(2000):
    s.send(os.urandom(random.randint(1, 300)))
PY
	kill -0 "$AUDITD_PID"
	stop_collector
	[ "$(jq -s '[.[] | select(has("rejected"))] | length' "$LOG")" = 2000 ]
}

@test "SIGHUP reopens the log (logrotate): later events go to the new file" {
	start_collector
	send "$(good_event 1)"
	sleep 0.2
	mv "$LOG" "$LOG.1"
	kill -HUP "$AUDITD_PID"
	sleep 0.2
	send "$(good_event 2)"
	stop_collector
	[ "$(jq -s 'map(.pid)' "$LOG.1" | jq -c .)" = "[1]" ]
	[ "$(jq -s 'map(.pid)' "$LOG" | jq -c .)" = "[2]" ]
	[ "$(stat -c %a "$LOG")" = 600 ]
}

@test "SIGTERM right after a burst: everything sent is in the log" {
	start_collector
	"$PY" - "$SOCK" "$(record "$(good_event 3)")" <<'PY'
import socket, sys
conns = []
for c in range(8):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1]); conns.append(s)
for i in range(3000):
    conns[i % 8].send(bytes.fromhex(sys.argv[2]))
PY
	stop_collector
	[ "$(wc -l <"$LOG")" = 3000 ]
	[ ! -e "$SOCK" ]
}

@test "a stale socket is replaced; a live collector is not" {
	"$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' "$SOCK"
	start_collector
	run --separate-stderr "$CAI_AUDITD" --socket "$SOCK" --log "$AUD/other.jsonl"
	assert_failure 1
	[[ "$stderr" == *"another collector listens on \`$SOCK\`"* ]]
	send "$(good_event 4)"
	stop_collector
	[ "$(wc -l <"$LOG")" = 1 ]
}

@test "the socket appears only once it takes connections, with nothing left beside it" {
	# listen() held back for half a second: a client that finds the path
	# meanwhile must still get in (a collector that bound the path before
	# listening refused it: ECONNREFUSED, and the shim counted a drop).
	# (LeakSanitizer cannot run under a tracer: no leak check here)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
		strace -f -qq -o /dev/null -e trace=listen -e inject=listen:delay_enter=500000 \
		"$CAI_AUDITD" --socket "$SOCK" --log "$LOG" 2>>"$AUD/auditd.err" &
	local tracer=$! i
	for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.01; done
	[ -S "$SOCK" ]
	send "$(good_event 5)"
	# (strace's child: SIGTERM makes it drain and exit 0, and strace with it)
	kill -TERM "$(pgrep -P "$tracer" -x cai-auditd)"
	wait "$tracer"
	[ "$(count_events '.pid == 5')" = 1 ]
	# Only the log and its error file: no temporary name left behind.
	run ls "$AUD"
	assert_output "audit.jsonl
auditd.err"
}

@test "a path that is not a socket is never removed" {
	echo precious >"$SOCK"
	run --separate-stderr "$CAI_AUDITD" --socket "$SOCK" --log "$LOG"
	assert_failure 1
	[[ "$stderr" == *"exists and is not a socket"* ]]
	[ "$(cat "$SOCK")" = precious ]
}

@test "socket activation: the socket comes from systemd (LISTEN_FDS)" {
	command -v systemd-socket-activate >/dev/null || skip "needs systemd-socket-activate (package systemd)"
	systemd-socket-activate --seqpacket -l "$SOCK" "$CAI_AUDITD" --log "$LOG" 2>"$AUD/auditd.err" &
	AUDITD_PID=$!
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	audited "$AUDIT_CALL" open /etc/hostname r
	# systemd-socket-activate execs the collector in place: same pid.
	for _ in $(seq 100); do [ -s "$LOG" ] && break; sleep 0.05; done
	stop_collector
	[ "$(jq -s '[.[] | select(.call == "open" and .args.path == "/etc/hostname")] | length' "$LOG")" = 1 ]
}

@test "socket activation with a stream socket is refused with a hint" {
	command -v systemd-socket-activate >/dev/null || skip "needs systemd-socket-activate (package systemd)"
	run --separate-stderr timeout 10 sh -c '
		systemd-socket-activate -l "$1" "$2" --log "$3" 2>&1 &
		p=$!
		for i in $(seq 100); do [ -S "$1" ] && break; sleep 0.05; done
		'"$PY"' -c "import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])" "$1"
		wait $p' sh "$SOCK" "$CAI_AUDITD" "$LOG"
	assert_output --partial "ListenSequentialPacket"
}

@test "the systemd units and the logrotate file are well-formed" {
	command -v systemd-analyze >/dev/null || skip "needs systemd-analyze"
	run systemd-analyze verify --man=no "$CAI_TOP/data/systemd/cai-auditd.socket"
	# The unit names a binary under /usr/sbin that is not installed here.
	refute_output --partial "Unknown"
	refute_output --partial "Invalid"
	grep -q '^ListenSequentialPacket=/run/containai/audit.sock$' "$CAI_TOP/data/systemd/cai-auditd.socket"
	# The shell's kill: /bin/kill (procps) is not on a minimal Debian.
	grep -q "^ExecReload=/bin/sh -c 'kill -s HUP \\\$\\\$MAINPID'\$" "$CAI_TOP/data/systemd/cai-auditd.service.in"
	grep -q '^ExecStart=@SBINDIR@/cai-auditd ' "$CAI_TOP/data/systemd/cai-auditd.service.in"
	grep -q 'create 0600 root root' "$CAI_TOP/data/logrotate/containai-audit"
	grep -q 'HUP' "$CAI_TOP/data/logrotate/containai-audit"
}
