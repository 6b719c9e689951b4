#!/bin/sh
# voyager-tui assessment: collect Oracle metadata for a standalone assessment (read-only).
#
# NOT VERIFIED against an Oracle server: the queries parse as Oracle SQL and produce every file of the layout,
# but they have not been run against a real database. Check the output with ingest-metadata.
#
# Runs collect-oracle.sql with SQL*Plus 12.2 or newer (for SET MARKUP CSV ON) in the output directory. Needs
# sqlplus and a POSIX shell; nothing else.
#
# The connect string comes from the ORACLE_CONNECT environment variable (user/password@//host:1521/service,
# or /@wallet_alias with an external password store). It is passed to SQL*Plus on its standard input, never
# on the command line, where `ps` would show it.
#
# Usage:
#   ORACLE_CONNECT='assessor/secret@//db.example.com:1521/ORCLPDB1' ./collect-oracle.sh -s HR,SALES -o ./hr-metadata
#
# Options:
#   -s SCHEMAS   comma-separated schemas as the dictionary spells them (usually upper case)   (required)
#   -o DIR       output directory, created if missing, must be empty (default: ./voyager-metadata)
#   -i SECONDS   IOPS window: seconds between the two samples        (default: @IOPS_INTERVAL@)
#   -h           this help
#
# Oracle has no per-session statement timeout without a Resource Manager plan (which would need DBA changes),
# so no query is time-limited; stop the script with Ctrl-C if it runs too long.
#
# Then send the output directory back, or ingest it yourself:
#   voyager-tui assessment ingest-metadata --assessment-dir ./hr-assessment --metadata-dir ./hr-metadata
set -eu

SCHEMAS=
OUT_DIR=./voyager-metadata
IOPS_INTERVAL=@IOPS_INTERVAL@

usage() { sed -n '2,/^set -eu$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "collect-oracle.sh: $*" >&2; exit 1; }

while getopts "s:o:i:h" opt; do
    case "$opt" in
        s) SCHEMAS=$OPTARG ;;
        o) OUT_DIR=$OPTARG ;;
        i) IOPS_INTERVAL=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

[ -n "$SCHEMAS" ] || die "-s wants the schemas to assess, e.g. -s HR,SALES"
case "$SCHEMAS" in *"'"*|*'|'*) die "schema names with ' or | cannot be passed to the script" ;; esac
case "$IOPS_INTERVAL" in ''|*[!0-9]*) die "-i wants whole seconds, got '$IOPS_INTERVAL'" ;; esac
[ -n "${ORACLE_CONNECT:-}" ] || die "set ORACLE_CONNECT to the connect string (user/password@//host:port/service)"
command -v sqlplus >/dev/null 2>&1 || die "sqlplus was not found on PATH (install the Oracle Instant Client)"

HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$HERE/collect-oracle.sql" ] || die "collect-oracle.sql is missing next to this script"
if [ -e "$OUT_DIR" ] && [ -n "$(ls -A "$OUT_DIR" 2>/dev/null)" ]; then
    die "$OUT_DIR is not empty: choose a new directory with -o"
fi
mkdir -p "$OUT_DIR"
cd "$OUT_DIR"

# -L: one logon attempt (no prompt loop); /nolog, then CONNECT from standard input.
printf '%s\n' "CONNECT $ORACLE_CONNECT" \
    "@\"$HERE/collect-oracle.sql\" '$(printf '%s' "$SCHEMAS" | tr ',' '|')' $IOPS_INTERVAL" \
    | sqlplus -S -L /nolog \
    || die "SQL*Plus stopped with an error; the last file written (ls -t | head -1) holds its message"

if [ -s collection-notes.csv ] && [ "$(wc -l < collection-notes.csv)" -gt 1 ]; then
    echo "notes (also in collection-notes.csv):"
    tail -n +2 collection-notes.csv | sed 's/^/  /'
fi
echo "metadata written to $(pwd)"
echo "next: voyager-tui assessment ingest-metadata --assessment-dir <assessment dir> --metadata-dir $(pwd)"
