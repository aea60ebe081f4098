#!/usr/bin/env bats
# cai setup against real components: a real dockerd (Debian's docker.io) in
# private mount/net/PID namespaces, the real docker CLI, the real kernel's
# seccomp (EBUSY from a parent holding a listener), WSL simulated by
# bind-mounting real kernel strings. Nothing of the host is written: every
# write lands in the sandbox's overlays, which the tests inspect.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "setup --help lists the steps, the options and the exit codes" {
	run --separate-stderr "$CAI_BIN" setup --help
	assert_success
	assert_output --partial "Usage: cai setup [--force] [--dry-run] [--verbose]"
	assert_output --partial "--sysbox-package FILE"
	assert_output --partial "Exit codes: 0 provisioned"
	[ -z "$stderr" ]
}

@test "setup rejects an unknown option and a stray argument with exit 2" {
	run --separate-stderr "$CAI_BIN" setup --bogus
	assert_failure 2
	[[ "$stderr" == *"cai setup --help"* ]]
	run --separate-stderr "$CAI_BIN" setup extra
	assert_failure 2
	[[ "$stderr" == *'unexpected argument `extra`'* ]]
	run --separate-stderr "$CAI_BIN" setup --package-mode --sysbox-package x.deb
	assert_failure 2
}

@test "setup as a non-root user says to use sudo and changes nothing" {
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$CAI_BIN" setup
	assert_failure 1
	[[ "$stderr" == *"must run as root"* ]]
}

@test "linux happy path: seven steps, engine with sysbox-runc, default runc, context, healthy status" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup; echo "setup=$?"
		echo "runtimes=$(engine_runtimes)"
		echo "ctx=$(docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}")"
		echo "current=$(jq -r ".currentContext // \"default\"" /root/.docker/config.json 2>/dev/null || echo default)"
		cat /etc/containai/docker/daemon.json
		"$CAI" status; echo "status=$?"
		jq -c "{provisioned, refusal, forced_by}" /var/lib/containai/state.json
		jq -c ".containers_verified | {runc, \"sysbox-runc\"}" /var/lib/containai/state.json
		grep -c " create " /run/sysbox-runc.log'
	assert_line "setup=0"
	# Real containers of both runtimes ran on the engine; the stand-in
	# sysbox-runc was really invoked (once, to create one).
	assert_line --regexp '^ +ok +a container runs with `runc` \(exec listener there: supported\)'
	assert_line --regexp '^ +ok +a container runs with `sysbox-runc` \(exec listener there: supported\)'
	assert_line '{"runc":{"ran":true,"exec_listener":"supported"},"sysbox-runc":{"ran":true,"exec_listener":"supported"}}'
	assert_line 1
	assert_line --regexp '^Containers: +runc runs \(exec listener: supported\); sysbox-runc runs'
	refute_output --partial "warning"
	assert_line --regexp '^\[1/7\] Platform: linux '
	assert_line '[2/7] Seccomp user notification: supported'
	assert_line --regexp '^\[3/7\] Sysbox: /usr/bin/sysbox-runc present, sysbox-runc \(test stand-in\)'
	assert_line --regexp '^\[7/7\] Verifying'
	assert_line --regexp 'ok +runtime `sysbox-runc` is registered'
	assert_line --regexp 'ok +default runtime is `runc`'
	assert_line --regexp '^runtimes=\{.*"sysbox-runc":\{"path":"/usr/bin/sysbox-runc"' 
	assert_line --regexp '^runtimes=.* runc$'
	assert_line "ctx=unix:///var/run/docker-containai.sock"
	assert_line "current=default"
	assert_line '    "sysbox-runc": {'
	refute_output --partial '"default-runtime"'
	assert_line "Status:          healthy"
	assert_line "status=0"
	assert_line '{"provisioned":true,"refusal":null,"forced_by":null}'
}

@test "a sysbox-runc that cannot run a container: setup warns and records it, status is degraded and says why" {
	run in_sandbox --sysbox-broken '
		"$CAI" setup; echo "setup=$?"
		"$CAI" status; echo "status=$?"
		jq -c ".containers_verified.\"sysbox-runc\".ran" /var/lib/containai/state.json'
	assert_line "setup=0"
	assert_line --regexp '^ +ok +a container runs with `runc`'
	assert_output --regexp 'warning: a container does not run with `sysbox-runc`: .*'
	assert_line --regexp '^Containers: +runc runs .*; sysbox-runc FAILED \('
	assert_line "Status:          degraded"
	assert_output --partial "setup could not run a container with sysbox-runc: Sysbox does not work here"
	assert_line "status=3"
	assert_line false
}

@test "a second setup changes nothing and says so (same daemon.json inode and mtime, same engine pid)" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		# The mtime to the nanosecond: a write by the second setup, a second
		# run of cai later, would change it without a pause in between.
		before=$(stat -c "%i %.9Y %s" /etc/containai/docker/daemon.json); pid1=$(cat /run/containai-docker.pid)
		"$CAI" setup; echo "again=$?"
		after=$(stat -c "%i %.9Y %s" /etc/containai/docker/daemon.json); pid2=$(cat /run/containai-docker.pid)
		[ "$before" = "$after" ] && echo "daemon.json untouched"
		[ "$pid1" = "$pid2" ] && echo "engine not restarted"'
	assert_line "again=0"
	assert_line "Nothing changed: the Secure Engine was already provisioned."
	assert_line "daemon.json untouched"
	assert_line "engine not restarted"
	refute_output --partial "done:"
}

@test "where systemd is not PID 1, setup starts the egress proxy as cai engine start does; a second setup leaves it running" {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	run in_sandbox --sysbox-stub '
		"$CAI" setup; echo "setup=$?"
		pid1=$(cat /run/containai/egress/cai-egress.pid)
		tr "\0" " " </proc/$pid1/cmdline; echo
		"$CAI" egress status; echo "egress=$?"
		iptables -S CAI-EGRESS-IN | grep -c 3228
		"$CAI" setup >/dev/null 2>&1; echo "again=$?"
		[ "$pid1" = "$(cat /run/containai/egress/cai-egress.pid)" ] && echo "same proxy"'
	assert_line "setup=0"
	assert_line "      done:  started the egress proxy on http://172.31.241.1:3228 (pidfile /run/containai/egress/cai-egress.pid)"
	assert_line --regexp "/cai egress run --acl-helper /usr/local/lib/containai/cai-egress-acl $"
	assert_line --regexp '^answering on http://172\.31\.241\.1:3228 \(pid [0-9]+\), network containai-agents$'
	assert_line "egress=0"
	assert_line 1
	assert_line "again=0"
	assert_line "same proxy"
}

@test "setup without squid provisions the engine and warns that agents need the proxy" {
	run in_sandbox --sysbox-stub '
		mount --bind /dev/null /usr/sbin/squid
		"$CAI" setup; echo "setup=$?"
		"$CAI" egress status >/dev/null || echo "no proxy"'
	assert_line "setup=0"
	assert_output --partial "warning: egress proxy: not running: squid is not installed"
	assert_output --partial "until then agents run only with --network-policy open or none"
	assert_line "no proxy"
}

@test "sysbox-runc missing with --no-install-sysbox: the engine still starts, setup warns, status is degraded" {
	run in_sandbox '
		"$CAI" setup --no-install-sysbox; echo "setup=$?"
		echo "runtimes=$(engine_runtimes)"
		"$CAI" status; echo "status=$?"'
	assert_line "setup=0"
	assert_line '[3/7] Sysbox: /usr/bin/sysbox-runc is not installed'
	assert_output --partial "warning: not installing sysbox-ce here"
	assert_output --partial "warning: /usr/bin/sysbox-runc is missing: containers with --runtime sysbox-runc fail"
	assert_line --regexp '^runtimes=.*"sysbox-runc".* runc$'
	assert_line "Status:          degraded"
	assert_line "  - sysbox-runc is not installed: install sysbox-ce"
	assert_line "status=3"
}

@test "sysbox-runc missing and the package cannot be installed: step 3 fails, says where to get it, nothing changed" {
	run in_sandbox '
		"$CAI" setup --sysbox-package /nonexistent/sysbox-ce.deb; echo "setup=$?"
		ls /etc/containai 2>/dev/null || echo "no /etc/containai"
		[ -e /run/containai-docker.pid ] || echo "no engine"'
	assert_line "setup=3"
	assert_output --partial 'cai: step 3/7 (sysbox) failed: read sysbox package `/nonexistent/sysbox-ce.deb`: No such file or directory'
	assert_line "no /etc/containai"
	assert_line "no engine"
}

@test "WSL2 with EBUSY: refused with the warning box, exit 1, nothing provisioned, refusal recorded" {
	run in_sandbox '
		fake_wsl2
		LANG=C.UTF-8 "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup 2>/run/err; echo "setup=$?"
		grep -v "^║" /run/err
		# The box'"'"'s text with the borders and the wrapping taken out.
		echo "box: $(sed -n "s/^║ \(.*\) ║\$/\1/p" /run/err | tr "\n" " " | tr -s " ")"
		ls /etc/containai 2>/dev/null || echo "no /etc/containai"
		[ -e /run/containai-docker.pid ] || echo "no engine"
		docker --context default context inspect containai-secure >/dev/null 2>&1 || echo "no context"
		jq -c "{provisioned, result: .refusal.result, errno: .refusal.errno_name, platform: .refusal.platform}" /var/lib/containai/state.json
		"$CAI" status >/dev/null; echo "status=$?"'
	assert_line "setup=1"
	assert_line '[2/7] Seccomp user notification: busy (EBUSY)'
	assert_line --regexp '^box: +WARNING Sysbox on WSL2 may not work due to seccomp filter conflicts\. '
	assert_output --partial "Your WSL version (1.1.0+) has a seccomp filter on PID 1 that conflicts with Sysbox's seccomp-notify mechanism (the kernel answered EBUSY"
	assert_output --partial "Docker Sandbox will still work (this is the hard requirement). Sysbox provides additional isolation but is optional."
	assert_output --partial "1. Proceed anyway: cai setup --force 2. Downgrade WSL: wsl --update --web-download --version 1.0.3"
	assert_output --partial "switch WSL networking to NAT: networkingMode=nat"
	assert_output --partial "3. Skip Sysbox: Use Docker Sandbox without Sysbox"
	assert_output --partial "cai: setup refused: nothing was changed."
	refute_line --regexp '^\[3/7\]'
	assert_line "no /etc/containai"
	assert_line "no engine"
	assert_line "no context"
	assert_line '{"provisioned":null,"result":"busy","errno":"EBUSY","platform":"wsl2"}'
	assert_line "status=4"
}

@test "the warning box: every line the same width, UTF-8 borders in a UTF-8 locale, ASCII otherwise" {
	run in_sandbox '
		fake_wsl2
		LANG=C.UTF-8 "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup 2>/run/utf8 >/dev/null
		LANG=C LC_ALL=C "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup 2>/run/ascii >/dev/null
		python3 - /run/utf8 /run/ascii <<"PY"
import sys
for name, path, corners in (("utf8", sys.argv[1], "║╔╠╚"), ("ascii", sys.argv[2], "|+")):
    widths = {len(l.rstrip("\n")) for l in open(path, encoding="utf-8") if l[:1] and l[0] in corners}
    for w in sorted(widths):
        print(name, "width", w)
PY
		grep -c "^║" /run/utf8 | sed "s/^/utf8 lines /"
		LC_ALL=C grep -c "[^ -~]" /run/ascii | sed "s/^/ascii non-ascii /"'
	assert_line "utf8 width 76"
	assert_line "ascii width 76"
	refute_line --regexp '^(utf8|ascii) width [^7]'
	assert_line --regexp '^utf8 lines (1[0-9]|[2-9][0-9])$'
	assert_line "ascii non-ascii 0"
}

@test "WSL2 with EINVAL (old kernel): the warning says unsupported and names EINVAL" {
	run in_sandbox '
		fake_wsl2
		"$TEST_BIN/seccomp-harness" errno EINVAL -- "$CAI" setup; echo "setup=$?"'
	assert_line "setup=1"
	assert_line '[2/7] Seccomp user notification: unsupported (EINVAL)'
	assert_output --partial "This WSL kernel has no seccomp user notification"
	assert_output --partial "(the kernel answered EINVAL)"
	refute_output --partial "networkingMode=nat"
	refute_output --partial "Downgrade WSL"
	assert_output --partial "2. Update the WSL kernel: wsl --update, then wsl --shutdown"
}

@test "WSL2 with EBUSY in mirrored mode (wslinfo): the box names WSL's version and mode and advises NAT, not a downgrade" {
	run in_sandbox '
		source "$HELPERS/doctor-lib.bash"
		fake_wsl2
		stand_in_wslinfo mirrored 2.3.26
		LANG=C "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup 2>/run/err; echo "setup=$?"
		echo "box: $(sed -n "s/^| \(.*\) |\$/\1/p" /run/err | tr "\n" " " | tr -s " ")"
		grep "warning:" /run/err
		stand_in_wslinfo nat 2.3.26
		LANG=C "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup 2>/run/err2; echo "nat=$?"
		echo "nat box: $(sed -n "s/^| \(.*\) |\$/\1/p" /run/err2 | tr "\n" " " | tr -s " ")"'
	assert_line "setup=1"
	assert_output --partial "WSL version: 2.3.26; networking mode: mirrored."
	assert_output --partial "1. Proceed anyway: cai setup --force 2. Switch WSL networking to NAT: networkingMode=nat under [wsl2] in %UserProfile%\.wslconfig, then wsl --shutdown 3. Skip Sysbox"
	assert_line --regexp '^box: .*' 
	refute_line --regexp '^box: .*Downgrade WSL'
	# The doctor's WSL warnings come with it, before anything is changed.
	assert_output --partial "warning: WSL networking mode (wsl-networking): networking mode mirrored"
	assert_line "nat=1"
	assert_line --regexp '^nat box: .*WSL version: 2\.3\.26; networking mode: nat\..* 2\. Downgrade WSL: wsl --update --web-download --version 1\.0\.3 3\. Skip Sysbox'
	refute_line --regexp '^nat box: .*networkingMode=nat'
}

@test "WSL2 with EBUSY and --force: the warning is shown and setup provisions" {
	run in_sandbox --sysbox-stub '
		fake_wsl2
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" setup --force; echo "setup=$?"
		echo "runtimes=$(engine_runtimes)"
		jq -c "{provisioned, forced_by, refusal}" /var/lib/containai/state.json
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" status >/dev/null; echo "status=$?"'
	assert_line "setup=0"
	assert_output --partial "Sysbox on WSL2 may not work due to seccomp filter conflicts."
	assert_output --partial "warning: proceeding anyway, forced by --force"
	assert_line --regexp '^runtimes=.*"sysbox-runc".* runc$'
	assert_line '{"provisioned":true,"forced_by":"--force","refusal":null}'
	assert_line "status=3"
}

@test "CAI_FORCE=1 forces past the refusal" {
	run in_sandbox --sysbox-stub '
		fake_wsl2
		CAI_FORCE=1 "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup; echo "setup=$?"
		jq -r .forced_by /var/lib/containai/state.json'
	assert_line "setup=0"
	assert_output --partial "forced by CAI_FORCE=1"
	assert_line "CAI_FORCE=1"
}

@test "the marker file /etc/containai/force-sysbox forces past the refusal; CAI_FORCE=0 does not" {
	run in_sandbox --sysbox-stub '
		fake_wsl2
		CAI_FORCE=0 "$TEST_BIN/seccomp-harness" listener -- "$CAI" setup >/dev/null 2>&1; echo "unforced=$?"
		mkdir -p /etc/containai && touch /etc/containai/force-sysbox
		"$TEST_BIN/seccomp-harness" listener -- "$CAI" setup; echo "setup=$?"
		jq -r .forced_by /var/lib/containai/state.json'
	assert_line "unforced=1"
	assert_line "setup=0"
	assert_line "/etc/containai/force-sysbox"
}

@test "--dry-run on a fresh machine prints every action and writes nothing" {
	run in_sandbox '
		"$CAI" setup --dry-run --no-install-sysbox; echo "setup=$?"
		[ -e /run/containai-docker.pid ] || echo "no engine"
		ip link show cai0 >/dev/null 2>&1 || echo "no bridge"'
	assert_line "setup=0"
	assert_line "Dry run: nothing will be changed."
	assert_line --regexp '^      would: register runtime `sysbox-runc`'
	assert_line --regexp '^      would: start /usr/sbin/dockerd --config-file /etc/containai/docker/daemon.json --host unix:///var/run/docker-containai.sock'
	assert_line --regexp '^      would: create it for user root'
	if [ -x /usr/sbin/squid ]; then
		assert_line '      would: start the egress proxy on http://172.31.241.1:3228 (pidfile /run/containai/egress/cai-egress.pid)'
	fi
	assert_line --regexp '^Dry run: [0-9]+ change\(s\) would be made; nothing was changed\.$'
	assert_line "no engine"
	assert_line "no bridge"
	run written_files
	assert_output ""
}

@test "--dry-run on a provisioned machine changes nothing: every file it could touch hashes the same" {
	run in_sandbox --sysbox-stub '
		mkdir -p /etc/docker && echo "{\"log-level\":\"info\"}" >/etc/docker/daemon.json
		"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI_DAEMON_JSON_BIN" remove-runtime sysbox-runc >/dev/null
		paths="/etc/containai /etc/docker /root /var/lib/containai /var/log/containai /run/containai-docker.pid"
		before=$(hash_tree $paths); pid=$(cat /run/containai-docker.pid)
		"$CAI" setup --dry-run; echo "dry=$?"
		after=$(hash_tree $paths)
		[ "$before" = "$after" ] && echo "hashes equal"
		[ "$pid" = "$(cat /run/containai-docker.pid)" ] && echo "same engine"'
	assert_line "dry=0"
	assert_line --regexp '^      would: register runtime `sysbox-runc`'
	assert_line --regexp '^      would: reload dockerd with SIGHUP'
	assert_line "hashes equal"
	assert_line "same engine"
}

@test "a changed runtime entry is applied with SIGHUP: same engine pid, runtime listed again" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		# An engine started without the runtime (dockerd reloads the runtimes
		# map on SIGHUP only while daemon.json has a "runtimes" key).
		"$CAI" engine stop >/dev/null
		"$CAI_DAEMON_JSON_BIN" remove-runtime sysbox-runc >/dev/null
		"$CAI" engine start >/dev/null
		pid=$(cat /run/containai-docker.pid)
		echo "without=$(engine_runtimes)"
		"$CAI" setup; echo "setup=$?"
		# dockerd applies the SIGHUP in the background: until it lists the runtime.
		for _ in $(seq 50); do engine_runtimes | grep -q "\"sysbox-runc\"" && break; sleep 0.1; done
		echo "with=$(engine_runtimes)"
		[ "$pid" = "$(cat /run/containai-docker.pid)" ] && echo "same engine"'
	refute_line --regexp '^without=.*sysbox-runc'
	assert_line "setup=0"
	assert_line --regexp 'done: +reload dockerd with SIGHUP'
	assert_line --regexp '^with=.*"sysbox-runc"'
	assert_line "same engine"
}

@test "an admin's keys in the engine's daemon.json are kept" {
	run in_sandbox --sysbox-stub '
		mkdir -p /etc/containai/docker
		printf "{\n  \"log-level\": \"warn\",\n  \"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Hard\": 65536, \"Soft\": 1024}}\n}\n" >/etc/containai/docker/daemon.json
		"$CAI" setup >/dev/null 2>&1; echo "setup=$?"
		jq -c "{l: .[\"log-level\"], u: .[\"default-ulimits\"].nofile.Hard, r: .runtimes[\"sysbox-runc\"].path, d: .[\"default-runtime\"]}" /etc/containai/docker/daemon.json
		docker -H unix:///var/run/docker-containai.sock info --format "{{.LoggingDriver}}" >/dev/null && echo "engine answers"'
	assert_line "setup=0"
	assert_line '{"l":"warn","u":65536,"r":"/usr/bin/sysbox-runc","d":null}'
	assert_line "engine answers"
}

@test "daemon.json setting a directive that cai passes as a flag: step 4 fails naming it, nothing started" {
	run in_sandbox '
		mkdir -p /etc/containai/docker
		echo "{\"data-root\": \"/srv/docker\"}" >/etc/containai/docker/daemon.json
		"$CAI" setup --no-install-sysbox; echo "setup=$?"
		[ -e /run/containai-docker.pid ] || echo "no engine"
		cat /etc/containai/docker/daemon.json'
	assert_line "setup=3"
	assert_output --partial 'step 4/7 (engine configuration) failed: `/etc/containai/docker/daemon.json` sets `data-root`'
	assert_output --partial "remove that key"
	assert_line "no engine"
	assert_line '{"data-root": "/srv/docker"}'
}

@test "invalid JSON in the engine's daemon.json: step 4 fails with line and column, the file is kept byte for byte" {
	run in_sandbox '
		mkdir -p /etc/containai/docker
		printf "{\n  \"log-level\": \"warn\",\n}\n" >/etc/containai/docker/daemon.json
		sum=$(sha256sum </etc/containai/docker/daemon.json)
		"$CAI" setup --no-install-sysbox; echo "setup=$?"
		[ "$sum" = "$(sha256sum </etc/containai/docker/daemon.json)" ] && echo "file kept"'
	assert_line "setup=3"
	assert_output --regexp 'step 4/7 \(engine configuration\) failed: .*line 3'
	assert_line "file kept"
}

@test "the user's default and desktop-linux contexts, Docker Desktop's files and /etc/docker are byte-identical afterwards" {
	run in_sandbox --sysbox-stub '
		fake_docker_desktop
		mkdir -p /etc/docker && printf "{\"log-level\": \"info\"}\n" >/etc/docker/daemon.json
		docker --context default context create desktop-linux --docker host=unix:///mnt/wsl/docker-desktop/shared-sockets/guest-services/docker.proxy.sock >/dev/null
		docker context use desktop-linux >/dev/null 2>&1
		cp /root/.docker/config.json /run/config.before
		paths="/etc/docker /mnt/wsl /root/.docker/config.json /root/.docker/contexts/meta/$(printf desktop-linux | sha256sum | cut -d" " -f1)"
		before=$(hash_tree $paths)
		"$CAI" setup >/dev/null 2>&1; echo "setup=$?"
		"$CAI" teardown --purge >/dev/null 2>&1; echo "teardown=$?"
		after=$(hash_tree $paths)
		[ "$before" = "$after" ] && echo "hashes equal"
		echo "current=$(jq -r ".currentContext // \"default\"" /root/.docker/config.json 2>/dev/null || echo default)"'
	assert_line "setup=0"
	assert_line "teardown=0"
	assert_line "hashes equal"
	assert_line "current=desktop-linux"
}

@test "an existing containai-secure context with another endpoint is not clobbered without --force" {
	run in_sandbox --sysbox-stub '
		docker --context default context create containai-secure --docker host=unix:///run/someone-else.sock >/dev/null
		"$CAI" setup; echo "setup=$?"
		echo "ctx=$(docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}")"
		"$CAI" setup --force >/dev/null 2>&1; echo "forced=$?"
		echo "ctx=$(docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}")"'
	assert_line "setup=3"
	assert_output --partial 'already has a context `containai-secure` pointing at `unix:///run/someone-else.sock`; leaving it alone (rerun with --force'
	assert_line "ctx=unix:///run/someone-else.sock"
	assert_line "forced=0"
	assert_line "ctx=unix:///var/run/docker-containai.sock"
}

@test "a broken currentContext and a DOCKER_HOST in the environment do not break setup" {
	run in_sandbox --sysbox-stub '
		mkdir -p /root/.docker && echo "{\"currentContext\": \"gone-away\"}" >/root/.docker/config.json
		sum=$(sha256sum </root/.docker/config.json)
		DOCKER_HOST=tcp://127.0.0.1:1 DOCKER_CONTEXT=gone-away "$CAI" setup; echo "setup=$?"
		[ "$sum" = "$(sha256sum </root/.docker/config.json)" ] && echo "config.json untouched"'
	assert_line "setup=0"
	assert_line --regexp 'ok +engine answers through the context'
	assert_line "config.json untouched"
}

@test "the user behind sudo gets their own context, owned by them" {
	run in_sandbox --sysbox-stub '
		useradd -m -s /bin/sh alice
		SUDO_USER=alice SUDO_UID=$(id -u alice) SUDO_GID=$(id -g alice) "$CAI" setup; echo "setup=$?"
		echo "alice=$(setpriv --reuid=alice --regid=alice --init-groups env HOME=/home/alice docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}")"
		echo "owner=$(stat -c %U /home/alice/.docker)"
		find /home/alice/.docker ! -user alice | sed "s/^/not alice: /"'
	assert_line "setup=0"
	assert_line --regexp 'done: +create it for user root'
	assert_line --regexp 'done: +create it for user alice \(/home/alice/.docker\)'
	assert_line "alice=unix:///var/run/docker-containai.sock"
	assert_line "owner=alice"
	refute_output --partial "not alice:"
}

@test "--verbose shows each command run" {
	run in_sandbox --sysbox-stub '"$CAI" setup --verbose 2>&1; echo "setup=$?"'
	assert_line "setup=0"
	assert_line --regexp '^\+ ip link add cai0 type bridge$'
	assert_line --regexp '^\+ docker --context default context create containai-secure '
	assert_line --regexp '^\+ docker --context containai-secure info --format'
}

@test "setup without a docker CLI stops before changing anything and names the packages" {
	run in_sandbox --sysbox-stub '
		rm -f /usr/bin/docker /usr/local/bin/docker
		"$CAI" setup; echo "setup=$?"
		[ -e /etc/containai ] || echo "no /etc/containai"
		[ -e /run/containai-docker.pid ] || echo "no engine"'
	assert_line "setup=3"
	assert_output --partial "cai: step 2/7 (docker) failed: the docker CLI was not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin: install docker-cli (Debian 13), docker.io (Debian 12) or docker-ce-cli (Docker's packages)"
	assert_line "no /etc/containai"
	assert_line "no engine"
}
