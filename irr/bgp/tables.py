"""Reading a BGP routing table into (prefix, origin) -> peers.

Formats, recognised by content (plain, gzip or bzip2):
- MRT (RFC 6396) RIB dumps, TABLE_DUMP_V2 (RIS `bview`, RouteViews `rib`, add-path too) and the
  old TABLE_DUMP, parsed with mrtparse. The origin of an entry is the last AS of its AS_PATH's
  last AS_SEQUENCE; a path ending in an AS_SET has no single origin (RFC 6811 says NONE) and is
  skipped.
- `bgpdump -m` one-line output (`TABLE_DUMP2|time|B|peer|peer AS|prefix|AS path|...`).
- Prefix-to-origin tables: CAIDA pfx2as (`1.0.0.0<TAB>24<TAB>13335`, `_` joining the origins of a
  multi-origin prefix, `,` an AS set, skipped) or `prefix/len origin` lines (`AS13335` or `13335`).

Peers are counted per (prefix, origin) for RIB dumps (how widely it is seen); pfx2as tables carry
no peer counts. Bad lines are counted and a few quoted, never fatal; a file with no route at all,
or an MRT file whose records can't be read, is refused.
"""
from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import mrtparse

from rpsl import keys
from rpsl.errors import ValueSyntaxError

MAX_ROUTES = 20_000_000          # (prefix, origin) pairs kept from one table: a bound on memory
MAX_EXAMPLES = 10
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")
_RIB_SUBTYPES = {2, 4, 8, 10}    # RIB_IPV4_UNICAST, RIB_IPV6_UNICAST and their ADDPATH forms
_TABLE_DUMP, _TABLE_DUMP_V2 = 12, 13
_AS_PATH, _AS4_PATH = 2, 17
_AS_SET, _AS_SEQUENCE = 1, 2


class BgpTableError(ValueError):
    """The file is not a routing table this module reads; nothing was loaded."""


@dataclass
class BgpTable:
    format: str
    routes: dict[tuple[str, int], int | None] = field(default_factory=dict)  # (prefix, origin) -> peers
    dumped_at: dt.datetime | None = None
    skipped: int = 0
    examples: list[str] = field(default_factory=list)   # why entries were skipped (a few)

    def skip(self, why: str) -> None:
        self.skipped += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(why)

    def add(self, prefix: str, origin: int, peers: int | None = 1) -> None:
        key = (prefix, origin)
        if key in self.routes:
            old = self.routes[key]
            self.routes[key] = None if old is None or peers is None else old + peers
            return
        if len(self.routes) >= MAX_ROUTES:
            raise BgpTableError(f"more than {MAX_ROUTES:,} (prefix, origin) pairs: not a routing table this "
                                "registry can hold")
        self.routes[key] = peers

    @property
    def prefixes(self) -> int:
        return len({p for p, _ in self.routes})

    def summary(self) -> str:
        when = f", dumped {self.dumped_at:%Y-%m-%d %H:%M} UTC" if self.dumped_at else ""
        return (f"{len(self.routes):,} routes ({self.prefixes:,} prefixes) from a {self.format} table{when}; "
                f"{self.skipped:,} entries skipped")


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        magic = f.read(3)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic == b"BZh":
        return bz2.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    sample = head[:4096]
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in sample)
    return printable == len(sample) and (b"\n" in sample or len(sample) < 4096)


def read_table(path: str | Path) -> BgpTable:
    """The routes of a table file (any supported format); raises BgpTableError when it is none."""
    path = Path(path)
    try:
        with _open(path) as stream:
            head = stream.read(4096)
    except (OSError, EOFError) as e:
        raise BgpTableError(f"{path}: cannot read: {e}") from None
    if _looks_like_text(head):
        with _open(path) as stream:
            table = _read_text(io.TextIOWrapper(stream, encoding="ascii", errors="replace"))
    else:
        with _open(path) as stream:
            table = _read_mrt(stream, path)
    if not table.routes:
        example = f" (e.g. {table.examples[0]})" if table.examples else ""
        raise BgpTableError(f"{path}: no route found in the {table.format} table{example}")
    return table


# -- MRT -----------------------------------------------------------------------------------------
def _code(value) -> int:
    """mrtparse writes enumerations as {code: name}."""
    return next(iter(value)) if isinstance(value, dict) else int(value)


def path_origin(segments: list) -> int | None:
    """The origin AS of an AS_PATH (mrtparse segments); None when it ends in an AS_SET or is empty."""
    for segment in reversed(segments):
        values = segment.get("value") or []
        if not values:
            continue
        if _code(segment["type"]) != _AS_SEQUENCE:
            return None
        return int(values[-1])
    return None


def _entry_origin(attributes: list) -> tuple[int | None, str]:
    as_path = as4_path = None
    for attribute in attributes:
        code = _code(attribute["type"])
        if code == _AS_PATH:
            as_path = attribute["value"]
        elif code == _AS4_PATH:
            as4_path = attribute["value"]
    path = as4_path if as4_path else as_path   # TABLE_DUMP with 2-byte paths: AS4_PATH has the truth
    if path is None:
        return None, "no AS_PATH"
    if not path:
        return None, "empty AS_PATH (the collector's own route)"
    origin = path_origin(path)
    return origin, "" if origin is not None else "AS path ends in an AS_SET"


def _read_mrt(stream: BinaryIO, path: Path) -> BgpTable:
    table = BgpTable("MRT")
    reader = iter(mrtparse.Reader(stream))
    records = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except Exception as e:  # mrtparse fails on garbage with whatever error its decoding meets
            raise BgpTableError(f"{path}: record {records + 1} can't be read ({type(e).__name__}: {e}): not an MRT "
                                "file, or a damaged one") from None
        records += 1
        if record.err:
            if record.err == mrtparse.MRT_ERR_C["MRT Header Error"]:
                raise BgpTableError(f"{path}: record {records}: {record.err_msg}: not an MRT file, or a damaged one")
            table.skip(f"record {records}: {record.err_msg}")
            continue
        data = record.data
        kind, subtype = _code(data["type"]), _code(data["subtype"])
        if table.dumped_at is None:
            table.dumped_at = dt.datetime.fromtimestamp(_code(data["timestamp"]), dt.UTC)
        if kind == _TABLE_DUMP_V2 and subtype in _RIB_SUBTYPES:
            entries = data.get("rib_entries") or []
            attributes = [e.get("path_attributes") or [] for e in entries]
        elif kind == _TABLE_DUMP:
            attributes = [data.get("path_attributes") or []]
        else:
            if not (kind == _TABLE_DUMP_V2 and subtype == 1):   # the peer index table: nothing to take
                table.skip(f"record {records}: MRT type {kind} subtype {subtype} is not a RIB entry")
            continue
        prefix = f"{data['prefix']}/{data['length']}"
        try:
            canonical = keys.prefix(prefix)[3]
        except ValueSyntaxError as e:
            table.skip(f"record {records}: {e.message}")
            continue
        if canonical in DEFAULT_ROUTES:
            continue
        for attrs in attributes:
            origin, why = _entry_origin(attrs)
            if origin is None:
                table.skip(f"{canonical}: {why}")
                continue
            table.add(canonical, origin)
    if records == 0:
        raise BgpTableError(f"{path}: empty file")
    return table


# -- text ----------------------------------------------------------------------------------------
def _origins(field_: str) -> list[int] | str:
    """`13335`, `AS13335`, `13335_4134` (several origins) -> AS numbers; an AS set -> a reason."""
    text = field_.strip()
    if "," in text or "{" in text:
        return "origin is an AS set"
    out = []
    for part in text.split("_"):
        part = part.strip()
        try:
            out.append(keys.as_number(part if part[:2].upper() == "AS" else "AS" + part))
        except ValueSyntaxError as e:
            return e.message
    return out


def _bgpdump_line(table: BgpTable, fields: list[str], n: int) -> None:
    if fields[0] not in ("TABLE_DUMP", "TABLE_DUMP2", "TABLE_DUMP_V2"):
        table.skip(f"line {n}: {fields[0]} is not a RIB entry (use a RIB dump, not updates)")
        return
    if len(fields) < 7:
        table.skip(f"line {n}: too few fields for bgpdump -m output")
        return
    if table.dumped_at is None and fields[1].isdigit():
        table.dumped_at = dt.datetime.fromtimestamp(int(fields[1]), dt.UTC)
    path = fields[6].split()
    if not path:
        table.skip(f"line {n}: empty AS path")
        return
    _add_text(table, fields[5], path[-1], n)


def _add_text(table: BgpTable, prefix: str, origin: str, n: int, peers: int | None = 1) -> None:
    try:
        canonical = keys.prefix(prefix)[3]
    except ValueSyntaxError as e:
        table.skip(f"line {n}: {e.message}")
        return
    if canonical in DEFAULT_ROUTES:
        return
    origins = _origins(origin)
    if isinstance(origins, str):
        table.skip(f"line {n}: {canonical}: {origins}")
        return
    for asn in origins:
        table.add(canonical, asn, peers)


def _read_text(lines: Iterator[str]) -> BgpTable:
    table: BgpTable | None = None
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "|" in line:
            table = table or BgpTable("bgpdump")
            _bgpdump_line(table, line.split("|"), n)
            continue
        fields = line.replace(",", " ", 1).split() if "/" in line else line.split()
        if len(fields) == 3 and fields[1].isdigit():          # CAIDA pfx2as
            table = table or BgpTable("pfx2as")
            _add_text(table, f"{fields[0]}/{fields[1]}", fields[2], n, None)
        elif len(fields) == 2:
            table = table or BgpTable("prefix-origin")
            _add_text(table, fields[0], fields[1], n, None)
        else:
            table = table or BgpTable("text")
            table.skip(f"line {n}: expected 'prefix length origin', 'prefix/len origin' or bgpdump -m output")
    return table or BgpTable("text")
