#!/usr/bin/env bash
# sqlload-native-vs-emulated.sh: what emulation costs a Go database
# client. The same load runs from a native build of sqlload and from a
# linux/arm64 build under qemu-user (qemu-aarch64), against the same
# servers, and a Markdown table compares them:
#   pgx     PostgreSQL stays native: only the driver, database/sql and
#           the load engine are emulated;
#   sqlite  modernc.org/sqlite runs in-process: the whole database engine
#           is emulated too.
#
#   scripts/sqlload-native-vs-emulated.sh [-c CLIENTS] [-d SECONDS]
#
# Defaults: 16 clients, 5 s, SELECT 1, pool unlimited with every
# connection kept idle; two rounds, alternating native and emulated.
# modernc.org/sqlite is pure Go, so the arm64 build needs no cross C
# compiler. Needs qemu-user (Debian package qemu-user) and PostgreSQL.
set -euo pipefail
clients=16 secs=5
while getopts c:d: o; do
	case $o in
	c) clients=$OPTARG ;; d) secs=$OPTARG ;;
	*) echo "usage: $0 [-c CLIENTS] [-d SECONDS]" >&2; exit 2 ;;
	esac
done
command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 not found (Debian package qemu-user)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/sqlload-pg.sh"
work=$(mktemp -d)
echo "building sqlload for $(go env GOOS)/$(go env GOARCH) and linux/arm64" >&2
(cd "$repo/examples/sqlload" && CGO_ENABLED=0 go build -o "$work/sqlload-native" . &&
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o "$work/sqlload-arm64" .)
pg_start
sqlite_dsn="file:$work/load.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"

echo "host: $(uname -m), $(nproc) CPUs; $(qemu-aarch64 --version | head -n 1)"
echo "load: $clients clients, ${secs}s, SELECT 1, closed loop; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') native on 127.0.0.1"
echo
printf '| driver | round | build | q/s | p50 | p99 | client CPU | emulated/native q/s |\n'
printf '|---|---:|---|---:|---:|---:|---:|---:|\n'
row() { # row DRIVER ROUND BUILD JSON [NATIVE-QPS]
	local qps p50 p99 cpu ratio=""
	qps=$(jq -r '.result.load.requests_per_sec' <<<"$4")
	p50=$(jq -r '.result.load.latency_sec.p50 * 1000' <<<"$4")
	p99=$(jq -r '.result.load.latency_sec.p99 * 1000' <<<"$4")
	cpu=$(jq -r '.result.load.generator.utilization * 100' <<<"$4")
	[ -n "${5:-}" ] && ratio=$(awk -v a="$qps" -v b="$5" 'BEGIN { printf "%.2fx", a / b }')
	printf '| %s | %d | %s | %.0f | %.3f ms | %.3f ms | %.0f%% | %s |\n' "$1" "$2" "$3" "$qps" "$p50" "$p99" "$cpu" "$ratio" >&2
	echo "$qps"
}
for driver in pgx sqlite; do
	dsn=$PGDSN
	[ "$driver" = sqlite ] && dsn=$sqlite_dsn
	for round in 1 2; do
		args=(-driver "$driver" -dsn "$dsn" -c "$clients" -d "${secs}s" -max-idle "$clients" -json)
		native=$("$work/sqlload-native" "${args[@]}" || true)
		nq=$(row "$driver" "$round" "native $(go env GOARCH)" "$native" 2>&1 >/dev/null; true)
		nqps=$(jq -r '.result.load.requests_per_sec' <<<"$native")
		echo "$nq"
		emu=$(qemu-aarch64 "$work/sqlload-arm64" "${args[@]}" || true)
		row "$driver" "$round" "linux/arm64 under qemu" "$emu" "$nqps" 2>&1 >/dev/null
	done
done
