"""The reports: one member's (its allocations, AS numbers, lines, as-sets), the registry-wide run
(counts per verdict and per member, kept per day), and what a user types in (a prefix, an AS
number, an as-set)."""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from irr.reports import inputs as build_inputs
from irr.reports.engine import Holding, Inputs, Line, compute, sort_key
from irr.reports.inputs import MemberScope, Settings, holders, member_inputs, registry_inputs
from irr.reports.verdicts import CODES
from irr.store.reports import ReportStore, TooManyPrefixes
from rpsl import keys
from rpsl.errors import ValueSyntaxError

# name -> (cycles, missing members) of an as-set, from the application's set resolution
AsSetCheck = Callable[[str], tuple[list[list[str]], list[tuple[str, str]]]]


@dataclass
class MemberReport:
    member: str
    holdings: list[Holding]
    asns: list[int]
    lines: list[Line]
    bgp_table: dict | None = None

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(line.verdict for line in self.lines)
        return {code: found[code] for code in CODES if found[code]}

    def as_dict(self) -> dict:
        return {"member": self.member, "bgp_table": self.bgp_table,
                "allocations": [{"range": h.range_text, "source": h.source, "class": h.object_class, "pk": h.pk,
                                 "netname": h.netname} for h in self.holdings],
                "asns": self.asns, "counts": self.counts, "lines": [line.as_dict() for line in self.lines]}


def _table_info(store: ReportStore) -> dict | None:
    row = store.bgp_table()
    if row is None:
        return None
    return {"location": row.location, "format": row.format, "routes": row.routes, "prefixes": row.prefixes,
            "dumped_at": row.dumped_at.isoformat() if row.dumped_at else None,
            "loaded_at": row.loaded_at.isoformat()}


def _read(store: ReportStore, build):
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            store.begin_read(conn)
            return build(conn)


def set_members(lookup_keys, exclude: frozenset[str]) -> frozenset[str]:
    """Who answers for an as-set: its holders (org, mnt-lower) and its mnt-by maintainers."""
    return frozenset(holders(lookup_keys) | {k[7:] for k in lookup_keys or () if k.startswith("mnt-by=")}) - exclude


def as_set_line(source: str, name: str, members: frozenset[str], check: AsSetCheck) -> Line | None:
    """The line of an as-set with loops or members that exist nowhere (None when it is sound)."""
    cycles, missing = check(name)
    if not cycles and not missing:
        return None
    params = {"prefix": name, "loops": "; ".join(" -> ".join(c) for c in cycles[:3]) or "-",
              "missing": ", ".join(f"{m} (in {parent})" for parent, m in missing[:5]) or "-"}
    return Line(name, None, "as_set_problem", "as_set_problem", params, members, holding=source,
                sort_key=(9, 0, 0))


def member_report(store: ReportStore, settings: Settings, member: str, check: AsSetCheck | None = None,
                  today: dt.date | None = None) -> MemberReport:
    """Everything one member (maintainer or organisation) should know and fix."""
    member = member.upper()

    def build(conn):
        scope: MemberScope = member_inputs(store, conn, settings, member)
        lines = [line for line in compute(scope.inputs, settings.rules(today)) if member in line.members]
        if check is not None:
            for source, name, lookup_keys in store.as_sets(conn, settings.sources, member=member):
                members = set_members(lookup_keys, settings.exclude)
                line = as_set_line(source, name, members, check) if member in members else None
                if line is not None:
                    lines.append(line)
        return scope, lines

    scope, lines = _read(store, build)
    lines.sort(key=lambda line: (line.sort_key, line.origin or 0))
    maximal = [h for h in scope.holdings if not any(
        o is not h and o.version == h.version and o.first <= h.first and o.last >= h.last
        and (o.first, -o.last) != (h.first, -h.last) for o in scope.holdings)]
    maximal.sort(key=lambda h: (h.version, h.first, -h.last))
    return MemberReport(member, maximal, scope.asns, lines, _table_info(store))


@dataclass
class RunResult:
    day: dt.date
    registry: Counter = field(default_factory=Counter)                     # verdict -> lines
    members: dict[str, Counter] = field(default_factory=dict)              # member -> verdict -> lines
    seconds: float = 0.0

    def summary(self) -> str:
        total = sum(self.registry.values())
        counts = ", ".join(f"{self.registry[c]:,} {c}" for c in CODES if self.registry[c])
        return f"report of {self.day}: {total:,} lines for {len(self.members):,} members ({counts or 'nothing'})"


def registry_run(store: ReportStore, settings: Settings, out: TextIO | None = None, check: AsSetCheck | None = None,
                 record: bool = True, today: dt.date | None = None) -> RunResult:
    """Every member's lines in one pass: counts per verdict (registry-wide, each line once) and
    per member, recorded as the day's counts; with `out`, every line as a JSON line."""
    t0 = time.monotonic()
    day = today or dt.datetime.now(dt.UTC).date()
    result = RunResult(day)

    def count(line: Line) -> None:
        result.registry[line.verdict] += 1
        for m in line.members:
            counter = result.members.get(m)
            if counter is None:
                counter = result.members[m] = Counter()
            counter[line.verdict] += 1
        if out is not None:
            out.write(json.dumps(line.as_dict(), separators=(",", ":")) + "\n")

    def build(conn):
        inputs: Inputs = registry_inputs(store, conn, settings)
        for line in compute(inputs, settings.rules(day)):
            count(line)
        if check is not None:
            for source, name, lookup_keys in store.as_sets(conn, settings.sources):
                members = set_members(lookup_keys, settings.exclude)
                line = as_set_line(source, name, members, check) if members else None
                if line is not None:
                    count(line)

    _read(store, build)
    if record:
        counts = {("", v): n for v, n in result.registry.items()}
        counts.update({(m, v): n for m, c in result.members.items() for v, n in c.items()})
        store.record_counts(day, counts)
    result.seconds = time.monotonic() - t0
    return result


@dataclass
class Lookup:
    """What is known about a prefix or an AS number a user typed in."""

    query: str
    kind: str                           # prefix | asn | as-set | unknown
    lines: list[Line] = field(default_factory=list)
    allocations: list[Holding] = field(default_factory=list)
    as_set: dict | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return {"query": self.query, "kind": self.kind, "error": self.error, "as_set": self.as_set,
                "allocations": [{"range": h.range_text, "source": h.source, "pk": h.pk, "netname": h.netname,
                                 "holders": sorted(h.members)} for h in self.allocations],
                "lines": [line.as_dict() for line in self.lines]}


def lookup(store: ReportStore, settings: Settings, query: str, check: AsSetCheck | None = None,
           today: dt.date | None = None) -> Lookup:
    """One prefix (its line, less- and more-specifics, allocations), one AS number (every prefix
    it originates or is registered for) or one as-set (loops, missing members)."""
    text = " ".join(query.split())[:100]
    try:
        if "/" in text or ":" in text or text.count(".") == 3:
            p = text if "/" in text else text + ("/32" if ":" not in text else "/128")
            canonical = keys.prefix(p)[3]
            return _around(store, settings, Lookup(canonical, "prefix"), [canonical], [], today)
        if text.upper().startswith("AS") and text[2:].isdigit():
            asn = keys.as_number(text)
            return _around(store, settings, Lookup(f"AS{asn}", "asn"), [], [asn], today)
        if text.upper().startswith("AS") or ":AS-" in text.upper():
            name = keys.name(text)
            if check is None:
                return Lookup(name, "as-set", error="as-sets can't be checked here")
            cycles, missing = check(name)
            return Lookup(name, "as-set", as_set={"cycles": cycles, "missing_members": [
                {"in": p, "member": m} for p, m in missing]})
    except ValueSyntaxError as e:
        return Lookup(text, "unknown", error=e.message)
    return Lookup(text, "unknown", error="type a prefix, an IP address, an AS number or an as-set")


def _around(store: ReportStore, settings: Settings, result: Lookup, inside: list[str], asns: list[int],
            today: dt.date | None) -> Lookup:
    def build(conn):
        prefixes = sorted(store.prefixes_near(conn, inside, asns, settings.sources))
        for p in inside:   # less-specific route objects too (IRR Explorer's prefix page shows them)
            prefixes = sorted(set(prefixes) | {r[1] for r in store.route_objects(conn, covering=p)})
        around = sorted(set(prefixes) | set(inside))
        holdings = [build_inputs.holding(r) for r in store.allocations(conn, settings.sources, covering=around)]
        routes = [build_inputs.route_object(r) for r in store.route_objects(conn, prefixes)] if prefixes else []
        bgp = store.bgp_for(conn, prefixes) if prefixes else []
        roas = store.roas(conn, covering=prefixes)
        wanted = set(prefixes)
        origins = sorted({o for _, o, _ in bgp} | {r.origin for r in routes} | set(asns))
        inputs = Inputs(holdings, routes, bgp, roas, [r for r in roas or () if r[0] in wanted],
                        build_inputs._asn_members(store.aut_nums(conn, settings.sources, asns=origins)),
                        build_inputs._scope(store, conn), settings.exclude, keep_all=True)
        lines = [line for line in compute(inputs, settings.rules(today)) if line.origin is not None]
        if inside:
            q = sort_key(inside[0])
            last = q[1] | ((1 << ((32 if q[0] == 4 else 128) - q[2])) - 1)
            covering = [h for h in holdings if h.version == q[0] and h.first <= q[1] and h.last >= last]
            result.allocations = sorted(covering, key=lambda h: (h.first, -h.last))
        return lines

    try:
        result.lines = _read(store, build)
    except TooManyPrefixes as e:
        result.error = f"{result.query} covers {e}: look up a longer prefix"
    return result
