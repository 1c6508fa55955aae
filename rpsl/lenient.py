"""The hot path for mirrored data: one paragraph -> stored text and index data, fast.

A bulk load of a million objects can't afford an attribute object per line. This module reads a
paragraph with one regular expression and only looks at the attributes the schema marks as keys,
lookup or inverse keys. Anything unusual (comment lines, errors) falls back to rpsl.objects.parse,
which gives the same result and precise error messages; tests/rpsl/test_lenient.py checks the
two paths agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rpsl import keys
from rpsl.attributes import joined_value
from rpsl.errors import RPSLError, ValueSyntaxError
from rpsl.objects import IndexData, RPSLObject, index_tokens, key_columns, member_tokens, parse
from rpsl.schema import SCHEMA, Attr

# name: value, with its continuation lines (space, tab or '+').
_ATTR = re.compile(r"^([A-Za-z0-9_-]+):([^\n]*(?:\n[ \t+][^\n]*)*)", re.MULTILINE)
_CONT = re.compile(r"\n[ \t+]")
# Paragraphs the fast path leaves to the full parser: comments, CRs, empty lines, upper-case
# attribute names, lines that are neither an attribute nor a continuation, discarded attributes.
_UPPER_NAME = re.compile(r"\n[a-z0-9_-]*[A-Z]")
_ODD_START = frozenset(("", " ", "\t", "+", "#", "%"))
_SET_CLASSES = frozenset(("as-set", "route-set", "rtr-set"))


@dataclass(slots=True)
class Loaded:
    """One mirrored object ready for the store, or the reason it was skipped."""

    object_class: str
    pk: str
    text: str
    index: IndexData | None
    source: str | None
    line: int
    error: RPSLError | None = None
    unknown_class: bool = False


# What the fast path does with each attribute: the key, the source, last-modified, set members,
# a list of names (keys.name of each item), one value upper-cased, or index_tokens(). The choice
# mirrors rpsl.objects.index_tokens exactly, only without its chain of tests per value.
_KEY, _SOURCE, _LAST_MODIFIED, _NAMES, _UPPER, _TOKENS, _MEMBERS = range(7)
_SPECIAL_SYNTAXES = frozenset(("as_number", "auth", "mnt_routes", "nserver", "ifaddr", "route_set_member4",
                               "route_set_member", "rtr_set_member4", "rtr_set_member", "fingerprint"))


def _plan() -> dict[str, dict[str, tuple[int, Attr, str]]]:
    plans = {}
    for name, c in SCHEMA.items():
        plan = {}
        for a in c.attributes:
            if a.key:
                kind = _KEY
            elif a.name == "source":
                kind = _SOURCE
            elif a.name == "last-modified":
                kind = _LAST_MODIFIED
            elif not (a.inverse or a.lookup):
                continue
            elif a.name in ("members", "mp-members") and name in _SET_CLASSES:
                kind = _MEMBERS
            elif a.syntax in _SPECIAL_SYNTAXES:
                kind = _TOKENS
            else:
                kind = _NAMES if a.list else _UPPER
            plan[a.name] = (kind, a, a.name + "=")
        plans[name] = plan
    return plans


_PLANS = _plan()


def _value(raw: str) -> str:
    """Comments removed, continuation lines joined by single spaces (as Attribute.value)."""
    if "\n" in raw:
        return joined_value(_CONT.split(raw))
    if "#" in raw:
        raw = raw[: raw.index("#")]
    return raw.strip()


def load(text: str, line: int = 1) -> Loaded:
    """Index one paragraph of mirrored data (lenient mode)."""
    if "\n#" in text or "\n%" in text or "\r" in text or "\n\n" in text or text[:1] in _ODD_START \
            or _UPPER_NAME.search(text):
        return _slow(text, line)
    found = _ATTR.findall(text)
    schema = SCHEMA.get(found[0][0]) if found and found[0][0].islower() else None
    if schema is None:
        return _slow(text, line)
    cls = schema.name
    plan = _PLANS[cls]
    idx = IndexData("")
    key_values: dict[str, str] = {}
    lookup: list[str] = []
    source = None
    covered = -1  # every line must belong to an attribute, else the full parser reports it
    try:
        for name, raw in found:
            covered += len(name) + len(raw) + 2
            step = plan.get(name)
            if step is None:
                if name == "rpki-ov-state":
                    return _slow(text, line)
                continue
            kind, attr, prefix = step
            value = raw.strip() if "#" not in raw and "\n" not in raw else _value(raw)
            if kind == _NAMES:
                if "," in value or " " in value or "\t" in value or ":" in value or "." in value:
                    lookup.extend(prefix + keys.name(t) for t in keys.tokens(value))
                elif value:
                    lookup.append(prefix + value.upper())
            elif kind == _UPPER:  # as index_tokens: blanks collapsed
                if value:
                    lookup.append(prefix + " ".join(value.split()).upper())
            elif kind == _KEY:
                if name not in key_values:
                    key_values[name] = value
            elif kind == _SOURCE:
                if source is not None:  # a second source: the full parser reports it
                    return _slow(text, line)
                source = value
            elif kind == _LAST_MODIFIED:
                idx.last_modified = value or None
            elif kind == _MEMBERS:
                members = member_tokens(value)
                idx.members.extend(members)
                lookup.extend(prefix + t.split("^", 1)[0] for t in members)
            else:
                lookup.extend(prefix + t for t in index_tokens(attr, value))
        if covered != len(text) or source is None or not keys.SOURCE_NAME.fullmatch(source):
            return _slow(text, line)
        pk = _keys(cls, key_values, idx)
    except (ValueSyntaxError, KeyError):
        return _slow(text, line)
    idx.pk = pk
    idx.lookup_keys = list(dict.fromkeys(lookup))
    return Loaded(cls, pk, text + "\n", idx, source.upper(), line)


def _keys(cls: str, values: dict[str, str], idx: IndexData) -> str:
    """Address / AS columns (rpsl.objects.key_columns) and the primary key, as _compute_pk makes it."""
    key_columns(cls, values, idx)
    if cls == "route" or cls == "route6":
        return f"{idx.prefix}AS{idx.origin}".upper()
    if cls == "inet6num":
        return idx.prefix.upper()  # type: ignore[union-attr]
    if cls == "inetnum":
        return f"{idx.ip_first} - {idx.ip_last}"
    if cls == "aut-num":
        return f"AS{idx.asn_first}"
    if cls == "as-block":
        return f"AS{idx.asn_first} - AS{idx.asn_last}"
    key, syntax = _NAME_KEYS[cls]
    if cls == "domain":  # any text, as rpsl.objects._compute_pk
        if not values[key]:
            raise ValueSyntaxError("empty key")
        return values[key].upper().rstrip(".")
    return keys.checked_name(values[key], syntax).upper()


# Classes keyed by one name-like attribute: (attribute, syntax).
_NAME_KEYS = {c.name: (c.key[0], c[c.key[0]].syntax) for c in SCHEMA.values() if len(c.key) == 1}


def _slow(text: str, line: int) -> Loaded:
    obj = parse(text, line, strict=False)
    return from_object(obj)


def from_object(obj: RPSLObject) -> Loaded:
    """A parsed object as the store needs it (used for the slow path and single writes)."""
    if obj.schema is None:
        err = obj.errors[0] if obj.errors else RPSLError(None, None, obj.line, "no attributes found")
        return Loaded(obj.object_class, "", "", None, None, obj.line, err,
                      unknown_class=bool(obj.object_class) and not obj.object_class.startswith("*"))
    if obj.errors:
        return Loaded(obj.object_class, obj.pk, "", None, obj.source, obj.line, obj.errors[0])
    return Loaded(obj.object_class, obj.pk, obj.text, obj.index(), obj.source, obj.line)
