"""`assessment generate-scripts`: the read-only scripts a DBA runs with their own client (psql, mysql/mariadb,
SQL*Plus) to collect the metadata CSVs of layout.py, plus a README that says what each query reads.

The queries come from the package's sql/<type>/*.sql files, the same ones the live collector runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from ..errors import VoyagerError
from . import layout
from .layout import SourceDbType
from .sql import DEFAULT_IOPS_INTERVAL, DEFAULT_STATEMENT_TIMEOUT, SqlFile, resource_text
from .sql.mysql_script import mysql_queries, render_mysql_queries
from .sql.pg_plan import catalog_steps, iops_final_step, notes_step
from .sql.psql_script import SCRIPT_NAME as PSQL_SCRIPT
from .sql.psql_script import render_psql_script
from .sql.sqlplus_script import SCRIPT_NAME as SQLPLUS_SCRIPT
from .sql.sqlplus_script import oracle_queries, render_sqlplus_script

README = "README.md"


@dataclass(frozen=True)
class _Out:
    name: str
    text: str
    executable: bool = False


def generate_scripts(source_type: SourceDbType, output_dir: Path) -> list[Path]:
    """Write the collection scripts for one source type and their README into output_dir; returns the paths."""
    generated_by = f"voyager-tui {__version__}"
    if source_type is SourceDbType.POSTGRESQL:
        outs = _postgresql(generated_by)
    elif source_type is SourceDbType.MYSQL:
        outs = _mysql(generated_by)
    elif source_type is SourceDbType.ORACLE:
        outs = _oracle(generated_by)
    else:  # pragma: no cover - StrEnum exhausts the choices
        raise VoyagerError(f"unknown source type {source_type}")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for out in outs:
            path = output_dir / out.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(out.text, encoding="utf-8")
            if out.executable:
                path.chmod(0o755)
            paths.append(path)
    except OSError as exc:
        raise VoyagerError(f"cannot write the scripts to {output_dir}: {exc.strerror or exc}") from None
    return paths


def _wrapper(source_type: SourceDbType, name: str) -> _Out:
    text = (resource_text(source_type, name)
            .replace("@IOPS_INTERVAL@", str(DEFAULT_IOPS_INTERVAL))
            .replace("@STATEMENT_TIMEOUT@", str(DEFAULT_STATEMENT_TIMEOUT))
            .replace("@LAYOUT_VERSION@", str(layout.LAYOUT_VERSION)))
    return _Out(name, text, executable=True)


# ---- PostgreSQL ----------------------------------------------------------------------------------------------


def _postgresql(generated_by: str) -> list[_Out]:
    steps = [iops_final_step(), *catalog_steps(), notes_step()]
    rows = [(s.csv, s.source) for s in steps]
    return [
        _wrapper(SourceDbType.POSTGRESQL, "collect-postgresql.sh"),
        _Out(PSQL_SCRIPT, render_psql_script(generated_by)),
        _Out(README, _readme(SourceDbType.POSTGRESQL, rows, generated_by)),
    ]


# ---- MySQL ---------------------------------------------------------------------------------------------------


def _mysql(generated_by: str) -> list[_Out]:
    queries = render_mysql_queries(generated_by)
    outs = [_wrapper(SourceDbType.MYSQL, "collect-mysql.sh")]
    outs += [_Out(f"sql/{name}.sql", text) for name, text in queries.items()]
    rows = [(q.csv, q) for q in mysql_queries()]
    outs.append(_Out(README, _readme(SourceDbType.MYSQL, rows, generated_by)))
    return outs


# ---- Oracle --------------------------------------------------------------------------------------------------


def _oracle(generated_by: str) -> list[_Out]:
    rows = [(q.csv, q) for q in oracle_queries()]
    return [
        _wrapper(SourceDbType.ORACLE, "collect-oracle.sh"),
        _Out(SQLPLUS_SCRIPT, render_sqlplus_script(generated_by)),
        _Out(README, _readme(SourceDbType.ORACLE, rows, generated_by)),
    ]


# ---- README --------------------------------------------------------------------------------------------------

_RUN = {
    SourceDbType.POSTGRESQL: f"""\
Needs `psql` 12 or newer, `pg_dump` at least as new as the server, and a POSIX shell. The
connection comes from the usual libpq environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`);
the password from `~/.pgpass` or `PGPASSWORD` - never put it on a command line.

```sh
PGHOST=db.example.com PGDATABASE=shop PGUSER=assessor \\
  ./collect-postgresql.sh -s public,sales -o ./shop-metadata        # -i IOPS seconds, -t timeout seconds
```

`collect-postgresql.sh` runs `psql -X -f {PSQL_SCRIPT}`, which writes the CSV files into the output directory,
then `pg_dump --schema-only` into `schema.sql`. You can also run the psql script by hand from an empty
directory; its first lines say how.""",
    SourceDbType.MYSQL: """\
Needs the `mysql` or `mariadb` command-line client (and `mysqldump`/`mariadb-dump` for `schema.sql`) and a POSIX
shell (sed, tr, date). Pass the password in an option file (`-e my.cnf` with `[client] password=...`, mode
0600) or in `MYSQL_PWD`, never on the command line.

```sh
./collect-mysql.sh -H db.example.com -u assessor -d shop,shop_archive -o ./shop-metadata   # -P port, -i, -t
```

The client prints tab-separated text; the queries in `sql/` build each CSV line themselves (every value
double-quoted, quotes doubled), and the client runs in `--batch --raw` mode so nothing is escaped twice.""",
    SourceDbType.ORACLE: f"""\
Needs SQL*Plus 12.2 or newer (for `SET MARKUP CSV ON`) and a POSIX shell. Pass the connect string in the
`ORACLE_CONNECT` environment variable (`user/password@//host:1521/service`, or `/@alias` with a wallet); the
wrapper hands it to SQL*Plus on standard input, never on a command line.

```sh
ORACLE_CONNECT='assessor/secret@//db.example.com:1521/ORCLPDB1' ./collect-oracle.sh -s HR,SALES -o ./hr-metadata
```

`collect-oracle.sh` starts `sqlplus -S -L /nolog`, sends it the connect string on standard input, and runs
`@{SQLPLUS_SCRIPT}` in the output directory with the schemas and the IOPS window as arguments.""",
}

_PRIVILEGES = {
    SourceDbType.POSTGRESQL: """\
- Any role that can connect: the catalog views (`pg_class`, `pg_index`, `pg_stats`, `pg_stat_user_tables`, ...)
  are readable by everyone. `pg_stats` shows only columns of tables the role may read.
- `pg_dump --schema-only` locks every table in `ACCESS SHARE` mode, which needs `SELECT` on it:
  a superuser, a member of `pg_read_all_data` (PostgreSQL 14+), or `SELECT` on the schemas' tables.
- Query statistics need the `pg_stat_statements` extension installed in the database
  (`shared_preload_libraries` + `CREATE EXTENSION`); `pg_read_all_stats` to see other users' statements.
- A query the role may not run (for example after `REVOKE SELECT ON pg_stats FROM PUBLIC`) does not stop
  the collection: its CSV keeps only the header and `collection-notes.csv` says why.""",
    SourceDbType.MYSQL: """\
- `SELECT` on `information_schema` (everyone) shows only objects the user has some privilege on: give the
  user `SELECT, SHOW VIEW` on the assessed databases (`GRANT SELECT, SHOW VIEW ON shop.* TO assessor`).
- `SELECT` on `performance_schema` for the IOPS counters and statement digests (and `performance_schema=ON`
  on the server; MariaDB has it off by default: the counters then stay empty and a note says so).
- `mysqldump --no-data` needs `SELECT`, `SHOW VIEW`, `TRIGGER` and, for routines, `SELECT` on `mysql.proc`
  (MariaDB) or `SHOW_ROUTINE` (MySQL 8.0.20+).""",
    SourceDbType.ORACLE: """\
- `SELECT_CATALOG_ROLE` (or `SELECT ANY DICTIONARY`) for the `DBA_*` views, `V$SEGMENT_STATISTICS` and
  `V$SQLSTATS`. Without it the script falls back to the `ALL_*` views (objects the user can see), sizes
  from `USER_SEGMENTS`, no IOPS counters and no statement statistics; `collection-notes.csv` says so.
- `DBMS_METADATA.GET_DDL` for another schema's objects needs `SELECT_CATALOG_ROLE` as well.""",
}

_SAFETY = {
    SourceDbType.POSTGRESQL: f"""\
- Every statement runs with `default_transaction_read_only = on`; the catalog queries run in one
  `REPEATABLE READ READ ONLY` transaction (one consistent snapshot). Nothing is written to the database.
- `statement_timeout` (default {DEFAULT_STATEMENT_TIMEOUT} s, `-t`) bounds every query; `pg_dump` gets the same
  value as `--lock-wait-timeout`, so it gives up rather than queue behind a long-held lock.
- The script waits for the IOPS window on the client (`sleep`), with no transaction or snapshot open.""",
    SourceDbType.MYSQL: f"""\
- Every client session starts `START TRANSACTION READ ONLY`; nothing is written.
- Each query is limited by `max_execution_time` (MySQL) or `max_statement_time` (MariaDB), default
  {DEFAULT_STATEMENT_TIMEOUT} s (`-t`); the wrapper picks the right one from `SELECT VERSION()`.
- `mysqldump` runs with `--single-transaction --skip-lock-tables --no-data`: no table locks.""",
    SourceDbType.ORACLE: """\
- The queries run in one `SET TRANSACTION READ ONLY` transaction; the DDL is read afterwards with
  `DBMS_METADATA.GET_DDL` (a read-only package call). Nothing is written.
- Oracle has no per-session statement timeout without a Resource Manager plan: the wrapper stops SQL*Plus
  after `-t` seconds per script run if `timeout` is installed, else the run is unbounded.""",
}

_DDL = {
    SourceDbType.POSTGRESQL: "`pg_dump --schema-only --no-owner --no-privileges -n <schema>...` (plus "
                             "`--extension='*'` with pg_dump 14+)",
    SourceDbType.MYSQL: "`mysqldump --no-data --routines --triggers --single-transaction --databases <db>...`",
    SourceDbType.ORACLE: "`DBMS_METADATA.GET_DDL` for every table, view, index, sequence, type, synonym, "
                         "trigger, function, procedure and package of the schemas",
}

_WINDOW_NOTE = {
    SourceDbType.POSTGRESQL: "reads = sequential + index scans, writes = inserted + updated + deleted rows, "
                             "from `pg_stat_user_tables`",
    SourceDbType.MYSQL: "reads = rows fetched, writes = rows inserted + updated + deleted, from "
                        "`performance_schema.table_io_waits_summary_by_table`",
    SourceDbType.ORACLE: "reads = `segment scans`, writes = `db block changes`, from `V$SEGMENT_STATISTICS`",
}


def _readme(source_type: SourceDbType, rows: list[tuple[str, SqlFile]], generated_by: str) -> str:
    title = {"postgresql": "PostgreSQL", "mysql": "MySQL / MariaDB", "oracle": "Oracle"}[source_type.value]
    table = ["| file | reads | what |", "|---|---|---|"]
    merged: dict[str, tuple[list[str], list[str]]] = {}
    for csv_name, src in rows:
        reads, about = merged.setdefault(csv_name, ([], []))
        reads += [r for r in src.reads if r not in reads]
        if src.about not in about:
            about.append(src.about)
    for csv_name, (reads, about) in merged.items():
        names = ", ".join(r if " " in r else f"`{r}`" for r in reads)
        table.append(f"| `{csv_name}` | {names} | {'; '.join(about)} |")
    table.append(f"| `{layout.SCHEMA_DDL}` | | the schema's DDL: {_DDL[source_type]} |")
    banner = ("> **NOT VERIFIED against an Oracle server.** The queries parse as Oracle SQL and write every file "
              "of the\n> layout with the right header, but they have not been run against a real database. Check "
              "the output\n> with `voyager-tui assessment ingest-metadata` and report what fails.\n\n"
              if source_type is SourceDbType.ORACLE else "")
    return f"""# voyager-tui assessment scripts for {title}

{banner}Generated by {generated_by}. These scripts collect the metadata a standalone assessment needs - object
inventory, sizes, row estimates, indexes, constraints, column types and statistics, activity counters and
(where available) statement statistics - into CSV files, **read-only**, with your own database client. No data
rows are read, and nothing is written to the database.

## Run

{_RUN[source_type]}

## How long it takes

The catalog queries take seconds (a minute or two for tens of thousands of objects). Most of the time is the
**IOPS window**: the activity counters are sampled twice, {DEFAULT_IOPS_INTERVAL} s apart by default (`-i`),
to estimate reads/s and writes/s ({_WINDOW_NOTE[source_type]}). Run it while the application has its usual
load; a longer window gives steadier numbers. Total: the window plus about a minute.

## Privileges

{_PRIVILEGES[source_type]}

## Safety

{_SAFETY[source_type]}

## What each file reads

{chr(10).join(table)}

## Send the result back

Send the whole output directory (for example `tar czf shop-metadata.tgz shop-metadata`). It holds names,
definitions and statistics of your schema objects, and normalized query texts where statement statistics are
available, but no table rows. The assessor (or you) then runs:

```sh
voyager-tui assessment ingest-metadata --assessment-dir ./shop-assessment --metadata-dir ./shop-metadata
```

which checks every file (header, row shape, values) and names the file and line of anything wrong.
"""
