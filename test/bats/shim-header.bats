#!/usr/bin/env bats
# The event header (pid, ppid, uid, comm, cwd) is kept between events and
# read again only when a wrapper sees it change (src/shim/ident.c). Each
# test changes one value after a first event has filled the copies, and
# checks that the next event shows the new value: without the wrapper it
# would show the old one.

load ../helpers/common
load ../helpers/audit

setup() {
	load_libs
	audit_setup
	mkdir -p "$AUD/a" "$AUD/b"
	start_collector
}

teardown() {
	audit_teardown
}

# py SCRIPT: python3 under the shim; SCRIPT may use `touch(name)`, which
# opens a name that does not exist (an event, nothing created).
py() {
	audited "$PY" -c "
import ctypes, os, threading
def touch(name):
    try: os.open(name, 0)
    except OSError: pass
$1"
}

@test "chdir: a relative open after it is resolved against the new directory" {
	cd "$AUD/a"
	py "touch('first'); os.chdir('$AUD/b'); touch('second')"
	stop_collector
	check_event "$(the_event '.args.path == "first"')" ".cwd == \"$AUD/a\""
	check_event "$(the_event '.args.path == "second"')" ".cwd == \"$AUD/b\" and .args.resolved == \"$AUD/b/second\""
}

@test "fchdir: the new directory is seen" {
	cd "$AUD/a"
	py "touch('first'); fd = os.open('$AUD/b', os.O_RDONLY); os.fchdir(fd); touch('second')"
	stop_collector
	check_event "$(the_event '.args.path == "second"')" ".cwd == \"$AUD/b\""
}

@test "chdir in one thread: another thread's next event sees it (cwd is per process)" {
	cd "$AUD/a"
	py "
go, done = threading.Event(), threading.Event()
def worker():
    touch('worker-before')
    go.wait()
    touch('worker-after')
t = threading.Thread(target=worker); t.start()
touch('main')
os.chdir('$AUD/b')
go.set(); t.join()"
	stop_collector
	check_event "$(the_event '.args.path == "worker-before"')" ".cwd == \"$AUD/a\""
	check_event "$(the_event '.args.path == "worker-after"')" ".cwd == \"$AUD/b\""
}

@test "chdir that fails: errno reaches the program, the directory is unchanged" {
	cd "$AUD/a"
	run py "
touch('first')
try: os.chdir('/nonexistent/dir')
except FileNotFoundError as e: print('errno', e.errno)
touch('second')"
	assert_output "errno 2"
	stop_collector
	check_event "$(the_event '.args.path == "second"')" ".cwd == \"$AUD/a\""
}

@test "prctl(PR_SET_NAME) renames the thread in the next event" {
	py "
touch('/nonexistent/before')
libc = ctypes.CDLL(None)   # the process's symbols: the shim's prctl first
print(libc.prctl(15, b'renamed-agent', 0, 0, 0))
touch('/nonexistent/after')"
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/before"')" '.comm == "python3"'
	check_event "$(the_event '.args.path == "/nonexistent/after"')" '.comm == "renamed-agent"'
}

@test "pthread_setname_np on itself and on another thread" {
	py "
libc = ctypes.CDLL(None)
libc.pthread_self.restype = ctypes.c_ulong
go = threading.Event()
def worker():
    touch('/nonexistent/worker-before')
    go.wait()
    touch('/nonexistent/worker-after')
t = threading.Thread(target=worker); t.start()
touch('/nonexistent/main-before')
assert libc.pthread_setname_np(ctypes.c_ulong(libc.pthread_self()), b'main-renamed') == 0
assert libc.pthread_setname_np(ctypes.c_ulong(t.ident), b'worker-renamed') == 0
touch('/nonexistent/main-after')
go.set(); t.join()"
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/worker-before"')" '.comm == "python3"'
	check_event "$(the_event '.args.path == "/nonexistent/main-after"')" '.comm == "main-renamed"'
	check_event "$(the_event '.args.path == "/nonexistent/worker-after"')" '.comm == "worker-renamed"'
}

@test "a write to /proc/thread-self/comm renames the thread in the next event" {
	py "
touch('/nonexistent/before')
with open('/proc/thread-self/comm', 'w') as f: f.write('via-proc')
touch('/nonexistent/after')"
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/after"')" '.comm == "via-proc"'
}

@test "setuid, setreuid, setresuid: the next event has the new uid" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to change uid"
	local how
	for how in "os.setuid(65534)" "os.setreuid(65534, 65534)" "os.setresuid(65534, 65534, 65534)"; do
		py "touch('/nonexistent/root-$how'); $how; touch('/nonexistent/nobody-$how')"
	done
	stop_collector
	[ "$(count_events '((.args.path // "") | startswith("/nonexistent/root-")) and .uid == 0')" -eq 3 ]
	[ "$(count_events '((.args.path // "") | startswith("/nonexistent/nobody-")) and .uid == 65534')" -eq 3 ]
}

@test "a failed setuid keeps errno and the uid" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to change uid"
	run py "
touch('/nonexistent/one'); os.setuid(65534)
try: os.setuid(0)
except PermissionError as e: print('errno', e.errno)
touch('/nonexistent/two')"
	assert_output "errno 1"
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/two"')" '.uid == 65534'
}

@test "vfork: the child's open is the child's, the parent's next one is the parent's" {
	run audited "$AUDIT_CALL" vfork-open /nonexistent/in-child /nonexistent/in-parent
	assert_line --partial "parent="
	local parent child
	parent=$(sed -n 's/^parent=\([0-9]*\) .*/\1/p' <<<"$output")
	child=$(sed -n 's/.* child=\([0-9]*\)$/\1/p' <<<"$output")
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/in-child"')" ".pid == $child and .peer.pid == $child and .ppid == $parent"
	check_event "$(the_event '.args.path == "/nonexistent/in-parent"')" ".pid == $parent and .peer.pid == $parent"
}

@test "_Fork (no atfork handlers): the child's event is the child's, with its own ring" {
	run audited "$AUDIT_CALL" _Fork-open /nonexistent/in-child /nonexistent/in-parent
	local parent child
	parent=$(sed -n 's/^parent=\([0-9]*\) .*/\1/p' <<<"$output")
	child=$(sed -n 's/.* child=\([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$child" ]
	stop_collector
	check_event "$(the_event '.args.path == "/nonexistent/in-child"')" ".pid == $child and .tid == $child and .peer.pid == $child and .ppid == $parent"
	check_event "$(the_event '.args.path == "/nonexistent/in-parent"')" ".pid == $parent and .peer.pid == $parent"
}

@test "a forked child's ppid is its parent" {
	py "
touch('/nonexistent/parent')
pid = os.fork()
if pid == 0:
    touch('/nonexistent/child'); os._exit(0)
os.waitpid(pid, 0)"
	stop_collector
	local parent
	parent=$(the_event '.args.path == "/nonexistent/parent"' | jq .pid)
	check_event "$(the_event '.args.path == "/nonexistent/child"')" ".ppid == $parent and .pid != $parent"
}

@test "no system call per event for the header: strace counts them over 500 events" {
	audited strace -f -qq -e trace=getpid,getppid,getuid,prctl,getcwd,gettid -o "$AUD/hdr.trace" \
		"$AUDIT_STRESS" emit 500 /nonexistent/header
	stop_collector
	[ "$(count_events '.args.path == "/nonexistent/header"')" -eq 500 ]
	local calls
	calls=$(grep -c . "$AUD/hdr.trace")
	echo "header system calls for 500 events: $calls"
	cat "$AUD/hdr.trace"
	[ "$calls" -le 10 ]
}
