"""Splitting a COPY file into rows, for the slow path that isolates bad rows (never for the bulk path)."""

from __future__ import annotations

import struct

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def split_rows(data: bytes, fmt: str) -> tuple[bytes, list[bytes], bytes]:
    """(header, rows, trailer); header + any rows + trailer is again a valid COPY stream."""
    if fmt != "binary":
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return b"", [line + b"\n" for line in lines], b""
    if not data.startswith(BINARY_SIGNATURE):
        raise ValueError("not a binary COPY file")
    ext_len = struct.unpack_from("!i", data, 15)[0]
    pos = 19 + ext_len
    header = data[:pos]
    rows = []
    while pos < len(data):
        start = pos
        nfields = struct.unpack_from("!h", data, pos)[0]
        pos += 2
        if nfields == -1:
            break
        for _ in range(nfields):
            length = struct.unpack_from("!i", data, pos)[0]
            pos += 4 + max(length, 0)
        rows.append(data[start:pos])
    return header, rows, b"\xff\xff"
