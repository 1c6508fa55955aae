"""What APNIC's whois adds around the objects a query found: the objects they reference (contacts,
organisation, irt, abuse role), the irt of the nearest covering range (`-c`), and the abuse contact.

Facts from APNIC's and RIPE's whois (APNIC-net/whois, RIPE-NCC/whois; real whois.apnic.net
answers): referenced objects are those named by admin-c, tech-c, zone-c and org (RIPE's
RELATED_TO_ATTRIBUTES) and, at APNIC, mnt-irt and abuse-c, looked up in the object's own source,
one level deep. The abuse contact of an inetnum, inet6num or aut-num is the abuse-mailbox of its
abuse-c role, else of its organisation's abuse-c role (RIPE), else of its irt (mnt-irt: the irt's
abuse-mailbox, or its e-mail), searched from the object up through the address ranges that
contain it (inetnum, inet6num) until one has a contact.

One `Related` serves one answer: it remembers what it looked up, looks up the references of many
objects in one query per source, and stops (LookupTimeout) once the answer has used the time one
statement may take: an answer of `max_objects` ranges can't turn into unbounded work.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable

from irr.store.lookups import Lookups, LookupTimeout, Obj
from rpsl.schema import SCHEMA

# The order APNIC's whois puts classes in (its ObjectTemplate order positions): primary objects of
# one source by class, and referenced objects by class then key.
APNIC_ORDER = ("inetnum", "inet6num", "as-block", "aut-num", "as-set", "route", "route6", "route-set",
               "inet-rtr", "filter-set", "peering-set", "rtr-set", "domain", "mntner", "irt", "key-cert",
               "organisation", "role", "person")
_ATTRIBUTE = re.compile(r"([A-Za-z0-9_*-]+):(.*)")
RELATED_ATTRIBUTES = ("admin-c", "tech-c", "zone-c", "org", "mnt-irt", "abuse-c")
# the classes those attributes name, from the one schema declaration
REFERENCED_CLASSES: tuple[str, ...] = tuple(sorted({
    cls for c in SCHEMA.values() for name in RELATED_ATTRIBUTES if (a := c.get(name)) for cls in a.refers}))
ABUSE_CLASSES = ("inetnum", "inet6num", "aut-num")
HIERARCHY_CLASSES = ("inetnum", "inet6num")


def attributes(text: str) -> list[tuple[str, str]]:
    """(name, raw value with its continuation lines) of each attribute of a stored object."""
    out: list[list[str]] = []
    for line in text.split("\n"):
        if not line or line[0] in "#%":
            continue
        if line[0] in " \t+" and out:
            out[-1][1] += "\n" + line
        elif m := _ATTRIBUTE.match(line):
            out.append([m.group(1).lower(), m.group(2)])
    return [(n, v) for n, v in out]


def first(attrs: list[tuple[str, str]], name: str) -> str:
    """The first value of an attribute, its comments and line breaks removed."""
    for n, v in attrs:
        if n == name:
            return " ".join(" ".join(line.lstrip("+").split("#", 1)[0] for line in v.split("\n")).split())
    return ""


def first_value(obj: Obj, attribute: str) -> str | None:
    """The first value of an attribute as written (case kept, comments removed); None if absent."""
    return first(attributes(obj.text), attribute) or None


class Related:
    def __init__(self, lookups: Lookups, seconds: float | None = None):
        self.lookups = lookups
        budget = lookups.statement_timeout_ms / 1000 if seconds is None else seconds
        self.deadline = time.monotonic() + budget
        self._known: dict[tuple[str, str], list[Obj]] = {}   # (source, KEY) -> referenced objects
        self._parents: dict[tuple[str, str, str], list[Obj]] = {}
        self._abuse: dict[tuple[str, str, str], str | None] = {}
        self.truncated = False

    def _spend(self) -> None:
        if time.monotonic() > self.deadline:
            raise LookupTimeout("the objects around the answer took too long to look up")

    # -- references ------------------------------------------------------------------------------
    def _fetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Look up the keys not looked up yet, one query per source."""
        by_source: dict[str, list[str]] = {}
        for source, key in wanted:
            if (source, key) not in self._known:
                self._known[(source, key)] = []
                by_source.setdefault(source, []).append(key)
        for source, names in by_source.items():
            self._spend()
            found = self.lookups.by_keys([source], names, REFERENCED_CLASSES)
            self.truncated = self.truncated or found.truncated
            for o in found:
                self._known.setdefault((o.source, o.pk), []).append(o)

    @staticmethod
    def _references(obj: Obj, attributes: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        cls = SCHEMA.get(obj.object_class)
        out = []
        for name in attributes:
            attr = cls.get(name) if cls else None
            if attr is not None:
                out.extend((value, attr.refers) for value in obj.values(name))
        return out

    def prefetch(self, objs: Iterable[Obj], attributes: Iterable[str] = RELATED_ATTRIBUTES) -> None:
        attributes = tuple(attributes)
        self._fetch((o.source, value) for o in objs for value, _ in self._references(o, attributes))

    def referenced(self, obj: Obj, attributes: Iterable[str] = RELATED_ATTRIBUTES) -> list[Obj]:
        """The objects `obj` names in `attributes` (its own source; never itself), unordered."""
        refs = self._references(obj, tuple(attributes))
        self._fetch((obj.source, value) for value, _ in refs)
        out: dict[tuple[str, str], Obj] = {}
        for value, classes in refs:
            for o in self._known.get((obj.source, value), []):
                if o.object_class in classes and (o.object_class, o.pk) != (obj.object_class, obj.pk):
                    out.setdefault((o.object_class, o.pk), o)
        return list(out.values())

    # -- the address hierarchy ---------------------------------------------------------------------
    def parents(self, obj: Obj) -> list[Obj]:
        """The ranges of the same class and source containing an inetnum/inet6num, nearest first."""
        k = (obj.source, obj.object_class, obj.pk)
        if k not in self._parents:
            self._spend()
            found = self.lookups.addresses([obj.source], obj.pk, "less", [obj.object_class])
            self.truncated = self.truncated or found.truncated
            chain = [o for o in reversed(found) if o.pk != obj.pk]
            self._parents[k] = chain
            for i, parent in enumerate(chain):  # a parent's own parents are the rest of the chain
                self._parents.setdefault((parent.source, parent.object_class, parent.pk), chain[i + 1:])
        return self._parents[k]

    def hierarchy_irts(self, obj: Obj) -> list[Obj]:
        """`-c`: the irt objects of the object, else of the nearest range containing it that has
        mnt-irt (inetnum, inet6num only)."""
        if obj.object_class not in HIERARCHY_CLASSES:
            return []
        for o in [obj, *self.parents(obj)]:
            if o.values("mnt-irt"):
                return self.referenced(o, ("mnt-irt",))
        return []

    # -- abuse contact -----------------------------------------------------------------------------
    def _own_abuse(self, obj: Obj) -> str | None:
        for role in sorted(self.referenced(obj, ("abuse-c",)), key=lambda o: o.pk):
            if mailbox := first_value(role, "abuse-mailbox"):
                return mailbox
        for org in sorted(self.referenced(obj, ("org",)), key=lambda o: o.pk):
            for role in sorted(self.referenced(org, ("abuse-c",)), key=lambda o: o.pk):
                if mailbox := first_value(role, "abuse-mailbox"):
                    return mailbox
        for irt in sorted(self.referenced(obj, ("mnt-irt",)), key=lambda o: o.pk):
            if mailbox := first_value(irt, "abuse-mailbox") or first_value(irt, "e-mail"):
                return mailbox
        return None

    def abuse_mailbox(self, obj: Obj) -> str | None:
        """The abuse contact of an inetnum, inet6num or aut-num; None when there is none."""
        if obj.object_class not in ABUSE_CLASSES:
            return None
        k = (obj.source, obj.object_class, obj.pk)
        if k not in self._abuse:
            found = self._own_abuse(obj)
            if found is None and obj.object_class in HIERARCHY_CLASSES:
                for parent in self.parents(obj):
                    if (found := self._own_abuse(parent)) is not None:
                        break
            self._abuse[k] = found
        return self._abuse[k]
