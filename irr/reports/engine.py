"""The report's lines, computed in one sweep over address space.

Inputs (irr.store.reports reads them: everything for the registry-wide run, one member's part of
it for a member's page): allocations (inetnum/inet6num of the registry's sources, each with its
holders), route objects of every source, the BGP table, the ROAs, AS number holders and the NIR
scope. Everything is visited in address order (IPv4 before IPv6, then first address, larger
before smaller: the registry-wide run streams it so from PostgreSQL, a member's part is sorted
here), with a stack of the allocations that cover the current prefix, so each prefix's facts
are gathered once, in O(depth) per prefix, and memory holds the stack, not the tables.

A line is a (prefix, origin) pair seen in BGP, in a route object or in a ROA for exactly that
prefix; an allocation with nothing in it or covering it gets one `unused` line. A line belongs
to the holders of every allocation covering it, to the holders of its origin AS and to the
maintainers of its route objects in the registry's sources; lines that belong to nobody (the
rest of the Internet) are not reported unless they fall inside the NIR's scope.
"""
from __future__ import annotations

import bisect
import heapq
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby

from irr.reports.verdicts import SEVERITIES, Facts, RouteObject, Rules, fix_text, judge, severity
from irr.store.rov import RoaIndex
from rpsl import keys

V4_BITS, V6_BITS = 32, 128


@dataclass(slots=True)
class Holding:
    """An allocation or assignment: who holds an address range (org, and mnt-lower else mnt-by)."""

    version: int
    first: int
    last: int
    source: str
    object_class: str
    pk: str
    netname: str
    members: frozenset[str]
    maximal: frozenset[str] = frozenset()   # members for whom no larger allocation of theirs covers it
    used: bool = False

    @property
    def range_text(self) -> str:
        return range_text(self.version, self.first, self.last)


@dataclass(slots=True)
class Line:
    prefix: str
    origin: int | None
    verdict: str
    fix_key: str                             # the fix: a template of verdicts.FIXES and its parameters
    fix_params: dict
    members: frozenset[str]
    holding: str | None = None
    bgp_peers: int | None = None            # peers that saw (prefix, origin); None: from a table without counts
    announced: bool = False
    rpki: str | None = None
    routes: dict[str, str | None] = field(default_factory=dict)   # source -> RPKI state of its route object
    roa: bool = False                        # a ROA for exactly this prefix and origin
    other_origins: tuple[int, ...] = ()      # other origins announcing the prefix
    sort_key: tuple = ()

    @property
    def severity(self) -> str:
        return severity(self.verdict)

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity)

    @property
    def fix(self) -> str:
        return fix_text(self.fix_key, self.fix_params)

    def as_dict(self) -> dict:
        return {"prefix": self.prefix, "origin": self.origin, "verdict": self.verdict, "severity": self.severity,
                "fix": self.fix, "announced": self.announced, "bgp_peers": self.bgp_peers, "rpki": self.rpki,
                "route_objects": self.routes, "roa": self.roa, "other_bgp_origins": list(self.other_origins),
                "allocation": self.holding, "members": sorted(self.members)}


def range_text(version: int, first: int, last: int) -> str:
    """A prefix when the range is one, else `a - b` (IPv4 inetnum ranges)."""
    bits = V4_BITS if version == 4 else V6_BITS
    size = last - first + 1
    length = bits - size.bit_length() + 1
    if size & (size - 1) == 0 and first % size == 0:
        return f"{_addr(version, first)}/{length}"
    return f"{_addr(version, first)} - {_addr(version, last)}"


def _addr(version: int, n: int) -> str:
    return keys.v4_str(n) if version == 4 else str(ipaddress.IPv6Address(n))


class ScopeIndex:
    """Is a range inside one of the NIR's scope ranges? (A running maximum over sorted starts.)"""

    def __init__(self, ranges: Iterable[tuple[int, int, int]]):
        self.firsts: dict[int, list[int]] = {4: [], 6: []}
        self.reach: dict[int, list[int]] = {4: [], 6: []}
        for version, first, last in sorted(ranges):
            reach = max(last, self.reach[version][-1]) if self.reach[version] else last
            self.firsts[version].append(first)
            self.reach[version].append(reach)

    def covers(self, version: int, first: int, last: int) -> bool:
        i = bisect.bisect_right(self.firsts[version], first) - 1
        return i >= 0 and self.reach[version][i] >= last


@dataclass
class Inputs:
    holdings: Iterable[Holding]
    routes: Iterable[RouteObject]
    bgp: Iterable[tuple[str, int, int | None]]        # (prefix, origin, peers), sorted as `sort_key` sorts
    roas: list[tuple[str, int, int]] | None           # (prefix, max length, asn); None: no ROAs loaded
    roa_lines: Iterable[tuple[str, int, int]] | None = None  # ROAs whose own prefix makes lines (default: all)
    asn_members: dict[int, frozenset[str]] = field(default_factory=dict)
    scope: ScopeIndex | None = None
    exclude: frozenset[str] = frozenset()             # the registry's own maintainers and organisations
    keep_all: bool = False                            # lines that belong to nobody too (typed-in lookups)
    presorted: bool = False                           # holdings, routes and roa_lines come in address order


# (version, first address, length) of a prefix, as PostgreSQL prints a cidr: the order of the sweep
sort_key = keys.prefix_key


def _last(version: int, first: int, length: int) -> int:
    bits = V4_BITS if version == 4 else V6_BITS
    return first | ((1 << (bits - length)) - 1)


def compute(inputs: Inputs, rules: Rules) -> Iterator[Line]:
    """Every line: prefixes in address order, an unused allocation's line when it closes."""
    roa_index = RoaIndex(inputs.roas) if inputs.roas is not None else None
    exclude = inputs.exclude

    def event(key: tuple[int, int, int]) -> tuple[int, int, int, int]:
        version, first, length = key
        return version, first, -_last(version, first, length), 1

    def ordered(items, key):
        return (key(i) for i in items) if inputs.presorted else sorted((key(i) for i in items), key=lambda e: e[0])

    roa_lines = inputs.roas if inputs.roa_lines is None else inputs.roa_lines
    events = heapq.merge(
        ((event(sort_key(p)), 0, (o, n), p) for p, o, n in inputs.bgp),
        ordered(inputs.routes, lambda r: (event(sort_key(r.prefix)), 1, r, r.prefix)),
        ordered(roa_lines or (), lambda roa: (event(sort_key(roa[0])), 2, (roa[2], roa[1]), roa[0])),
        ordered(inputs.holdings, lambda h: ((h.version, h.first, -h.last, 0), 3, h)),
        key=lambda e: e[0])
    stack: list[Holding] = []
    announced: list[tuple[int, int, int]] = []   # announced ranges that may cover allocations met later
    # ROAs that nothing announces at their own prefix: [version, first, last, max length, asn, line, used];
    # their roa_only line is given when they close, unless an announcement inside turned out to use them
    roa_stack: list[list] = []

    def close_roas(version: int | None, first: int = 0) -> Iterator[Line]:
        while roa_stack and (version is None or roa_stack[-1][0] != version or roa_stack[-1][2] < first):
            entry = roa_stack.pop()
            if not entry[6]:
                yield entry[5]

    def close(version: int | None, first: int = 0) -> Iterator[Line]:
        """Pop the allocations that end before (version, first); emit their unused lines."""
        while stack and (version is None or stack[-1].version != version or stack[-1].last < first):
            h = stack.pop()
            if not h.used and h.maximal:
                text = h.range_text
                verdict, key, params = judge(Facts(text, 0, None, holding=h.pk, holders=h.members), rules)
                yield Line(text, None, verdict, key, params, h.maximal, holding=h.pk, sort_key=(h.version, h.first, 0))

    def covering(version: int, first: int, last: int) -> list[Holding]:
        return [s for s in stack if s.version == version and s.first <= first and s.last >= last]

    for key, group in groupby(events, key=lambda e: e[0]):
        version, first, neg_last, kind = key
        last = -neg_last
        yield from close(version, first)
        yield from close_roas(version, first)
        while announced and (announced[-1][0] != version or announced[-1][2] < first):
            announced.pop()
        if kind == 0:   # allocations starting here
            for _, _, h in group:
                outer = covering(h.version, h.first, h.last)
                h.maximal = frozenset(h.members - exclude - {m for s in outer for m in s.members})
                h.used = any(v == version and f <= first and end >= last for v, f, end in announced)
                stack.append(h)
            continue
        bgp: dict[int, int | None] = {}
        routes: list[RouteObject] = []
        roa_asns: dict[int, int] = {}
        prefix = ""
        for item in group:
            _, sub, payload, prefix = item   # every item of the group carries the same prefix text
            if sub == 0:
                origin, peers = payload
                old = bgp.get(origin, 0)
                bgp[origin] = None if old is None or peers is None else old + peers
            elif sub == 1:
                routes.append(payload)
            else:
                roa_asns[payload[0]] = max(payload[1], roa_asns.get(payload[0], 0))
        outer = covering(version, first, last)
        for s in outer:
            s.used = True
        if bgp:
            announced.append((version, first, last))
            for entry in roa_stack:
                # announced by the ROA's AS (even beyond its max length: that line says to fix the ROA)
                if entry[0] == version and entry[1] <= first and entry[2] >= last and entry[4] in bgp:
                    entry[6] = True
        holders = frozenset(m for s in outer for m in s.members)
        innermost = outer[-1].pk if outer else None
        length = length_of(version, first, last)
        in_scope = inputs.scope.covers(version, first, last) if inputs.scope is not None else None
        for origin in sorted(set(bgp) | {r.origin for r in routes} | set(roa_asns)):
            members = set(holders) | inputs.asn_members.get(origin, frozenset())
            members.update(m for r in routes if r.origin == origin and r.source in rules.expected
                           for m in r.mnt_by)
            members -= exclude
            if not members and not in_scope and not inputs.keep_all:
                continue
            rpki = roa_index.state(prefix, origin) if roa_index is not None else None
            facts = Facts(prefix, length, origin, bgp, routes, frozenset(roa_asns), rpki, innermost,
                          holders - exclude, in_scope)
            verdict, key, params = judge(facts, rules)
            line = Line(prefix, origin, verdict, key, params, frozenset(members), holding=innermost,
                        bgp_peers=bgp.get(origin), announced=origin in bgp, rpki=rpki,
                        routes={r.source: rpki for r in routes if r.origin == origin}, roa=origin in roa_asns,
                        other_origins=tuple(sorted(o for o in bgp if o != origin)), sort_key=(version, first, length))
            if verdict == "roa_only":
                roa_stack.append([version, first, last, roa_asns[origin], origin, line, False])
            else:
                yield line
    yield from close_roas(None)
    yield from close(None)


def length_of(version: int, first: int, last: int) -> int:
    return (V4_BITS if version == 4 else V6_BITS) - (last - first).bit_length()
