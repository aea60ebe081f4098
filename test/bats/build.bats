#!/usr/bin/env bats
# The build's promises: hardened binaries, and an install that honours
# DESTDIR and PREFIX.

setup() {
	load ../helpers/common
	load_libs
}

@test "every program is PIE with full RELRO and stack protection" {
	local p
	for p in "$CAI_SECCOMP_PROBE" "$CAI_DAEMON_JSON" "$CAI_BIN" "$(dirname "$CAI_BIN")/cai-egress-acl"; do
		run readelf -h "$p"
		assert_output --regexp 'Type: +DYN'
		run readelf -lW "$p"
		assert_output --partial "GNU_RELRO"
		run readelf -dW "$p"
		assert_output --regexp 'FLAGS.*BIND_NOW|FLAGS_1.*NOW'
		assert_output --regexp 'FLAGS_1.*PIE'
		run nm -D "$p"
		assert_output --partial "__stack_chk_fail"
	done
}

@test "the container init is a static PIE with full RELRO, stack protection and no interpreter" {
	run file "$CAI_AGENT_INIT"
	assert_output --partial "static-pie linked"
	run readelf -lW "$CAI_AGENT_INIT"
	assert_output --partial "GNU_RELRO"
	refute_output --partial "INTERP"
	run readelf -dW "$CAI_AGENT_INIT"
	assert_output --regexp 'FLAGS.*BIND_NOW|FLAGS_1.*NOW'
	refute_output --partial "NEEDED"
	run nm "$CAI_AGENT_INIT"
	assert_output --partial "__stack_chk_fail"
	run "$CAI_AGENT_INIT" --self-test
	assert_success
	assert_output --regexp '^cai-agent-init: container ok; exec listener: '
}

@test "both shims are linked with full RELRO and stack protection" {
	local s
	for s in "$CAI_AUDIT_SHIM" ${CAI_AUDIT_SHIM_MUSL:+"$CAI_AUDIT_SHIM_MUSL"}; do
		[ -f "$s" ] || continue
		run readelf -lW "$s"
		assert_output --partial "GNU_RELRO"
		run readelf -dW "$s"
		assert_output --regexp 'FLAGS.*BIND_NOW|FLAGS_1.*NOW'
		run nm -D "$s"
		assert_output --partial "__stack_chk_fail"
	done
}

@test "the plain build is fortified (_FORTIFY_SOURCE=2)" {
	[ "${SANITIZE:-0}" != 1 ] || skip "the sanitized build leaves _FORTIFY_SOURCE out (ASan intercepts those calls)"
	run nm -D "$CAI_BIN"
	assert_output --regexp '__[a-z]+_chk'
}

@test "make install puts programs, the shim, man pages, the event schema, units and the profile under DESTDIR/PREFIX" {
	local dest="$BATS_TEST_TMPDIR/dest" musl=""
	# The musl shim is built (and installed) where musl-gcc is.
	[ ! -f "${CAI_AUDIT_SHIM_MUSL:-}" ] || musl=$'usr/lib/containai/libcai-auditshim-musl.so 644\n'
	run make -s -C "$CAI_TOP" install DESTDIR="$dest" PREFIX=/usr BUILDDIR="${CAI_BIN%/cai}" SANITIZE="${SANITIZE:-0}"
	assert_success
	run bash -c "cd '$dest' && find . -type f -printf '%P %m\n' | sort"
	assert_output "etc/logrotate.d/containai-audit 644
usr/bin/cai 755
usr/bin/cai-audit 755
usr/bin/cai-daemon-json 755
usr/bin/cai-seccomp-probe 755
usr/lib/containai/cai-agent-init 755
usr/lib/containai/cai-egress-acl 755
${musl}usr/lib/containai/libcai-auditshim.so 644
usr/lib/systemd/system/cai-auditd.service 644
usr/lib/systemd/system/cai-auditd.socket 644
usr/lib/systemd/system/containai-docker.service 644
usr/lib/systemd/system/containai-egress.service 644
usr/sbin/cai-auditd 755
usr/share/containai/egress/policy.conf.example 644
usr/share/containai/egress/presets/ai-apis 644
usr/share/containai/egress/presets/git-hosts 644
usr/share/containai/egress/presets/package-registries 644
usr/share/containai/seccomp-containai-agent.json 644
usr/share/doc/containai-secure-engine/audit-events.md 644
usr/share/man/man1/cai-audit.1 644
usr/share/man/man1/cai-daemon-json.1 644
usr/share/man/man1/cai-seccomp-probe.1 644
usr/share/man/man1/cai.1 644
usr/share/man/man7/libcai-auditshim.7 644
usr/share/man/man8/cai-auditd.8 644"
	run grep -h '^ExecStart=' "$dest/usr/lib/systemd/system/containai-docker.service" "$dest/usr/lib/systemd/system/cai-auditd.service" \
		"$dest/usr/lib/systemd/system/containai-egress.service"
	assert_output "ExecStart=/usr/bin/cai engine run
ExecStart=/usr/sbin/cai-auditd --log /var/log/containai/audit.jsonl
ExecStart=/usr/bin/cai egress run"
	run make -s -C "$CAI_TOP" uninstall DESTDIR="$dest" PREFIX=/usr BUILDDIR="${CAI_BIN%/cai}" SANITIZE="${SANITIZE:-0}"
	assert_success
	run find "$dest" -type f
	assert_output ""
}

@test "every man page renders without warnings" {
	local m
	for m in "$CAI_TOP"/docs/man/*.1; do
		run bash -c "MANWIDTH=80 man --warnings -l '$m' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "the C sources are laid out as .clang-format says (make format-check)" {
	command -v clang-format >/dev/null || skip "clang-format is missing (apt-get install clang-format)"
	git -C "$CAI_TOP" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout: no list of sources"
	run make -C "$CAI_TOP" --no-print-directory format-check
	assert_success
	# It would say so: a file laid out otherwise is named and fails.
	cp "$CAI_TOP/.clang-format" "$BATS_TEST_TMPDIR/"
	printf 'int  zz_probe( void ){return 0;}\n' >"$BATS_TEST_TMPDIR/probe.c"
	run make -C "$CAI_TOP" --no-print-directory format-check FORMAT_SRCS="$BATS_TEST_TMPDIR/probe.c"
	assert_failure
	assert_output --partial "probe.c"
}

@test "src/lib's folders are layered: none includes a header of a folder above it (src/lib/README.md)" {
	local order="ground seccomp probe config audit engine supervise egress doctor"
	declare -A rank_of folder_of
	local i=0 w f d
	for w in $order; do
		rank_of[$w]=$i
		i=$((i + 1))
	done
	while IFS= read -r f; do
		d=${f#"$CAI_TOP"/src/lib/}
		if [[ "$d" == */* ]]; then d=${d%/*}; else d=ground; fi
		[ -n "${rank_of[$d]:-}" ] || { echo "unknown folder $d" >&2; return 1; }
		folder_of[${f##*/}]=$d
	done < <(find "$CAI_TOP/src/lib" -name '*.[ch]')
	local bad="" line h
	# One grep for every include: "FILE:#include "HEADER"...".
	while IFS= read -r line; do
		f=${line%%:#include *}
		h=${line#*:#include \"}
		h=${h%%\"*}
		h=${h##*/}
		[ -n "${folder_of[$h]:-}" ] || continue
		if [ "${rank_of[${folder_of[$h]}]}" -gt "${rank_of[${folder_of[${f##*/}]}]}" ]; then
			bad="$bad ${f#"$CAI_TOP"/}->$h"
		fi
	done < <(find "$CAI_TOP/src/lib" -name '*.[ch]' -exec grep -H '^#include "[^"]*"' {} +)
	[ -z "$bad" ] || { echo "includes of a folder above:$bad" >&2; return 1; }
}
