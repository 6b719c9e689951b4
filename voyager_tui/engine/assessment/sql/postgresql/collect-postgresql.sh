#!/bin/sh
# voyager-tui assessment: collect PostgreSQL metadata for a standalone assessment (read-only).
#
# Runs pg_dump --schema-only (schema.sql) and collect-postgresql.psql (the CSV files) against one database and
# writes everything into one output directory. Needs psql 12 or newer, pg_dump 11 or newer and at least as new
# as the server, and a POSIX shell; nothing else.
#
# The connection comes from the standard libpq environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE, and
# the password from ~/.pgpass or PGPASSWORD (never put a password on the command line: it shows in `ps`).
#
# Usage:
#   PGHOST=db.example.com PGDATABASE=shop PGUSER=assessor ./collect-postgresql.sh -s public,sales -o ./shop-metadata
#
# Options:
#   -s SCHEMAS   comma-separated schemas to assess                   (default: public)
#   -o DIR       output directory, created if missing, must be empty (default: ./voyager-metadata)
#   -i SECONDS   IOPS window: seconds between the two samples        (default: @IOPS_INTERVAL@)
#   -t SECONDS   statement timeout for each query, and pg_dump's lock wait timeout (default: @STATEMENT_TIMEOUT@)
#   -h           this help
#
# Then send the output directory back, or ingest it yourself:
#   voyager-tui assessment ingest-metadata --assessment-dir ./shop-assessment --metadata-dir ./shop-metadata
set -eu

SCHEMAS=public
OUT_DIR=./voyager-metadata
IOPS_INTERVAL=@IOPS_INTERVAL@
STATEMENT_TIMEOUT=@STATEMENT_TIMEOUT@

usage() { sed -n '2,/^set -eu$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "collect-postgresql.sh: $*" >&2; exit 1; }

while getopts "s:o:i:t:h" opt; do
    case "$opt" in
        s) SCHEMAS=$OPTARG ;;
        o) OUT_DIR=$OPTARG ;;
        i) IOPS_INTERVAL=$OPTARG ;;
        t) STATEMENT_TIMEOUT=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

case "$IOPS_INTERVAL" in ''|*[!0-9]*) die "-i wants whole seconds, got '$IOPS_INTERVAL'" ;; esac
case "$STATEMENT_TIMEOUT" in ''|*[!0-9]*|0) die "-t wants whole seconds above 0, got '$STATEMENT_TIMEOUT'" ;; esac
[ -n "$SCHEMAS" ] || die "-s wants at least one schema"

HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$HERE/collect-postgresql.psql" ] || die "collect-postgresql.psql is missing next to this script"
for tool in psql:12 pg_dump:11; do
    name=${tool%:*}
    need=${tool#*:}
    command -v "$name" >/dev/null 2>&1 || die "$name was not found on PATH (install the PostgreSQL client)"
    major=$("$name" --version | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p')
    [ "${major:-0}" -ge "$need" ] || die "$name ${major:-?} is too old: version $need or newer is needed"
done

if [ -e "$OUT_DIR" ] && [ -n "$(ls -A "$OUT_DIR" 2>/dev/null)" ]; then
    die "$OUT_DIR is not empty: choose a new directory with -o"
fi
mkdir -p "$OUT_DIR"
cd "$OUT_DIR"

export PGAPPNAME="${PGAPPNAME:-voyager-tui-assessment}"
export PGCLIENTENCODING=UTF8

# The CSV files. The psql variables carry the parameters; schemas are |-separated there.
psql -X -q -v ON_ERROR_STOP=1 \
    -v schemas="$(printf '%s' "$SCHEMAS" | tr ',' '|')" \
    -v iops_interval="$IOPS_INTERVAL" \
    -v statement_timeout="$STATEMENT_TIMEOUT" \
    -f "$HERE/collect-postgresql.psql" \
    || die "psql failed (see its message above)"

# The schema's DDL, after the queries (so pg_dump's own catalog queries are not in the statement statistics
# just collected). One -n per schema, double-quoted so that case and special characters match exactly;
# pg_dump 14+ can add the database's extensions (CREATE EXTENSION), which -n alone leaves out.
echo "schema.sql: pg_dump --schema-only for schema(s) $SCHEMAS"
set --
if [ "$(pg_dump --version | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p')" -ge 14 ]; then
    set -- --extension='*'
fi
old_ifs=$IFS
IFS=,
set -f  # split on commas only: no wildcard expansion of schema names
for schema in $SCHEMAS; do
    quoted=$(printf '%s' "$schema" | sed 's/"/""/g')
    set -- "$@" -n "\"$quoted\""
done
set +f
IFS=$old_ifs
pg_dump --schema-only --no-owner --no-privileges --no-tablespaces --no-publications --no-subscriptions \
    --encoding=UTF8 --lock-wait-timeout="${STATEMENT_TIMEOUT}s" "$@" -f schema.sql \
    || die "pg_dump failed (see its message above): the CSV files are written, schema.sql is missing"

if [ -s collection-notes.csv ] && [ "$(wc -l < collection-notes.csv)" -gt 1 ]; then
    echo "notes (also in collection-notes.csv):"
    tail -n +2 collection-notes.csv | sed 's/^/  /'
fi
echo "metadata written to $(pwd)"
echo "next: voyager-tui assessment ingest-metadata --assessment-dir <assessment dir> --metadata-dir $(pwd)"
