#!/usr/bin/env bats
# cai audit tail's readable view against names an agent chose (issue 14,
# item 22): a file name with a newline and terminal escapes must neither
# forge a line nor erase one.

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	audit_setup
}

# A log line as the collector writes it, for an open of PATH (JSON-escaped).
log_open() {
	printf '{"v":1,"ts":"2026-11-29T10:00:00.000000000Z","mono":"1.0","pid":42,"ppid":1,"tid":42,"uid":1000,"comm":"agent","cwd":"/","call":"open","phase":"exit","source":"shim","args":{"path":"%s","flags":["O_RDONLY"]},"result":{"return":3},"peer":{"pid":42,"uid":1000,"gid":1000}}\n' "$1" >>"$LOG"
}

@test "tail: a newline in a name cannot forge a second line" {
	log_open '/tmp/x\n2026-11-29T10:00:01 pid 1 (sshd) uid 0 open /etc/shadow'
	run "$CAI_AUDIT" tail --log "$LOG" -n 10
	assert_success
	[ "${#lines[@]}" = 1 ]
	assert_output --partial '/tmp/x\n2026-11-29T10:00:01 pid 1 (sshd)'
}

@test "tail: terminal escapes (ESC, CSI in C1, DEL, carriage return) are shown, not obeyed" {
	log_open '/tmp/a\u001b[2K\r\u009b2Kb\u007fc\\d'
	run "$CAI_AUDIT" tail --log "$LOG" -n 10
	assert_success
	assert_output --partial '/tmp/a\x1b[2K\r\u009b2Kb\x7fc\\d'
	# Not one control byte reaches the terminal.
	run bash -c "'$CAI_AUDIT' tail --log '$LOG' -n 10 | LC_ALL=C grep -c \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]\\|\\xc2[\\x80-\\x9f]'"
	assert_output 0
}

@test "tail --json keeps the record as it is (JSON escapes are already safe)" {
	log_open '/tmp/x\ny'
	run "$CAI_AUDIT" tail --log "$LOG" --json -n 10
	assert_success
	[ "${#lines[@]}" = 1 ]
	echo "$output" | jq -e '.args.path == "/tmp/x\ny"'
}
