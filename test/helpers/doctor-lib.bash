# Sourced by the doctor's test scripts inside test/helpers/cai-sandbox:
# stand-ins for the version-telling programs that WSL and Sysbox ship. Each
# only answers the one question `cai doctor` asks; everything else is real.

# stand_in_wslinfo MODE VERSION: /usr/local/bin/wslinfo (on cai's fixed
# PATH, in the sandbox's /usr/local overlay) answering as WSL 2.x does.
stand_in_wslinfo() {
	mkdir -p /usr/local/bin
	cat >/usr/local/bin/wslinfo <<STUB
#!/bin/sh
# Test stand-in for WSL's wslinfo.
case "\$1" in
--networking-mode) echo "$1" ;;
--wsl-version) echo "$2" ;;
*) echo "wslinfo: unknown option \$1" >&2; exit 1 ;;
esac
STUB
	chmod 0755 /usr/local/bin/wslinfo
}

# stand_in_sysbox VERSION: /usr/bin/sysbox-runc whose --version prints what
# sysbox-runc prints; any other use fails.
stand_in_sysbox() {
	cat >/usr/bin/sysbox-runc <<STUB
#!/bin/sh
# Test stand-in: sysbox-runc --version only.
if [ "\$1" = --version ]; then
	printf 'sysbox-runc\n\tedition: \tCommunity Edition (CE)\n\tversion: \t%s\n\tcommit: \tdeadbeef\n' "$1"
	exit 0
fi
echo "sysbox-runc test stand-in: not a real runtime" >&2
exit 1
STUB
	chmod 0755 /usr/bin/sysbox-runc
}

# stand_in_runc_version VERSION: /usr/local/bin/runc (before /usr/sbin on
# cai's fixed PATH) telling that version and running the real runc otherwise.
stand_in_runc_version() {
	mkdir -p /usr/local/bin
	cat >/usr/local/bin/runc <<STUB
#!/bin/sh
# Test stand-in: answers --version as runc $1 would; runs the real runc otherwise.
if [ "\$1" = --version ]; then printf 'runc version %s\ncommit: v%s-0\nspec: 1.2.1\n' "$1" "$1"; exit 0; fi
exec /usr/sbin/runc "\$@"
STUB
	chmod 0755 /usr/local/bin/runc
}

# doctor_check ID: "result|evidence|fix" of one check from `cai doctor --json`.
doctor_check() {
	"$CAI" doctor --json | jq -r --arg id "$1" '.checks[] | select(.id == $id) | "\(.result)|\(.evidence)|\(.fix)"'
}
