"""Validated ROA payloads from the common validator outputs: rpki-client `json`, Routinator
`jsonext`, the RIPE NCC validator export, and CSV (`ASN,IP Prefix,Max Length,Trust Anchor`).

Entries are checked (prefix without host bits, maxLength between the prefix length and 32/128,
AS number in range, AS0 allowed) and normalised; bad entries are counted and reported, never
fatal: one broken line in a validator's output must not drop every ROA.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from rpsl import keys
from rpsl.errors import ValueSyntaxError


@dataclass(frozen=True)
class Roa:
    prefix: str        # canonical, e.g. 203.0.113.0/24, 2001:db8::/32
    max_length: int
    asn: int
    trust_anchor: str = ""


@dataclass
class RoaSet:
    roas: list[Roa] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)   # "entry: reason"
    format: str = ""


class RoaFormatError(ValueError):
    """The file is none of the known formats."""


def _asn(value) -> int:
    if isinstance(value, bool):
        raise ValueSyntaxError(f"{value!r} is not an AS number")
    if isinstance(value, int):
        if not 0 <= value <= keys.MAX_ASN:
            raise ValueSyntaxError(f"AS{value} is out of range")
        return value
    text = str(value).strip()
    return keys.as_number(text if text.upper().startswith("AS") else f"AS{text}")


def _roa(prefix, max_length, asn, ta: str) -> Roa:
    version, first, length, canonical = keys.prefix(str(prefix).strip())
    maximum = 32 if version == 4 else 128
    if max_length in (None, ""):
        max_length = length
    try:
        ml = int(max_length)
    except (TypeError, ValueError):
        raise ValueSyntaxError(f"maxLength {max_length!r} is not a number") from None
    if not length <= ml <= maximum:
        raise ValueSyntaxError(f"maxLength {ml} is outside {length}-{maximum} for {canonical}")
    return Roa(canonical, ml, _asn(asn), str(ta or "").strip())


def _trust_anchor(entry: dict) -> str:
    if entry.get("ta"):
        return str(entry["ta"])
    sources = entry.get("source")  # Routinator jsonext
    if isinstance(sources, list) and sources and isinstance(sources[0], dict):
        return str(sources[0].get("tal") or sources[0].get("ta") or "")
    return str(entry.get("trust_anchor") or entry.get("tal") or "")


def parse(data: bytes | str) -> RoaSet:
    """Any supported format; JSON is recognised by its first character, everything else is CSV."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _parse_json(stripped)
    return _parse_csv(stripped)


def _parse_json(text: str) -> RoaSet:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise RoaFormatError(f"not valid JSON: {e}") from None
    entries = doc.get("roas") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise RoaFormatError('no "roas" list: expected rpki-client json, Routinator jsonext or a RIPE validator export')
    meta = doc.get("metadata") or {}
    fmt = "rpki-client json"
    if any(isinstance(e, dict) and isinstance(e.get("source"), list) for e in entries[:10]):
        fmt = "routinator jsonext"
    elif not meta and any(isinstance(e, dict) and isinstance(e.get("asn"), str) for e in entries[:10]):
        fmt = "ripe validator export"
    out = RoaSet(format=fmt)
    for entry in entries:
        try:
            if not isinstance(entry, dict):
                raise ValueSyntaxError("not an object")
            out.roas.append(_roa(entry.get("prefix"), entry.get("maxLength", entry.get("max_length")),
                                 entry.get("asn"), _trust_anchor(entry)))
        except ValueSyntaxError as e:
            out.rejected.append(f"{json.dumps(entry)[:120]}: {e.message}")
    return out


def _parse_csv(text: str) -> RoaSet:
    out = RoaSet(format="csv")
    rows = csv.reader(io.StringIO(text))
    for n, row in enumerate(rows, 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if n == 1 and not any(c.isdigit() for c in row[1] if len(row) > 1):
            continue  # the header line
        if len(row) < 3:
            out.rejected.append(f"line {n}: expected ASN,prefix,max length[,trust anchor]")
            continue
        try:
            out.roas.append(_roa(row[1], row[2], row[0], row[3] if len(row) > 3 else ""))
        except ValueSyntaxError as e:
            out.rejected.append(f"line {n}: {e.message}")
    if not out.roas and out.rejected and len(out.rejected) == sum(1 for _ in csv.reader(io.StringIO(text))):
        raise RoaFormatError("no line could be read as ASN,prefix,max length: not a ROA file")
    return out
