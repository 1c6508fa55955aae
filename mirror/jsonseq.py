"""JSON text sequences (RFC 7464) as NRTMv4 uses them: each record is 0x1E, JSON, LF.

Records are serialised as IRRd does (ujson defaults): compact separators, ASCII only, and "/"
escaped as "\\/", so that our snapshot and delta files are byte for byte what IRRd writes.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

RS = b"\x1e"
CHUNK_SIZE = 1 << 20


class JsonSeqError(ValueError):
    """The input is not a valid JSON text sequence."""


def dumps(value: Any) -> str:
    """Compact ASCII JSON with escaped slashes (what ujson.dumps produces by default)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def encode_one(value: Any) -> bytes:
    """One record: RS + JSON + LF."""
    return RS + dumps(value).encode("ascii") + b"\n"


def encode(values: Iterable[Any], out: IO[bytes], batch: int = 1000) -> int:
    """Write records to `out` (in batches, few write calls); return how many were written."""
    pending: list[bytes] = []
    count = 0
    for value in values:
        pending.append(encode_one(value))
        count += 1
        if len(pending) >= batch:
            out.write(b"".join(pending))
            pending.clear()
    if pending:
        out.write(b"".join(pending))
    return count


def _loads(record: bytes) -> Any:
    try:
        return json.loads(record.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise JsonSeqError(f"invalid JSON record: {e}") from None


def decode(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[Any]:
    """The records of a JSON text sequence, read incrementally; every record must start with RS."""
    pending = b""
    first = True
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        parts = (pending + chunk).split(RS)
        pending = parts.pop()
        for part in parts:
            if first:
                first = False
                if part.strip():
                    raise JsonSeqError("data before the first record separator")
                continue
            if part.strip():
                yield _loads(part)
    if first:
        if pending.strip():
            raise JsonSeqError("no record separator found")
        return
    if pending.strip():
        yield _loads(pending)
