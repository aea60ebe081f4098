#!/bin/sh
# Run every test suite of one build (C unit tests, then bats files), keep
# each suite's TAP in $BUILDDIR/test-results, and print the totals.
# Called by `make check`; binaries are found through environment variables.
set -u
: "${BUILDDIR:?set BUILDDIR to the build directory}"

top=$(pwd)
build="$top/$BUILDDIR"
results="$build/test-results"
rm -rf "$results"
mkdir -p "$results"

export CAI_SECCOMP_PROBE="$build/cai-seccomp-probe"
export CAI_DAEMON_JSON="$build/cai-daemon-json"
export CAI_BIN="$build/cai"
export CAI_AUDITD="$build/cai-auditd"
export CAI_AUDIT="$build/cai-audit"
export CAI_AUDIT_SHIM="$build/libcai-auditshim.so"
export CAI_AGENT_INIT="$build/cai-agent-init"
export CAI_AUDIT_SHIM_MUSL="$build/libcai-auditshim-musl.so"
export CAI_AGENT_PROFILE="$build/seccomp-containai-agent.json"
export CAI_FUZZ_DAEMON_JSON="$top/build/fuzz/fuzz_daemon_json"
export CAI_FUZZ_RING_READER="$top/build/fuzz/fuzz_ring_reader"
export CAI_FUZZ_RECORD="$top/build/fuzz/fuzz_record"
export SANITIZE="${SANITIZE:-0}"
export CAI_TEST_BIN="$build/test"
export CAI_TOP="$top"
export CAI_PKG_DIR="$top/build/packages"
export BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_suite() { # name command...
	name=$1
	shift
	echo "# suite $name"
	"$@" >"$results/$name.tap" 2>"$results/$name.stderr"
	echo $? >"$results/$name.rc"
	cat "$results/$name.tap"
	if [ -s "$results/$name.stderr" ]; then
		sed 's/^/# stderr: /' "$results/$name.stderr"
	fi
}

for t in "$build"/test/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t")" "$t"
done

for f in "$top"/test/bats/*.bats; do
	[ -f "$f" ] || continue
	run_suite "bats-$(basename "$f" .bats)" bats --tap "$f"
done

exec sh "$top/scripts/tap-summary.sh" "$results"
