"""Set resolution shared by `!i`, `!a` and RIPE queries, over the in-memory snapshots.

Semantics (spec rpsl.md section 4, IRRd 4.5): a set is looked up in the selected sources in
priority order, first hit wins; its members are its `members`/`mp-members` plus the objects that
claim it with `member-of` and are maintained by one of its `mbrs-by-ref` maintainers (or ANY),
evaluated in the set's own source. as-sets resolve to AS numbers; route-sets to prefixes (with
their range operators), where AS numbers and as-sets stand for every prefix the ASes originate
(IRRd issue #192) and an operator on a member name applies to each prefix it yields (RFC 2622
section 5.3). Cycles are cut; members that do not exist are skipped; depth and size are bounded.

A view may carry a memo (irr.query.memory keeps one per selection of sources): what a resolution
computes once (a set's members split into AS numbers and as-sets, an as-set's expansion, a
route-set's prefixes, per origin its prefixes as text, an as-set's `!a` text in pieces) is kept
there until a change reaches it. Excludes (`!e`) bypass the kept expansions.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import add
from typing import TYPE_CHECKING, Any

from irr.config import WhoisLimits
from rpsl.schema import SET_MEMBER_CLASSES

if TYPE_CHECKING:
    from irr.query.snapshot import Snapshot

_ASN = re.compile(r"AS\d+")
MISSING = object()  # a memo has no (current) entry


class SetLimitError(Exception):
    """A resolution went over the configured depth or size bound."""


@dataclass(frozen=True)
class Limits:
    max_depth: int = 50
    max_size: int = 2_000_000

    @classmethod
    def of(cls, whois: WhoisLimits) -> Limits:
        """The set limits of the configuration's [whois]."""
        return cls(whois.max_set_depth, whois.max_set_size)


def member_order(members: Iterable[str]) -> list[str]:
    """The order `!i<set>,1` lists a set's members in, as IRRd does: sorted as text (AS10 before
    AS2), as-sets and route-sets alike. (The one place that decides it.)"""
    return sorted(members)


@dataclass
class View:
    """The snapshots of the selected sources, in priority order."""

    snapshots: Sequence[Snapshot]
    limits: Limits = Limits()
    memo: Any = None            # irr.query.memory.Memo of this view, or None
    moas: dict = field(default_factory=dict)  # 4/6 -> origins sharing a prefix with another (see chunks)

    def sharing(self, version: int | None) -> frozenset[int]:
        """The origins that share a route (4), route6 (6) or any (None) prefix with another origin."""
        if version is None:
            return self.moas.get(4, frozenset()) | self.moas.get(6, frozenset())
        return self.moas.get(version, frozenset())

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

    def chunk(self, asn: int, version: int | None) -> str:
        """The prefixes of `prefixes(asn, version)` as text with a blank after each ("" for none)."""
        if len(self.snapshots) == 1:
            snap = self.snapshots[0]
            if version is None:
                return snap.t4.get(asn, "") + snap.t6.get(asn, "")
            return (snap.t4 if version == 4 else snap.t6).get(asn, "")
        return _memo(self, ("g", asn, version), lambda: origin_chunk(self.prefixes(asn, version)))

    def prefix_count(self) -> int:
        """How many route and route6 prefixes the selected sources hold (at most)."""
        return sum(s.prefixes for s in self.snapshots)

    def chunks(self, numbers: Sequence[int], version: int | None) -> list[str]:
        """`chunk` of each of `numbers`."""
        if len(self.snapshots) == 1:
            snap = self.snapshots[0]
            if version is None:
                return list(map(add, map(snap.t4.get, numbers, repeat("")), map(snap.t6.get, numbers, repeat(""))))
            return list(map((snap.t4 if version == 4 else snap.t6).get, numbers, repeat("")))
        return [self.chunk(n, version) for n in numbers]


def origin_chunk(prefixes: Sequence[str]) -> str:
    return " ".join(prefixes) + " " if prefixes else ""


def is_asn(token: str) -> bool:
    return _ASN.fullmatch(token) is not None


def _memo(view: View, key: tuple, compute):
    """`compute()`, kept in the view's memo; a SetLimitError is kept too, and raised again."""
    memo = view.memo
    if memo is None:
        return compute()
    value = memo.get(key)
    if value is MISSING:
        try:
            value = compute()
        except SetLimitError as e:
            # kept without its traceback: frames (and the views they hold) are not kept alive,
            # and no reference cycle is left for the collector
            value = SetLimitError(str(e))
        memo.put(key, value)
    if isinstance(value, SetLimitError):
        raise SetLimitError(str(value))
    return value


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


def node(view: View, name: str) -> tuple[dict[str, None], tuple[str, ...]] | None:
    """One set as as-set resolution walks it: the AS numbers it lists (operators dropped, in
    order) and the members that are as-sets in this view, in order; None when it doesn't exist."""
    members = direct_members(view, name)
    if members is None:
        return None
    asns: dict[str, None] = {}
    children: dict[str, None] = {}
    for member in members:
        member, _ = _split_op(member)
        if is_asn(member):
            asns[member] = None
        elif member not in children:
            found = view.find(member)
            if found is not None and found[1].object_class == "as-set":
                children[member] = None
    return asns, tuple(children)


def _node(view: View, name: str) -> tuple[dict[str, None], tuple[str, ...]] | None:
    return _memo(view, ("node", name), lambda: node(view, name))


def _expand(view: View, name: str, excluded: set[str] | frozenset[str]) -> dict[str, None]:
    """AS numbers of a set, in resolution order: depth first from the last member, each set once
    (the first time it is seen), members that are not as-sets skipped."""
    limits = view.limits
    seen = {name}
    asns: dict[str, None] = {}
    stack = [(name, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > limits.max_depth:
            raise SetLimitError(f"{name}: nesting deeper than {limits.max_depth} levels (at {current})")
        node = _node(view, current)
        if node is None:
            continue
        own, children = node
        if own:
            asns.update(own)
            if len(asns) > limits.max_size:
                raise SetLimitError(f"{name}: more than {limits.max_size} members")
        for child in children:
            if child not in seen and child not in excluded:
                seen.add(child)
                stack.append((child, depth + 1))
    return asns


class Expansion:
    """An as-set resolved (kept in a view's memo): its AS numbers in resolution order, and the
    `!i<set>,1` text. `positions` (AS number -> index) is built when first needed; `answer` is
    that text as the query layer sends it, kept by it when first asked (the expansion is never
    changed, so neither is the answer)."""

    __slots__ = ("asns", "numbers", "text", "answer", "_positions")

    def __init__(self, asns: Iterable[str]):
        self.asns = tuple(asns)
        self.numbers = tuple([int(a[2:]) for a in self.asns])
        self.text = " ".join(member_order(self.asns))
        self.answer: bytes | None = None
        self._positions: dict[int, int] | None = None

    @property
    def positions(self) -> dict[int, int]:
        if self._positions is None:
            self._positions = {n: i for i, n in enumerate(self.numbers)}
        return self._positions


def expansion(view: View, name: str) -> Expansion:
    """The kept expansion of an existing set (computed when missing)."""
    return _memo(view, ("exp", name), lambda: Expansion(_expand(view, name, frozenset())))


def resolve_as_set(view: View, name: str, excludes: Iterable[str] = ()) -> list[str] | None:
    """AS numbers of an as-set, recursively (`!i<set>,1`); None when the set does not exist."""
    if view.find(name) is None:
        return None
    excluded = set(excludes)
    if not excluded and view.memo is not None:
        return list(expansion(view, name).asns)
    return list(_expand(view, name, excluded))


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


class Prefixes(tuple):
    """A route-set's prefixes (kept in a view's memo), with its `!i<set>,1` text made once (and
    `answer`, as Expansion's)."""

    _text: str | None = None
    answer: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " ".join(member_order(self))
        return self._text


def route_set(view: View, name: str) -> Prefixes:
    """The kept prefixes of an existing route-set, without excludes (computed when missing)."""
    return _memo(view, ("rs", name), lambda: Prefixes(_walk_route_set(view, name, set(), None)))


def resolve_route_set(view: View, name: str, excludes: Iterable[str] = (),
                      version: int | None = None) -> list[str] | None:
    """Prefixes of a route-set, recursively (`!i<set>,1`); None when the set does not exist."""
    if view.find(name) is None:
        return None
    excluded = set(excludes)
    if not excluded and version is None and view.memo is not None:
        return list(route_set(view, name))
    return _walk_route_set(view, name, excluded, version)


def _walk_route_set(view: View, name: str, excluded: set[str], version: int | None) -> list[str]:
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

    try:
        walk(name, (), frozenset({name}), 0)
    finally:
        walk = None  # noqa: F841 - the closure refers to itself: a cycle only the collector would free
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


def prefix_text(view: View, name: str, version: int | None, excludes: Iterable[str] = ()) -> str | None:
    """`resolve_prefixes` joined by blanks; from the kept pieces when the view has a memo."""
    found = view.find(name)
    if found is None or found[1].object_class != "as-set":
        return None
    if excludes or view.memo is None:
        return " ".join(resolve_prefixes(view, name, version, excludes) or ())
    return "".join(pieces(view, name, version)[0])[:-1]


BLOCK = 64  # pieces per block of an `!a` text encoded once (Pieces.blocks)


class Pieces(tuple):
    """(pieces, total) of `chunks`, with the text of every BLOCK pieces encoded once, when first
    needed: the `!a` answer of a large as-set is then one copy of a few hundred blocks instead of
    joining thousands of pieces on every first ask after a change. A patch (irr.query.derived)
    keeps the blocks it did not touch."""

    def __new__(cls, pieces: tuple[str, ...], total: int, blocks: list | None = None):
        self = super().__new__(cls, (pieces, total))
        self.blocks = blocks if blocks is not None else [None] * -(-len(pieces) // BLOCK)
        return self

    def patched(self, pieces: tuple[str, ...], total: int, changed: Iterable[int]) -> Pieces:
        """New pieces, the blocks holding a `changed` position encoded again (now, if they were
        encoded: the first query after a change then finds them ready)."""
        blocks = list(self.blocks)
        for i in {position // BLOCK for position in changed}:
            if blocks[i] is not None:
                blocks[i] = "".join(pieces[i * BLOCK:(i + 1) * BLOCK]).encode()
        return Pieces(pieces, total, blocks)

    def encoded(self) -> list[bytes]:
        """The text of the pieces, encoded, in blocks (filled in here when missing: equal values
        whichever thread does it first)."""
        blocks, pieces = self.blocks, self[0]
        for i, block in enumerate(blocks):
            if block is None:
                blocks[i] = "".join(pieces[i * BLOCK:(i + 1) * BLOCK]).encode()
        return blocks


def pieces(view: View, name: str, version: int | None) -> Pieces:
    """The kept `!a` text of an existing as-set in pieces (see `chunks`), and how many prefixes."""
    return _memo(view, ("a", name, version), lambda: Pieces(*chunks(view, name, expansion(view, name), version)))


def chunks(view: View, name: str, exp: Expansion, version: int | None) -> tuple[tuple[str, ...], int]:
    """The `!a` text of an as-set in pieces, one per AS number of its expansion (same order): the
    AS's prefixes with a blank after each, those an earlier AS already gave left out; and how
    many prefixes in all."""
    out = view.chunks(exp.numbers, version)
    dedupe(view, exp, version, out, view.sharing(version))
    total = -1  # not counted: the selected sources hold fewer prefixes than the limit
    if view.prefix_count() > view.limits.max_size:
        total = sum(map(str.count, out, repeat(" ")))
        if total > view.limits.max_size:
            raise SetLimitError(f"{name}: more than {view.limits.max_size} prefixes")
    return tuple(out), total


def places(exp: Expansion, origins: Collection[int]) -> list[int]:
    """The positions, in order, of those of `origins` that are in the expansion."""
    if len(origins) < len(exp.numbers):
        positions = exp.positions
        return sorted(positions[n] for n in origins if n in positions)
    return [i for i, n in enumerate(exp.numbers) if n in origins]


def dedupe(view: View, exp: Expansion, version: int | None, out: list[str], shared: frozenset[int]) -> list[int]:
    """Set the pieces of the origins in `shared` (those that share a prefix with another origin:
    only theirs can repeat one) again, in expansion order, leaving out prefixes already given.
    Returns the positions set."""
    if not shared:
        return []
    where = places(exp, shared)
    seen: set[str] = set()
    for i in where:
        prefixes = view.prefixes(exp.numbers[i], version)
        out[i] = origin_chunk([p for p in prefixes if p not in seen])
        seen.update(prefixes)
    return where
