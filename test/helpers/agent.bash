# Shared setup for the container suites (cai run --image): one sandbox per
# file (test/helpers/agent-sandbox: a real dockerd, the test images, a
# collector), started in setup_file; tests run commands in its namespaces.
# Load after common.bash.

: "${CAI_BIN:?run the tests through make check}"

# The shim that is mounted into containers: a sanitized shim would need
# ASan's runtime inside the image, so the sanitized suite uses the plain one.
container_shim() {
	if [ "${SANITIZE:-0}" = 1 ]; then
		echo "$CAI_TOP/build/plain/$1"
	else
		echo "$(dirname "$CAI_AUDIT_SHIM")/$1"
	fi
}

# In setup_file: start the sandbox, or skip the whole file with the reason.
# AGENT_SANDBOX_NO_DEBIAN=1: without the image cai-test:debian.
agent_sandbox_start() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for the engine's namespaces (run make check as root)"
	[ -x /usr/sbin/dockerd ] || command -v dockerd >/dev/null || skip "dockerd is not installed (apt-get install docker.io)"
	command -v docker >/dev/null || skip "the docker CLI is not installed"
	command -v runc >/dev/null || skip "runc is not installed"
	"$BATS_TEST_DIRNAME/../helpers/pkg-root" ensure >&2 || skip "no cached Debian root (debootstrap failed)"
	SB_DIR=$BATS_FILE_TMPDIR/sb
	mkdir -p "$SB_DIR"
	# The musl program is never sanitized: take the plain build's.
	local musl_program=$CAI_TOP/build/plain/test/audit-call-musl
	CAI_TEST_BIN=$CAI_TEST_BIN CAI_BIN=$CAI_BIN CAI_AUDITD=$CAI_AUDITD CAI_MUSL_PROGRAM=$musl_program \
		CAI_EGRESS_ACL=$(dirname "$CAI_BIN")/cai-egress-acl AGENT_SANDBOX_NO_DEBIAN=${AGENT_SANDBOX_NO_DEBIAN:-0} \
		"$BATS_TEST_DIRNAME/../helpers/cai-sandbox" "$SB_DIR/scratch" -- \
		"$BATS_TEST_DIRNAME/../helpers/agent-sandbox" "$SB_DIR" >"$SB_DIR/out" 2>&1 &
	local outer=$! i
	for i in $(seq 1200); do
		[ -e "$SB_DIR/ready" ] && break
		kill -0 "$outer" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$SB_DIR/ready" ]; then
		cat "$SB_DIR/out" >&2
		kill -KILL "$outer" 2>/dev/null || true
		return 1
	fi
	NSPID=$(pgrep -P "$outer")
	export NSPID SB_DIR
	export LOG=/proc/$NSPID/root/run/aud/audit.jsonl
	export AGENT_SHIM AGENT_SHIM_MUSL AGENT_INIT
	AGENT_SHIM=$(container_shim libcai-auditshim.so)
	AGENT_SHIM_MUSL=$(container_shim libcai-auditshim-musl.so)
	AGENT_INIT=$(dirname "$CAI_BIN")/cai-agent-init
}

agent_sandbox_stop() {
	# PID 1 of the sandbox: its namespace, dockerd and containers die with it.
	[ -n "${NSPID:-}" ] && kill -KILL "$NSPID" 2>/dev/null || true
}

# in_sb CMD...: run CMD in the sandbox's namespaces.
in_sb() {
	nsenter -t "$NSPID" -m -n -p -- "$@"
}

dock() {
	in_sb docker -H unix:///var/run/docker-containai.sock "$@"
}

# cai_agent ARGS...: `cai run --image` in the sandbox with this build's files.
cai_agent() {
	in_sb env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$CAI_BIN" run \
		--audit-socket /run/aud/audit.sock --shim "$AGENT_SHIM" --shim-musl "$AGENT_SHIM_MUSL" \
		--agent-init "$AGENT_INIT" "$@"
}

# The containers the engine has, running or not.
containers() {
	dock ps -a --format '{{.Names}}' | sort
}

# no_container NAME: the engine has no container of that name (any more).
no_container() {
	if containers | grep -qx "$1"; then
		echo "container $1 is still there" >&2
		return 1
	fi
}
