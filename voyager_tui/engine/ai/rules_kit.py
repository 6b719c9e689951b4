"""What the rule modules share: parsing and printing statements, and the shapes a rule refuses (NoFix)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from .models import Problem

_CT = enums.ConstrType
_AT = enums.AlterTableType
_DEFERRAL_ATTRS = (_CT.CONSTR_ATTR_DEFERRABLE, _CT.CONSTR_ATTR_NOT_DEFERRABLE, _CT.CONSTR_ATTR_DEFERRED,
                   _CT.CONSTR_ATTR_IMMEDIATE)
# Index methods YugabyteDB lacks; a btree (LSM) index on the same columns serves equality and range lookups.
_UNSUPPORTED_METHODS = {"UNSUPPORTED_GIST_INDEX_METHOD": "gist", "UNSUPPORTED_BRIN_INDEX_METHOD": "brin",
                        "UNSUPPORTED_SPGIST_INDEX_METHOD": "spgist"}
# Column types GIN indexes natively; everything else is indexed through its text form.
_GIN_TYPES = frozenset({"tsvector", "jsonb", "array"})
# Large or unordered values: key on a hash of the text form (bounded size); the rest on the text form itself.
_HASHED_TYPES = frozenset({"tsvector", "tsquery", "jsonb", "json", "array", "user_defined", "circle", "box",
                           "line", "lseg", "point", "path", "polygon", "txid_snapshot"})
# ALTER TABLE sub-commands that only tune storage or the planner: removing them changes no data or behaviour.
_TUNING_CMDS = {
    _AT.AT_SetStatistics: "SET STATISTICS", _AT.AT_SetOptions: "ALTER COLUMN ... SET (...)",
    _AT.AT_ResetOptions: "ALTER COLUMN ... RESET (...)", _AT.AT_SetStorage: "SET STORAGE",
    _AT.AT_SetCompression: "SET COMPRESSION", _AT.AT_ClusterOn: "CLUSTER ON", _AT.AT_DropCluster: "SET WITHOUT CLUSTER",
    _AT.AT_SetRelOptions: "SET (...)", _AT.AT_ResetRelOptions: "RESET (...)",
}


_WITH_OIDS = re.compile(r"\bWITH\s+OIDS\b", re.IGNORECASE)
# UNIQUE NULLS NOT DISTINCT over n columns becomes 2^n - 1 partial unique indexes: keep that small.
_MAX_NULLS_NOT_DISTINCT_COLUMNS = 3


class NoFix(Exception):
    """The statement does not have the shape a rule can fix mechanically."""


Rule = Callable[[list[ast.Node], Problem], tuple[str, str, list[str]]]


def _parse_one(text: str) -> Any:
    # pglast's stubs make every field Optional; the shapes checked here are known from the grammar.
    return parse_sql(text)[0].stmt


def _emit(stmts: list[Any]) -> str:
    return "".join(f"{RawStream()(s)};\n" for s in stmts).rstrip("\n")


def _only(stmts: list[ast.Node], kind: type[Any] | tuple[type[Any], ...]) -> Any:
    if len(stmts) != 1 or not isinstance(stmts[0], kind):
        raise NoFix
    return stmts[0]


def _name(rv: ast.RangeVar) -> str:
    return RawStream()(rv)


def _ident(name: str) -> str:
    return RawStream()(ast.ColumnRef(fields=(ast.String(sval=name),)))
