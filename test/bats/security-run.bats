#!/usr/bin/env bats
# cai run's supervisor against its own agent (issue 14: the agent is the
# attacker; it runs as the same user as cai run): it cannot write the
# supervisor's memory, cannot slip an exec past a policy by hiding its
# memory, and an agent that nothing could audit, or a policy that nothing
# could enforce, is refused rather than run quietly.

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	audit_setup
	HARNESS=$CAI_TEST_BIN/seccomp-harness
	# The unprivileged runs need a collector and files they can reach.
	AUD=$(mktemp -d /tmp/cai-security-run.XXXXXX)
	chmod 0755 "$AUD"
	SOCK=$AUD/audit.sock
	LOG=$AUD/audit.jsonl
}

teardown() {
	audit_teardown
	rm -rf "$AUD"
}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}

@test "the agent cannot open its supervisor's memory (cai run is not dumpable)" {
	require_root
	require_user_notif
	start_collector
	run as_nobody "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- "$PY" -c '
import os
try:
    open("/proc/%d/mem" % os.getppid(), "r+b")
    print("opened the supervisor")
except OSError as e:
    print("refused:", e.strerror)'
	assert_success
	assert_output "refused: Permission denied"
}

@test "under a policy, an exec whose path the supervisor cannot read is denied, and the log says why" {
	require_root
	require_user_notif
	start_collector
	echo '{"deny_exec": ["/usr/bin/nc"]}' >"$AUD/policy.json"
	chmod 0644 "$AUD/policy.json"
	# Non-dumpable before exec: process_vm_readv fails for a same-uid reader.
	run as_nobody "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c '
import ctypes, os
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
try:
    os.execv("/bin/echo", ["echo", "hidden exec ran"])
except OSError as e:
    print("exec refused:", e.strerror)'
	assert_success
	assert_output "exec refused: Operation not permitted"
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .decision == "deny" and .args.path == ""')" \
		'.rule | test("could not be read")'
}

@test "EBUSY and no shim (turned off, or unreadable): refused, nothing runs; --no-audit runs it" {
	require_user_notif
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *"nothing could audit this agent"*"EBUSY"*"was turned off (--no-shim)"*"--no-audit"* ]]
	[ ! -e "$AUD/ran" ]
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --shim "$AUD/missing-shim.so" --audit-socket "$SOCK" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *"\`$AUD/missing-shim.so\` is not readable"* ]]
	[ ! -e "$AUD/ran" ]
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --no-audit --audit-socket "$SOCK" -- touch "$AUD/ran"
	assert_success
	[ -e "$AUD/ran" ]
}

@test "EBUSY with --policy: refused, since nothing would enforce it" {
	require_user_notif
	echo '{"deny_exec": ["/usr/bin/nc"]}' >"$AUD/policy.json"
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --shim "$CAI_AUDIT_SHIM" --policy "$AUD/policy.json" --audit-socket "$SOCK" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *"--policy cannot be enforced"*"EBUSY"* ]]
	[ ! -e "$AUD/ran" ]
}

@test "a backstop that cannot be installed is said without --debug, and refused under a policy" {
	# Every seccomp(2) fails: neither the listener nor the backstop loads.
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" errno EINVAL -- \
		"$CAI_BIN" run --shim "$CAI_AUDIT_SHIM" --audit-socket "$SOCK" -- true
	assert_success
	[[ "$stderr" == *"the static backstop could not be installed"*"NOT denied"* ]]
	echo '{"deny_exec": ["/usr/bin/nc"]}' >"$AUD/policy.json"
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" errno EINVAL -- \
		"$CAI_BIN" run --shim "$CAI_AUDIT_SHIM" --policy "$AUD/policy.json" --audit-socket "$SOCK" -- touch "$AUD/ran"
	assert_failure 125
	[ ! -e "$AUD/ran" ]
}

@test "an exec with 20 KiB of arguments is logged (cut, marked truncated), not lost to a rejection" {
	require_user_notif
	start_collector
	run "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- "$PY" -c '
import os
os.execv("/bin/true", ["/bin/true", "big-args"] + ["x" * 200] * 100)'
	assert_success
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .args.path == "/bin/true" and .args.argv[1] == "big-args"')" \
		'.truncated == true and .args.argc == 102 and (.args.argv | length) < 102'
	[ "$(jq -s '[.[] | select(.rejected)] | length' "$LOG")" = 0 ]
}
