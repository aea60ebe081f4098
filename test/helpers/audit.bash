# Shared setup for the audit suites: a collector on a socket and a log in
# the test's temporary directory (never /run or /var/log), and a way to run
# a command with the shim. Load after common.bash.

: "${CAI_AUDITD:?run the tests through make check}"
: "${CAI_AUDIT:?run the tests through make check}"
: "${CAI_AUDIT_SHIM:?run the tests through make check}"
AUDIT_CALL="$CAI_TEST_BIN/audit-call"
AUDIT_STRESS="$CAI_TEST_BIN/audit-stress"
export AUDIT_RECORD="$CAI_TEST_BIN/audit-record"
# Debian's interpreter, not whatever wrapper PATH may hold.
PY=/usr/bin/python3

# record JSON [KIND]: the audit record (src/lib/audit/audit_wire.h) that carries
# the JSON object, in hex, as audit-send and the python senders take it.
record() {
	"$AUDIT_RECORD" ${2:+--kind "$2"} "$1"
}

# send_records SOCKET HEX...: one python3 client sends each record.
send_records() {
	"$PY" - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for m in sys.argv[2:]:
    s.send(bytes.fromhex(m))
PY
}

audit_setup() {
	AUD=$BATS_TEST_TMPDIR
	SOCK=$AUD/audit.sock
	LOG=$AUD/audit.jsonl
	AUDITD_PID=
}

# audit_setup_public: the same, in a directory of /tmp that unprivileged
# attackers (setpriv --reuid=nobody) may traverse; the test's own is
# private. audit_teardown removes it.
audit_setup_public() {
	AUD=$(mktemp -d /tmp/cai-audit-test.XXXXXX)
	chmod 0755 "$AUD"
	AUD_PUBLIC=$AUD
	SOCK=$AUD/audit.sock
	LOG=$AUD/audit.jsonl
	AUDITD_PID=
}

# start_collector [extra cai-auditd options]
start_collector() {
	"$CAI_AUDITD" --socket "$SOCK" --log "$LOG" "$@" 2>>"$AUD/auditd.err" &
	AUDITD_PID=$!
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$AUDITD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "cai-auditd did not start:" >&2
	cat "$AUD/auditd.err" >&2
	return 1
}

# SIGTERM: the collector drains every connection and exits 0.
stop_collector() {
	[ -n "$AUDITD_PID" ] || return 0
	kill -TERM "$AUDITD_PID" 2>/dev/null || true
	local rc=0
	wait "$AUDITD_PID" || rc=$?
	AUDITD_PID=
	return "$rc"
}

audit_teardown() {
	if [ -n "${AUDITD_PID:-}" ]; then
		kill -KILL "$AUDITD_PID" 2>/dev/null || true
		wait "$AUDITD_PID" 2>/dev/null || true
	fi
	if [ -n "${AUD_PUBLIC:-}" ]; then
		rm -rf "$AUD_PUBLIC"
	fi
}

# audited CMD...: CMD with the shim preloaded. A sanitized helper would
# insist that ASan's runtime is loaded first; the shim intercepts nothing
# ASan needs, so that check is turned off for audited runs.
audited() {
	LD_PRELOAD="$CAI_AUDIT_SHIM" CAI_AUDIT_SOCKET="$SOCK" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}

# events JQ_FILTER: shim events in the log (not rejection records), one
# compact JSON per line, passed through the filter.
events() {
	jq -c "select(has(\"call\")) | $1" "$LOG"
}

# count_events JQ_CONDITION
count_events() {
	jq -s "[.[] | select(has(\"call\")) | select($1)] | length" "$LOG"
}

# sum_dropped JQ_CONDITION: drops reported by events matching the condition
sum_dropped() {
	jq -s "[.[] | select(has(\"call\")) | select($1) | (.dropped // 0)] | add // 0" "$LOG"
}

# wait_events N JQ_CONDITION: until the log holds at least N matching events.
wait_events() {
	local i n=0
	for i in $(seq 100); do
		n=$(jq -s "[.[] | select(has(\"call\")) | select($2)] | length" "$LOG")
		[ "$n" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "expected $1 event(s) matching $2, found $n; end of the log:" >&2
	tail -n 10 "$LOG" >&2
	return 1
}

# the_event JQ_CONDITION: exactly one matching event, printed; fails otherwise.
the_event() {
	local n
	n=$(count_events "$1")
	if [ "$n" != 1 ]; then
		echo "expected exactly one event matching $1, found $n; end of the log:" >&2
		tail -n 15 "$LOG" >&2
		return 1
	fi
	events "select($1)"
}

# check_event JSON JQ_EXPR: the expression holds for the event.
check_event() {
	if ! jq -e "$2" >/dev/null <<<"$1"; then
		echo "event does not satisfy: $2" >&2
		echo "$1" >&2
		return 1
	fi
}
