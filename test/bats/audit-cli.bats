#!/usr/bin/env bats
# cai-audit run (a command under the shim) and cai-audit tail (the log,
# readable), against a real collector.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
}

teardown() {
	[ -n "${TAIL_PID:-}" ] && kill "$TAIL_PID" 2>/dev/null
	audit_teardown
}

@test "--help prints both subcommands on stdout" {
	run --separate-stderr "$CAI_AUDIT" --help
	assert_success
	assert_output --partial "cai-audit run"
	assert_output --partial "cai-audit tail"
	[ -z "$stderr" ]
}

@test "--version" {
	run "$CAI_AUDIT" --version
	assert_output --regexp '^cai-audit [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no subcommand, or an unknown one, is a usage error" {
	run --separate-stderr "$CAI_AUDIT"
	assert_failure 2
	run --separate-stderr "$CAI_AUDIT" frobnicate
	assert_failure 2
	[[ "$stderr" == *'unknown command `frobnicate`'* ]]
}

@test "run: the command and its children are audited" {
	start_collector
	run "$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- sh -c 'cat /etc/hostname >/dev/null'
	assert_success
	stop_collector
	[ "$(count_events '.comm == "cat" and .args.path == "/etc/hostname"')" = 1 ]
}

@test "run: exits with the command's status" {
	start_collector
	run "$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- sh -c 'exit 7'
	assert_failure 7
}

@test "run: a command that does not exist exits 127 with the reason" {
	start_collector
	run -127 --separate-stderr "$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- no-such-cmd-xyz
	assert_failure 127
	[[ "$stderr" == *'execute `no-such-cmd-xyz`: No such file or directory'* ]]
}

@test "run: without a collector it warns and still runs the command" {
	run --separate-stderr "$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- echo ran
	assert_success
	assert_output ran
	[[ "$stderr" == *"no collector on \`$SOCK\`"* ]]
}

@test "run: a missing shim is an error; a relative shim path a usage error" {
	run --separate-stderr "$CAI_AUDIT" run --shim /nonexistent/shim.so -- true
	assert_failure 1
	[[ "$stderr" == *'shim `/nonexistent/shim.so`'* ]]
	run --separate-stderr "$CAI_AUDIT" run --shim rel.so -- true
	assert_failure 2
}

@test "run: no command is a usage error" {
	run --separate-stderr "$CAI_AUDIT" run --shim "$CAI_AUDIT_SHIM"
	assert_failure 2
	[[ "$stderr" == *"no command given"* ]]
}

@test "tail: one readable line per event" {
	start_collector
	# audit-call may be an ASan build; see audited() in helpers/audit.bash.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
	"$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- "$AUDIT_CALL" open /nonexistent/x r >/dev/null || true
	# Into a program that lives a little: the collector identifies the
	# process's container (the host here) while it lives, even on a busy
	# machine (docs/audit-events.md, "Which container").
	"$CAI_AUDIT" run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- "$AUDIT_CALL" execve /bin/sleep sleep 0.5
	stop_collector
	run "$CAI_AUDIT" tail --log "$LOG"
	assert_success
	assert_line --regexp '^[0-9T:.-]+Z pid [0-9]+ \(audit-call\) uid 0 open /nonexistent/x O_RDONLY = -1 ENOENT$'
	assert_line --regexp '^[0-9T:.-]+Z pid [0-9]+ \(audit-call\) uid 0 execve: /bin/sleep \[sleep 0.5\]$'
}

@test "tail: drops, truncation, rejected messages and a pid the kernel contradicts are shown" {
	cat >"$LOG" <<'JSON'
{"v":1,"ts":"T1","mono":"1","pid":5,"ppid":1,"tid":5,"uid":0,"comm":"a","cwd":"/","call":"open","phase":"exit","args":{"path":"/p"},"result":{"return":3},"dropped":12,"truncated":true,"peer":{"pid":6,"uid":0,"gid":0}}
{"v":1,"ts":"T2","rejected":{"reason":"not JSON","bytes":8},"peer":{"pid":9,"uid":1000,"gid":1000}}
not a record
JSON
	run "$CAI_AUDIT" tail --log "$LOG"
	assert_success
	assert_line "T1 pid 5 (a) uid 0 open /p = 3 (kernel says pid 6) [12 earlier events of this process lost] [truncated]"
	assert_line "T2 REJECTED from pid 9 uid 1000: not JSON (8 bytes)"
	assert_line "(not an audit record) not a record"
}

@test "tail -n N and --json" {
	for i in 1 2 3; do
		printf '{"v":1,"ts":"T%s","pid":%s}\n' "$i" "$i"
	done >"$LOG"
	run "$CAI_AUDIT" tail --log "$LOG" -n 2 --json
	assert_success
	assert_output "$(printf '{"v":1,"ts":"T2","pid":2}\n{"v":1,"ts":"T3","pid":3}')"
	run --separate-stderr "$CAI_AUDIT" tail --log "$LOG" -n x
	assert_failure 2
}

@test "tail: a missing log is an error naming it" {
	run --separate-stderr "$CAI_AUDIT" tail --log "$AUD/none.jsonl"
	assert_failure 1
	[[ "$stderr" == *"open log \`$AUD/none.jsonl\`: No such file or directory"* ]]
}

@test "tail --follow shows new events, also after the log is rotated" {
	start_collector
	"$CAI_AUDIT" tail --log "$LOG" --follow >"$AUD/out" &
	TAIL_PID=$!
	audited "$AUDIT_CALL" open /nonexistent/first r >/dev/null || true
	for _ in $(seq 50); do grep -q first "$AUD/out" && break; sleep 0.1; done
	mv "$LOG" "$LOG.1"
	kill -HUP "$AUDITD_PID"
	sleep 0.3
	audited "$AUDIT_CALL" open /nonexistent/second r >/dev/null || true
	for _ in $(seq 50); do grep -q second "$AUD/out" && break; sleep 0.1; done
	kill "$TAIL_PID"
	wait "$TAIL_PID" || true
	TAIL_PID=
	grep -q "open /nonexistent/first" "$AUD/out"
	grep -q "open /nonexistent/second" "$AUD/out"
}

@test "cai audit run and cai audit tail are the same commands, named as cai audit" {
	run --separate-stderr "$CAI_BIN" audit --help
	assert_success
	assert_output --partial "cai audit run"
	assert_output --partial "cai audit tail"
	run --separate-stderr "$CAI_BIN" audit frobnicate
	assert_failure 2
	[[ "$stderr" == *"Try 'cai audit --help'"* ]]
	start_collector
	run "$CAI_BIN" audit run --socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- sh -c 'cat /etc/hostname >/dev/null; exit 3'
	assert_failure 3
	stop_collector
	[ "$(count_events '.comm == "cat" and .args.path == "/etc/hostname"')" -eq 1 ]
	run "$CAI_BIN" audit tail --log "$LOG" --json
	assert_success
	[ "$(grep -c '"path":"/etc/hostname"' <<<"$output")" -ge 1 ]
	run diff <("$CAI_BIN" audit tail --log "$LOG") <("$CAI_AUDIT" tail --log "$LOG")
	assert_success
}
