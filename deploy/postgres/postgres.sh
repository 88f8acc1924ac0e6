#!/usr/bin/env bash
# Local PostgreSQL for development and CI — no Docker needed.
#   deploy/postgres/postgres.sh start|stop|status|reset-db
# Uses a server that already answers on PGHOST:PGPORT; otherwise installs Debian's
# `postgresql` if missing, starts (or creates) a cluster with pg_ctlcluster, and then creates
# the role, the database and one schema per service.
# Environment: PGHOST (127.0.0.1), PGPORT (5432), TIDEOVER_DB (tideover),
#              TIDEOVER_DB_USER (tideover), TIDEOVER_DB_PASSWORD (tideover),
#              TIDEOVER_PG_SHARED_BUFFERS (a quarter of memory, at most 2GB).
set -euo pipefail
host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
db="${TIDEOVER_DB:-tideover}"
user="${TIDEOVER_DB_USER:-tideover}"
password="${TIDEOVER_DB_PASSWORD:-tideover}"
schemas="overdue_detection notification negotiation_intake plan_calculation repayment_tracking scheduler"

answers() { command -v pg_isready >/dev/null && pg_isready -q -h "$host" -p "$port"; }

install_server() {
  command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && return 0
  echo "postgres.sh: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
}

cluster() {  # prints "<version> <name>" of the cluster on $port, creating one if none exists
  local line
  line="$(pg_lsclusters --no-header | awk -v p="$port" '$3 == p {print $1, $2; exit}')"
  if [ -z "$line" ]; then
    local version; version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    pg_createcluster "$version" tideover --port "$port" >/dev/null
    line="$version tideover"
  fi
  echo "$line"
}

# Debian's default of 128MB makes a close of a large book read most pages through the kernel: a
# 1,000,000-loan close read again in-process took 14.5 s with 128MB and 10.2 s with 2GB. A quarter
# of the memory this machine (or its cgroup) has, at most 2GB, given to the cluster this script
# starts for that start only: its configuration files are left as they are.
shared_buffers() {
  local kib limit
  kib="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)"; kib="${kib:-0}"
  limit="$(cat /sys/fs/cgroup/memory.max 2>/dev/null || echo max)"
  if [[ "$limit" =~ ^[0-9]+$ ]] && [ $(( limit / 1024 )) -lt "$kib" ]; then kib=$(( limit / 1024 )); fi
  local mib=$(( kib / 4 / 1024 ))
  if [ "$mib" -gt 2048 ]; then mib=2048; fi
  if [ "$mib" -lt 128 ]; then mib=128; fi
  echo "${TIDEOVER_PG_SHARED_BUFFERS:-${mib}MB}"
}

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

provision() {
  local sql_port="$port"
  as_postgres env PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 -p "$sql_port" -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $user CREATEDB;
  END IF;
END \$\$;
SQL
  if ! as_postgres psql -tA -p "$sql_port" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    as_postgres createdb -p "$sql_port" -O "$user" "$db"
  fi
  for schema in $schemas; do
    as_postgres env PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 -p "$sql_port" -d "$db" \
      -c "CREATE SCHEMA IF NOT EXISTS $schema AUTHORIZATION $user"
  done
}

start() {
  if answers; then
    echo "postgres.sh: a server already answers on $host:$port"
  else
    install_server
    read -r version name <<<"$(cluster)"
    local buffers; buffers="$(shared_buffers)"
    echo "postgres.sh: starting cluster $version/$name on port $port (shared_buffers $buffers)"
    pg_ctlcluster -o "-c shared_buffers=$buffers" "$version" "$name" start
    for _ in $(seq 1 60); do answers && break; sleep 0.5; done
    answers || { echo "postgres.sh: server did not answer within 30 s" >&2; exit 1; }
  fi
  if id postgres >/dev/null 2>&1 && command -v runuser >/dev/null; then
    provision
  else
    echo "postgres.sh: not provisioning (no local postgres superuser); expecting $db to exist"
  fi
  echo "postgres.sh: ready: postgresql://$user:***@$host:$port/$db"
}

stop() {
  read -r version name <<<"$(pg_lsclusters --no-header | awk -v p="$port" '$3 == p {print $1, $2; exit}')"
  [ -n "${version:-}" ] && pg_ctlcluster "$version" "$name" stop || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "answering on $host:$port"; else echo "not answering"; exit 1; fi ;;
  reset-db)
    as_postgres dropdb -p "$port" --if-exists --force "$db"
    start ;;
  *) echo "usage: $0 start|stop|status|reset-db" >&2; exit 2 ;;
esac
