# The egress suites' far side, on top of agent.bash's sandbox: a network
# namespace of the test's own (198.18.113.0/24, a benchmarking range used
# nowhere else here) with HTTP, HTTPS (a self-signed certificate) and a
# UDP port 53 that records what reaches it (test/helpers/egress-server.py);
# test names in the sandbox's /etc/hosts, which the proxy resolves from; an
# image with the host's curl. No packet ever leaves the sandbox.
# Load after agent.bash.

EGRESS_NS=cai-egress-srv
EGRESS_SERVER=198.18.113.2
EGRESS_HOST_SIDE=198.18.113.1
EGRESS_NAMES="allowed.test denied.test wild.test a.wild.test b.a.wild.test preset.test project.test"

egress_require() {
	[ -x /usr/sbin/squid ] || skip "squid is not installed (apt-get install squid)"
	command -v openssl >/dev/null || skip "openssl is not installed"
	command -v curl >/dev/null || skip "curl is not installed (the agent image copies it)"
	[ -x /usr/bin/python3 ] || skip "python3 is not installed (the test servers)"
}

egress_cert() {
	local san="" n
	for n in $EGRESS_NAMES; do san="$san${san:+,}DNS:$n"; done
	mkdir -p "$SB_DIR/ws"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=allowed.test -addext "subjectAltName=$san" \
		-keyout "$SB_DIR/key.pem" -out "$SB_DIR/ws/cert.pem" 2>/dev/null
}

egress_servers() {
	mkdir -p "$SB_DIR/srv"
	in_sb sh -euc "
		ip netns add $EGRESS_NS
		ip link add cai-eg-h type veth peer name cai-eg-s
		ip link set cai-eg-s netns $EGRESS_NS
		ip addr add $EGRESS_HOST_SIDE/24 dev cai-eg-h
		ip link set cai-eg-h up
		ip netns exec $EGRESS_NS ip addr add $EGRESS_SERVER/24 dev cai-eg-s
		ip netns exec $EGRESS_NS ip link set cai-eg-s up
		ip netns exec $EGRESS_NS ip link set lo up"
	in_sb setsid ip netns exec "$EGRESS_NS" /usr/bin/python3 "$BATS_TEST_DIRNAME/../helpers/egress-server.py" \
		"$SB_DIR/srv" "$SB_DIR/ws/cert.pem" "$SB_DIR/key.pem" </dev/null >"$SB_DIR/srv/out" 2>&1 &
	local _
	for _ in $(seq 100); do [ -e "$SB_DIR/srv/ready" ] && return 0; sleep 0.1; done
	cat "$SB_DIR/srv/out" >&2
	return 1
}

# Names the proxy resolves (never DNS): the test's, a metadata address and a
# private one (the sandbox has no route to either: nothing could be sent).
egress_names() {
	local n lines=""
	for n in $EGRESS_NAMES; do lines="$lines$EGRESS_SERVER $n"$'\n'; done
	lines="${lines}169.254.169.254 metadata.test"$'\n'"10.213.7.7 private.test"$'\n'
	in_sb sh -c 'cat >>/etc/hosts' <<<"$lines"
	# Containers on the engine's open bridge would ask this resolver.
	in_sb sh -c "echo 'nameserver $EGRESS_SERVER' >/etc/resolv.conf"
}

# The shipped presets are where `make install` puts them (cai-sandbox); the
# admin's own go to /etc.
egress_presets() {
	in_sb mkdir -p /etc/containai/egress/presets
	in_sb sh -c 'printf "# a test preset\npreset.test\n" >/etc/containai/egress/presets/test-preset'
}

egress_curl_image() {
	local d=$SB_DIR/curl-img l
	mkdir -p "$d/bin" "$d/tmp"
	cp /bin/busybox "$d/bin/"
	for l in sh cat echo true nslookup nc wget env; do ln -s busybox "$d/bin/$l"; done
	# curl's libraries, and libdl.so.2, which the audit shim needs.
	# shellcheck disable=SC2046
	tar -ch $(ldd /usr/bin/curl "$CAI_AUDIT_SHIM" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u) \
		/usr/bin/curl 2>/dev/null | tar -C "$d" -x
	tar -C "$d" -c . | dock import - cai-test:curl >/dev/null
}

# The proxy reads the hosts file when it starts: restart it now.
egress_restart() {
	in_sb "$CAI_BIN" egress stop >/dev/null
	in_sb env CAI_AUDIT_SOCKET=/run/aud/audit.sock "$CAI_BIN" egress start --acl-helper \
		/usr/local/lib/containai/cai-egress-acl
}

egress_setup_file() {
	egress_require
	# Its agents run in cai-test:busybox and cai-test:curl only.
	AGENT_SANDBOX_NO_DEBIAN=1 agent_sandbox_start
	egress_cert
	egress_servers
	egress_names
	egress_presets
	egress_curl_image
	egress_restart >&2
}

# Requests that reached the far side: "PORT HOST CLIENT" lines.
egress_requests() {
	cat "$SB_DIR/srv/requests" 2>/dev/null || true
}

# curl_agent ARGS... -- CURL_ARGS...: curl in an agent container with the
# test's workspace (the certificate at /workspace/cert.pem). curl exits 22
# on an HTTP error (the proxy's 403 for a plain request), 56 when CONNECT is
# refused, 7 when nothing can be reached, 28 on a timeout.
curl_agent() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	cai_agent --image cai-test:curl --runtime runc --workspace "$SB_DIR/ws" "${args[@]}" -- \
		curl -fsS --max-time 5 --cacert /workspace/cert.pem "$@"
}
