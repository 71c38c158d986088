#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from Debian's packages.
#
#   scripts/postgres.sh start DIR   initialise DIR and start a server on 127.0.0.1:$PGPORT
#                                   (default 55432); prints the admin URL
#   scripts/postgres.sh stop DIR    stop it (the caller removes DIR)
#
# PostgreSQL refuses to run as root, so it runs as the `postgres` user that
# the Debian package creates. fsync is off: the data is thrown away anyway.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}
port=${PGPORT:-55432}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

case "$cmd" in
  start)
    if [ -z "$(pg_bin)" ]; then
      echo "[postgres] installing postgresql from Debian" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(pg_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync" >/dev/null
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400\" start" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(pg_bin)
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
