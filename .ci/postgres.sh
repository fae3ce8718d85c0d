#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the ledger's test suite and exports CHIPCAP_TEST_DATABASE_URL.
#
#   source .ci/postgres.sh      # (what .ci/run does) exports the URL; the server stops when the shell exits
#   bash .ci/postgres.sh        # prints `export CHIPCAP_TEST_DATABASE_URL=...`; stop it with the printed command
#
# Installs PostgreSQL from Debian's packages when it is missing (needs root: apt-get update, then
# apt-get install -y postgresql), initialises a cluster in a temporary folder, starts it on 127.0.0.1
# on a free port as the `postgres` user (trust authentication, loopback only) and creates a database.

_chipcap_pg_main() {
  local bindir initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then
    if [ "$(id -u)" != "0" ]; then
      echo "postgres.sh: PostgreSQL is not installed and this is not root: apt-get install -y postgresql" >&2
      return 1
    fi
    echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$initdb" ]; then
      echo "postgres.sh: initdb not found after installing postgresql" >&2
      return 1
    fi
  fi
  bindir=$(dirname "$initdb")

  # Run the server as `postgres` when we are root (PostgreSQL refuses to run as root).
  local as=()
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    as=(runuser -u postgres --)
  fi

  local dir port
  dir=$(mktemp -d /tmp/chipcap-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = "0" ] && chown postgres: "$dir"

  "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }

  # A free port on loopback: the first one nothing answers on and the server can bind (a port in
  # the ephemeral range may be held by a client connection that does not answer: try the next).
  port=""
  local p
  for p in $(seq 54329 54429); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      continue
    fi
    rm -f "$dir/server.log"
    if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $p -c unix_socket_directories=$dir -c max_connections=200 -c fsync=on -c synchronous_commit=on" \
      start >/dev/null 2>&1; then
      port=$p
      break
    fi
    grep -q "could not bind\|could not create any TCP/IP sockets" "$dir/server.log" 2>/dev/null \
      || { cat "$dir/server.log" >&2; return 1; }
  done
  if [ -z "$port" ]; then
    echo "postgres.sh: no free port in 54329-54429" >&2
    return 1
  fi
  "${as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres chipcap_test

  CHIPCAP_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/chipcap_test"
  CHIPCAP_PG_STOP="${as[*]} $bindir/pg_ctl -D $dir/data -m fast stop"
  export CHIPCAP_TEST_DATABASE_URL CHIPCAP_PG_STOP
  echo "postgres.sh: PostgreSQL running on 127.0.0.1:$port (data in $dir)" >&2
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: export into the caller and stop the server when the caller exits.
  _chipcap_pg_main || return 1
  trap 'eval "$CHIPCAP_PG_STOP" >/dev/null 2>&1 || true' EXIT
  echo "CHIPCAP_TEST_DATABASE_URL=$CHIPCAP_TEST_DATABASE_URL"
else
  set -euo pipefail
  _chipcap_pg_main
  echo "export CHIPCAP_TEST_DATABASE_URL=$CHIPCAP_TEST_DATABASE_URL"
  echo "# stop with: $CHIPCAP_PG_STOP"
fi
