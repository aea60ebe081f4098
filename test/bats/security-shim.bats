#!/usr/bin/env bats
# libcai-auditshim.so cannot be shed or observed by the traced program:
# closing every fd leaves no fd of the shim's behind (issue 14, item 16),
# and an LD_PRELOAD that only looks like the shim's does not stop it from
# following a child (item 17).

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
}

teardown() { audit_teardown; }

# close_all HOW: close every fd from 3 (HOW: close_range or closefrom),
# then print the fds left and how many /dev/null opens fit under a soft
# RLIMIT_NOFILE of 64, and try one open of /nonexistent/after-close.
close_all() {
	"$PY" -c '
import ctypes, errno, os, resource, sys
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "close_range":
    if libc.close_range(ctypes.c_uint(3), ctypes.c_uint(0xFFFFFFFF), ctypes.c_int(0)) != 0:
        sys.exit("close_range: " + os.strerror(ctypes.get_errno()))
else:
    libc.closefrom(ctypes.c_int(3))
print("fds=" + ",".join(sorted(os.listdir("/proc/self/fd"), key=int)))
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
opened = []
while True:
    try:
        opened.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        print("opened=%d last=%s then=%s" % (len(opened), opened[-1], errno.errorcode[e.errno]))
        break
for fd in opened:
    os.close(fd)
try:
    os.open("/nonexistent/after-close", os.O_RDONLY)
except OSError:
    pass' "$1"
}

# check_close_all HOW: the same output with and without the shim, and every
# open made after the close is logged or counted as dropped.
check_close_all() {
	run close_all "$1"
	assert_success
	local plain=$output
	echo "without the shim: $plain"
	start_collector
	run audited close_all "$1"
	stop_collector
	assert_success
	echo "with the shim:    $output"
	assert_output "$plain"
	local n
	n=$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' <<<"$output")
	[ "$(count_events '.args.path == "/nonexistent/after-close"')" = 1 ]
	local logged lost
	logged=$(count_events '.args.path == "/dev/null" and .comm == "python3"')
	lost=$(sum_dropped '.comm == "python3"')
	echo "opens=$((n + 1)) logged=$logged dropped=$lost"
	# The opens made with the table full could not be sent: counted.
	[ $((logged + lost)) -eq $((n + 1)) ]
}

@test "close_range(3, ~0U, 0) leaves no fd of the shim's: fds and EMFILE as without it" {
	check_close_all close_range
}

@test "closefrom(3) leaves no fd of the shim's: fds and EMFILE as without it" {
	"$PY" -c 'import ctypes, sys; sys.exit(not hasattr(ctypes.CDLL(None), "closefrom"))' ||
		skip "this glibc has no closefrom"
	check_close_all closefrom
}

@test "close of the shim's fd number found in /proc/self/fd leaves no fd behind" {
	start_collector
	run audited "$PY" -c '
import os
for f in sorted(os.listdir("/proc/self/fd"), key=int):
    if int(f) > 2:
        try: os.close(int(f))
        except OSError: pass
print("fds=" + ",".join(sorted(os.listdir("/proc/self/fd"), key=int)))
os.close(os.open("/etc/hostname", os.O_RDONLY))' 3>&- 4>&-
	stop_collector
	assert_success
	assert_output "fds=0,1,2,3"
	[ "$(count_events '.args.path == "/etc/hostname" and .comm == "python3"')" = 1 ]
}

# exec_child PRELOAD: exec a python child with LD_PRELOAD=PRELOAD (and the
# socket variable) that prints its LD_PRELOAD and opens /nonexistent/child.
exec_child() {
	audited "$PY" -c '
import os, sys
env = {"LD_PRELOAD": sys.argv[1], "CAI_AUDIT_SOCKET": os.environ["CAI_AUDIT_SOCKET"]}
os.execve(sys.argv[2], [sys.argv[2], "-c", """
import os
print(os.environ["LD_PRELOAD"])
try: os.open("/nonexistent/child", 0)
except OSError: pass
"""], env)' "$1" "$PY"
}

@test "a child whose LD_PRELOAD names the shim's path plus a suffix is still audited" {
	start_collector
	run exec_child "$CAI_AUDIT_SHIM.bak"
	stop_collector
	assert_success
	assert_line "$CAI_AUDIT_SHIM:$CAI_AUDIT_SHIM.bak"
	[ "$(count_events '.args.path == "/nonexistent/child"')" = 1 ]
}

@test "a child whose LD_PRELOAD names a path ending in the shim's path is still audited" {
	start_collector
	run exec_child "/nonexistent$CAI_AUDIT_SHIM"
	stop_collector
	assert_success
	assert_line "$CAI_AUDIT_SHIM:/nonexistent$CAI_AUDIT_SHIM"
	[ "$(count_events '.args.path == "/nonexistent/child"')" = 1 ]
}

@test "a child whose LD_PRELOAD lists the shim among others (colons, spaces) keeps it as is" {
	start_collector
	run exec_child "/nonexistent/a.so:$CAI_AUDIT_SHIM /nonexistent/b.so"
	stop_collector
	assert_success
	assert_line "/nonexistent/a.so:$CAI_AUDIT_SHIM /nonexistent/b.so"
	[ "$(count_events '.args.path == "/nonexistent/child"')" = 1 ]
}

@test "programs with small stacks work under the shim: 16, 24 and 32 KiB threads and an 8 KiB sigaltstack" {
	# The shim used to take 22 KiB of static TLS (carved out of every
	# thread's stack) and a 6 KiB frame per open: pthread_create failed for
	# small stacks and open() crashed on them (issue 14, item 15).
	start_collector
	run audited "$AUDIT_STRESS" stacks /dev/null
	stop_collector
	assert_success
	assert_line "stack 16 KiB: create=ok opened=1"
	assert_line "stack 24 KiB: create=ok opened=1"
	assert_line "stack 32 KiB: create=ok opened=1"
	assert_line "sigaltstack 8 KiB: opened=1"
	# and each open is in the log, the handler's too
	[ "$(count_events '.call == "open" and .args.path == "/dev/null"')" = 4 ]
}

@test "the shim's static TLS stays small (a few hundred bytes)" {
	local tls
	tls=$(readelf -lW "$CAI_AUDIT_SHIM" | awk '$1 == "TLS" { print $6 }')
	tls=$((tls))
	echo "static TLS: $tls bytes" >&2
	[ -n "$tls" ]
	[ "$tls" -lt 512 ]
}

# ring_maps PID: how many mappings of an audit ring the process has.
ring_maps() { grep -c 'cai-audit-ring' "/proc/$1/maps" || true; }

# wait_stopped PID: the process is stopped (SIGSTOP) within 5 s.
wait_stopped() {
	local i
	for i in $(seq 100); do
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ] && return 0
		sleep 0.05
	done
	return 1
}

# drop_test CALL: root's fork child drops to nobody with os.CALL (setuid:
# every uid; seteuid: the effective one, which the kernel stamps on a
# connection), is checked for root's ring before and after, then execs.
drop_test() {
	audit_setup_public # nobody reaches the socket
	start_collector
	# A privilege-separated worker: forked by root (which has a ring), it
	# drops to nobody; if it kept root's ring mapped, code running in it
	# could write events that the collector stamps as root's.
	audited "$PY" -c '
import os, signal, sys
os.close(os.open("/etc/hostname", os.O_RDONLY))
pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGSTOP)
    os.setgid(65534)
    getattr(os, sys.argv[1])(65534)
    os.kill(os.getpid(), signal.SIGSTOP)
    os.execv("/bin/true", ["true", "dropped"])
print(pid, flush=True)
os.waitpid(pid, 0)' "$1" >"$AUD/child" 3>&- &
	local py=$! child i
	for i in $(seq 100); do [ -s "$AUD/child" ] && break; sleep 0.05; done
	child=$(cat "$AUD/child")
	wait_stopped "$child"
	# Root's ring, kept for the exec's event.
	[ "$(ring_maps "$child")" -eq 1 ]
	kill -CONT "$child"
	wait_stopped "$child"
	[ "$(ring_maps "$child")" -eq 0 ]
	kill -CONT "$child"
	wait "$py"
	stop_collector
	event=$(the_event '.args.argv == ["true", "dropped"]')
	check_event "$event" ".pid == $child and .peer.uid == 65534 and .peer.pid == $child"
}

@test "a fork child of root that drops to nobody (setuid) loses root's ring first: its events are stamped nobody" {
	drop_test setuid
	check_event "$event" ".uid == 65534"
}

@test "a fork child of root that drops its effective uid (seteuid) loses root's ring first: its events are stamped nobody" {
	drop_test seteuid
}
