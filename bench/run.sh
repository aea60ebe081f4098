#!/bin/sh
# make bench: the audit shim's costs, printed side by side in one run.
# Figures only: benchmarks are not tests and nothing here passes or fails.
#   1. added cost per intercepted open+close (median) with the ring and
#      with one message per event, next to one 200-byte SOCK_SEQPACKET
#      send with a reader draining it
#   2. throughput: 8 processes, 1,000,000 events in total, events/s, and
#      how many the log is missing
#   3. one exec (fork, execve, wait): no supervision, the shim, cai run's
#      seccomp supervision, both
#   4. a real build (this source tree, make -j2): no shim, our shim,
#      snoopy (LD_PRELOAD, never /etc/ld.so.preload), strace -f
#   5. an agent container: `cai run --image` (without and with audit) next
#      to a plain `docker run --rm` of the same image on the same engine
#      (bench/container.sh, in a sandbox; needs root and dockerd)
# BENCH_RUNS (default 3) sets the repetitions of the build; the median is
# shown. Everything is written under a temporary directory.
set -eu
: "${BUILDDIR:?set BUILDDIR (make bench does)}"

top=$(pwd)
build=$top/$BUILDDIR
shim=$build/libcai-auditshim.so
auditd=$build/cai-auditd
stress=$build/test/audit-stress
runs=${BENCH_RUNS:-3}
snoopy_lib=/lib/x86_64-linux-gnu/libsnoopy.so
work=$(mktemp -d "${TMPDIR:-/tmp}/cai-bench.XXXXXX")
cpid=

cleanup() {
	if [ -n "$cpid" ]; then
		kill -TERM "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_collector() { # LOGNAME
	rm -f "$work/audit.sock"
	"$auditd" --socket "$work/audit.sock" --log "$work/$1.jsonl" 2>>"$work/auditd.err" &
	cpid=$!
	i=0
	while [ ! -S "$work/audit.sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

stop_collector() {
	kill -TERM "$cpid"
	wait "$cpid" || true
	cpid=
}

now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

us() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1000 }'; }

echo "# make bench on $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# 1. open+close -------------------------------------------------------------
n=200000
bare=$("$stress" openclose $n | sed 's/median_ns=//')
start_collector openclose
shimmed=$(LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" openclose $n | sed 's/median_ns=//')
# The same with one message per event instead of the ring.
messages=$(CAI_AUDIT_RING_KB=0 LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" openclose $n |
	sed 's/median_ns=//')
stop_collector
# The shim's own work per event (building it, failing to connect at most
# every 100 ms, counting it as dropped), without the transport.
alone=$(LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/nobody.sock "$stress" openclose $n | sed 's/median_ns=//')
send=$("$stress" sendcost $n | sed 's/median_ns=//')
echo "## Cost per intercepted open+close (median of batches of 1000, $n calls)"
echo
printf '%-44s %10s\n' "" "us"
printf '%-44s %10s\n' "open+close, no shim" "$(us "$bare")"
printf '%-44s %10s\n' "open+close, with the shim (ring, collector up)" "$(us "$shimmed")"
printf '%-44s %10s\n' "added by the shim (target: at most 2 us)" "$(us $((shimmed - bare)))"
printf '%-44s %10s\n' "with the shim, one message per event" "$(us "$messages")"
printf '%-44s %10s\n' "with the shim, no collector (nothing sent)" "$(us "$alone")"
printf '%-44s %10s\n' "one 200-byte SOCK_SEQPACKET send (drained)" "$(us "$send")"
echo

# 2. throughput -------------------------------------------------------------
procs=8
per=125000
total=$((procs * per))
start_collector throughput
t0=$(now_ns)
pids=
i=0
while [ $i -lt $procs ]; do
	LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" emit $per /nonexistent/cai-bench >/dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
stop_collector
t1=$(now_ns)
logged=$(grep -c '"path":"/nonexistent/cai-bench"' "$work/throughput.jsonl" || true)
dropped=$(grep -o '"dropped":[0-9]*' "$work/throughput.jsonl" | awk -F: '{ s += $2 } END { print s + 0 }')
rate=$(awk -v n="$total" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
echo "## Throughput: $procs processes, $total events in total (until the collector has written them all)"
echo
printf '%-44s %10s\n' "events per second" "$rate"
printf '%-44s %10s\n' "events in the log" "$logged"
printf '%-44s %10s\n' "events counted as dropped" "$dropped"
printf '%-44s %10s\n' "missing without a count" "$((total - logged - dropped))"
echo
rm -f "$work/throughput.jsonl"

# 3. one exec, supervised -----------------------------------------------------
# fork + execve(/bin/true) + wait: no supervision, the shim only, cai run's
# seccomp supervision only, and both (what cai run does by default).
execs=${BENCH_EXECS:-3000}
loop=$build/test/exec-loop
ns_of() { sed -n 's/^median_ns=//p'; }
start_collector exec
e_none=$("$loop" "$execs" | ns_of)
e_shim=$(LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$loop" "$execs" | ns_of)
e_seccomp=
e_both=
if grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
	e_seccomp=$("$build/cai" run --no-shim --audit-socket "$work/audit.sock" -- "$loop" "$execs" | ns_of)
	e_both=$("$build/cai" run --shim "$shim" --audit-socket "$work/audit.sock" -- "$loop" "$execs" | ns_of)
fi
stop_collector
echo "## Cost per exec: fork + execve /bin/true + wait (median of batches of 50, $execs execs)"
echo
printf '%-44s %10s %10s\n' "" "us" "vs none"
exec_row() { # label ns
	if [ -z "$2" ]; then
		printf '%-44s %10s\n' "$1" "skipped: no user_notif in this kernel"
		return
	fi
	awk -v l="$1" -v v="$2" -v b="$e_none" 'BEGIN { printf "%-44s %10.1f %+9.1f%%\n", l, v / 1000, (v - b) * 100 / b }'
}
exec_row "no supervision" "$e_none"
exec_row "shim only (LD_PRELOAD)" "$e_shim"
exec_row "seccomp supervision only (cai run --no-shim)" "$e_seccomp"
exec_row "seccomp + shim (cai run)" "$e_both"
echo "seccomp exec events logged: $(grep -c '"source":"seccomp"' "$work/exec.jsonl" || true)"
echo

# 4. a real build -------------------------------------------------------------
src=$work/src
mkdir -p "$src"
if git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
	git -C "$top" archive HEAD | tar -x -C "$src"
else
	cp -r "$top/src" "$top/Makefile" "$src/"
fi
build_once() { # label, then the command prefix
	label=$1
	shift
	make -C "$src" -s clean >/dev/null 2>&1 || true
	t0=$(now_ns)
	"$@" make -C "$src" -s -j2 all BUILDDIR=build/bench >/dev/null 2>&1
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000000)) >>"$work/times.$label"
}

printf '[snoopy]\noutput = file:%s/snoopy.log\n' "$work" >"$work/snoopy.ini"
snoopy_ok=
if [ -e "$snoopy_lib" ] && [ -e /etc/snoopy.ini ] && [ "$(id -u)" -eq 0 ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	snoopy_ok=1
fi
strace_ok=
command -v strace >/dev/null && strace_ok=1

r=0
while [ $r -lt "$runs" ]; do
	build_once none env
	start_collector build
	build_once shim env LD_PRELOAD="$shim" CAI_AUDIT_SOCKET="$work/audit.sock"
	stop_collector
	if [ -n "$snoopy_ok" ]; then
		# snoopy's configuration is /etc/snoopy.ini; ours is bound over it
		# in a private mount namespace, so that it logs to a file and the
		# host's configuration is never touched.
		# shellcheck disable=SC2016 # expanded by the inner shell
		build_once snoopy unshare --mount --propagation private -- sh -c \
			'mount --bind "$0" /etc/snoopy.ini && lib=$1 && shift && exec env LD_PRELOAD="$lib" "$@"' \
			"$work/snoopy.ini" "$snoopy_lib"
	fi
	[ -n "$strace_ok" ] && build_once strace strace -f -qq -o "$work/strace.out" \
		-e trace=execve,execveat,open,openat,creat,connect
	r=$((r + 1))
done

events=$(grep -c '"call"' "$work/build.jsonl" || true)
base=$(median <"$work/times.none")
echo "## A real build: this source tree, make -j2 (median of $runs runs)"
echo
printf '%-24s %10s %10s\n' "" "seconds" "vs none"
for label in none shim snoopy strace; do
	[ -f "$work/times.$label" ] || {
		printf '%-24s %10s\n' "$label" "skipped"
		continue
	}
	m=$(median <"$work/times.$label")
	awk -v l="$label" -v m="$m" -v b="$base" \
		'BEGIN { printf "%-24s %10.2f %+9.1f%%\n", l, m / 1000, (m - b) * 100 / b }'
done
echo
echo "shim: $events events logged over $runs builds; snoopy logs execs only."
if [ -e /etc/ld.so.preload ]; then
	echo "note: /etc/ld.so.preload exists: $(cat /etc/ld.so.preload)"
else
	echo "/etc/ld.so.preload: absent (snoopy was only ever loaded by LD_PRELOAD)"
fi

echo
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/dockerd ] && command -v docker >/dev/null && command -v runc >/dev/null; then
	BENCH_BUILD=$build sh "$top/test/helpers/cai-sandbox" "$work/sandbox" -- bash "$top/bench/container.sh" ||
		echo "## Agent containers: the benchmark failed (see above)"
else
	echo "## Agent containers: skipped (needs root, dockerd, the docker CLI and runc)"
fi
