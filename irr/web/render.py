"""Objects as the web pages show them: RPSL text (hashes masked) whose references are links to the
referenced objects, and line diffs between two texts."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import url_for

from rpsl.output import mask_hashes
from rpsl.schema import SCHEMA, Attr

# Name-like tokens of a value: AS numbers, set names (hierarchical too), maintainers, handles.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.-]*[A-Za-z0-9]|[A-Za-z0-9]")
_ATTRIBUTE_LINE = re.compile(r"^([A-Za-z0-9_-]+:)([ \t]*)(.*)$")
# Routing policy values name AS numbers and sets too (RFC 2622); the schema declares no `refers`
# for them, so the web links whatever of these classes a token names.
POLICY_SYNTAXES = frozenset({
    "import", "export", "mp_import", "mp_export", "import_via", "export_via", "default", "mp_default",
    "filter", "mp_filter", "peering", "mp_peering", "inject", "components", "aggr_bndry",
    "aggr_mtd"})
POLICY_CLASSES = ("aut-num", "as-set", "route-set", "filter-set", "peering-set", "rtr-set", "inet-rtr")


@dataclass(frozen=True)
class Segment:
    text: str
    url: str | None = None
    kind: str = ""          # "attr" for an attribute name, "comment", "" for values


@dataclass
class Card:
    """One object ready for a template."""

    source: str
    object_class: str
    pk: str
    lines: list[list[Segment]]

    @property
    def url(self) -> str:
        return object_url(self.source, self.object_class, self.pk)


def object_url(source: str, object_class: str, pk: str) -> str:
    return url_for("ui.object_page", source=source, object_class=object_class, pk=pk)


def linked_classes(object_class: str, name: str) -> tuple[str, ...]:
    """Classes a value of this attribute may name (empty: no links)."""
    cls = SCHEMA.get(object_class)
    attr: Attr | None = cls.get(name) if cls else None
    if attr is None:
        return ()
    if attr.refers:
        return attr.refers
    if attr.syntax in POLICY_SYNTAXES:
        return POLICY_CLASSES
    return ()


def _attribute_lines(text: str) -> Iterable[tuple[str | None, str, str, str]]:
    """(attribute, name part, blanks, value part) of each line; continuation lines carry their
    attribute with an empty name part."""
    current = None
    for line in text.rstrip("\n").split("\n"):
        m = _ATTRIBUTE_LINE.match(line) if line[:1] not in (" ", "\t", "+") else None
        if m:
            current = m.group(1)[:-1].lower()
            yield current, m.group(1), m.group(2), m.group(3)
        else:
            yield current, "", "", line


def _tokens(value: str) -> list[str]:
    return _TOKEN.findall(value.split("#", 1)[0])


def cards(objects: Sequence, lookups, sources: Sequence[str]) -> list[Card]:
    """Cards of objects (anything with source, object_class, pk, text): hashes masked, every
    reference that names an existing object a link to it (its own source first). One query."""
    texts = [mask_hashes(o.text) for o in objects]
    wanted: dict[str, None] = {}
    for o, text in zip(objects, texts):
        for attribute, _, _, value in _attribute_lines(text):
            if attribute and linked_classes(o.object_class, attribute):
                wanted.update((t.upper(), None) for t in _tokens(value))
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (class, pk) -> [(source, pk)]
    if wanted:
        order = list(dict.fromkeys([*sources, *(o.source for o in objects)]))
        for hit in lookups.by_keys(order, list(wanted)):
            found.setdefault((hit.object_class, hit.pk), []).append((hit.source, hit.pk))
    out = []
    for o, text in zip(objects, texts):
        lines = []
        for attribute, name, blanks, value in _attribute_lines(text):
            segments = [Segment(name, kind="attr"), Segment(blanks)] if name else []
            classes = linked_classes(o.object_class, attribute) if attribute else ()
            body, hash_, comment = value.partition("#")
            pos = 0
            for m in _TOKEN.finditer(body) if classes else ():
                target = _target(found, classes, m.group(0).upper(), o.source)
                if target is None:
                    continue
                segments.append(Segment(body[pos:m.start()]))
                segments.append(Segment(m.group(0), object_url(*target)))
                pos = m.end()
            segments.append(Segment(body[pos:]))
            if hash_:
                segments.append(Segment(hash_ + comment, kind="comment"))
            lines.append([s for s in segments if s.text])
        out.append(Card(o.source, o.object_class, o.pk, lines))
    return out


def _target(found, classes: tuple[str, ...], token: str, source: str) -> tuple[str, str, str] | None:
    best = None
    for cls in classes:
        for hit_source, pk in found.get((cls, token), ()):
            if hit_source == source:
                return hit_source, cls, pk
            best = best or (hit_source, cls, pk)
    return best


@dataclass(frozen=True)
class DiffLine:
    kind: str   # "add", "del", "same", "gap"
    text: str


def diff(old: str | None, new: str | None, context: int = 1000) -> list[DiffLine]:
    """Line diff of two object texts (hashes masked); the whole object by default."""
    a = mask_hashes(old or "").rstrip("\n").split("\n") if old else []
    b = mask_hashes(new or "").rstrip("\n").split("\n") if new else []
    out = []
    for line in difflib.unified_diff(a, b, lineterm="", n=context):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(DiffLine("gap", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("del", line[1:]))
        else:
            out.append(DiffLine("same", line[1:]))
    if context >= 1000:
        out = [d for d in out if d.kind != "gap"]
    return out
