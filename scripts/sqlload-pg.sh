# sqlload-pg.sh: sourced by the sqlload scripts. Starts a throwaway
# PostgreSQL cluster from Debian's packages on 127.0.0.1 at a free port,
# trusted, fsync off, and stops and removes it when the script exits.
# PostgreSQL refuses to run as root: as root, initdb and postgres run as
# the postgres user (setpriv), in a directory handed to that user.
#
# After pg_start: $PGBIN (initdb, postgres, psql, pgbench), $PGPORT,
# $PGDSN (a postgres:// URL for sqlload), $PGHOST/$PGUSER for libpq tools.

pg_start() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
		echo "PostgreSQL is not installed (Debian package postgresql)" >&2
		exit 1
	fi
	pg_dir=$(mktemp -d /tmp/sqlload-pg.XXXXXX)
	pg_as=()
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$pg_dir"
		pg_as=(setpriv --reuid=postgres --regid=postgres --init-groups)
	fi
	"${pg_as[@]}" "$PGBIN/initdb" -D "$pg_dir/data" -U postgres -E UTF8 --locale=C --no-sync --auth=trust >"$pg_dir/initdb.log" 2>&1 ||
		{ cat "$pg_dir/initdb.log" >&2; exit 1; }
	# A free port: ask the kernel for one on 127.0.0.1, then let go of it.
	PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000)))
	# setsid: the server leads its own process group, which pg_stop kills.
	setsid "${pg_as[@]}" "$PGBIN/postgres" -D "$pg_dir/data" -k "$pg_dir" -p "$PGPORT" \
		-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c max_connections=200 >"$pg_dir/server.log" 2>&1 &
	pg_pid=$!
	trap pg_stop EXIT
	for _ in $(seq 300); do
		"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break
		kill -0 "$pg_pid" 2>/dev/null || { cat "$pg_dir/server.log" >&2; exit 1; }
		sleep 0.1
	done
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" || { echo "postgres did not start" >&2; cat "$pg_dir/server.log" >&2; exit 1; }
	PGHOST=127.0.0.1 PGUSER=postgres
	export PGHOST PGPORT PGUSER
	PGDSN="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
}

pg_stop() {
	if [ -n "${pg_pid:-}" ]; then
		kill -INT "$pg_pid" 2>/dev/null || true # fast shutdown
		for _ in $(seq 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- -"$pg_pid" 2>/dev/null || true
		wait "$pg_pid" 2>/dev/null || true
	fi
	rm -rf "${pg_dir:-/nonexistent}" "${work:-/nonexistent}"
}
