#!/usr/bin/env bash
# sqlload-vs-pgbench.sh: what the Go driver and database/sql's pool cost
# over pgbench, PostgreSQL's own C client, running the same SELECT with
# the same number of clients against the same throwaway server.
#
#   scripts/sqlload-vs-pgbench.sh [-c CLIENTS] [-d SECONDS] [-q SQL]
#
# Defaults: 16 clients, 5 s, SELECT 1. Three pairs, alternating, so that
# drift of the shared machine hits both. pgbench runs with -M prepared
# (pgx prepares and caches statements by default) and -j 2 threads;
# sqlload with its pool unlimited and 16 idle connections kept, so both
# hold one connection per client. Both talk TCP to 127.0.0.1. It prints
# each run's throughput and mean latency, sqlload's p99 and its own CPU
# use (share of the machine's CPUs), and the ratio sqlload/pgbench.
# Client and server share the machine's CPUs: the cheaper client leaves
# the server more.
set -euo pipefail
clients=16 secs=5 sql="SELECT 1"
while getopts c:d:q: o; do
	case $o in
	c) clients=$OPTARG ;; d) secs=$OPTARG ;; q) sql=$OPTARG ;;
	*) echo "usage: $0 [-c CLIENTS] [-d SECONDS] [-q SQL]" >&2; exit 2 ;;
	esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/sqlload-pg.sh"
work=$(mktemp -d)
echo "building sqlload" >&2
(cd "$repo/examples/sqlload" && go build -o "$work/sqlload" .)
pg_start
printf '%s;\n' "$sql" >"$work/select.sql"

echo "server: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), 127.0.0.1:$PGPORT; $clients clients, ${secs}s each, query: $sql"
echo "client: $(nproc) CPUs shared with the server"
echo
printf '| pair | pgbench tps | pgbench mean | sqlload q/s | sqlload mean | sqlload p99 | sqlload CPU | sqlload/pgbench |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
sum=0
for pair in 1 2 3; do
	pb=$("$PGBIN/pgbench" -n -M prepared -c "$clients" -j 2 -T "$secs" -f "$work/select.sql" postgres 2>&1)
	pb_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$pb" | head -n 1)
	pb_lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$pb")
	js=$("$work/sqlload" -driver pgx -dsn "$PGDSN" -c "$clients" -d "${secs}s" -max-idle "$clients" \
		-query "q=$sql" -json || true)
	sl_qps=$(jq -r '.result.load.requests_per_sec' <<<"$js")
	sl_mean=$(jq -r '.result.load.latency_sec.mean * 1000' <<<"$js")
	sl_p99=$(jq -r '.result.load.latency_sec.p99 * 1000' <<<"$js")
	sl_cpu=$(jq -r '.result.load.generator.utilization * 100' <<<"$js")
	ratio=$(awk -v a="$sl_qps" -v b="$pb_tps" 'BEGIN { printf "%.2f", a / b }')
	printf '| %d | %.0f | %.3f ms | %.0f | %.3f ms | %.3f ms | %.0f%% | %sx |\n' "$pair" "$pb_tps" "$pb_lat" "$sl_qps" "$sl_mean" "$sl_p99" "$sl_cpu" "$ratio"
	sum=$(awk -v s="$sum" -v r="$ratio" 'BEGIN { print s + r }')
done
echo
awk -v s="$sum" 'BEGIN { printf "mean ratio sqlload/pgbench: %.2fx (throughput; below 1 is the Go driver and pool costing more than libpq)\n", s / 3 }'
