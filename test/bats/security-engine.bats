#!/usr/bin/env bats
# The engine's pidfile (issue 14, item 21): after a crash its pid may be
# taken by anyone's process. cai must never report that process as the
# engine, nor signal it.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "a user's process that took the engine's pid (and calls itself dockerd) is not the engine and is not signalled" {
	run in_sandbox '
		d=$(mktemp -d); chmod 0755 "$d"; cp /bin/sleep "$d/dockerd"
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$d/dockerd" 60 &
		impostor=$!
		sleep 0.2
		echo "comm=$(cat /proc/$impostor/comm)"
		echo "$impostor" >/run/containai-docker.pid
		"$CAI" engine status; echo "status=$?"
		"$CAI" engine stop; echo "stop=$?"
		kill -0 "$impostor" && echo "impostor alive"
		kill "$impostor"'
	assert_line "comm=dockerd"
	assert_line --regexp "^status=[1-9]"
	refute_output --regexp "running \(.*pid [0-9]+"
	assert_line "impostor alive"
}

@test "a root process called dockerd but not started with our --pidfile (the user's engine, say) is not the engine" {
	run in_sandbox '
		d=$(mktemp -d); cp /bin/sleep "$d/dockerd"
		"$d/dockerd" 60 &
		other=$!
		sleep 0.2
		echo "$other" >/run/containai-docker.pid
		"$CAI" engine stop; echo "stop=$?"
		kill -0 "$other" && echo "other alive"
		kill "$other"'
	assert_line "other alive"
}
