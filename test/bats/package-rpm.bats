#!/usr/bin/env bats
# The .rpm for real: built by `make rpm` (rpmbuild from Debian's rpm), then
# installed with `rpm --root` into a debootstrap'd Debian 12 root, where rpm
# runs the scriptlets chrooted. Private mount/net/PID namespaces as in
# package-deb.bats; nothing of the host changes. RPM has no debconf:
# CAI_FORCE=1 and /etc/containai/force-sysbox are the force sources.

setup() {
	load ../helpers/common
	load ../helpers/package
	load_libs
	[ "${SANITIZE:-0}" != 1 ] || skip "the package is a plain build; its tests run once, in the plain suite"
	RPM=$(rpm_file)
}

RPM_IN_ROOT='rpm_root --initdb'

# Package contents as comparable names: no leading ./ or /, no .gz, one
# name for both unit directories, no directories, no Debian doc files.
normalize_paths() {
	sed -e 's|^\./||; s|^/||; s|\.gz$||' -e 's|^\(usr/\)\{0,1\}lib/systemd/system/|systemd/|' |
		grep -v -e '/$' -e '^usr/share/doc/' -e '^usr/share/lintian/' | sort
}

@test "the rpm ships the same files as the deb" {
	local deb
	deb=$(deb_file 0.1.0)
	local rpm_files deb_files
	# rpm -qpl lists directories too: keep what the deb has as files.
	rpm_files=$(rpm -qpl "$RPM" | normalize_paths)
	deb_files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | normalize_paths)
	[ -n "$deb_files" ] || fail "dpkg-deb -c listed nothing"
	run comm -3 <(echo "$deb_files") <(echo "$rpm_files" | grep -vx -e usr/lib/containai -e usr/share/containai \
		-e usr/share/containai/egress -e usr/share/containai/egress/presets)
	assert_output ""
	run echo "$rpm_files"
	assert_line "usr/bin/cai"
	assert_line "systemd/containai-docker.service"
	run rpm -qp --scripts "$RPM"
	assert_output --partial "cai setup --package-mode"
	assert_output --partial 'if [ "$1" -eq 0 ]; then'
}

@test "plain Linux: rpm -i provisions (engine runs, context, state recorded)" {
	require_pkg_sandbox
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		rpm_root -i --nodeps "$R$(stage "$RPM")"; echo "rpm=$?"
		rpm_root -q containai-secure-engine
		engine_answers && echo "engine answers"
		echo "context=$(root_context)"
		inroot cai status >/dev/null; echo "status=$?"
		jq -c "{provisioned, refusal, forced_by}" "$R/var/lib/containai/state.json"'
	assert_line "rpm=0"
	assert_line "containai-secure-engine-0.1.0-1.$(uname -m)"
	assert_line --regexp '^\[7/7\] Verifying'
	assert_line "engine answers"
	assert_line "context=unix:///var/run/docker-containai.sock"
	assert_line "status=3"
	assert_line '{"provisioned":true,"refusal":null,"forced_by":null}'
}

@test "WSL2 with EBUSY: rpm -i refuses loudly, provisions nothing, records it, and the install succeeds" {
	require_pkg_sandbox
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		fake_wsl2
		busy rpm_root -i --nodeps "$R$(stage "$RPM")" 2>"$R/tmp/err"; echo "rpm=$?"
		echo "stderr: $(tr "\n" " " <"$R/tmp/err")"
		rpm_root -q containai-secure-engine
		ls "$R/etc/containai" 2>/dev/null || echo "no /etc/containai"
		[ -e "$R/run/containai-docker.pid" ] || echo "no engine"
		echo "context=$(root_context)"
		jq -c "{provisioned, result: .refusal.result}" "$R/var/lib/containai/state.json"
		inroot cai status >/dev/null; echo "status=$?"'
	assert_line "rpm=0"
	assert_output --regexp 'stderr: .*Sysbox on WSL2 may not work due to seccomp filter conflicts\.'
	assert_output --regexp 'stderr: .*installed, but the Secure Engine was not provisioned.*CAI_FORCE=1 cai setup'
	assert_line "containai-secure-engine-0.1.0-1.$(uname -m)"
	assert_line "no /etc/containai"
	assert_line "no engine"
	assert_line "context=no context"
	assert_line '{"provisioned":null,"result":"busy"}'
	assert_line "status=4"
}

@test "WSL2 with EBUSY: CAI_FORCE=1 rpm -i provisions" {
	require_pkg_sandbox
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		fake_wsl2
		CAI_FORCE=1 busy rpm_root -i --nodeps "$R$(stage "$RPM")"; echo "rpm=$?"
		engine_answers && echo "engine answers"
		jq -r .forced_by "$R/var/lib/containai/state.json"'
	assert_line "rpm=0"
	assert_output --partial "warning: proceeding anyway, forced by CAI_FORCE=1"
	assert_line "engine answers"
	assert_line "CAI_FORCE=1"
}

@test "WSL2 with EBUSY: the marker file /etc/containai/force-sysbox makes rpm -i provision" {
	require_pkg_sandbox
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		fake_wsl2
		mkdir -p "$R/etc/containai" && touch "$R/etc/containai/force-sysbox"
		busy rpm_root -i --nodeps "$R$(stage "$RPM")"; echo "rpm=$?"
		engine_answers && echo "engine answers"
		jq -r .forced_by "$R/var/lib/containai/state.json"'
	assert_line "rpm=0"
	assert_line "engine answers"
	assert_line "/etc/containai/force-sysbox"
}

@test "erase tears down: engine stopped, context and our daemon.json gone, files removed" {
	require_pkg_sandbox
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		rpm_root -i --nodeps "$R$(stage "$RPM")" >/dev/null 2>&1; echo "rpm=$?"
		engine_answers && echo "engine answered"
		rpm_root -e containai-secure-engine; echo "erase=$?"
		rpm_root -q containai-secure-engine >/dev/null || echo "not installed"
		engine_answers || echo "engine gone"
		echo "context=$(root_context)"
		[ -e "$R/etc/containai/docker/daemon.json" ] || echo "no daemon.json"
		[ -e "$R/usr/bin/cai" ] || echo "no cai"'
	assert_line "rpm=0"
	assert_line "engine answered"
	assert_line "erase=0"
	assert_output --partial "Secure Engine torn down"
	assert_line "not installed"
	assert_line "engine gone"
	assert_line "context=no context"
	assert_line "no daemon.json"
	assert_line "no cai"
}

@test "upgrade to release 2 keeps the running engine and the admin's daemon.json keys (no teardown)" {
	require_pkg_sandbox
	RPM_NEXT=$(rpm_next_file)
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		rpm_root -i --nodeps "$R$(stage "$RPM")" >/dev/null 2>&1; echo "rpm=$?"
		f="$R/etc/containai/docker/daemon.json"
		jq ". + {\"log-level\": \"warn\"}" "$f" >"$f.new" && mv "$f.new" "$f"
		pid1=$(engine_pid)
		rpm_root -U --nodeps "$R$(stage "$RPM_NEXT")"; echo "upgrade=$?"
		rpm_root -q containai-secure-engine
		[ "$pid1" = "$(engine_pid)" ] && kill -0 "$pid1" && echo "same engine pid"
		echo "context=$(root_context)"
		jq -c "{l: .[\"log-level\"], r: .runtimes[\"sysbox-runc\"].path}" "$f"'
	assert_line "rpm=0"
	assert_line "upgrade=0"
	assert_line "containai-secure-engine-0.1.0-2.$(uname -m)"
	refute_output --partial "torn down"
	assert_line "same engine pid"
	assert_line "context=unix:///var/run/docker-containai.sock"
	assert_line '{"l":"warn","r":"/usr/bin/sysbox-runc"}'
}

@test "the sysbox-ce trigger: installing sysbox-ce later verifies again and the engine becomes healthy" {
	require_pkg_sandbox
	# A stand-in sysbox-ce whose sysbox-runc only answers --version: the
	# trigger is under test here, not Sysbox.
	local top=$BATS_TEST_TMPDIR/sysbox
	mkdir -p "$top/SPECS"
	cat >"$top/SPECS/sysbox-ce.spec" <<'SPEC'
Name: sysbox-ce
Version: 0.0.0
Release: test
Summary: test stand-in for sysbox-ce
License: none
BuildArch: noarch
%description
Test stand-in: sysbox-runc answers --version and runs runc.
%install
mkdir -p %{buildroot}/usr/bin
printf '#!/bin/sh\n[ "$1" = --version ] && { echo "sysbox-runc (test stand-in) version 0.0.0-test"; exit 0; }\nexec runc "$@"\n' >%{buildroot}/usr/bin/sysbox-runc
chmod 0755 %{buildroot}/usr/bin/sysbox-runc
%files
/usr/bin/sysbox-runc
SPEC
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL rpmbuild -bb --define "_topdir $top" --define '_build_id_links none' \
		"$top/SPECS/sysbox-ce.spec" >"$BATS_TEST_TMPDIR/sysbox.log" 2>&1 ||
		{ tail -20 "$BATS_TEST_TMPDIR/sysbox.log"; fail "rpmbuild of the sysbox-ce stand-in failed"; }
	SYSBOX_RPM=$top/RPMS/noarch/sysbox-ce-0.0.0-test.noarch.rpm
	export SYSBOX_RPM
	run in_pkg_sandbox "$RPM_IN_ROOT"'
		rpm_root -i --nodeps "$R$(stage "$RPM")" >/dev/null 2>&1; echo "rpm=$?"
		inroot cai status >/dev/null; echo "before=$?"
		rpm_root -i --nodeps "$R$(stage "$SYSBOX_RPM")"; echo "sysbox=$?"
		inroot cai status >/dev/null; echo "after=$?"'
	assert_line "rpm=0"
	assert_line "before=3"
	assert_line "sysbox=0"
	assert_line --regexp '^\[3/7\] Sysbox: /usr/bin/sysbox-runc present'
	assert_line "after=0"
}
