#!/bin/bash
# make bench, part 5: the cost of `cai run --image` over a plain
# `docker run --rm` of the same image on the same engine. Runs inside
# test/helpers/cai-sandbox (a real dockerd in private namespaces; nothing of
# the host changes). Figures only. Needs: BENCH_BUILD (the build dir),
# BENCH_RUNS_CONTAINER (default 20).
set -euo pipefail
b=$BENCH_BUILD
n=${BENCH_RUNS_CONTAINER:-20}
sock=unix:///var/run/docker-containai.sock
dock() { docker -H "$sock" "$@"; }

mkdir -p /etc/containai/docker /run/aud
echo '{"bridge": "cai0"}' >/etc/containai/docker/daemon.json
"$b/cai" engine start >/dev/null
img=$(mktemp -d)
mkdir -p "$img/bin"
cp /bin/busybox "$img/bin/"
ln -s busybox "$img/bin/true"
tar -C "$img" -c . | dock import - bench:busybox >/dev/null
cache=/var/cache/containai-test/bookworm-minbase.tar.zst
[ -f "$cache" ] && zstd -dc "$cache" | dock import - bench:debian >/dev/null
"$b/cai-auditd" --socket /run/aud/audit.sock --log /run/aud/audit.jsonl 2>/dev/null &
for _ in $(seq 100); do [ -S /run/aud/audit.sock ] && break; sleep 0.05; done

cai_run() {
	"$b/cai" run --audit-socket /run/aud/audit.sock --shim "$b/libcai-auditshim.so" \
		--shim-musl "$b/libcai-auditshim-musl.so" --agent-init "$b/cai-agent-init" "$@"
}

# times LABEL CMD...: n runs, one warm-up first; prints min, median, mean
# (the mean over every run: what a user pays) in ms.
times() {
	local label=$1 t0 t1
	shift
	"$@" >/dev/null 2>&1 || { printf '  %-44s failed: %s\n' "$label" "$("$@" 2>&1 | tail -n 1)"; return 0; }
	for _ in $(seq "$n"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk -v label="$label" '{ v[NR] = $1; s += $1 }
		END { printf "  %-44s min %7.1f  median %7.1f  mean %7.1f ms\n", label, v[1] / 1000,
		      v[int((NR + 1) / 2)] / 1000, s / NR / 1000 }'
}

echo "## Starting and finishing an agent container: CMD true, $n runs each, runc (the same engine)"
for image in bench:busybox bench:debian; do
	dock image inspect "$image" >/dev/null 2>&1 || continue
	echo "$image:"
	times "docker run --rm $image true" dock run --rm --runtime runc "$image" true
	times "cai run --image --no-audit" cai_run --no-audit --runtime runc --image "$image" -- true
	times "cai run --image (audited: seccomp + shim)" cai_run --runtime runc --image "$image" -- true
done
