#!/usr/bin/env bats
# The package as admins and fleets use it, under a real systemd: a Debian
# root with systemd (test/helpers/pkg-root's cache) booted with
# systemd-nspawn (test/helpers/machine.bash), the package installed by name
# from the signed repository that `make repo` builds (build/repo, served as
# file: inside the machine, signed-by its key), upgraded through it,
# reconfigured after a refusal, removed and purged. Nothing of the host
# changes: the machine has its own namespaces, root and network.
#
# The tests of a group share one boot and run in order (bats runs a file's
# tests in order); each group starts from a fresh root.
# CAI_PKG_SUITE=trixie runs the same tests on Debian 13.

bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root CONSOLE=$BATS_FILE_TMPDIR/console.log
	export MACHINE_NSPAWN="" MACHINE_INIT=""
}

teardown_file() {
	load ../helpers/machine
	[ ! -f "$BATS_FILE_TMPDIR/machine.env" ] || source "$BATS_FILE_TMPDIR/machine.env"
	machine_kill
	rm -rf "$ROOT"
}

setup() {
	load ../helpers/common
	load ../helpers/package
	load ../helpers/machine
	load_libs
	[ "${SANITIZE:-0}" != 1 ] || skip "the package is a plain build; its tests run once, in the plain suite"
	require_machine
	DEB=$(deb_file 0.1.0)
	REPO=$CAI_TOP/build/repo
	[ -f "$REPO/apt/dists/stable/InRelease" ] || skip "$REPO is not built (make repo; it needs apt-utils, gpg, createrepo-c)"
	# State shared by the tests of a group: the machine's pids.
	[ ! -f "$BATS_FILE_TMPDIR/machine.env" ] || source "$BATS_FILE_TMPDIR/machine.env"
}

# A fresh root with the repository in /srv/containai-repo and nothing else
# to install from (the machine has no network), booted.
fresh_machine() {
	machine_kill
	rm -rf "$ROOT"
	machine_unpack "$ROOT"
	stage_repo "$REPO"
	rm -f "$ROOT/etc/apt/sources.list"
	cp "$CAI_TEST_BIN/seccomp-harness" "$ROOT/root/seccomp-harness"
	boot
}

boot() {
	local rc=0
	machine_boot "$ROOT" "$CONSOLE" || rc=$?
	# Even after a failed boot: teardown_file must find the machine.
	printf 'MACHINE_NSPAWN=%s MACHINE_INIT=%s MACHINE_CGROUP=%s\n' "$MACHINE_NSPAWN" "$MACHINE_INIT" "$MACHINE_CGROUP" \
		>"$BATS_FILE_TMPDIR/machine.env"
	return "$rc"
}

stage_repo() { # DIR
	rm -rf "$ROOT/srv/containai-repo"
	mkdir -p "$ROOT/srv"
	cp -r "$1" "$ROOT/srv/containai-repo"
}

# What an admin does, as README.md says: the key, the source, then apt.
add_repo() {
	in_machine '
		install -m 0644 /srv/containai-repo/containai-archive-keyring.gpg /usr/share/keyrings/
		echo "deb [signed-by=/usr/share/keyrings/containai-archive-keyring.gpg] file:/srv/containai-repo/apt stable main" \
			>/etc/apt/sources.list.d/containai.list
		apt-get update -qq'
}

# The root's files, with type and mode, except the kernel's, the package
# managers' bookkeeping and what booting and the distribution's own docker
# (docker.service) and Debian's own squid.service change whatever we do.
machine_tree() {
	in_machine 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log/journal \
		-o -path /var/log/apt -o -path /var/log/dpkg.log -o -path /var/log/alternatives.log -o -path /var/tmp \
		-o -path /etc/systemd/system/getty.target.wants \
		-o -path /var/lib/systemd -o -path /var/lib/docker -o -path /var/lib/containerd \
		-o -path /etc/apt/sources.list.d -o -path /usr/share/keyrings -o -path /srv \
		-o -path /var/log/squid -o -path /var/spool/squid \) -prune \
		-o -printf "%y %m %p\n" | sort'
}

units_state() {
	in_machine 'for u in containai-docker.service cai-auditd.socket containai-egress.service; do
		echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u)"; done'
}

# Squid, the egress proxy our package recommends, installed offline from
# the .debs test/helpers/squid-debs keeps for the suite (the machine has no
# network). Installed before ours, as apt would with Recommends. Debian's
# own squid.service starts with it; on every stop it would wait 30 s
# (shutdown_lifetime) for clients it has not got, the whole of a reboot's
# shutdown: 1 s here, as in the configuration of our egress proxy.
install_squid() {
	local debs
	"$CAI_TOP/test/helpers/squid-debs" ensure >&2 || return 1
	debs=$("$CAI_TOP/test/helpers/squid-debs" path)
	rm -rf "$ROOT/root/squid-debs"
	cp -r "$debs" "$ROOT/root/squid-debs"
	mkdir -p "$ROOT/etc/squid/conf.d"
	echo "shutdown_lifetime 1 seconds" >"$ROOT/etc/squid/conf.d/zz-cai-tests.conf"
	in_machine 'apt-get install -y -qq --no-install-recommends /root/squid-debs/*.deb >/root/squid-install.log 2>&1 ||
		{ tail -20 /root/squid-install.log; exit 1; }
		rm -rf /root/squid-debs /root/squid-install.log'
}

# The next version, for upgrades (next_deb), added to a repository signed
# with the same key.
next_repo() {
	local x=$BATS_FILE_TMPDIR/next next
	rm -rf "$x"
	next=$(next_deb "$x")
	REPO_TEST_GNUPGHOME=$CAI_TOP/build/repo-test-key sh "$CAI_TOP/scripts/make-repo.sh" "$x/repo" \
		"$DEB" "$next" >/dev/null
	echo "$x/repo"
}

# ---- group 1: install, run, reboot, upgrade, remove, purge -------------

@test "boot: a Debian root with systemd boots; nothing of ours is installed yet" {
	fresh_machine
	run in_machine 'systemctl is-system-running; cat /proc/1/comm; dpkg-query -W containai-secure-engine 2>&1 | tail -1'
	assert_line --regexp '^(running|degraded)$'
	assert_line "systemd"
	assert_line --partial "no packages found matching containai-secure-engine"
	install_squid
	machine_tree >"$BATS_FILE_TMPDIR/tree-before"
}

@test "a repository signed with another key is refused by apt" {
	run in_machine '
		gpg_dir=$(mktemp -d)
		echo "deb [signed-by=/srv/containai-repo/RPM-GPG-KEY-containai.none] file:/srv/containai-repo/apt stable main" \
			>/etc/apt/sources.list.d/containai.list
		apt-get update 2>&1; echo "update=$?"
		rm /etc/apt/sources.list.d/containai.list; apt-get update -qq'
	assert_output --regexp "(not signed|NO_PUBKEY|The signatures couldn't be verified|is not signed)"
	refute_line "update=0"
}

@test "apt install by name from the signed repository: engine and collector socket active and enabled" {
	add_repo
	run in_machine 'apt-cache policy containai-secure-engine | sed -n 2,3p
		apt-get install -y containai-secure-engine 2>&1; echo "install=$?"'
	assert_line --regexp '^  Candidate: 0\.1\.0$'
	assert_line "install=0"
	assert_output --partial "enable containai-docker.service at boot"
	assert_output --partial "enable cai-auditd.socket at boot"
	assert_output --regexp "ok    a container runs with \`runc\`"
	run units_state
	assert_line "containai-docker.service active enabled"
	assert_line "cai-auditd.socket active enabled"
	run in_machine 'docker --context containai-secure info --format "{{json .Runtimes}}" | grep -o "\"sysbox-runc\":"
		systemctl show -p MainPID --value containai-docker.service; cat /run/containai-docker.pid'
	assert_line '"sysbox-runc":'
	[ "${lines[1]}" = "${lines[2]}" ] || fail "MainPID ${lines[1]} is not the engine's pid ${lines[2]}"
}

@test "the egress unit runs with the engine: Squid on 172.31.241.1:3228, our chains, and a request from no agent's address denied" {
	mkdir -p "$ROOT/root/egress"
	cp "$(command -v busybox)" "$ROOT/root/egress/busybox"
	run in_machine 'systemctl is-active containai-egress.service; systemctl is-enabled containai-egress.service
		cai egress status; echo "status=$?"
		ss -ltnH "sport = :3228" | awk "{print \$4}"
		iptables -S CAI-EGRESS-IN | grep -c "dport 3228 -j ACCEPT"
		# From the gateway itself: in the agent subnet, but no container
		# registered that address, so nothing is on its list.
		http_proxy=http://172.31.241.1:3228 /root/egress/busybox wget -q -O - http://denied.test/ 2>&1; echo "denied=$?"
		rm -rf /root/egress'
	assert_line "active"
	assert_line "static"
	assert_line "status=0"
	assert_line "172.31.241.1:3228"
	assert_line "1"
	assert_output --partial "403 Forbidden"
	refute_line "denied=0"
}

@test "the installed units pass systemd-analyze verify; the engine orders itself after Sysbox's units and the distribution's docker" {
	run in_machine 'systemd-analyze verify --man=no containai-docker.service cai-auditd.socket cai-auditd.service 2>&1; echo "verify=$?"
		systemctl show -p After containai-docker.service | tr " " "\n" | grep -E "^(After=)?(sysbox|cai-auditd|docker.service)" | sed "s/^After=//" | sort
		systemctl show -p Wants containai-docker.service | tr " " "\n" | grep -E "^(Wants=)?(sysbox|cai-auditd)" | sed "s/^Wants=//" | sort'
	assert_line "verify=0"
	refute_output --partial "containai-docker.service:"
	assert_equal "$(grep -c '^sysbox-mgr.service$' <<<"$output")" 2
	assert_equal "$(grep -c '^sysbox-fs.service$' <<<"$output")" 2
	assert_equal "$(grep -c '^sysbox.service$' <<<"$output")" 2
	assert_equal "$(grep -c '^cai-auditd.socket$' <<<"$output")" 2
	# Two dockerds must not set up iptables at once at boot.
	assert_line "docker.service"
	# ExecReload: SIGHUP, same process.
	run in_machine 'p=$(systemctl show -p MainPID --value containai-docker.service)
		systemctl reload containai-docker.service 2>&1; echo "reload=$?"
		[ "$p" = "$(systemctl show -p MainPID --value containai-docker.service)" ] && echo "same MainPID"
		journalctl -u containai-docker.service -o cat | grep -c "Got signal to reload configuration"'
	assert_line "reload=0"
	assert_line "same MainPID"
	refute_line "0"
}

@test "an event from cai run reaches the audit log through the socket-activated collector" {
	run in_machine 'cai run -- /bin/sh -c "exec /bin/echo marker-$$-systemd" 2>&1; echo "run=$?"
		sleep 0.5
		systemctl is-active cai-auditd.service
		grep -c "marker-$$-systemd" /var/log/containai/audit.jsonl'
	assert_line "run=0"
	assert_line --regexp '^marker-[0-9]+-systemd$'
	refute_output --partial "could not be delivered"
	assert_line "active"
	refute_line "0"
}

@test "cai status: healthy apart from Sysbox being absent; the collector reported in text and --json" {
	run in_machine 'cai status; echo "status=$?"'
	assert_line "status=3"
	assert_line "Status:          degraded"
	assert_line "  - sysbox-runc is not installed: install sysbox-ce"
	# That is the only problem.
	assert_equal "$(grep -c '^  - ' <<<"$output")" 1
	assert_line --regexp '^Audit collector: accepting on /run/containai/audit\.sock \(cai-auditd\.socket enabled\), pid [0-9]+ since '
	assert_line --regexp '^Engine: +running \(systemd, pid [0-9]+\)'
	run --separate-stderr in_machine 'cai status --json'
	jq -e '.audit_collector | .manager == "systemd" and .accepting == true and .enabled == true and
		.log_writable == true and (.pid | type) == "number" and .dropped_since_start == 0' <<<"$output"
}

@test "a stopped collector makes status degraded with the systemctl command that fixes it" {
	run in_machine 'systemctl stop cai-auditd.socket cai-auditd.service
		cai status | grep -E "^(Status|  - )"; echo "status=${PIPESTATUS[0]}"
		systemctl enable --now cai-auditd.socket
		cai status >/dev/null; echo "after=$?"'
	assert_line "status=3"
	assert_line "  - the audit collector does not accept on /run/containai/audit.sock: \`cai run\` loses its events; run \`systemctl enable --now cai-auditd.socket\`"
	assert_line "after=3"
}

@test "the probe runs where the engine runs, a transient systemd service: a listener held only by setup's caller refuses nothing, and both answers are said" {
	# The package's own setup (--package-mode: Sysbox is not installed here).
	run in_machine '
		/root/seccomp-harness listener -- cai setup --package-mode 2>&1; echo "setup=$?"
		echo "status: $(/root/seccomp-harness listener -- cai status --json | tr -d "\n")"
		echo "doctor: $(/root/seccomp-harness listener -- cai doctor --json | tr -d "\n")"
		echo "left: $(systemctl list-units --all --no-legend | grep -c "ContainAI seccomp probe")"'
	assert_line "setup=0"
	assert_output --partial "where the engine runs (a transient systemd service, where containai-docker.service runs): supported; in this process tree: busy (EBUSY); the engine's answer decides"
	refute_output --partial "setup refused"
	sed -n 's/^status: //p' <<<"$output" | jq -e '.engine_context.differs == true'
	sed -n 's/^doctor: //p' <<<"$output" |
		jq -e '[.checks[] | select(.id | startswith("seccomp")) | "\(.id) \(.result)"] == ["seccomp-here warning", "seccomp-engine ok"]'
	assert_line "left: 0"
}

@test "a reboot brings the engine and the collector back" {
	machine_poweroff
	boot
	machine_wait_active containai-docker.service cai-auditd.socket
	run units_state
	# What a failed start said, should it fail.
	grep -q "containai-docker.service active" <<<"$output" ||
		in_machine 'journalctl -b -u containai-docker.service --no-pager | tail -40' >&2
	assert_line "containai-docker.service active enabled"
	assert_line "cai-auditd.socket active enabled"
	run in_machine 'docker --context containai-secure version --format "{{.Server.Version}}" >/dev/null && echo "engine answers"'
	assert_line "engine answers"
	run --separate-stderr in_machine 'cai status --json'
	run jq -c '{status, c: .audit_collector.accepting, problems}' <<<"$output"
	assert_output '{"status":"degraded","c":true,"problems":["sysbox-runc is not installed: install sysbox-ce"]}'
}

@test "an upgrade through the repository keeps the engine's MainPID, a container and the admin's daemon.json keys; a changed runtime path is applied by SIGHUP" {
	local next f=$ROOT/etc/containai/docker/daemon.json
	next=$(next_repo)
	command -v busybox >/dev/null || skip "busybox is not installed (apt-get install busybox-static): the container's image"
	mkdir -p "$ROOT/root/keeper/bin"
	cp "$(command -v busybox)" "$ROOT/root/keeper/bin/busybox"
	jq '. + {"log-level": "warn"}' "$f" >"$f.new" && mv "$f.new" "$f"
	# The runtime where an older version put it (its entry, and our undo
	# snapshot of what that version wrote): the upgrade's setup re-points
	# its own entry and the running engine takes it with SIGHUP, without a
	# restart.
	local undo=$ROOT/etc/containai/docker/.daemon.json.cai-undo-sysbox-runc
	jq '.runtimes["sysbox-runc"].path = "/opt/sysbox-old/sysbox-runc"' "$f" >"$f.new" && mv "$f.new" "$f"
	jq --rawfile a "$f" '.after = $a' "$undo" >"$undo.new" && mv "$undo.new" "$undo"
	run in_machine '
		systemctl reload containai-docker.service
		docker --context containai-secure info --format "{{json .Runtimes}}" | grep -o "/opt/sysbox-old/sysbox-runc"
		tar -C /root/keeper -c . | docker --context containai-secure import - keeper:1 >/dev/null
		# Its sleep, PID 1 there, ignores SIGTERM: when apt remove stops the
		# engine later, it is killed after 1 s, not after the default 10 s.
		docker --context containai-secure run -d --name keeper --network none --stop-timeout 1 keeper:1 \
			/bin/busybox sleep 600 >/dev/null; echo "run=$?"
		docker --context containai-secure inspect -f "{{.State.StartedAt}}" keeper >/root/started-before
		systemctl show -p MainPID --value containai-docker.service >/root/pid-before'
	assert_line "run=0"
	assert_line "/opt/sysbox-old/sysbox-runc"
	stage_repo "$next"
	run in_machine 'apt-get update -qq && apt-get install -y containai-secure-engine 2>&1; echo "upgrade=$?"
		dpkg-query -W -f "\${Version}\n" containai-secure-engine
		[ "$(systemctl show -p MainPID --value containai-docker.service)" = "$(cat /root/pid-before)" ] && echo "same MainPID"
		[ "$(docker --context containai-secure inspect -f "{{.State.Running}} {{.State.StartedAt}}" keeper)" = "true $(cat /root/started-before)" ] &&
			echo "container still running"
		systemctl is-active containai-docker.service cai-auditd.socket
		docker --context containai-secure info --format "{{json .Runtimes}}" | grep -o "\"path\":\"[^\"]*sysbox-runc\""'
	assert_line "upgrade=0"
	assert_output --partial "reload dockerd with SIGHUP"
	assert_line '"path":"/usr/bin/sysbox-runc"'
	refute_output --partial "/opt/sysbox-old"
	assert_line "0.1.1"
	assert_line "same MainPID"
	assert_line "container still running"
	refute_line "inactive"
	refute_output --partial "Stopping"
	run jq -c '{l: .["log-level"], r: .runtimes["sysbox-runc"].path}' "$f"
	assert_output '{"l":"warn","r":"/usr/bin/sysbox-runc"}'
}

@test "apt remove stops and disables the units and removes the context" {
	run in_machine 'apt-get remove -y containai-secure-engine 2>&1; echo "remove=$?"
		for u in containai-docker.service cai-auditd.socket cai-auditd.service containai-egress.service; do echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u 2>&1)"; done
		docker --context default context inspect containai-secure >/dev/null 2>&1 || echo "no context"
		ls /etc/systemd/system/*.wants/ | grep -E "containai|cai-auditd" || echo "no enable links"
		{ iptables-save; ip6tables-save; } | grep -c CAI-EGRESS
		ss -ltnH "sport = :3228" | grep -c .
		ip link show cai-agents0 >/dev/null 2>&1 || echo "no agent bridge"'
	assert_line "remove=0"
	assert_line --regexp '^containai-egress\.service (inactive|unknown) '
	assert_output --partial "stop the egress proxy (containai-egress.service)"
	assert_equal "$(grep -cx 0 <<<"$output")" 2
	assert_line "no agent bridge"
	assert_line --regexp '^containai-docker\.service (inactive|unknown) '
	assert_line --regexp '^cai-auditd\.socket (inactive|unknown) '
	assert_line --regexp '^cai-auditd\.service (inactive|unknown) '
	assert_line "no context"
	assert_line "no enable links"
}

@test "apt purge leaves nothing of ours" {
	# What the tests above left: the container and its image's files.
	rm -rf "$ROOT/root/keeper" "$ROOT/root/pid-before" "$ROOT/root/started-before"
	run in_machine 'docker --context containai-secure rm -f keeper >/dev/null 2>&1
		apt-get purge -y containai-secure-engine >/dev/null 2>&1; echo "purge=$?"
		debconf-show containai-secure-engine | wc -l'
	assert_line "purge=0"
	assert_line "0"
	machine_tree >"$BATS_FILE_TMPDIR/tree-after"
	# Only the admin's own key in daemon.json stays (purge removes ours).
	run diff "$BATS_FILE_TMPDIR/tree-before" "$BATS_FILE_TMPDIR/tree-after"
	assert_equal "$(grep '^[<>]' <<<"$output")" "$(printf '%s\n' '> d 755 /etc/containai' '> d 755 /etc/containai/docker' \
		'> f 644 /etc/containai/docker/daemon.json')"
	run jq -c . "$ROOT/etc/containai/docker/daemon.json"
	assert_output '{"log-level":"warn"}'
}

# ---- group 2: WSL2, refusal, dpkg-reconfigure, preseeding ---------------

# Inside the machine: the kernel strings of WSL2 over /proc (for every
# process of the machine), and apt run under a parent that holds a seccomp
# listener, so that the probe gets EBUSY as on WSL 1.1.0 and later.
WSL='printf "%s\n" 5.15.167.4-microsoft-standard-WSL2 >/root/osrelease
	printf "%s\n" "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024" >/root/version
	mountpoint -q /proc/version || { mount --bind /root/osrelease /proc/sys/kernel/osrelease; mount --bind /root/version /proc/version; }
	busy() { /root/seccomp-harness listener -- "$@"; }'

@test "WSL2 with EBUSY: apt install refuses, starts nothing, enables nothing; apt still works" {
	# WSL's init holds the listener over everything it starts: the whole
	# machine runs under one, so the probe where the engine runs (a
	# transient service of the machine's systemd) gets EBUSY too.
	MACHINE_WRAP="$CAI_TEST_BIN/seccomp-harness listener --" fresh_machine
	add_repo
	run in_machine "$WSL"'
		busy apt-get install -y containai-secure-engine 2>&1; echo "install=$?"
		for u in containai-docker.service cai-auditd.socket cai-auditd.service; do echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u 2>&1)"; done
		apt-get check >/dev/null; echo "check=$?"
		cai status >/dev/null; echo "status=$?"'
	assert_line "install=0"
	assert_output --partial "cai: setup refused: nothing was changed."
	assert_line "containai-docker.service inactive disabled"
	assert_line "cai-auditd.socket inactive disabled"
	assert_line "cai-auditd.service inactive disabled"
	assert_line "check=0"
	assert_line "status=4"
}

@test "dpkg-reconfigure after the refusal, forced, provisions: units active and enabled" {
	run in_machine "$WSL"'
		CAI_FORCE=1 busy dpkg-reconfigure -fnoninteractive containai-secure-engine 2>&1; echo "reconfigure=$?"
		for u in containai-docker.service cai-auditd.socket; do echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u)"; done
	'
	assert_line "reconfigure=0"
	assert_output --partial "proceeding anyway, forced by CAI_FORCE=1"
	assert_line "containai-docker.service active enabled"
	assert_line "cai-auditd.socket active enabled"
	run jq -c '{provisioned, forced_by}' "$ROOT/var/lib/containai/state.json"
	assert_output '{"provisioned":true,"forced_by":"CAI_FORCE=1"}'
}

@test "a preseeded unattended install (debconf-set-selections, noninteractive) provisions on WSL2" {
	run in_machine "$WSL"'
		apt-get purge -y containai-secure-engine >/dev/null 2>&1; echo "purge=$?"
		systemctl is-active containai-docker.service
		echo "containai-secure-engine containai-secure-engine/force boolean true" | debconf-set-selections
		DEBIAN_FRONTEND=noninteractive busy apt-get install -y -o Dpkg::Options::=--force-confdef containai-secure-engine 2>&1 </dev/null
		echo "install=$?"
		for u in containai-docker.service cai-auditd.socket; do echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u)"; done
		debconf-show containai-secure-engine | grep force'
	assert_line "purge=0"
	assert_line "inactive"
	assert_line "install=0"
	assert_output --partial "forced by CAI_FORCE=1"
	assert_line "containai-docker.service active enabled"
	assert_line "cai-auditd.socket active enabled"
	assert_line --regexp '^[ *] containai-secure-engine/force: true$'
}
