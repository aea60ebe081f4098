#!/usr/bin/env bats
# cai-auditd identifies a peer that exited before its connection was
# accepted by the cgroup the kernel gives for its pidfd, when a live
# process of that cgroup was identified before (src/collectd/peer.c).
# Real kernel, real cgroups: the unified hierarchy is mounted here and a
# cgroup named as Docker's cgroupfs driver names a container's stands in
# for the engine's placement (the kernel cannot tell them apart, and
# neither can the collector). Senders run as nobody.

setup() {
	load ../helpers/common
	load ../helpers/audit
	load_libs
	CG=
}

teardown() {
	# Nothing may stay in a cgroup we made; then the cgroups (newest
	# first), the mount, the directory.
	if [ -n "$CG" ] && [ -f "$AUD/made" ]; then
		local d
		while read -r d; do
			if [ -e "$d/cgroup.kill" ]; then
				echo 1 >"$d/cgroup.kill" 2>/dev/null
			elif [ -e "$d/cgroup.procs" ]; then # v1: no cgroup.kill
				xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
			fi
		done <"$AUD/made"
		tac "$AUD/made" | while read -r d; do
			for _ in $(seq 50); do
				rmdir "$d" 2>/dev/null && break
				sleep 0.02
			done
		done
	fi
	[ -z "$CG" ] || umount "$CG"
	audit_teardown
}

# Skips unless the unified hierarchy can be mounted and the kernel keeps an
# exited process's cgroup for its pidfd (PIDFD_GET_INFO, Linux 6.15).
unified_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make cgroups and send as nobody"
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "${major:-0}" -gt 6 ] || { [ "${major:-0}" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 15 ]; } ||
		skip "Linux $(uname -r) keeps no cgroup for an exited process's pidfd (6.15 does)"
	audit_setup_public
	cp "$CAI_TEST_BIN/audit-send-static" "$AUD/send"
	mkdir "$AUD/cgroup2"
	mount -t cgroup2 none "$AUD/cgroup2" || skip "cannot mount the cgroup v2 hierarchy here"
	CG=$AUD/cgroup2
	: >"$AUD/made"
	if [ ! -d "$CG/docker" ]; then
		mkdir "$CG/docker"
		echo "$CG/docker" >>"$AUD/made"
	fi
}

# new_container_cgroup VAR: a new container id in VAR, whose cgroup is
# $CG/docker/ID (teardown removes it).
new_container_cgroup() {
	local new
	new=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	mkdir "$CG/docker/$new"
	echo "$CG/docker/$new" >>"$AUD/made"
	printf -v "$1" '%s' "$new"
}

# as_nobody CMD...: CMD as nobody, where the test runs.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# in_cgroup_dir DIR CMD...: CMD as nobody, moved into the cgroup DIR first
# (of either hierarchy).
in_cgroup_dir() {
	local dir=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$dir" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# in_cgroup ID CMD...: CMD as nobody, in the cgroup of container ID.
in_cgroup() {
	local id=$1
	shift
	in_cgroup_dir "$CG/docker/$id" "$@"
}

# alive_until_logged TAG RUN...: RUN (in_cgroup ID, as_nobody, ...) starts a
# shell that opens /dev/null/TAG (its event on a connection of its own)
# and lives until that event is in the log: the collector identified it
# alive. Fails if it never is.
alive_until_logged() {
	local tag=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	"$@" env LD_PRELOAD="$CAI_AUDIT_SHIM" CAI_AUDIT_SOCKET="$SOCK" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		sh -c 'command : <"/dev/null/$0"; exec sleep 60' "$tag" 2>/dev/null &
	local pid=$! i
	for i in $(seq 1000); do
		grep -qF "\"path\":\"/dev/null/$tag\"" "$LOG" 2>/dev/null && break
		sleep 0.02
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ "$i" -lt 1000 ]
}

# seen_alive ID: a process of container ID's cgroup, identified alive.
seen_alive() { alive_until_logged "$1" in_cgroup "$1"; }

ev='{"v":1,"ts":"2026-01-01T00:00:00.000000000Z","mono":"1.0","pid":1,"ppid":0,"tid":1,"uid":0,"comm":"COMM","cwd":"/","call":"open","phase":"exit","args":{"path":"/x"},"result":{"return":3}}'

# wait_after: the root's event sent after the others is in the log.
wait_after() {
	"$AUD/send" "$SOCK" "$(record "${ev/COMM/after}")"
	for _ in $(seq 100); do
		[ "$(count_events '.comm == "after"')" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}

@test "peers that exit before they are accepted keep their container when their cgroup was seen alive" {
	unified_setup
	seen='' unseen=''
	new_container_cgroup seen
	new_container_cgroup unseen
	start_collector
	seen_alive "$seen"
	[ "$(count_events ".args.path == \"/dev/null/$seen\" and .container.id == \"$seen\" and .peer.uid == 65534")" -ge 1 ]
	# Stopped, the collector accepts nothing: every peer has exited and
	# been reaped by the time it does.
	kill -STOP "$AUDITD_PID"
	in_cgroup "$seen" "$AUD/send" --flood 50 "$SOCK" "$(record "${ev/COMM/flood-seen}")"
	in_cgroup "$unseen" "$AUD/send" --flood 50 "$SOCK" "$(record "${ev/COMM/flood-unseen}")"
	kill -CONT "$AUDITD_PID"
	wait_after
	stop_collector
	[ "$(count_events '.comm == "flood-seen"')" = 50 ]
	[ "$(count_events ".comm == \"flood-seen\" and .container == {\"id\":\"$seen\",\"name\":null} and
		.peer.uid == 65534")" = 50 ]
	# A cgroup never seen alive is not guessed at.
	[ "$(count_events '.comm == "flood-unseen" and .container.id == null and
		.container.unknown == "peer exited before it could be identified" and .peer.uid == 65534')" = 50 ]
	after=$(the_event '.comm == "after"')
	check_event "$after" 'has("container") | not'
}

@test "the cgroups remembered are bounded: the oldest is forgotten, never confused with another" {
	unified_setup
	start_collector
	ids=()
	for _ in $(seq 66); do
		new_container_cgroup id
		ids+=("$id")
		seen_alive "$id"
	done
	first=${ids[0]} last=${ids[65]}
	[ "$(count_events ".container.id == \"$first\"")" -ge 1 ]
	rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$AUDITD_PID/status")
	kill -STOP "$AUDITD_PID"
	in_cgroup "$first" "$AUD/send" --flood 20 "$SOCK" "$(record "${ev/COMM/flood-first}")"
	in_cgroup "$last" "$AUD/send" --flood 20 "$SOCK" "$(record "${ev/COMM/flood-last}")"
	kill -CONT "$AUDITD_PID"
	wait_after
	rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$AUDITD_PID/status")
	stop_collector
	# 64 are remembered: the first of 66 made room for later ones.
	[ "$(count_events '.comm == "flood-first" and .container.id == null and
		.container.unknown == "peer exited before it could be identified"')" = 20 ]
	[ "$(count_events ".comm == \"flood-last\" and .container.id == \"$last\"")" = 20 ]
	echo "collector RSS ${rss_before} KiB before the floods, ${rss_after} KiB after" >&2
	[ "$rss_after" -lt $((rss_before + 1024)) ]
}

@test "a container in a v1 hierarchy alone is never remembered by the unified cgroup it shares with the host" {
	unified_setup
	local v1 id
	v1=$(findmnt -t cgroup -n -o TARGET,OPTIONS | awk '$2 ~ /(^|,)pids(,|$)/ { print $1; exit }')
	[ -n "$v1" ] || skip "no cgroup v1 pids hierarchy here (a cgroup v2 host)"
	grep -q '^0::/$' /proc/self/cgroup || skip "this test runs in a unified cgroup of its own"
	id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	if [ ! -d "$v1/docker" ]; then
		mkdir "$v1/docker"
		echo "$v1/docker" >>"$AUD/made"
	fi
	mkdir "$v1/docker/$id"
	echo "$v1/docker/$id" >>"$AUD/made"
	start_collector
	# Docker placed it in v1 only: its unified cgroup is the root, the
	# host's too. Identified alive, it is the container...
	alive_until_logged "$id" in_cgroup_dir "$v1/docker/$id"
	[ "$(count_events ".args.path == \"/dev/null/$id\" and .container.id == \"$id\"")" = 1 ]
	# And a host process of the same unified cgroup, identified alive too.
	alive_until_logged "host-$id" as_nobody
	[ "$(count_events ".args.path == \"/dev/null/host-$id\" and (has(\"container\") | not)")" = 1 ]
	# ...but its unified cgroup decides nothing: peers of it and of the host
	# that exit before they are accepted stay unknown, neither the
	# container nor the host.
	kill -STOP "$AUDITD_PID"
	in_cgroup_dir "$v1/docker/$id" "$AUD/send" --flood 20 "$SOCK" "$(record "${ev/COMM/flood-v1}")"
	as_nobody "$AUD/send" --flood 20 "$SOCK" "$(record "${ev/COMM/flood-host}")"
	kill -CONT "$AUDITD_PID"
	wait_after
	stop_collector
	[ "$(count_events '(.comm == "flood-v1" or .comm == "flood-host") and .container.id == null and
		.container.unknown == "peer exited before it could be identified"')" = 40 ]
}
