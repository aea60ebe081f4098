#!/usr/bin/env bats
# libcai-auditshim.so: for each wrapped function, a real program calls it
# once (audit-call) and the test asserts the exact event the collector
# logged, and that the program saw the result and errno it would have
# seen without the shim.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
	start_collector
	D=$AUD/d
	mkdir -p "$D"
	echo hello >"$D/file"
}

teardown() { audit_teardown; }

# call FN ARGS...: run audit-call under the shim, stop the collector, and
# set EV to the single event of that call made by audit-call.
call() {
	local fn=$1
	# Without bats' own fds 3 and 4 the first fd the call gets is 3.
	run audited "$AUDIT_CALL" "$@" 3>&- 4>&-
	stop_collector
	EV=$(the_event ".call == \"$fn\" and .comm == \"audit-call\"")
}

# The fields every event carries, checked on each one.
common_fields() {
	check_event "$EV" '.v == 1 and (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$"))
		and (.mono | test("^[0-9]+\\.[0-9]{9}$")) and .pid == .peer.pid and .tid == .pid
		and .uid == .peer.uid and .ppid > 0 and .comm == "audit-call" and (.cwd | type) == "string"'
}

@test "the shim exports only the interposed functions (and those that tell it the header changed)" {
	# (and, in the sanitized build only, ASan's hooks: src/shim/sanitizer.c)
	run sh -c "nm -D --defined-only '$CAI_AUDIT_SHIM' | awk '{print \$3}' |
		grep -vx -e __asan_default_options -e __lsan_is_turned_off | sort | tr '\n' ' '"
	assert_success
	assert_output "_Fork __open64_2 __open_2 __openat64_2 __openat_2 chdir chroot clone close close_range closefrom connect creat creat64 daemon dup2 dup3 execl execle execlp execv execve execveat execvp execvpe fchdir fexecve fopen fopen64 freopen freopen64 fts64_children fts64_close fts64_read fts_children fts_close fts_read nftw nftw64 open open64 openat openat64 opendir popen posix_spawn posix_spawnp prctl pthread_setname_np seteuid setns setresuid setreuid setuid system unshare vfork "
}

@test "open: path, flags by name, mode, fd; errno untouched on success" {
	call open "$D/new" rwcx 0640
	assert_output "ret=3 errno=0"
	common_fields
	check_event "$EV" ".phase == \"exit\" and .args.path == \"$D/new\" and .args.flags == [\"O_RDWR\",\"O_CREAT\",\"O_EXCL\"]
		and .args.mode == \"0640\" and .result == {return: 3}"
}

@test "open: a failure carries errno and its name, and the program sees ENOENT" {
	call open "$D/missing" r
	assert_output "ret=-1 errno=ENOENT"
	check_event "$EV" '.result == {return: -1, errno: 2, error: "ENOENT"} and .args.flags == ["O_RDONLY"] and (.args | has("mode") | not)'
}

@test "open: a relative path is resolved against the working directory" {
	cd "$D"
	call open file r
	check_event "$EV" ".args.path == \"file\" and .args.resolved == \"$D/file\" and .cwd == \"$D\""
}

@test "open64" {
	call open64 "$D/file" ra
	assert_output "ret=3 errno=0"
	check_event "$EV" ".args.path == \"$D/file\" and .args.flags == [\"O_RDONLY\",\"O_APPEND\"] and .result.return == 3"
}

@test "openat: a relative path is resolved against the directory fd" {
	call openat "$D" file re
	assert_output "ret=4 errno=0"
	check_event "$EV" ".args.path == \"file\" and .args.dirfd == 3 and .args.resolved == \"$D/file\"
		and .args.flags == [\"O_RDONLY\",\"O_CLOEXEC\"] and .result.return == 4"
}

@test "openat with AT_FDCWD and O_CREAT reports the mode" {
	call openat CWD "$D/made" wct 0600
	check_event "$EV" ".args.path == \"$D/made\" and (.args | has(\"dirfd\") | not) and .args.mode == \"0600\"
		and .args.flags == [\"O_WRONLY\",\"O_CREAT\",\"O_TRUNC\"]"
	[ "$(stat -c %a "$D/made")" = 600 ]
}

@test "openat64" {
	call openat64 "$D" missing r
	assert_output "ret=-1 errno=ENOENT"
	check_event "$EV" ".args.resolved == \"$D/missing\" and .result.error == \"ENOENT\""
}

@test "creat: reported with the flags creat implies" {
	call creat "$D/c" 0644
	check_event "$EV" ".args.flags == [\"O_WRONLY\",\"O_CREAT\",\"O_TRUNC\"] and .args.mode == \"0644\" and .result.return == 3"
}

@test "creat64: a failure (EISDIR)" {
	call creat64 "$D" 0644
	assert_output "ret=-1 errno=EISDIR"
	check_event "$EV" '.result.error == "EISDIR"'
}

@test "__open_2 (the _FORTIFY_SOURCE entry point)" {
	call __open_2 "$D/file" r
	check_event "$EV" ".args.path == \"$D/file\" and .result.return == 3"
}

@test "__open64_2" {
	call __open64_2 "$D/file" rw
	check_event "$EV" '.args.flags == ["O_RDWR"] and .result.return == 3'
}

@test "__openat_2" {
	call __openat_2 "$D" file r
	check_event "$EV" ".args.resolved == \"$D/file\" and .result.return == 4"
}

@test "__openat64_2" {
	call __openat64_2 "$D" nothere r
	check_event "$EV" '.result.error == "ENOENT"'
}

@test "fopen: path, mode string, and the stream's fd" {
	call fopen "$D/file" r
	assert_output "ret=3 errno=0"
	check_event "$EV" ".args.path == \"$D/file\" and .args.mode == \"r\" and .result.return == 3"
}

@test "fopen: one event, not a second one for the open() inside it" {
	call fopen "$D/file" r
	[ "$(count_events '.comm == "audit-call"')" = 1 ]
}

@test "fopen64: a failure" {
	call fopen64 "$D/missing" r
	assert_output "ret=-1 errno=ENOENT"
	check_event "$EV" '.result == {return: -1, errno: 2, error: "ENOENT"}'
}

@test "freopen" {
	call freopen "$D/file" r
	check_event "$EV" ".args.path == \"$D/file\" and .result.return == 0"
}

@test "freopen64" {
	call freopen64 "$D/file" r
	check_event "$EV" ".args.path == \"$D/file\" and .result.return == 0"
}

@test "opendir (its open is internal to glibc, so it has its own wrapper)" {
	call opendir "$D"
	assert_output "ret=3 errno=0"
	check_event "$EV" ".args.path == \"$D\" and .result.return == 3"
}

@test "opendir: a failure" {
	call opendir "$D/file"
	assert_output "ret=-1 errno=ENOTDIR"
	check_event "$EV" '.result.error == "ENOTDIR"'
}

@test "connect: AF_INET to a loopback listener" {
	"$PY" -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
import time; time.sleep(30)' "$AUD/port" &
	local srv=$!
	for _ in $(seq 50); do [ -s "$AUD/port" ] && break; sleep 0.05; done
	port=$(cat "$AUD/port")
	call connect inet 127.0.0.1 "$port"
	kill "$srv"
	assert_output "ret=0 errno=0"
	check_event "$EV" ".args == {fd: 3, family: \"AF_INET\", address: \"127.0.0.1\", port: $port} and .result == {return: 0}"
}

@test "connect: a refused AF_INET6 connection" {
	call connect inet6 ::1 1
	assert_output "ret=-1 errno=ECONNREFUSED"
	check_event "$EV" '.args.family == "AF_INET6" and .args.address == "::1" and .args.port == 1 and .result.error == "ECONNREFUSED"'
}

@test "connect: an AF_UNIX path" {
	call connect unix "$AUD/nosuch.sock"
	assert_output "ret=-1 errno=ENOENT"
	check_event "$EV" ".args.family == \"AF_UNIX\" and .args.path == \"$AUD/nosuch.sock\""
}

@test "connect: the shim's own connection to the collector is not reported" {
	call connect unix "$AUD/nosuch.sock"
	[ "$(count_events ".call == \"connect\" and .args.path == \"$SOCK\"")" = 0 ]
}

@test "execve: reported before the call, with argv; the new program is audited too" {
	call execve /bin/cat cat "$D/file"
	assert_output "hello"
	check_event "$EV" '.phase == "enter" and .args.path == "/bin/cat" and .args.argv == ["cat", "'"$D"'/file"] and .args.argc == 2
		and (has("result") | not) and (.args | has("env") | not)'
	# The envp was {"AUDIT_CALL=1"} only: LD_PRELOAD was put back.
	[ "$(count_events ".comm == \"cat\" and .call == \"open\" and .args.path == \"$D/file\"")" = 1 ]
}

@test "execve: a failure is reported before and after, errno preserved" {
	run audited "$AUDIT_CALL" execve "$D/nothere" x
	stop_collector
	assert_output "ret=-1 errno=ENOENT"
	[ "$(count_events '.call == "execve" and .phase == "enter"')" = 1 ]
	EV=$(the_event '.call == "execve" and .phase == "exit"')
	check_event "$EV" ".args.path == \"$D/nothere\" and .result == {return: -1, errno: 2, error: \"ENOENT\"}"
}

@test "execve: the child's environment gets LD_PRELOAD and the socket back" {
	run audited "$AUDIT_CALL" execve /usr/bin/env env
	stop_collector
	assert_line "AUDIT_CALL=1"
	assert_line "LD_PRELOAD=$CAI_AUDIT_SHIM"
	assert_line "CAI_AUDIT_SOCKET=$SOCK"
}

@test "execve with the program's own environment keeps it unchanged" {
	run audited env LD_PRELOAD="$CAI_AUDIT_SHIM:/nonexistent-extra.so" "$AUDIT_CALL" execve-environ /usr/bin/env env
	stop_collector
	assert_line "LD_PRELOAD=$CAI_AUDIT_SHIM:/nonexistent-extra.so"
	[ "$(grep -c '^LD_PRELOAD=' <<<"$output")" = 1 ]
}

@test "execve: an audited program cannot point its children at another socket" {
	run audited env CAI_AUDIT_SOCKET=/tmp/elsewhere.sock "$AUDIT_CALL" execve-environ /usr/bin/env env
	stop_collector
	assert_line "CAI_AUDIT_SOCKET=$SOCK"
	refute_line "CAI_AUDIT_SOCKET=/tmp/elsewhere.sock"
}

@test "execve: CAI_AUDIT_ENV names the variables an exec event shows (none by default)" {
	run audited env CAI_AUDIT_ENV=AUDIT_CALL,HOME,NOT_SET "$AUDIT_CALL" execve /bin/true true
	stop_collector
	EV=$(the_event '.call == "execve" and .phase == "enter"')
	# The envp of this execve is {"AUDIT_CALL=1"}: what it holds is shown,
	# the rest is absent.
	check_event "$EV" '.args.env == {AUDIT_CALL: "1"}'
	[ "$(count_events '.args | has("env")')" = 1 ]
}

@test "execv" {
	call execv /bin/true true
	check_event "$EV" '.phase == "enter" and .args.path == "/bin/true" and .args.argv == ["true"]'
}

@test "execvp: the file name as given, before the PATH search" {
	call execvp true true
	check_event "$EV" '.phase == "enter" and .args.path == "true" and (.args | has("resolved"))'
}

@test "execvpe: explicit environment re-injected" {
	call execvpe cat cat "$D/file"
	assert_output "hello"
	[ "$(count_events ".comm == \"cat\" and .call == \"open\"")" = 1 ]
}

@test "execl" {
	call execl /bin/echo echo hi
	assert_output "hi"
	check_event "$EV" '.args.path == "/bin/echo" and .args.argv == ["echo", "hi"]'
}

@test "execle: explicit environment re-injected" {
	call execle /bin/cat cat "$D/file"
	assert_output "hello"
	check_event "$EV" '.args.argv == ["cat", "'"$D"'/file"]'
	[ "$(count_events '.comm == "cat" and .call == "open"')" = 1 ]
}

@test "execlp: a failed PATH search" {
	run audited "$AUDIT_CALL" execlp no-such-program-xyz x
	stop_collector
	assert_output "ret=-1 errno=ENOENT"
	EV=$(the_event '.call == "execlp" and .phase == "exit"')
	check_event "$EV" '.args.path == "no-such-program-xyz" and .args.argv == ["x"] and .result.error == "ENOENT"'
}

@test "fexecve: reported with the fd and the file it names" {
	call fexecve /bin/true true
	check_event "$EV" '.phase == "enter" and .args.fd == 3 and .args.argv == ["true"]'
}

@test "execveat: relative to a directory fd" {
	call execveat /bin true
	check_event "$EV" '.phase == "enter" and .args.path == "true" and .args.dirfd == 3 and .args.resolved == "/usr/bin/true"'
}

@test "posix_spawn: enter and exit with the child's pid" {
	run audited "$AUDIT_CALL" posix_spawn /bin/true true
	stop_collector
	[ "$(count_events '.call == "posix_spawn" and .phase == "enter" and .args.argv == ["true"]')" = 1 ]
	EV=$(the_event '.call == "posix_spawn" and .phase == "exit"')
	child=$(sed -n 's/^child=\([0-9]*\).*/\1/p' <<<"$output")
	check_event "$EV" ".args.path == \"/bin/true\" and .result.return == $child"
}

@test "posix_spawnp: a failure is returned, not put in errno" {
	run audited "$AUDIT_CALL" posix_spawnp no-such-program-xyz x
	stop_collector
	assert_output "ret=-1 errno=ENOENT"
	EV=$(the_event '.call == "posix_spawnp" and .phase == "exit"')
	check_event "$EV" '.result.error == "ENOENT"'
}

@test "posix_spawn: the spawned program is audited with an explicit envp" {
	run audited "$AUDIT_CALL" posix_spawn /bin/cat cat "$D/file"
	stop_collector
	[ "$(count_events ".comm == \"cat\" and .call == \"open\" and .args.path == \"$D/file\"")" = 1 ]
}

@test "system: the command, the wait status, and the shell's own execs" {
	run audited "$AUDIT_CALL" system "exit 3"
	stop_collector
	assert_output "ret=768 errno=0"
	[ "$(count_events '.call == "system" and .phase == "enter" and .args.command == "exit 3"')" = 1 ]
	EV=$(the_event '.call == "system" and .phase == "exit"')
	check_event "$EV" '.result == {return: 768}'
}

@test "popen: the command and the pipe's fd; the shell's children are audited" {
	run audited "$AUDIT_CALL" popen "cat $D/file" 3>&- 4>&-
	stop_collector
	assert_line "hello"
	EV=$(the_event '.call == "popen" and .phase == "exit"')
	check_event "$EV" ".args.command == \"cat $D/file\" and .args.mode == \"r\" and .result.return == 3"
	[ "$(count_events ".comm == \"cat\" and .call == \"open\" and .args.path == \"$D/file\"")" = 1 ]
}
