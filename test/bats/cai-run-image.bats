#!/usr/bin/env bats
# cai run --image: the agent in a container on a real Secure Engine (dockerd
# 20.10 in private namespaces, test/helpers/agent-sandbox), its execs
# supervised across the container boundary through seccomp, the shim
# preloaded inside, every event attributed to the container, and every bad
# input refused with nothing left running.

setup_file() {
	load ../helpers/common
	load ../helpers/agent
	agent_sandbox_start
}

teardown_file() {
	load ../helpers/agent
	agent_sandbox_stop
}

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	load ../helpers/agent
	NAME=t$BATS_TEST_NUMBER-$$
}

# The id the engine gave a container, while it exists.
container_id() {
	dock inspect -f '{{.Id}}' "$1"
}

@test "--image: a static exec inside the container is seen through seccomp, attributed to the container" {
	require_user_notif
	run cai_agent --keep --name "$NAME" --image cai-test:busybox --runtime runc -- \
		try-syscall exec /bin/true "marker-$NAME"
	assert_success
	local id
	id=$(container_id "$NAME")
	[ "${#id}" = 64 ]
	wait_events 1 ".args.argv == [\"/bin/true\",\"marker-$NAME\"]"
	check_event "$(the_event ".args.argv == [\"/bin/true\",\"marker-$NAME\"]")" \
		".source == \"seccomp\" and .call == \"execve\" and .decision == \"allow\" and
		 .container.id == \"$id\" and .container.name == \"$NAME\" and .comm == \"try-syscall\""
	dock rm -f "$NAME" >/dev/null
}

@test "--image: the agent's exit status is cai run's, and the container is removed afterwards" {
	run cai_agent --no-shim --name "$NAME" --image cai-test:busybox --runtime runc -- sh -c 'exit 7'
	assert_failure 7
	no_container "$NAME"
	run cai_agent --no-shim --name "$NAME" --image cai-test:busybox --runtime runc -- sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "--image: a command that is not in the image exits 127, one that cannot run 126" {
	run -127 --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- no-such-agent
	assert_failure 127
	[[ "$stderr" == *'run `no-such-agent`: No such file or directory'* ]]
	run --separate-stderr cai_agent --name "$NAME-2" --image cai-test:busybox --runtime runc -- /tmp
	assert_failure 126
	no_container "$NAME"
}

@test "--image: a glibc image gets the shim: open, connect and exec events carry the container and both pids" {
	require_user_notif
	run cai_agent --keep --name "$NAME" --image cai-test:debian --runtime runc -- \
		sh -c "cat /etc/hostname >/dev/null; exec /bin/true shim-$NAME"
	assert_success
	local id
	id=$(container_id "$NAME")
	wait_events 1 ".source == \"shim\" and .call == \"execve\" and .args.argv == [\"/bin/true\",\"shim-$NAME\"]"
	wait_events 1 ".source == \"shim\" and (.call | startswith(\"open\")) and .args.path == \"/etc/hostname\" and .container.name == \"$NAME\""
	check_event "$(the_event ".source == \"shim\" and .call == \"execve\" and .args.argv == [\"/bin/true\",\"shim-$NAME\"]")" \
		".container.id == \"$id\" and .container.name == \"$NAME\" and .pid != .peer.pid and .pid < 100 and .peer.uid == 0"
	# The same exec, seen by the kernel too.
	wait_events 1 ".source == \"seccomp\" and .args.argv == [\"/bin/true\",\"shim-$NAME\"] and .container.id == \"$id\""
	dock rm -f "$NAME" >/dev/null
}

@test "--image: short-lived processes in a burst are every one attributed to the container" {
	run cai_agent --name "$NAME" --image cai-test:debian --runtime runc -- \
		sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do cat /etc/hostname; done >/dev/null'
	assert_success
	wait_events 20 ".source == \"shim\" and .comm == \"cat\" and .args.path == \"/etc/hostname\" and .container.name == \"$NAME\""
	# None of them is logged without its container, nor as unknown.
	[ "$(count_events '.source == "shim" and .comm == "cat" and .args.path == "/etc/hostname" and ((.container | not) or .container.id == null)')" = 0 ]
}

@test "--image: a musl image gets the musl shim" {
	dock image inspect cai-test:musl >/dev/null 2>&1 || skip "no musl image (musl-gcc or the musl loader is missing)"
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:musl -- /bin/musl-call open "/etc/musl-$NAME" O_RDONLY
	# audit-call's own status: 1 when the call failed, as this one must.
	assert_failure 1
	assert_output "ret=-1 errno=ENOENT"
	[ -z "$stderr" ]
	wait_events 1 ".source == \"shim\" and .call == \"open\" and .args.path == \"/etc/musl-$NAME\" and .container.name == \"$NAME\""
	check_event "$(the_event ".source == \"shim\" and .args.path == \"/etc/musl-$NAME\"")" '.result.error == "ENOENT" and .result.return == -1 and .pid < 100'
}

@test "--image: under the registered sysbox-runc (listener taken: EBUSY) the shim alone audits, quietly" {
	in_sb rm -f /run/cai-test/runtime.log
	run --separate-stderr cai_agent --keep --name "$NAME" --image cai-test:debian -- \
		sh -c "exec /bin/true ebusy-$NAME"
	assert_success
	[ -z "$stderr" ]
	# The engine really ran the registered runtime for this container.
	local id
	id=$(container_id "$NAME")
	run in_sb cat /run/cai-test/runtime.log
	assert_output --partial "create --bundle"
	assert_output --partial "$id"
	wait_events 1 ".source == \"shim\" and .args.argv == [\"/bin/true\",\"ebusy-$NAME\"] and .container.id == \"$id\""
	[ "$(count_events ".source == \"seccomp\" and .container.name == \"$NAME\"")" = 0 ]
	dock rm -f "$NAME" >/dev/null
}

@test "--image --debug says why the shim alone audits under sysbox-runc" {
	run --separate-stderr cai_agent --debug --name "$NAME" --image cai-test:debian -- true
	assert_success
	[[ "$stderr" == *"exec listener EBUSY"* ]]
	[[ "$stderr" == *"the shim audits this agent"* ]]
}

@test "--image: a static image where seccomp cannot notify is refused: nothing could audit it" {
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox -- echo should-not-run
	assert_failure 125
	refute_output --partial should-not-run
	[[ "$stderr" == *"nothing could audit this agent"* ]]
	[[ "$stderr" == *"--no-audit"* ]]
	no_container "$NAME"
	# Asked for explicitly, it runs.
	run cai_agent --no-audit --name "$NAME" --image cai-test:busybox -- echo ran-unaudited
	assert_success
	assert_output ran-unaudited
}

@test "--image: mount and ptrace fail inside the container (the backstop profile)" {
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- try-syscall ptrace mount bpf getpid
	assert_success
	assert_line "ptrace EPERM"
	assert_line "mount EPERM"
	assert_line "bpf EPERM"
	assert_line "getpid OK"
}

@test "--image: --workspace is the read-write working directory, -e passes variables, nothing else is mounted" {
	local ws=$BATS_TEST_TMPDIR/ws
	mkdir -p "$ws"
	echo from-host >"$ws/in.txt"
	FROM_CALLER=caller-value run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc \
		--workspace "$ws" -e GREETING=hello -e FROM_CALLER -- \
		sh -c 'pwd; cat in.txt; echo written >out.txt; echo "$GREETING $FROM_CALLER"; cat /proc/self/mountinfo >mounts'
	assert_success
	assert_line --index 0 /workspace
	assert_line --index 1 from-host
	assert_line --index 2 "hello caller-value"
	[ "$(cat "$ws/out.txt")" = written ]
	# Beside what docker gives every container: our files and the workspace.
	run sh -c "awk '{print \$5}' '$ws/mounts' | grep -Ev '^/\$|^/(proc|dev|sys)(/|\$)|^/etc/(hosts|hostname|resolv.conf)\$' | sort"
	assert_output "/.containai/audit
/.containai/bin/cai-agent-init
/.containai/handoff
/.containai/lib/libcai-auditshim-musl.so
/.containai/lib/libcai-auditshim.so
/workspace"
}

@test "--image: SIGTERM to cai run stops the container and removes it" {
	cai_agent --no-shim --name "$NAME" --image cai-test:busybox --runtime runc -- sleep 60 &
	local pid=$!
	local i
	for i in $(seq 100); do
		containers | grep -qx "$NAME" && break
		sleep 0.1
	done
	sleep 0.5
	local start=$SECONDS
	in_sb pkill -TERM -f "^$CAI_BIN run .*--name $NAME " || true
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 143 ]
	[ $((SECONDS - start)) -lt 9 ]
	no_container "$NAME"
}

@test "--image --keep keeps the stopped container" {
	run cai_agent --no-shim --keep --name "$NAME" --image cai-test:busybox --runtime runc -- true
	assert_success
	run containers
	assert_line "$NAME"
	dock rm -f "$NAME" >/dev/null
}

@test "--image: a name in use is refused and the other container is left alone" {
	dock create --name "$NAME" cai-test:busybox true >/dev/null
	local before
	before=$(container_id "$NAME")
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- echo should-not-run
	assert_failure 125
	refute_output --partial should-not-run
	[[ "$stderr" == *"did not start"* ]]
	[ "$(container_id "$NAME")" = "$before" ]
	dock rm -f "$NAME" >/dev/null
}

@test "--image: an image that is not on the engine is an error, never a download" {
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:no-such-image --runtime runc -- true
	assert_failure 125
	[[ "$stderr" == *"No such image"* || "$stderr" == *"not found"* ]]
	[[ "$stderr" == *"did not start"* ]]
	no_container "$NAME"
}

@test "--image: without sysbox-runc installed, the default runtime is refused with the way out" {
	[ ! -e /usr/bin/sysbox-runc ] || skip "sysbox-runc is installed on this host"
	run --separate-stderr "$CAI_BIN" run --image cai-test:busybox -- true
	assert_failure 125
	[[ "$stderr" == *"sysbox-runc is not installed"* ]]
	[[ "$stderr" == *"sysbox-ce"* ]]
	[[ "$stderr" == *"--runtime runc"* ]]
}

@test "--image: the engine down, the collector down, a missing workspace: clear errors, nothing started" {
	run --separate-stderr in_sb unshare --mount sh -c 'mount -t tmpfs t /run && exec "$@"' sh \
		"$CAI_BIN" run --image cai-test:busybox --runtime runc -- true
	assert_failure 125
	[[ "$stderr" == *"the Secure Engine is not running"* ]]
	[[ "$stderr" == *"cai engine start"* ]]
	run --separate-stderr in_sb "$CAI_BIN" run --audit-socket /run/aud/nobody-here.sock --agent-init "$AGENT_INIT" \
		--name "$NAME" --image cai-test:busybox --runtime runc -- true
	assert_failure 125
	[[ "$stderr" == *"the audit collector is not listening on \`/run/aud/nobody-here.sock\`"* ]]
	[[ "$stderr" == *"--no-audit"* ]]
	run --separate-stderr cai_agent --workspace /nonexistent/ws --name "$NAME" --image cai-test:busybox --runtime runc -- true
	assert_failure 125
	[[ "$stderr" == *"--workspace \`/nonexistent/ws\`: No such file or directory"* ]]
	no_container "$NAME"
}

@test "--image: option errors are usage errors (exit 2)" {
	run --separate-stderr "$CAI_BIN" run --name x -- true
	assert_failure 2
	[[ "$stderr" == *"go with --image"* ]]
	run --separate-stderr "$CAI_BIN" run --image x -e "1BAD=x" -- true
	assert_failure 2
	run --separate-stderr "$CAI_BIN" run --image x --runtime runc --name "bad/name" -- true
	assert_failure 125
	[[ "$stderr" == *"--name \`bad/name\`"* ]]
}

@test "--image --policy cannot be enforced where the listener is taken: refused, not ignored" {
	echo '{"deny_exec": ["/bin/nc"]}' >"$BATS_TEST_TMPDIR/policy.json"
	run --separate-stderr cai_agent --policy "$BATS_TEST_TMPDIR/policy.json" --name "$NAME" --image cai-test:debian -- echo should-not-run
	assert_failure 125
	refute_output --partial should-not-run
	[[ "$stderr" == *"--policy cannot be enforced"* ]]
}

@test "--image --policy denies an exec inside the container under runc" {
	require_user_notif
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$BATS_TEST_TMPDIR/policy.json"
	run cai_agent --policy "$BATS_TEST_TMPDIR/policy.json" --name "$NAME" --image cai-test:debian --runtime runc -- \
		sh -c '/usr/bin/id -u || echo "denied $?"'
	assert_success
	assert_output --partial "Operation not permitted"
	wait_events 1 ".source == \"seccomp\" and .decision == \"deny\" and .args.path == \"/usr/bin/id\" and .container.name == \"$NAME\""
}

@test "--image: the handoff socket is out of other users' reach, and a host process posing as init is refused" {
	in_sb sh -c 'echo 2 >/run/cai-test/runtime-delay'
	cai_agent --name "$NAME" --image cai-test:debian -- echo should-not-run >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$! sock="" i
	for i in $(seq 100); do
		sock=$(in_sb sh -c 'ls /tmp/cai-run.*/handoff/init.sock 2>/dev/null | head -n 1')
		[ -n "$sock" ] && break
		sleep 0.05
	done
	[ -n "$sock" ]
	# An unprivileged user cannot even reach it.
	run in_sb setpriv --reuid=nobody --regid=nogroup --clear-groups \
		python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])' "$sock"
	assert_failure
	assert_output --partial "Permission denied"
	# A host process that can reach it sends a well-formed hello first.
	run in_sb python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
try:
    s.send(struct.pack("<IIIi", 0x31494143, 1, 1, -1))
    print("verdict", s.recv(1))
except OSError:
    print("verdict none")' "$sock"
	assert_output --regexp "verdict (b'x'|none)"
	local rc=0
	wait "$pid" || rc=$?
	in_sb rm -f /run/cai-test/runtime-delay
	[ "$rc" = 125 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "is not the container"
	run cat "$BATS_TEST_TMPDIR/out"
	refute_output --partial should-not-run
	no_container "$NAME"
}

@test "--image: init reaps the agent's orphans" {
	# An orphan's parent becomes init (PID 1): once it exits, no zombie may
	# stay.
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- sh -c '
		sh -c "sleep 0.2 &"
		sleep 1
		zombies=0
		for s in /proc/[0-9]*/stat; do
			case "$(cat "$s" 2>/dev/null)" in *") Z "*) zombies=$((zombies + 1)) ;; esac
		done
		echo "zombies=$zombies ppid-of-init=$(cut -d" " -f4 /proc/1/stat)"'
	assert_success
	assert_output "zombies=0 ppid-of-init=0"
}

@test "--image: a HUP to cai run reaches the agent through docker and init" {
	cai_agent --no-shim --name "$NAME" --image cai-test:busybox --runtime runc -- \
		sh -c 'trap "echo got-hup; exit 5" HUP; echo ready; sleep 30 & wait' >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$! i
	for i in $(seq 100); do
		grep -q ready "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	in_sb pkill -HUP -f "^$CAI_BIN run .*--name $NAME " || true
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 5 ]
	grep -qx got-hup "$BATS_TEST_TMPDIR/out"
	no_container "$NAME"
}
