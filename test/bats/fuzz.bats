#!/usr/bin/env bats
# Short, fixed fuzzing runs of the daemon.json merge path, of the
# collector's ring reader and of its record reader (the harnesses are
# test/fuzz/fuzz_*.c; `make fuzz` runs them longer). A run fails on a
# crash, a leak, a sanitizer report or a broken invariant.

setup() {
	load ../helpers/common
	load_libs
	FUZZER=${CAI_FUZZ_DAEMON_JSON:-}
}

# CI has two cores and runs one suite at a time: the daemon.json and ring
# reader fuzzers run side by side, each on a core of its own, from the
# start of the file (their tests wait for them); the record reader's runs
# alone in its test.
setup_file() {
	fuzz_start daemon_json "${CAI_FUZZ_DAEMON_JSON:-}" -dict="$CAI_TOP/test/fuzz/daemon_json.dict"
	fuzz_start ring_reader "${CAI_FUZZ_RING_READER:-}"
}

teardown_file() {
	local p
	for p in "$BATS_FILE_TMPDIR"/*/fuzzer.pid; do
		[ ! -f "$p" ] || kill "$(cat "$p")" 2>/dev/null || true
	done
}

require_fuzzer() {
	[ -x "$FUZZER" ] || skip "no fuzzer binary: needs clang-14 and libfuzzer-14-dev (make deps)"
	# The fuzzer is its own ASan+UBSan build: one run per `make check-all`.
	[ "${SANITIZE:-0}" != 1 ] || skip "the fuzzer already runs under ASan/UBSan in the plain suite"
}

# fuzz_run CORPUS FUZZER [OPTIONS...]: FUZZER on a scratch copy of
# test/fuzz/corpus/CORPUS for FUZZ_SECONDS, in BATS_FILE_TMPDIR/CORPUS: its
# output in out, its exit status in rc, its artifacts (crash-, leak-,
# timeout-, oom-) in artifacts/.
fuzz_run() {
	local corpus=$1 fuzzer=$2 dir=$BATS_FILE_TMPDIR/$1 rc=0
	shift 2
	mkdir -p "$dir/artifacts"
	cp -r "$CAI_TOP/test/fuzz/corpus/$corpus" "$dir/corpus"
	"$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" "$@" -artifact_prefix="$dir/artifacts/" \
		-print_final_stats=1 "$dir/corpus" >"$dir/out" 2>&1 &
	echo $! >"$dir/fuzzer.pid"
	wait $! || rc=$?
	echo "$rc" >"$dir/rc.new" && mv "$dir/rc.new" "$dir/rc"
}

# fuzz_start CORPUS FUZZER [OPTIONS...]: fuzz_run in the background (not
# where the fuzzer is missing, nor in the sanitized build: its tests skip).
fuzz_start() {
	[ -x "$2" ] && [ "${SANITIZE:-0}" != 1 ] || return 0
	# fd 3 is bats's: a background job holding it would hang the run.
	fuzz_run "$@" </dev/null 3>&- &
}

# fuzz_wait CORPUS: until the run fuzz_start began has ended.
fuzz_wait() {
	local _
	# It ends after FUZZ_SECONDS; a minute more for a loaded machine.
	for _ in $(seq $((${FUZZ_SECONDS:-20} * 10 + 600))); do
		[ ! -f "$BATS_FILE_TMPDIR/$1/rc" ] || return 0
		sleep 0.1
	done
	fail "the $1 fuzzer did not end: $(tail -5 "$BATS_FILE_TMPDIR/$1/out")"
}

# fuzz_check CORPUS: the run finished its runs and left no crash, leak,
# timeout or out-of-memory artifact.
fuzz_check() {
	local dir=$BATS_FILE_TMPDIR/$1
	run cat "$dir/out"
	[ "$(cat "$dir/rc")" = 0 ] || fail "the $1 fuzzer exited with $(cat "$dir/rc"): $(tail -20 "$dir/out")"
	assert_output --regexp 'Done [0-9]+ runs in'
	run ls -A "$dir/artifacts"
	assert_output ""
}

@test "every corpus file passes the harness's invariants" {
	require_fuzzer
	run "$FUZZER" "$CAI_TOP"/test/fuzz/corpus/daemon_json/*
	assert_success
	assert_output --partial "Executed $CAI_TOP/test/fuzz/corpus/daemon_json/sysbox.json"
}

@test "the daemon.json fuzzer runs ${FUZZ_SECONDS:-20} s: no crash, no leak, invariants hold" {
	require_fuzzer
	fuzz_wait daemon_json
	fuzz_check daemon_json
}

# The ring reader's input is memory an audited process writes: any bytes.
require_ring_fuzzer() {
	FUZZER=${CAI_FUZZ_RING_READER:-}
	require_fuzzer
}

@test "every ring corpus file passes the ring reader's invariants" {
	require_ring_fuzzer
	run "$FUZZER" "$CAI_TOP"/test/fuzz/corpus/ring_reader/*
	assert_success
	assert_output --partial "Executed $CAI_TOP/test/fuzz/corpus/ring_reader/two-events"
}

@test "the ring reader fuzzer runs ${FUZZ_SECONDS:-20} s: no access outside the ring, invariants hold" {
	require_ring_fuzzer
	fuzz_wait ring_reader
	fuzz_check ring_reader
}

# The record reader's input is whatever any local user or agent sends.
require_record_fuzzer() {
	FUZZER=${CAI_FUZZ_RECORD:-}
	require_fuzzer
}

@test "every record corpus file passes the record reader's invariants" {
	require_record_fuzzer
	run "$FUZZER" "$CAI_TOP"/test/fuzz/corpus/record/*
	assert_success
	assert_output --partial "Executed $CAI_TOP/test/fuzz/corpus/record/open-exit"
}

@test "the record reader fuzzer runs ${FUZZ_SECONDS:-20} s: strict JSON out or a refusal, never a read past the record" {
	require_record_fuzzer
	fuzz_run record "$FUZZER"
	fuzz_check record
}
