# Shared setup for the bats suites. Binaries come from environment
# variables set by scripts/run-tests.sh, never from PATH.

load_libs() {
	bats_require_minimum_version 1.5.0
	bats_load_library bats-support
	bats_load_library bats-assert
}

: "${CAI_SECCOMP_PROBE:?run the tests through make check}"
: "${CAI_TEST_BIN:?run the tests through make check}"
SECCOMP_HARNESS="$CAI_TEST_BIN/seccomp-harness"

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for private mount namespaces (run make check as root)"
	unshare --mount --propagation private true 2>/dev/null ||
		skip "unshare --mount is not permitted here"
}

kernel_has_user_notif() {
	grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null
}

require_user_notif() {
	kernel_has_user_notif || skip "this kernel does not list user_notif in actions_avail"
	[ "$(awk '/^Seccomp:/ {print $2}' /proc/self/status)" = 0 ] ||
		skip "the test runner itself runs under a seccomp filter"
}

# Real kernel strings, as WSL reports them.
WSL1_OSRELEASE='4.4.0-19041-Microsoft'
WSL1_VERSION='Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021'
WSL2_419_OSRELEASE='4.19.128-microsoft-standard'
WSL2_419_VERSION='Linux version 4.19.128-microsoft-standard (oe-user@oe-host) (gcc version 8.2.0 (GCC)) #1 SMP Tue Jun 23 12:58:10 UTC 2020'
WSL2_515_OSRELEASE='5.15.167.4-microsoft-standard-WSL2'
WSL2_515_VERSION='Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024'

# with_fake_platform [--osrelease S] [--version S] [--interop] [--interop-late]
#                    [--run-wsl] [--docker-desktop] [--docker-desktop-socket] -- CMD...
# Runs CMD in a private mount namespace where /proc/version,
# /proc/sys/kernel/osrelease and WSL's marker files say what we ask. Nothing
# outside the namespace changes.
with_fake_platform() {
	local osrelease="" version="" interop="" interop_late="" run_wsl="" dd="" dd_socket=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--osrelease) osrelease=$2; shift 2 ;;
		--version) version=$2; shift 2 ;;
		--interop) interop=1; shift ;;
		--interop-late) interop_late=1; shift ;;
		--run-wsl) run_wsl=1; shift ;;
		--docker-desktop) dd=1; shift ;;
		--docker-desktop-socket) dd=1; dd_socket=1; shift ;;
		--) shift; break ;;
		*) echo "with_fake_platform: unknown option $1" >&2; return 2 ;;
		esac
	done
	local dir="$BATS_TEST_TMPDIR/fake-platform"
	mkdir -p "$dir"
	[ -n "$osrelease" ] && printf '%s\n' "$osrelease" >"$dir/osrelease"
	[ -n "$version" ] && printf '%s\n' "$version" >"$dir/version"
	FAKE_DIR=$dir FAKE_INTEROP=$interop FAKE_INTEROP_LATE=$interop_late FAKE_RUN_WSL=$run_wsl \
		FAKE_DD=$dd FAKE_DD_SOCKET=$dd_socket \
		unshare --mount --propagation private -- sh -ec '
		if [ -f "$FAKE_DIR/osrelease" ]; then mount --bind "$FAKE_DIR/osrelease" /proc/sys/kernel/osrelease; fi
		if [ -f "$FAKE_DIR/version" ]; then mount --bind "$FAKE_DIR/version" /proc/version; fi
		# Hide the host'"'"'s own markers, then add the ones asked for.
		mount -t tmpfs tmpfs /proc/sys/fs/binfmt_misc
		mount -t tmpfs tmpfs /mnt
		mount -t tmpfs tmpfs /run
		if [ -n "$FAKE_INTEROP" ]; then echo enabled >/proc/sys/fs/binfmt_misc/WSLInterop; fi
		if [ -n "$FAKE_INTEROP_LATE" ]; then echo enabled >/proc/sys/fs/binfmt_misc/WSLInterop-late; fi
		if [ -n "$FAKE_RUN_WSL" ]; then mkdir /run/WSL; fi
		if [ -n "$FAKE_DD" ]; then mkdir -p /mnt/wsl/docker-desktop /mnt/wsl/docker-desktop-bind-mounts; fi
		if [ -n "$FAKE_DD_SOCKET" ]; then
			d=/mnt/wsl/docker-desktop/shared-sockets/guest-services
			mkdir -p "$d"
			python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$d/docker.proxy.sock"
		fi
		exec "$@"' sh "$@"
}

# in_sandbox [--sysbox-stub|--sysbox-broken] SCRIPT: run a bash script inside
# test/helpers/cai-sandbox (with this build's egress helper where setup
# looks for it: setup starts the proxy when squid is installed), with $CAI, $CAI_DAEMON_JSON_BIN, $SCRATCH and
# sandbox-lib.bash available. Sets SCRATCH (the overlays' upper dirs are in
# $SCRATCH/upper) for assertions afterwards.
in_sandbox() {
	local stub=()
	if [ "$1" = "--sysbox-stub" ] || [ "$1" = "--sysbox-broken" ]; then
		stub=("$1")
		shift
	fi
	mkdir -p "$SCRATCH"
	CAI_AGENT_INIT=${CAI_AGENT_INIT:-} CAI_EGRESS_ACL=$(dirname "$CAI_BIN")/cai-egress-acl CAI=$CAI_BIN CAI_DAEMON_JSON_BIN=$CAI_DAEMON_JSON TEST_BIN=$CAI_TEST_BIN HELPERS=$BATS_TEST_DIRNAME/../helpers \
		"$BATS_TEST_DIRNAME/../helpers/cai-sandbox" "$SCRATCH" "${stub[@]}" -- \
		bash -c 'set -u; source "$HELPERS/sandbox-lib.bash"; '"$1"
}

require_sandbox() {
	SCRATCH=$BATS_TEST_TMPDIR/sandbox
	require_root
	command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || skip "dockerd is not installed (apt-get install docker.io)"
	command -v docker >/dev/null || skip "the docker CLI is not installed"
}

# Files written under the sandbox's overlays, except the engine's data dir.
written_files() {
	(cd "$SCRATCH/upper" && find . -mindepth 1 \( -type f -o -type l -o -type c \) | sort)
}
