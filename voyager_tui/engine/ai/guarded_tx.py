"""Work on the target inside a transaction that must be rolled back, and proof that it still is that transaction.

A SET LOCAL setting vanishes when the transaction ends, however it ends: read back after each statement, it tells
a COMMIT followed by a new BEGIN in the SQL (status "in transaction" again) from the transaction that was opened.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

MARKER = "ybvoyager.guarded"


def mark(conn: psycopg.Connection[Any]) -> None:
    """Set the marker in the transaction the caller just opened."""
    conn.execute(f"SET LOCAL {MARKER} = 'on'")


def still_ours(conn: psycopg.Connection[Any]) -> bool:
    if conn.info.transaction_status != TransactionStatus.INTRANS:
        return False
    row = conn.execute("SELECT current_setting(%s, true)", (MARKER,)).fetchone()
    return bool(row and row[0] == "on")


def settle(conn: psycopg.Connection[Any]) -> None:
    """Leave the connection idle even when the SQL opened a transaction of its own after a COMMIT."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        conn.rollback()
