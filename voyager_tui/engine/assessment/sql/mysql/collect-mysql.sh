#!/bin/sh
# voyager-tui assessment: collect MySQL / MariaDB metadata for a standalone assessment (read-only).
#
# Runs the queries in sql/ with the mysql (or mariadb) command-line client, each in a START TRANSACTION READ ONLY
# session with a statement time limit, and mysqldump --no-data for schema.sql. Writes every file into one
# output directory. Needs the client, a POSIX shell, sed, tr and date; nothing else.
#
# Give the password in an option file (-e FILE with "[client]" and "password=...", mode 0600) or in the
# MYSQL_PWD environment variable, never on the command line (it shows in `ps`). Host, port and user may come
# from the option file too.
#
# Usage:
#   ./collect-mysql.sh -H db.example.com -u assessor -d shop,shop_archive -o ./shop-metadata
#
# Options:
#   -d DATABASES  comma-separated databases (schemas) to assess       (required)
#   -H HOST       server host                                         (default: the client's default)
#   -P PORT       server port                                         (default: the client's default)
#   -u USER       user                                                (default: the client's default)
#   -e FILE       option file passed as --defaults-extra-file
#   -o DIR        output directory, created if missing, must be empty (default: ./voyager-metadata)
#   -i SECONDS    IOPS window: seconds between the two samples        (default: @IOPS_INTERVAL@)
#   -t SECONDS    time limit of each query                            (default: @STATEMENT_TIMEOUT@)
#   -h            this help
#
# Then send the output directory back, or ingest it yourself:
#   voyager-tui assessment ingest-metadata --assessment-dir ./shop-assessment --metadata-dir ./shop-metadata
set -eu

DATABASES=
DB_HOST=
DB_PORT=
DB_USER=
DEFAULTS_FILE=
OUT_DIR=./voyager-metadata
IOPS_INTERVAL=@IOPS_INTERVAL@
STATEMENT_TIMEOUT=@STATEMENT_TIMEOUT@
LAYOUT_VERSION=@LAYOUT_VERSION@

usage() { sed -n '2,/^set -eu$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "collect-mysql.sh: $*" >&2; exit 1; }

while getopts "d:H:P:u:e:o:i:t:h" opt; do
    case "$opt" in
        d) DATABASES=$OPTARG ;;
        H) DB_HOST=$OPTARG ;;
        P) DB_PORT=$OPTARG ;;
        u) DB_USER=$OPTARG ;;
        e) DEFAULTS_FILE=$OPTARG ;;
        o) OUT_DIR=$OPTARG ;;
        i) IOPS_INTERVAL=$OPTARG ;;
        t) STATEMENT_TIMEOUT=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

[ -n "$DATABASES" ] || die "-d wants the databases to assess, e.g. -d shop,shop_archive"
case "$IOPS_INTERVAL" in ''|*[!0-9]*) die "-i wants whole seconds, got '$IOPS_INTERVAL'" ;; esac
case "$STATEMENT_TIMEOUT" in ''|*[!0-9]*|0) die "-t wants whole seconds above 0, got '$STATEMENT_TIMEOUT'" ;; esac
if [ -n "$DEFAULTS_FILE" ]; then
    [ -r "$DEFAULTS_FILE" ] || die "cannot read the option file $DEFAULTS_FILE"
    DEFAULTS_FILE=$(cd "$(dirname "$DEFAULTS_FILE")" && pwd)/$(basename "$DEFAULTS_FILE")
fi

HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$HERE/sql" ] || die "the sql/ directory is missing next to this script"
MYSQL=${MYSQL_CLIENT:-}
if [ -z "$MYSQL" ]; then
    if command -v mysql >/dev/null 2>&1; then MYSQL=mysql
    elif command -v mariadb >/dev/null 2>&1; then MYSQL=mariadb
    else die "neither mysql nor mariadb was found on PATH (install the client, or set MYSQL_CLIENT)"; fi
fi
DUMP=${MYSQLDUMP:-}
if [ -z "$DUMP" ]; then
    if command -v mysqldump >/dev/null 2>&1; then DUMP=mysqldump
    elif command -v mariadb-dump >/dev/null 2>&1; then DUMP=mariadb-dump; fi
fi

if [ -e "$OUT_DIR" ] && [ -n "$(ls -A "$OUT_DIR" 2>/dev/null)" ]; then
    die "$OUT_DIR is not empty: choose a new directory with -o"
fi
mkdir -p "$OUT_DIR"
cd "$OUT_DIR"

# Runs a client program with the connection options; --defaults-extra-file must come first.
with_connection() {
    program=$1
    shift
    if [ -n "$DB_USER" ]; then set -- --user="$DB_USER" "$@"; fi
    if [ -n "$DB_PORT" ]; then set -- --port="$DB_PORT" "$@"; fi
    if [ -n "$DB_HOST" ]; then set -- --host="$DB_HOST" "$@"; fi
    if [ -n "$DEFAULTS_FILE" ]; then set -- --defaults-extra-file="$DEFAULTS_FILE" "$@"; fi
    "$program" "$@"
}
# --raw: print values as they are (the queries already made them CSV); no escaping of tabs or newlines.
client() { with_connection "$MYSQL" --batch --raw --skip-column-names --default-character-set=utf8mb4; }

VERSION=$(echo "SELECT VERSION();" | client) || die "cannot connect (see the client's message above)"
case "$VERSION" in
    *MariaDB*) TIMEOUT_SQL="SET SESSION max_statement_time = $STATEMENT_TIMEOUT;" ;;
    *) TIMEOUT_SQL="SET SESSION max_execution_time = $((STATEMENT_TIMEOUT * 1000));" ;;
esac
# A SQL string literal of the database list: backslashes and quotes escaped.
SCHEMAS_SQL=$(printf '%s' "$DATABASES" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")

# The session every query runs in: read-only, time-limited, UTF-8, and the collection's parameters.
prelude() {
    printf '%s\n' \
        "SET NAMES utf8mb4;" \
        "$TIMEOUT_SQL" \
        "SET @vt_schemas = '$SCHEMAS_SQL';" \
        "SET @vt_layout_version = '$LAYOUT_VERSION';" \
        "SET @vt_collector = 'script';" \
        "SET @vt_iops_interval = '$IOPS_INTERVAL';" \
        "SET @vt_measurement = '$1';" \
        "START TRANSACTION READ ONLY;"
}

NOTES=.notes.part
: > "$NOTES"
note() {  # step severity message
    printf '%s,%s,"%s"\n' "$1" "$2" "$(printf '%s' "$3" | sed 's/"/""/g')" >> "$NOTES"
}

STEP=0
TOTAL=12
progress() { STEP=$((STEP + 1)); echo "[$STEP/$TOTAL] $*"; }

# collect NAME [MEASUREMENT] [append]: run sql/NAME.sql into the CSV its "-- csv:" line names. A query that
# fails leaves the file with only its header and a note with the client's message.
collect() {
    name=$1
    measurement=${2:-}
    mode=${3:-new}
    file="$HERE/sql/$name.sql"
    csv=$(sed -n 's/^-- csv: //p' "$file" | head -n 1)
    if [ "$mode" = new ]; then
        sed -n 's/^-- header: //p' "$file" | head -n 1 > "$csv"
    fi
    if { prelude "$measurement"; cat "$file"; } | client > "$name.part" 2> "$name.err"; then
        cat "$name.part" >> "$csv"
        status=0
    else
        note "$name" warning "$name could not be read: $(head -n 1 "$name.err")"
        status=1
    fi
    rm -f "$name.part" "$name.err"
    return $status
}

progress "taking the first IOPS sample"
START=$(date +%s)
IOPS_OK=yes
collect iops-metrics initial || IOPS_OK=no
progress "collecting schema objects";    collect schema-objects || true
progress "collecting table statistics";  collect table-statistics || true
progress "collecting index info";        collect index-info || true
progress "collecting columns";           collect columns || true
progress "collecting constraints";       collect constraints || true
collect constraints-checks "" append || true
progress "collecting query statistics";  collect query-stats || true
progress "recording collection info";    collect collection-info || true

progress "dumping the schema DDL"
if [ -n "$DUMP" ]; then
    set --
    old_ifs=$IFS
    IFS=,
    set -f  # split on commas only: no wildcard expansion of database names
    for db in $DATABASES; do set -- "$@" "$db"; done
    set +f
    IFS=$old_ifs
    if ! with_connection "$DUMP" --no-data --routines --triggers --single-transaction --skip-lock-tables \
            --no-tablespaces --skip-comments --default-character-set=utf8mb4 --databases "$@" \
            > schema.sql 2> schema.err; then
        note schema warning "schema.sql was not written: $(head -n 1 schema.err)"
        rm -f schema.sql
    fi
    rm -f schema.err
else
    note schema info "schema.sql was not written: neither mysqldump nor mariadb-dump was found"
fi

if [ "$IOPS_OK" = yes ]; then
    REMAINING=$((IOPS_INTERVAL - ($(date +%s) - START)))
    if [ "$REMAINING" -gt 0 ]; then
        progress "waiting $REMAINING seconds for the second IOPS sample"
        sleep "$REMAINING"
    else
        progress "waiting 0 seconds for the second IOPS sample"
    fi
    progress "taking the second IOPS sample"
    collect iops-metrics final append || true
else
    progress "skipping the IOPS window (the first sample failed)"
    progress "skipping the second IOPS sample"
fi

progress "writing collection notes"
collect collection-notes || true
cat "$NOTES" >> collection-notes.csv
rm -f "$NOTES"

if [ "$(wc -l < collection-notes.csv)" -gt 1 ]; then
    echo "notes (also in collection-notes.csv):"
    tail -n +2 collection-notes.csv | sed 's/^/  /'
fi
echo "metadata written to $(pwd)"
echo "next: voyager-tui assessment ingest-metadata --assessment-dir <assessment dir> --metadata-dir $(pwd)"
