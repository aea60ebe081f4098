#!/bin/sh
# Install what building and testing containai-secure-engine needs, on Debian
# or a derivative. Idempotent and non-interactive: installs only what is
# missing, and runs `apt-get update` only then.
set -eu

# musl-tools and musl build and test the shim's musl twin.
# strace, busybox-static, curl, git, file and systemd
# (systemd-socket-activate, systemd-analyze) are used by the audit tests;
# apt-utils (apt-ftparchive), gpg and createrepo-c build `make repo`;
# systemd-container (systemd-nspawn) boots the Debian root with systemd that
# test/bats/package-systemd.bats installs into;
# snoopy by `make bench` only, loaded with LD_PRELOAD: its debconf question
# about /etc/ld.so.preload defaults to no and is never answered yes here.
# squid is the egress proxy of agent containers (Debian starts its own
# squid.service on install where systemd runs: ours listens elsewhere);
# openssl makes the egress tests' self-signed certificate; clang-format
# checks the sources' layout (make format-check). CPython's own test suite
# (libpython3.X-testsuite, for the system's python3) is a real program's
# tests run under the shim (test/bats/shim-robust.bats).
packages="
build-essential
pkg-config
musl-tools
musl
libseccomp-dev
libjq-dev
jq
bats
bats-assert
bats-support
bats-file
python3
util-linux
iproute2
procps
docker.io
passwd
man-db
strace
busybox-static
curl
git
file
systemd
snoopy
clang-14
clang-format
libfuzzer-14-dev
debhelper
po-debconf
lintian
devscripts
rpm
debootstrap
zstd
shellcheck
apt-utils
gpg
createrepo-c
systemd-container
squid
openssl
"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (sudo make deps)" >&2
	exit 1
fi

# missing_of PACKAGES: those not installed.
missing_of() {
	for p in "$@"; do
		status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf ' %s' "$p"
	done
}

# install_missing PACKAGES: the ones missing, with one `apt-get update` first.
updated=no
install_missing() {
	missing=$(missing_of "$@")
	[ -n "$missing" ] || return 0
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$updated" = no ]; then
		apt-get update -qq
		updated=yes
	fi
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -qq --no-install-recommends $missing
}

# shellcheck disable=SC2086 # word splitting of the package list is wanted
install_missing $packages
# python3 is in the list: its version names its test suite.
py=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
install_missing "libpython$py-testsuite"
echo "install-deps: all build and test dependencies are installed"
