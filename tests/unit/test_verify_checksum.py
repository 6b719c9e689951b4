"""Which column types verify may checksum by hashing values instead of rendering them as text."""

import pytest

from voyager_tui.engine.data.verify import _HASHABLE


@pytest.mark.parametrize("type_name", [
    "smallint", "integer", "bigint", "boolean", "text", "bytea", "uuid", "date", "numeric(12,2)",
    "character varying(40)", "character varying", "character(3)", "timestamp with time zone",
    "timestamp(3) without time zone", "time without time zone"])
def test_hashed(type_name: str) -> None:
    assert _HASHABLE.match(type_name)


@pytest.mark.parametrize("type_name", [
    "numeric", "double precision", "real", "interval", "text[]", "json", "jsonb", "time with time zone", "app.status",
    "\"Sales Dept\".money_domain", "point"])
def test_checked_as_text(type_name: str) -> None:
    assert not _HASHABLE.match(type_name)
