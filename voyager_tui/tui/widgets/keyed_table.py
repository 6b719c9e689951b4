"""Keyed updates of a DataTable: change only the cells that changed, never rebuild (no flicker, cursor kept)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


def as_text(cell: Cell) -> Text:
    """Plain strings become Text so that database values like `[public, sales]` are never read as markup."""
    return cell if isinstance(cell, Text) else Text(cell)


def sync_rows(table: DataTable[Cell], rows: Mapping[str, Sequence[Cell]]) -> None:
    """Make `table` hold exactly `rows` (key -> cells, in column order), in the order given for new rows."""
    columns = list(table.columns.keys())
    rows = {key: [as_text(c) for c in cells] for key, cells in rows.items()}
    with table.app.batch_update():
        for key in [k.value for k in table.rows if k.value not in rows]:
            table.remove_row(key)
        for key, cells in rows.items():
            if key in table.rows:
                current = table.get_row(key)
                for column, old, new in zip(columns, current, cells, strict=True):
                    if old != new:
                        table.update_cell(key, column, new, update_width=True)
            else:
                table.add_row(*cells, key=key)
