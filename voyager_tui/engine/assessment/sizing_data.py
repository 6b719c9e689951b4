"""Every constant the sizing uses, with where it comes from.

yb-voyager sizes from an experiment database it embeds (src/migassessment/resources, tables colocated_limits,
sharded_sizing, *_load_time, load_time_*_impact). voyager-tui does not ship that database; the numbers below are
the 2025.2 experiment values as quoted in the research notes (../shared/research/yb-voyager.md §4 and §9, "R§4"
and "R§9" below). Where the notes give no number, the value is ours and says so ("assumption"); docs/assessment/
sizing-and-effort.md lists them with the reasoning. Change a number here and the reasoning texts follow.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from types import MappingProxyType

INSTANCE_VCPUS: tuple[int, ...] = (4, 8, 16)
"""Node shapes tried (R§4 step 1)."""
MEMORY_GIB_PER_VCPU = 4
"""4 GiB per vCPU (R§4: all experiments ran with 4 GiB/vCPU)."""
REPLICATION_FACTOR = 3
MIN_NODES = 3
"""RF3 needs at least three nodes (R§4 step 5)."""

# ---- colocation (R§4 colocated_limits, step 2) -------------------------------------------------------------
COLOCATED_MAX_INDEXES = 2
"""A table with more secondary indexes than this goes sharded (voyager's COLOCATED_MAX_INDEXES_THRESHOLD)."""
COLOCATED_MAX_SIZE_GIB = 113.0
"""Largest colocated database the experiments ran (113 GB, sizes computed as bytes / 1024^3)."""
COLOCATED_MAX_OBJECTS: Mapping[int, int] = MappingProxyType({4: 2000, 8: 5000, 16: 5000})
COLOCATED_SELECTS_PER_CORE: Mapping[int, float] = MappingProxyType({4: 1488, 8: 1406, 16: 1511})
COLOCATED_INSERTS_PER_CORE: Mapping[int, float] = MappingProxyType({4: 1127, 8: 1161, 16: 1171})
COLOCATED_SELECT_CONNECTIONS: Mapping[int, int] = MappingProxyType({4: 8, 8: 16, 16: 32})
COLOCATED_INSERT_CONNECTIONS: Mapping[int, int] = MappingProxyType({4: 12, 8: 24, 16: 48})

# ---- sharding (R§4 sharded_sizing) -------------------------------------------------------------------------
SHARDED_MAX_OBJECTS: Mapping[int, int] = MappingProxyType({4: 992, 8: 2140, 16: 4316})
"""Most sharded objects (tables + indexes) a 3-node RF3 cluster of that shape ran (TableLimits-3nodeRF=3)."""
SHARDED_SELECTS_PER_CORE: Mapping[int, float] = MappingProxyType({4: 2257, 8: 2272, 16: 2325})
SHARDED_INSERTS_PER_CORE: Mapping[int, float] = MappingProxyType({4: 1212, 8: 1099, 16: 784})
SHARDED_SELECT_CONNECTIONS: Mapping[int, int] = MappingProxyType({4: 10, 8: 20, 16: 40})
SHARDED_INSERT_CONNECTIONS: Mapping[int, int] = MappingProxyType({4: 12, 8: 24, 16: 48})

# ---- tablets (R§4 step 6: YugabyteDB's automatic tablet splitting phases) -----------------------------------
TABLET_LOW_PHASE_GIB = 0.5
"""Tablets split at 512 MiB while a table has fewer than LOW_PHASE_TABLETS_PER_NODE tablets per node."""
TABLET_LOW_PHASE_PER_NODE = 1
TABLET_HIGH_PHASE_GIB = 10.0
"""Then at 10 GiB up to HIGH_PHASE_TABLETS_PER_NODE tablets per node."""
TABLET_HIGH_PHASE_PER_NODE = 24
TABLET_FINAL_PHASE_GIB = 100.0
"""Beyond that, tablets split at 100 GiB."""
TABLET_HEADROOM = 2
"""Room for 100% growth of the tablet count (R§4 step 6)."""

# ---- import time (R§9: the experiment's load times) --------------------------------------------------------
LOAD_EXPERIMENT_GIB = 113.0
LOAD_EXPERIMENT_ROWS = 600_000_000
SHARDED_LOAD_SECONDS: Mapping[int, float] = MappingProxyType({4: 9608, 8: 5426, 16: 3649})
"""Seconds to load the 113 GB / 600M-row dataset into sharded tables on 3 nodes of that shape."""
COLOCATED_LOAD_SECONDS: Mapping[int, float] = MappingProxyType({4: 12514, 8: 7147, 16: 6347})
INDEX_LOAD_MULTIPLIER: tuple[tuple[float, float], ...] = (
    (0, 1.0), (1, 1.39), (2, 1.8), (5, 3.42), (10, 6.55), (20, 13.68))
"""(secondary indexes, load-time multiplier): 8 vCPU sharded experiment (R§4 load_time_index_impact). The notes
say colocated tables are hit harder but give no numbers, so colocated uses the same curve (assumption: this
underestimates colocated tables with indexes)."""
COLUMN_LOAD_MULTIPLIER: tuple[tuple[float, float], ...] = ((10, 1.0), (80, 1.41), (160, 2.1))
"""(columns, multiplier): 80 and 160 columns from R§4 load_time_columns_impact; 1.0 up to 10 columns is an
assumption (the 113 GB / 600M-row dataset has ~200-byte rows, i.e. a narrow table)."""
NODE_SCALING_MBPS: Mapping[int, tuple[tuple[float, float], ...]] = MappingProxyType({
    4: ((3, 15.8), (6, 23.7), (9, 28.9)),
    8: ((3, 29.1), (6, 51.1), (9, 64.8)),
    16: ((3, 42.0), (6, 82.0), (9, 119.0)),
})
"""(nodes, import MB/s) per shape (R§9 load_time_num_nodes_impact); sharded import time is divided by
MB/s(N) / MB/s(3). Beyond 9 nodes the last segment's slope is extended (assumption)."""


def interpolate(points: tuple[tuple[float, float], ...], x: float) -> float:
    """Piecewise-linear through `points` (sorted by x); flat below the first, last slope beyond the last."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    return y1 + (y1 - y0) * (x - x1) / (x1 - x0)
