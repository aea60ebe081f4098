#!/usr/bin/env bats
# The .deb for real: built by `make deb`, installed with real dpkg into a
# debootstrap'd Debian 12 root (CAI_PKG_SUITE=trixie: Debian 13), its real maintainer scripts and debconf run
# chrooted inside private mount/net/PID namespaces (test/helpers/pkg-sandbox):
# nothing of the host changes. WSL2 is simulated by bind-mounting real WSL
# kernel strings over the root's /proc files, EBUSY by a parent that holds a
# seccomp listener (seccomp-harness).

# debconf's Teletype frontend answers from a pipe on Debian 12; from
# debconf 1.5.86 (Debian 13) it wants a controlling tty and falls back to
# the noninteractive frontend, where these tests would ask nothing.
require_teletype() {
	[ "${CAI_PKG_SUITE:-bookworm}" = bookworm ] ||
		skip "debconf's Teletype frontend needs a controlling tty on Debian 13; these run on Debian 12"
}

setup() {
	load ../helpers/common
	load ../helpers/package
	load_libs
	[ "${SANITIZE:-0}" != 1 ] || skip "the package is a plain build; its tests run once, in the plain suite"
	DEB=$(deb_file 0.1.0)
}

@test "lintian: no error and no warning" {
	require_default_suite
	command -v lintian >/dev/null || skip "lintian is not installed"
	run lintian --fail-on error,warning "$DEB"
	assert_success
	refute_output --regexp '^[EW]: '
}

@test "the package ships the programs, man pages and unit, and asks for what it runs" {
	require_default_suite
	run dpkg-deb -c "$DEB"
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/bin/cai$'
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/bin/cai-seccomp-probe$'
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/bin/cai-daemon-json$'
	assert_line --regexp ' \./usr/share/man/man1/cai\.1\.gz$'
	assert_line --regexp ' \./usr/share/man/man1/cai-seccomp-probe\.1\.gz$'
	assert_line --regexp ' \./usr/share/man/man1/cai-daemon-json\.1\.gz$'
	assert_line --regexp '^-rw-r--r-- root/root .* \./lib/systemd/system/containai-docker\.service$'
	assert_line --regexp '^-rw-r--r-- root/root .* \./lib/systemd/system/containai-egress\.service$'
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/lib/containai/cai-egress-acl$'
	assert_line --regexp '^-rw-r--r-- root/root .* \./usr/share/containai/egress/presets/package-registries$'
	# Nothing under /etc/containai: a refused install leaves it alone.
	refute_line --regexp ' \./etc/containai'
	run dpkg-deb -f "$DEB" Depends
	assert_output --regexp '(^|, )docker\.io \| docker-ce(,|$)'
	assert_output --regexp '(^|, )docker-cli \| docker-ce-cli \| docker\.io \(<< 26\)(,|$)'
	assert_output --regexp '(^|, )iproute2(,|$)'
	assert_output --regexp '(^|, )debconf '
	run dpkg-deb -f "$DEB" Recommends
	assert_output "squid, sysbox-ce"
	run bash -c "dpkg-deb --ctrl-tarfile '$DEB' | tar -xOf - ./triggers"
	assert_line "interest-noawait /usr/bin/sysbox-runc"
}

@test "the maintainer scripts are POSIX sh, set -e and shellcheck-clean" {
	require_default_suite
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	local d=$BATS_TEST_TMPDIR/ctl s
	dpkg-deb -e "$DEB" "$d"
	for s in config postinst prerm postrm; do
		[ "$(head -1 "$d/$s")" = "#!/bin/sh" ] || fail "$s: not #!/bin/sh"
		grep -qx 'set -e' "$d/$s" || fail "$s: no set -e"
		run shellcheck -s sh -e SC1091 "$d/$s"
		assert_success
	done
}

@test "plain Linux: dpkg -i provisions (engine runs, context, runtime registered, unit not enabled)" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		inroot dpkg -i "$(stage "$DEB")"; echo "dpkg=$?"
		inroot dpkg-query -W -f "\${Status}\n" containai-secure-engine
		engine_answers && echo "engine answers"
		echo "context=$(root_context)"
		inroot cai status; echo "status=$?"
		jq -c "{provisioned, refusal, forced_by}" "$R/var/lib/containai/state.json"
		ls "$R/etc/systemd/system/multi-user.target.wants/" 2>/dev/null | grep -c containai | sed "s/^/enabled links: /"'
	assert_line "dpkg=0"
	assert_line "install ok installed"
	assert_line "engine answers"
	assert_line "context=unix:///var/run/docker-containai.sock"
	assert_line --regexp '^\[7/7\] Verifying'
	assert_line "Status:          degraded"
	assert_line "  - sysbox-runc is not installed: install sysbox-ce"
	refute_line --regexp '^  - (the engine|a user)'
	assert_line "status=3"
	assert_line '{"provisioned":true,"refusal":null,"forced_by":null}'
	assert_line "enabled links: 0"
}

@test "WSL2 with EBUSY: dpkg -i refuses loudly, provisions nothing, the package is installed and apt still works" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		busy inroot dpkg -i "$(stage "$DEB")" 2>"$R/tmp/err"; echo "dpkg=$?"
		echo "stderr: $(tr "\n" " " <"$R/tmp/err")"
		inroot dpkg-query -W -f "\${Status}\n" containai-secure-engine
		inroot dpkg --audit; echo "audit=$?"
		inroot apt-get check >/dev/null; echo "apt-get check=$?"
		inroot dpkg --configure -a; echo "configure -a=$?"
		ls "$R/etc/containai" 2>/dev/null || echo "no /etc/containai"
		[ -e "$R/run/containai-docker.pid" ] || echo "no engine"
		echo "context=$(root_context)"
		jq -c "{provisioned, result: .refusal.result, errno: .refusal.errno_name}" "$R/var/lib/containai/state.json"
		inroot cai status >/dev/null; echo "status=$?"
		inroot debconf-show containai-secure-engine'
	assert_line "dpkg=0"
	# cai's box on stderr, then the postinst's own line.
	assert_output --regexp 'stderr: .*WARNING.*Sysbox on WSL2 may not work due to seccomp filter conflicts\.'
	assert_output --regexp 'stderr: .*cai: setup refused: nothing was changed\.'
	assert_output --regexp 'stderr: .*installed, but the Secure Engine was not provisioned.*dpkg-reconfigure containai-secure-engine'
	# The debconf error template, as the noninteractive frontend shows it.
	assert_line "Sysbox on WSL2 may not work: the Secure Engine was not provisioned"
	assert_line " 1. Proceed anyway: dpkg-reconfigure containai-secure-engine (and accept),"
	# The same facts as cai-seccomp-probe --summary and cai setup's step 2.
	local flat
	flat=$(printf '%s' "$output" | tr '\n' ' ' | tr -s ' ')
	[[ "$flat" == *"What the probe found: wsl2, kernel 5.15.167.4-microsoft-standard-WSL2: this process: busy (EBUSY); the engine starts from this process tree (no systemd)"* ]]
	assert_line "install ok installed"
	assert_line "audit=0"
	assert_line "apt-get check=0"
	assert_line "configure -a=0"
	assert_line "no /etc/containai"
	assert_line "no engine"
	assert_line "context=no context"
	assert_line '{"provisioned":null,"result":"busy","errno":"EBUSY"}'
	assert_line "status=4"
	# Nothing asked in the noninteractive frontend, nothing reset.
	assert_line "  containai-secure-engine/force: false"
}

@test "apt's preconfigure: the config script runs before the unpack, on WSL2, asks nothing and fails nothing" {
	require_teletype
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		mkdir "$R/tmp/ctl" && dpkg-deb -e "$DEB" "$R/tmp/ctl"
		[ -e "$R/usr/bin/cai-seccomp-probe" ] || echo "no probe yet"
		# As dpkg-preconfigure does: debconf'"'"'s frontend loads the templates
		# beside the config script and runs it. The teletype frontend would
		# print any question it asked.
		DEBIAN_FRONTEND=teletype busy inroot /usr/share/debconf/frontend /tmp/ctl/config configure </dev/null
		echo "config=$?"'
	assert_line "no probe yet"
	assert_line "config=0"
	refute_output --partial "Provision the Secure Engine although"
	refute_output --partial "[yes/no]"
}

@test "an interactive install on WSL2 (teletype frontend) asks the force question; yes provisions" {
	require_teletype
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		printf "yes\n" | DEBIAN_FRONTEND=teletype busy inroot dpkg -i "$(stage "$DEB")"; echo "dpkg=$?"
		engine_answers && echo "engine answers"
		jq -r .forced_by "$R/var/lib/containai/state.json"'
	assert_line "dpkg=0"
	assert_output --partial "Provision the Secure Engine although Sysbox may not work here? [yes/no]"
	local flat
	flat=$(printf '%s' "$output" | tr '\n' ' ' | tr -s ' ')
	[[ "$flat" == *"that answer decides): wsl2, kernel 5.15.167.4-microsoft-standard-WSL2: this process: busy (EBUSY); the engine starts from this process tree (no systemd)"* ]]
	# Priority low: not asked at the default priority.
	refute_output --partial "Let the package manage the Secure Engine's daemon.json?"
	assert_line "engine answers"
	assert_line "CAI_FORCE=1"
}

@test "after a refusal, CAI_FORCE=1 dpkg-reconfigure -fnoninteractive provisions" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		busy inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		CAI_FORCE=1 busy inroot dpkg-reconfigure -fnoninteractive containai-secure-engine; echo "reconfigure=$?"
		engine_answers && echo "engine answers"
		echo "context=$(root_context)"
		jq -c "{provisioned, forced_by, refusal}" "$R/var/lib/containai/state.json"'
	assert_line "dpkg=0"
	assert_line "reconfigure=0"
	assert_output --partial "warning: proceeding anyway, forced by CAI_FORCE=1"
	assert_line "engine answers"
	assert_line "context=unix:///var/run/docker-containai.sock"
	assert_line '{"provisioned":true,"forced_by":"CAI_FORCE=1","refusal":null}'
}

@test "dpkg-reconfigure asks the force question again (teletype frontend); yes provisions" {
	require_teletype
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		busy inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		# dpkg-reconfigure shows priority low too: daemon.json first, then force.
		printf "yes\nyes\n" | DEBIAN_FRONTEND=teletype busy inroot dpkg-reconfigure containai-secure-engine; echo "reconfigure=$?"
		engine_answers && echo "engine answers"
		inroot debconf-show containai-secure-engine'
	assert_line "dpkg=0"
	assert_line "reconfigure=0"
	assert_output --partial "Provision the Secure Engine although Sysbox may not work here? [yes/no]"
	assert_line "engine answers"
	assert_line "* containai-secure-engine/force: true"
}

@test "dpkg-reconfigure answered no: refused again, the error shown, nothing provisioned" {
	require_teletype
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		busy inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		printf "yes\nno\n\n" | DEBIAN_FRONTEND=teletype busy inroot dpkg-reconfigure containai-secure-engine; echo "reconfigure=$?"
		[ -e "$R/run/containai-docker.pid" ] || echo "no engine"
		inroot cai status >/dev/null; echo "status=$?"'
	assert_line "dpkg=0"
	assert_line "reconfigure=0"
	assert_output --partial "Provision the Secure Engine although Sysbox may not work here? [yes/no]"
	assert_output --partial "Sysbox on WSL2 may not work: the Secure Engine was not provisioned"
	assert_line "no engine"
	assert_line "status=4"
}

@test "a debconf preseed of force=true provisions non-interactively on WSL2, and the answer holds" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		echo "containai-secure-engine containai-secure-engine/force boolean true" | inroot debconf-set-selections
		busy inroot dpkg -i "$(stage "$DEB")"; echo "dpkg=$?"
		engine_answers && echo "engine answers"
		jq -c "{provisioned, forced_by}" "$R/var/lib/containai/state.json"
		inroot debconf-show containai-secure-engine'
	assert_line "dpkg=0"
	assert_output --partial "forced by CAI_FORCE=1"
	assert_line "engine answers"
	assert_line '{"provisioned":true,"forced_by":"CAI_FORCE=1"}'
	assert_line --regexp '^[ *] containai-secure-engine/force: true$'
}

@test "the marker file forces too: the config script loads it into debconf, the postinst passes it on" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		mkdir -p "$R/etc/containai" && touch "$R/etc/containai/force-sysbox"
		busy inroot dpkg -i "$(stage "$DEB")"; echo "dpkg=$?"
		engine_answers && echo "engine answers"
		jq -r .forced_by "$R/var/lib/containai/state.json"
		inroot debconf-show containai-secure-engine'
	assert_line "dpkg=0"
	assert_line "engine answers"
	assert_line "CAI_FORCE=1"
	assert_line --regexp '^[ *] containai-secure-engine/force: true$'
}

@test "manage-daemon-json=false: the admin's daemon.json is used as it is, never edited" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		echo "containai-secure-engine containai-secure-engine/manage-daemon-json boolean false" | inroot debconf-set-selections
		mkdir -p "$R/etc/containai/docker"
		printf "{\"runtimes\": {\"sysbox-runc\": {\"path\": \"/usr/bin/sysbox-runc\"}}, \"bridge\": \"none\", \"log-level\": \"warn\"}\n" \
			>"$R/etc/containai/docker/daemon.json"
		before=$(sha256sum <"$R/etc/containai/docker/daemon.json")
		inroot dpkg -i "$(stage "$DEB")"; echo "dpkg=$?"
		[ "$before" = "$(sha256sum <"$R/etc/containai/docker/daemon.json")" ] && echo "daemon.json unchanged"
		engine_answers && echo "engine answers"
		jq -c "{provisioned, daemon_json_managed}" "$R/var/lib/containai/state.json"'
	assert_line "dpkg=0"
	assert_line "daemon.json unchanged"
	assert_line "engine answers"
	assert_line '{"provisioned":true,"daemon_json_managed":false}'
}

@test "remove tears down: engine stopped, context and our daemon.json gone; state kept until purge" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		engine_answers && echo "engine answered"
		inroot dpkg -r containai-secure-engine; echo "remove=$?"
		inroot dpkg-query -W -f "\${Status}\n" containai-secure-engine
		engine_answers || echo "engine gone"
		[ -e "$R/run/containai-docker.pid" ] || echo "no pidfile"
		echo "context=$(root_context)"
		[ -e "$R/etc/containai/docker/daemon.json" ] || echo "no daemon.json"
		ip link show cai0 >/dev/null 2>&1 || echo "no bridge"
		[ -f "$R/var/lib/containai/state.json" ] && echo "state kept"'
	assert_line "dpkg=0"
	assert_line "engine answered"
	assert_line "remove=0"
	assert_line "deinstall ok config-files"
	assert_line "engine gone"
	assert_line "no pidfile"
	assert_line "context=no context"
	assert_line "no daemon.json"
	assert_line "no bridge"
	assert_line "state kept"
}

@test "purge leaves the file tree as it was before the install, and no debconf answer" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		tree_listing >"$R/tmp/before"
		inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		engine_answers && echo "engine answered"
		inroot dpkg -P containai-secure-engine >/dev/null; echo "purge=$?"
		tree_listing >"$R/tmp/after"
		diff "$R/tmp/before" "$R/tmp/after" && echo "same tree"
		echo "debconf: $(inroot debconf-show containai-secure-engine | wc -l)"
		inroot dpkg-query -W -f "\${Status}\n" containai-secure-engine 2>&1 | tail -1'
	assert_line "dpkg=0"
	assert_line "engine answered"
	assert_line "purge=0"
	assert_line "same tree"
	assert_line "debconf: 0"
	assert_line --regexp 'no packages found|not-installed'
}

@test "remove and purge after a refusal: nothing to tear down, both exit 0, the tree as before" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		tree_listing >"$R/tmp/before"
		busy inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		busy inroot dpkg -r containai-secure-engine; echo "remove=$?"
		inroot dpkg -P containai-secure-engine >/dev/null; echo "purge=$?"
		tree_listing >"$R/tmp/after"
		diff "$R/tmp/before" "$R/tmp/after" && echo "same tree"'
	assert_line "dpkg=0"
	assert_line "remove=0"
	refute_output --partial "teardown failed"
	assert_line "purge=0"
	assert_line "same tree"
}

@test "purge keeps an admin's own keys in daemon.json and removes only ours" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		f="$R/etc/containai/docker/daemon.json"
		jq ". + {\"log-level\": \"warn\"}" "$f" >"$f.new" && mv "$f.new" "$f"
		inroot dpkg -P containai-secure-engine >/dev/null; echo "purge=$?"
		jq -c . "$f"'
	assert_line "dpkg=0"
	assert_line "purge=0"
	assert_line '{"log-level":"warn"}'
}

@test "upgrade 0.1.0 -> 0.1.1 keeps the running engine, its pid, the context and the admin's daemon.json keys" {
	require_pkg_sandbox
	require_default_suite
	DEB_NEXT=$(next_deb "$BATS_TEST_TMPDIR/next")
	run in_pkg_sandbox '
		inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		f="$R/etc/containai/docker/daemon.json"
		jq ". + {\"log-level\": \"warn\", \"labels\": [\"admin\"]}" "$f" >"$f.new" && mv "$f.new" "$f"
		pid1=$(engine_pid)
		inroot dpkg -i "$(stage "$DEB_NEXT")"; echo "upgrade=$?"
		inroot dpkg-query -W -f "\${Version} \${Status}\n" containai-secure-engine
		[ "$pid1" = "$(engine_pid)" ] && kill -0 "$pid1" && echo "same engine pid"
		engine_answers && echo "engine answers"
		echo "context=$(root_context)"
		jq -c "{l: .[\"log-level\"], labels, r: .runtimes[\"sysbox-runc\"].path}" "$f"'
	assert_line "dpkg=0"
	assert_line "upgrade=0"
	assert_line "0.1.1 install ok installed"
	refute_output --partial "Removing containai-secure-engine"
	refute_output --regexp 'stop(ping)? dockerd'
	assert_line "same engine pid"
	assert_line "engine answers"
	assert_line "context=unix:///var/run/docker-containai.sock"
	assert_line '{"l":"warn","labels":["admin"],"r":"/usr/bin/sysbox-runc"}'
}

@test "the sysbox-runc file trigger: installing sysbox-ce later verifies again and the engine becomes healthy" {
	require_pkg_sandbox
	# A stand-in sysbox-ce whose sysbox-runc answers --version and runs runc:
	# the trigger, the path handling and setup's container check are under
	# test here, not Sysbox (which cannot be installed here).
	local pkg=$BATS_TEST_TMPDIR/sysbox-ce
	mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin"
	printf 'Package: sysbox-ce\nVersion: 0.0.0-test\nArchitecture: all\nMaintainer: tests <tests@containai.invalid>\nDescription: test stand-in for sysbox-ce\n' \
		>"$pkg/DEBIAN/control"
	printf '#!/bin/sh\n[ "$1" = --version ] && { echo "sysbox-runc (test stand-in) version 0.0.0-test"; exit 0; }\nexec runc "$@"\n' \
		>"$pkg/usr/bin/sysbox-runc"
	chmod 0755 "$pkg/usr/bin/sysbox-runc"
	dpkg-deb -b --root-owner-group "$pkg" "$BATS_TEST_TMPDIR/sysbox-ce.deb" >/dev/null
	SYSBOX_DEB=$BATS_TEST_TMPDIR/sysbox-ce.deb
	export SYSBOX_DEB
	run in_pkg_sandbox '
		inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		inroot cai status >/dev/null; echo "before=$?"
		inroot dpkg -i "$(stage "$SYSBOX_DEB")"; echo "sysbox=$?"
		inroot cai status >/dev/null; echo "after=$?"'
	assert_line "dpkg=0"
	assert_line "before=3"
	assert_line "sysbox=0"
	assert_output --partial "Processing triggers for containai-secure-engine"
	assert_line --regexp '^\[3/7\] Sysbox: /usr/bin/sysbox-runc present'
	assert_line "after=0"
}

@test "the maintainer scripts reject an unknown argument" {
	require_pkg_sandbox
	run in_pkg_sandbox '
		fake_wsl2
		busy inroot dpkg -i "$(stage "$DEB")" >/dev/null 2>&1; echo "dpkg=$?"
		for s in postinst prerm postrm config; do
			inroot "/var/lib/dpkg/info/containai-secure-engine.$s" bogus; echo "$s=$?"
		done'
	assert_line "dpkg=0"
	assert_line "postinst=1"
	assert_line "prerm=1"
	assert_line "postrm=1"
	assert_line "config=1"
	assert_output --partial "postinst called with unknown argument \`bogus'"
	assert_output --partial "prerm called with unknown argument \`bogus'"
}

# Debian 13 ships the docker CLI as docker-cli, which docker.io only
# recommends. Its root has docker-cli installed and its .deb in a local
# repository (test/helpers/pkg-root), so that apt can bring it back offline.
require_trixie() {
	[ "${CAI_PKG_SUITE:-bookworm}" = trixie ] || skip "Debian 13 only (CAI_PKG_SUITE=trixie)"
}

@test "Debian 13 without docker-cli: dpkg refuses to configure the package, and nothing is started" {
	require_pkg_sandbox
	require_trixie
	run in_pkg_sandbox '
		inroot dpkg -r docker-cli >/dev/null; echo "remove cli=$?"
		inroot dpkg -i "$(stage "$DEB")" 2>&1; echo "dpkg=$?"
		inroot dpkg-query -W -f "\${Status}\n" containai-secure-engine
		[ -e "$R/run/containai-docker.pid" ] || echo "no engine"
		[ -e "$R/etc/containai" ] || echo "no /etc/containai"'
	assert_line "remove cli=0"
	assert_output --regexp "depends on docker-cli \| docker-ce-cli \| docker\.io \(<< 26\)"
	assert_line "dpkg=1"
	assert_line "install ok unpacked"
	assert_line "no engine"
	assert_line "no /etc/containai"
}

@test "Debian 13, apt without recommends: apt brings docker-cli and the package provisions" {
	require_pkg_sandbox
	require_trixie
	run in_pkg_sandbox '
		inroot dpkg -r docker-cli >/dev/null; echo "remove cli=$?"
		only_local="-o Dir::Etc::SourceList=/etc/apt/sources.list.d/cai-deps.list -o Dir::Etc::SourceParts=-"
		inroot apt-get $only_local update -qq; echo "update=$?"
		inroot apt-get $only_local install -y --no-install-recommends "$(stage "$DEB")" 2>&1; echo "apt=$?"
		inroot dpkg-query -W -f "\${Package} \${Status}\n" docker-cli containai-secure-engine
		engine_answers && echo "engine answers"
		echo "context=$(root_context)"'
	assert_line "remove cli=0"
	assert_line "update=0"
	assert_line "apt=0"
	assert_line "docker-cli install ok installed"
	assert_line "containai-secure-engine install ok installed"
	assert_line "engine answers"
	assert_line "context=unix:///var/run/docker-containai.sock"
}
