#!/usr/bin/env bats
# libcai-auditshim.so with real tools (sh, env -i, python3 subprocess, make,
# git, curl against a loopback server), strace -f as the ground truth, and
# the documented list of what the shim cannot see, each shown for real.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
	start_collector
	W=$AUD/work
	mkdir -p "$W"
	echo data >"$W/input"
}

teardown() {
	[ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null
	audit_teardown
}

start_http() {
	"$PY" -c '
import http.server, socketserver, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()' "$AUD/http-port" &
	HTTP_PID=$!
	for _ in $(seq 100); do [ -s "$AUD/http-port" ] && break; sleep 0.05; done
	HTTP_PORT=$(cat "$AUD/http-port")
}

@test "sh -c: the shell's exec of each command and the commands' opens" {
	run audited sh -c "cat '$W/input'; ls '$W' >/dev/null"
	assert_success
	stop_collector
	[ "$(count_events ".comm == \"sh\" and (.call | startswith(\"exec\")) and .args.argv[0] == \"cat\"")" -ge 1 ]
	[ "$(count_events ".comm == \"cat\" and .call == \"open\" and .args.path == \"$W/input\"")" = 1 ]
	[ "$(count_events ".comm == \"ls\" and .call == \"opendir\" and .args.path == \"$W\"")" = 1 ]
}

@test "env -i: a cleaned environment does not escape the audit" {
	run audited env -i /bin/sh -c "cat '$W/input'"
	assert_success
	stop_collector
	[ "$(count_events ".comm == \"env\" and .call == \"execvp\" and .args.path == \"/bin/sh\"")" = 1 ]
	[ "$(count_events ".comm == \"cat\" and .args.path == \"$W/input\"")" = 1 ]
}

@test "python3 subprocess (vfork + execve in the child) is audited" {
	run audited "$PY" -c "import subprocess; subprocess.run(['/bin/cat', '$W/input'], check=True)"
	assert_success
	stop_collector
	EV=$(the_event '(.call == "execve" or .call == "execv") and .args.argv == ["/bin/cat", "'"$W"'/input"] and .phase == "enter"')
	# The exec carries the child's pid; it went into the ring of the
	# python it was vforked from, which the kernel attributes.
	check_event "$EV" '.comm == "python3" and .pid != .peer.pid and .ppid == .peer.pid'
	[ "$(count_events ".comm == \"cat\" and .args.path == \"$W/input\"")" = 1 ]
}

@test "make: recipes run through posix_spawn or sh are audited" {
	printf 'all:\n\tcat input >/dev/null\n\ttouch made\n' >"$W/Makefile"
	run audited make -C "$W" -s
	assert_success
	stop_collector
	[ "$(count_events '.comm == "make" and (.call | test("^(posix_spawn|exec)")) and .phase == "enter"')" -ge 2 ]
	[ "$(count_events ".comm == \"cat\" and .args.path == \"input\" and .args.resolved == \"$W/input\"")" = 1 ]
	[ "$(count_events '.comm == "touch" and .args.path == "made"')" -ge 1 ]
}

@test "git: repository files opened by git are audited" {
	git init -q "$W/repo"
	run audited git -C "$W/repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m msg
	assert_success
	stop_collector
	[ "$(count_events '.comm == "git" and (.call | startswith("open")) and (.args.path | endswith("HEAD"))')" -ge 1 ]
}

@test "curl to a loopback server: the connect to 127.0.0.1 and its port" {
	start_http
	run audited curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/"
	assert_success
	assert_output 200
	stop_collector
	EV=$(the_event ".call == \"connect\" and .args.port == $HTTP_PORT")
	check_event "$EV" '.comm == "curl" and .args.family == "AF_INET" and .args.address == "127.0.0.1"'
}

@test "strace -f ground truth: every execve, connect and open of audited processes is in the log" {
	start_http
	cat >"$W/work.sh" <<SH
cat "$W/input" >/dev/null
sh -c 'ls "$W" >/dev/null; cp "$W/input" "$W/copy"'
env -i /bin/sh -c 'cat "$W/copy" >/dev/null'
$PY -c "import subprocess, urllib.request; urllib.request.urlopen('http://127.0.0.1:$HTTP_PORT/').read(); subprocess.run(['true'])"
printf 'all:\n\tcat input >/dev/null\n' >"$W/Makefile"
make -s -C "$W"
no-such-command-xyz 2>/dev/null || true
SH
	run strace -f -qq -v -s 4096 -o "$AUD/trace" -e trace=execve,open,openat,creat,connect,clone,clone3,fork,vfork \
		-E LD_PRELOAD="$CAI_AUDIT_SHIM" -E CAI_AUDIT_SOCKET="$SOCK" /bin/sh "$W/work.sh"
	assert_success
	stop_collector
	run "$PY" "$CAI_TOP/test/helpers/strace-compare.py" "$AUD/trace" "$LOG" "$SOCK"
	echo "$output"
	assert_success
	# The comparison really compared something of each kind.
	[[ "$output" =~ compared:\ ([0-9]+)\ opens,\ ([0-9]+)\ execs,\ ([0-9]+)\ connects ]]
	[ "${BASH_REMATCH[1]}" -ge 10 ]
	[ "${BASH_REMATCH[2]}" -ge 5 ]
	[ "${BASH_REMATCH[3]}" -ge 1 ]
}

@test "the comparison fails when an event is missing (the oracle can fail)" {
	run strace -f -qq -v -s 4096 -o "$AUD/trace" -e trace=execve,open,openat,connect,clone,clone3,fork,vfork \
		-E LD_PRELOAD="$CAI_AUDIT_SHIM" -E CAI_AUDIT_SOCKET="$SOCK" /bin/cat "$W/input"
	stop_collector
	grep -v "\"$W/input\"" "$LOG" >"$AUD/partial.jsonl" || true
	run "$PY" "$CAI_TOP/test/helpers/strace-compare.py" "$AUD/trace" "$AUD/partial.jsonl" "$SOCK"
	assert_failure
	assert_output --partial "MISSING: "
	assert_output --partial "$W/input"
}

@test "invisible: a static binary (busybox) makes no events" {
	[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || skip "needs a static /bin/busybox (busybox-static)"
	run audited /bin/busybox cat "$W/input"
	assert_output data
	stop_collector
	[ "$(count_events '.comm == "busybox"')" = 0 ]
}

@test "invisible: a raw syscall(SYS_openat) makes no event, the libc call does" {
	run audited "$PY" -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(257, -100, b'$W/input', 0)  # SYS_openat, AT_FDCWD
assert fd >= 0
os.open('$W/input', os.O_RDONLY)"
	assert_success
	stop_collector
	[ "$(count_events ".args.path == \"$W/input\"")" = 1 ]
}

@test "invisible: an open through io_uring makes no event" {
	run audited "$AUDIT_STRESS" uring "$W/input"
	[ "$status" -eq 77 ] && skip "io_uring is not available here: $output"
	assert_success
	assert_output --partial "uring_fd="
	stop_collector
	[ "$(count_events ".args.path == \"$W/input\"")" = 0 ]
}

@test "invisible: the resolver's own connect to the DNS server" {
	require_root
	# A private network (only lo) and a private /etc/resolv.conf pointing
	# at 127.0.0.1: getaddrinfo() connects there through glibc internals.
	echo "nameserver 127.0.0.1" >"$AUD/resolv.conf"
	run unshare --net --mount --propagation private -- sh -c '
		ip link set lo up
		mount --bind "$1" /etc/resolv.conf
		shift
		strace -f -qq -v -s 4096 -o "$0" -e trace=connect "$@"' "$AUD/trace" "$AUD/resolv.conf" \
		env LD_PRELOAD="$CAI_AUDIT_SHIM" CAI_AUDIT_SOCKET="$SOCK" \
		"$PY" -c "
import socket
try: socket.getaddrinfo('audit-test.example', 80)
except socket.gaierror: pass"
	stop_collector
	grep -q 'sin_port=htons(53)' "$AUD/trace"
	[ "$(count_events '.call == "connect" and .args.port == 53')" = 0 ]
}
