#!/usr/bin/env bats
# cai engine: the dedicated dockerd where systemd is not PID 1.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "cai --help lists the commands; cai --version; an unknown command is exit 2" {
	run "$CAI_BIN" --help
	assert_success
	assert_output --partial "setup"
	assert_output --partial "teardown"
	run "$CAI_BIN" --version
	assert_output --regexp '^cai [0-9]+\.[0-9]+\.[0-9]+$'
	run --separate-stderr "$CAI_BIN" frobnicate
	assert_failure 2
	[[ "$stderr" == *'unknown command `frobnicate`'* ]]
	run --separate-stderr "$CAI_BIN"
	assert_failure 2
}

@test "engine needs exactly one known action" {
	run --separate-stderr "$CAI_BIN" engine
	assert_failure 2
	run --separate-stderr "$CAI_BIN" engine explode
	assert_failure 2
	[[ "$stderr" == *'unknown action `explode`'* ]]
	run --separate-stderr "$CAI_BIN" engine start --json
	assert_failure 2
}

@test "engine start, status, reload and stop on the engine's own socket, pidfile and bridge" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		"$CAI" engine status; echo "status=$?"
		"$CAI" engine start; echo "start=$?"
		"$CAI" engine start; echo "again=$?"
		"$CAI" engine status --json | jq -c "{running, responding, manager}"
		tr "\0" " " </proc/$(cat /run/containai-docker.pid)/cmdline; echo
		ip -br addr show cai0 | awk "{print \$1, \$3}"
		"$CAI" engine reload; echo "reload=$?"
		"$CAI" engine stop; echo "stop=$?"
		"$CAI" engine status; echo "status=$?"'
	assert_line "not running (standalone)"
	assert_line "status=1"
	assert_line "Secure Engine started; it answers on unix:///var/run/docker-containai.sock"
	assert_line "start=0"
	assert_line "Secure Engine already running on unix:///var/run/docker-containai.sock"
	assert_line '{"running":true,"responding":true,"manager":"standalone"}'
	assert_line --regexp '^/usr/sbin/dockerd --config-file /etc/containai/docker/daemon.json --host unix:///var/run/docker-containai.sock --data-root /var/lib/containai-docker --exec-root /run/containai-docker --pidfile /run/containai-docker.pid '
	assert_line "cai0 172.31.240.1/24"
	assert_line "reload=0"
	assert_line "Secure Engine stopped"
	assert_line "stop=0"
}

@test "engine start also starts the audit collector without systemd; engine stop stops it" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		"$CAI" engine start; echo "start=$?"
		pid=$(cat /run/containai/cai-auditd.pid)
		tr "\0" " " </proc/$pid/cmdline; echo
		printf "%s" "{\"v\":1,\"event\":\"open\"}" | python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(\"/run/containai/audit.sock\"); s.send(sys.stdin.buffer.read())" && echo "sent"
		"$CAI" engine start; echo "again=$?"
		[ "$pid" = "$(cat /run/containai/cai-auditd.pid)" ] && echo "same collector"
		"$CAI" engine stop; echo "stop=$?"
		[ -e /proc/$pid ] || echo "collector gone"
		[ -e /run/containai/cai-auditd.pid ] || echo "no pidfile"
		grep -c "not JSON\|schema\|rejected" /var/log/containai/audit.jsonl'
	assert_line "start=0"
	assert_line "Audit collector started"
	assert_line --regexp '^/usr/local/sbin/cai-auditd --socket /run/containai/audit\.sock --log /var/log/containai/audit\.jsonl $'
	assert_line "sent"
	assert_line "again=0"
	assert_line "same collector"
	assert_line "Audit collector stopped"
	assert_line "stop=0"
	assert_line "collector gone"
	assert_line "no pidfile"
	# The collector wrote what it received (a rejection record: not a full event).
	assert_line "1"
}

@test "engine start fails loudly when the collector cannot run, after starting the engine" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		rm /usr/local/sbin/cai-auditd
		"$CAI" engine start; echo "start=$?"
		"$CAI" engine status >/dev/null; echo "engine=$?"'
	assert_line "start=1"
	assert_output --partial "run the audit collector \`/usr/local/sbin/cai-auditd\`: No such file or directory"
	assert_line "engine=0"
}

@test "engine start with a daemon.json dockerd rejects: exit 1 with dockerd's own message and the log path" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"default-runtime\": \"nope\"}" >/etc/containai/docker/daemon.json
		"$CAI" engine start; echo "start=$?"'
	assert_line "start=1"
	assert_output --partial "dockerd exited (status 1) before its socket answered"
	assert_output --partial "/var/log/containai/containai-docker.log"
}

@test "engine start ignores a stale pidfile that names another process" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		sleep 100 & echo $! >/run/containai-docker.pid
		"$CAI" engine status; echo "status=$?"
		"$CAI" engine start >/dev/null; echo "start=$?"
		[ "$(cat /run/containai-docker.pid)" != "$!" ] && echo "new pidfile"
		kill %1'
	assert_line "not running (standalone)"
	assert_line "start=0"
	assert_line "new pidfile"
}

@test "engine start without a daemon.json says to run setup first" {
	run in_sandbox '"$CAI" engine start; echo "start=$?"'
	assert_line "start=1"
	assert_output --partial "read the engine's configuration \`/etc/containai/docker/daemon.json\` (run \`cai setup\` first): No such file or directory"
}

@test "the daemonised dockerd does not keep fds its caller inherited (as debconf's fd 3)" {
	run in_sandbox '
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		exec 3>/run/inherited-marker 9>/run/inherited-marker-9
		"$CAI" engine start >/dev/null; echo "start=$?"
		exec 3>&- 9>&-
		pid=$(cat /run/containai-docker.pid)
		ls -l /proc/$pid/fd | grep -c inherited-marker | sed "s/^/dockerd holds: /"'
	assert_line "start=0"
	assert_line "dockerd holds: 0"
}
