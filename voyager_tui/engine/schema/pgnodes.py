"""Small helpers for reading pglast parse trees."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def enum_name(value: Any) -> str:
    return str(getattr(value, "name", value))


def strings(nodes: Iterable[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if hasattr(n, "sval")]


def qual(rangevar: Any) -> str:
    return f"{rangevar.schemaname or 'public'}.{rangevar.relname}"


def defelem_value(elem: Any) -> str:
    arg = elem.arg
    for attr in ("sval", "ival", "boolval", "fval"):
        if arg is not None and hasattr(arg, attr):
            return str(getattr(arg, attr)).lower()
    if arg is not None and hasattr(arg, "names"):  # a TypeName, e.g. deterministic = false parsed as a name
        return ".".join(strings(arg.names)).lower()
    return "true" if arg is None else str(arg).lower()


def iter_nodes(root: Any) -> Iterator[Any]:
    """Every node under `root`. pglast's iterate() descends only when sent Continue, not on plain next()."""
    from pglast.visitors import Continue, Visitor

    walk = Visitor().iterate(root)
    try:
        _ancestors, node = walk.send(None)
        while True:
            yield node
            _ancestors, node = walk.send(Continue)
    except StopIteration:
        return
