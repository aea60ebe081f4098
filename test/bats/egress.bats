#!/usr/bin/env bats
# The egress proxy of agent containers (issue 13), for real: a real dockerd
# in the sandbox (test/helpers/agent-sandbox), real Squid, real iptables in
# the sandbox's network namespace, and a far side in a namespace of the
# test's own (test/helpers/egress.bash). The agent is hostile: every way
# around the proxy is tried from inside its container.

setup_file() {
	load ../helpers/common
	load ../helpers/agent
	load ../helpers/egress
	egress_setup_file
}

teardown_file() {
	load ../helpers/agent
	agent_sandbox_stop
}

setup() {
	load ../helpers/common
	load_libs
	load ../helpers/audit
	load ../helpers/agent
	load ../helpers/egress
	NAME=eg$BATS_TEST_NUMBER-$$
}

@test "egress: an allowed name is reached over HTTP through the proxy, and the decision is logged with the container" {
	run --separate-stderr curl_agent --keep --name "$NAME" --allow-domain allowed.test -- http://allowed.test/
	assert_success
	assert_output "ok allowed.test"
	local id
	id=$(dock inspect -f '{{.Id}}' "$NAME")
	dock rm -f "$NAME" >/dev/null
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\""
	check_event "$(the_event ".call == \"egress\" and .container.name == \"$NAME\"")" \
		".decision == \"allow\" and .args.host == \"allowed.test\" and .args.port == 80 and
		 .args.method == \"GET\" and .container.id == \"$id\" and .peer.uid == 0 and .result.return == 0"
	# It came from the proxy, not from the agent.
	egress_requests | grep -q "^80 allowed.test $EGRESS_HOST_SIDE\$"
}

@test "egress: an allowed name is reached over HTTPS (CONNECT, the server's own certificate)" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain allowed.test -- https://allowed.test/
	assert_success
	assert_output "ok allowed.test"
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\" and .args.method == \"CONNECT\""
	check_event "$(the_event ".call == \"egress\" and .container.name == \"$NAME\"")" \
		'.decision == "allow" and .args.host == "allowed.test" and .args.port == 443'
}

@test "egress: a name off the list is denied, logged with the container's id, and never reaches the server" {
	run --separate-stderr curl_agent --keep --name "$NAME" --allow-domain allowed.test -- https://denied.test/
	assert_failure 22
	[[ "$stderr" == *"403"* ]]
	local id
	id=$(dock inspect -f '{{.Id}}' "$NAME")
	dock rm -f "$NAME" >/dev/null
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\""
	check_event "$(the_event ".call == \"egress\" and .container.name == \"$NAME\"")" \
		".decision == \"deny\" and .rule == \"not on the allowlist\" and .args.host == \"denied.test\" and
		 .container.id == \"$id\" and .result.error == \"EACCES\""
	[ -z "$(egress_requests | grep denied.test)" ]
}

@test "egress: with no allowlist at all everything is denied (default deny)" {
	run --separate-stderr curl_agent --name "$NAME" -- http://allowed.test/
	assert_failure 22
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\" and .decision == \"deny\""
}

@test "egress: the agent's environment names the proxy, in both cases, and NO_PROXY" {
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- env
	assert_success
	local v
	for v in HTTP_PROXY HTTPS_PROXY http_proxy https_proxy; do
		assert_line "$v=http://172.31.241.1:3228"
	done
	assert_line "NO_PROXY=localhost,127.0.0.1,::1"
	assert_line "no_proxy=localhost,127.0.0.1,::1"
}

@test "egress (hostile agent): a direct connection that ignores the proxy goes nowhere" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain allowed.test -- --noproxy '*' --connect-timeout 2 \
		"http://$EGRESS_SERVER/"
	assert_failure
	run --separate-stderr curl_agent --name "$NAME-2" --allow-domain allowed.test -- --noproxy '*' \
		--connect-timeout 2 --resolve "allowed.test:443:$EGRESS_SERVER" https://allowed.test/
	assert_failure
	[ -z "$(egress_requests | grep -v " $EGRESS_HOST_SIDE\$")" ]
}

@test "egress (hostile agent): the host is reachable on the proxy's port only" {
	# Another port of the gateway, with a server that logs what reaches it.
	in_sb sh -c "cd /run/cai-test && setsid /usr/bin/python3 -m http.server --bind 172.31.241.1 8080 \
		>/run/cai-test/gateway-8080 2>&1 </dev/null & echo \$! >/run/cai-test/gateway-8080.pid"
	local i
	for i in $(seq 50); do in_sb sh -c 'ss -ltn | grep -q 172.31.241.1:8080' && break; sleep 0.1; done
	run --separate-stderr curl_agent --name "$NAME" -- --noproxy '*' --connect-timeout 2 http://172.31.241.1:8080/
	assert_failure
	# The engine's other bridge, and the host side of the far namespace.
	run --separate-stderr curl_agent --name "$NAME-2" -- --noproxy '*' --connect-timeout 2 http://172.31.240.1:8080/
	assert_failure
	run --separate-stderr curl_agent --name "$NAME-3" -- --noproxy '*' --connect-timeout 2 "http://$EGRESS_HOST_SIDE/"
	assert_failure
	run ! grep -q "GET /" /proc/"$NSPID"/root/run/cai-test/gateway-8080
	# The server was there: from the open bridge the same request reaches it.
	run --separate-stderr curl_agent --name "$NAME-4" --network-policy open -- --noproxy '*' --max-time 2 \
		http://172.31.241.1:8080/
	in_sb sh -c 'kill "$(cat /run/cai-test/gateway-8080.pid)"' || true
	grep -q "GET / HTTP" /proc/"$NSPID"/root/run/cai-test/gateway-8080
}

@test "egress (hostile agent): no DNS leaves the agent's container, though the open bridge's would" {
	# The resolver never answers: nslookup gives up after 1 s instead of 5,
	# having sent its queries (both rounds) all the same.
	run cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- nslookup -timeout=1 exfil-allowlist.test
	run cai_agent --name "$NAME-2" --image cai-test:busybox --runtime runc -- \
		nslookup -timeout=1 exfil-direct.test "$EGRESS_SERVER"
	# The same query from the open bridge reaches the resolver: the check can fail.
	run cai_agent --name "$NAME-3" --network-policy open --image cai-test:busybox --runtime runc -- \
		nslookup -timeout=1 exfil-open.test
	local i
	for i in $(seq 50); do
		grep -q "$(printf 'exfil-open' | od -An -tx1 | tr -d ' \n')" "$SB_DIR/srv/dns" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "$(printf 'exfil-open' | od -An -tx1 | tr -d ' \n')" "$SB_DIR/srv/dns"
	# The resolver records datagrams in the order they arrive (one socket,
	# one thread): a query of the agent's sent seconds earlier would be in
	# the file by now. (run !: a bare ! before the last line fails nothing.)
	run ! grep -q "$(printf 'exfil-allowlist' | od -An -tx1 | tr -d ' \n')" "$SB_DIR/srv/dns"
	run ! grep -q "$(printf 'exfil-direct' | od -An -tx1 | tr -d ' \n')" "$SB_DIR/srv/dns"
}

@test "egress (hostile agent): CONNECT to an address, or to another port of an allowed name, is denied" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain allowed.test -- -k "https://$EGRESS_SERVER/"
	assert_failure 22
	[[ "$stderr" == *"403"* ]]
	run --separate-stderr curl_agent --name "$NAME-2" --allow-domain allowed.test -- -k https://allowed.test:8443/
	assert_failure 22
	[[ "$stderr" == *"403"* ]]
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\" and .decision == \"deny\" and .args.host == \"$EGRESS_SERVER\""
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME-2\" and .decision == \"deny\" and .args.port == 8443"
	check_event "$(the_event ".container.name == \"$NAME-2\" and .call == \"egress\"")" '.rule == "port not allowed"'
}

@test "egress: a wildcard allows the names below the domain, not the domain itself" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain '*.wild.test' -- http://a.wild.test/
	assert_success
	assert_output "ok a.wild.test"
	run --separate-stderr curl_agent --name "$NAME-2" --allow-domain '*.wild.test' -- http://b.a.wild.test/
	assert_success
	assert_output "ok b.a.wild.test"
	run --separate-stderr curl_agent --name "$NAME-3" --allow-domain '*.wild.test' -- http://wild.test/
	assert_failure 22
	# Case and a trailing dot do not matter.
	run --separate-stderr curl_agent --name "$NAME-4" --allow-domain 'A.Wild.Test.' -- http://a.wild.test/
	assert_success
}

@test "egress: a preset is a file of the admin's in /etc/containai/egress/presets, or the package's" {
	run --separate-stderr curl_agent --name "$NAME" --egress-preset test-preset -- http://preset.test/
	assert_success
	assert_output "ok preset.test"
	run --separate-stderr curl_agent --name "$NAME-2" --egress-preset test-preset -- http://allowed.test/
	assert_failure 22
	# The shipped ones (where make install puts them) are all valid.
	run --separate-stderr cai_agent --name "$NAME-3" --image cai-test:busybox --runtime runc \
		--egress-preset package-registries --egress-preset git-hosts --egress-preset ai-apis -- true
	assert_success
	# An admin's copy of a shipped preset wins over it.
	in_sb sh -c 'echo preset.test >/etc/containai/egress/presets/git-hosts'
	run --separate-stderr curl_agent --name "$NAME-4" --egress-preset git-hosts -- http://preset.test/
	in_sb rm /etc/containai/egress/presets/git-hosts
	assert_success
}

@test "egress: the workspace's own list counts only when the admin enables it" {
	mkdir -p "$SB_DIR/ws/.containai"
	echo project.test >"$SB_DIR/ws/.containai/egress-allow"
	run --separate-stderr curl_agent --name "$NAME" -- http://project.test/
	assert_failure 22
	in_sb sh -c 'echo "project-allowlist yes" >/etc/containai/egress/policy.conf'
	run --separate-stderr curl_agent --name "$NAME-2" -- http://project.test/
	in_sb rm -f /etc/containai/egress/policy.conf
	rm -rf "$SB_DIR/ws/.containai"
	assert_success
	assert_output "ok project.test"
}

@test "egress: a bad allowlist entry or preset is refused before anything starts, saying which" {
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --allow-domain 'ex*ample.com' -- true
	assert_failure 125
	[[ "$stderr" == *'--allow-domain: `ex*ample.com`: a wildcard is only allowed as the whole first label'* ]]
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --allow-domain 10.0.0.1 -- true
	assert_failure 125
	[[ "$stderr" == *'an address, not a host name'* ]]
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --egress-preset no-such-preset -- true
	assert_failure 125
	[[ "$stderr" == *'no preset `no-such-preset`'* ]]
	in_sb sh -c 'printf "good.test\nbad name\n" >/etc/containai/egress/presets/broken'
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --egress-preset broken -- true
	in_sb rm -f /etc/containai/egress/presets/broken
	assert_failure 125
	[[ "$stderr" == *'/etc/containai/egress/presets/broken:2: `bad name`: not a host name'* ]]
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --network-policy closed -- true
	assert_failure 125
	[[ "$stderr" == *'--network-policy `closed`: say allowlist, open or none'* ]]
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --network-policy open --allow-domain a.test -- true
	assert_failure 125
	no_container "$NAME"
}

@test "egress: --network-policy open reaches the server directly, as before" {
	run --separate-stderr curl_agent --name "$NAME" --network-policy open -- --noproxy '*' "http://$EGRESS_SERVER/"
	assert_success
	assert_output "ok $EGRESS_SERVER"
	run --separate-stderr cai_agent --name "$NAME-2" --network-policy open --image cai-test:busybox --runtime runc -- env
	refute_line --partial HTTP_PROXY=
}

@test "egress: --network-policy none gives the container no network" {
	run --separate-stderr curl_agent --name "$NAME" --network-policy none -- --noproxy '*' --connect-timeout 2 "http://$EGRESS_SERVER/"
	assert_failure 7
}

@test "egress: metadata and private addresses are refused by the proxy even for an allowed name" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain metadata.test --allow-domain private.test -- \
		http://metadata.test/latest/meta-data/
	assert_failure 22
	run --separate-stderr curl_agent --name "$NAME-2" --allow-domain private.test -- http://private.test/
	assert_failure 22
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\" and .decision == \"deny\""
	check_event "$(the_event ".call == \"egress\" and .container.name == \"$NAME\"")" '.rule == "address blocked"'
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME-2\" and .rule == \"address blocked\""
}

@test "egress: the rules the proxy and the host were given block metadata, private ranges and the host" {
	local conf=/proc/$NSPID/root/run/containai/egress/squid.conf r
	for r in 169.254.0.0/16 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 127.0.0.0/8 100.64.0.0/10 fe80::/10 fc00::/7; do
		grep -qx "acl cai_blocked dst $r" "$conf"
	done
	grep -qx "http_port 172.31.241.1:3228" "$conf"
	# The name is judged before anything is resolved, then its address.
	run grep '^http_access' "$conf"
	assert_output "http_access deny !cai_agents
http_access deny !cai_allowed
http_access deny !cai_ports
http_access deny CONNECT !cai_tls_ports
http_access deny cai_blocked
http_access allow cai_agents
http_access deny all"
	run in_sb iptables -S CAI-EGRESS-PROXY
	for r in 169.254.0.0/16 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 127.0.0.0/8; do
		assert_line "-A CAI-EGRESS-PROXY -d $r -j REJECT --reject-with icmp-port-unreachable"
	done
	assert_line --partial "-A CAI-EGRESS-PROXY -m addrtype --dst-type LOCAL -j REJECT"
	run in_sb iptables -S OUTPUT
	assert_line "-A OUTPUT -m owner --uid-owner $(id -u proxy) -j CAI-EGRESS-PROXY"
	run in_sb iptables -S CAI-EGRESS-IN
	assert_line "-A CAI-EGRESS-IN -d 172.31.241.1/32 -p tcp -m tcp --dport 3228 -j ACCEPT"
	assert_line "-A CAI-EGRESS-IN -j DROP"
	run in_sb ip6tables -S CAI-EGRESS-PROXY
	assert_line "-A CAI-EGRESS-PROXY -d fe80::/10 -j REJECT --reject-with icmp6-port-unreachable"
	run in_sb ip6tables -S CAI-EGRESS-IN
	assert_line "-A CAI-EGRESS-IN -j DROP"
	# The agent network is internal, its agents isolated from each other.
	run dock network inspect -f '{{.Internal}} {{index .Options "com.docker.network.bridge.enable_icc"}}' containai-agents
	assert_output "true false"
}

@test "egress: an address the admin allows is exempted in both the proxy's rules and the host's" {
	in_sb sh -c 'printf "allow-address 10.213.7.7\n" >/etc/containai/egress/policy.conf'
	egress_restart >/dev/null
	local conf=/proc/$NSPID/root/run/containai/egress/squid.conf
	grep -qx "acl cai_admin_addresses dst 10.213.7.7" "$conf"
	grep -qx "http_access deny cai_blocked !cai_admin_addresses" "$conf"
	run in_sb iptables -S CAI-EGRESS-PROXY
	in_sb rm -f /etc/containai/egress/policy.conf
	egress_restart >/dev/null
	# Before the REJECT of its range.
	[ "$(printf '%s\n' "${lines[@]}" | grep -n -e '-d 10.213.7.7/32 -j RETURN' -e '-d 10.0.0.0/8 -j REJECT' | cut -d: -f2 |
		tr '\n' ' ')" = "-A CAI-EGRESS-PROXY -d 10.213.7.7/32 -j RETURN -A CAI-EGRESS-PROXY -d 10.0.0.0/8 -j REJECT --reject-with icmp-port-unreachable " ]
}

@test "egress: a bad policy.conf keeps the proxy from starting, saying which line" {
	in_sb sh -c 'printf "allow-address 10.0.0.0/99\n" >/etc/containai/egress/policy.conf'
	run --separate-stderr in_sb "$CAI_BIN" egress run --acl-helper /usr/local/lib/containai/cai-egress-acl
	in_sb rm -f /etc/containai/egress/policy.conf
	assert_failure 1
	[[ "$stderr" == *'/etc/containai/egress/policy.conf:1: allow-address `10.0.0.0/99`'* ]]
}

@test "egress: with the proxy down, cai run refuses an allowlist agent and says how to start it" {
	in_sb "$CAI_BIN" egress stop
	run --separate-stderr cai_agent --name "$NAME" --image cai-test:busybox --runtime runc -- true
	local rc=$status
	run in_sb "$CAI_BIN" egress status
	local status_rc=$status status_out=$output
	egress_restart >/dev/null
	[ "$rc" = 125 ]
	[[ "$stderr" == *'the egress proxy does not answer on http://172.31.241.1:3228: start it with `cai egress start`'* ]]
	[ "$status_rc" = 1 ]
	[[ "$status_out" == *"NOT answering"* ]]
	no_container "$NAME"
	# And it works again.
	run --separate-stderr curl_agent --name "$NAME-2" --allow-domain allowed.test -- http://allowed.test/
	assert_success
}

@test "egress: without squid the proxy does not start, and says what to install" {
	run --separate-stderr in_sb unshare --mount --propagation private sh -c \
		"mount --bind /dev/null /usr/sbin/squid && exec '$CAI_BIN' egress run"
	assert_failure 1
	[[ "$stderr" == *'squid is not installed (`/usr/sbin/squid`): install the squid package'* ]]
	# The one running goes on, but will not start again: status says so.
	run in_sb unshare --mount --propagation private sh -c "mount --bind /dev/null /usr/sbin/squid && exec '$CAI_BIN' egress status"
	assert_success
	assert_output --partial "squid is no longer installed"
}

@test "egress: cai egress status and cai status answer for people and scripts" {
	run in_sb "$CAI_BIN" egress status
	assert_success
	assert_output --partial "answering on http://172.31.241.1:3228"
	run in_sb "$CAI_BIN" egress status --json
	assert_success
	[ "$(jq -r '.answering and .network and .squid_installed' <<<"$output")" = true ]
	run in_sb "$CAI_BIN" egress frobnicate
	assert_failure 2
	# cai status reports it too, for people and in its JSON.
	run in_sb "$CAI_BIN" status
	assert_line --regexp '^Egress proxy: +answering on http://172\.31\.241\.1:3228 \(pid [0-9]+\), network containai-agents$'
	run in_sb "$CAI_BIN" status --json
	[ "$(jq -c '.egress | {answering, network, proxy}' <<<"$output")" = \
		'{"answering":true,"network":true,"proxy":"http://172.31.241.1:3228"}' ]
}

@test "egress: cai audit tail shows the proxy's decisions" {
	run --separate-stderr curl_agent --name "$NAME" --allow-domain allowed.test -- http://denied.test/
	wait_events 1 ".call == \"egress\" and .container.name == \"$NAME\""
	run in_sb "$CAI_AUDIT" tail --log /run/aud/audit.jsonl -n 200
	assert_success
	assert_line --partial "denied.test"
}
