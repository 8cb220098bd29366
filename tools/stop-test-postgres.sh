#!/usr/bin/env bash
# Stops the throwaway cluster of tools/start-test-postgres.sh; with --purge also deletes /tmp/clara-pg.
# Idempotent: nothing running and nothing there is fine.
set -euo pipefail

pg_bin=${CLARA_PG_BIN:-/usr/lib/postgresql/15/bin}
root=${CLARA_PG_DIR:-/tmp/clara-pg}
data="$root/data"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else echo "stop-test-postgres.sh: run as root or as the postgres user" >&2; exit 1; fi
}

if [ -f "$data/PG_VERSION" ] && as_postgres "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  as_postgres "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  echo "stop-test-postgres.sh: stopped" >&2
fi
if [ "${1:-}" = --purge ]; then
  rm -rf "$root"
  echo "stop-test-postgres.sh: removed $root" >&2
fi
