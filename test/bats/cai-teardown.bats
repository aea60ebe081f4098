#!/usr/bin/env bats
# cai teardown: undoes what setup did, and only that.

setup() {
	load ../helpers/common
	load_libs
	require_sandbox
}

@test "teardown --help lists what it undoes" {
	run "$CAI_BIN" teardown --help
	assert_success
	assert_output --partial "Usage: cai teardown [--purge] [--dry-run] [--verbose]"
	assert_output --partial "only"
}

@test "teardown on a machine never provisioned: nothing to undo, nothing written" {
	run in_sandbox '"$CAI" teardown; echo "teardown=$?"'
	assert_line "teardown=0"
	assert_line "Nothing to undo."
	run written_files
	assert_output ""
}

@test "setup then teardown --purge leaves no trace of ours" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" teardown --purge; echo "teardown=$?"
		docker --context default context inspect containai-secure >/dev/null 2>&1 || echo "no context"
		ip link show cai0 >/dev/null 2>&1 || echo "no bridge"
		pgrep -x dockerd >/dev/null || echo "no dockerd"
		pgrep -x cai-auditd >/dev/null || echo "no collector"
		pgrep -x squid >/dev/null || echo "no proxy"
		ls -A /var/lib/containai-docker | wc -l | sed "s/^/data entries: /"'
	assert_line "teardown=0"
	assert_line "no context"
	assert_line "no bridge"
	assert_line "no dockerd"
	assert_line "no collector"
	assert_line "no proxy"
	assert_line "      done:  stop the audit collector"
	assert_line "data entries: 0"
	run written_files
	# The stand-in sysbox-runc is the sandbox's own; root's docker CLI keeps
	# its (empty) contexts dir; nothing else of ours survives.
	refute_output --regexp 'containai|docker-containai|key\.json|state\.json'
}

@test "teardown restores an admin's daemon.json byte for byte" {
	run in_sandbox --sysbox-stub '
		mkdir -p /etc/containai/docker
		printf "{ \"log-level\" : \"warn\",\n\t\"debug\": false }\n" >/etc/containai/docker/daemon.json
		sum=$(sha256sum </etc/containai/docker/daemon.json)
		"$CAI" setup >/dev/null 2>&1 || exit 9
		"$CAI" teardown >/dev/null; echo "teardown=$?"
		[ "$sum" = "$(sha256sum </etc/containai/docker/daemon.json)" ] && echo "byte-identical"'
	assert_line "teardown=0"
	assert_line "byte-identical"
}

@test "teardown leaves a containai-secure context that points elsewhere" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		docker --context default context update containai-secure --docker host=unix:///run/other.sock >/dev/null
		"$CAI" teardown; echo "teardown=$?"
		docker --context default context inspect containai-secure --format "{{.Endpoints.docker.Host}}"'
	assert_line "teardown=0"
	assert_output --partial 'points at `unix:///run/other.sock`, not ours; left alone'
	assert_line "unix:///run/other.sock"
}

@test "teardown --dry-run changes nothing" {
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/dev/null 2>&1 || exit 9
		paths="/etc/containai /root/.docker /var/lib/containai /var/log/containai /run/containai-docker.pid"
		before=$(hash_tree $paths)
		"$CAI" teardown --purge --dry-run; echo "teardown=$?"
		[ "$before" = "$(hash_tree $paths)" ] && echo "hashes equal"
		"$CAI" engine status >/dev/null && echo "engine still running"
		"$CAI" egress status >/dev/null && echo "proxy still answering"
		iptables -S CAI-EGRESS-IN >/dev/null && echo "chains still there"'
	assert_line "teardown=0"
	assert_line --regexp '^      would: remove user root.s context$'
	assert_line --regexp '^      would: stop dockerd'
	assert_line --regexp '^      would: delete /var/lib/containai-docker$'
	assert_line --regexp '^      would: stop the egress proxy$'
	assert_line --regexp '^      would: remove the network `containai-agents` from the engine$'
	assert_line --regexp '^      would: remove 6 rule\(s\) jumping to our chains and 6 chain\(s\)'
	assert_line "hashes equal"
	assert_line "engine still running"
	assert_line "proxy still answering"
	assert_line "chains still there"
}

@test "teardown undoes egress: proxy stopped, our chains and the jumps to them gone, every other rule byte-identical" {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	run in_sandbox --sysbox-stub '
		foreign_rules
		rules_snapshot >/run/rules-before-setup
		"$CAI" setup >/run/setup.out 2>&1 || { cat /run/setup.out; exit 9; }
		grep "egress proxy" /run/setup.out
		rules_snapshot >/run/rules-before-teardown
		"$CAI" teardown; echo "teardown=$?"
		rules_snapshot >/run/rules-after
		pgrep -x squid >/dev/null || echo "no squid"
		"$CAI" egress status >/dev/null || echo "proxy does not answer"
		ip link show cai-agents0 >/dev/null 2>&1 || echo "no agent bridge"
		echo "ours before: $(grep -c CAI-EGRESS /run/rules-before-teardown)"
		echo "ours after: $(grep -c CAI-EGRESS /run/rules-after)"
		# Every line but ours (our chains, the rules docker keeps for our
		# network) is as it was just before, in the same order.
		grep -v -e CAI-EGRESS -e cai-agents0 /run/rules-before-teardown | diff - /run/rules-after && echo "others identical"
		# Nothing of the admin changed since before setup.
		diff <(grep "^-A" /run/rules-before-setup) <(grep "^-A" /run/rules-after) | grep "^<" || echo "admin rules kept"'
	assert_line "teardown=0"
	assert_line --regexp '^ +done: +started the egress proxy on http://172\.31\.241\.1:3228'
	assert_line "[2/6] Egress proxy (http://172.31.241.1:3228)"
	assert_line "      done:  stop the egress proxy"
	assert_line "      done:  remove the network \`containai-agents\` from the engine"
	assert_line "      done:  remove 6 rule(s) jumping to our chains and 6 chain(s) (CAI-EGRESS-IN, CAI-EGRESS-FWD, CAI-EGRESS-PROXY; IPv4 and IPv6)"
	assert_line "no squid"
	assert_line "proxy does not answer"
	assert_line "no agent bridge"
	refute_line "ours before: 0"
	assert_line "ours after: 0"
	assert_line "others identical"
	assert_line "admin rules kept"
}

@test "teardown removes only our agent network: another network of the engine stays" {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/run/setup.out 2>&1 || { cat /run/setup.out; exit 9; }
		docker -H unix:///var/run/docker-containai.sock network create --internal admins-net >/dev/null
		"$CAI" teardown >/run/teardown.out; echo "teardown=$?"
		# The engine again, by hand (no proxy, no setup): what networks it
		# kept. Setup had created daemon.json, so teardown removed it.
		mkdir -p /etc/containai/docker && echo "{}" >/etc/containai/docker/daemon.json
		"$CAI" engine run >/run/engine.out 2>&1 &
		engine=$!
		for _ in $(seq 100); do "$CAI" engine status >/dev/null && break; sleep 0.1; done
		docker -H unix:///var/run/docker-containai.sock network ls --format "net {{.Name}}"
		kill "$engine"; wait "$engine"'
	assert_line "teardown=0"
	assert_line "net admins-net"
	refute_line "net containai-agents"
}

@test "teardown with the proxy and the chains already gone succeeds and says so" {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	run in_sandbox --sysbox-stub '
		"$CAI" setup >/run/setup.out 2>&1 || { cat /run/setup.out; exit 9; }
		"$CAI" egress stop >/dev/null
		for t in iptables ip6tables; do
			for c in INPUT FORWARD OUTPUT; do
				$t -S $c | grep -- "-j CAI-EGRESS" | sed "s/^-A/-D/" | while read -r r; do eval "$t $r"; done
			done
			for c in CAI-EGRESS-IN CAI-EGRESS-FWD CAI-EGRESS-PROXY; do $t -F $c; $t -X $c; done
		done
		"$CAI" teardown; echo "teardown=$?"
		"$CAI" teardown >/dev/null; echo "again=$?"'
	assert_line "teardown=0"
	assert_line "      proxy: not running"
	assert_line "      iptables: no chains of ours"
	assert_line "again=0"
	refute_output --partial "could not"
}

@test "a chain of ours that cannot be removed is named, the other steps still run, exit 3" {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	run --separate-stderr in_sandbox --sysbox-stub '
		"$CAI" setup >/run/setup.out 2>&1 || { cat /run/setup.out; exit 9; }
		# An admin jumps to our chain from a chain of their own: we never
		# delete their rule, so our chain cannot go.
		iptables -N ADMIN-OWN
		iptables -A ADMIN-OWN -j CAI-EGRESS-FWD
		"$CAI" teardown; echo "teardown=$?"
		iptables -S ADMIN-OWN
		iptables -S CAI-EGRESS-FWD >/dev/null 2>&1 && echo "our chain stays"
		iptables -S CAI-EGRESS-IN >/dev/null 2>&1 || echo "the others went"
		"$CAI" engine status >/dev/null || echo "engine stopped"
		ip link show cai0 >/dev/null 2>&1 || echo "no bridge"'
	assert_line "teardown=3"
	assert_line "-A ADMIN-OWN -j CAI-EGRESS-FWD"
	assert_line "our chain stays"
	assert_line "the others went"
	assert_line "engine stopped"
	assert_line "no bridge"
	[[ "$stderr" == *"warning: could not remove: remove the egress rules (IPv4): "*"-X CAI-EGRESS-FWD"* ]]
	[[ "$stderr" == *"step 2 (egress proxy) could not remove what the warnings above name"* ]]
}
