r"""The PostgreSQL collection as one ordered plan, which the psql script renders and the live collector executes.

Both run the same statements in the same order, so their CSVs hold the same rows: the live collector has the server
format each result as CSV (COPY (query) TO STDOUT), psql formats the same query's result itself (\pset format csv).
psql's way is needed because psql does not notice an error raised in the middle of a COPY (it would leave a
silently cut file), while it does notice one in a plain query; the two differ only in that psql writes an empty
string unquoted, which reads back the same (an empty cell is NULL in the layout).

1. session settings: read-only by default, statement timeout, search_path = pg_catalog (so every definition the
   server prints is schema-qualified the same way), UTF-8, and the collection's parameters as voyager_tui.* settings
   that the queries read with current_setting();
2. the first IOPS sample, kept in the session setting voyager_tui.iops_initial (JSON), in its own short statement;
3. one REPEATABLE READ READ ONLY transaction for every catalog query (one consistent snapshot); a query that fails
   (permission denied, timeout, pg_stat_statements not loaded) is rolled back to a savepoint, its CSV keeps only the
   header, and its SQLSTATE and message go into voyager_tui.error_<step> for the notes;
4. the wait for the rest of the IOPS window on the client, with no transaction open (no snapshot held);
5. the second IOPS sample, written together with the first one;
6. the notes, computed last from what the session recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layout import LAYOUT_VERSION, SourceDbType
from . import MARKER, SqlFile, load

PG = SourceDbType.POSTGRESQL


@dataclass(frozen=True)
class Setting:
    name: str
    literal: str | None = None
    """A fixed value; None when the value comes from a parameter of the run."""
    param: str | None = None
    """The parameter (a psql variable in the script) that holds the value."""


def session_settings(collector: str) -> list[Setting]:
    return [
        Setting("client_encoding", literal="UTF8"),
        Setting("default_transaction_read_only", literal="on"),
        Setting("statement_timeout", param="statement_timeout"),
        Setting("search_path", literal="pg_catalog"),
        Setting("extra_float_digits", literal="1"),
        Setting("voyager_tui.layout_version", literal=str(LAYOUT_VERSION)),
        Setting("voyager_tui.schemas", param="schemas"),
        Setting("voyager_tui.collector", literal=collector),
        Setting("voyager_tui.iops_interval", param="iops_interval"),
    ]


@dataclass(frozen=True)
class Step:
    key: str
    """Name in notes and in voyager_tui.error_<key>."""
    title: str
    """Progress text, e.g. "collecting index info"."""
    csv: str
    columns: tuple[str, ...]
    query: str
    """The SELECT, marked so that the query statistics leave it out; psql writes its result as CSV."""
    copy_sql: str
    """The same SELECT as COPY ... TO STDOUT (CSV, header): how the live collector writes the CSV."""
    source: SqlFile
    guard: str | None = None
    """SELECT of one boolean column named `guard`; when false the step writes only the header (no query)."""
    before: str | None = None
    after: str | None = None

    @property
    def error_setting(self) -> str:
        return "voyager_tui.error_" + self.key.replace("-", "_")


def marked(query: str) -> str:
    """The query with the collection's marker after its first keyword, where every client and pg_stat_statements
    keep it (a leading comment may be dropped)."""
    first, rest = query.split(None, 1)
    return f"{first} /* {MARKER} */ {rest}"


def copy_statement(query: str) -> str:
    return f"COPY (\n{query}\n) TO STDOUT WITH (FORMAT csv, HEADER)"


def _step(key: str, title: str, file: str, **kw: str) -> Step:
    src = load(PG, file)
    query = marked(src.body)
    return Step(key=key, title=title, csv=src.csv, columns=src.spec.columns, query=query,
                copy_sql=copy_statement(query), source=src, **kw)


PGSS_INSTALLED = (f"SELECT /* {MARKER} */ EXISTS (SELECT 1 FROM pg_extension x "
                  "WHERE x.extname = 'pg_stat_statements') AS guard")
# pg_stat_statements lives in whichever schema CREATE EXTENSION put it; the query names it unqualified.
PGSS_SEARCH_PATH = (f"SELECT /* {MARKER} */ set_config('search_path', (SELECT quote_ident(n.nspname) "
                    "FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace "
                    "WHERE x.extname = 'pg_stat_statements') || ', pg_catalog', true) AS search_path")
RESET_SEARCH_PATH = f"SELECT /* {MARKER} */ set_config('search_path', 'pg_catalog', true) AS search_path"


def remember_initial_sample() -> str:
    """The first IOPS sample, kept as JSON in a session setting until the final sample is written."""
    sample = load(PG, "iops-sample").body
    return (f"SELECT /* {MARKER} */ set_config('voyager_tui.iops_initial', coalesce(json_agg(s)::text, '[]'), false)"
            f" AS iops_initial\nFROM (\n{sample}\n) AS s")


def iops_metrics_query() -> str:
    """Both samples as iops-metrics.csv rows; nothing when the first sample is missing (it failed)."""
    sample = load(PG, "iops-sample").body
    return f"""SELECT i.schema_name, i.object_name, i.object_type, 'initial' AS measurement, i.seq_reads, i.row_writes,
       i.measured_at
FROM json_to_recordset(coalesce(nullif(current_setting('voyager_tui.iops_initial', true), ''), '[]')::json)
     AS i(schema_name text, object_name text, object_type text, seq_reads bigint, row_writes bigint,
          measured_at text)
UNION ALL
SELECT f.schema_name, f.object_name, f.object_type, 'final', f.seq_reads, f.row_writes, f.measured_at
FROM (
{sample}
) AS f
WHERE nullif(current_setting('voyager_tui.iops_initial', true), '') IS NOT NULL
ORDER BY 1, 2, 4 DESC"""


WAIT_SECONDS = f"""SELECT /* {MARKER} */ coalesce(greatest(0, ceil(
    current_setting('voyager_tui.iops_interval')::numeric
    - extract(epoch FROM clock_timestamp() - (
        SELECT min(i.measured_at::timestamptz)
        FROM json_to_recordset(nullif(current_setting('voyager_tui.iops_initial', true), '')::json)
             AS i(measured_at text))))), 0)::int AS wait_seconds"""
"""Seconds left of the IOPS window (0 when the first sample is missing)."""


IOPS_INITIAL_KEY = "iops-initial"
IOPS_INITIAL_TITLE = "taking the first IOPS sample"


def catalog_steps() -> list[Step]:
    """The steps inside the REPEATABLE READ transaction, in order; collection-info comes last because it reports
    whether the query statistics could be read."""
    return [
        _step("schema-objects", "collecting schema objects", "schema-objects"),
        _step("table-statistics", "collecting table statistics", "table-statistics"),
        _step("index-info", "collecting index info", "index-info"),
        _step("columns", "collecting columns", "columns"),
        _step("constraints", "collecting constraints", "constraints"),
        _step("column-statistics", "collecting column statistics", "column-statistics"),
        _step("query-stats", "collecting query statistics (pg_stat_statements)", "query-stats",
              guard=PGSS_INSTALLED, before=PGSS_SEARCH_PATH, after=RESET_SEARCH_PATH),
        _step("collection-info", "recording collection info", "collection-info"),
    ]


def iops_final_step() -> Step:
    src = load(PG, "iops-sample")
    query = marked(iops_metrics_query())
    return Step(key="iops-final", title="taking the second IOPS sample", csv=src.csv, columns=src.spec.columns,
                query=query, copy_sql=copy_statement(query), source=src)


def notes_step() -> Step:
    return _step("collection-notes", "writing collection notes", "collection-notes")


def step_count() -> int:
    """Initial sample + catalog steps + final sample + notes (the live collector adds pg_dump and the wait)."""
    return 1 + len(catalog_steps()) + 2
