#!/usr/bin/env bats
# cai teardown: undoes what setup did, and only that.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "teardown --help lists what it undoes" {
	run "$CAI_BIN" teardown --help
	assert_success
	assert_output --partial "Usage: cai teardown [--purge] [--dry-run] [--verbose]"
	assert_output --partial "only"
}

@test "teardown on a machine never provisioned: nothing to undo, nothing written" {
	run in_sandbox '"$CAI" teardown; echo "teardown=$?"'
	assert_line "teardown=0"
	assert_line "Nothing to undo."
	run written_files
	assert_output ""
}

@test "setup then teardown --purge leaves no trace of ours" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" teardown --purge; echo "teardown=$?"
		docker --context default context inspect containai-secure >/dev/null 2>&1 || echo "no context"
		ip link show cai0 >/dev/null 2>&1 || echo "no bridge"
		pgrep -x dockerd >/dev/null || echo "no dockerd"
		pgrep -x cai-auditd >/dev/null || echo "no collector"
		ls -A /var/lib/containai-docker | wc -l | sed "s/^/data entries: /"'
	assert_line "teardown=0"
	assert_line "no context"
	assert_line "no bridge"
	assert_line "no dockerd"
	assert_line "no collector"
	assert_line "      done:  stop the audit collector"
	assert_line "data entries: 0"
	run written_files
	# The stand-in sysbox-runc is the sandbox's own; root's docker CLI keeps
	# its (empty) contexts dir; nothing else of ours survives.
	refute_output --regexp 'containai|docker-containai|key\.json|state\.json'
}

@test "teardown restores an admin's daemon.json byte for byte" {
	run in_sandbox --sysbox-stub '
		mkdir -p /etc/containai/docker
		printf "{ \"log-level\" : \"warn\",\n\t\"debug\": false }\n" >/etc/containai/docker/daemon.json
		sum=$(sha256sum </etc/containai/docker/daemon.json)
		"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" teardown >/dev/null; echo "teardown=$?"
		[ "$sum" = "$(sha256sum </etc/containai/docker/daemon.json)" ] && echo "byte-identical"'
	assert_line "teardown=0"
	assert_line "byte-identical"
}

@test "teardown leaves a containai-secure context that points elsewhere" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		docker --context default context update containai-secure --docker host=unix:///run/other.sock >/dev/null
		"$CAI" teardown; echo "teardown=$?"
		docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}"'
	assert_line "teardown=0"
	assert_output --partial 'points at `unix:///run/other.sock`, not ours; left alone'
	assert_line "unix:///run/other.sock"
}

@test "teardown --dry-run changes nothing" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		paths="/etc/containai /root/.docker /var/lib/containai /var/log/containai /run/containai-docker.pid"
		before=$(hash_tree $paths)
		"$CAI" teardown --purge --dry-run; echo "teardown=$?"
		[ "$before" = "$(hash_tree $paths)" ] && echo "hashes equal"
		"$CAI" engine status >/dev/null && echo "engine still running"'
	assert_line "teardown=0"
	assert_line --regexp '^      would: remove user root.s context$'
	assert_line --regexp '^      would: stop dockerd'
	assert_line --regexp '^      would: delete /var/lib/containai-docker$'
	assert_line "hashes equal"
	assert_line "engine still running"
}
