"""The sizing rules and the sentences that explain them, pinned for small inputs (numbers worked out by hand in
the comments from the constants in sizing_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.assessment_fixtures import iops_rows, write_metadata
from voyager_tui.engine.assessment import sizing_data as D
from voyager_tui.engine.assessment.metadata import read_metadata
from voyager_tui.engine.assessment.sizing import (
    ALL_SHARDED,
    COLOCATED_AND_SHARDED,
    GIB,
    SizingIndex,
    SizingTable,
    candidate,
    fmt_size,
    node_scaling,
    size_cluster,
    tables_from_metadata,
    tablets_for,
)


def idx(n: int, size: int = 0, redundant: int = 0) -> tuple[SizingIndex, ...]:
    return tuple(SizingIndex(f"public.i{k}", size, redundant=k < redundant) for k in range(n))


def reasons(c: object) -> dict[str, str]:
    return {p.table: p.reason for p in c.placements}  # type: ignore[attr-defined]


def test_sizes_are_shown_in_binary_units() -> None:
    assert [fmt_size(n) for n in (0, 1023, 1024, 8192, 3 * 1024 ** 2, int(12.4 * GIB))] == [
        "0 B", "1023 B", "1.0 KiB", "8.0 KiB", "3.0 MiB", "12.4 GiB"]


def test_colocation_cut_off_by_index_count_and_size() -> None:
    tables = [SizingTable("public.a", 10 * GIB), SizingTable("public.b", 50 * GIB, indexes=idx(1)),
              SizingTable("public.c", 60 * GIB), SizingTable("public.d", 70 * GIB),
              SizingTable("public.e", 1024, indexes=idx(3))]
    c = candidate(tables, 4, COLOCATED_AND_SHARDED)
    assert c.colocated == ["public.a", "public.b"]
    assert c.sharded == ["public.e", "public.c", "public.d"]  # smallest first
    assert reasons(c) == {
        "public.e": "public.e: 1.0 KiB with 3 indexes → sharded because it has more than 2 indexes",
        "public.a": "public.a: 10.0 GiB with 0 indexes → colocated (colocated so far: 10.0 GiB of 113 GiB, 1 of 2000 "
                    "objects)",
        "public.b": "public.b: 50.0 GiB with 1 index → colocated (colocated so far: 60.0 GiB of 113 GiB, 3 of 2000 "
                    "objects)",
        # 60 + 60 = 120 GiB > 113 GiB: the first overflow closes the colocated set for every larger table.
        "public.c": "public.c: 60.0 GiB with 0 indexes → sharded because colocating it would bring the colocated "
                    "data to 120.0 GiB, over the 113 GiB limit",
        "public.d": "public.d: 70.0 GiB with 0 indexes → sharded because a smaller table already closed the "
                    "colocated set",
    }


def test_two_indexes_still_colocate_and_the_primary_key_is_not_an_index() -> None:
    c = candidate([SizingTable("public.t", 1024, indexes=idx(D.COLOCATED_MAX_INDEXES))], 4, COLOCATED_AND_SHARDED)
    assert c.colocated == ["public.t"]


def test_colocation_cut_off_by_object_count() -> None:
    # 4-vCPU nodes hold 2000 colocated objects: 666 tables with 2 indexes are 1998, the 667th would make 2001.
    tables = [SizingTable(f"public.t{k:03d}", indexes=idx(2)) for k in range(668)]
    c = candidate(tables, 4, COLOCATED_AND_SHARDED)
    assert len(c.colocated) == 666 and c.sharded == ["public.t666", "public.t667"]
    assert reasons(c)["public.t666"] == ("public.t666: 0 B with 2 indexes → sharded because colocating it would "
                                          "make 2001 colocated objects, over the 2000 limit for 4-vCPU nodes")
    # 8-vCPU nodes hold 5000: all fit.
    assert candidate(tables, 8, COLOCATED_AND_SHARDED).sharded == []


def test_colocated_set_is_cut_where_one_node_cannot_serve_its_reads() -> None:
    # 4 vCPUs x 1488 colocated selects per core: 3000/s needs ceil(2.02) = 3 vCPUs, 6000/s ceil(4.03) = 5 > 4.
    tables = [SizingTable("public.x", 1024, reads_per_second=3000),
              SizingTable("public.y", 2048, reads_per_second=3000), SizingTable("public.z", 4096)]
    c = candidate(tables, 4, COLOCATED_AND_SHARDED)
    assert c.colocated == ["public.x"]
    assert reasons(c)["public.y"] == ("public.y: moved to sharded because the colocated tables up to it would need 5 "
                                       "vCPUs for 6000 reads/s and 0 writes/s, more than the 4 of one node")
    assert reasons(c)["public.z"] == ("public.z: moved to sharded because a smaller colocated table already exceeded "
                                       "one node's throughput")


def test_node_count_from_throughput() -> None:
    # ceil(50000/2257 + 1212/1212) = ceil(22.15 + 1) = 24 vCPUs = 6 nodes of 4 vCPUs.
    c = candidate([SizingTable("public.hot", GIB, reads_per_second=50000, writes_per_second=1212)], 4, ALL_SHARDED)
    assert (c.num_nodes, c.nodes_from_throughput, c.total_vcpus) == (6, 6, 24)
    assert c.reasoning[0] == ("Nodes from throughput (4 vCPUs, all sharded): sharded tables read 50000/s and write "
                              "1212/s → ceil(50000/2257 + 1212/1212) = 24 vCPUs → 6 nodes → 6.")


def test_min_three_nodes_and_the_colocated_tablet_node() -> None:
    c = candidate([SizingTable("public.tiny", 8192)], 4, COLOCATED_AND_SHARDED)
    assert c.num_nodes == 3
    assert c.reasoning[0] == ("Nodes from throughput (4 vCPUs, colocated+sharded): sharded tables read 0/s and write "
                              "0/s → ceil(0/2257 + 0/1212) = 0 vCPUs → 0 nodes, +1 for the colocated tablet = 1, at "
                              "least 3 for replication factor 3 → 3.")


def test_node_count_from_tablets() -> None:
    # 900 small sharded tables, one tablet each: ceil(900 x 3 x 2 / 992) = ceil(5.44) = 6 nodes.
    c = candidate([SizingTable(f"public.t{k:03d}") for k in range(900)], 4, ALL_SHARDED)
    assert (c.nodes_from_throughput, c.nodes_from_tablets, c.num_nodes) == (3, 6, 6)
    assert c.reasoning[1] == ("Nodes from tablets: 900 sharded objects split into 900 tablets on 3 nodes → "
                              "ceil(900 x 3 replicas x 2 headroom / 992) = 6.")


@pytest.mark.parametrize(("gib", "nodes", "tablets"), [
    (0, 3, 1), (1.5, 3, 3),  # 512 MiB tablets up to one per node
    (2, 3, 3),  # past the low phase: keeps its 3 tablets (ceil(2/10) = 1 would be a merge)
    (300, 3, 30), (1000, 3, 72),  # 10 GiB tablets up to 24 per node
    (10000, 3, 100),  # then 100 GiB tablets
])
def test_tablet_phases(gib: float, nodes: int, tablets: int) -> None:
    assert tablets_for(int(gib * GIB), nodes) == tablets


def test_import_multipliers_interpolate_the_experiment_points() -> None:
    assert D.interpolate(D.INDEX_LOAD_MULTIPLIER, 0) == 1.0
    assert D.interpolate(D.INDEX_LOAD_MULTIPLIER, 3) == pytest.approx(1.8 + (3.42 - 1.8) / 3)
    assert D.interpolate(D.INDEX_LOAD_MULTIPLIER, 30) == pytest.approx(13.68 + (13.68 - 6.55))  # last slope
    assert D.interpolate(D.COLUMN_LOAD_MULTIPLIER, 5) == 1.0
    assert D.interpolate(D.COLUMN_LOAD_MULTIPLIER, 160) == pytest.approx(2.1)
    assert node_scaling(4, 3) == 1.0
    assert node_scaling(4, 6) == pytest.approx(23.7 / 15.8)
    assert node_scaling(16, 12) == pytest.approx((119 + (119 - 82)) / 42)


def big_table() -> SizingTable:
    return SizingTable("public.big", int(22.6 * GIB), rows=30_000_000, columns=40, indexes=idx(3, redundant=1),
                       reads_per_second=50000, writes_per_second=1212)


def test_import_time_per_table_with_index_and_column_multipliers() -> None:
    result = size_cluster([big_table()])
    assert result.sizing.vcpus_per_node == 8
    (estimate,) = result.details.import_estimates
    # 8 vCPU sharded: 113 GiB in 5426 s. 22.6 GiB → 1085.2 s; 30M rows at 110,579 rows/s → 271 s; the larger wins.
    # x (1.8 + 1.62/3 = 2.34) for 3 indexes x (1 + 0.41 x 30/70 = 1.18) for 40 columns = 2986 s; 2 indexes: 1.8.
    assert estimate.reason == (
        "public.big: max(22.60 GiB at 0.0208 GiB/s, 30,000,000 rows at 110,579 rows/s) = 1085 s x 2.34 for 3 "
        "indexes x 1.18 for 40 columns = 2986 s (sharded, 8-vCPU load experiment); 2297 s without its 1 redundant")
    assert result.sizing.estimated_import_minutes == 49.8
    assert result.sizing.estimated_import_minutes_without_redundant_indexes == 38.3
    assert result.sizing.reasoning[-1] == (
        "Import estimate: 49.8 min = 0.0 min colocated + 49.8 min sharded ÷ 1.00 (import speed on 3 nodes vs 3); "
        "without the 1 redundant index: 38.3 min.")


def test_choice_fewest_vcpus_then_larger_node() -> None:
    # 24 vCPUs needed on every shape: 6 x 4, 3 x 8 and 3 x 16 (= 48) nodes; 4 and 8 tie at 24, the larger node wins;
    # both layouts shard the table (3 indexes), so the tablet tie goes to all-sharded.
    result = size_cluster([big_table()])
    s = result.sizing
    assert (s.num_nodes, s.vcpus_per_node, s.memory_gib_per_node) == (3, 8, 32)
    assert (s.select_connections_per_node, s.insert_connections_per_node) == (20, 24)
    assert s.reasoning[0] == (
        "Recommended: 3 nodes x 8 vCPUs (32 GiB memory each), all sharded: 24 vCPUs in total, the fewest of the "
        "layouts that fit; 3 other layout(s) need as many, and the tie goes to the larger node, then fewer nodes, then "
        "fewer tablets (6 here).")
    assert s.failure is None and s.sharded_tables == ["public.big"] and s.colocated_tables == []


def test_tie_between_layouts_goes_to_fewer_tablets() -> None:
    s = size_cluster([SizingTable("public.a", 8192), SizingTable("public.b", 16384)]).sizing
    assert s.colocated_tables == ["public.a", "public.b"] and s.sharded_tables == []
    assert (s.num_nodes, s.vcpus_per_node) == (3, 4)
    assert (s.select_connections_per_node, s.insert_connections_per_node) == (8, 12)  # colocated experiment values
    assert s.reasoning[0] == (
        "Recommended: 3 nodes x 4 vCPUs (16 GiB memory each), colocated+sharded: 12 vCPUs in total, the fewest of the "
        "layouts that fit; 1 other layout(s) need as many, and the tie goes to the larger node, then fewer nodes, then "
        "fewer tablets (1 here).")


def test_no_shape_fits_gives_a_failure_with_the_largest_attempt() -> None:
    # 5000 tables with 3 indexes each are all sharded: 20000 objects, more than the 4316 of 16-vCPU nodes.
    s = size_cluster([SizingTable(f"public.t{k:04d}", indexes=idx(3)) for k in range(5000)]).sizing
    assert s.vcpus_per_node == 16
    assert s.failure == ("No node shape fits: 20000 sharded objects (tables and indexes) do not fit on 16-vCPU nodes: "
                         "the experiments ran at most 4316. The numbers shown are for the largest shape; contact "
                         "YugabyteDB support for a sizing.")


def test_inputs_from_metadata(tmp_path: Path) -> None:
    """Rates are (final - initial) / elapsed; the primary key is not a sizing index; partitioned parents and views
    are not sized; redundant indexes are marked."""
    md = read_metadata(write_metadata(
        tmp_path / "metadata",
        table_statistics=[
            {"schema_name": "public", "table_name": "orders", "object_type": "table", "row_count": 100,
             "size_bytes": 8192, "column_count": 4, "has_primary_key": True},
            {"schema_name": "public", "table_name": "events", "object_type": "partitioned table", "row_count": 0},
            {"schema_name": "public", "table_name": "events_1", "object_type": "table", "parent_table": "public.events",
             "row_count": 7, "size_bytes": 0}],
        indexes=[
            {"schema_name": "public", "index_name": "orders_pkey", "table_name": "orders", "index_type": "btree",
             "is_unique": True, "is_primary": True, "columns": "id", "size_bytes": 100},
            {"schema_name": "public", "index_name": "orders_a", "table_name": "orders", "index_type": "btree",
             "is_unique": False, "is_primary": False, "columns": "a", "size_bytes": 200}],
        iops=iops_rows({("public", "orders"): (1200, 600)}, seconds=120)))
    tables, stats = tables_from_metadata(md, redundant={("public", "orders_a")})
    assert tables == [
        SizingTable("public.orders", 8192, 100, 4, (SizingIndex("public.orders_a", 200, redundant=True),), 10.0, 5.0),
        SizingTable("public.events_1", 0, 7, 0, (), 0.0, 0.0)]
    assert {(s.object_name, s.is_index, s.object_type) for s in stats} == {
        ("orders", False, "table"), ("events", False, "partitioned table"), ("events_1", False, "table"),
        ("orders_pkey", True, "primary key"), ("orders_a", True, "index")}
