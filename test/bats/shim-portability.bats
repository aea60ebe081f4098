#!/usr/bin/env bats
# The shim in images of any C library: the glibc shim asks for no symbol
# version newer than GLIBC_2.17 and loads under an older glibc for real;
# its musl twin (libcai-auditshim-musl.so) loads into musl programs and
# reports what the glibc shim reports, with the same errno seen by the
# program. Real collector, real programs.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	audit_setup
	MUSL_CALL="$CAI_TEST_BIN/audit-call-musl"
	DL_CALL="$CAI_TEST_BIN/dl-call"
	D=$AUD/d
	mkdir -p "$D"
	echo hello >"$D/file"
}

teardown() { audit_teardown; }

require_x86_64() {
	[ "$(uname -m)" = x86_64 ] || skip "the GLIBC_2.17 floor is checked on x86_64 only (here: $(uname -m))"
}

require_musl() {
	[ -f "${CAI_AUDIT_SHIM_MUSL:-}" ] ||
		skip "no musl shim: musl-gcc (musl-tools) was missing when it was built"
	[ -x "$MUSL_CALL" ] || skip "no audit-call-musl: musl-gcc (musl-tools) was missing when it was built"
}

musl_audited() {
	LD_PRELOAD="$CAI_AUDIT_SHIM_MUSL" CAI_AUDIT_SOCKET="$SOCK" "$@"
}

# shape JQ_CONDITION: the matching events without what differs from run to
# run (pid, time, comm), one per line.
shape() {
	events "select($1) | {call, phase, source, args, result}"
}

# both FN ARGS...: the same call by audit-call under the glibc shim and by
# audit-call-musl under the musl shim; G and M get their outputs, and GE
# and ME the shapes of their events of that call.
both() {
	local fn=$1
	start_collector
	run audited "$AUDIT_CALL" "$@" 3>&- 4>&-
	G=$output
	run musl_audited "$MUSL_CALL" "$@" 3>&- 4>&-
	M=$output
	stop_collector
	GE=$(shape ".call == \"$fn\" and .comm == \"audit-call\"")
	ME=$(shape ".call == \"$fn\" and .comm == \"audit-call-musl\"")
	echo "glibc: $G / $GE"
	echo "musl:  $M / $ME"
}

@test "glibc shim: no symbol version newer than GLIBC_2.17" {
	require_x86_64
	local offenders
	offenders=$(objdump -T "$CAI_AUDIT_SHIM" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV |
		awk -F'[_.]' '$2 > 2 || ($2 == 2 && $3 > 17)')
	if [ -n "$offenders" ]; then
		echo "versions above GLIBC_2.17:"
		objdump -T "$CAI_AUDIT_SHIM" | grep -F -e "$offenders"
		return 1
	fi
}

@test "glibc shim: needs libc.so.6 alone: no libdl.so.2, no dlsym or dladdr" {
	require_x86_64
	# glibc before 2.34 would load libdl.so.2 into every audited program
	# for them (src/shim/next_symbol.c finds the real functions instead).
	# (and, in the sanitized build only, the sanitizers' runtimes)
	run sh -c "readelf -d '$CAI_AUDIT_SHIM' | awk '/NEEDED/ {print \$NF}' | grep -vE '^\[lib(asan|ubsan)\.' | tr '\n' ' '"
	assert_output "[libc.so.6] "
	run sh -c "objdump -T '$CAI_AUDIT_SHIM' | awk '\$2 != \"g\" && (\$NF == \"dlsym\" || \$NF == \"dladdr\" || \$NF == \"dlopen\")'"
	assert_output ""
}

@test "glibc shim: loads into the programs of glibc 2.31 (Debian 11) and reports their calls" {
	require_x86_64
	[ "$(id -u)" -eq 0 ] || skip "needs root to chroot into the Debian 11 root"
	[ "$SANITIZE" != 1 ] || skip "the sanitized shim needs this machine's libasan and libubsan, which Debian 11 has not"
	local R=$AUD/bullseye
	"$CAI_TOP/test/helpers/old-glibc-root" unpack "$R" ||
		skip "no Debian 11 root: debootstrap needs the network once (test/helpers/old-glibc-root)"
	run chroot "$R" /lib/x86_64-linux-gnu/libc.so.6
	assert_output --partial "release version 2.31"
	mkdir -p "$R/cai"
	cp "$CAI_AUDIT_SHIM" "$R/cai/"
	SOCK=$R/cai/audit.sock start_collector
	run chroot "$R" /usr/bin/env -i LD_PRELOAD=/cai/libcai-auditshim.so CAI_AUDIT_SOCKET=/cai/audit.sock \
		PATH=/usr/bin:/bin /bin/sh -c 'cat /etc/debian_version >/dev/null && exec /bin/true'
	# No "ERROR: ld.so: object ... cannot be preloaded" and no other noise.
	assert_success
	assert_output ""
	stop_collector
	the_event '.call == "execve" and .phase == "enter" and .args.path == "/bin/true" and .source == "shim"'
	[ "$(count_events '.comm == "cat" and (.args.path? == "/etc/debian_version") and .result.return >= 0')" -ge 1 ]
}

@test "musl shim: no GLIBC reference, and musl's libc is all it needs" {
	require_musl
	run sh -c "objdump -T '$CAI_AUDIT_SHIM_MUSL' | grep -c GLIBC"
	assert_output 0
	run sh -c "readelf -d '$CAI_AUDIT_SHIM_MUSL' | awk '/NEEDED/ {print \$NF}' | tr '\n' ' '"
	assert_output "[libc.so] "
}

@test "musl shim: exports the glibc shim's wrappers, less glibc's own entry points" {
	require_musl
	local glibc_only=(__open64_2 __open_2 __openat64_2 __openat_2 close_range closefrom creat64 execveat fopen64
		freopen64 fts64_children fts64_close fts64_read fts_children fts_close fts_read nftw64 open64 openat64)
	run sh -c "nm -D --defined-only '$CAI_AUDIT_SHIM' | awk '{print \$3}' |
		grep -vx -e __asan_default_options -e __lsan_is_turned_off $(printf -- ' -e %s' "${glibc_only[@]}") | sort | tr '\n' ' '"
	local want=$output
	# _init and _fini: musl's crti.o, not the shim's.
	run sh -c "nm -D --defined-only '$CAI_AUDIT_SHIM_MUSL' | awk '{print \$3}' | grep -vx -e _init -e _fini | sort | tr '\n' ' '"
	assert_output "$want"
}

@test "musl: open reports exactly what the glibc shim reports; errno untouched on success" {
	require_musl
	both open "$D/file" r
	[ "$G" = "ret=3 errno=0" ]
	[ "$M" = "ret=3 errno=0" ]
	[ -n "$ME" ] && [ "$ME" = "$GE" ]
	check_event "$ME" ".args.path == \"$D/file\" and .args.flags == [\"O_RDONLY\"] and .result == {return: 3} and .source == \"shim\""
}

@test "musl: a failed open carries ENOENT, and the program sees ENOENT" {
	require_musl
	both open "$D/nodir/x" r
	[ "$M" = "ret=-1 errno=ENOENT" ]
	[ "$ME" = "$GE" ]
	check_event "$ME" '.result == {return: -1, errno: 2, error: "ENOENT"}'
}

@test "musl: connect reports exactly what the glibc shim reports, and ECONNREFUSED reaches the program" {
	require_musl
	both connect inet 127.0.0.1 1
	[ "$M" = "ret=-1 errno=ECONNREFUSED" ]
	[ "$ME" = "$GE" ]
	check_event "$ME" '.args.family == "AF_INET" and .args.address == "127.0.0.1" and .args.port == 1
		and .result == {return: -1, errno: 111, error: "ECONNREFUSED"}'
}

@test "musl: connect to a missing unix socket reports its path, and ENOENT reaches the program" {
	require_musl
	both connect unix "$D/no.sock"
	[ "$M" = "ret=-1 errno=ENOENT" ]
	[ "$ME" = "$GE" ]
	check_event "$ME" ".args.family == \"AF_UNIX\" and .args.path == \"$D/no.sock\" and .result.error == \"ENOENT\""
}

@test "musl: a failed execve is reported before and after, and the program sees ENOENT" {
	require_musl
	both execve "$D/no-such-program" x
	[ "$M" = "ret=-1 errno=ENOENT" ]
	[ "$ME" = "$GE" ]
	[ "$(echo "$ME" | jq -s -c 'map(.phase)')" = '["enter","exit"]' ]
}

@test "musl: execve of a musl program keeps it audited (LD_PRELOAD restored)" {
	require_musl
	start_collector
	# audit-call's execve passes an environment of its own, without LD_PRELOAD.
	run musl_audited "$MUSL_CALL" execve "$MUSL_CALL" audit-call-musl open "$D/after-exec" r
	assert_output "ret=-1 errno=ENOENT"
	stop_collector
	the_event ".call == \"execve\" and .phase == \"enter\" and .args.path == \"$MUSL_CALL\"
		and .args.argv[0] == \"audit-call-musl\" and .source == \"shim\""
	the_event ".call == \"open\" and .args.path == \"$D/after-exec\" and .result.error == \"ENOENT\""
}

@test "musl: a vfork child reports under its own pid, and the parent under its own after it" {
	require_musl
	start_collector
	run musl_audited "$MUSL_CALL" vfork-open "$D/file" /etc/hostname
	stop_collector
	local parent child
	parent=$(sed -n 's/^parent=\([0-9]*\) child=.*/\1/p' <<<"$output")
	child=$(sed -n 's/.* child=\([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$parent" ] && [ -n "$child" ] && [ "$parent" != "$child" ]
	the_event ".args.path == \"$D/file\" and .pid == $child and .ppid == $parent"
	the_event ".args.path == \"/etc/hostname\" and .pid == $parent"
}

@test "musl: a _Fork child reports under its own pid" {
	require_musl
	start_collector
	run musl_audited "$MUSL_CALL" _Fork-open "$D/file" /etc/hostname
	stop_collector
	local parent child
	parent=$(sed -n 's/^parent=\([0-9]*\) child=.*/\1/p' <<<"$output")
	child=$(sed -n 's/.* child=\([0-9]*\)$/\1/p' <<<"$output")
	the_event ".args.path == \"$D/file\" and .pid == $child and .ppid == $parent"
	the_event ".args.path == \"/etc/hostname\" and .pid == $parent"
}

@test "musl: events go through the shared-memory ring by default" {
	require_musl
	start_collector
	run musl_audited "$MUSL_CALL" open "$D/file" r 3>&- 4>&-
	assert_output "ret=3 errno=0"
	stop_collector
	the_event ".comm == \"audit-call-musl\" and .args.path == \"$D/file\""
	grep -q ', 1 rings$' "$AUD/auditd.err"
}

@test "musl: CAI_AUDIT_RING_KB=0 sends one message per event instead" {
	require_musl
	start_collector
	run env CAI_AUDIT_RING_KB=0 LD_PRELOAD="$CAI_AUDIT_SHIM_MUSL" CAI_AUDIT_SOCKET="$SOCK" "$MUSL_CALL" open "$D/file" r 3>&- 4>&-
	assert_output "ret=3 errno=0"
	stop_collector
	the_event ".comm == \"audit-call-musl\" and .args.path == \"$D/file\""
	grep -q ', 0 rings$' "$AUD/auditd.err"
}

@test "glibc: dlsym and dladdr still answer a program the shim is loaded into" {
	start_collector
	run audited "$DL_CALL" "$D/missing"
	stop_collector
	assert_line "default=libcai-auditshim.so"
	assert_line "next=libcai-auditshim.so"
	assert_line "main=dl-call"
	assert_line "missing=NULL+dlerror"
	assert_line "ret=-1 errno=ENOENT"
	the_event ".comm == \"dl-call\" and .call == \"open\" and .args.path == \"$D/missing\" and .result.error == \"ENOENT\""
}
