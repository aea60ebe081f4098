# Sourced by scripts that run inside test/helpers/pkg-sandbox: $R is the
# Debian root, $TEST_BIN the test helpers. Runs outside the root; enters it
# with chroot.

WSL2_OSRELEASE='5.15.167.4-microsoft-standard-WSL2'
WSL2_VERSION='Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024'

# CMD inside the root, with a clean environment as dpkg and apt would have
# it; CAI_FORCE and DEBIAN_FRONTEND pass through when set.
inroot() {
	local wrap=()
	busy_wrap
	"${wrap[@]}" chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \
		DEBIAN_FRONTEND="${DEBIAN_FRONTEND:-noninteractive}" ${CAI_FORCE:+CAI_FORCE="$CAI_FORCE"} "$@"
}

# rpm with the root's own database; rpm chroots into $R for the scriptlets.
rpm_root() {
	local wrap=()
	busy_wrap
	"${wrap[@]}" rpm --root "$R" --dbpath /var/lib/rpm "$@"
}

# `busy CMD...`: CMD (a program, inroot or rpm_root) under a parent that
# holds a seccomp listener, so the probe gets EBUSY, as on WSL 1.1.0+.
busy() {
	if declare -F "$1" >/dev/null; then
		BUSY=1 "$@"
	else
		"$TEST_BIN/seccomp-harness" listener -- "$@"
	fi
}

# Sets the caller's `wrap` array to the harness when called under `busy`.
busy_wrap() {
	if [ -n "${BUSY:-}" ]; then
		wrap=("$TEST_BIN/seccomp-harness" listener --)
	fi
}

# Make the root look like WSL2 5.15 (its proc is private to the sandbox).
fake_wsl2() {
	printf '%s\n' "$WSL2_OSRELEASE" >/tmp/pkg-sandbox-osrelease.$$
	printf '%s\n' "$WSL2_VERSION" >/tmp/pkg-sandbox-version.$$
	mount --bind /tmp/pkg-sandbox-osrelease.$$ "$R/proc/sys/kernel/osrelease"
	mount --bind /tmp/pkg-sandbox-version.$$ "$R/proc/version"
}

# Copy a package into the root's /tmp and print its path there.
stage() {
	cp "$1" "$R/tmp/"
	echo "/tmp/$(basename "$1")"
}

# Every path of the root with type and mode, except the kernel's and the
# package managers' own bookkeeping (dpkg and apt state, logs and caches,
# debconf's database), which an install and a purge legitimately change.
tree_listing() {
	(cd "$R" && find . \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run -o -path ./tmp \
		-o -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache/apt -o -path ./var/cache/debconf \
		-o -path ./var/lib/rpm -o -path ./var/log/dpkg.log -o -path ./var/log/apt -o -path ./var/log/alternatives.log \) \
		-prune -o -printf '%y %m %p\n' | sort)
}

# The root's /var/run is a symlink to /run, which from outside would be ours.
engine_answers() {
	docker -H "unix://$R/run/docker-containai.sock" version >/dev/null 2>&1
}

engine_pid() {
	local pid
	pid=$(cat "$R/run/containai-docker.pid" 2>/dev/null) || pid=none
	echo "$pid"
}

root_context() {
	local host
	if host=$(inroot docker --context default context inspect containai-secure --format '{{.Endpoints.docker.Host}}' 2>/dev/null); then
		echo "$host"
	else
		echo "no context"
	fi
}
