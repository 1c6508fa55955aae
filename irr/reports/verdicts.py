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


# The fix of each verdict (and variant) as a template, so the web can translate it; `fix_text` fills it.
FIXES: dict[str, str] = {
    "rpki_invalid": "Correct the ROA so that %(origin)s may originate %(prefix)s (max length at least %(length)s), "
                    "or stop announcing %(prefix)s from %(origin)s.",
    "unallocated": "No allocation in %(home)s covers %(prefix)s: register the allocation or assignment, or stop "
                   "announcing it.",
    "origin_mismatch": "Fix the origin: the route objects for %(prefix)s name %(others)s but BGP shows %(origin)s; "
                       "register %(prefix)s with origin %(origin)s in %(home)s.",
    "no_route_object": "Create a route object for %(prefix)s with origin %(origin)s in %(home)s.",
    "route_elsewhere": "Create the route object for %(prefix)s %(origin)s in %(home)s: it is only in %(where)s.",
    "no_roa": "Create a ROA for %(prefix)s with origin %(origin)s and max length %(length)s.",
    "ok": "Nothing to fix.",
    "irr_rpki_invalid": "Delete the route object for %(prefix)s %(origin)s from %(where)s, or correct the ROA: "
                        "RPKI makes it invalid and filters drop it.",
    "not_held": "Delete the route object for %(prefix)s %(origin)s from %(where)s: no allocation covers %(prefix)s.",
    "not_held_other": "Delete the route object for %(prefix)s %(origin)s from %(where)s: %(prefix)s is held by "
                      "%(holders)s, not by %(maintainers)s.",
    "stale_origin": "Delete the route object for %(prefix)s %(origin)s from %(where)s: %(prefix)s is announced only "
                    "from %(others)s.",
    "stale_route": "Delete the route object for %(prefix)s %(origin)s from %(where)s: not announced and unchanged "
                   "since %(since)s.",
    "not_announced": "Nothing to do if %(prefix)s is kept for later use; delete the route object when %(origin)s "
                     "will not announce it again.",
    "roa_only": "Create a route object for %(prefix)s with origin %(origin)s to match the ROA, or delete the ROA if "
                "%(prefix)s will not be announced.",
    "unused": "Nothing is announced or registered in %(prefix)s: no action needed while it is unused.",
    "as_set_problem": "Fix %(prefix)s: remove the loops (%(loops)s) and the members that exist nowhere "
                      "(%(missing)s).",
}


def fix_text(key: str, params: dict, translate=lambda text: text) -> str:
    """The fix sentence of a verdict variant (`translate`: the web's gettext)."""
    return translate(FIXES[key]) % params


def _as(asns) -> str:
    return ", ".join(f"AS{a}" for a in sorted(asns))


def _sources(objs) -> str:
    return ", ".join(sorted({o.source for o in objs}))


def judge(f: Facts, rules: Rules) -> tuple[str, str, dict]:
    """(verdict code, fix template key, its parameters) of one line."""
    a = f.origin
    params = {"prefix": f.prefix, "origin": f"AS{a}", "length": f.length,
              "home": "/".join(rules.expected) or "the registry"}
    objs = [r for r in f.routes if r.origin == a]
    at_home = [r for r in objs if r.source in rules.expected]
    held = f.holding is not None
    if a in f.bgp:
        if f.rpki == "invalid":
            return "rpki_invalid", "rpki_invalid", params
        if not held and (f.in_scope or at_home):
            return "unallocated", "unallocated", params
        if not objs:
            others = {r.origin for r in f.routes}
            if others:
                return "origin_mismatch", "origin_mismatch", params | {"others": _as(others)}
            return "no_route_object", "no_route_object", params
        if held and not at_home:
            return "route_elsewhere", "route_elsewhere", params | {"where": _sources(objs)}
        if f.rpki == "not_found":
            return "no_roa", "no_roa", params
        return "ok", "ok", params
    if objs:
        params["where"] = _sources(objs)
        if f.rpki == "invalid":
            return "irr_rpki_invalid", "irr_rpki_invalid", params
        if at_home and not held:
            return "not_held", "not_held", params
        mnt = {m for r in at_home for m in r.mnt_by}
        if at_home and f.holders and mnt and not mnt & f.holders:
            return "not_held", "not_held_other", params | {"holders": ", ".join(sorted(f.holders)),
                                                           "maintainers": ", ".join(sorted(mnt))}
        if f.bgp:
            return "stale_origin", "stale_origin", params | {"others": _as(f.bgp)}
        changed = [r.last_modified for r in objs if r.last_modified is not None]
        if rules.stale_before and changed and max(changed) < rules.stale_before:
            return "stale_route", "stale_route", params | {"since": f"{max(changed):%Y-%m-%d}"}
        return "not_announced", "not_announced", params
    if a is not None and a in f.roa_asns:
        return "roa_only", "roa_only", params
    return "unused", "unused", params
