"""Cluster sizing: colocated or sharded per table, node shape and count, connections, import time.

The algorithm follows yb-voyager's (research notes §4), with the constants in sizing_data.py. Every number it
produces comes with a sentence that shows the arithmetic, so a reviewer can redo it by hand. Deliberate
differences from the incumbent (each also stated in docs/assessment/sizing-and-effort.md):
- Primary keys are not counted as indexes: in YugabyteDB the table is stored in primary-key order, the key is
  not a separate index (yb-voyager counts the PK's pg_index entry, so a table with a PK and two secondary
  indexes goes sharded there and stays colocated here).
- Secondary indexes of sharded tables count their own tablets: each is a separate DocDB table.
- Import time takes the larger of a size-based and a row-based estimate from the experiment's load times.
- On a tie in vCPUs between the colocated+sharded and the all-sharded layout, the one with fewer tablets wins
  (the incumbent picks all-sharded): fewer tablets cost less memory per node and colocated joins stay local.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field

from . import sizing_data as D
from .metadata import IopsRow, Metadata
from .report_model import Sizing, TableStat

COLOCATED_AND_SHARDED = "colocated+sharded"
ALL_SHARDED = "all sharded"
SIZING_DETAILS_VERSION = 1
GIB = 1024 ** 3


@dataclass(frozen=True)
class SizingIndex:
    name: str
    size_bytes: int = 0
    redundant: bool = False


@dataclass(frozen=True)
class SizingTable:
    """One table (or leaf partition, or materialized view) as the sizing sees it."""

    name: str
    size_bytes: int = 0
    rows: int = 0
    columns: int = 0
    indexes: tuple[SizingIndex, ...] = ()
    """Secondary indexes only (not the primary key)."""
    reads_per_second: float = 0.0
    writes_per_second: float = 0.0

    @property
    def total_bytes(self) -> int:
        return self.size_bytes + sum(i.size_bytes for i in self.indexes)

    @property
    def objects(self) -> int:
        return 1 + len(self.indexes)


# ---- output models -----------------------------------------------------------------------------------------


class TablePlacement(BaseModel):
    table: str
    placement: str
    """colocated | sharded"""
    size_bytes: int
    """Table plus its secondary indexes."""
    indexes: int
    tablets: int = 0
    reason: str


class Candidate(BaseModel):
    strategy: str
    vcpus_per_node: int
    num_nodes: int
    nodes_from_throughput: int
    nodes_from_tablets: int
    total_vcpus: int
    tablets: int
    """Tablets of the sharded objects, plus one for the colocation tablet when anything is colocated."""
    select_connections_per_node: int
    insert_connections_per_node: int
    failure: str | None = None
    placements: list[TablePlacement]
    reasoning: list[str]

    @property
    def colocated(self) -> list[str]:
        return [p.table for p in self.placements if p.placement == "colocated"]

    @property
    def sharded(self) -> list[str]:
        return [p.table for p in self.placements if p.placement == "sharded"]


class TableImport(BaseModel):
    table: str
    placement: str
    base_seconds: float
    index_multiplier: float
    index_multiplier_without_redundant: float
    column_multiplier: float
    seconds: float
    seconds_without_redundant: float
    reason: str


class SizingDetails(BaseModel):
    """sizing/sizing_details.json: every candidate layout the sizing weighed, and the import estimate per table."""

    version: int = SIZING_DETAILS_VERSION
    constants: str = "voyager_tui/engine/assessment/sizing_data.py (yb-voyager 2025.2 experiment values)"
    candidates: list[Candidate]
    chosen: int
    """Index into candidates."""
    node_scaling: float
    import_estimates: list[TableImport] = Field(default_factory=list)


class ClusterRecommendation(BaseModel):
    """sizing/cluster_recommendations.json: the recommendation, short."""

    version: int = SIZING_DETAILS_VERSION
    generated_at: datetime
    target_db_version: str
    sizing: Sizing
    alternatives: list[str]


# ---- formatting ----------------------------------------------------------------------------------------------


def fmt_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _indexes(n: int) -> str:
    return f"{n} index" if n == 1 else f"{n} indexes"


def _vcpus(n: int) -> str:
    return f"{n} vCPU" if n == 1 else f"{n} vCPUs"


def _nodes(n: int) -> str:
    return f"{n} node" if n == 1 else f"{n} nodes"


# ---- placement -----------------------------------------------------------------------------------------------


def _cores(reads: float, writes: float, selects_per_core: float, inserts_per_core: float) -> int:
    return math.ceil(reads / selects_per_core + writes / inserts_per_core)


def _colocate(tables: Sequence[SizingTable], vcpus: int) -> list[TablePlacement]:
    """Smallest first: a table with more than COLOCATED_MAX_INDEXES indexes is sharded; others are colocated until
    the size or object limit is reached (the first overflow closes the colocated set); then the colocated set
    is cut where its reads and writes would need more vCPUs than one node has."""
    placements: list[TablePlacement] = []
    size = 0
    objects = 0
    closed = False
    max_objects = D.COLOCATED_MAX_OBJECTS[vcpus]
    for t in tables:
        head = f"{t.name}: {fmt_size(t.total_bytes)} with {_indexes(len(t.indexes))}"
        if len(t.indexes) > D.COLOCATED_MAX_INDEXES:
            reason = f"{head} → sharded because it has more than {D.COLOCATED_MAX_INDEXES} indexes"
        elif closed:
            reason = f"{head} → sharded because a smaller table already closed the colocated set"
        elif (size + t.total_bytes) / GIB > D.COLOCATED_MAX_SIZE_GIB:
            closed = True
            reason = (f"{head} → sharded because colocating it would bring the colocated data to "
                      f"{(size + t.total_bytes) / GIB:.1f} GiB, over the {fmt_num(D.COLOCATED_MAX_SIZE_GIB)} GiB "
                      "limit")
        elif objects + t.objects > max_objects:
            closed = True
            reason = (f"{head} → sharded because colocating it would make {objects + t.objects} colocated objects, "
                      f"over the {max_objects} limit for {vcpus}-vCPU nodes")
        else:
            size += t.total_bytes
            objects += t.objects
            placements.append(TablePlacement(
                table=t.name, placement="colocated", size_bytes=t.total_bytes, indexes=len(t.indexes),
                reason=f"{head} → colocated (colocated so far: {fmt_size(size)} of "
                       f"{fmt_num(D.COLOCATED_MAX_SIZE_GIB)} GiB, {objects} of {max_objects} objects)"))
            continue
        placements.append(TablePlacement(table=t.name, placement="sharded", size_bytes=t.total_bytes,
                                         indexes=len(t.indexes), reason=reason))

    by_name = {t.name: t for t in tables}
    reads = writes = 0.0
    moving = False
    for i, p in enumerate(placements):
        if p.placement != "colocated":
            continue
        t = by_name[p.table]
        needed = _cores(reads + t.reads_per_second, writes + t.writes_per_second,
                        D.COLOCATED_SELECTS_PER_CORE[vcpus], D.COLOCATED_INSERTS_PER_CORE[vcpus])
        if moving or needed > vcpus:
            why = (f"{t.name}: moved to sharded because the colocated tables up to it would need {needed} vCPUs for "
                   f"{fmt_num(reads + t.reads_per_second)} reads/s and {fmt_num(writes + t.writes_per_second)} "
                   f"writes/s, more than the {vcpus} of one node") if not moving else (
                f"{t.name}: moved to sharded because a smaller colocated table already exceeded one node's "
                "throughput")
            moving = True
            placements[i] = p.model_copy(update={"placement": "sharded", "reason": why})
        else:
            reads += t.reads_per_second
            writes += t.writes_per_second
    return placements


def tablets_for(size_bytes: int, nodes: int) -> int:
    """Tablets an object of this size ends up with under automatic tablet splitting on `nodes` nodes.

    Split at 512 MiB up to one tablet per node, then at 10 GiB up to 24 per node, then at 100 GiB. Tablets
    never merge, so an object past a phase keeps at least the tablets the earlier phase made (the incumbent's
    formula drops back to ceil(size / 10 GiB), which gives a 2 GiB table fewer tablets than a 1.5 GiB one)."""
    gib = size_bytes / GIB
    low = math.ceil(gib / D.TABLET_LOW_PHASE_GIB)
    low_cap = D.TABLET_LOW_PHASE_PER_NODE * nodes
    if low <= low_cap:
        return max(1, low)
    high = max(low_cap, math.ceil(gib / D.TABLET_HIGH_PHASE_GIB))
    high_cap = D.TABLET_HIGH_PHASE_PER_NODE * nodes
    if high <= high_cap:
        return high
    return max(high_cap, math.ceil(gib / D.TABLET_FINAL_PHASE_GIB))


def candidate(tables: Iterable[SizingTable], vcpus: int, strategy: str) -> Candidate:
    """One layout (COLOCATED_AND_SHARDED or ALL_SHARDED) on nodes of `vcpus`, with its node count."""
    tables = sorted(tables, key=lambda t: (t.total_bytes, t.name))
    if strategy == COLOCATED_AND_SHARDED:
        placements = _colocate(tables, vcpus)
    else:
        placements = [TablePlacement(table=t.name, placement="sharded", size_bytes=t.total_bytes,
                                     indexes=len(t.indexes),
                                     reason=f"{t.name}: {fmt_size(t.total_bytes)} with {_indexes(len(t.indexes))} → "
                                            "sharded (all-sharded layout)")
                      for t in tables]
    by_name = {t.name: t for t in tables}
    sharded = [by_name[p.table] for p in placements if p.placement == "sharded"]
    any_colocated = any(p.placement == "colocated" for p in placements)
    sel, ins = D.SHARDED_SELECTS_PER_CORE[vcpus], D.SHARDED_INSERTS_PER_CORE[vcpus]
    reasoning: list[str] = []

    limit = D.SHARDED_MAX_OBJECTS[vcpus]
    sharded_objects = sum(t.objects for t in sharded)
    failure = None
    if sharded_objects > limit:
        failure = (f"{sharded_objects} sharded objects (tables and indexes) do not fit on {vcpus}-vCPU nodes: the "
                   f"experiments ran at most {limit}.")

    reads = sum(t.reads_per_second for t in sharded)
    writes = sum(t.writes_per_second for t in sharded)
    cores = _cores(reads, writes, sel, ins)
    raw_nodes = math.ceil(cores / vcpus)
    nodes_tp = raw_nodes + (1 if any_colocated else 0)
    text = (f"Nodes from throughput ({vcpus} vCPUs, {strategy}): sharded tables read {fmt_num(reads)}/s and write "
            f"{fmt_num(writes)}/s → ceil({fmt_num(reads)}/{fmt_num(sel)} + {fmt_num(writes)}/{fmt_num(ins)}) = "
            f"{_vcpus(cores)} → {_nodes(raw_nodes)}")
    if any_colocated:
        text += f", +1 for the colocated tablet = {nodes_tp}"
    if nodes_tp < D.MIN_NODES:
        text += f", at least {D.MIN_NODES} for replication factor {D.REPLICATION_FACTOR}"
        nodes_tp = D.MIN_NODES
    reasoning.append(text + f" → {nodes_tp}.")

    tablets = 0
    position = {p.table: i for i, p in enumerate(placements)}
    for t in sharded:
        t_tablets = tablets_for(t.size_bytes, nodes_tp) + sum(tablets_for(i.size_bytes, nodes_tp) for i in t.indexes)
        tablets += t_tablets
        i = position[t.name]
        placements[i] = placements[i].model_copy(update={"tablets": t_tablets})
    nodes_tab = math.ceil(tablets * D.REPLICATION_FACTOR * D.TABLET_HEADROOM / limit)
    reasoning.append(
        f"Nodes from tablets: {sharded_objects} sharded objects split into {tablets} tablets on {_nodes(nodes_tp)} → "
        f"ceil({tablets} x {D.REPLICATION_FACTOR} replicas x {D.TABLET_HEADROOM} headroom / {limit}) = {nodes_tab}.")
    nodes = max(nodes_tp, nodes_tab)
    if sharded:
        sel_conn, ins_conn = D.SHARDED_SELECT_CONNECTIONS[vcpus], D.SHARDED_INSERT_CONNECTIONS[vcpus]
    else:
        sel_conn, ins_conn = D.COLOCATED_SELECT_CONNECTIONS[vcpus], D.COLOCATED_INSERT_CONNECTIONS[vcpus]
    return Candidate(strategy=strategy, vcpus_per_node=vcpus, num_nodes=nodes, nodes_from_throughput=nodes_tp,
                     nodes_from_tablets=nodes_tab, total_vcpus=nodes * vcpus,
                     tablets=tablets + (1 if any_colocated else 0), select_connections_per_node=sel_conn,
                     insert_connections_per_node=ins_conn, failure=failure, placements=placements,
                     reasoning=reasoning)


def _choose(candidates: list[Candidate]) -> tuple[int, str]:
    fitting = [i for i, c in enumerate(candidates) if c.failure is None]
    if not fitting:
        last = max(range(len(candidates)),
                   key=lambda i: (candidates[i].strategy == ALL_SHARDED, candidates[i].vcpus_per_node))
        return last, (f"No node shape fits: {candidates[last].failure} The numbers shown are for the largest shape; "
                      "contact YugabyteDB support for a sizing.")

    def key(i: int) -> tuple[int, int, int, int, int]:
        c = candidates[i]
        return (c.total_vcpus, -c.vcpus_per_node, c.num_nodes, c.tablets, 0 if c.strategy == ALL_SHARDED else 1)

    best = min(fitting, key=key)
    c = candidates[best]
    ties = [i for i in fitting if i != best and candidates[i].total_vcpus == c.total_vcpus]
    why = (f"Recommended: {_nodes(c.num_nodes)} x {c.vcpus_per_node} vCPUs "
           f"({c.vcpus_per_node * D.MEMORY_GIB_PER_VCPU} GiB memory each), {c.strategy}: {c.total_vcpus} vCPUs in "
           "total, the fewest of the layouts that fit")
    if ties:
        why += (f"; {len(ties)} other layout(s) need as many, and the tie goes to the larger node, then fewer nodes, "
                f"then fewer tablets ({c.tablets} here)")
    return best, why + "."


# ---- import time ---------------------------------------------------------------------------------------------


def node_scaling(vcpus: int, nodes: int) -> float:
    points = D.NODE_SCALING_MBPS[vcpus]
    return D.interpolate(points, nodes) / points[0][1]


def _import(t: SizingTable, placement: str, vcpus: int) -> TableImport:
    seconds = (D.SHARDED_LOAD_SECONDS if placement == "sharded" else D.COLOCATED_LOAD_SECONDS)[vcpus]
    gib_rate = D.LOAD_EXPERIMENT_GIB / seconds
    row_rate = D.LOAD_EXPERIMENT_ROWS / seconds
    base = max(t.size_bytes / GIB / gib_rate, t.rows / row_rate)
    n_idx = len(t.indexes)
    n_kept = sum(1 for i in t.indexes if not i.redundant)
    im = D.interpolate(D.INDEX_LOAD_MULTIPLIER, n_idx)
    im_kept = D.interpolate(D.INDEX_LOAD_MULTIPLIER, n_kept)
    cm = D.interpolate(D.COLUMN_LOAD_MULTIPLIER, t.columns)
    reason = (f"{t.name}: max({t.size_bytes / GIB:.2f} GiB at {gib_rate:.4f} GiB/s, {t.rows:,} rows at "
              f"{row_rate:,.0f} rows/s) = {base:.0f} s x {im:.2f} for {_indexes(n_idx)} x {cm:.2f} for {t.columns} "
              f"columns = {base * im * cm:.0f} s ({placement}, {vcpus}-vCPU load experiment)")
    if n_kept != n_idx:
        reason += f"; {base * im_kept * cm:.0f} s without its {n_idx - n_kept} redundant"
    return TableImport(table=t.name, placement=placement, base_seconds=base, index_multiplier=im,
                       index_multiplier_without_redundant=im_kept, column_multiplier=cm, seconds=base * im * cm,
                       seconds_without_redundant=base * im_kept * cm, reason=reason)


# ---- entry point ---------------------------------------------------------------------------------------------


@dataclass
class SizingResult:
    sizing: Sizing
    details: SizingDetails
    alternatives: list[str] = field(default_factory=list)


def size_cluster(tables: Iterable[SizingTable]) -> SizingResult:
    """The recommended cluster for these tables, with every candidate and sentence of arithmetic."""
    ordered = sorted(tables, key=lambda t: (t.total_bytes, t.name))
    candidates = [candidate(ordered, v, s) for s in (COLOCATED_AND_SHARDED, ALL_SHARDED) for v in D.INSTANCE_VCPUS]
    chosen, why = _choose(candidates)
    c = candidates[chosen]
    alternatives = [f"{x.strategy} on {x.vcpus_per_node} vCPUs: "
                    + (f"does not fit ({x.failure})" if x.failure else
                       f"{_nodes(x.num_nodes)} = {x.total_vcpus} vCPUs, {x.tablets} tablets")
                    for x in candidates]

    by_name = {t.name: t for t in ordered}
    estimates = [_import(by_name[p.table], p.placement, c.vcpus_per_node) for p in c.placements]
    scale = node_scaling(c.vcpus_per_node, c.num_nodes)
    colocated_s = sum(e.seconds for e in estimates if e.placement == "colocated")
    sharded_s = sum(e.seconds for e in estimates if e.placement == "sharded")
    colocated_s2 = sum(e.seconds_without_redundant for e in estimates if e.placement == "colocated")
    sharded_s2 = sum(e.seconds_without_redundant for e in estimates if e.placement == "sharded")
    minutes = round((colocated_s + sharded_s / scale) / 60, 1)
    minutes2 = round((colocated_s2 + sharded_s2 / scale) / 60, 1)
    redundant = sum(1 for t in ordered for i in t.indexes if i.redundant)
    import_line = (f"Import estimate: {minutes:.1f} min = {colocated_s / 60:.1f} min colocated + "
                   f"{sharded_s / 60:.1f} min sharded ÷ {scale:.2f} (import speed on {_nodes(c.num_nodes)} vs 3)")
    if redundant:
        what = "index" if redundant == 1 else "indexes"
        import_line += f"; without the {redundant} redundant {what}: {minutes2:.1f} min."
    else:
        import_line += "; no redundant indexes found."
    conn_kind = "sharded" if c.sharded else "colocated"
    reasoning = [why, *[p.reason for p in c.placements], *c.reasoning,
                 f"Connections per node: {c.select_connections_per_node} for selects and "
                 f"{c.insert_connections_per_node} for inserts (experiment values for {conn_kind} tables on "
                 f"{c.vcpus_per_node}-vCPU nodes).",
                 import_line]
    failure = why if c.failure is not None else None
    sizing = Sizing(colocated_tables=c.colocated, sharded_tables=c.sharded, num_nodes=c.num_nodes,
                    vcpus_per_node=c.vcpus_per_node, memory_gib_per_node=c.vcpus_per_node * D.MEMORY_GIB_PER_VCPU,
                    select_connections_per_node=c.select_connections_per_node,
                    insert_connections_per_node=c.insert_connections_per_node,
                    estimated_import_minutes=minutes, estimated_import_minutes_without_redundant_indexes=minutes2,
                    reasoning=reasoning, failure=failure)
    details = SizingDetails(candidates=candidates, chosen=chosen, node_scaling=scale, import_estimates=estimates)
    return SizingResult(sizing=sizing, details=details, alternatives=alternatives)


# ---- from metadata -------------------------------------------------------------------------------------------


MIN_IOPS_WINDOW_S = 1.0
"""Samples taken closer together than this say nothing about the workload (a collector run with a 0 s window
would otherwise turn a few counter ticks into thousands of operations per second)."""


def rates(iops: Sequence[IopsRow], default_interval: float | None) -> dict[tuple[str, str], tuple[float, float]]:
    """(schema, object) -> (reads/s, writes/s) from the initial and final samples; reads are scan counts. Objects
    without both samples, or sampled less than MIN_IOPS_WINDOW_S apart, are left out."""
    samples: dict[tuple[str, str], dict[str, IopsRow]] = {}
    for r in iops:
        samples.setdefault((r.schema_name, r.object_name), {})[r.measurement] = r
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for key, pair in samples.items():
        first, last = pair.get("initial"), pair.get("final")
        if first is None or last is None:
            continue
        if first.measured_at is not None and last.measured_at is not None:
            elapsed = (last.measured_at - first.measured_at).total_seconds()
        else:
            elapsed = default_interval or 0.0
        if elapsed < MIN_IOPS_WINDOW_S:
            continue
        reads = max(0, (last.seq_reads or 0) - (first.seq_reads or 0)) / elapsed
        writes = max(0, (last.row_writes or 0) - (first.row_writes or 0)) / elapsed
        out[key] = (reads, writes)
    return out


_SKIPPED_TYPES = frozenset({"partitioned table", "view", "foreign table"})


def tables_from_metadata(md: Metadata, redundant: set[tuple[str, str]]) -> tuple[list[SizingTable], list[TableStat]]:
    """Sizing inputs (leaf tables and materialized views with their secondary indexes) and the per-object stats
    the report lists. `redundant` holds (schema, index) pairs the performance findings marked redundant."""
    rate = rates(md.iops, md.info.iops_interval_seconds)
    indexes: dict[tuple[str, str], list[SizingIndex]] = {}
    stats: list[TableStat] = []
    index_reads: dict[tuple[str, str], tuple[float, float]] = {}
    for ix in md.indexes:
        table_key = (ix.schema_name, ix.table_name)
        r = rate.get((ix.schema_name, ix.index_name))
        if r is not None:
            prev = index_reads.get(table_key, (0.0, 0.0))
            index_reads[table_key] = (prev[0] + r[0], prev[1] + r[1])
        stats.append(TableStat(schema_name=ix.schema_name, object_name=ix.index_name, is_index=True,
                               object_type="primary key" if ix.is_primary else "index",
                               parent_table=f"{ix.schema_name}.{ix.table_name}", size_bytes=ix.size_bytes,
                               reads_per_second=r[0] if r else None, writes_per_second=r[1] if r else None))
        if not ix.is_primary:
            indexes.setdefault(table_key, []).append(SizingIndex(
                name=f"{ix.schema_name}.{ix.index_name}", size_bytes=ix.size_bytes or 0,
                redundant=(ix.schema_name, ix.index_name) in redundant))
    tables: list[SizingTable] = []
    for t in md.table_statistics:
        key = (t.schema_name, t.table_name)
        r = rate.get(key)
        stats.append(TableStat(schema_name=t.schema_name, object_name=t.table_name, is_index=False,
                               object_type=t.object_type, parent_table=t.parent_table, row_count=t.row_count,
                               size_bytes=t.size_bytes, column_count=t.column_count,
                               reads_per_second=r[0] if r else None, writes_per_second=r[1] if r else None))
        if t.object_type.lower() in _SKIPPED_TYPES:
            continue
        extra = index_reads.get(key, (0.0, 0.0))
        tables.append(SizingTable(
            name=f"{t.schema_name}.{t.table_name}", size_bytes=t.size_bytes or 0, rows=t.row_count or 0,
            columns=t.column_count or 0, indexes=tuple(indexes.get(key, [])),
            reads_per_second=(r[0] if r else 0.0) + extra[0], writes_per_second=(r[1] if r else 0.0) + extra[1]))
    return tables, stats
