# Run by test/bats/auditd-container.bats inside test/helpers/cai-sandbox:
# start the Secure Engine and a collector whose socket directory is
# bind-mounted into containers, then send events from containers and from
# the host. Writes $OUT/audit.jsonl, $OUT/id and $OUT/shim-id.
# Needs: AUDITD SEND (static sender) AUDIT_RECORD AUDIT_CALL SHIM OUT CLAIM_ID.
set -e

rec() { "$AUDIT_RECORD" "$1"; } # JSON: the record, in hex, for audit-send

ev() { # COMM [EXTRA]: an event; EXTRA is spliced in as more fields
	printf '{"v":1,"ts":"2026-01-01T00:00:00.000000000Z","mono":"1.000000000","pid":%s,"ppid":0,"tid":%s,"uid":0,"comm":"%s","cwd":"/","call":"open","phase":"exit","args":{"path":"/x"},"result":{"return":3}%s}' \
		"${PID_IN:-1}" "${PID_IN:-1}" "$1" "${2:-}"
}
CLAIM=',"container":{"id":"'$CLAIM_ID'","name":"claimed"}'
BAD_CLAIM=',"container":{"id":"'$CLAIM_ID'"}'

mkdir -p /etc/containai/docker
echo '{"bridge": "cai0"}' >/etc/containai/docker/daemon.json
"$CAI" engine start >/dev/null || exit 9
D() { docker -H unix:///var/run/docker-containai.sock "$@"; }

mkdir -m 0755 /run/aud
"$AUDITD" --socket /run/aud/audit.sock --log "$OUT/audit.jsonl" 2>"$OUT/auditd.err" &
apid=$!
for _ in $(seq 100); do [ -S /run/aud/audit.sock ] && break; sleep 0.05; done
[ -S /run/aud/audit.sock ] || exit 7

# An image with busybox, the static sender, and a glibc program with the
# shim and every library they load (the sanitized build needs libasan).
img=$(mktemp -d)
mkdir -p "$img/bin" "$img/etc"
cp /bin/busybox "$img/bin/"
ln -s busybox "$img/bin/sh"
cp "$SEND" "$img/bin/audit-send"
cp "$AUDIT_CALL" "$img/bin/audit-call"
cp "$SHIM" "$img/shim.so"
for f in "$AUDIT_CALL" "$SHIM"; do
	for l in $(ldd "$f" | grep -o '/[^ ]*'); do cp -L --parents "$l" "$img"; done
done
tar -C "$img" -c . | D import - cai-test:audit >/dev/null || exit 8

D create --name cai-test-x --network none -v /run/aud:/aud cai-test:audit \
	audit-send /aud/audit.sock "$(rec "$(ev in-container)")" "$(rec "$(ev in-container-claim "$CLAIM")")" >/dev/null
D inspect -f '{{.Id}}' cai-test-x >"$OUT/id"
D start -a cai-test-x

# The collector reads the container when it accepts the connection: the
# program stays 500 ms so that a loaded machine cannot make it "unknown"
# (a flood of peers that exit at once is tested on its own).
D run --name cai-test-shim --network none -v /run/aud:/aud -e LD_PRELOAD=/shim.so \
	-e CAI_AUDIT_SOCKET=/aud/audit.sock -e ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 \
	-e AUDIT_CALL_LINGER_MS=500 \
	cai-test:audit audit-call open /etc/hostname r
D inspect -f '{{.Id}}' cai-test-shim >"$OUT/shim-id"

cp "$SEND" /run/aud/send
PID_IN=$$ /run/aud/send /run/aud/audit.sock "$(rec "$(PID_IN=$$ ev host-root)")" \
	"$(rec "$(PID_IN=$$ ev host-root-claim "$CLAIM")")" "$(rec "$(PID_IN=$$ ev host-root-bad-claim "$BAD_CLAIM")")"
setpriv --reuid=nobody --regid=nogroup --clear-groups /run/aud/send /run/aud/audit.sock "$(rec "$(ev host-nobody-claim "$CLAIM")")"

kill -TERM "$apid"
wait "$apid"
