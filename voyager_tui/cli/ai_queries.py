"""`voyager-tui ai analyze-queries`: index and colocation advice from an assessment's query statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import json_option, target_options, target_params, tty_prompt


@click.command("analyze-queries")
@click.option("--assessment-dir", required=True, type=click.Path(path_type=Path),
              help="An assessment dir whose metadata holds query statistics (pg_stat_statements).")
@target_options
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the ranked query patterns to advise on.")
@json_option
def analyze_queries_cmd(**kw: Any) -> None:
    """Rank the source's query patterns by frequency and time, propose covering indexes and colocation, and check
    each index with EXPLAIN on the target (in a transaction that is rolled back)."""
    from ..engine.ai.query_advice import analyze
    from ..engine.ai.query_explain import check_advice
    from ..engine.connections import connect_pg, detect_target
    from ..engine.secrets import DbRole

    target = target_params(kw)
    root: Path = kw["assessment_dir"]
    advice = analyze(root, top=kw["top"])
    with connect_pg(target, DbRole.TARGET, prompt=tty_prompt, application_name="voyager-tui-ai") as conn:
        info = detect_target(conn)
        advice = check_advice(conn, advice)
    if kw["as_json"]:
        click.echo(advice.model_dump_json(indent=2))
        return
    _print(advice, info.short, info.kind)


def _print(advice: Any, target_name: str, kind: str) -> None:
    out = click.echo
    out(f"Query patterns: top {len(advice.patterns)} of {advice.total_patterns}, ranked by share of calls + share "
        "of execution time")
    out(f"{'#':>3}  {'calls':>9}  {'total ms':>11}  {'mean ms':>9}  query")
    for p in advice.patterns:
        out(f"{p.rank:>3}  {p.calls:>9}  {p.total_exec_time_ms:>11.1f}  {p.mean_exec_time_ms:>9.3f}  "
            f"{_short(p.query)}")
    for k in advice.skipped:
        out(f"Skipped: queryid {k.queryid or '?'} ({k.calls} calls): {k.reason}: {_short(k.query, 60)}")
    out("")
    if not advice.indexes:
        out("Index advice: none (the top patterns' predicates are served by existing indexes, or use none)")
    for n, a in enumerate(advice.indexes, 1):
        out(f"Index {n}: {a.table} ({', '.join(a.key_columns)})"
            + (f" INCLUDE ({', '.join(a.include_columns)})" if a.include_columns else ""))
        out(f"├── YugabyteDB: {a.sql_yugabytedb}")
        if kind != "yugabytedb":
            out(f"├── PostgreSQL: {a.sql_postgresql}")
        out(f"├── Reason: {a.reason}")
        out("├── From: " + "; ".join(f"#{r.rank} ({r.calls} calls, queryid {r.queryid or '?'})" for r in a.sources))
        check = a.check
        if check is None:
            out("└── EXPLAIN: not checked")
            continue
        out(f"└── EXPLAIN on {target_name}: {check.detail}")
        for label, plan in (("before", check.before), ("after", check.after), ("seqscan off", check.forced)):
            if plan is not None and plan.summary:
                out(f"      {label}: {plan.summary[0].strip()}")
    for s in advice.suppressed:
        out(f"Not proposed: {s.table} ({', '.join(s.key_columns)}): {s.reason}")
    out("")
    if not advice.colocation:
        out("Colocation advice: none (no two small tables are joined by the top patterns)")
    for n, c in enumerate(advice.colocation, 1):
        out(f"Colocation {n}: {', '.join(c.tables)}")
        out(f"└── Reason: {c.reason}")
    for note in advice.notes:
        out(f"Note: {note}")


def _short(text: str, width: int = 90) -> str:
    from ..engine.formatting import printable

    one = printable(" ".join(text.split()))  # query texts keep comments: no terminal escapes from them
    return one if len(one) <= width else one[:width - 1] + "…"
