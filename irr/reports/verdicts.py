"""The verdicts of a report line and the one-sentence fix of each.

Modelled on NLNOG IRR Explorer's report (danger / warning / info / success: "No route objects
match DFZ origin", "RPKI origin does not match BGP origin", "Route objects exist, but prefix not
seen in DFZ", "Expected route object in <RIR>, but only found in other IRRs" ...), with what an
NIR's registry knows on top: which allocation holds the prefix and who maintains it, and how long
an object has been left unchanged. A line is one (prefix, origin) pair; it gets exactly one
verdict, the first rule of `judge` that applies, so counts add up and every line has one fix.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DANGER, WARNING, INFO, OK = "danger", "warning", "info", "ok"
SEVERITIES = (DANGER, WARNING, INFO, OK)

# code -> (severity, title); order: most severe first (the order of summaries and charts)
VERDICTS: dict[str, tuple[str, str]] = {
    "rpki_invalid": (DANGER, "Announced, RPKI invalid"),
    "origin_mismatch": (DANGER, "Announced with another origin than the route objects"),
    "no_route_object": (DANGER, "Announced without a route object"),
    "unallocated": (DANGER, "Announced or registered outside any allocation"),
    "irr_rpki_invalid": (DANGER, "Route object RPKI invalid"),
    "route_elsewhere": (WARNING, "Route object only in another registry"),
    "not_held": (WARNING, "Route object in space its maintainer does not hold"),
    "stale_origin": (WARNING, "Route object for an origin no longer announced"),
    "stale_route": (WARNING, "Route object not announced and unchanged for years"),
    "as_set_problem": (WARNING, "As-set with missing members or loops"),
    "no_roa": (INFO, "Announced without a ROA"),
    "not_announced": (INFO, "Route object not announced"),
    "roa_only": (INFO, "ROA without route object, not announced"),
    "unused": (INFO, "Nothing announced or registered in the allocation"),
    "ok": (OK, "Route object, ROA and announcement agree"),
}
CODES = tuple(VERDICTS)


def severity(code: str) -> str:
    return VERDICTS[code][0]


@dataclass(frozen=True)
class RouteObject:
    source: str
    prefix: str
    origin: int
    mnt_by: tuple[str, ...] = ()
    last_modified: dt.datetime | None = None


@dataclass
class Facts:
    """What is known about one (prefix, origin): the input of `judge`."""

    prefix: str
    length: int
    origin: int | None
    bgp: dict[int, int | None] = field(default_factory=dict)   # origins announcing the prefix -> peers
    routes: list[RouteObject] = field(default_factory=list)     # every route object of the prefix
    roa_asns: frozenset[int] = frozenset()                      # ROAs exactly for this prefix
    rpki: str | None = None                                     # RFC 6811 state of (prefix, origin); None: no ROAs
    holding: str | None = None                                  # innermost allocation covering it (pk)
    holders: frozenset[str] = frozenset()                       # maintainers/orgs of the covering allocations
    in_scope: bool | None = None                                # inside the NIR's resources (None: no scope)


@dataclass(frozen=True)
class Rules:
    expected: tuple[str, ...]          # sources whose route objects count as "at home" (the registry's)
    stale_before: dt.datetime | None   # unannounced objects unchanged before this are stale


def _as(asns) -> str:
    return ", ".join(f"AS{a}" for a in sorted(asns))


def _sources(objs) -> str:
    return ", ".join(sorted({o.source for o in objs}))


def judge(f: Facts, rules: Rules) -> tuple[str, str]:
    """(verdict code, the fix in one sentence) of one line."""
    p, a = f.prefix, f.origin
    objs = [r for r in f.routes if r.origin == a]
    at_home = [r for r in objs if r.source in rules.expected]
    home = "/".join(rules.expected) or "the registry"
    held = f.holding is not None
    if a in f.bgp:
        if f.rpki == "invalid":
            return "rpki_invalid", (f"Correct the ROA so that AS{a} may originate {p} (max length at least "
                                    f"{f.length}), or stop announcing {p} from AS{a}.")
        if not held and (f.in_scope or at_home):
            return "unallocated", (f"No allocation in {home} covers {p}: register the allocation or "
                                   f"assignment, or stop announcing it.")
        if not objs:
            others = {r.origin for r in f.routes}
            if others:
                return "origin_mismatch", (f"Fix the origin: the route objects for {p} name {_as(others)} but "
                                           f"BGP shows AS{a}; register {p} with origin AS{a} in {home}.")
            return "no_route_object", f"Create a route object for {p} with origin AS{a} in {home}."
        if held and not at_home:
            return "route_elsewhere", (f"Create the route object for {p} AS{a} in {home}: it is only in "
                                       f"{_sources(objs)}.")
        if f.rpki == "not_found":
            return "no_roa", f"Create a ROA for {p} with origin AS{a} and max length {f.length}."
        return "ok", "Nothing to fix."
    if objs:
        where = _sources(objs)
        if f.rpki == "invalid":
            return "irr_rpki_invalid", (f"Delete the route object for {p} AS{a} from {where}, or correct the "
                                        f"ROA: RPKI makes it invalid and filters drop it.")
        if at_home and not held:
            return "not_held", f"Delete the route object for {p} AS{a} from {where}: no allocation covers {p}."
        mnt = {m for r in at_home for m in r.mnt_by}
        if at_home and f.holders and mnt and not mnt & f.holders:
            return "not_held", (f"Delete the route object for {p} AS{a} from {where}: {p} is held by "
                                f"{', '.join(sorted(f.holders))}, not by {', '.join(sorted(mnt))}.")
        if f.bgp:
            return "stale_origin", (f"Delete the route object for {p} AS{a} from {where}: {p} is announced "
                                    f"only from {_as(f.bgp)}.")
        changed = [r.last_modified for r in objs if r.last_modified is not None]
        if rules.stale_before and changed and max(changed) < rules.stale_before:
            return "stale_route", (f"Delete the route object for {p} AS{a} from {where}: not announced and "
                                   f"unchanged since {max(changed):%Y-%m-%d}.")
        return "not_announced", (f"Nothing to do if {p} is kept for later use; delete the route object when "
                                 f"AS{a} will not announce it again.")
    if a is not None and a in f.roa_asns:
        return "roa_only", (f"Create a route object for {p} with origin AS{a} to match the ROA, or delete the "
                            f"ROA if {p} will not be announced.")
    return "unused", f"Nothing is announced or registered in {p}: no action needed while it is unused."
