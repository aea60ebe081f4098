#!/usr/bin/env bats
# cai status: each of its states, with its exit code and its JSON.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "status --help documents the exit codes" {
	run "$CAI_BIN" status --help
	assert_success
	assert_output --partial "0 healthy"
	assert_output --partial "4 refused"
	assert_output --partial "5 not provisioned"
}

@test "status rejects an unknown option with exit 2" {
	run --separate-stderr "$CAI_BIN" status --bogus
	assert_failure 2
}

@test "not provisioned: exit 5, and --json says so" {
	run in_sandbox '"$CAI" status --json; echo "status=$?"'
	assert_line "status=5"
	echo "$output" | sed '$d' | jq -e '.schema_version == 1 and .status == "not-provisioned" and .exit_code == 5 and
		.engine.running == false and .contexts[0].state == "absent" and .recorded == {} and
		(.problems[0] | contains("cai setup"))'
}

@test "healthy: exit 0 and every part reported in --json" {
	run in_sandbox --sysbox-stub '"$CAI" setup >/dev/null 2>&1 || exit 9; "$CAI" status --json; echo "status=$?"'
	assert_line "status=0"
	echo "$output" | sed '$d' | jq -e '
		.status == "healthy" and .problems == [] and
		.platform.kind == "linux" and .seccomp_notify.result == "supported" and
		.sysbox.present == true and (.sysbox.version | test("test stand-in")) and
		.engine_config.path == "/etc/containai/docker/daemon.json" and .engine_config.runtime_registered == true and
		.engine_config.runtime_path == "/usr/bin/sysbox-runc" and .engine_config.bridge == "cai0" and
		.engine_config.default_runtime == "runc" and
		.engine.running == true and .engine.responding == true and (.engine.pid | type) == "number" and
		.engine.manager == "standalone" and .engine.host == "unix:///var/run/docker-containai.sock" and
		.engine.runtimes_checked == {"sysbox_listed": true, "default_runtime": "runc"} and
		.contexts[0] == {"user": "root", "docker_config": "/root/.docker", "state": "ours",
		                 "endpoint": "unix:///var/run/docker-containai.sock"} and
		.recorded.provisioned == true'
}

@test "degraded: the engine stopped behind setup's back, exit 3 and the problem named" {
	run in_sandbox --sysbox-stub '"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" engine stop >/dev/null; "$CAI" status; echo "status=$?"'
	assert_line "status=3"
	assert_line "Engine:          not running"
	assert_line "  - the engine is not running: run \`cai engine start\`"
}

@test "refused: exit 4 while a refusal is recorded, and a forced setup clears it" {
	run in_sandbox --sysbox-stub '
		fake_wsl2
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" setup >/dev/null 2>&1
		"$CAI" status; echo "status=$?"
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" setup --force >/dev/null 2>&1
		"$CAI" status --json | jq -c "{status, refusal: .recorded.refusal}"'
	assert_line --regexp '^Refusal: +recorded at [0-9T:-]+Z \(busy\)$'
	assert_line "Status:          refused"
	assert_line "status=4"
	assert_line '{"status":"healthy","refusal":null}'
}

@test "a corrupt state file is reported with what to do, not a crash" {
	run in_sandbox 'mkdir -p /var/lib/containai; echo "{not json" >/var/lib/containai/state.json
		"$CAI" status; echo "status=$?"'
	assert_line "status=1"
	assert_output --partial "read state \`/var/lib/containai/state.json\`"
	assert_output --partial "remove the file to reset"
}

@test "the audit collector: setup starts it; status reports it in text and --json" {
	run in_sandbox --sysbox-stub '"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" status; echo "status=$?"
		"$CAI" status --json | jq -c ".audit_collector | {manager, socket, socket_present, accepting, enabled,
			pid: (.pid | type), since: (.since | type), log, log_writable, dropped_since_start, rejected_since_start}"
		[ "$(cat /run/containai/cai-auditd.pid)" = "$("$CAI" status --json | jq .audit_collector.pid)" ] && echo "pid is the pidfile'"'"'s"'
	assert_line "status=0"
	assert_line --regexp '^Audit collector: accepting on /run/containai/audit\.sock, pid [0-9]+ since [0-9T:-]+Z$'
	assert_line "                 log /var/log/containai/audit.jsonl writable; since start 0 event(s) lost, 0 rejected"
	assert_line '{"manager":"standalone","socket":"/run/containai/audit.sock","socket_present":true,"accepting":true,"enabled":null,"pid":"number","since":"string","log":"/var/log/containai/audit.jsonl","log_writable":true,"dropped_since_start":0,"rejected_since_start":0}'
	assert_line "pid is the pidfile's"
}

@test "a collector that is down makes status degraded with the command that fixes it" {
	run in_sandbox --sysbox-stub '"$CAI" setup >/dev/null 2>&1 || exit 9
		kill "$(cat /run/containai/cai-auditd.pid)"
		while [ -e "/proc/$(cat /run/containai/cai-auditd.pid)" ]; do sleep 0.05; done
		"$CAI" status; echo "status=$?"
		"$CAI" status --json | jq -c "{status, a: .audit_collector.accepting, pid: .audit_collector.pid}"
		"$CAI" engine start; echo "start=$?"
		"$CAI" status >/dev/null; echo "status=$?"'
	assert_line "status=3"
	assert_line --regexp '^Audit collector: (no socket|NOT accepting) on /run/containai/audit\.sock$'
	assert_line "  - the audit collector does not accept on /run/containai/audit.sock: \`cai run\` loses its events; run \`cai engine start\`"
	assert_line '{"status":"degraded","a":false,"pid":null}'
	assert_line "Secure Engine already running on unix:///var/run/docker-containai.sock"
	assert_line "Audit collector started"
	assert_line "start=0"
	assert_line "status=0"
}

@test "events lost and rejected since the collector started are counted; older ones are not" {
	run in_sandbox --sysbox-stub '"$CAI" setup >/dev/null 2>&1 || exit 9
		log=/var/log/containai/audit.jsonl
		# Records as the collector writes them: before its start, then since.
		printf "%s\n" "{\"v\":1,\"ts\":\"2000-01-01T00:00:00.000000000Z\",\"dropped\":50,\"event\":\"exec\"}" >>"$log"
		printf "%s\n" "{\"v\":1,\"ts\":\"2000-01-01T00:00:00.000000000Z\",\"rejected\":{\"reason\":\"not JSON\",\"bytes\":8}}" >>"$log"
		now=$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z -d "+5 seconds")
		printf "%s\n" "{\"v\":1,\"ts\":\"$now\",\"dropped\":3,\"event\":\"exec\"}" >>"$log"
		printf "%s\n" "{\"v\":1,\"ts\":\"$now\",\"dropped\":4,\"event\":\"audit_lost\"}" >>"$log"
		printf "%s\n" "{\"v\":1,\"ts\":\"$now\",\"rejected\":{\"reason\":\"not JSON\",\"bytes\":8}}" >>"$log"
		"$CAI" status --json | jq -c ".audit_collector | {dropped_since_start, rejected_since_start}"'
	assert_line '{"dropped_since_start":7,"rejected_since_start":1}'
}
