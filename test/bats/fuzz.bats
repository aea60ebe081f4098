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

require_fuzzer() {
	[ -x "$FUZZER" ] || skip "no fuzzer binary: needs clang-14 and libfuzzer-14-dev (make deps)"
	# The fuzzer is its own ASan+UBSan build: one run per `make check-all`.
	[ "${SANITIZE:-0}" != 1 ] || skip "the fuzzer already runs under ASan/UBSan in the plain suite"
}

# fuzz_for CORPUS [FUZZER OPTIONS...]: FUZZER on a scratch copy of
# test/fuzz/corpus/CORPUS for FUZZ_SECONDS; it must finish its runs and
# leave no crash, leak, timeout or out-of-memory artifact.
fuzz_for() {
	local corpus=$1
	shift
	cp -r "$CAI_TOP/test/fuzz/corpus/$corpus" "$BATS_TEST_TMPDIR/corpus"
	run "$FUZZER" -max_total_time="${FUZZ_SECONDS:-20}" "$@" -artifact_prefix="$BATS_TEST_TMPDIR/" \
		-print_final_stats=1 "$BATS_TEST_TMPDIR/corpus"
	assert_success
	assert_output --regexp 'Done [0-9]+ runs in'
	run ls "$BATS_TEST_TMPDIR"
	refute_output --regexp '^(crash|leak|timeout|oom)-'
}

@test "every corpus file passes the harness's invariants" {
	require_fuzzer
	run "$FUZZER" "$CAI_TOP"/test/fuzz/corpus/daemon_json/*
	assert_success
	assert_output --partial "Executed $CAI_TOP/test/fuzz/corpus/daemon_json/sysbox.json"
}

@test "the daemon.json fuzzer runs ${FUZZ_SECONDS:-20} s: no crash, no leak, invariants hold" {
	require_fuzzer
	fuzz_for daemon_json -dict="$CAI_TOP/test/fuzz/daemon_json.dict"
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
	fuzz_for ring_reader
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
	fuzz_for record
}
