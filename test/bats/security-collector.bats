#!/usr/bin/env bats
# cai-auditd against hostile local users (issue 14): nothing an
# unprivileged peer sends or leaves in its ring may stall the collector's
# loop or make it spin.

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	require_root
	audit_setup_public
	LINGER_PEER=$BATS_TEST_DIRNAME/../helpers/linger-peer.py
	RING_PEER="$CAI_TEST_BIN/ring-peer"
	PEER_PID=
}

teardown() {
	[ -n "${PEER_PID:-}" ] && kill -KILL "$PEER_PID" 2>/dev/null || true
	audit_teardown
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

event() { # MARK: a minimal well-formed event
	printf '{"v":1,"ts":"2026-11-29T00:00:00.000000000Z","mono":"1.0","pid":7,"ppid":1,"tid":7,"uid":0,"comm":"sh","cwd":"/","call":"open","phase":"exit","source":"shim","args":{"path":"/%s","flags":["O_RDONLY"]},"result":{"return":3}}' "$1"
}

# send_as USER GROUP MARK: one event from USER.
send_as() {
	setpriv --reuid="$1" --regid="$2" --clear-groups "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.send(bytes.fromhex(sys.argv[2]))' "$SOCK" "$(record "$(event "$3")")"
}

send_event() { # MARK
	send_as nobody nogroup "$1"
}

# wait_logged MARK SECONDS: the event reaches the log in time.
wait_logged() {
	local i
	for i in $(seq $(($2 * 20))); do
		[ -s "$LOG" ] && [ "$(count_events ".args.path == \"/$1\"")" = 1 ] && return 0
		sleep 0.05
	done
	echo "event $1 not logged within $2 s" >&2
	return 1
}

# stops_within SECONDS: SIGTERM ends the collector in time.
stops_within() {
	kill -TERM "$AUDITD_PID"
	local i
	for i in $(seq $(($1 * 20))); do
		kill -0 "$AUDITD_PID" 2>/dev/null || { stop_collector; return 0; }
		sleep 0.05
	done
	echo "cai-auditd still runs $1 s after SIGTERM" >&2
	return 1
}

# lingering_peer MODE: linger-peer.py as nobody, its message and fd taken
# by the collector only after the peer dropped its own copy (the collector
# is stopped meanwhile), so the collector's is the last reference.
lingering_peer() {
	kill -STOP "$AUDITD_PID"
	# Not through as_nobody: $! must be the peer itself, for teardown to
	# kill it. 3>&-: bats waits for whoever holds its output fd.
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" "$LINGER_PEER" "$SOCK" "$1" >"$AUD/peer.out" 2>&1 3>&- &
	PEER_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$AUD/peer.out" ] && break
		sleep 0.05
	done
	kill -CONT "$AUDITD_PID"
	run cat "$AUD/peer.out"
	assert_output sent
}

@test "a received TCP socket that would linger for an hour does not block the collector" {
	start_collector
	lingering_peer direct
	send_event after-linger
	wait_logged after-linger 2
	stops_within 2
}

@test "a received unix socket holding a lingering TCP socket in its queue does not block the collector" {
	start_collector
	lingering_peer nested
	send_event after-nested
	wait_logged after-nested 2
	stops_within 2
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$AUDITD_PID/stat"; }

@test "a ring's unfinished event does not make the collector spin while it waits to call it stuck" {
	start_collector
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$RING_PEER" "$SOCK" stuck >"$AUD/peer.out" 2>&1 3>&- &
	PEER_PID=$!
	sleep 0.5
	local before after
	before=$(cpu_ticks)
	sleep 2
	after=$(cpu_ticks)
	# Clock ticks (USER_HZ, 100 a second): under 0.3 s of CPU in 2 s.
	echo "CPU ticks in 2 s: $((after - before))" >&2
	[ $((after - before)) -lt 30 ]
	wait "$PEER_PID"
	PEER_PID=
	run cat "$AUD/peer.out"
	assert_output closed=1
	stop_collector
	run jq -r 'select(.rejected) | .rejected.reason' "$LOG"
	[[ "$output" == "ring: an event has stayed incomplete for "*" ms (its writer was interrupted for good); "*" bytes unread" ]]
}

@test "forged SCM_CREDENTIALS (root chooses any pid and uid) are logged as sent_as, never believed" {
	start_collector
	"$PY" -c '
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
print(os.getpid(), flush=True)
forged = struct.pack("iII", 1, 4242, 4343)
s.sendmsg([bytes.fromhex(sys.argv[2])], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, forged)])
s.sendmsg([b"not a record"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, forged)])
' "$SOCK" "$(record "$(event forged)")" >"$AUD/sender.pid"
	stop_collector
	local pid
	pid=$(cat "$AUD/sender.pid")
	check_event "$(the_event '.args.path == "/forged"')" \
		".peer.pid == $pid and .peer.uid == 0 and .peer.gid == 0 and .peer.sent_as == {\"pid\":1,\"uid\":4242,\"gid\":4343}"
	run jq -c 'select(.rejected) | .peer' "$LOG"
	assert_output "{\"pid\":$pid,\"uid\":0,\"gid\":0,\"sent_as\":{\"pid\":1,\"uid\":4242,\"gid\":4343}}"
}

@test "a sender whose credentials are its own gets no sent_as" {
	start_collector
	send_event honest
	stop_collector
	check_event "$(the_event '.args.path == "/honest"')" '.peer.uid == 65534 and (.peer | has("sent_as") | not)'
}

@test "one user holding every connection it can: refused beyond its share, said once, no spin; others still served" {
	# systemd's default soft limit is 1024; a smaller one makes the point
	# sooner: 300 idle connections from nobody against a share of 64.
	AUDITD_LIMIT=256
	"$CAI_AUDITD" --socket "$SOCK" --log "$LOG" --max-connections-per-user 64 2>>"$AUD/auditd.err" &
	AUDITD_PID=$!
	prlimit --pid "$AUDITD_PID" --nofile=$AUDITD_LIMIT:$AUDITD_LIMIT
	local i
	for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" -c '
import socket, sys, time
held = []
for _ in range(300):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    held.append(s)
print("holding", flush=True)
time.sleep(60)' "$SOCK" >"$AUD/hog.out" 2>&1 3>&- &
	PEER_PID=$!
	for i in $(seq 200); do grep -q holding "$AUD/hog.out" && break; sleep 0.05; done
	run cat "$AUD/hog.out"
	assert_output holding
	sleep 0.5
	local before after
	before=$(cpu_ticks)
	# root's event, and another user's, still get in.
	send_as root root from-root
	send_as daemon daemon from-daemon
	wait_logged from-root 2
	wait_logged from-daemon 2
	sleep 1
	after=$(cpu_ticks)
	echo "CPU ticks: $((after - before))" >&2
	[ $((after - before)) -lt 30 ]
	# Said in the log, not once per refusal; stderr stays small.
	[ "$(jq -c 'select(.rejected) | .rejected.reason' "$LOG" | grep -c "too many connections from one user")" -ge 1 ]
	[ "$(jq -c 'select(.rejected) | .rejected.reason' "$LOG" | grep -c "too many connections")" -le 2 ]
	[ "$(stat -c %s "$AUD/auditd.err")" -lt 4096 ]
	stops_within 2
}
