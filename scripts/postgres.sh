#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from Debian's packages.
#
#   scripts/postgres.sh start DIR   initialise DIR and start a server on 127.0.0.1:$PGPORT
#                                   (default: a port that is free now); prints the admin
#                                   URL. With PG_TLS=1 the server also speaks TLS, with a
#                                   certificate for 127.0.0.1 signed by a throwaway CA
#                                   (DIR/root.crt).
#   scripts/postgres.sh stop DIR    stop it (the caller removes DIR)
#   scripts/postgres.sh resume DIR  start an initialised DIR again (after stop)
#
# PostgreSQL refuses to run as root, so it runs as the `postgres` user that
# the Debian package creates. fsync is off: the data is thrown away anyway.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop|resume DIR}
dir=${2:?usage: postgres.sh start|stop|resume DIR}

# A fixed default port once made CI fail: a server left over from an earlier
# run (or a second test run beside it) held it, and pg_ctl said only "could
# not start server". So the default is a port the kernel says is free now,
# kept in DIR/port for resume and stop.
if [ -n "${PGPORT:-}" ]; then
  port=$PGPORT
elif [ -f "$dir/port" ]; then
  port=$(cat "$dir/port")
else
  port=$("$(dirname "$0")/free-ports")
fi

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

run_server() {
  local bin tls=""
  bin=$(pg_bin)
  if [ -f "$dir/server.crt" ]; then
    tls="-c ssl=on -c ssl_cert_file='$dir/server.crt' -c ssl_key_file='$dir/server.key'"
  fi
  if ! as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400 $tls\" start" >/dev/null; then
    # The caller removes DIR, and the reason is only in the server's log.
    echo "[postgres] the server on port $port did not start; its log:" >&2
    tail -n 20 "$dir/log" >&2 || true
    return 1
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
    echo "$port" > "$dir/port"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync" >/dev/null
    if [ "${PG_TLS:-0}" = 1 ]; then
      # A throwaway CA (root.crt, what a client trusts) and a server
      # certificate for 127.0.0.1 that it signed.
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=jotpass test CA" \
        -keyout "$dir/root.key" -out "$dir/root.crt" 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n' > "$dir/server.ext"
      openssl x509 -req -in "$dir/server.csr" -CA "$dir/root.crt" -CAkey "$dir/root.key" \
        -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
      chmod 600 "$dir/server.key"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir/server.key" "$dir/server.crt"
    fi
    run_server
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  resume)
    run_server
    ;;
  stop)
    bin=$(pg_bin)
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
    ;;
  *)
    echo "usage: postgres.sh start|stop|resume DIR" >&2
    exit 2
    ;;
esac
