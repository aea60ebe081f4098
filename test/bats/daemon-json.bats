#!/usr/bin/env bats
# cai-daemon-json as callers use it: exit codes, messages, --dry-run, and
# the hard properties on real files: crash safety under SIGKILL, parallel
# runs, and a real dockerd reading the result.

setup() {
	load ../helpers/common
	load_libs
	DJ=$CAI_DAEMON_JSON
	F=$BATS_TEST_TMPDIR/daemon.json
}

admin_file() {
	printf '%s\n' '{"log-level": "warn", "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 65536, "Soft": 1024}}, "features": {"buildkit": true}}' >"$F"
}

@test "--help prints usage, every command and the exit codes on stdout" {
	run --separate-stderr "$DJ" --help
	assert_success
	assert_output --partial "Usage: cai-daemon-json [--file PATH]"
	assert_output --partial "add-runtime NAME PATH [--replace] [--dry-run]"
	assert_output --partial "remove-runtime NAME [--dry-run]"
	assert_output --partial "show [--json]"
	assert_output --partial "/etc/containai/docker/daemon.json"
	assert_line --regexp '^  3  unchanged'
	assert_line --regexp '^  4  refused'
	assert_line --regexp '^  5  invalid'
	[ -z "$stderr" ]
}

@test "a command's --help describes it" {
	run --separate-stderr "$DJ" add-runtime --help
	assert_success
	assert_output --partial "Usage: cai-daemon-json [--file PATH] [--quiet] add-runtime NAME PATH"
	assert_output --partial "--replace"
	assert_output --partial "runtimeArgs"
	run "$DJ" remove-runtime --help
	assert_success
	assert_output --partial "default-runtime"
}

@test "--version prints the version" {
	run "$DJ" --version
	assert_success
	assert_output --regexp '^cai-daemon-json [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no command is a usage error (exit 2)" {
	run --separate-stderr "$DJ"
	assert_failure 2
	[[ "$stderr" == *"missing command"* ]]
}

@test "an unknown command is a usage error naming it" {
	run --separate-stderr "$DJ" frobnicate
	assert_failure 2
	[[ "$stderr" == *'unknown command `frobnicate`'* ]]
}

@test "a missing operand is a usage error" {
	run --separate-stderr "$DJ" --file "$F" add-runtime sysbox-runc
	assert_failure 2
	[[ "$stderr" == *"add-runtime: missing operand"* ]]
	[ ! -e "$F" ]
}

@test "an extra operand is a usage error" {
	run --separate-stderr "$DJ" --file "$F" remove-runtime a b
	assert_failure 2
	[[ "$stderr" == *'unexpected argument `b`'* ]]
}

@test "an option of another command is a usage error" {
	run --separate-stderr "$DJ" --file "$F" remove-runtime a --replace
	assert_failure 2
	[[ "$stderr" == *'option `--replace` does not apply here'* ]]
}

@test "an empty --file is a usage error" {
	run --separate-stderr "$DJ" --file "" show
	assert_failure 2
	[[ "$stderr" == *"--file: the file name is empty"* ]]
}

@test "set-default with a value that is not JSON is a usage error" {
	run --separate-stderr "$DJ" --file "$F" set-default bridge cai0
	assert_failure 2
	[[ "$stderr" == *'the value `cai0` is not JSON'* ]]
	[ ! -e "$F" ]
}

@test "add-runtime: exit 0 and says what it added; the file keeps the admin's keys" {
	admin_file
	run --separate-stderr "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_success
	assert_output "added runtime \`sysbox-runc\` (/usr/bin/sysbox-runc) to $F"
	jq -e '.runtimes["sysbox-runc"].path == "/usr/bin/sysbox-runc" and .["log-level"] == "warn" and
		.["default-ulimits"].nofile.Hard == 65536 and .features.buildkit == true and
		(keys_unsorted == ["log-level", "default-ulimits", "features", "runtimes"]) and
		has("default-runtime") == false' "$F"
}

@test "add-runtime again: exit 3, unchanged, nothing written" {
	admin_file
	"$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	before=$(stat -c '%i %Y.%y' "$F")
	run "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 3
	assert_output "unchanged: runtime \`sysbox-runc\` already has path /usr/bin/sysbox-runc in $F"
	[ "$(stat -c '%i %Y.%y' "$F")" = "$before" ]
}

@test "add-runtime with another path: exit 4 with the fix, file byte-identical" {
	printf '{"runtimes": {"sysbox-runc": {"path": "/opt/x", "runtimeArgs": ["--a"]}}}' >"$F"
	cp "$F" "$F.orig"
	run --separate-stderr "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 4
	[[ "$stderr" == *'runtime `sysbox-runc` already exists with path `/opt/x` (pass --replace'* ]]
	cmp "$F" "$F.orig"
}

@test "add-runtime --replace: exit 0, path changed, runtimeArgs kept" {
	printf '{"runtimes": {"sysbox-runc": {"path": "/opt/x", "runtimeArgs": ["--a"]}}}' >"$F"
	run "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc --replace
	assert_success
	assert_output --partial "set the path of runtime \`sysbox-runc\` to /usr/bin/sysbox-runc"
	jq -e '.runtimes["sysbox-runc"] == {"path": "/usr/bin/sysbox-runc", "runtimeArgs": ["--a"]}' "$F"
}

@test "invalid JSON: exit 5 with line and column, file byte-identical" {
	printf '{"a": 1,\n "b" 2}' >"$F"
	cp "$F" "$F.orig"
	run --separate-stderr "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *"invalid JSON: Expected separator between values at line 2, column 7"* ]]
	cmp "$F" "$F.orig"
}

@test "an integer beyond 2^53: exit 5 naming its key, file byte-identical" {
	printf '{"default-ulimits": {"nofile": {"Hard": 18446744073709551615}}}' >"$F"
	cp "$F" "$F.orig"
	run --separate-stderr "$DJ" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *'the number at `.default-ulimits.nofile.Hard` cannot be kept exactly'* ]]
	cmp "$F" "$F.orig"
}

@test "remove-runtime: exit 0, then exit 3 when already gone" {
	admin_file
	"$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	run "$DJ" -f "$F" remove-runtime sysbox-runc
	assert_success
	assert_output "removed runtime \`sysbox-runc\` from $F"
	run "$DJ" -f "$F" remove-runtime sysbox-runc
	assert_failure 3
	assert_output "unchanged: $F has no runtime \`sysbox-runc\`"
}

@test "add then remove gives back the original bytes" {
	printf '{ "log-level":"warn",\n\t"debug": false }\n' >"$F"
	cp "$F" "$F.orig"
	"$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	run ! cmp -s "$F" "$F.orig"
	"$DJ" -f "$F" remove-runtime sysbox-runc
	cmp "$F" "$F.orig"
	run ls -A "$BATS_TEST_TMPDIR"
	assert_output "$(printf 'daemon.json\ndaemon.json.orig')"
}

@test "removing the default-runtime: exit 4 saying dockerd would not start" {
	printf '{"default-runtime": "sysbox-runc", "runtimes": {"sysbox-runc": {"path": "/s"}}}' >"$F"
	cp "$F" "$F.orig"
	run --separate-stderr "$DJ" -f "$F" remove-runtime sysbox-runc
	assert_failure 4
	[[ "$stderr" == *"dockerd would not start"* ]]
	cmp "$F" "$F.orig"
}

@test "--dry-run prints the resulting file on stdout and writes nothing" {
	admin_file
	cp "$F" "$F.orig"
	run --separate-stderr "$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc --dry-run
	assert_success
	cmp "$F" "$F.orig"
	[[ "$stderr" == "dry run: would add runtime \`sysbox-runc\`"* ]]
	echo "$output" | jq -e '.runtimes["sysbox-runc"].path == "/usr/bin/sysbox-runc" and .["log-level"] == "warn"'
	# What it printed is exactly what a real run writes.
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/preview"
	"$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	cmp "$F" "$BATS_TEST_TMPDIR/preview"
}

@test "--dry-run on a missing file creates nothing" {
	run "$DJ" -f "$BATS_TEST_TMPDIR/a/b/daemon.json" add-runtime x /x --dry-run
	assert_success
	[ ! -e "$BATS_TEST_TMPDIR/a" ]
}

@test "--quiet prints no message but keeps the exit code" {
	run "$DJ" --quiet -f "$F" add-runtime x /x
	assert_success
	assert_output ""
	run "$DJ" -f "$F" --quiet add-runtime x /x
	assert_failure 3
	assert_output ""
}

@test "set-default and unset: the engine's own keys, exit codes 0, 3, 4" {
	admin_file
	run "$DJ" -f "$F" set-default bridge '"cai0"'
	assert_success
	assert_output "set \`bridge\` to \"cai0\" in $F"
	run "$DJ" -f "$F" set-default bridge '"cai0"'
	assert_failure 3
	run --separate-stderr "$DJ" -f "$F" set-default bridge '"docker0"'
	assert_failure 4
	[[ "$stderr" == *'`bridge` is already set to "cai0"; refusing to change it to "docker0"'* ]]
	run "$DJ" -f "$F" unset bridge '"docker0"'
	assert_failure 3
	run "$DJ" -f "$F" unset bridge '"cai0"'
	assert_success
	jq -e 'has("bridge") == false and .["log-level"] == "warn"' "$F"
}

@test "set-default never touches default-runtime (exit 5)" {
	run --separate-stderr "$DJ" -f "$F" set-default default-runtime '"sysbox-runc"'
	assert_failure 5
	[[ "$stderr" == *'`default-runtime` is never set or changed by this tool'* ]]
	[ ! -e "$F" ]
}

@test "show lists the runtimes and the default runtime" {
	printf '{"runtimes": {"sysbox-runc": {"path": "/usr/bin/sysbox-runc", "runtimeArgs": ["--x"]}}}' >"$F"
	run "$DJ" -f "$F" show
	assert_success
	assert_line "Default runtime:  runc (not set; dockerd's built-in default)"
	assert_line '  sysbox-runc: /usr/bin/sysbox-runc runtimeArgs=["--x"]'
	run "$DJ" -f "$F" show --json
	assert_success
	echo "$output" | jq -e '.runtimes["sysbox-runc"].runtimeArgs == ["--x"]'
}

@test "show on a missing file reads as {}; on invalid JSON exits 5" {
	run "$DJ" -f "$F" show --json
	assert_success
	assert_output "{}"
	printf '{' >"$F"
	run "$DJ" -f "$F" show
	assert_failure 5
}

@test "an unwritable place is an I/O error (exit 1)" {
	printf 'x' >"$BATS_TEST_TMPDIR/file"
	run --separate-stderr "$DJ" -f "$BATS_TEST_TMPDIR/file/daemon.json" add-runtime x /x
	assert_failure 1
	[[ "$stderr" == *"Not a directory"* ]]
}

@test "crash safety: SIGKILL at random moments leaves the old or the new file, never anything else" {
	# A large file so that a write takes long enough to be interrupted.
	python3 -c '
import json
d = {"log-level": "warn", "runtimes": {"nvidia": {"path": "/usr/bin/nvidia-container-runtime"}}}
d["labels"] = ["label-%d=%s" % (i, "v" * 40) for i in range(1500)]
print(json.dumps(d))' >"$F.raw"
	# Canonical form, so that a removal without the undo snapshot gives
	# the same bytes as one with it.
	"$DJ" -f "$F.raw" show --json >"$F"
	cp "$F" "$BATS_TEST_TMPDIR/old"
	"$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	cp "$F" "$BATS_TEST_TMPDIR/new"
	"$DJ" -f "$F" remove-runtime sysbox-runc
	cmp "$F" "$BATS_TEST_TMPDIR/old"
	jq -e '.runtimes | has("sysbox-runc") | not' "$BATS_TEST_TMPDIR/old"
	jq -e '.runtimes["sysbox-runc"].path == "/usr/bin/sysbox-runc"' "$BATS_TEST_TMPDIR/new"

	# Kill between 0 and 1.5 times the time a whole run takes, so that
	# kills land before, inside and after the write on any build.
	t0=$(date +%s%N)
	"$DJ" -q -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	"$DJ" -q -f "$F" remove-runtime sysbox-runc
	span=$((($(date +%s%N) - t0) * 3 / 4 / 1000000 + 1))
	echo "# one run takes about $((span * 2 / 3)) ms" >&3
	# What the file holds, old or new, is known from the check that ends
	# each iteration: no other comparison, and no subshell, in the loop.
	killed=0 finished=0 holds=new frac=""
	cmp -s "$F" "$BATS_TEST_TMPDIR/old" && holds=old
	for i in $(seq 200); do
		if [ "$holds" = old ]; then
			"$DJ" -q -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc &
		else
			"$DJ" -q -f "$F" remove-runtime sysbox-runc &
		fi
		pid=$!
		ms=$((RANDOM % span))
		printf -v frac '%03d' $((ms % 1000))
		sleep "$((ms / 1000)).$frac"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		{ wait "$pid"; } 2>/dev/null || rc=$?
		if [ "$rc" -eq 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
		if cmp -s "$F" "$BATS_TEST_TMPDIR/old"; then
			holds=old
		elif cmp -s "$F" "$BATS_TEST_TMPDIR/new"; then
			holds=new
		else
			echo "iteration $i: the file is neither the old nor the new content" >&2
			return 1
		fi
	done
	echo "# killed $killed, finished $finished" >&3
	# Both outcomes happened, so the kills did land inside writes.
	[ "$killed" -ge 10 ]
	[ "$finished" -ge 10 ]
	jq -e . "$F" >/dev/null
	# The next run cleans what the killed ones left behind.
	"$DJ" -q -f "$F" add-runtime other /o
	run sh -c "ls -A '$BATS_TEST_TMPDIR' | grep cai-tmp"
	assert_failure
}

@test "concurrency: 20 parallel adds then 10 parallel removes lose nothing" {
	admin_file
	pids=()
	for i in $(seq 20); do
		"$DJ" -q -f "$F" add-runtime "rt-$i" "/usr/bin/rt-$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	pids=()
	for i in $(seq 10); do
		"$DJ" -q -f "$F" remove-runtime "rt-$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	run jq -c '.runtimes | keys' "$F"
	assert_output '["rt-11","rt-12","rt-13","rt-14","rt-15","rt-16","rt-17","rt-18","rt-19","rt-20"]'
	jq -e '.runtimes["rt-15"].path == "/usr/bin/rt-15" and .["log-level"] == "warn"' "$F"
}

# dockerd_on FILE: start a real dockerd on FILE inside a private mount and
# network namespace (tmpfs for its state and /run), print the runtimes and
# the default runtime as `docker info` reports them, stop it.
dockerd_on() {
	local state="$BATS_TEST_TMPDIR/state"
	mkdir -p "$state"
	CFG=$1 S=$state timeout 60 unshare --mount --net --propagation private -- sh -c '
		mount -t tmpfs tmpfs "$S"
		mount -t tmpfs tmpfs /run
		ip link set lo up
		export DOCKER_CONFIG="$S/cli"
		/usr/sbin/dockerd --host "unix://$S/docker.sock" --data-root "$S/data" --exec-root "$S/exec" \
			--pidfile "$S/pid" --config-file "$CFG" --iptables=false --ip-forward=false --bridge=none \
			>"$S/log" 2>&1 &
		pid=$!
		trap "kill \$pid 2>/dev/null; wait \$pid 2>/dev/null" EXIT
		i=0
		while [ $i -lt 200 ]; do
			if ! kill -0 $pid 2>/dev/null; then
				wait $pid
				rc=$?
				echo "dockerd exited with status $rc"
				grep -m1 -i "unable to configure\|invalid\|error" "$S/log"
				exit 0
			fi
			if docker -H "unix://$S/docker.sock" version >/dev/null 2>&1; then
				docker -H "unix://$S/docker.sock" info --format "{{json .Runtimes}} {{.DefaultRuntime}}"
				exit 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		echo "dockerd did not answer in 20 s"
		tail -n 5 "$S/log"'
}

require_dockerd() {
	require_root
	[ -x /usr/sbin/dockerd ] || skip "needs Debian's docker.io (/usr/sbin/dockerd)"
	command -v docker >/dev/null || skip "needs the docker CLI"
}

@test "a real dockerd accepts the merged file: lists sysbox-runc, default runtime runc" {
	require_dockerd
	admin_file
	"$DJ" -f "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	run dockerd_on "$F"
	assert_success
	assert_output --regexp '"sysbox-runc":\{"path":"/usr/bin/sysbox-runc"\}.* runc$'
}

@test "negative control: dockerd exits 1 on a default-runtime that is not defined" {
	require_dockerd
	printf '{"log-level": "warn", "default-runtime": "sysbox-runc"}\n' >"$F"
	run dockerd_on "$F"
	assert_success
	assert_line "dockerd exited with status 1"
	assert_output --partial "sysbox-runc"
}
