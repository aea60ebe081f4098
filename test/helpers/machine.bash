# A Debian root booted with its own systemd (systemd-nspawn), for the
# package suite that needs a real init: test/bats/package-systemd.bats.
# The root is test/helpers/pkg-root's systemd flavour, unpacked afresh for
# each boot group; the machine has no network but its own loopback. The
# host has no systemd: hence --register=no --keep-unit. Commands run inside
# through nsenter into the machine's namespaces (root, pid, mount, net...).

# machine_unpack DIR: a fresh root in DIR (the cached tarball of
# CAI_PKG_SUITE with systemd).
machine_unpack() {
	CAI_PKG_FLAVOUR=systemd "$CAI_TOP/test/helpers/pkg-root" unpack "$1"
}

# machine_boot ROOT LOG: boot it in the background and wait until systemd
# says the boot is finished. Sets MACHINE_NSPAWN and MACHINE_INIT (pids).
# MACHINE_WRAP, when set, is a command (words) the whole machine runs under:
# "seccomp-harness listener --" boots it under a seccomp listener, as WSL's
# init holds one over everything it starts.
machine_boot() {
	local root=$1 log=$2 state
	# fd 3 is bats's: a background machine holding it would hang the run.
	# The unified cgroup hierarchy inside, whatever the host uses: on a
	# cgroup v1 host nspawn mounts v1 controllers read-only, where no
	# container could start.
	# A cgroup of its own (test/helpers/machine-cgroup). nspawn's seccomp
	# filter denies the session keyring and bpf, which runc uses for every
	# container (cgroup v2 device rules are bpf programs): allowed here.
	MACHINE_CGROUP=cai-machine-$$-$RANDOM
	# shellcheck disable=SC2086 # MACHINE_WRAP is words on purpose
	"$CAI_TOP/test/helpers/machine-cgroup" exec "$MACHINE_CGROUP" -- ${MACHINE_WRAP:-} env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
		systemd-nspawn -q --register=no --keep-unit --capability=all --private-network \
		--system-call-filter="add_key keyctl request_key bpf" -D "$root" -b </dev/null >>"$log" 2>&1 3>&- &
	MACHINE_NSPAWN=$!
	MACHINE_INIT=""
	for _ in $(seq 1 100); do
		# Under a wrapper, nspawn is the wrapper's child (or the wrapper
		# itself, once it execs): systemd is a grandchild at most.
		MACHINE_INIT=$(pgrep -P "$MACHINE_NSPAWN" -x systemd ||
			pgrep -P "$(pgrep -P "$MACHINE_NSPAWN" | head -1)" -x systemd) && break
		kill -0 "$MACHINE_NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$MACHINE_INIT" ] || { echo "machine: systemd did not start; console:" >&2; tail -20 "$log" >&2; return 1; }
	export MACHINE_NSPAWN MACHINE_INIT MACHINE_CGROUP
	# Until its bus is up systemctl cannot ask; then --wait waits for the boot.
	for _ in $(seq 1 300); do
		state=$(timeout 90 nsenter -t "$MACHINE_INIT" -m -u -i -n -p -- systemctl is-system-running --wait 2>&1) || true
		case "$state" in
		running | degraded) return 0 ;;
		*"Failed to connect to"* | offline | initializing | starting) sleep 0.1 ;;
		*) break ;;
		esac
	done
	echo "machine: boot did not finish ($state); console:" >&2
	tail -20 "$log" >&2
	return 1
}

# in_machine SCRIPT: bash SCRIPT inside the machine, as root, with the clean
# environment of a login (what an admin's shell would have).
in_machine() {
	nsenter -t "$MACHINE_INIT" -m -u -i -n -p -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive bash -c "$1"
}

# machine_wait_active UNIT...: until each unit is active (60 s at most).
machine_wait_active() {
	local u
	for u in "$@"; do
		for _ in $(seq 1 600); do
			[ "$(in_machine "systemctl is-active $u")" = active ] && break
			sleep 0.1
		done
	done
}

# machine_poweroff: a clean shutdown, waited for (60 s at most).
machine_poweroff() {
	in_machine 'systemctl poweroff' || true
	for _ in $(seq 1 600); do
		if ! kill -0 "$MACHINE_NSPAWN" 2>/dev/null; then
			machine_kill
			return 0
		fi
		sleep 0.1
	done
	echo "machine: no poweroff within 60 s" >&2
	machine_kill
	return 1
}

# machine_kill: end the machine at once. Killing its init ends every process
# of its pid namespace (dockerd, containers); nspawn then exits.
machine_kill() {
	[ -n "${MACHINE_NSPAWN:-}" ] || return 0
	if kill -0 "$MACHINE_NSPAWN" 2>/dev/null; then
		[ -z "${MACHINE_INIT:-}" ] || kill -KILL "$MACHINE_INIT" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$MACHINE_NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$MACHINE_NSPAWN" 2>/dev/null || true
	fi
	# Its processes are gone: so may its cgroup go.
	for _ in $(seq 1 100); do
		[ -n "${MACHINE_CGROUP:-}" ] || break
		"$CAI_TOP/test/helpers/machine-cgroup" remove "$MACHINE_CGROUP" && break
		sleep 0.1
	done
	MACHINE_NSPAWN=""
}

# require_machine: what booting needs, or skip with the reason.
require_machine() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to boot a machine with systemd-nspawn"
	command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (apt-get install systemd-container)"
	command -v zstd >/dev/null || skip "zstd is not installed (it unpacks the cached root)"
	local cache=/var/cache/containai-test/${CAI_PKG_SUITE:-bookworm}-minbase.tar.zst
	[ -f "$cache" ] || command -v debootstrap >/dev/null ||
		skip "debootstrap is not installed and no cached root at $cache (apt-get install debootstrap)"
}
