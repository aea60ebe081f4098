# Sourced by scripts that run inside test/helpers/cai-sandbox.

WSL2_OSRELEASE='5.15.167.4-microsoft-standard-WSL2'
WSL2_VERSION='Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024'

# Make this sandbox look like WSL2 5.15 (its /proc is private to it).
fake_wsl2() {
	local d
	d=$(mktemp -d /run/fake-wsl.XXXXXX)
	printf '%s\n' "$WSL2_OSRELEASE" >"$d/osrelease"
	printf '%s\n' "$WSL2_VERSION" >"$d/version"
	mount --bind "$d/osrelease" /proc/sys/kernel/osrelease
	mount --bind "$d/version" /proc/version
}

# Docker Desktop's WSL integration, as its files look from a distro.
fake_docker_desktop() {
	mkdir -p /mnt/wsl/docker-desktop/shared-sockets/guest-services /mnt/wsl/docker-desktop-bind-mounts
	echo "docker desktop cli tools" >/mnt/wsl/docker-desktop/cli-tools.txt
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" \
		/mnt/wsl/docker-desktop/shared-sockets/guest-services/docker.proxy.sock
}

# sha256 of every regular file under the given paths, with their modes.
hash_tree() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || { echo "absent $p"; continue; }
		find "$p" \( -type f -o -type l \) -printf '%p %m %l\n' | sort
		find "$p" -type f -print0 | sort -z | xargs -0 -r sha256sum
	done
}

# The runtimes and default runtime that the engine itself reports.
engine_runtimes() {
	docker -H unix:///var/run/docker-containai.sock info --format '{{json .Runtimes}} {{.DefaultRuntime}}'
}

# The host's packet filter (IPv4, then IPv6) as iptables-save prints it,
# without its dated comments and the packet counters traffic changes.
rules_snapshot() {
	{ iptables-save; ip6tables-save; } | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
}

# Rules of an admin's own, which nothing of ours may touch: in the chains
# we jump from, and a chain of the admin's.
foreign_rules() {
	iptables -A INPUT -i lo -p tcp --dport 9 -m comment --comment "an admin's rule" -j ACCEPT
	iptables -N ADMIN-OWN
	iptables -A ADMIN-OWN -j RETURN
	iptables -I OUTPUT 1 -p udp --dport 9 -j ADMIN-OWN
	iptables -A FORWARD -i lo -j ACCEPT
	ip6tables -A INPUT -i lo -p tcp --dport 9 -j ACCEPT
}
