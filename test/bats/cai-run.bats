#!/usr/bin/env bats
# cai run on the real kernel: execs supervised through a seccomp listener
# ("source":"seccomp"), the quiet fallback to the LD_PRELOAD shim under
# EBUSY and EINVAL ("source":"shim"), the exec policy, the static backstop,
# and the supervisor surviving a misbehaving agent. Events go to a real
# cai-auditd in the test's temporary directory.

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	audit_setup
	TRY=$CAI_TEST_BIN/try-syscall-static
	HARNESS=$CAI_TEST_BIN/seccomp-harness
}

teardown() {
	audit_teardown
}

# cai_run ARGS...: cai run with our collector and the built shim.
cai_run() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$CAI_BIN" run --audit-socket "$SOCK" --shim "$CAI_AUDIT_SHIM" "$@"
}

@test "run --help documents the paths, the policy and the exit codes" {
	run "$CAI_BIN" run --help
	assert_success
	assert_output --partial '"source":"seccomp"'
	assert_output --partial '"source":"shim"'
	assert_output --partial "--policy FILE"
	assert_output --partial "127 CMD not found"
}

@test "run without a command is a usage error; an unknown command exits 127; a bad option exits 2" {
	run --separate-stderr "$CAI_BIN" run
	assert_failure 2
	[[ "$stderr" == *"missing the command to run"* ]]
	run --separate-stderr "$CAI_BIN" run --bogus -- true
	assert_failure 2
	run -127 --separate-stderr "$CAI_BIN" run --no-shim -- /nonexistent/agent
	[[ "$stderr" == *'run `/nonexistent/agent`: No such file or directory'* ]]
}

@test "the agent's exit status and death by signal are passed on" {
	run "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- sh -c 'exit 7'
	assert_failure 7
	run "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "seccomp path: a static binary's own execve is logged with source seccomp, which the shim cannot see" {
	require_user_notif
	start_collector
	run cai_run -- sh -c "$TRY exec /bin/true marker-$$"
	assert_success
	stop_collector
	check_event "$(the_event ".args.argv == [\"/bin/true\",\"marker-$$\"]")" \
		'.source == "seccomp" and .call == "execve" and .phase == "enter" and .decision == "allow" and
		 .args.path == "/bin/true" and .comm == "try-syscall-sta" and (.peer.pid | type) == "number"'
	# The static binary itself was exec'd by the (dynamic) shell: seen by both.
	[ "$(count_events ".source == \"seccomp\" and .args.path == \"$TRY\"")" = 1 ]
	[ "$(count_events ".source == \"shim\" and .call == \"execve\" and .args.path == \"$TRY\"")" -ge 1 ]
	[ "$(count_events '.source == "shim" and (.args.argv // []) == ["/bin/true","marker-'$$'"]')" = 0 ]
}

@test "seccomp path: execveat on a dirfd is supervised too, with the path resolved against the dirfd" {
	require_user_notif
	start_collector
	run cai_run --no-shim -- "$TRY" execveat /bin/true "at-$$"
	assert_success
	stop_collector
	# The dirfd names the directory as the kernel sees it (/usr/bin on a
	# merged-/usr system).
	local dir
	dir=$(readlink -f /bin)
	check_event "$(the_event ".args.argv == [\"/bin/true\",\"at-$$\"]")" \
		'.source == "seccomp" and .call == "execveat" and .args.path == "true" and
		 .args.resolved == "'"$dir"'/true" and (.args.dirfd | type) == "number" and .args.flags == 0'
}

@test "seccomp path: the event names the caller as the kernel knows it: pid, tid, ppid, real uid, comm, cwd" {
	require_root
	require_user_notif
	start_collector
	mkdir "$AUD/cwd here"
	# A second thread execs, with a comm that /proc/PID/status escapes
	# (a backslash, a newline) and a real uid that is not the effective one.
	cat >"$AUD/ident.py" <<'PY'
import ctypes, os, sys, threading
def run():
    ctypes.CDLL(None).prctl(15, b"we\\ird\nnm\n", 0, 0, 0)
    print(os.getpid(), os.getppid(), threading.get_native_id(), flush=True)
    os.execv("/bin/true", ["/bin/true", sys.argv[2]])
os.chdir(sys.argv[1])
os.setresuid(65534, 0, 0)
threading.Thread(target=run).start()
threading.Event().wait(30)
PY
	run "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- "$PY" "$AUD/ident.py" "$AUD/cwd here" "ident-$$"
	assert_success
	stop_collector
	local pid ppid tid
	read -r pid ppid tid <<<"$output"
	[ "$tid" != "$pid" ]
	check_event "$(the_event ".args.argv == [\"/bin/true\",\"ident-$$\"]")" \
		'.source == "seccomp" and .pid == '"$pid"' and .tid == '"$tid"' and .ppid == '"$ppid"' and
		 .uid == 65534 and .comm == "we\\ird\nnm" and .cwd == "'"$AUD/cwd here"'"'
}

@test "seccomp path: the shim still reports open and connect, with source shim" {
	require_user_notif
	start_collector
	run cai_run -- cat "$BATS_TEST_FILENAME"
	assert_success
	stop_collector
	[ "$(count_events ".source == \"shim\" and (.call | startswith(\"open\")) and .args.path == \"$BATS_TEST_FILENAME\"")" -ge 1 ]
	[ "$(count_events '.source == "seccomp" and .args.path == "/usr/bin/cat"')" = 1 ]
}

@test "a deny policy answers EPERM in the kernel and logs the rule" {
	require_user_notif
	printf '{"deny_exec": ["/usr/bin/id", "*/forbidden-*"]}\n' >"$AUD/policy.json"
	start_collector
	run cai_run --policy "$AUD/policy.json" -- sh -c '/usr/bin/id; echo "id=$?"; '"$TRY"' exec /tmp/forbidden-tool'
	stop_collector
	assert_line --partial "Operation not permitted"
	assert_line "id=126"
	assert_line "exec EPERM"
	check_event "$(the_event '.source == "seccomp" and .args.path == "/usr/bin/id"')" \
		'.decision == "deny" and .rule == "/usr/bin/id"'
	check_event "$(the_event '.source == "seccomp" and .args.path == "/tmp/forbidden-tool"')" \
		'.decision == "deny" and .rule == "*/forbidden-*"'
}

@test "a policy file that is not valid is refused before anything runs, with the reason" {
	printf '{"deny_exec": "/usr/bin/id"}\n' >"$AUD/bad.json"
	run --separate-stderr "$CAI_BIN" run --policy "$AUD/bad.json" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *'`deny_exec` must be an array of strings'* ]]
	printf '{"deny": []}\n' >"$AUD/typo.json"
	run --separate-stderr "$CAI_BIN" run --policy "$AUD/typo.json" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *'unknown key `deny`'* ]]
	run --separate-stderr "$CAI_BIN" run --policy "$AUD/missing.json" -- touch "$AUD/ran"
	assert_failure 125
	[[ "$stderr" == *"open policy \`$AUD/missing.json\`: No such file or directory"* ]]
	printf '{"deny_exec": [\n' >"$AUD/broken.json"
	run --separate-stderr "$CAI_BIN" run --policy "$AUD/broken.json" -- touch "$AUD/ran"
	assert_failure 125
	[ ! -e "$AUD/ran" ]
}

@test "the static backstop: the agent tree cannot ptrace, mount, umount, bpf, perf or keyctl" {
	run "$TRY" ptrace mount umount2 bpf perf_event_open keyctl getpid
	refute_output --partial EPERM
	run --separate-stderr "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- sh -c "$TRY ptrace mount umount2 bpf perf_event_open keyctl getpid"
	assert_success
	assert_output "ptrace EPERM
mount EPERM
umount2 EPERM
bpf EPERM
perf_event_open EPERM
keyctl EPERM
getpid OK"
}

@test "EBUSY (a parent holds a listener): no warning, and execs still appear, from the shim" {
	require_user_notif
	start_collector
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --audit-socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- sh -c "/bin/true ebusy-$$"
	assert_success
	[ -z "$stderr" ]
	stop_collector
	check_event "$(the_event ".call == \"execve\" and .phase == \"enter\" and .args.argv == [\"/bin/true\",\"ebusy-$$\"]")" '.source == "shim"'
	[ "$(count_events '.source == "seccomp"')" = 0 ]
}

@test "EINVAL (no notification in the kernel): no warning, execs from the shim" {
	start_collector
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener-errno EINVAL -- \
		"$CAI_BIN" run --audit-socket "$SOCK" --shim "$CAI_AUDIT_SHIM" -- sh -c "/bin/true einval-$$"
	assert_success
	[ -z "$stderr" ]
	stop_collector
	check_event "$(the_event ".call == \"execve\" and .phase == \"enter\" and .args.argv == [\"/bin/true\",\"einval-$$\"]")" '.source == "shim"'
	[ "$(count_events '.source == "seccomp"')" = 0 ]
}

@test "--debug says which path audits the agent and why" {
	require_user_notif
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$HARNESS" listener -- \
		"$CAI_BIN" run --debug --shim "$CAI_AUDIT_SHIM" --audit-socket "$SOCK" -- true
	assert_success
	[[ "$stderr" == *"seccomp user notification unavailable (EBUSY): the shim audits this agent"* ]]
	run --separate-stderr "$CAI_BIN" run --debug --no-shim --audit-socket "$SOCK" -- true
	[[ "$stderr" == *"execs supervised through a seccomp listener"* ]]
}

@test "exec supervision asks for the synchronous wake-up where the kernel has it (Linux 6.6)" {
	require_user_notif
	start_collector
	run --separate-stderr "$CAI_BIN" run --debug --no-shim --audit-socket "$SOCK" -- /bin/sh -c '/bin/true; /bin/true'
	assert_success
	IFS=.- read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 6 ]; }; then
		[[ "$stderr" == *"exec supervision: synchronous wake-up"* ]]
	else
		[[ "$stderr" == *"exec supervision: ordinary wake-up (synchronous needs Linux 6.6)"* ]]
	fi
	# Either way every exec is still supervised and logged.
	stop_collector
	[ "$(count_events '.source == "seccomp" and .args.path == "/bin/sh"')" = 1 ]
	[ "$(count_events '.source == "seccomp" and .args.path == "/bin/true"')" = 2 ]
}

@test "--debug sums up supervision: execs, denials and the supervisor's CPU time per exec" {
	require_user_notif
	start_collector
	printf '{"deny_exec": ["/usr/bin/id"]}\n' >"$AUD/policy.json"
	run --separate-stderr "$CAI_BIN" run --debug --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- \
		/bin/sh -c '/bin/true; /usr/bin/id; /bin/true'
	stop_collector
	# sh, true, id (denied), true: four execs, one denied, each logged.
	line=$(printf '%s\n' "$stderr" | grep 'cai run: supervised ')
	[[ "$line" =~ ^"cai run: supervised 4 exec(s), 1 denied; the supervisor used "([0-9]+)\.[0-9]" us of CPU per exec"$ ]]
	[ "${BASH_REMATCH[1]}" -gt 0 ]
	[ "$(count_events '.source == "seccomp"')" = 4 ]
	[ "$(count_events '.source == "seccomp" and .decision == "deny"')" = 1 ]
	# Without --debug, nothing is said.
	run --separate-stderr "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- /bin/true
	[[ "$stderr" != *"supervised"* ]]
}

@test "--debug says once that the collector is away, not once per exec" {
	require_user_notif
	run --separate-stderr "$CAI_BIN" run --debug --no-shim --audit-socket "$AUD/nobody-listens.sock" -- \
		/bin/sh -c '/bin/true; /bin/true; /bin/true'
	assert_success
	[ "$(printf '%s\n' "$stderr" | grep -c 'collector unavailable at')" = 1 ]
	[[ "$stderr" == *"4 audit event(s) could not be delivered"* ]]
}

@test "--debug says so again when the collector goes away a second time" {
	require_user_notif
	# Away, back (an event is delivered), away again: two outages.
	"$CAI_BIN" run --debug --no-shim --audit-socket "$SOCK" -- sh -c \
		"/bin/true a; while [ ! -S '$SOCK' ]; do sleep 0.05; done; /bin/true b
		while [ ! -e '$AUD/gone' ]; do sleep 0.05; done; /bin/true c; /bin/true d" 2>"$AUD/run.err" &
	local agent=$!
	sleep 0.3
	start_collector
	local i
	for i in $(seq 100); do
		[ "$(count_events '.args.argv == ["/bin/true","b"]')" = 1 ] && break
		sleep 0.05
	done
	stop_collector
	touch "$AUD/gone"
	wait "$agent"
	[ "$(count_events '.args.argv == ["/bin/true","b"]')" = 1 ]
	[ "$(grep -c 'collector unavailable at' "$AUD/run.err")" = 2 ]
}

@test "a flood of execs: every one is logged, none lost" {
	require_user_notif
	start_collector
	run cai_run --no-shim -- sh -c 'i=0; while [ $i -lt 300 ]; do /bin/true flood; i=$((i+1)); done'
	assert_success
	stop_collector
	[ "$(count_events '.source == "seccomp" and .args.argv == ["/bin/true","flood"]')" = 300 ]
	[ "$(sum_dropped 'true')" = 0 ]
}

@test "the collector down: the agent runs normally and the undelivered events are reported" {
	require_user_notif
	run --separate-stderr "$CAI_BIN" run --no-shim --audit-socket "$AUD/nobody-listens.sock" -- sh -c '/bin/true; exit 5'
	assert_failure 5
	[[ "$stderr" == *"audit event(s) could not be delivered"* ]]
}

@test "the collector back mid-run: later events carry the count of those lost" {
	require_user_notif
	cai_run --no-shim -- sh -c "/bin/true before; while [ ! -S '$SOCK' ]; do sleep 0.05; done; /bin/true after" 2>/dev/null &
	local agent=$!
	sleep 0.5
	start_collector
	wait "$agent"
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .args.argv == ["/bin/true","after"]')" '.dropped >= 1'
}

@test "an agent killed while its execs are supervised: cai run returns promptly, nothing hangs" {
	require_user_notif
	start_collector
	run timeout 20 "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- sh -c \
		'(while :; do /bin/true; done) & loop=$!; sleep 0.5; kill -KILL $loop; exit 3'
	assert_failure 3
	stop_collector
	[ "$(count_events '.source == "seccomp" and .args.path == "/bin/true"')" -gt 0 ]
}

@test "descendants that outlive the agent are still supervised" {
	require_user_notif
	start_collector
	run timeout 20 "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- sh -c '(sleep 0.5; /bin/true orphan) & exit 0'
	assert_success
	stop_collector
	the_event '.source == "seccomp" and .args.argv == ["/bin/true","orphan"]'
}

@test "cai status says which path audits agents" {
	require_user_notif
	run "$CAI_BIN" status --json
	echo "$output" | jq -e '.agent_audit == "seccomp"'
	run "$HARNESS" listener -- "$CAI_BIN" status --json
	echo "$output" | jq -e '.agent_audit == "shim"'
}

@test "the Docker profile is the backstop list, and a real dockerd enforces it in a container" {
	require_sandbox
	jq -e '.defaultAction == "SCMP_ACT_ALLOW" and (.syscalls[0].names | index("ptrace") and index("mount") and index("bpf")) and
		.syscalls[0].action == "SCMP_ACT_ERRNO" and .syscalls[0].errnoRet == 1' "$CAI_AGENT_PROFILE"
	cp "$CAI_AGENT_PROFILE" "$BATS_TEST_TMPDIR/profile.json"
	cp "$TRY" "$BATS_TEST_TMPDIR/try-syscall"
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		"$CAI" engine start >/dev/null || exit 9
		img=$(mktemp -d); mkdir -p "$img/bin" "$img/mnt"
		cp /bin/busybox "$img/bin/"; ln -s busybox "$img/bin/sh"; ln -s busybox "$img/bin/echo"; ln -s busybox "$img/bin/mount"
		cp "'"$BATS_TEST_TMPDIR"'/try-syscall" "$img/bin/"
		tar -C "$img" -c . | docker -H unix:///var/run/docker-containai.sock import - cai-test:busybox >/dev/null || exit 8
		d() { docker -H unix:///var/run/docker-containai.sock run --rm --network none --cap-add SYS_ADMIN --cap-add SYS_PTRACE "$@"; }
		p="--security-opt seccomp='"$BATS_TEST_TMPDIR"'/profile.json"
		echo "default: $(d cai-test:busybox sh -c "mount -t tmpfs t /mnt && echo mounted")"
		echo "profile: $(d $p cai-test:busybox sh -c "mount -t tmpfs t /mnt && echo mounted" 2>&1)"
		echo "profile-echo: $(d $p cai-test:busybox echo still works)"
		echo "profile-try: $(d $p cai-test:busybox try-syscall ptrace mount bpf getpid | tr "\n" " ")"'
	assert_line "default: mounted"
	assert_line --regexp '^profile: mount: permission denied'
	assert_line "profile-echo: still works"
	assert_line "profile-try: ptrace EPERM mount EPERM bpf EPERM getpid OK "
}
