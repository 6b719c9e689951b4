"""Render the Oracle queries as one SQL*Plus script (12.2+: SET MARKUP CSV ON).

SQL*Plus prints each column as text and, with QUOTE OFF, joins them with commas. Whether it doubles a quote
inside a quoted value is not something we can check here, so every value is quoted in SQL instead ('"' ||
REPLACE(value, '"', '""') || '"'), which is RFC 4180 whatever SQL*Plus does. The header is a PROMPT line.

Dictionary access is probed once: DBA_* views when readable, else ALL_* (the substitution variable &dict), and
DBA_SEGMENTS, V$SEGMENT_STATISTICS, V$SQLAREA each with an empty stand-in; collection-notes.csv says which.
"""

from __future__ import annotations

import textwrap

from ..layout import LAYOUT_VERSION, SourceDbType
from . import DEFAULT_IOPS_INTERVAL, SqlFile, load

ORA = SourceDbType.ORACLE
SCRIPT_NAME = "collect-oracle.sql"
CATALOG_ORDER = ("schema-objects", "table-statistics", "index-info", "columns", "constraints", "column-statistics",
                 "query-stats", "collection-info")

PROBES: tuple[tuple[str, str, str, str, str], ...] = (
    # (variable, flag variable, readable value, stand-in value, probe FROM clause)
    ("dict", "dict_ok", "dba", "all", "dba_objects"),
    ("seg_view", "seg_ok", "dba_segments",
     "(SELECT USER AS owner, segment_name, partition_name, segment_type, bytes FROM user_segments)",
     "dba_segments"),
    ("segstat_view", "segstat_ok", "v$segment_statistics",
     "(SELECT CAST(NULL AS VARCHAR2(128)) AS owner, CAST(NULL AS VARCHAR2(128)) AS object_name, "
     "CAST(NULL AS VARCHAR2(64)) AS statistic_name, CAST(NULL AS NUMBER) AS value FROM dual WHERE 1 = 0)",
     "v$segment_statistics"),
    ("sqlarea_view", "sqlarea_ok", "v$sqlarea",
     "(SELECT CAST(NULL AS VARCHAR2(13)) AS sql_id, CAST(NULL AS VARCHAR2(1000)) AS sql_text, "
     "CAST(NULL AS NUMBER) AS executions, CAST(NULL AS NUMBER) AS elapsed_time, "
     "CAST(NULL AS NUMBER) AS rows_processed, CAST(NULL AS VARCHAR2(128)) AS parsing_schema_name "
     "FROM dual WHERE 1 = 0)",
     "v$sqlarea"),
)
"""Substitution variables the queries use and the values they take with full access; tests substitute these."""


def full_access_values() -> dict[str, str]:
    values = {var: readable for var, _flag, readable, _standin, _probe in PROBES}
    values |= {flag: "yes" for _var, flag, *_ in PROBES}
    values |= {"schemas": "HR|SALES", "iops_interval": str(DEFAULT_IOPS_INTERVAL), "measurement": "initial",
               "layout_version": str(LAYOUT_VERSION)}
    return values


def oracle_queries() -> list[SqlFile]:
    """The CSV queries in the order the script runs them (iops-metrics first; it runs again at the end)."""
    return [load(ORA, "iops-metrics"), *(load(ORA, n) for n in CATALOG_ORDER), load(ORA, "collection-notes")]


def csv_query(src: SqlFile) -> str:
    """The file's query with every value quoted for CSV; the ORDER BY makes the output stable."""
    columns = src.spec.columns
    fields = ",\n       ".join(f"'\"' || REPLACE(t.\"{c}\", '\"', '\"\"') || '\"' AS \"{c}\"" for c in columns)
    order = ", ".join(str(i) for i in range(1, len(columns) + 1))
    return f"SELECT {fields}\nFROM (\n{src.body}\n) t\nORDER BY {order}"


def _comment(text: str) -> str:
    return "\n".join("-- " + line for line in textwrap.wrap(text, 110))


def _spool_block(src: SqlFile, title: str, number: int, total: int, *, append: bool = False) -> str:
    lines = [
        _comment(f"{src.csv}: {src.about}"),
        _comment(f"reads: {', '.join(src.reads)}"),
        "SET TERMOUT ON",
        f"PROMPT [{number}/{total}] {title}",
        "SET TERMOUT OFF",
        f"SPOOL {src.csv}{' APPEND' if append else ''}",
    ]
    if not append:
        lines.append(f"PROMPT {','.join(src.spec.columns)}")
    lines += [csv_query(src) + ";", "SPOOL OFF", ""]
    return "\n".join(lines)


def _probe_block() -> str:
    lines = ["-- Which dictionary views can this user read? Each probe that fails leaves the stand-in in place.",
             "WHENEVER SQLERROR CONTINUE NONE"]
    for var, flag, readable, standin, probe in PROBES:
        lines += [
            f"COLUMN v_{var} NEW_VALUE {var} NOPRINT",
            f"COLUMN v_{flag} NEW_VALUE {flag} NOPRINT",
            f"SELECT '{standin}' AS v_{var}, 'no' AS v_{flag} FROM dual;",
            f"SELECT '{readable}' AS v_{var}, 'yes' AS v_{flag} FROM {probe} WHERE ROWNUM = 1;",
        ]
    lines.append("WHENEVER SQLERROR EXIT FAILURE ROLLBACK")
    return "\n".join(lines)


_SETTINGS = """\
SET ECHO OFF
SET TERMOUT OFF
SET VERIFY OFF
SET FEEDBACK OFF
SET HEADING OFF
SET PAGESIZE 0
SET NEWPAGE NONE
SET LINESIZE 32767
SET TRIMSPOOL ON
SET TRIMOUT ON
SET TAB OFF
SET SQLBLANKLINES ON
SET LONG 100000000
SET LONGCHUNKSIZE 32767
SET ARRAYSIZE 500
SET DEFINE ON
SET MARKUP CSV ON DELIMITER , QUOTE OFF
WHENEVER OSERROR EXIT FAILURE
WHENEVER SQLERROR EXIT FAILURE ROLLBACK
ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,';"""


def render_sqlplus_script(generated_by: str) -> str:
    catalog = [load(ORA, n) for n in CATALOG_ORDER]
    iops = load(ORA, "iops-metrics")
    notes = load(ORA, "collection-notes")
    ddl = load(ORA, "schema-ddl")
    total = len(catalog) + 5
    titles = {"schema-objects": "collecting schema objects", "table-statistics": "collecting table statistics",
              "index-info": "collecting index info", "columns": "collecting columns",
              "constraints": "collecting constraints", "column-statistics": "collecting column statistics",
              "query-stats": "collecting query statistics (V$SQLAREA)",
              "collection-info": "recording collection info"}
    out = [
        "-- voyager-tui assessment: collect Oracle metadata for a standalone assessment (read-only).",
        f"-- Generated by {generated_by}. NOT VERIFIED against an Oracle server: check the output with",
        "-- `voyager-tui assessment ingest-metadata` and report what fails.",
        "--",
        "-- Run it through collect-oracle.sh, or from an empty directory with SQL*Plus 12.2 or newer:",
        f"--   sqlplus -S -L user@//host:1521/service @{SCRIPT_NAME} 'HR|SALES' {DEFAULT_IOPS_INTERVAL}",
        "-- Arguments: 1 = schemas separated by | (as the dictionary spells them, usually upper case),",
        "--            2 = seconds between the two IOPS samples.",
        "-- The CSV files and schema.sql are written to the current directory.",
        "",
        _SETTINGS,
        "DEFINE schemas = '&1'",
        "DEFINE iops_interval = '&2'",
        f"DEFINE layout_version = '{LAYOUT_VERSION}'",
        "",
        _probe_block(),
        "",
        "-- First IOPS sample, then one read-only transaction (one consistent view) for every catalog query.",
        "COLUMN v_started NEW_VALUE iops_started NOPRINT",
        "SELECT TO_CHAR(SYSDATE, 'YYYYMMDDHH24MISS') AS v_started FROM dual;",
        "DEFINE measurement = 'initial'",
        _spool_block(iops, "taking the first IOPS sample", 1, total),
        "COMMIT;",
        "SET TRANSACTION READ ONLY;",
        "",
    ]
    for i, src in enumerate(catalog, start=2):
        out.append(_spool_block(src, titles[src.name], i, total))
    n = len(catalog) + 2
    out += [
        "COMMIT;",
        "",
        "-- The schema's DDL, after the transaction (DBMS_METADATA is read-only but keeps package state).",
        _comment(f"{ddl.csv}: {ddl.about}"),
        "SET TERMOUT ON",
        f"PROMPT [{n}/{total}] dumping the schema DDL (DBMS_METADATA.GET_DDL)",
        "SET TERMOUT OFF",
        "SET MARKUP CSV OFF",
        "EXEC DBMS_METADATA.SET_TRANSFORM_PARAM(DBMS_METADATA.SESSION_TRANSFORM, 'SQLTERMINATOR', TRUE)",
        "EXEC DBMS_METADATA.SET_TRANSFORM_PARAM(DBMS_METADATA.SESSION_TRANSFORM, 'SEGMENT_ATTRIBUTES', FALSE)",
        "EXEC DBMS_METADATA.SET_TRANSFORM_PARAM(DBMS_METADATA.SESSION_TRANSFORM, 'PRETTY', TRUE)",
        f"SPOOL {ddl.csv}",
        ddl.body,
        "/",
        "SPOOL OFF",
        "SET MARKUP CSV ON DELIMITER , QUOTE OFF",
        "",
        "-- The rest of the IOPS window is waited for on the client (HOST sleep), with no transaction open.",
        "COLUMN v_wait NEW_VALUE wait_seconds NOPRINT",
        "SELECT GREATEST(0, &iops_interval - ROUND((SYSDATE - TO_DATE('&iops_started', 'YYYYMMDDHH24MISS')) "
        "* 86400)) AS v_wait FROM dual;",
        "SET TERMOUT ON",
        f"PROMPT [{n + 1}/{total}] waiting &wait_seconds seconds for the second IOPS sample",
        "SET TERMOUT OFF",
        "HOST sleep &wait_seconds",
        "DEFINE measurement = 'final'",
        _spool_block(iops, "taking the second IOPS sample", n + 2, total, append=True),
        _spool_block(notes, "writing collection notes", n + 3, total),
        "SET TERMOUT ON",
        "PROMPT done: the CSV files and schema.sql are in the current directory",
        "EXIT SUCCESS",
        "",
    ]
    return "\n".join(out)
