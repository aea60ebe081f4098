#!/usr/bin/env bats
# make repo: the signed repositories fleets install from (scripts/make-repo.sh).
# Installing from the apt repository under a real systemd is in
# package-systemd.bats; here, what the files promise: signatures that verify
# with the published key and fail on a changed byte, indexes that name the
# packages with their checksums.

setup() {
	load ../helpers/common
	load ../helpers/package
	load_libs
	[ "${SANITIZE:-0}" != 1 ] || skip "the packages are a plain build; their tests run once, in the plain suite"
	DEB=$(deb_file 0.1.0)
	RPM=$(rpm_file)
	command -v apt-ftparchive >/dev/null || skip "apt-ftparchive is not installed (apt-get install apt-utils)"
	command -v createrepo_c >/dev/null || skip "createrepo_c is not installed (apt-get install createrepo-c)"
	command -v gpgv >/dev/null || skip "gpgv is not installed"
	OUT=$BATS_TEST_TMPDIR/repo
	export REPO_TEST_GNUPGHOME=$BATS_TEST_TMPDIR/gnupg
}

@test "the apt repository: InRelease and Release.gpg verify with the published keyring; Packages has the .deb and its sha256" {
	run sh "$CAI_TOP/scripts/make-repo.sh" "$OUT" "$DEB" "$RPM"
	assert_success
	assert_output --partial "apt repository with 1 package(s)"
	assert_output --partial "rpm repository with 1 package(s)"
	local k=$OUT/containai-archive-keyring.gpg d=$OUT/apt/dists/stable
	run gpgv --keyring "$k" "$d/InRelease"
	assert_success
	run gpgv --keyring "$k" "$d/Release.gpg" "$d/Release"
	assert_success
	run grep -E '^(Suite|Codename|Components|Architectures):' "$d/Release"
	assert_line "Suite: stable"
	assert_line "Components: main"
	assert_line "Architectures: $(dpkg --print-architecture)"
	local p=$d/main/binary-$(dpkg --print-architecture)/Packages
	run grep -E '^(Package|Version|Filename|SHA256):' "$p"
	assert_line "Package: containai-secure-engine"
	assert_line "Version: 0.1.0"
	assert_line "Filename: pool/main/$(basename "$DEB")"
	assert_line "SHA256: $(sha256sum <"$DEB" | cut -d' ' -f1)"
	# Release lists the index with its checksum.
	grep -q " $(sha256sum <"$p" | cut -d' ' -f1) .* main/binary-$(dpkg --print-architecture)/Packages$" "$d/Release"
}

@test "a changed byte in the signed Release, or another key, fails verification" {
	sh "$CAI_TOP/scripts/make-repo.sh" "$OUT" "$DEB" >/dev/null 2>&1
	local k=$OUT/containai-archive-keyring.gpg d=$OUT/apt/dists/stable
	sed -i 's/^Suite: stable$/Suite: stablE/' "$d/Release"
	run gpgv --keyring "$k" "$d/Release.gpg" "$d/Release"
	assert_failure
	assert_output --partial "BAD signature"
	# A repository made with another key does not verify with the first one.
	cp "$k" "$BATS_TEST_TMPDIR/first.gpg"
	REPO_TEST_GNUPGHOME=$BATS_TEST_TMPDIR/other sh "$CAI_TOP/scripts/make-repo.sh" "$BATS_TEST_TMPDIR/other-repo" "$DEB" >/dev/null 2>&1
	run gpgv --keyring "$BATS_TEST_TMPDIR/first.gpg" "$BATS_TEST_TMPDIR/other-repo/apt/dists/stable/InRelease"
	assert_failure
}

@test "the rpm repository: repodata lists the .rpm, repomd.xml's signature verifies" {
	sh "$CAI_TOP/scripts/make-repo.sh" "$OUT" "$RPM" >/dev/null 2>&1
	run gpgv --keyring "$OUT/containai-archive-keyring.gpg" "$OUT/rpm/repodata/repomd.xml.asc" "$OUT/rpm/repodata/repomd.xml"
	assert_success
	run bash -c "zcat '$OUT'/rpm/repodata/*-primary.xml.gz | grep -o '<name>[^<]*</name>\|<location href=\"[^\"]*\"'"
	assert_line "<name>containai-secure-engine</name>"
	assert_line "<location href=\"$(basename "$RPM")\""
	run grep -E '^(baseurl|repo_gpgcheck)=' "$OUT/rpm/containai.repo"
	assert_line "repo_gpgcheck=1"
}

@test "make-repo refuses what is not a package, and says how to call it" {
	run sh "$CAI_TOP/scripts/make-repo.sh" "$OUT"
	assert_failure 2
	assert_output --partial "usage: make-repo.sh OUT PACKAGE..."
	run sh "$CAI_TOP/scripts/make-repo.sh" "$OUT" /etc/hostname
	assert_failure 2
	assert_output --partial "not a .deb or .rpm: /etc/hostname"
}
