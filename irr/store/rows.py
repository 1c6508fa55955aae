"""The row of one object, built once (`row`): the single-object write path binds it as its
statement's parameters (irr.store.writes), the bulk path writes it as a COPY line (`copy_line`,
run in the loader's worker processes)."""
from __future__ import annotations

import datetime as dt

from rpsl.lenient import Loaded
from rpsl.objects import IndexData


def _timestamp(value: str | None) -> dt.datetime | None:
    """last-modified as a datetime, or None when it isn't a valid RFC 3339 time (mirrored junk)."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def row(source: str, obj: Loaded) -> tuple:
    """The row of one object in COPY_COLUMNS order: the one shape both write paths store."""
    idx: IndexData = obj.index  # type: ignore[assignment]
    return (source, obj.object_class, obj.pk, obj.text, idx.prefix, idx.prefix_length, idx.ip_first, idx.ip_last,
            idx.origin, idx.asn_first, idx.asn_last, idx.members or None, idx.lookup_keys,
            _timestamp(idx.last_modified))


def _copy_text(value: str) -> str:
    """COPY text format escaping (backslash, tab, newline, CR); str.replace is much faster than
    str.translate on non-ASCII text."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value.replace("\n", "\\n")


def _copy_array(items: list[str]) -> str:
    quoted = ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return _copy_text("{" + quoted + "}")


def _null(encode):
    return lambda value: "\\N" if value is None else encode(value)


# How each column of a row is written in COPY text format, in COPY_COLUMNS order.
_ENCODERS = (_copy_text, _copy_text, _copy_text, _copy_text, _null(str), _null(str), _null(str), _null(str),
             _null(str), _null(str), _null(str), _null(_copy_array), _copy_array, _null(dt.datetime.isoformat))


def copy_line(source: str, obj: Loaded) -> str:
    """One object as a line of COPY text: its `row` (built in loader workers), so both write paths
    store the same row by construction."""
    return "\t".join([encode(value) for encode, value in zip(_ENCODERS, row(source, obj))]) + "\n"
