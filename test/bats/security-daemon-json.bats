#!/usr/bin/env bats
# cai-daemon-json never writes something other than what it was given or
# what the file said (issue 14, item 20): a name or path that is not valid
# UTF-8, and a key repeated in one object, are refused with a clear error.

setup() {
	load ../helpers/common
	load_libs
	F=$BATS_TEST_TMPDIR/daemon.json
}

@test "a runtime name or path that is not valid UTF-8 is refused (exit 5), the file untouched" {
	echo '{"debug": true}' >"$F"
	local before
	before=$(sha256sum "$F")
	run --separate-stderr "$CAI_DAEMON_JSON" --file "$F" add-runtime "$(printf 'sysbox\xff')" /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *"the runtime name is not valid UTF-8"* ]]
	run --separate-stderr "$CAI_DAEMON_JSON" --file "$F" add-runtime sysbox-runc "$(printf '/usr/bin/sysbox\xc3(')"
	assert_failure 5
	[[ "$stderr" == *"the runtime path is not valid UTF-8"* ]]
	[ "$(sha256sum "$F")" = "$before" ]
}

@test "a key repeated in one object is refused (exit 5) and named, the file untouched" {
	printf '{"runtimes": {"x": {"path": "/a"}, "x": {"path": "/b"}}, "debug": true}\n' >"$F"
	local before
	before=$(sha256sum "$F")
	run --separate-stderr "$CAI_DAEMON_JSON" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *'the key `.runtimes.x` appears twice in one object'* ]]
	printf '{"debug": true, "bridge": "cai0", "debug": false}\n' >"$F"
	run --separate-stderr "$CAI_DAEMON_JSON" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *'the key `.debug` appears twice'* ]]
	printf '{"a": [{"k": 1, "k": 2}]}\n' >"$F"
	run --separate-stderr "$CAI_DAEMON_JSON" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_failure 5
	[[ "$stderr" == *'the key `.a[0].k` appears twice'* ]]
}

@test "the same key in different objects, and nested objects that close and reopen, are not duplicates" {
	printf '{"a": {"k": 1, "m": {"k": 2}}, "b": {"k": 3}, "c": [{"k": 4}, {"k": 5}], "d": {}}\n' >"$F"
	run "$CAI_DAEMON_JSON" --file "$F" add-runtime sysbox-runc /usr/bin/sysbox-runc
	assert_success
	jq -e '.a.m.k == 2 and .c[1].k == 5 and .runtimes."sysbox-runc".path == "/usr/bin/sysbox-runc"' "$F"
}
