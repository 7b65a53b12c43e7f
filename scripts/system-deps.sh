#!/usr/bin/env bash
# Makes sure the system packages the tests need are present: PostgreSQL's server binaries
# (initdb, postgres) and, with --bench, PgBouncer. Installs them with apt-get when running as
# root on Debian; otherwise prints the one command that does.
set -euo pipefail

want_bench=false
[[ "${1:-}" == "--bench" ]] && want_bench=true

missing=()
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null; then
  missing+=(postgresql postgresql-contrib)
fi
command -v psql >/dev/null || missing+=(postgresql-client)
if $want_bench; then
  command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
  command -v pgbench >/dev/null || missing+=(postgresql-contrib)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# The Debian package starts a cluster of its own; the tests start their own servers instead.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
if command -v service >/dev/null; then
  service postgresql stop >/dev/null 2>&1 || true
fi
