"""Set resolution shared by `!i`, `!a` and RIPE queries, over the in-memory snapshots.

Semantics (spec rpsl.md section 4, IRRd 4.5): a set is looked up in the selected sources in
priority order, first hit wins; its members are its `members`/`mp-members` plus the objects that
claim it with `member-of` and are maintained by one of its `mbrs-by-ref` maintainers (or ANY),
evaluated in the set's own source. as-sets resolve to AS numbers; route-sets to prefixes (with
their range operators), where AS numbers and as-sets stand for every prefix the ASes originate
(IRRd issue #192) and an operator on a member name applies to each prefix it yields (RFC 2622
section 5.3). Cycles are cut; members that do not exist are skipped; depth and size are bounded.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from irr.query.memory import Snapshot
from rpsl.schema import SET_MEMBER_CLASSES

_ASN = re.compile(r"AS\d+")


class SetLimitError(Exception):
    """A resolution went over the configured depth or size bound."""


@dataclass(frozen=True)
class Limits:
    max_depth: int = 50
    max_size: int = 2_000_000


@dataclass
class View:
    """The snapshots of the selected sources, in priority order."""

    snapshots: Sequence[Snapshot]
    limits: Limits = Limits()

    def find(self, name: str):
        for snap in self.snapshots:
            definition = snap.sets.get(name)
            if definition is not None:
                return snap, definition
        return None

    def prefixes(self, asn: int, version: int | None) -> list[str]:
        """Prefixes of route (4), route6 (6) or both (None) objects originated by asn, all sources."""
        out: list[str] = []
        for snap in self.snapshots:
            if version != 6:
                out.extend(snap.v4.get(asn, ()))
            if version != 4:
                out.extend(snap.v6.get(asn, ()))
        return list(dict.fromkeys(out)) if len(self.snapshots) > 1 else out


def is_asn(token: str) -> bool:
    return _ASN.fullmatch(token) is not None


def direct_members(view: View, name: str) -> list[str] | None:
    """Members of one set (not expanded), or None when no selected source holds the set."""
    found = view.find(name)
    if found is None:
        return None
    snap, definition = found
    members = list(definition.members)
    refs = definition.mbrs_by_ref
    if refs:
        classes = SET_MEMBER_CLASSES.get(definition.object_class, ())
        for object_class, value, mnt_by in snap.claims.get(name, ()):
            if object_class in classes and ("ANY" in refs or not refs.isdisjoint(mnt_by)):
                members.append(value)
    return list(dict.fromkeys(members))


def _split_op(member: str) -> tuple[str, str]:
    name, _, op = member.partition("^")
    return name, op


def resolve_as_set(view: View, name: str, excludes: Iterable[str] = ()) -> list[str] | None:
    """AS numbers of an as-set, recursively (`!i<set>,1`); None when the set does not exist."""
    if view.find(name) is None:
        return None
    excluded = set(excludes)
    seen = {name}
    asns: dict[str, None] = {}
    stack = [(name, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > view.limits.max_depth:
            raise SetLimitError(f"{name}: nesting deeper than {view.limits.max_depth} levels "
                                f"(at {current})")
        for member in direct_members(view, current) or ():
            member, _ = _split_op(member)
            if is_asn(member):
                asns[member] = None
                if len(asns) > view.limits.max_size:
                    raise SetLimitError(f"{name}: more than {view.limits.max_size} members")
            elif member not in seen and member not in excluded:
                seen.add(member)
                found = view.find(member)
                if found is not None and found[1].object_class == "as-set":
                    stack.append((member, depth + 1))
    return list(asns)


def _lengths(prefix: str, op: str) -> tuple[int, int]:
    """Allowed prefix lengths of `prefix` with range operator `op` ('' for none)."""
    length = int(prefix.rsplit("/", 1)[1])
    maximum = 128 if ":" in prefix else 32
    if not op:
        return length, length
    if op == "-":
        return length + 1, maximum
    if op == "+":
        return length, maximum
    low, _, high = op.partition("-")
    return int(low), int(high or low)


def apply_op(member: str, outer: str) -> str | None:
    """A prefix (maybe with its own operator) seen through a set member's operator: RFC 2622
    section 5.3, the overlap of both length ranges; None when they don't overlap."""
    if not outer:
        return member
    prefix, own = _split_op(member)
    if not own:
        return f"{prefix}^{outer}"
    lo1, hi1 = _lengths(prefix, own)
    lo2, hi2 = _lengths(prefix, outer)
    lo, hi = max(lo1, lo2), min(hi1, hi2)
    if lo > hi:
        return None
    length = int(prefix.rsplit("/", 1)[1])
    maximum = 128 if ":" in prefix else 32
    if lo == length and hi == length:
        return prefix
    if lo == length and hi == maximum:
        return f"{prefix}^+"
    if lo == length + 1 and hi == maximum:
        return f"{prefix}^-"
    return f"{prefix}^{lo}" if lo == hi else f"{prefix}^{lo}-{hi}"


def resolve_route_set(view: View, name: str, excludes: Iterable[str] = (),
                      version: int | None = None) -> list[str] | None:
    """Prefixes of a route-set, recursively (`!i<set>,1`); None when the set does not exist."""
    if view.find(name) is None:
        return None
    excluded = set(excludes)
    out: dict[str, None] = {}

    def add(prefix: str) -> None:
        if version is None or (":" in prefix) == (version == 6):
            out[prefix] = None
            if len(out) > view.limits.max_size:
                raise SetLimitError(f"{name}: more than {view.limits.max_size} prefixes")

    def through(prefix: str, ops: tuple[str, ...]) -> None:
        """Apply the operators of the enclosing members, innermost first."""
        for op in reversed(ops):
            prefix = apply_op(prefix, op)
            if prefix is None:
                return
        add(prefix)

    visited: set[tuple[str, tuple[str, ...]]] = set()

    def walk(current: str, ops: tuple[str, ...], path: frozenset[str], depth: int) -> None:
        if (current, ops) in visited:  # diamonds: each set once per operator chain
            return
        visited.add((current, ops))
        if depth > view.limits.max_depth:
            raise SetLimitError(f"{name}: nesting deeper than {view.limits.max_depth} levels (at {current})")
        found = view.find(current)
        if found is None:
            return
        if found[1].object_class == "as-set":
            for asn in resolve_as_set(view, current, excluded) or ():
                for prefix in view.prefixes(int(asn[2:]), version):
                    through(prefix, ops)
            return
        for member in direct_members(view, current) or ():
            target, op = _split_op(member)
            if "/" in target:
                through(member, ops)
            elif is_asn(target):
                for prefix in view.prefixes(int(target[2:]), version):
                    through(prefix, (*ops, op) if op else ops)
            elif target not in path and target not in excluded:
                walk(target, (*ops, op) if op else ops, path | {target}, depth + 1)

    walk(name, (), frozenset({name}), 0)
    return list(out)


def resolve_prefixes(view: View, name: str, version: int | None, excludes: Iterable[str] = ()) -> list[str] | None:
    """`!a`: every prefix originated by the ASes of an as-set. Only as-sets, as IRRd: a route-set's
    members carry range operators, which a plain prefix list cannot say (`!i<set>,1` gives them)."""
    found = view.find(name)
    if found is None or found[1].object_class != "as-set":
        return None
    out: dict[str, None] = {}
    for asn in resolve_as_set(view, name, excludes) or ():
        for prefix in view.prefixes(int(asn[2:]), version):
            out[prefix] = None
        if len(out) > view.limits.max_size:
            raise SetLimitError(f"{name}: more than {view.limits.max_size} prefixes")
    return list(out)
