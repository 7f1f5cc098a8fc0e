#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests of the production instance profile
# (deploy/dagster.postgres.yaml), used by .ci/run and by hand:
#
#   eval "$(deploy/ci_postgres.sh start /tmp/kyluat-pg)"   # prints the DAGSTER_PG_* exports
#   deploy/ci_postgres.sh stop /tmp/kyluat-pg
#
# It installs Debian's postgresql package when no server binaries are found (run as root),
# makes a private cluster in DIR owned by the `postgres` user, listening on 127.0.0.1 only, on
# a free port (or $KYLUAT_PG_PORT), with a login role and a database for Dagster.
set -euo pipefail

command=${1:?usage: ci_postgres.sh start|stop DIR}
dir=${2:?usage: ci_postgres.sh start|stop DIR}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

case "$command" in
start)
  if [ -z "$(pg_bin)" ]; then
    echo "ci_postgres: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 && apt-get install -y postgresql >&2
  fi
  bin=$(pg_bin)
  port=${KYLUAT_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as_postgres "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_postgres "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth-local=trust \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1
  as_postgres "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >&2
  as_postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q <<SQL >&2
create role kyluat login createdb password '$password';
create database kyluat_dagster owner kyluat;
SQL
  cat <<ENV
export DAGSTER_PG_HOST=127.0.0.1
export DAGSTER_PG_PORT=$port
export DAGSTER_PG_USERNAME=kyluat
export DAGSTER_PG_PASSWORD=$password
export DAGSTER_PG_DB=kyluat_dagster
ENV
  ;;
stop)
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >&2 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: ci_postgres.sh start|stop DIR" >&2
  exit 2
  ;;
esac
