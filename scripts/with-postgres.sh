#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster on 127.0.0.1, then removes it.
# Usage: scripts/with-postgres.sh COMMAND...  (DATABASE_URL, ADMINTS_PGDATA and ADMINTS_PGBIN
# are set for the command)
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then echo "PostgreSQL n'est pas installé (apt-get install postgresql)." >&2; exit 1; fi
PORT=${ADMINTS_PG_PORT:-55432}
DIR=$(mktemp -d /tmp/admints-pg.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$DIR"
  AS=(runuser -u postgres --)
fi
cleanup() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -A trust -U admints -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
export DATABASE_URL="postgresql://admints@127.0.0.1:$PORT/postgres"
# The fault tests (make test-services) restart this cluster with pg_ctl.
export ADMINTS_PGDATA="$DIR/data" ADMINTS_PGBIN="$PGBIN"
"$@"
