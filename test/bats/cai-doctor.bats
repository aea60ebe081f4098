#!/usr/bin/env bats
# cai doctor: every check with both outcomes, on the real kernel, with the
# platform simulations of the other suites (WSL kernel strings over /proc, a
# listener held by a parent for EBUSY) and stand-ins only for the programs
# that tell versions (wslinfo, sysbox-runc --version, runc --version).

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

# doctor SCRIPT: in_sandbox with the doctor's stand-ins loaded.
doctor() {
	in_sandbox "$@"
}
LIB='source "$HELPERS/doctor-lib.bash";'

@test "doctor --help lists the checks and the exit codes; bad usage is exit 2" {
	run "$CAI_BIN" doctor --help
	assert_success
	assert_output --partial "Usage: cai doctor [--json]"
	assert_output --partial "Exit codes: 0 every check ok, 1 doctor itself failed, 2 usage, 3 warnings"
	assert_output --partial "4 at least one failure"
	run "$CAI_BIN" --help
	assert_output --partial "doctor"
	run --separate-stderr "$CAI_BIN" doctor --frobnicate
	assert_failure 2
	run --separate-stderr "$CAI_BIN" doctor extra
	assert_failure 2
	[[ "$stderr" == *'unexpected argument `extra`'* ]]
}

@test "--json: schema 1, every check with id, result, evidence and fix; the exit code follows the worst result; nothing written" {
	run doctor "$LIB"'
		stand_in_sysbox 0.7.0
		"$CAI" doctor --json >/run/d.json; echo "rc=$?"
		jq -c "{schema_version, tool, result, exit_code, where: .engine_context.where, wsl}" /run/d.json
		jq -r ".checks[] | [.id, .result, (.evidence | length > 0), (.fix == null or (.fix | length > 0))] | @tsv" /run/d.json
		"$CAI" doctor >/run/d.txt; echo "text=$?"
		tail -1 /run/d.txt'
	assert_line "rc=0"
	assert_line '{"schema_version":1,"tool":"cai doctor","result":"ok","exit_code":0,"where":"this-process-tree","wsl":null}'
	local id
	for id in seccomp-here seccomp-engine engine-process-tree sysbox-runc kernel-idmap docker-env docker-snap \
		other-dockerd wsl-networking wsl-version wsl-systemd wsl-boot-command audit-collector egress-proxy; do
		assert_line "$(printf '%s\tok\ttrue\ttrue' "$id")"
	done
	assert_line "text=0"
	assert_line "14 ok, 0 warning(s), 0 failure(s) (exit 0). Nothing was changed."
	# The stand-in is the only file under the overlays: doctor wrote nothing.
	run written_files
	assert_output "./usrbin/sysbox-runc"
}

@test "seccomp: a listener held by the parent is a failure here and where the engine runs (no systemd: the same tree), exit 4" {
	run doctor "$LIB"'
		stand_in_sysbox 0.7.0
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" doctor --json >/run/d.json; echo "rc=$?"
		jq -r ".checks[] | select(.id | startswith(\"seccomp\")) | \"\(.id) \(.result) \(.evidence)\"" /run/d.json
		jq -c "{result, differs: .engine_context.differs}" /run/d.json'
	assert_line "rc=4"
	assert_line --regexp '^seccomp-here failure busy \(EBUSY\): A seccomp listener already exists'
	assert_line --regexp '^seccomp-engine failure busy \(EBUSY\) in this process tree: without systemd, `cai engine start` starts dockerd from its caller; this process tree: busy \(EBUSY\)'
	assert_line '{"result":"failure","differs":false}'
}

@test "seccomp on WSL2: the fix follows wslinfo: NAT when mirrored, a downgrade when NAT on WSL 1.1.0+, a kernel update for EINVAL" {
	run doctor "$LIB"'
		fake_wsl2
		stand_in_wslinfo mirrored 2.3.26
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" doctor --json | jq -r ".checks[] | select(.id == \"seccomp-engine\") | \"mirrored: \(.fix)\""
		stand_in_wslinfo nat 2.3.26
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" doctor --json | jq -r ".checks[] | select(.id == \"seccomp-engine\") | \"nat: \(.fix)\""
		"$TEST_BIN/seccomp-harness" listener-errno EINVAL -- "$CAI" doctor --json | jq -r ".checks[] | select(.id == \"seccomp-engine\") | \"einval: \(.fix)\""
		rm /usr/local/bin/wslinfo
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" doctor --json | jq -r ".checks[] | select(.id == \"seccomp-engine\") | \"unknown: \(.fix)\""'
	assert_line --regexp '^mirrored: On Windows, switch WSL to NAT networking: networkingMode=nat under \[wsl2\] in %UserProfile%\\\.wslconfig, then wsl --shutdown\. Or provision anyway: cai setup --force\.$'
	assert_line "nat: On Windows, downgrade WSL: wsl --update --web-download --version 1.0.3. Or provision anyway: cai setup --force."
	assert_line "einval: On Windows, update the WSL kernel: wsl --update, then wsl --shutdown."
	assert_line --regexp '^unknown: On Windows, switch WSL to NAT networking: .*; or downgrade WSL: wsl --update --web-download --version 1.0.3\.'
}

@test "engine-process-tree: an engine started under a listener while doctor runs without one is a warning, and the reverse; the same tree is ok" {
	run doctor "$LIB"'
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		echo "stopped: $(doctor_check engine-process-tree)"
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" engine start >/dev/null; echo "start=$?"
		echo "engine-filtered: $(doctor_check engine-process-tree)"
		echo "both-filtered: $("$TEST_BIN/seccomp-harness" listener -- bash -c "source \$HELPERS/doctor-lib.bash; doctor_check engine-process-tree")"
		"$CAI" engine stop >/dev/null
		"$CAI" engine start >/dev/null; echo "start=$?"
		echo "doctor-filtered: $("$TEST_BIN/seccomp-harness" listener -- bash -c "source \$HELPERS/doctor-lib.bash; doctor_check engine-process-tree")"
		echo "same: $(doctor_check engine-process-tree)"
		"$CAI" engine stop >/dev/null'
	assert_line --regexp '^stopped: ok\|the engine is not running'
	assert_line "start=0"
	assert_line --regexp '^engine-filtered: warning\|the engine \(pid [0-9]+\) was started from another process tree: it has 1 seccomp filter\(s\), this process 0; .*\|Restart the engine from the process tree Sysbox should run in'
	assert_line --regexp '^both-filtered: ok\|the engine \(pid [0-9]+\) has 1 seccomp filter\(s\), as this process does'
	assert_line --regexp '^doctor-filtered: warning\|the engine \(pid [0-9]+\) was started from another process tree: it has 0 seccomp filter\(s\), this process 1'
	assert_line --regexp '^same: ok\|the engine \(pid [0-9]+\) has 0 seccomp filter\(s\), as this process does'
}

@test "sysbox-runc: before 0.7.0 with runc 1.3.3 or later is a failure; 0.7.0 with it, or 0.6.4 with an older runc, is ok; missing is a warning" {
	run doctor "$LIB"'
		echo "missing: $(doctor_check sysbox-runc)"
		stand_in_sysbox 0.6.4
		echo "old-with-debian-runc: $(doctor_check sysbox-runc)"
		stand_in_runc_version 1.3.3
		echo "old-with-new-runc: $(doctor_check sysbox-runc)"
		"$CAI" doctor >/dev/null; echo "rc=$?"
		stand_in_sysbox 0.7.0
		echo "new-with-new-runc: $(doctor_check sysbox-runc)"'
	assert_line --regexp '^missing: warning\|/usr/bin/sysbox-runc is not installed \(runc 1\.[0-9]+\.[0-9]+\)\|Install sysbox-ce 0\.7\.0 or later'
	assert_line --regexp '^old-with-debian-runc: ok\|sysbox-runc 0\.6\.4, runc 1\.1\.[0-9]+\|null$'
	assert_line --regexp '^old-with-new-runc: failure\|sysbox-runc 0\.6\.4 with runc 1\.3\.3: Docker inside Sysbox containers fails with "unsafe procfs detected".*\|Upgrade sysbox-ce to 0\.7\.0 or later'
	assert_line "rc=4"
	assert_line "new-with-new-runc: ok|sysbox-runc 0.7.0, runc 1.3.3|null"
}

@test "kernel-idmap: this kernel is ok; WSL2's 4.19 without shiftfs is a warning; with shiftfs listed it is ok" {
	local real
	real=$(uname -r)
	run doctor "$LIB"'
		echo "real: $(doctor_check kernel-idmap)"
		d=$(mktemp -d /run/k.XXXXXX)
		echo "4.19.128-microsoft-standard" >$d/osrelease
		echo "Linux version 4.19.128-microsoft-standard (oe-user@oe-host) #1 SMP" >$d/version
		mount --bind $d/osrelease /proc/sys/kernel/osrelease
		mount --bind $d/version /proc/version
		echo "old: $(doctor_check kernel-idmap)"
		{ cat /proc/filesystems; printf "nodev\tshiftfs\n"; } >$d/filesystems
		mount --bind $d/filesystems /proc/filesystems
		echo "shiftfs: $(doctor_check kernel-idmap)"'
	assert_line "real: ok|kernel $real has idmapped mounts (Linux 5.12+)|null"
	assert_line "old: warning|kernel 4.19.128-microsoft-standard has neither idmapped mounts (Linux 5.12+) nor shiftfs: files in volumes show up as nobody:nogroup inside Sysbox containers|On Windows, update the WSL kernel: wsl --update, then wsl --shutdown."
	assert_line "shiftfs: ok|kernel 4.19.128-microsoft-standard has no idmapped mounts, but shiftfs is there|null"
}

@test "docker-env: DOCKER_HOST or DOCKER_CONTEXT in the environment is a warning with the fix; neither is ok" {
	run doctor "$LIB"'
		echo "none: $(doctor_check docker-env)"
		echo "host: $(DOCKER_HOST=tcp://127.0.0.1:2375 doctor_check docker-env)"
		echo "context: $(DOCKER_CONTEXT=desktop-linux doctor_check docker-env)"
		echo "empty: $(DOCKER_HOST= doctor_check docker-env)"'
	assert_line "none: ok|neither DOCKER_HOST nor DOCKER_CONTEXT is set|null"
	assert_line "host: warning|DOCKER_HOST=tcp://127.0.0.1:2375 is set: it overrides \`docker context use\` and every command without --context|unset DOCKER_HOST DOCKER_CONTEXT (and remove them from your shell's startup files); then use \`docker --context containai-secure ...\`"
	assert_line --regexp '^context: warning\|DOCKER_CONTEXT=desktop-linux is set'
	assert_line "empty: ok|neither DOCKER_HOST nor DOCKER_CONTEXT is set|null"
}

@test "docker-snap: /snap/docker present is a failure; absent is ok" {
	# / itself is an overlay here, so /snap can appear without touching the host.
	run unshare --mount --propagation private -- bash -ec '
		mount -t tmpfs tmpfs /mnt
		mkdir -p /mnt/u /mnt/w /mnt/root
		mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/u,workdir=/mnt/w /mnt/root
		for d in proc dev sys; do mount --rbind /$d /mnt/root/$d; done
		echo "absent: $(chroot /mnt/root "$0" doctor --json | jq -r ".checks[] | select(.id == \"docker-snap\") | .result")"
		mkdir -p /mnt/root/snap/docker/2904 /mnt/root/snap/bin
		echo "present: $(chroot /mnt/root "$0" doctor --json | jq -r ".checks[] | select(.id == \"docker-snap\") | \"\(.result)|\(.evidence)|\(.fix)\"")"
		chroot /mnt/root "$0" doctor >/dev/null || echo "rc=$?"' "$CAI_BIN"
	assert_line "absent: ok"
	assert_line --regexp '^present: failure\|Docker from snap is installed \(`/snap/docker`\)\|Sysbox does not support Docker from snap: `snap remove docker`'
	assert_line "rc=4"
	[ ! -e /snap ]
}

@test "other-dockerd: a dockerd on the engine's bridge or socket is a failure; the engine's own dockerd is not" {
	run doctor "$LIB"'
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		"$CAI" engine start >/dev/null; echo "start=$?"
		echo "ours: $(doctor_check other-dockerd)"
		"$CAI" engine stop >/dev/null
		ip link add cai0 type bridge 2>/dev/null || true
		other() { /usr/sbin/dockerd --data-root /run/o/data --exec-root /run/o/exec --pidfile /run/o/pid \
			--iptables=false --ip-forward=false --containerd-namespace other --containerd-plugins-namespace other-p "$@" >/run/o.log 2>&1 & }
		mkdir -p /run/o
		other --host unix:///run/o/docker.sock --bridge cai0
		for i in $(seq 100); do [ -S /run/o/docker.sock ] && break; sleep 0.1; done
		echo "bridge: $(doctor_check other-dockerd)"
		kill $!; wait $! || true
		other --host unix:///var/run/docker-containai.sock --bridge none
		for i in $(seq 100); do [ -S /var/run/docker-containai.sock ] && break; sleep 0.1; done
		echo "socket: $(doctor_check other-dockerd)"
		kill $!; wait $! || true'
	assert_line "start=0"
	assert_line "ours: ok|no other dockerd uses /var/run/docker-containai.sock or bridge cai0|null"
	assert_line --regexp '^bridge: failure\|another dockerd \(pid [0-9]+: /usr/sbin/dockerd\) uses the engine.s bridge cai0\|Give that dockerd another socket and bridge'
	assert_line --regexp '^socket: failure\|another dockerd \(pid [0-9]+: /usr/sbin/dockerd\) uses the engine.s socket /var/run/docker-containai.sock\|'
}

@test "WSL checks do not apply outside WSL2" {
	run doctor "$LIB"'
		stand_in_wslinfo mirrored 2.3.26
		"$CAI" doctor --json | jq -r ".checks[] | select(.id | startswith(\"wsl-\")) | \"\(.id) \(.result) \(.evidence)\""'
	assert_line "wsl-networking ok does not apply: this is linux, not WSL2"
	assert_line "wsl-version ok does not apply: this is linux, not WSL2"
	assert_line "wsl-systemd ok does not apply: this is linux, not WSL2"
	assert_line "wsl-boot-command ok does not apply: this is linux, not WSL2"
}

@test "wsl-networking and wsl-version: mirrored WSL 2.x with EBUSY where the engine runs is a warning each; NAT, or no EBUSY, is ok" {
	run doctor "$LIB"'
		fake_wsl2
		stand_in_wslinfo mirrored 2.3.26
		h() { "$TEST_BIN/seccomp-harness" listener -- bash -c "source \$HELPERS/doctor-lib.bash; doctor_check $1"; }
		echo "mirrored-busy: $(h wsl-networking)"
		echo "version-busy: $(h wsl-version)"
		echo "mirrored-free: $(doctor_check wsl-networking)"
		echo "version-free: $(doctor_check wsl-version)"
		"$CAI" doctor --json | jq -c .wsl
		stand_in_wslinfo nat 1.0.3
		echo "nat-busy: $(h wsl-networking)"
		echo "old-busy: $(h wsl-version)"
		rm /usr/local/bin/wslinfo
		echo "no-wslinfo: $(doctor_check wsl-networking)"'
	assert_line "mirrored-busy: warning|networking mode mirrored: its port tracker holds the seccomp listener, and the probe where the engine runs answers EBUSY|On Windows, switch WSL to NAT networking: networkingMode=nat under [wsl2] in %UserProfile%\\.wslconfig, then wsl --shutdown."
	assert_line --regexp '^version-busy: warning\|WSL 2\.3\.26 \(1\.1\.0 or later installs a seccomp listener on PID 1\), and the probe where the engine runs answers EBUSY\|On Windows, switch WSL to NAT'
	assert_line "mirrored-free: ok|networking mode mirrored; the probe where the engine runs answers supported|null"
	assert_line "version-free: ok|WSL 2.3.26|null"
	assert_line '{"version":"2.3.26","networking_mode":"mirrored","wslinfo_error":null,"wsl_conf":null}'
	assert_line "nat-busy: ok|networking mode nat; the probe where the engine runs answers busy|null"
	assert_line "old-busy: ok|WSL 1.0.3|null"
	assert_line "no-wslinfo: ok|unknown: wslinfo not found (WSL before 2.0)|null"
}

@test "wsl-systemd and wsl-boot-command: read from /etc/wsl.conf, each with both outcomes, never written" {
	run doctor "$LIB"'
		fake_wsl2
		echo "absent: $(doctor_check wsl-systemd)"
		echo "absent: $(doctor_check wsl-boot-command)"
		printf "[boot]\nsystemd = true\n" >/etc/wsl.conf
		echo "enabled-not-active: $(doctor_check wsl-systemd)"
		printf "[network]\ncommand = cai engine start\n[boot]\ncommand = \"service ssh start\"\n" >/etc/wsl.conf
		echo "other-command: $(doctor_check wsl-boot-command)"
		printf "# WSL settings\n[Boot]\nCommand = cai engine start\n" >/etc/wsl.conf
		echo "engine-command: $(doctor_check wsl-boot-command)"
		echo "engine-command: $(doctor_check wsl-systemd)"
		sha256sum /etc/wsl.conf >/run/before; "$CAI" doctor >/dev/null; sha256sum -c --quiet /run/before && echo "wsl.conf unchanged"'
	assert_line "absent: warning|systemd is not enabled in /etc/wsl.conf (the file is absent), and no boot command starts the engine|Add \`systemd=true\` under [boot] in /etc/wsl.conf (then, on Windows: wsl --shutdown), or the boot command of the check wsl-boot-command."
	assert_line "absent: warning|without systemd, nothing restarts the engine after \`wsl --shutdown\`: no [boot] command is set|Add under [boot] in /etc/wsl.conf: command = \"cai engine start\""
	assert_line "enabled-not-active: warning|systemd=true in /etc/wsl.conf, but systemd is not PID 1: WSL has not restarted since|On Windows, restart WSL: wsl --shutdown; then run \`cai setup\` again."
	assert_line "other-command: warning|without systemd, nothing restarts the engine after \`wsl --shutdown\`: the [boot] command is \`service ssh start\`|Change the [boot] line in /etc/wsl.conf to: command = \"service ssh start; cai engine start\""
	assert_line "engine-command: ok|[boot] command = cai engine start|null"
	assert_line "engine-command: ok|systemd is not enabled in /etc/wsl.conf; its [boot] command starts the engine|null"
	assert_line "wsl.conf unchanged"
}

@test "systemd seemingly PID 1 but no transient service can run: doctor warns, and setup and the probe decide on this process tree" {
	# /run/systemd/system is what sd_booted(3) looks at; without a running
	# systemd, systemd-run cannot reach one. The real transient service is
	# tested under the systemd suite.
	command -v systemd-run >/dev/null || skip "systemd-run is not installed"
	run doctor "$LIB"'
		mkdir -p /run/systemd/system
		echo "engine: $(doctor_check seccomp-engine)"
		"$CAI" doctor --json | jq -c "{where: .engine_context.where, ran: .engine_context.ran, cmd: (.engine_context.command | test(\"^systemd-run --wait --pipe --collect --quiet .*/cai-seccomp-probe --json --here$\"))}"
		probe=$(dirname "$CAI")/cai-seccomp-probe
		"$TEST_BIN/seccomp-harness" listener -- "$probe" --quiet; echo "probe=$?"
		"$probe" --json | jq -c "{exit_code, where: .engine_context.where, ran: .engine_context.ran}"
		"$CAI" setup --dry-run 2>&1 | grep -E "^\[2/7\]|could not probe where"' 
	assert_line --regexp '^engine: warning\|could not probe in a transient systemd service, where containai-docker.service runs \(.+\); setup decides on this process tree.s answer, supported\|'
	assert_line '{"where":"systemd-service","ran":false,"cmd":true}'
	assert_line "probe=3"
	assert_line '{"exit_code":0,"where":"systemd-service","ran":false}'
	assert_line "[2/7] Seccomp user notification: supported"
	assert_line --regexp 'warning: could not probe where the engine runs \(.+\); deciding on this process tree.s answer'
}

@test "setup prints the warnings of the doctor's checks that concern it, and goes on" {
	run doctor "$LIB"'
		stand_in_sysbox 0.6.4
		stand_in_runc_version 1.3.3
		DOCKER_HOST=tcp://127.0.0.1:2375 "$CAI" setup --dry-run; echo "setup=$?"'
	assert_line "setup=0"
	assert_output --partial "warning: DOCKER_HOST and DOCKER_CONTEXT in the environment (docker-env): DOCKER_HOST=tcp://127.0.0.1:2375 is set"
	assert_output --partial "warning: Sysbox and runc versions (sysbox-runc): sysbox-runc 0.6.4 with runc 1.3.3"
	assert_output --partial ". Fix: Upgrade sysbox-ce to 0.7.0 or later"
	refute_output --partial "(seccomp-here)"
	refute_output --partial "(docker-snap)"
}

@test "status points to cai doctor when refused or degraded, not when nothing is provisioned" {
	run doctor "$LIB"'
		"$CAI" status >/run/s0; echo "fresh=$?"; grep -c "cai doctor" /run/s0 || true
		fake_wsl2
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" setup >/dev/null 2>&1; echo "setup=$?"
		"$CAI" status; echo "refused=$?"
		"$CAI" status --json | jq -c "{status, engine: .engine_context.where, differs: .engine_context.differs}"'
	assert_line "fresh=5"
	assert_line "0"
	assert_line "setup=1"
	assert_line "refused=4"
	assert_line 'Run `cai doctor` for the causes and what to do about them.'
	assert_line '{"status":"refused","engine":"this-process-tree","differs":false}'
}

@test "audit-collector and egress-proxy: do not apply while the engine is stopped; a collector that is down is a warning with the command that fixes it" {
	run doctor "$LIB"'
		mkdir -p /etc/containai/docker; echo "{\"bridge\": \"cai0\"}" >/etc/containai/docker/daemon.json
		echo "stopped: $(doctor_check audit-collector)"
		echo "stopped-egress: $(doctor_check egress-proxy)"
		"$CAI" engine start >/dev/null 2>&1; echo "start=$?"
		echo "running: $(doctor_check audit-collector)"
		echo "egress: $(doctor_check egress-proxy)"
		kill -TERM "$(cat /run/containai/cai-auditd.pid)"
		for _ in $(seq 50); do [ -S /run/containai/audit.sock ] || break; sleep 0.1; done
		echo "down: $(doctor_check audit-collector)"
		"$CAI" engine stop >/dev/null 2>&1'
	assert_line "stopped: ok|does not apply: the engine is not running (the audit collector goes with it)|null"
	assert_line "stopped-egress: ok|does not apply: the engine is not running (the egress proxy goes with it)|null"
	assert_line "start=0"
	assert_line "running: ok|accepting on /run/containai/audit.sock; log /var/log/containai/audit.jsonl writable|null"
	# engine start starts the proxy too (where systemd is not PID 1); without
	# squid that is said, with the package to install.
	if [ -x /usr/sbin/squid ]; then
		assert_line --regexp '^egress: ok\|answering on http://172\.31\.241\.1:3228 \(pid [0-9]+\), network containai-agents\|null$'
	else
		assert_line --regexp '^egress: warning\|squid is not installed: .*$'
	fi
	assert_line "down: warning|no collector accepts on /run/containai/audit.sock: \`cai run\` and its agents cannot log their events|cai engine start"
}
