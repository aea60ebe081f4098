#!/bin/sh
# Run every test suite of one build (C unit tests, then bats files), keep
# each suite's TAP in $BUILDDIR/test-results, and print the totals.
# Called by `make check`; binaries are found through environment variables.
# CAI_SUITES chooses: all (the default), main (all but the package suites),
# or packages (only those, into $BUILDDIR/test-results-packages);
# CAI_SKIP_SUITES names bats files (without .bats) to leave out.
set -u
: "${BUILDDIR:?set BUILDDIR to the build directory}"
suites=${CAI_SUITES:-all}
case "$suites" in
all | main | packages) ;;
*)
	echo "run-tests.sh: CAI_SUITES must be all, main or packages, not '$suites'" >&2
	exit 2
	;;
esac

top=$(pwd)
build="$top/$BUILDDIR"
results="$build/test-results"
[ "$suites" = packages ] && results="$build/test-results-packages"
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
	started=$(date +%s)
	"$@" >"$results/$name.tap" 2>"$results/$name.stderr"
	echo $? >"$results/$name.rc"
	cat "$results/$name.tap"
	if [ -s "$results/$name.stderr" ]; then
		sed 's/^/# stderr: /' "$results/$name.stderr"
	fi
	echo "# suite $name took $(($(date +%s) - started)) s"
}

wanted() { # bats file name without .bats
	case " ${CAI_SKIP_SUITES:-} " in
	*" $1 "*) return 1 ;;
	esac
	case "$1" in
	package-*) is_package=1 ;;
	*) is_package=0 ;;
	esac
	case "$suites" in
	main) [ "$is_package" = 0 ] ;;
	packages) [ "$is_package" = 1 ] ;;
	*) true ;;
	esac
}

if [ "$suites" != packages ]; then
	for t in "$build"/test/test_*; do
		[ -x "$t" ] || continue
		run_suite "unit-$(basename "$t")" "$t"
	done
fi

for f in "$top"/test/bats/*.bats; do
	[ -f "$f" ] || continue
	wanted "$(basename "$f" .bats)" || continue
	run_suite "bats-$(basename "$f" .bats)" bats --tap "$f"
done

# Debian 13: the systemd suite again, on a trixie root: apt install from
# the repository, units, reboot, upgrade, remove, purge and the WSL2
# refusal there (it skips in the sanitized build, which ships no package).
# The chroot suite on trixie: CAI_PKG_SUITE=trixie bats test/bats/package-deb.bats
if [ "$SANITIZE" != 1 ] && [ "$suites" != main ] && wanted package-systemd; then
	run_suite "bats-package-systemd-trixie" env CAI_PKG_SUITE=trixie bats --tap "$top/test/bats/package-systemd.bats"
fi

exec sh "$top/scripts/tap-summary.sh" "$results"
