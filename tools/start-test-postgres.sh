#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the document-store tests and prints its connection string
# (the only line on stdout), e.g.  export CLARA_TEST_POSTGRES=$(tools/start-test-postgres.sh)
# Debian's PostgreSQL 15 (package postgresql), cluster in /tmp/clara-pg owned by the postgres user,
# listening on 127.0.0.1:55432 only, trust authentication: for tests, never for data that matters.
# Idempotent: an existing cluster is reused, a running one is left running. Run as root (or as postgres).
# Stop it with tools/stop-test-postgres.sh.
set -euo pipefail

pg_bin=${CLARA_PG_BIN:-/usr/lib/postgresql/15/bin}
root=${CLARA_PG_DIR:-/tmp/clara-pg}
port=${CLARA_PG_PORT:-55432}
database=clara_test
data="$root/data"
log="$root/server.log"

say() { echo "start-test-postgres.sh: $*" >&2; }
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else say "run as root or as the postgres user"; exit 1; fi
}

[ -x "$pg_bin/initdb" ] || { say "no PostgreSQL at $pg_bin (apt-get install postgresql, see tools/setup-machine.sh)"; exit 1; }

if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$root"
  [ "$(id -u)" = 0 ] && chown postgres: "$root"
  chmod 700 "$root"
  say "initdb $data"
  as_postgres "$pg_bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$root/initdb.log" 2>&1 \
    || { cat "$root/initdb.log" >&2; exit 1; }
fi

if ! as_postgres "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  say "starting on 127.0.0.1:$port"
  # The socket goes into the cluster's own folder, so this server never collides with a system one.
  as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $root" start >/dev/null \
    || { say "server did not start; its log:"; tail -n 30 "$log" >&2; exit 1; }
fi

for _ in $(seq 1 60); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
  sleep 1
done
"$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || { say "server not ready on port $port"; exit 1; }

psql_() { "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
if [ "$(psql_ -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  psql_ -c "CREATE DATABASE $database" >/dev/null
fi

echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$database"
