#!/bin/sh
# make bench, part 4: the cost of one supervised exec (fork + execve of
# /bin/true + exit + wait), side by side in one run: no supervision, the
# shim only, seccomp supervision by `cai run` only, and both (what `cai run`
# does by default). Figures only: nothing passes or fails.
set -eu
: "${BUILDDIR:?set BUILDDIR (make bench does)}"

top=$(pwd)
build=$top/$BUILDDIR
loop=$build/test/exec-loop
shim=$build/libcai-auditshim.so
cai=$build/cai
auditd=$build/cai-auditd
n=${BENCH_EXECS:-3000}
work=$(mktemp -d "${TMPDIR:-/tmp}/cai-bench-exec.XXXXXX")
cpid=
cleanup() {
	if [ -n "$cpid" ]; then
		kill -TERM "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$auditd" --socket "$work/audit.sock" --log "$work/audit.jsonl" 2>"$work/auditd.err" &
cpid=$!
i=0
while [ ! -S "$work/audit.sock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done

us() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1000 }'; }
ns_of() { sed -n 's/^median_ns=//p'; }

none=$("$loop" "$n" | ns_of)
shim_only=$(LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$loop" "$n" | ns_of)
if grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
	seccomp=$("$cai" run --no-shim --audit-socket "$work/audit.sock" -- "$loop" "$n" | ns_of)
	both=$("$cai" run --shim "$shim" --audit-socket "$work/audit.sock" -- "$loop" "$n" | ns_of)
else
	seccomp=
	both=
fi
kill -TERM "$cpid"
wait "$cpid" || true
cpid=
seen=$(grep -c '"source":"seccomp"' "$work/audit.jsonl" || true)

echo "## Cost per exec (fork + execve /bin/true + wait; median of batches of 50, $n execs)"
echo
printf '%-40s %10s %10s\n' "" "us" "vs none"
row() { # label ns
	if [ -z "$2" ]; then
		printf '%-40s %10s\n' "$1" "skipped (no user_notif here)"
		return
	fi
	awk -v l="$1" -v v="$2" -v b="$none" 'BEGIN { printf "%-40s %10.1f %+9.1f%%\n", l, v / 1000, (v - b) * 100 / b }'
}
row "no supervision" "$none"
row "shim only (LD_PRELOAD)" "$shim_only"
row "seccomp supervision only (cai run)" "$seccomp"
row "seccomp + shim (cai run default)" "$both"
echo
echo "seccomp events logged: $seen (each run also logs the loop's own exec)"
