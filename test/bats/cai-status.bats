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
