#!/usr/bin/env bash
# Make a PostGIS database available at $DATABASE_URL (default: the local PostgreSQL 15).
#  - no server answers on a local address: install PostgreSQL 15 from Debian and start it;
#  - the server lacks PostGIS: install postgresql-15-postgis-3;
#  - create the database and the postgis extension.
# Idempotent: a second run changes nothing.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/restoration_map}"
PG_MAJOR="${PG_MAJOR:-15}"

# Split the URL into libpq parts with Python's parser (handles ports, passwords, params).
read -r PGHOST_ PGPORT_ PGUSER_ DBNAME_ < <(python3 - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"))
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", u.path.lstrip("/") or "postgres")
PY
)
export PGHOST="$PGHOST_" PGPORT="$PGPORT_" PGUSER="$PGUSER_"
ADMIN_URL="postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/postgres"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  echo "ensure_postgis: installing $*" >&2
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$@" >/dev/null
}
is_local() { [[ "$PGHOST" == "127.0.0.1" || "$PGHOST" == "localhost" || "$PGHOST" == "::1" ]]; }

if ! command -v pg_isready >/dev/null 2>&1; then
  apt_install "postgresql-client-${PG_MAJOR}"
fi

if ! pg_isready -q -t 3; then
  if ! is_local; then
    echo "ensure_postgis: no PostgreSQL answers at ${PGHOST}:${PGPORT} and it is not local" >&2
    exit 1
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d "/etc/postgresql/${PG_MAJOR}" ]; then
    apt_install "postgresql-${PG_MAJOR}" "postgresql-${PG_MAJOR}-postgis-3"
  fi
  HBA="/etc/postgresql/${PG_MAJOR}/main/pg_hba.conf"
  # A development server: trust on loopback, as on the reference machine.
  if ! grep -q "restoration-map" "$HBA"; then
    as_root sed -i '1i # restoration-map: trust on loopback for local development\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$HBA"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main start || true
  for _ in $(seq 1 30); do pg_isready -q -t 1 && break; sleep 1; done
  pg_isready -q -t 3 || { echo "ensure_postgis: PostgreSQL did not start" >&2; exit 1; }
fi

has_postgis() {
  [ "$(psql "$ADMIN_URL" -XAtqc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = "1" ]
}
if ! has_postgis; then
  if ! is_local; then
    echo "ensure_postgis: the server at ${PGHOST} has no PostGIS; install it there" >&2
    exit 1
  fi
  server_major="$(psql "$ADMIN_URL" -XAtqc "SHOW server_version_num" | cut -c1-2)"
  apt_install "postgresql-${server_major}-postgis-3"
  has_postgis || { echo "ensure_postgis: PostGIS still unavailable" >&2; exit 1; }
fi

if [ "$(psql "$ADMIN_URL" -XAtqc "SELECT count(*) FROM pg_database WHERE datname = '${DBNAME_}'")" = "0" ]; then
  psql "$ADMIN_URL" -XqAtc "CREATE DATABASE \"${DBNAME_}\"" >/dev/null
  echo "ensure_postgis: created database ${DBNAME_}" >&2
fi
psql "postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DBNAME_}" -XqAtc \
  "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;" >/dev/null
echo "ensure_postgis: ${DBNAME_} on ${PGHOST}:${PGPORT} has $(psql "postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DBNAME_}" -XAtqc 'SELECT postgis_lib_version()' ) " >&2
