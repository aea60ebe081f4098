#!/usr/bin/env bats
# cai-auditd and a container's own socket: root on the host (`cai run
# --image`) hands the collector a listening socket that only one container
# can reach; whatever connects through it is logged as that container's,
# even a process that is gone before the collector accepts it. Nobody else
# may hand one over, and the collector lets go of it with the connection it
# came on.

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	require_root
	audit_setup_public
	HAND=$BATS_TEST_DIRNAME/../helpers/hand-over.py
	ID=$(printf 'c0%062d' 1)
	CSOCK=$AUD/container.sock
}

teardown() {
	[ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null || true
	audit_teardown
}

# hand_over [ARGS...]: run hand-over.py in the background as root, keeping
# its control connection open; waits for its answer in $AUD/hand.out.
hand_over() {
	rm -f "$AUD/hold"
	mkfifo "$AUD/hold"
	"$PY" "$HAND" "$SOCK" "$CSOCK" "$ID" agent-one "$@" <"$AUD/hold" >"$AUD/hand.out" 2>&1 &
	HOLD_PID=$!
	exec 9>"$AUD/hold"
	local i
	for i in $(seq 100); do
		[ -s "$AUD/hand.out" ] && return 0
		sleep 0.05
	done
	return 1
}

release() {
	exec 9>&-
	wait "$HOLD_PID" || true
	HOLD_PID=
}

# send_through SOCKET JSON: one event record, then exit at once.
send_through() {
	"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.send(bytes.fromhex(sys.argv[2]))' "$1" "$(record "$2")"
}

event() { # MARK: a minimal well-formed event
	printf '{"v":1,"ts":"2026-11-29T00:00:00.000000000Z","mono":"1.0","pid":7,"ppid":1,"tid":7,"uid":0,"comm":"sh","cwd":"/","call":"open","phase":"exit","source":"shim","args":{"path":"/%s","flags":["O_RDONLY"]},"result":{"return":3}}' "$1"
}

@test "a container's socket from root on the host: every sender through it is that container's, however short-lived" {
	start_collector
	hand_over
	run cat "$AUD/hand.out"
	assert_output ack
	local i
	for i in 1 2 3 4 5; do
		send_through "$CSOCK" "$(event "short-$i")"
	done
	# An unprivileged sender through the same socket is the container's too:
	# the socket, not the sender, says where it came from.
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.send(bytes.fromhex(sys.argv[2]))' "$CSOCK" "$(record "$(event nobody)")"
	release
	stop_collector
	[ "$(count_events ".container.id == \"$ID\" and .container.name == \"agent-one\" and (.args.path | startswith(\"/short-\"))")" = 5 ]
	check_event "$(the_event '.args.path == "/nobody"')" ".container.id == \"$ID\" and .peer.uid == 65534"
}

@test "a claim through a container's socket is still refused: only the collector says which container" {
	start_collector
	hand_over
	send_through "$CSOCK" "$(event claim | sed 's/}$/,"container":{"id":"'"$ID"'","name":"x"}}/')"
	release
	stop_collector
	run jq -c 'select(.rejected) | [.rejected.reason, .container.id]' "$LOG"
	assert_output --partial "only the collector says which container"
	assert_output --partial "$ID"
	[ "$(count_events '.args.path == "/claim"')" = 0 ]
}

@test "nobody may hand over a container's socket: refused, recorded, the connection closed" {
	start_collector
	chmod 0777 "$AUD"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" "$HAND" "$SOCK" "$AUD/nobody.sock" "$ID" forged </dev/null
	assert_output --partial refused
	stop_collector
	run jq -c 'select(.rejected) | .rejected.reason' "$LOG"
	assert_output --partial "only root on the host may hand over a container's socket"
}

@test "a socket that is not a listening SOCK_SEQPACKET one is refused" {
	start_collector
	run "$PY" "$HAND" "$SOCK" "$AUD/a.sock" "$ID" x --not-listening </dev/null
	assert_output --partial refused
	run "$PY" "$HAND" "$SOCK" "$AUD/b.sock" "$ID" x --stream </dev/null
	assert_output --partial refused
	stop_collector
	[ "$(jq -c 'select(.rejected) | .rejected.reason' "$LOG" | grep -c "not a listening unix SOCK_SEQPACKET socket")" = 2 ]
}

@test "the collector lets go of a container's socket with the connection it came on: no fd kept" {
	start_collector
	local before
	before=$(ls /proc/"$AUDITD_PID"/fd | wc -l)
	hand_over
	[ "$(ls /proc/"$AUDITD_PID"/fd | wc -l)" -gt "$before" ]
	release
	local i
	for i in $(seq 50); do
		[ "$(ls /proc/"$AUDITD_PID"/fd | wc -l)" -le "$before" ] && break
		sleep 0.05
	done
	[ "$(ls /proc/"$AUDITD_PID"/fd | wc -l)" -le "$before" ]
	# Nobody listens on it any more.
	run send_through "$CSOCK" "$(event late)"
	assert_failure
	assert_output --partial "Connection refused"
}

@test "forty hand-overs in a row: each let go with its connection, no fd kept, others still served" {
	start_collector
	local before i
	before=$(ls /proc/"$AUDITD_PID"/fd | wc -l)
	for i in $(seq 40); do
		"$PY" "$HAND" "$SOCK" "$AUD/f$i.sock" "$ID" "flood-$i" </dev/null >/dev/null 2>&1
	done
	send_through "$SOCK" "$(event after-flood)"
	for i in $(seq 50); do
		[ "$(ls /proc/"$AUDITD_PID"/fd | wc -l)" -le "$before" ] && break
		sleep 0.05
	done
	[ "$(ls /proc/"$AUDITD_PID"/fd | wc -l)" -le "$before" ]
	stop_collector
	[ "$(count_events '.args.path == "/after-flood"')" = 1 ]
}

@test "a later container's socket on the same fd gets a share of its own, not the rings left by the first" {
	"$CAI_AUDITD" --socket "$SOCK" --log "$LOG" --max-connections-per-user 4 2>>"$AUD/auditd.err" &
	AUDITD_PID=$!
	local i
	for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	# The first container: 3 processes of nobody whose rings outlive
	# their connections (and the socket), still taking its share.
	hand_over
	local lfd
	lfd=$(find "/proc/$AUDITD_PID/fd" -mindepth 1 -lname 'socket:*' -printf '%f\n' | sort -n | tail -1)
	mkfifo "$AUD/rings"
	# (not holding the hand-over's stdin: release closes it)
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$CAI_TEST_BIN/ring-peer" "$CSOCK" detached 3 <"$AUD/rings" >"$AUD/first.out" 2>&1 3>&- 9>&- &
	local first=$!
	exec 8>"$AUD/rings"
	for i in $(seq 200); do grep -q detached= "$AUD/first.out" && break; sleep 0.05; done
	run cat "$AUD/first.out"
	assert_output "detached=3 other=0"
	release
	# The second, most often on the fd the first had: all 4 of its own.
	ID=$(printf 'c0%062d' 2) CSOCK=$AUD/second.sock hand_over 8>&-
	echo "first listener fd $lfd; now: $(find "/proc/$AUDITD_PID/fd" -mindepth 1 -lname 'socket:*' -printf '%f ')"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$CAI_TEST_BIN/ring-peer" "$AUD/second.sock" detached 4 </dev/null 3>&- 8>&- 9>&-
	assert_output "detached=4 other=0"
	exec 8>&-
	wait "$first" || true
	release
	stop_collector
}
