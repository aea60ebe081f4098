#!/bin/sh
# make-repo.sh OUT PACKAGE...
#
# Build signed package repositories from built packages, for fleets to
# install from by name: an apt repository (apt-ftparchive, suite `stable`,
# component `main`, InRelease and Release.gpg) in OUT/apt, and an rpm
# repository (createrepo_c, repomd.xml signed) in OUT/rpm, with the public
# key beside them (OUT/containai-archive-keyring.gpg for apt's signed-by,
# OUT/RPM-GPG-KEY-containai for rpm). Run by `make repo`; README.md says how
# to host and use it.
#
# The signing key: REPO_SIGNING_KEY (a key id in GNUPGHOME) when set; else a
# key made for tests, once, in REPO_TEST_GNUPGHOME (default
# build/repo-test-key), never for production use.
set -eu

[ $# -ge 2 ] || { echo "usage: make-repo.sh OUT PACKAGE..." >&2; exit 2; }
out=$1
shift

for tool in apt-ftparchive gpg; do
	command -v "$tool" >/dev/null || { echo "make-repo: $tool is missing (apt-get install apt-utils gpg)" >&2; exit 1; }
done

if [ -n "${REPO_SIGNING_KEY:-}" ]; then
	key=$REPO_SIGNING_KEY
else
	GNUPGHOME=${REPO_TEST_GNUPGHOME:-build/repo-test-key}
	export GNUPGHOME
	if ! [ -d "$GNUPGHOME" ]; then
		mkdir -p "$GNUPGHOME"
		chmod 0700 "$GNUPGHOME"
		echo "make-repo: making a signing key for tests in $GNUPGHOME (REPO_SIGNING_KEY=ID uses yours)" >&2
		gpg --batch --quiet --passphrase '' --quick-gen-key \
			"ContainAI test repository (not for production) <repo@containai.invalid>" ed25519 sign never
	fi
	key=$(gpg --batch --quiet --no-auto-check-trustdb --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
fi
sign() { # ARGS...: gpg with the chosen key, no prompts
	gpg --batch --yes --quiet --pinentry-mode loopback --passphrase "${REPO_SIGNING_PASSPHRASE:-}" \
		--local-user "$key" "$@"
}

rm -rf "$out"
mkdir -p "$out/apt/pool/main" "$out/rpm"
ndeb=0
nrpm=0
for f in "$@"; do
	case "$f" in
	*.deb) cp "$f" "$out/apt/pool/main/"; ndeb=$((ndeb + 1)) ;;
	*.rpm) cp "$f" "$out/rpm/"; nrpm=$((nrpm + 1)) ;;
	*) echo "make-repo: not a .deb or .rpm: $f" >&2; exit 2 ;;
	esac
done

gpg --batch --export "$key" >"$out/containai-archive-keyring.gpg"
gpg --batch --armor --export "$key" >"$out/RPM-GPG-KEY-containai"

if [ "$ndeb" -gt 0 ]; then
	(
		cd "$out/apt"
		archs=$(for d in pool/main/*.deb; do dpkg-deb -f "$d" Architecture; done | sort -u | paste -sd ' ')
		for arch in $archs; do
			dir=dists/stable/main/binary-$arch
			mkdir -p "$dir"
			apt-ftparchive --arch "$arch" packages pool/main >"$dir/Packages"
			gzip -9nk "$dir/Packages"
		done
		apt-ftparchive \
			-o APT::FTPArchive::Release::Origin=ContainAI \
			-o APT::FTPArchive::Release::Label=ContainAI \
			-o APT::FTPArchive::Release::Suite=stable \
			-o APT::FTPArchive::Release::Codename=stable \
			-o APT::FTPArchive::Release::Components=main \
			-o "APT::FTPArchive::Release::Architectures=$archs" \
			-o APT::FTPArchive::Release::Description="ContainAI Secure Engine" \
			release dists/stable >dists/stable/Release.tmp
		mv dists/stable/Release.tmp dists/stable/Release
	)
	sign --clearsign -o "$out/apt/dists/stable/InRelease" "$out/apt/dists/stable/Release"
	sign --armor --detach-sign -o "$out/apt/dists/stable/Release.gpg" "$out/apt/dists/stable/Release"
	echo "make-repo: apt repository with $ndeb package(s) in $out/apt (suite stable, component main)"
fi

if [ "$nrpm" -gt 0 ]; then
	command -v createrepo_c >/dev/null || { echo "make-repo: createrepo_c is missing (apt-get install createrepo-c)" >&2; exit 1; }
	createrepo_c --quiet "$out/rpm"
	sign --armor --detach-sign -o "$out/rpm/repodata/repomd.xml.asc" "$out/rpm/repodata/repomd.xml"
	cat >"$out/rpm/containai.repo" <<REPO
[containai]
name=ContainAI Secure Engine
baseurl=https://REPLACE-WITH-YOUR-HOST/rpm
enabled=1
gpgcheck=0
repo_gpgcheck=1
gpgkey=https://REPLACE-WITH-YOUR-HOST/RPM-GPG-KEY-containai
REPO
	echo "make-repo: rpm repository with $nrpm package(s) in $out/rpm (repomd.xml signed)"
fi
