# Shared setup for the package suites (package-deb.bats, package-rpm.bats).
# The packages come from `make deb` / `make rpm` (built once by `make check`),
# found through CAI_PKG_DIR; the Debian root is test/helpers/pkg-root's cache.

: "${CAI_PKG_DIR:?run the tests through make check}"

require_pkg_sandbox() {
	SCRATCH=$BATS_TEST_TMPDIR/pkg
	require_root
	command -v chroot >/dev/null || skip "chroot is not installed"
	local cache=${CAI_PKG_ROOT_CACHE:-/var/cache/containai-test/${CAI_PKG_SUITE:-bookworm}-minbase.tar.zst}
	[ -f "$cache" ] || command -v debootstrap >/dev/null ||
		skip "debootstrap is not installed and no cached root at $cache (apt-get install debootstrap)"
	command -v zstd >/dev/null || skip "zstd is not installed (it unpacks the cached root)"
}

# The tests that check the .deb itself, not how it installs: once, on the
# default suite.
require_default_suite() {
	[ "${CAI_PKG_SUITE:-bookworm}" = bookworm ] || skip "the same .deb as on Debian 12, checked there"
}

# The one .deb (or .rpm) of that version in CAI_PKG_DIR; skips when absent.
deb_file() { # VERSION
	local f=$CAI_PKG_DIR/containai-secure-engine_$1_$(dpkg --print-architecture).deb
	[ -f "$f" ] || skip "$f is not built (make deb; it needs debhelper, po-debconf and lintian)"
	echo "$f"
}

rpm_file() {
	command -v rpm >/dev/null || skip "rpm is not installed (apt-get install rpm)"
	local f=$CAI_PKG_DIR/containai-secure-engine-0.1.0-1.$(uname -m).rpm
	[ -f "$f" ] || skip "$f is not built (make rpm; it needs rpmbuild from Debian's rpm package)"
	echo "$f"
}

# Release 2 of the same .rpm, built from the same build tree, for upgrades.
rpm_next_file() {
	local f
	f=$CAI_PKG_DIR/next/containai-secure-engine-0.1.0-2.$(uname -m).rpm
	[ -f "$f" ] || skip "$f is not built (make packages-for-tests)"
	echo "$f"
}

# in_pkg_sandbox SCRIPT: run a bash script beside a fresh Debian root ($R),
# with pkg-lib.bash, $DEB, $RPM, $DEB_NEXT, $RPM_NEXT and $TEST_BIN available.
in_pkg_sandbox() {
	mkdir -p "$SCRATCH"
	TEST_BIN=$CAI_TEST_BIN HELPERS=$BATS_TEST_DIRNAME/../helpers DEB=${DEB:-} RPM=${RPM:-} \
		DEB_NEXT=${DEB_NEXT:-} RPM_NEXT=${RPM_NEXT:-} \
		"$BATS_TEST_DIRNAME/../helpers/pkg-sandbox" "$SCRATCH" -- \
		bash -c 'set -u; source "$HELPERS/pkg-lib.bash"; '"$1"
}

# next_deb DIR: $DEB as version 0.1.1, for upgrades, written into DIR; prints
# its path. An upgrade runs the new package's maintainer scripts, which are
# these; a rebuild from the sources with a changelog entry for 0.1.1 would
# differ only in that entry (cai takes its own version from the Makefile).
next_deb() {
	local f
	f=$1/containai-secure-engine_0.1.1_$(dpkg --print-architecture).deb
	rm -rf "$1/pkg"
	mkdir -p "$1"
	dpkg-deb -R "$DEB" "$1/pkg"
	sed -i 's/^Version: .*/Version: 0.1.1/' "$1/pkg/DEBIAN/control"
	dpkg-deb -b --root-owner-group "$1/pkg" "$f" >/dev/null
	echo "$f"
}
