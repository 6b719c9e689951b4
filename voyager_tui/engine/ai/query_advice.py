"""Index and colocation advice from an assessment's query statistics (pg_stat_statements).

Patterns are ranked by a score that weighs frequency and time equally: a pattern's share of all calls plus its
share of all execution time (both over the patterns that touch the assessed schemas). Each top pattern is parsed
with pglast; per table we collect the columns used in WHERE equality (=, IN, = ANY) and range (<, <=, >, >=,
BETWEEN) predicates, JOIN conditions, ORDER BY, and every other column the statement reads. From these:

- a covering index: equality columns first (JOIN columns when the WHERE has none), then one range or ORDER BY
  column, INCLUDE the other columns the query reads so it can be answered from the index alone. On YugabyteDB the
  first key column is HASH when it is only compared for equality and ASC when the index leads with a range or
  ORDER BY column (a HASH key cannot serve ranges or order); the DDL says so explicitly, so it does not depend on
  yb_use_hash_splitting_by_default. An existing index whose leading columns already serve the predicates
  suppresses the proposal (it is listed with the index that serves it).
- colocation: tables that the top patterns join and that the assessment's sizing places in the colocation tablet
  (sizing.py: small tables with few indexes) are advised to stay colocated, so those joins stay in one tablet.

Only a text that pglast parses to exactly one SELECT, INSERT, UPDATE, DELETE or MERGE is advised on: the EXPLAIN
check pastes it into PREPARE on the target, so a second statement (`...; COMMIT; DROP TABLE x`), a utility
statement, or a text too deeply nested for the parser is skipped, with the reason, before anything runs.

query_explain.py checks each proposed index with EXPLAIN on the target.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ..assessment.layout import AssessmentDir, SourceDbType
from ..assessment.metadata import Metadata, QueryStatRow, read_metadata
from ..assessment.perf import IndexShape, performance_findings
from ..assessment.sizing import size_cluster, tables_from_metadata
from ..errors import VoyagerError
from .query_models import (
    ColocationAdvice,
    IndexAdvice,
    QueryAdvice,
    QueryPattern,
    QueryRef,
    SkippedQuery,
    SuppressedIndex,
    TableUse,
)
from .query_predicates import _Catalog, _Extractor

DEFAULT_TOP = 20
MAX_EQUALITY_KEYS = 3
"""More equality columns than this rarely narrow the scan further and make the index expensive to maintain."""
MAX_INCLUDE = 5
"""Above this many extra columns a covering index copies most of the row: the key index alone is proposed."""
_ORDERED_METHODS = frozenset({"btree", "lsm"})
"""Index methods whose key order serves equality prefixes and ranges (lsm: YugabyteDB's name for its default)."""
_STATEMENT_TYPES = {"SelectStmt": "SELECT", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE",
                    "MergeStmt": "MERGE"}
"""The only statements advised on and explained: PREPARE accepts them, and EXPLAIN never runs them."""
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")



# ---- reading and ranking -------------------------------------------------------------------------------------


def load_metadata(root: Path) -> Metadata:
    """The assessment's metadata, with one-line errors for a dir that is not an assessment dir."""
    if not root.exists():
        raise VoyagerError(f"assessment dir {root} does not exist")
    if not root.is_dir():
        raise VoyagerError(f"{root} is not a directory")
    ad = AssessmentDir(root)
    if not ad.metadata.is_dir():
        raise VoyagerError(f"{root} is not an assessment dir: it has no metadata/ (run assessment collect first)")
    md = read_metadata(ad.metadata)
    if md.info.source_db_type is not SourceDbType.POSTGRESQL:
        raise VoyagerError(f"{root}: query advice needs a PostgreSQL source's pg_stat_statements; this assessment "
                           f"is of a {md.info.source_db_type.value} source")
    return md


def no_stats_message(md: Metadata, root: Path) -> str:
    state = md.info.pg_stat_statements
    why = {"missing": "pg_stat_statements was not installed in the source database at collection",
           "no_permission": "the collecting user could not read pg_stat_statements",
           }.get(state or "", f"query-stats.csv is absent or empty (pg_stat_statements: {state or 'not recorded'})")
    return (f"{root}: no query statistics: {why}; install pg_stat_statements (shared_preload_libraries and "
            "CREATE EXTENSION), let the application run, then collect again")


def rank_patterns(rows: Iterable[QueryStatRow], md: Metadata,
                  skipped: list[SkippedQuery] | None = None) -> list[QueryPattern]:
    """Patterns that touch an assessed table, best first (see the module doc for the score). A pattern that is
    not one SELECT/INSERT/UPDATE/DELETE/MERGE is left out, and appended to `skipped` with the reason."""
    cat = _Catalog(md)
    kept: list[tuple[QueryStatRow, list[tuple[str, str]], bool]] = []
    for row in rows:
        problem = statement_problem(row.query)
        try:
            tables, parsed = _relations(row.query, cat)
            if problem is None:
                _Extractor(cat).run(row.query)  # a nesting too deep for the extractor shows here, not later
        except RecursionError:
            problem = _TOO_DEEP
            tables, parsed = [], False
        if problem is not None:
            if (tables or problem == _TOO_DEEP) and skipped is not None:
                skipped.append(SkippedQuery(queryid=row.queryid, query=row.query, calls=row.calls or 0,
                                            reason=problem))
            continue
        if tables:
            kept.append((row, tables, parsed))
    total_calls = sum(r.calls or 0 for r, _, _ in kept) or 1
    total_time = sum(r.total_exec_time_ms or 0.0 for r, _, _ in kept) or 1.0
    scored = []
    for row, tables, parsed in kept:
        calls, time = row.calls or 0, row.total_exec_time_ms or 0.0
        score = calls / total_calls + time / total_time
        scored.append((score, row, tables, parsed))
    scored.sort(key=lambda x: (-x[0], -(x[1].total_exec_time_ms or 0.0), x[1].queryid or "", x[1].query))
    out: list[QueryPattern] = []
    for n, (score, row, tables, parsed) in enumerate(scored, 1):
        calls = row.calls or 0
        total = row.total_exec_time_ms or 0.0
        mean = row.mean_exec_time_ms if row.mean_exec_time_ms is not None else (total / calls if calls else 0.0)
        out.append(QueryPattern(rank=n, queryid=row.queryid, query=row.query, calls=calls, total_exec_time_ms=total,
                                mean_exec_time_ms=mean, rows=row.rows or 0, score=round(score, 4),
                                tables=[f"{t[0]}.{t[1]}" for t in tables], table_names=tables, parsed=parsed))
    return out


_TOO_DEEP = "the text is nested too deeply to parse (e.g. a very long chain of operators)"


def statement_problem(query: str) -> str | None:
    """Why `query` must not be advised on or pasted into PREPARE on a target; None when pglast parses it to
    exactly one SELECT, INSERT, UPDATE, DELETE or MERGE statement."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        stmts = [raw.stmt for raw in parse_sql(query) if raw.stmt is not None]
    except ParseError as exc:
        return f"the text does not parse ({' '.join(str(exc).split())})"
    except RecursionError:
        return _TOO_DEEP
    if len(stmts) != 1:
        return f"the text holds {len(stmts)} statements, not one"
    kind = type(stmts[0]).__name__
    if kind not in _STATEMENT_TYPES:
        return f"not a SELECT, INSERT, UPDATE, DELETE or MERGE statement ({kind.removesuffix('Stmt')})"
    return None


def _uses(cat: _Catalog, query: str) -> list[TableUse]:
    try:
        return _Extractor(cat).run(query)
    except RecursionError:  # rank_patterns already skips such texts; this guards a caller that did not rank
        return []


def _relations(query: str, cat: _Catalog) -> tuple[list[tuple[str, str]], bool]:
    from pglast import parse_sql
    from pglast.parser import ParseError

    from ..schema.pgnodes import iter_nodes

    try:
        trees = parse_sql(query)
    except ParseError:
        return [], False
    found: list[tuple[str, str]] = []
    ctes: set[str] = set()
    for raw in trees:
        for node in iter_nodes(raw.stmt):
            if type(node).__name__ == "CommonTableExpr":
                ctes.add(node.ctename)
    for raw in trees:
        for node in iter_nodes(raw.stmt):
            if type(node).__name__ != "RangeVar" or (node.schemaname is None and node.relname in ctes):
                continue
            hit = cat.resolve(node.schemaname, node.relname)
            if hit is not None and hit not in found:
                found.append(hit)
    return found, True


# ---- proposals -----------------------------------------------------------------------------------------------


class _Key(BaseModel):
    table: tuple[str, str]
    equality: tuple[str, ...]
    tail: str | None
    """The range or ORDER BY column after the equality columns."""
    tail_desc: bool = False
    tail_kind: Literal["range", "order", "none"] = "none"


def _key_for(use: TableUse) -> _Key | None:
    schema, _, name = use.table.partition(".")
    equality = tuple(use.equality[:MAX_EQUALITY_KEYS]) or tuple(c for c in use.join[:MAX_EQUALITY_KEYS])
    tail: str | None = None
    desc = False
    tail_kind: Literal["range", "order", "none"] = "none"
    ranges = [c for c in use.range if c not in equality]
    orders = [(c, d) for c, d in use.order_by if c not in equality]
    if ranges:
        tail, tail_kind = ranges[0], "range"
        desc = next((d for c, d in orders if c == tail), False)
    elif orders and not use.write:
        tail, desc = orders[0]
        tail_kind = "order"
    if not equality and tail is None:
        return None
    return _Key(table=(schema, name), equality=equality, tail=tail, tail_desc=desc, tail_kind=tail_kind)


def _serves(ix: IndexShape, key: _Key) -> bool:
    if ix.method not in _ORDERED_METHODS or ix.predicate is not None:
        return False
    cols = ix.key_columns
    n = len(key.equality)
    if len(cols) < n + (1 if key.tail else 0) or set(cols[:n]) != set(key.equality):
        return False
    return key.tail is None or cols[n] == key.tail


def _index_name(table: str, cols: list[str]) -> str:
    name = "_".join([table, *cols, "idx"])
    raw = name.encode()
    if len(raw) <= 63:
        return name
    # Past PostgreSQL's limit of 63 bytes (not characters) the name is cut; a digest keeps two long names apart.
    # Cut on bytes, dropping a character split in two, so the target does not cut it again.
    return raw[:54].decode(errors="ignore") + "_" + hashlib.sha1(raw).hexdigest()[:8]


def _ident(name: str) -> str:
    """`name` as PostgreSQL's quote_ident writes it: bare only when it is a plain lower-case name and not a
    keyword that would be read as something else (`user` is current_user, `group` a syntax error)."""
    from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    if _PLAIN_NAME.fullmatch(name) and name not in RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS | COL_NAME_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _ddl(schema: str, table: str, index: str, keys: list[tuple[str, str]], include: list[str]) -> str:
    text = (f"CREATE INDEX {_ident(index)} ON {_ident(schema)}.{_ident(table)} "
            f"({', '.join((_ident(c) + (' ' + o if o else '')) for c, o in keys)})")
    if include:
        text += f" INCLUDE ({', '.join(_ident(c) for c in include)})"
    return text


class _Merged(BaseModel):
    key: _Key
    include: list[str]
    star: bool
    write: bool
    sources: list[QueryRef]
    whys: list[str]


def propose(patterns: list[QueryPattern], md: Metadata) -> tuple[list[IndexAdvice], list[SuppressedIndex]]:
    """Index advice for the given (top) patterns, one per table and key; keys an existing index serves are
    suppressed."""
    cat = _Catalog(md)
    merged: dict[tuple[tuple[str, str], tuple[str, ...], str | None], _Merged] = {}
    for p in patterns:
        ref = QueryRef(rank=p.rank, queryid=p.queryid, query=p.query, calls=p.calls, tables=p.tables,
                       table_names=p.table_names)
        for use in _uses(cat, p.query):
            key = _key_for(use)
            if key is None:
                continue
            k = (key.table, tuple(sorted(key.equality)), key.tail)
            keys = [*key.equality, *([key.tail] if key.tail else [])]
            extra = [] if use.write else [c for c in use.referenced if c not in keys]
            why = _why(use, key)
            m = merged.get(k)
            if m is None:
                merged[k] = _Merged(key=key, include=extra, star=use.star, write=use.write, sources=[ref],
                                    whys=[why])
                continue
            m.include += [c for c in extra if c not in m.include]
            m.star, m.write = m.star or use.star, m.write or use.write
            if all(r.rank != ref.rank for r in m.sources):
                m.sources.append(ref)
            if why not in m.whys:
                m.whys.append(why)
    advice: list[IndexAdvice] = []
    suppressed: list[SuppressedIndex] = []
    for m in merged.values():
        key = m.key
        schema, table = key.table
        keys = [*key.equality, *([key.tail] if key.tail else [])]
        too_wide = len(m.include) > MAX_INCLUDE
        include = [] if m.star or m.write or too_wide else m.include
        existing = [ix for ix in cat.indexes.get(key.table, []) if _serves(ix, key)]
        covered = next((ix for ix in existing
                        if ix.primary or ix.unique or not include
                        or set(include) <= {c for c in ix.key_columns if c} | set(ix.include)), None)
        if covered is not None:
            what = "primary key" if covered.primary else "index"
            suppressed.append(SuppressedIndex(
                table=f"{schema}.{table}", key_columns=keys, served_by=covered.name,
                reason=f"the {what} {covered.name} ({', '.join(covered.keys)}) already serves "
                       f"{'; '.join(m.whys)}", sources=m.sources))
            continue
        extends = existing[0].name if existing else None
        leading: Literal["HASH", "ASC"] = "HASH" if key.equality else "ASC"
        descending = [col == key.tail and key.tail_desc for col in keys]
        yb_keys = [(col, "HASH" if n == 0 and leading == "HASH" else ("DESC" if d else "ASC"))
                   for n, (col, d) in enumerate(zip(keys, descending, strict=True))]
        pg_keys = [(col, "DESC" if d else "") for col, d in zip(keys, descending, strict=True)]
        name = _index_name(table, keys)
        taken = {ix.name for shapes in cat.indexes.values() for ix in shapes if ix.schema == schema}
        taken |= {a.index_name for a in advice if a.schema_name == schema}
        n = 1
        while name in taken:  # e.g. the index this one extends already has the conventional name
            n += 1
            name = _index_name(table, [*keys, str(n)])
        reason = "; ".join(m.whys) + "."
        if leading == "HASH":
            reason += f" YugabyteDB: {keys[0]} HASH spreads the equality lookups over the tablets"
            if len(keys) > 1:
                reason += f", then {', '.join(keys[1:])} ASC in each lookup's rows"
            reason += "."
        else:
            what = "range" if key.tail_kind == "range" else "sort"
            reason += f" YugabyteDB: {keys[0]} ASC (range sharded), because a HASH first column cannot serve a {what}."
        if include:
            reason += f" INCLUDE ({', '.join(include)}) lets the query read only the index (index-only scan)."
        elif m.star:
            reason += " No INCLUDE: the query reads every column (SELECT *)."
        elif too_wide:
            reason += f" No INCLUDE: the query reads {len(m.include)} more columns, over {MAX_INCLUDE}."
        if extends:
            reason += (f" The existing index {extends} has the same keys without these columns: drop it after "
                       "creating this one.")
        advice.append(IndexAdvice(
            schema_name=schema, table_name=table, index_name=name, key_columns=keys, descending=descending,
            include_columns=include, leading=leading, sql_yugabytedb=_ddl(schema, table, name, yb_keys, include),
            sql_postgresql=_ddl(schema, table, name, pg_keys, include), reason=reason, extends=extends,
            sources=m.sources))
    return advice, suppressed


def _why(use: TableUse, key: _Key) -> str:
    parts = []
    if key.equality:
        src = "equality" if use.equality else "JOIN"
        parts.append(f"{src} on {', '.join(key.equality)}")
    if key.tail:
        parts.append(f"{'range on' if key.tail_kind == 'range' else 'ORDER BY'} {key.tail}")
    return f"{' and '.join(parts)} in {use.table}"


# ---- colocation ----------------------------------------------------------------------------------------------


def colocation_advice(patterns: list[QueryPattern], md: Metadata) -> tuple[list[ColocationAdvice], list[str]]:
    """Groups of tables joined by the top patterns that the sizing places in the colocation tablet."""
    cat = _Catalog(md)
    joined: dict[frozenset[str], list[QueryRef]] = {}
    for p in patterns:
        uses = _uses(cat, p.query)
        tables = sorted({u.table for u in uses if u.join})
        if len(tables) < 2:
            continue
        ref = QueryRef(rank=p.rank, queryid=p.queryid, query=p.query, calls=p.calls, tables=p.tables,
                       table_names=p.table_names)
        joined.setdefault(frozenset(tables), []).append(ref)
    if not joined:
        return [], []
    _, redundant = performance_findings(md)
    sizing_tables, _ = tables_from_metadata(md, redundant)
    result = size_cluster(sizing_tables)
    colocated = set(result.sizing.colocated_tables)
    chosen = result.details.candidates[result.details.chosen]
    why = {p.table: p.reason for p in chosen.placements}
    notes: list[str] = []
    out: list[ColocationAdvice] = []
    if not colocated:
        notes.append("No colocation advice: the sizing recommends all tables sharded ("
                     f"{chosen.strategy} on {chosen.vcpus_per_node} vCPUs).")
        return out, notes
    for group, refs in sorted(joined.items(), key=lambda g: -sum(r.calls for r in g[1])):
        small = sorted(t for t in group if t in colocated)
        if len(small) < 2:
            big = sorted(group - colocated)
            if small and big:
                notes.append(f"{', '.join(sorted(group))} are joined ({sum(r.calls for r in refs)} calls) but the "
                             f"sizing shards {', '.join(big)}: that join crosses tablets whatever the placement of "
                             f"{small[0]}.")
            continue
        calls = sum(r.calls for r in refs)
        reason = (f"joined by {len(refs)} top pattern(s) with {calls} calls; the sizing places them in the "
                  "colocation tablet, so these joins read one tablet instead of one per table. Create the "
                  "database WITH COLOCATION = true (colocation is fixed at CREATE time) and keep these tables "
                  "in it: " + " ".join(why.get(t, t) + "." for t in small))
        out.append(ColocationAdvice(tables=small, reason=reason, sources=refs))
    return out, notes


# ---- entry point ---------------------------------------------------------------------------------------------


def analyze(root: Path, *, top: int = DEFAULT_TOP) -> QueryAdvice:
    """Rank the assessment's query patterns and propose indexes and colocation (not yet checked on a target)."""
    if top < 1:
        raise VoyagerError("--top must be at least 1")
    md = load_metadata(root)
    if not md.query_stats:
        raise VoyagerError(no_stats_message(md, root))
    skipped: list[SkippedQuery] = []
    ranked = rank_patterns(md.query_stats, md, skipped)
    notes: list[str] = []
    if not ranked and not skipped:
        raise VoyagerError(f"{root}: none of the {len(md.query_stats)} statement(s) in query-stats.csv touch a "
                           f"table of the assessed schemas ({', '.join(md.info.schemas)})")
    unparsed = len(md.query_stats) - len(ranked) - len(skipped)
    if unparsed:
        notes.append(f"{unparsed} statement(s) were left out: they touch no assessed table, or their text does "
                     "not parse (pg_stat_statements cuts long texts).")
    best = ranked[:top]
    indexes, suppressed = propose(best, md)
    colocation, more = colocation_advice(best, md)
    notes += more
    return QueryAdvice(assessment_dir=str(root), schemas=md.info.schemas, pg_stat_statements=md.info.pg_stat_statements,
                       total_patterns=len(ranked), patterns=best, indexes=indexes, suppressed=suppressed,
                       colocation=colocation, notes=notes, skipped=skipped)
