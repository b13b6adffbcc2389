#!/usr/bin/env bash
# sqlload-sweep.sh: the pool-settings sweep against a throwaway
# PostgreSQL server: one run per MaxOpen x MaxIdle setting, as a Markdown
# table naming the setting that meets the p99 target with the fewest
# connections.
#
#   scripts/sqlload-sweep.sh [sqlload flags...]
#
# Defaults: 16 clients, 2 s per setting, SELECT 1, p99 target 10 ms;
# flags given are passed on (e.g. -p99 5ms -sweep-open 1,2,4 -c 32).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/sqlload-pg.sh"
work=$(mktemp -d)
echo "building sqlload" >&2
(cd "$repo/examples/sqlload" && go build -o "$work/sqlload" .)
pg_start
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1, pgx v5 through database/sql; $(nproc) CPUs shared by client and server"
echo
"$work/sqlload" -driver pgx -dsn "$PGDSN" -c 16 -d 2s -p99 10ms -sweep "$@" || true
