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
	audit_setup_public
	HARNESS=$CAI_TEST_BIN/seccomp-harness
}

teardown() {
	audit_teardown
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

@test "an agent (nobody) execs with 20 KiB of hostile arguments: denied, and its event still says deny and why" {
	require_root
	require_user_notif
	start_collector
	echo '{"deny_exec": ["/bin/true"]}' >"$AUD/policy.json"
	chmod 0644 "$AUD/policy.json"
	# Bytes that are not UTF-8 and control characters, then more than the
	# record holds, in characters of two bytes each.
	run as_nobody "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c '
import os, sys
try:
    os.execv(b"/bin/true", [b"/bin/true", b"big-args", b"bad\xff\x01\n"] + ["\u00e9".encode() * 300] * 100)
except PermissionError:
    sys.exit(7)'
	assert_failure 7
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .args.path == "/bin/true" and .args.argv[1] == "big-args"')" \
		'.decision == "deny" and (.rule | length) > 0 and .truncated == true and .args.argc == 103 and
		.args.argv[2] == "bad\ufffd\u0001\n" and (.args.argv | length) <= 64 and
		all(.args.argv[3:][]; utf8bytelength <= 512 and (test("\ufffd") | not))'
}

@test "an agent (nobody) cannot hide the loader's program by laying argv across a page boundary: still denied" {
	require_root
	require_user_notif
	start_collector
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$AUD/policy.json"
	chmod 0644 "$AUD/policy.json"
	# argv for ld.so starts 13 bytes before a page boundary: its second
	# pointer (to "/usr/bin/id") straddles it. The kernel takes such an
	# array; a supervisor that reads pointers whole within one page did
	# not, and let ld.so run the denied program.
	run as_nobody "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.execve.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
page = os.sysconf("SC_PAGE_SIZE")
base = libc.mmap(None, 2 * page, 3, 0x22, -1, 0)
loader = ctypes.create_string_buffer(b"/lib64/ld-linux-x86-64.so.2")
target = ctypes.create_string_buffer(b"/usr/bin/id")
argv = base + page - 13
for i, p in enumerate([ctypes.addressof(loader), ctypes.addressof(target), 0]):
    ctypes.c_uint64.from_address(argv + 8 * i).value = p
pid = os.fork()
if pid == 0:
    libc.execve(loader, argv, None)
    print("straddled refused:", os.strerror(ctypes.get_errno()), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("done")'
	assert_success
	assert_line "straddled refused: Operation not permitted"
	refute_line --partial "uid="
	assert_line done
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .decision == "deny"')" \
		'.rule == "/usr/bin/id" and .args.argv == ["/lib64/ld-linux-x86-64.so.2", "/usr/bin/id"]'
}

@test "an agent (nobody) cannot hide the loader's program behind an argument only the kernel can read: denied" {
	require_root
	require_user_notif
	grep -q '\[vvar\]$' /proc/self/maps || skip "no [vvar] mapping on this kernel"
	start_collector
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$AUD/policy.json"
	chmod 0644 "$AUD/policy.json"
	# [vvar] is readable by the process (and by execve, which copies the
	# arguments) but not by process_vm_readv. The supervisor reads an
	# exec's arguments together, page by page: one it cannot read, first
	# or between others, must not cost it the ones after it.
	cat >"$AUD/vvar.py" <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.execve.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
vvar = next(int(l.split("-")[0], 16) for l in open("/proc/self/maps") if l.rstrip().endswith("[vvar]"))
words = [ctypes.create_string_buffer(w) for w in (b"ld.so", b"--argv0", b"/usr/bin/id")]
a = [ctypes.addressof(w) for w in words]
def attempt(label, ptrs):
    argv = (ctypes.c_uint64 * (len(ptrs) + 1))(*ptrs, 0)
    pid = os.fork()
    if pid == 0:
        libc.execve(b"/lib64/ld-linux-x86-64.so.2", ctypes.addressof(argv), None)
        print(label, "refused:", os.strerror(ctypes.get_errno()), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
attempt("first", [vvar, a[2]])
attempt("between", [a[0], a[1], vvar, a[2]])
print("done")
PY
	chmod 0644 "$AUD/vvar.py"
	# Without a policy the kernel runs the program: the attempts are real.
	run as_nobody "$CAI_BIN" run --no-shim --audit-socket "$SOCK" -- "$PY" "$AUD/vvar.py"
	assert_success
	[ "$(grep -c '^uid=65534' <<<"$output")" = 2 ]
	run as_nobody "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" "$AUD/vvar.py"
	assert_success
	assert_line "first refused: Operation not permitted"
	assert_line "between refused: Operation not permitted"
	refute_line --partial "uid="
	stop_collector
	check_event "$(the_event '.decision == "deny" and .args.argv == [null, "/usr/bin/id"]')" \
		'.source == "seccomp" and (.rule | test("could not be read"))'
	check_event "$(the_event '.decision == "deny" and .args.argv == ["ld.so", "--argv0", null, "/usr/bin/id"]')" \
		'.source == "seccomp" and (.rule | test("could not be read"))'
}

# other_names_run SCRIPT: python3 SCRIPT under cai run with /usr/bin/id
# denied; prints what happened to each attempt.
other_names_run() {
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$AUD/policy.json"
	"$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c "$1"
}

@test "a denied program under another name: /proc/self/fd, the loader, a script's #!, another path to the same file: all denied" {
	require_user_notif
	start_collector
	printf '#!/usr/bin/id\n' >"$AUD/script"
	chmod 0755 "$AUD/script"
	run other_names_run '
import os, sys
def attempt(label, path, argv):
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(path, argv)
        except OSError as e:
            print(label, "refused:", e.strerror, flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
fd = os.open("/usr/bin/id", os.O_RDONLY)
attempt("proc-self-fd", "/proc/self/fd/%d" % fd, ["id"])
attempt("loader", "/lib64/ld-linux-x86-64.so.2", ["ld.so", "/usr/bin/id"])
attempt("script", sys.argv[1] if len(sys.argv) > 1 else "'"$AUD"'/script", ["script"])
attempt("control", "/bin/true", ["true"])
print("done")'
	assert_success
	assert_line "proc-self-fd refused: Operation not permitted"
	assert_line "loader refused: Operation not permitted"
	assert_line "script refused: Operation not permitted"
	refute_line --partial "uid="
	refute_line --partial "control refused"
	assert_line done
	# The same file under a name no pattern matches (a bind mount in a
	# private mount namespace): denied by its identity, device and inode.
	require_root
	: >"$AUD/renamed-id"
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$AUD/policy.json"
	run unshare --mount --propagation private sh -c 'mount --bind /usr/bin/id "$1" && shift && exec "$@"' sh \
		"$AUD/renamed-id" "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- \
		"$PY" -c "import os; os.execv('$AUD/renamed-id', ['renamed-id'])"
	assert_failure
	assert_output --partial "Operation not permitted"
	refute_output --partial "uid="
	stop_collector
	[ "$(count_events '.source == "seccomp" and .decision == "deny" and .rule == "/usr/bin/id"')" -ge 4 ]
}

@test "under a policy, a path into /proc/self is judged inside the agent's root too, where /proc may be a plain directory" {
	require_root
	require_user_notif
	start_collector
	# A chroot whose /proc is no procfs: its /proc/self/tool is a symlink
	# to its /usr/bin/id. The supervisor resolves /proc/self through the
	# agent's own /proc/<pid>, where there is no tool, so only the name
	# inside the agent's root can match the policy.
	local root=$AUD/chroot TRY=$CAI_TEST_BIN/try-syscall-static
	mkdir -p "$root/bin" "$root/usr/bin" "$root/proc/self"
	cp "$TRY" "$root/bin/try"
	cp "$TRY" "$root/usr/bin/id"
	ln -s /usr/bin/id "$root/proc/self/tool"
	echo '{"deny_exec": ["*/usr/bin/id"]}' >"$AUD/policy.json"
	run "$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- \
		sh -c "chroot '$root' /bin/try exec /proc/self/tool getpid; chroot '$root' /bin/try exec /bin/try getpid"
	assert_line "exec EPERM"
	assert_line "getpid OK"
	[ "${#lines[@]}" = 2 ]
	stop_collector
	check_event "$(the_event '.source == "seccomp" and .args.path == "/proc/self/tool"')" \
		'.decision == "deny" and .rule == "*/usr/bin/id"'
}

@test "under a policy an executable with no name (memfd, or unlinked since opened) is denied" {
	require_user_notif
	start_collector
	run other_names_run '
import os, shutil
def attempt(label, path):
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(path, ["x"])
        except OSError as e:
            print(label, "refused:", e.strerror, flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
m = os.memfd_create("agent-tool", 0)
with open("/bin/true", "rb") as src:
    os.write(m, src.read())
attempt("memfd", "/proc/self/fd/%d" % m)
shutil.copy("/bin/true", "'"$AUD"'/gone")
g = os.open("'"$AUD"'/gone", os.O_RDONLY)
os.unlink("'"$AUD"'/gone")
attempt("unlinked", "/proc/self/fd/%d" % g)
print("done")'
	assert_success
	assert_line "memfd refused: Operation not permitted"
	assert_line "unlinked refused: Operation not permitted"
	stop_collector
	[ "$(count_events '.source == "seccomp" and .decision == "deny" and (.rule | test("no name"))')" = 2 ]
}

@test "under a policy, what the supervisor read of /proc/<tid> counts only once the call is found still pending" {
	require_user_notif
	start_collector
	echo '{"deny_exec": ["/usr/bin/id"]}' >"$AUD/policy.json"
	# An exec of /proc/self/fd/N is judged through the supervisor's
	# /proc/<tid>/fd/N; the tid is the target's only while its call is
	# pending, so the notification id is checked again after that look and
	# before the answer.
	run strace -f -qq -e trace=openat,ioctl -o "$AUD/strace" \
		"$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c '
import os
fd = os.open("/usr/bin/id", os.O_RDONLY)
try:
    os.execv("/proc/self/fd/%d" % fd, ["id"])
except OSError as e:
    print("refused", e.errno)
'
	assert_line "refused 1"
	refute_output --partial "uid="
	stop_collector
	# The supervisor's own lines, from its look into /proc/<tid>/fd to
	# its answer.
	sup=$(awk 'NR == 1 { print $1 }' "$AUD/strace")
	run awk -v sup="$sup" '$1 == sup && /openat\(.*"\/proc\/[0-9]+\/fd\/[0-9]+"/ { seen = 1 }
		$1 == sup && seen && /SECCOMP_IOCTL_NOTIF_(ID_VALID|SEND)/ { match($0, /NOTIF_[A-Z_]+/); print substr($0, RSTART, RLENGTH) }' \
		"$AUD/strace"
	assert_equal "${lines[0]}" "NOTIF_ID_VALID"
	assert_equal "${lines[1]}" "NOTIF_SEND"
	[ "$(count_events '.source == "seccomp" and .decision == "deny" and .rule == "/usr/bin/id"')" = 1 ]
}

@test "under a policy, an agent that execs device nodes and a fifo: the supervisor opens none of them to read" {
	start_collector
	echo '{"deny_exec": ["/usr/bin/nc"]}' >"$AUD/policy.json"
	mkfifo "$AUD/fifo"
	# The kernel refuses each exec (EACCES); the supervisor, root under
	# `cai run --image`, must not have run a driver's open (a tty, a
	# watchdog) to look for "#!". strace -y names what each open got.
	run strace -f -qq -y -e trace=openat,open,openat2 -o "$AUD/strace" \
		"$CAI_BIN" run --no-shim --policy "$AUD/policy.json" --audit-socket "$SOCK" -- "$PY" -c '
import os, sys
for p in ("/dev/null", "/dev/tty", "/dev/zero", sys.argv[1]):
    try:
        os.execv(p, [p])
    except OSError as e:
        print(p, e.errno)
' "$AUD/fifo"
	echo "$output"
	assert_line "/dev/null 13"
	assert_line "/dev/zero 13"
	assert_line "$AUD/fifo 13"
	stop_collector
	# Each was looked at (opened O_PATH), never opened to be read.
	grep -qE 'O_PATH.*= [0-9]+<(/dev/null|'"$AUD"'/fifo)' "$AUD/strace"
	run sh -c "grep -v O_PATH '$AUD/strace' | grep -E '= [0-9]+<(/dev/(null|tty|zero)|$AUD/fifo)>'"
	assert_output ""
	[ "$(count_events '.source == "seccomp" and (.args.path == "/dev/null" or .args.path == "/dev/zero")')" -ge 2 ]
}
