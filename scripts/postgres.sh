#!/usr/bin/env bash
# The HIS source database of the embedded set-up: a PostgreSQL server on loopback whose data lives in
# $HEALTHLAKE_HOME/postgres. In production the HIS is the hospital's own server; only the settings change.
#
#   scripts/postgres.sh install   install the server from Debian's packages if absent (needs root)
#   scripts/postgres.sh start     install if needed, create the cluster once, start it, ensure role and database
#   scripts/postgres.sh stop      stop it
#   scripts/postgres.sh status    say whether it runs
#   scripts/postgres.sh destroy   stop it and delete its data
#
# Settings (the same names healthlake.settings reads): HEALTHLAKE_HOME, HEALTHLAKE_HIS_PORT (55432),
# HEALTHLAKE_HIS_USER (healthlake), HEALTHLAKE_HIS_DATABASE (his), HEALTHLAKE_HIS_PASSWORD (otherwise a
# random one is made once in $HEALTHLAKE_HOME/secrets/his.password, never in the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

HL_HOME=$(realpath -m "${HEALTHLAKE_HOME:-.healthlake}")
PORT=${HEALTHLAKE_HIS_PORT:-55432}
APP_USER=${HEALTHLAKE_HIS_USER:-healthlake}
DATABASE=${HEALTHLAKE_HIS_DATABASE:-his}
# PostgreSQL refuses to run as root, so a root shell runs it as the `postgres` user the package creates,
# with its data where that user can reach it (one cluster per HEALTHLAKE_HOME).
if [ "$(id -u)" = 0 ]; then
  STATE=/var/lib/postgresql/healthlake/$(printf '%s' "$HL_HOME" | sha256sum | cut -c1-16)
else
  STATE=$HL_HOME/postgres
fi
DATA=$STATE/data
SOCKETS=$STATE/run
LOGS=$STATE/log
PASSWORD_FILE=$HL_HOME/secrets/his.password

say() { echo "healthlake postgres: $*"; }
die() { echo "healthlake postgres: $*" >&2; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  [ -n "$(pg_bin)" ] && return 0
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed. Install it (sudo apt-get install -y postgresql) and rerun."
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and this is not a Debian system: install PostgreSQL 15+."
  say "installing PostgreSQL from Debian's packages ..."
  # Only the binaries: healthlake makes its own cluster, so the package's default one is not wanted.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >"$HL_HOME/postgres-install.log" 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql \
         >>"$HL_HOME/postgres-install.log" 2>&1; } \
    || die "apt-get install postgresql failed; see $HL_HOME/postgres-install.log"
  [ -n "$(pg_bin)" ] || die "PostgreSQL was installed but no server binaries were found under /usr/lib/postgresql"
}

running() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_server "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

password() {
  if [ -n "${HEALTHLAKE_HIS_PASSWORD:-}" ]; then printf '%s' "$HEALTHLAKE_HIS_PASSWORD"; return; fi
  if [ ! -s "$PASSWORD_FILE" ]; then
    mkdir -p "$(dirname "$PASSWORD_FILE")"; chmod 700 "$(dirname "$PASSWORD_FILE")"
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PASSWORD_FILE")
  fi
  cat "$PASSWORD_FILE"
}

superuser_sql() {
  as_server "$(pg_bin)/psql" -h "$SOCKETS" -p "$PORT" -U postgres -d "${2:-postgres}" -v ON_ERROR_STOP=1 -qtAc "$1"
}

start() {
  mkdir -p "$HL_HOME"
  install
  local bin; bin=$(pg_bin)
  mkdir -p "$DATA" "$SOCKETS" "$LOGS"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE"
  chmod 700 "$DATA"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a cluster in $DATA ..."
    as_server "$bin/initdb" -D "$DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 || die "initdb failed; see $LOGS/initdb.log"
    # Peer authentication maps the OS user running psql; let root's shell act as the superuser.
    echo "local all postgres trust" > "$DATA/pg_hba.conf.new"
    cat "$DATA/pg_hba.conf" >> "$DATA/pg_hba.conf.new" && mv "$DATA/pg_hba.conf.new" "$DATA/pg_hba.conf"
    [ "$(id -u)" = 0 ] && chown postgres: "$DATA/pg_hba.conf"
  fi
  if ! running; then
    # Another home's server on the port would make pg_ctl fail with only "could not start server".
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      die "port $PORT is taken by another server (another healthlake home's HIS database?): stop it, or set HEALTHLAKE_HIS_PORT"
    fi
    as_server "$bin/pg_ctl" -D "$DATA" -l "$LOGS/server.log" -w -t 60 \
      -o "-p $PORT -k $SOCKETS -c listen_addresses=127.0.0.1" start >/dev/null \
      || die "the server did not start; see $LOGS/server.log"
  fi
  local secret; secret=$(password)
  if [ "$(superuser_sql "SELECT 1 FROM pg_roles WHERE rolname = '$APP_USER'")" != 1 ]; then
    superuser_sql "CREATE ROLE \"$APP_USER\" LOGIN CREATEDB PASSWORD '$secret'"
  else
    superuser_sql "ALTER ROLE \"$APP_USER\" PASSWORD '$secret'"
  fi
  if [ "$(superuser_sql "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    superuser_sql "CREATE DATABASE \"$DATABASE\" OWNER \"$APP_USER\""
  fi
  say "running on 127.0.0.1:$PORT, database $DATABASE, user $APP_USER (data in $DATA)"
}

stop() {
  if running; then
    as_server "$(pg_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

case "${1:-}" in
  install) mkdir -p "$HL_HOME"; install ;;
  start) start ;;
  stop) stop ;;
  destroy) stop; rm -rf "$STATE"; say "data deleted" ;;
  status) if running; then say "running on 127.0.0.1:$PORT (data in $DATA)"; else say "not running"; exit 3; fi ;;
  *) echo "usage: $0 install|start|stop|status|destroy" >&2; exit 2 ;;
esac
