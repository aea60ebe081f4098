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

@test "setup as root ignores a HOME kept from a user (sudo -E): root's context never lands in their tree" {
	run in_sandbox --sysbox-stub '
		mkdir -p /home/mallory /etc/cron.d
		# The meta directory docker would write containai-secure into,
		# planted as a symlink to a place only root may write.
		meta=/home/mallory/.docker/contexts/meta/$(printf %s containai-secure | sha256sum | cut -d" " -f1)
		mkdir -p "$(dirname "$meta")"
		ln -s /etc/cron.d "$meta"
		chown -R nobody:nogroup /home/mallory
		HOME=/home/mallory DOCKER_CONFIG=/home/mallory/.docker "$CAI" setup >/dev/null 2>&1; echo "setup=$?"
		ls /etc/cron.d
		ls /root/.docker/contexts/meta/*/meta.json >/dev/null && echo "root context in /root"'
	assert_line "setup=0"
	refute_line "meta.json"
	assert_line "root context in /root"
}
