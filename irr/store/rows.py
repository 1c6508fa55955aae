"""The row of one object, built once (`row_values`) and written as a COPY line for the bulk path
(`copy_line`, run in the loader's worker processes)."""
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


def row_values(source: str, obj: Loaded) -> dict:
    """The row of one object: the one shape both write paths store."""
    idx: IndexData = obj.index  # type: ignore[assignment]
    return {
        "source": source, "object_class": obj.object_class, "pk": obj.pk, "object_text": obj.text,
        "prefix": idx.prefix, "prefix_length": idx.prefix_length, "ip_first": idx.ip_first,
        "ip_last": idx.ip_last, "origin": idx.origin, "asn_first": idx.asn_first, "asn_last": idx.asn_last,
        "members": idx.members or None, "lookup_keys": idx.lookup_keys,
        "last_modified": _timestamp(idx.last_modified),
    }


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


def copy_line(source: str, obj: Loaded) -> str:
    """One object as a line of COPY text, in COPY_COLUMNS order (built in loader workers)."""
    idx: IndexData = obj.index  # type: ignore[assignment]
    last_modified = _timestamp(idx.last_modified)
    n = "\\N"
    return "\t".join((
        source, obj.object_class, _copy_text(obj.pk), _copy_text(obj.text),
        idx.prefix or n, n if idx.prefix_length is None else str(idx.prefix_length),
        idx.ip_first or n, idx.ip_last or n,
        n if idx.origin is None else str(idx.origin),
        n if idx.asn_first is None else str(idx.asn_first), n if idx.asn_last is None else str(idx.asn_last),
        _copy_array(idx.members) if idx.members else n, _copy_array(idx.lookup_keys),
        last_modified.isoformat() if last_modified else n,
    )) + "\n"
