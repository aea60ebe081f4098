#!/usr/bin/env bats
# cai-auditd and containers: a real dockerd (the Secure Engine, started in
# the sandbox's private namespaces) runs real containers whose processes
# send to the collector through a bind-mounted socket. The collector says
# which container each event came from; nobody else may say it.
#
# One sandbox run (setup_file) makes the log; each test checks one
# behaviour of it. The flood test needs no engine and runs on its own.

# What root on the host claims in its own event (an id no engine has).
CLAIM_ID=00000000000000000000000000000000000000000000000000000000c1a1a1a1

setup_file() {
	load ../helpers/common
	load ../helpers/audit
	OUT=$BATS_FILE_TMPDIR
	SEND_STATIC=$CAI_TEST_BIN/audit-send-static
	local why=""
	if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
		why="needs root for private mount namespaces (run make check as root)"
	elif ! command -v dockerd >/dev/null && [ ! -x /usr/sbin/dockerd ]; then
		why="dockerd is not installed (apt-get install docker.io)"
	elif ! command -v docker >/dev/null; then
		why="the docker CLI is not installed"
	elif [ ! -x "$SEND_STATIC" ]; then
		why="$SEND_STATIC is not built (make $BUILDDIR/test/audit-send-static)"
	fi
	if [ -n "$why" ]; then
		echo "$why" >"$OUT/skip"
		return 0
	fi
	SCRATCH=$OUT/sandbox
	export OUT AUDITD=$CAI_AUDITD SEND=$SEND_STATIC AUDIT_CALL SHIM=$CAI_AUDIT_SHIM CLAIM_ID
	in_sandbox "$(cat "$BATS_TEST_DIRNAME/../helpers/auditd-container-run.bash")" >"$OUT/sandbox.out" 2>&1 ||
		echo "the sandbox run failed ($?): $(tail -n 20 "$OUT/sandbox.out")" >"$OUT/failed"
}

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
}

teardown() { audit_teardown; }

# The log the sandbox run made (or skip, saying why).
use_run() {
	OUT=$BATS_FILE_TMPDIR
	LOG=$OUT/audit.jsonl
	if [ -f "$OUT/skip" ]; then
		skip "$(cat "$OUT/skip")"
	fi
	if [ -f "$OUT/failed" ]; then
		cat "$OUT/failed" >&2
		return 1
	fi
	ID=$(cat "$OUT/id")
	SHIM_ID=$(cat "$OUT/shim-id")
}

# records JQ_CONDITION: how many log records (events and rejections) match
records() {
	jq -s "[.[] | select($1)] | length" "$LOG"
}

@test "the engine reports a container id of 64 hex digits" {
	use_run
	[[ "$ID" =~ ^[0-9a-f]{64}$ ]]
	[[ "$SHIM_ID" =~ ^[0-9a-f]{64}$ ]]
}

@test "an event sent from a container carries the id docker reports and the container's name" {
	use_run
	ev=$(the_event '.comm == "in-container"')
	check_event "$ev" ".container == {\"id\": \"$ID\", \"name\": \"cai-test-x\"}"
}

@test "in a container, the event's own pid differs from the kernel's host pid" {
	use_run
	ev=$(the_event '.comm == "in-container"')
	check_event "$ev" '.pid == 1 and .peer.pid > 1'
}

@test "events the shim sends from a glibc program in a container carry the container" {
	use_run
	[ "$(count_events '.call == "open" and .args.path == "/etc/hostname"')" -ge 1 ]
	n=$(count_events ".call == \"open\" and .args.path == \"/etc/hostname\" and
		.container != {\"id\": \"$SHIM_ID\", \"name\": \"cai-test-shim\"}")
	[ "$n" = 0 ]
}

@test "host events in the same log carry no container" {
	use_run
	ev=$(the_event '.comm == "host-root"')
	check_event "$ev" 'has("container") | not'
}

@test "a container that claims a container itself is rejected, stamped with its real one" {
	use_run
	[ "$(records ".rejected.reason == \"only the collector says which container\" and .container.id == \"$ID\"")" = 1 ]
	[ "$(count_events '.comm == "in-container-claim"')" = 0 ]
}

@test "an unprivileged host user's container claim is rejected" {
	use_run
	[ "$(records '.rejected.reason == "only the collector says which container" and .peer.uid == 65534')" = 1 ]
	[ "$(count_events '.comm == "host-nobody-claim"')" = 0 ]
}

@test "root on the host may report an event about a container (the exec supervisor)" {
	use_run
	ev=$(the_event '.comm == "host-root-claim"')
	check_event "$ev" ".container == {\"id\": \"$CLAIM_ID\", \"name\": \"claimed\"} and .peer.uid == 0"
}

@test "root on the host is still refused a malformed container claim" {
	use_run
	[ "$(records '.rejected.reason == "malformed container" and .peer.uid == 0')" = 1 ]
}

@test "cai-audit tail --container NAME shows only that container's events" {
	use_run
	run "$CAI_AUDIT" tail --log "$LOG" --json --container cai-test-x
	assert_success
	[ "${#lines[@]}" -ge 2 ]
	for l in "${lines[@]}"; do
		jq -e ".container.id == \"$ID\"" <<<"$l" >/dev/null
	done
}

@test "cai-audit tail --container takes a full id or a short one of 12 digits" {
	use_run
	run "$CAI_AUDIT" tail --log "$LOG" --json --container "$ID"
	assert_success
	full=$output
	run "$CAI_AUDIT" tail --log "$LOG" --json --container "${ID:0:12}"
	assert_success
	[ "$output" = "$full" ]
	[ -n "$full" ]
}

@test "cai-audit tail --container refuses an id prefix shorter than 12 digits to match" {
	use_run
	run "$CAI_AUDIT" tail --log "$LOG" --json --container "${ID:0:11}"
	assert_success
	assert_output ""
}

@test "the readable tail names the container" {
	use_run
	run "$CAI_AUDIT" tail --log "$LOG" --container cai-test-x
	assert_success
	assert_line --partial "[cai-test-x] pid 1 (in-container)"
}

@test "cai audit tail --container works the same through cai" {
	use_run
	run "$CAI_BIN" audit tail --log "$LOG" --json --container cai-test-shim
	assert_success
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		jq -e ".container.id == \"$SHIM_ID\"" <<<"$l" >/dev/null
	done
}

@test "a flood of peers that exit at once: logged as unknown, no fd leaks, others still served" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to send as nobody"
	SEND_STATIC=$CAI_TEST_BIN/audit-send-static
	[ -x "$SEND_STATIC" ] || skip "$SEND_STATIC is not built (make $BUILDDIR/test/audit-send-static)"
	AUD=$(mktemp -d /tmp/cai-flood.XXXXXX)
	chmod 0755 "$AUD"
	SOCK=$AUD/audit.sock
	LOG=$AUD/audit.jsonl
	cp "$SEND_STATIC" "$AUD/send"
	start_collector
	ev='{"v":1,"ts":"2026-01-01T00:00:00.000000000Z","mono":"1.0","pid":1,"ppid":0,"tid":1,"uid":0,"comm":"COMM","cwd":"/","call":"open","phase":"exit","args":{"path":"/x"},"result":{"return":3}}'
	"$AUD/send" "$SOCK" "$(record "${ev/COMM/warm-up}")"
	sleep 0.2
	before=$(ls "/proc/$AUDITD_PID/fd" | wc -l)
	# Stopped, the collector accepts nothing: every peer is gone by then.
	kill -STOP "$AUDITD_PID"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$AUD/send" --flood 200 "$SOCK" "$(record "${ev/COMM/flood}")"
	kill -CONT "$AUDITD_PID"
	"$AUD/send" "$SOCK" "$(record "${ev/COMM/after}")"
	for _ in $(seq 100); do
		[ "$(count_events '.comm == "after"')" = 1 ] && break
		sleep 0.05
	done
	after=$(ls "/proc/$AUDITD_PID/fd" | wc -l)
	stop_collector
	[ "$(count_events '.comm == "flood"')" = 200 ]
	if grep -qv '^0::' /proc/self/cgroup; then
		# v1 hierarchies: an exited peer's unified cgroup decides nothing.
		[ "$(count_events '.comm == "flood" and .container.id == null and
			.container.unknown == "peer exited before it could be identified" and .peer.uid == 65534')" = 200 ]
	else
		# cgroup v2 alone: the host's cgroup may have been seen alive
		# (auditd-cgroup.bats); nothing claims a container.
		[ "$(count_events '.comm == "flood" and .peer.uid == 65534 and ((has("container") | not) or
			.container.unknown == "peer exited before it could be identified")')" = 200 ]
	fi
	ev=$(the_event '.comm == "after"')
	check_event "$ev" 'has("container") | not'
	echo "fds before $before, after $after" >&2
	[ "$after" = "$before" ]
	rm -rf "$AUD"
}
