"""Turning the store's rows into the engine's inputs: for the whole registry, or for the part of
it that one member's report needs (the same engine then judges both, so a member's page and the
registry-wide counts agree line for line)."""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from irr.reports.engine import Holding, Inputs, ScopeIndex, sort_key
from irr.reports.verdicts import RouteObject, Rules
from irr.store.reports import ReportStore
from rpsl import keys


@dataclass(frozen=True)
class Settings:
    """[reports] of the configuration."""

    sources: tuple[str, ...]               # whose inetnum/inet6num/aut-num are the registry's records
    exclude: frozenset[str] = frozenset()  # the registry's own maintainers/organisations: not members
    stale_years: int = 3

    @classmethod
    def from_config(cls, config) -> Settings:
        """The configured report sources, else the authoritative sources, else every source in order."""
        reports = config.reports or {}
        sources = tuple(reports.get("sources") or ()) or tuple(
            name for name, s in config.sources.items() if s.authoritative) or tuple(config.source_order)
        return cls(sources, frozenset(reports.get("exclude_members") or ()), int(reports.get("stale_years", 3)))

    def rules(self, today: dt.date | None = None) -> Rules:
        today = today or dt.datetime.now(dt.UTC).date()
        cutoff = dt.datetime(today.year - self.stale_years, today.month, min(today.day, 28), tzinfo=dt.UTC)
        return Rules(self.sources, cutoff if self.stale_years else None)


_SHARED: dict[frozenset[str], frozenset[str]] = {}


def _shared(members: frozenset[str]) -> frozenset[str]:
    """One object per distinct set of holders (a member's thousands of assignments share one)."""
    if len(_SHARED) > 1_000_000:
        _SHARED.clear()
    return _SHARED.setdefault(members, members)


def holders(lookup_keys) -> frozenset[str]:
    """Who holds an allocation or AS number: its org, and its mnt-lower maintainers (the member's,
    below the registry's mnt-by), else its mnt-by maintainers (an assignment's holder)."""
    org, lower, by = [], [], []
    for k in lookup_keys or ():
        if k.startswith("org="):
            org.append(k[4:])
        elif k.startswith("mnt-lower="):
            lower.append(k[10:])
        elif k.startswith("mnt-by="):
            by.append(k[7:])
    return _shared(frozenset(org + (lower or by)))


def _netname(lookup_keys) -> str:
    return next((k[8:] for k in lookup_keys or () if k.startswith("netname=")), "")


def _int(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def holding(row) -> Holding:
    source, object_class, pk, first, last, lookup_keys = row
    version, first_n = _int(first)
    return Holding(version, first_n, _int(last)[1], source, object_class, pk, _netname(lookup_keys),
                   holders(lookup_keys))


def route_object(row) -> RouteObject:
    source, prefix, origin, lookup_keys, last_modified = row
    return RouteObject(source, prefix, origin, tuple(k[7:] for k in lookup_keys or () if k.startswith("mnt-by=")),
                       last_modified)


def _asn_members(rows) -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    for asn, lookup_keys in rows:
        out[asn] = out.get(asn, frozenset()) | holders(lookup_keys)
    return out


def _scope(store: ReportStore, conn: Connection) -> ScopeIndex | None:
    rows = store.scope(conn)
    if not rows:
        return None
    return ScopeIndex((v, f, _int(last)[1]) for (v, f), last in ((_int(a), b) for a, b in rows))


def registry_inputs(store: ReportStore, conn: Connection, settings: Settings) -> Inputs:
    """Everything: the registry-wide run. Allocations, route objects, ROAs and the BGP table are
    streamed in address order (server-side cursors); only the ROA index is held."""
    roas = store.roas(conn)
    return Inputs(
        holdings=map(holding, store.stream_allocations(conn, settings.sources)),
        routes=map(route_object, store.stream_route_objects(conn)),
        bgp=store.bgp_routes(conn),
        roas=roas,
        roa_lines=store.stream_roas(conn) if roas is not None else None,
        asn_members=_asn_members(store.aut_nums(conn, settings.sources)),
        scope=_scope(store, conn),
        exclude=settings.exclude,
        presorted=True,
    )


def _inside(prefix: str, own: list[Holding]) -> bool:
    version, first, length = sort_key(prefix)
    last = first | ((1 << ((32 if version == 4 else 128) - length)) - 1)
    return any(h.version == version and h.first <= first and last <= h.last for h in own)


def covering_prefix(h: Holding) -> str:
    net, length = keys.covering_prefix(h.version, h.first, h.last)
    address = keys.v4_str(net) if h.version == 4 else str(ipaddress.IPv6Address(net))
    return f"{address}/{length}"


@dataclass
class MemberScope:
    holdings: list[Holding]      # the member's own allocations and assignments
    asns: list[int]              # AS numbers it holds
    inputs: Inputs


def member_inputs(store: ReportStore, conn: Connection, settings: Settings, member: str) -> MemberScope:
    """What one member's lines depend on: every prefix announced, registered or in a ROA inside
    its allocations or with its AS numbers as origin (and announced prefixes covering its
    allocations), with all the facts of those prefixes (every origin, route object, covering ROA
    and covering allocation)."""
    member = member.upper()
    own = [h for h in map(holding, store.allocations(conn, settings.sources, member=member)) if member in h.members]
    asns = sorted(a for a, who in _asn_members(store.aut_nums(conn, settings.sources, member=member)).items()
                  if member in who)
    inside = sorted({covering_prefix(h) for h in own})
    prefixes = sorted(store.prefixes_near(conn, inside, asns, settings.sources, member))
    # allocations around the member's: those covering its allocations, those inside them, and
    # those covering the prefixes outside them (far fewer index probes than one per prefix)
    outside = [p for p in prefixes if not _inside(p, own)]
    rows = store.allocations(conn, settings.sources, covering=sorted(set(inside) | set(outside)))
    rows += store.allocations(conn, settings.sources, within=inside) if inside else []
    holdings = {(h.source, h.object_class, h.pk): h for h in map(holding, rows)}
    for h in own:
        holdings.setdefault((h.source, h.object_class, h.pk), h)
    routes = [route_object(r) for r in store.route_objects(conn, prefixes)] if prefixes else []
    bgp = store.bgp_for(conn, prefixes) if prefixes else []
    roas = store.roas(conn, covering=sorted(set(inside) | set(outside)), within=inside)
    wanted = set(prefixes)
    origins = sorted({o for _, o, _ in bgp} | {r.origin for r in routes} | {a for _, _, a in roas or ()} | set(asns))
    return MemberScope(own, asns, Inputs(
        holdings=[Holding(h.version, h.first, h.last, h.source, h.object_class, h.pk, h.netname, h.members)
                  for h in holdings.values()],
        routes=routes, bgp=bgp, roas=roas, roa_lines=[r for r in roas or () if r[0] in wanted],
        asn_members=_asn_members(store.aut_nums(conn, settings.sources, asns=origins)) if origins else {},
        scope=_scope(store, conn), exclude=settings.exclude))
