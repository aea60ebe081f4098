#!/bin/sh
# make bench: the audit shim's costs, printed side by side in one run.
# Figures only: benchmarks are not tests and nothing here passes or fails.
#   1. added cost per intercepted open+close over 1,000,000 consecutive
#      calls (the mean over the run beside the median of batches) with the
#      ring, with one message per event, and under strace, next to one
#      200-byte SOCK_SEQPACKET send with a reader draining it
#   2. collector throughput: 1,000,000 events from 1 and from 8 writers,
#      events/s until all are in the log, per CPU-second of the collector,
#      and how many the log is missing
#   3. one exec (fork, execve, wait): no supervision, an empty preloaded
#      library, the shim (and its load alone), snoopy, cai run's seccomp
#      supervision, both, and the floors: the notification round trip, one
#      page fault, one system call, one exec event's own connection
#   4. a real build (this source tree, make -j2): no shim, our shim,
#      snoopy (LD_PRELOAD, never /etc/ld.so.preload), strace -f
#   5. an agent container: `cai run --image` (without and with audit) next
#      to a plain `docker run --rm` of the same image on the same engine
#      (bench/container.sh, in a sandbox; needs root and dockerd)
# BENCH_RUNS (default 3) sets the repetitions of the build; the median and
# the mean are shown. BENCH_ONLY="exec build" runs only those parts (opens, collector,
# exec, build, containers). Everything is written under a temporary
# directory.
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

# The collector's time on a CPU so far, in ns: /proc/PID/schedstat, or
# its user and system ticks where the kernel keeps no schedstat.
collector_cpu_ns() {
	[ -n "$cpid" ] || return 0
	cut -d' ' -f1 "/proc/$cpid/schedstat" 2>/dev/null ||
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' "/proc/$cpid/stat"
}

stop_collector() {
	kill -TERM "$cpid"
	wait "$cpid" || true
	cpid=
}

now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# mean of the numbers on stdin
mean() { awk '{ s += $1 } END { if (NR) printf "%.0f\n", s / NR }'; }

us() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1000 }'; }

wanted() { # SECTION
	case " ${BENCH_ONLY:-opens collector exec build containers} " in
	*" $1 "*) return 0 ;;
	*) return 1 ;;
	esac
}

# snoopy's configuration is /etc/snoopy.ini; ours is bound over it in a
# private mount namespace, so that it logs to a file and the host's
# configuration is never touched.
printf '[snoopy]\noutput = file:%s/snoopy.log\n' "$work" >"$work/snoopy.ini"
snoopy_ok=
if [ -e "$snoopy_lib" ] && [ -e /etc/snoopy.ini ] && [ "$(id -u)" -eq 0 ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	snoopy_ok=1
fi

echo "# make bench on $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

section_opens() {
# 1. open+close -------------------------------------------------------------
# The average over one long run is what a program that keeps opening files
# pays (a median of batches hides the batches that waited): 1,000,000
# consecutive calls in one process, the collector up.
n=${BENCH_CALLS:-1000000}
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; } # NAME: a NAME=N figure
bare_out=$("$stress" openclose "$n")
start_collector openclose
shim_out=$(LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" openclose "$n")
stop_collector
logged_oc=$(grep -c '"path":"/dev/null"' "$work/openclose.jsonl" || true)
# The same with one message per event instead of the ring.
start_collector messages
msg_out=$(CAI_AUDIT_RING_KB=0 LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" openclose $((n / 10)))
stop_collector
strace_out=
if command -v strace >/dev/null; then
	strace_out=$(strace -f -qq -o /dev/null -e trace=open,openat "$stress" openclose $((n / 10)))
fi
send_out=$("$stress" sendcost $((n / 5)))
echo "## Cost per intercepted open+close ($n consecutive calls; median of batches of 1000, and mean over the run)"
echo
printf '%-46s %10s %10s\n' "" "median us" "mean us"
row() { # label output
	if [ -z "$2" ]; then
		printf '%-46s %10s\n' "$1" "skipped"
		return
	fi
	printf '%-46s %10s %10s\n' "$1" "$(us "$(echo "$2" | field median_ns)")" "$(us "$(echo "$2" | field mean_ns)")"
}
row "open+close, no shim" "$bare_out"
row "with the shim (ring, collector up)" "$shim_out"
added_med=$(($(echo "$shim_out" | field median_ns) - $(echo "$bare_out" | field median_ns)))
added_mean=$(($(echo "$shim_out" | field mean_ns) - $(echo "$bare_out" | field mean_ns)))
printf '%-46s %10s %10s\n' "added by the shim (target: mean at most 2 us)" "$(us "$added_med")" "$(us "$added_mean")"
row "with the shim, one message per event" "$msg_out"
row "strace -f -e trace=open,openat" "$strace_out"
row "one 200-byte SOCK_SEQPACKET send (drained)" "$send_out"
echo "events logged from the shim's run: $logged_oc of $n"
echo
}

section_collector() {
# 2. throughput -------------------------------------------------------------
# Events per second written to the log, from 1 and from 8 writer processes,
# until the collector has written them all, and the collector's own CPU
# time (what one core of it can do).
throughput() { # PROCS
	procs=$1
	total=1000000
	per=$((total / procs))
	start_collector throughput
	t0=$(now_ns)
	pids=
	i=0
	while [ $i -lt "$procs" ]; do
		LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$stress" emit $per /nonexistent/cai-bench >/dev/null &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
	# Written means written: wait until the log holds them all (or 60 s).
	w=0
	while [ "$(grep -c '"path":"/nonexistent/cai-bench"' "$work/throughput.jsonl" || true)" -lt $((per * procs)) ] && [ $w -lt 600 ]; do
		sleep 0.1
		w=$((w + 1))
	done
	t1=$(now_ns)
	ccpu=$(collector_cpu_ns)
	ccpu=$((${ccpu:-0} / 1000000))
	stop_collector
	logged=$(grep -c '"path":"/nonexistent/cai-bench"' "$work/throughput.jsonl" || true)
	dropped=$(grep -o '"dropped":[0-9]*' "$work/throughput.jsonl" | awk -F: '{ s += $2 } END { print s + 0 }')
	sent=$((per * procs))
	awk -v l="$procs writer(s)" -v n="$sent" -v ns=$((t1 - t0)) -v c="$ccpu" -v g="$logged" -v d="$dropped" \
		'BEGIN { printf "%-16s %12.0f %14.0f %10d %8d %8d\n", l, n / (ns / 1e9), (c > 0 ? g / (c / 1000) : 0), g, d, n - g - d }'
	rm -f "$work/throughput.jsonl"
}
echo "## Collector throughput: 1,000,000 events, until all are in the log (target: 1,000,000/s on one core, 0 lost)"
echo
printf '%-16s %12s %14s %10s %8s %8s\n' "" "events/s" "per CPU-second" "logged" "dropped" "missing"
throughput 1
throughput 8
}

section_exec() {
# 3. one exec, supervised -----------------------------------------------------
# fork + execve(/bin/true) + wait: no supervision; an empty preloaded
# library (what loading any library costs); the shim; snoopy; cai run's
# seccomp supervision; both (what cai run does by default). And the floor
# under any supervision: the kernel's notification round trip alone.
execs=${BENCH_EXECS:-3000}
# The rows run in turn, a share of the execs each, BENCH_ROUNDS times over
# (default 5): a machine whose speed drifts during the run (a virtual
# machine's does) then moves every row alike, which rows run one after the
# other do not.
rounds=${BENCH_ROUNDS:-5}
per=$((execs / rounds))
[ "$per" -ge 50 ] || per=50
loop=$build/test/exec-loop
ns_of() { sed -n 's/^median_ns=\([0-9]*\) mean_ns=\([0-9]*\) faults_x10=\([0-9]*\)$/\1 \2 \3/p'; }
printf '' | ${CC:-cc} -shared -fPIC -x c -o "$work/empty.so" - 2>/dev/null || true
notif=
grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null && notif=1
exec_once() { # ROW: one share of execs, "median mean faults_x10" or nothing
	case $1 in
	none) "$loop" "$per" ;;
	empty) [ -e "$work/empty.so" ] && LD_PRELOAD=$work/empty.so "$loop" "$per" ;;
	shim) LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock "$loop" "$per" ;;
	# The shim's part that no event causes: loaded into the exec'd
	# program alone (the loop itself preloads nothing: no exec event).
	shim_load) CAI_AUDIT_SOCKET=$work/audit.sock "$loop" --child-preload "$shim" "$per" ;;
	# Apart: the loop on CPU 0, the collector (for the shim's row) on
	# CPU 1: what the exec itself pays, without the collector's work on
	# a CPU the exec wants.
	empty_apart) [ -e "$work/empty.so" ] && [ -n "$apart" ] && LD_PRELOAD=$work/empty.so taskset -c 0 "$loop" "$per" ;;
	shim_apart)
		[ -n "$apart" ] && taskset -p -c 1 "$cpid" >/dev/null &&
			LD_PRELOAD=$shim CAI_AUDIT_SOCKET=$work/audit.sock taskset -c 0 "$loop" "$per"
		[ -n "$apart" ] && taskset -p -c "0-$(($(nproc) - 1))" "$cpid" >/dev/null
		;;
	snoopy)
		# shellcheck disable=SC2016 # expanded by the inner shell
		[ -n "$snoopy_ok" ] && unshare --mount --propagation private -- sh -c \
			'mount --bind "$0" /etc/snoopy.ini && lib=$1 && shift && exec env LD_PRELOAD="$lib" "$@"' \
			"$work/snoopy.ini" "$snoopy_lib" "$loop" "$per"
		;;
	# --debug: cai run says the supervisor's CPU time per exec at the end.
	seccomp) [ -n "$notif" ] && "$build/cai" run --debug --no-shim --audit-socket "$work/audit.sock" -- \
		"$loop" "$per" 2>>"$work/exec-$1.sup" ;;
	both) [ -n "$notif" ] && "$build/cai" run --debug --shim "$shim" --audit-socket "$work/audit.sock" -- \
		"$loop" "$per" 2>>"$work/exec-$1.sup" ;;
	esac | ns_of
}
apart=
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && apart=1
exec_rows="none empty shim shim_load empty_apart shim_apart snoopy seccomp both"
start_collector exec
r=0
while [ $r -lt "$rounds" ]; do
	for row in $exec_rows; do
		# What the collector spent on this row's events, on a CPU the
		# exec may want: on a small machine, the exec waits for it.
		c0=$(collector_cpu_ns)
		exec_once "$row" >>"$work/exec-$row.txt" || true
		c1=$(collector_cpu_ns)
		[ -n "$c0" ] && [ -n "$c1" ] && echo $((c1 - c0)) >>"$work/exec-$row.cpu"
	done
	r=$((r + 1))
done
# Per row: the median of the rounds' medians, the mean of their means (each
# round has as many execs: the mean over the whole run) and of the faults.
exec_of() { # ROW
	[ -s "$work/exec-$1.txt" ] || return 0
	c=-1 sup=-1
	[ -s "$work/exec-$1.cpu" ] && c=$(awk -v n="$per" '{ s += $1 } END { printf "%d", s / NR / n }' "$work/exec-$1.cpu")
	[ -s "$work/exec-$1.sup" ] && sup=$(sed -n 's/.*the supervisor used \([0-9.]*\) us of CPU per exec.*/\1/p' \
		"$work/exec-$1.sup" | awk '{ s += $1 } END { if (NR) printf "%d", s * 1000 / NR; else print -1 }')
	sort -n "$work/exec-$1.txt" | awk -v c="$c" -v sup="$sup" '{ m[NR] = $1; s += $2; f += $3 }
		END { printf "%d %d %d %d %d\n", m[int((NR + 1) / 2)], s / NR, f / NR, c, sup }'
}
e_none=$(exec_of none)
e_empty=$(exec_of empty)
e_shim=$(exec_of shim)
e_shim_load=$(exec_of shim_load)
e_empty_apart=$(exec_of empty_apart)
e_shim_apart=$(exec_of shim_apart)
e_snoopy=$(exec_of snoopy)
e_seccomp=$(exec_of seccomp)
e_both=$(exec_of both)
execs=$((per * rounds))
rtt=
[ -n "$notif" ] && rtt=$("$build/test/notify-rtt" 100000 2000)
# What the shim's exec event costs its sender without a connection held
# or a parent's ring to write it into: a connection of its own (socket,
# connect, one send, close); last, as the collector rejects these bytes.
conn=$("$build/test/audit-stress" conncost "$work/audit.sock" 2000)
stop_collector
fault_ns=$("$loop" --fault-cost | sed -n 's/^fault_ns=//p')
syscall=$("$build/test/audit-stress" syscallcost 100000)
echo "## Cost per exec: fork + execve /bin/true + wait ($execs execs a row, in $rounds rounds that take the rows in turn; median of batches of 50 (the middle round's), and mean over the run)"
echo
printf '%-46s %10s %10s %10s %10s %12s %13s\n' "" "median us" "mean us" "mean +us" "faults" "collector us" "supervisor us"
mean_of() { echo "$1" | cut -d' ' -f2; } # "median mean faults collector supervisor": the mean
base_mean=$(mean_of "$e_none")
exec_row() { # label "median mean faults_x10 collector_ns supervisor_ns"
	if [ -z "$2" ]; then
		printf '%-46s %10s\n' "$1" "skipped"
		return
	fi
	echo "$2" | awk -v l="$1" -v b="$base_mean" '{
		c = $4 < 0 ? "n/a" : sprintf("%.1f", $4 / 1000)
		v = $5 < 0 ? "" : sprintf("%.1f", $5 / 1000)
		row = sprintf("%-46s %10.1f %10.1f %+10.1f %10.1f %12s %13s", l, $1 / 1000, $2 / 1000, ($2 - b) / 1000, $3 / 10, c, v)
		sub(/ +$/, "", row)
		print row }'
}
exec_row "no supervision" "$e_none"
exec_row "an empty preloaded library" "$e_empty"
exec_row "the shim (target: at most 50 us over empty)" "$e_shim"
exec_row "  of which loading it, no event" "$e_shim_load"
exec_row "an empty library, the loop on CPU 0" "$e_empty_apart"
exec_row "the shim, the loop on CPU 0, collector CPU 1" "$e_shim_apart"
exec_row "snoopy (LD_PRELOAD)" "$e_snoopy"
exec_row "seccomp supervision (cai run --no-shim)" "$e_seccomp"
exec_row "seccomp + shim (cai run)" "$e_both"
# The floor: one getppid() notified and answered at once, back to back and
# one every 2 ms (both sides idle in between, as between a program's
# execs), with the ordinary and the synchronous wake-up (Linux 6.6, what
# cai run asks for; -1: not in this kernel).
rtt_row() { # label field
	v=$(echo "$rtt" | sed -n "s/.*\b$2=\(-\{0,1\}[0-9]*\).*/\1/p")
	b=$(echo "$rtt" | sed -n 's/.*bare_ns=\([0-9]*\).*/\1/p')
	if [ -z "$v" ] || [ "$v" -lt 0 ]; then
		printf '%-46s %10s\n' "$1" "n/a"
		return
	fi
	awk -v l="$1" -v n="$v" -v b="$b" 'BEGIN { printf "%-46s %10s %10.1f %+10.1f\n", l, "", n / 1000, (n - b) / 1000 }'
}
if [ -n "$rtt" ]; then
	rtt_row "floor: notification round trip, back to back" notified_ns
	rtt_row "  the same, synchronous wake-up" sync_ns
	rtt_row "  one every 2 ms (sides idle between)" idle_ns
	rtt_row "  one every 2 ms, synchronous wake-up" sync_idle_ns
fi
[ -n "$e_empty" ] && [ -n "$e_shim" ] &&
	echo "the shim over an empty preloaded library: $(( ($(mean_of "$e_shim") - $(mean_of "$e_empty")) / 1000 )) us (target: at most 50)"
[ -n "$e_empty_apart" ] && [ -n "$e_shim_apart" ] &&
	echo "the same, the collector on a CPU of its own: $(( ($(mean_of "$e_shim_apart") - $(mean_of "$e_empty_apart")) / 1000 )) us"
[ -n "$e_seccomp" ] &&
	echo "seccomp supervision over none: $(( ($(mean_of "$e_seccomp") - base_mean) / 1000 )) us (target: at most 100)"
# Most of an exec's cost on a virtual machine can be page faults: say what
# one costs here, so that the fault column can be read on other hardware.
[ -n "$fault_ns" ] &&
	echo "one page fault (first touch of an anonymous page) costs $((fault_ns / 1000)).$(( (fault_ns % 1000) / 100 )) us here"
# And the other two units an exec's cost is made of here.
sys_ns=$(echo "$syscall" | sed -n 's/.*mean_ns=\([0-9]*\).*/\1/p')
[ -n "$sys_ns" ] && echo "one system call (getppid) costs $((sys_ns / 1000)).$(( (sys_ns % 1000) / 100 )) us here"
conn_ns=$(echo "$conn" | sed -n 's/.*mean_ns=\([0-9]*\).*/\1/p')
[ -n "$conn_ns" ] &&
	echo "an exec event on a connection of its own (no parent's ring: socket, connect, send, close) costs $((conn_ns / 1000)).$(( (conn_ns % 1000) / 100 )) us here"
echo "seccomp exec events logged: $(grep -c '"source":"seccomp"' "$work/exec.jsonl" || true)"
echo
}

section_build() {
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

strace_ok=
command -v strace >/dev/null && strace_ok=1

r=0
while [ $r -lt "$runs" ]; do
	build_once none env
	start_collector build
	build_once shim env LD_PRELOAD="$shim" CAI_AUDIT_SOCKET="$work/audit.sock"
	collector_cpu_ns >>"$work/collector.build"
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
base_mean=$(mean <"$work/times.none")
echo "## A real build: this source tree, make -j2 (median and mean of $runs runs)"
echo
printf '%-24s %10s %10s %10s %10s\n' "" "median s" "vs none" "mean s" "vs none"
for label in none shim snoopy strace; do
	[ -f "$work/times.$label" ] || {
		printf '%-24s %10s\n' "$label" "skipped"
		continue
	}
	m=$(median <"$work/times.$label")
	a=$(mean <"$work/times.$label")
	awk -v l="$label" -v m="$m" -v b="$base" -v a="$a" -v ba="$base_mean" \
		'BEGIN { printf "%-24s %10.2f %+9.1f%% %10.2f %+9.1f%%\n", l, m / 1000, (m - b) * 100 / b, a / 1000, (a - ba) * 100 / ba }'
done
echo
echo "shim: $events events logged over $runs builds; snoopy logs execs only."
# The collector runs beside the build, on the cores it compiles on: its CPU
# time is part of what the shim's row costs.
c_mean=$(mean <"$work/collector.build")
[ -n "$c_mean" ] &&
	awk -v c="$c_mean" -v n="$(nproc)" 'BEGIN { printf "the collector used %.2f s of CPU per shim build (mean); with %d cores busy, that is about %.2f s of wall time\n", c / 1e9, n, c / 1e9 / n }'
if [ -e /etc/ld.so.preload ]; then
	echo "note: /etc/ld.so.preload exists: $(cat /etc/ld.so.preload)"
else
	echo "/etc/ld.so.preload: absent (snoopy was only ever loaded by LD_PRELOAD)"
fi

echo
}

# 5. agent containers ----------------------------------------------------
section_containers() {
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/dockerd ] && command -v docker >/dev/null && command -v runc >/dev/null; then
	# The collector and egress helper `cai engine start` runs, and the
	# container init, from this build, where `make install` would put them.
	BENCH_BUILD=$build CAI_AUDITD=$build/cai-auditd CAI_AGENT_INIT=$build/cai-agent-init CAI_EGRESS_ACL=$build/cai-egress-acl \
		bash "$top/test/helpers/cai-sandbox" "$work/sandbox" -- bash "$top/bench/container.sh" ||
		echo "## Agent containers: the benchmark failed (see above)"
else
	echo "## Agent containers: skipped (needs root, dockerd, the docker CLI and runc)"
fi
}

for section in opens collector exec build containers; do
	wanted "$section" || continue
	"section_$section"
	echo
done
