"""The RDAP queries: read the store (irr.store.registration), render the answer (dicts ready for
JSON). Sources are searched in the configured order (`source_order`, then the other sources,
authoritative ones first); an object found in several sources is answered from the first, and
for addresses the most specific network of any source wins. The reads of one answer share one
connection and transaction. Errors are raised as RdapError."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence

from irr.config import Config
from irr.rdap import autnum as autnums
from irr.rdap import domain as domains
from irr.rdap import entity as entities
from irr.rdap import network as networks
from irr.rdap import redaction
from irr.rdap import search as searches
from irr.rdap.common import Context, RdapError, envelope, needs_journal
from irr.rdap.record import Record
from irr.store.lookups import Objects, address_key, canonical_key
from irr.store.registration import PK, RegistrationLookups
from rpsl import keys
from rpsl.errors import ValueSyntaxError

MAX_KEY = 255
SOURCES_TTL = 5.0  # seconds the list of known sources is reused
SCANS = 2  # rdap-down and wildcard name searches at once (no index serves them); more: 503
QUERIES = ("ip", "ip_up", "ip_down", "autnum", "entity", "domain", "search", "help")


class RdapService:
    """Answers RDAP queries from the store."""

    def __init__(self, config: Config, store, lookups: RegistrationLookups):
        self.config = config
        self.store = store
        self.lookups = lookups
        self.authoritative = frozenset(s.name for s in config.sources.values() if s.authoritative)
        self._sources: tuple[float, list[str]] = (0.0, [])
        self.scans = threading.BoundedSemaphore(SCANS)

    @contextlib.contextmanager
    def scan(self) -> Iterator[None]:
        """A slot for a query that reads every object of a range or class: at most SCANS at once,
        so such queries can't take every database connection and core."""
        if not self.scans.acquire(blocking=False):
            raise RdapError(503, "The server is busy with other searches; try again in a few seconds.")
        try:
            yield
        finally:
            self.scans.release()

    def sources(self) -> list[str]:
        """The configured source order, then the other known sources (authoritative first)."""
        stamp, cached = self._sources
        if time.monotonic() - stamp < SOURCES_TTL and cached:
            return cached
        known = [s.name for s in self.store.sources()] + list(self.config.sources)
        order = list(dict.fromkeys(self.config.source_order))
        rest = sorted({s for s in known if s not in order}, key=lambda s: (s not in self.authoritative, s))
        self._sources = (time.monotonic(), order + rest)
        return order + rest

    def context(self, base: str, url: str) -> Context:
        return Context(base.rstrip("/"), url, self.config.rdap, self.authoritative)

    def answer(self, ctx: Context, query: str, *args) -> dict:
        """One of QUERIES (`ip`, `search` ...) with its arguments: the answer's JSON as a dict."""
        if query not in QUERIES:
            raise ValueError(f"unknown RDAP query {query!r}")
        sources = self.sources()
        with self.lookups.snapshot() as lookups:
            return getattr(_Request(self, lookups, sources, ctx), query)(*args)


class _Request:
    """The reads and rendering of one answer."""

    def __init__(self, service: RdapService, lookups: RegistrationLookups, sources: list[str], ctx: Context):
        self.service = service
        self.config = service.config
        self.lookups = lookups
        self.sources = sources
        self.ctx = ctx

    # -- lookups --------------------------------------------------------------------------------
    def ip(self, query: str) -> dict:
        levels = self._levels(self._address(query))
        if not levels:
            raise RdapError(404, f"No network containing {query.strip()} is registered here.")
        parent = levels[1] if len(levels) > 1 else None
        return self._single(levels[0], lambda r, ents, times: networks.network(self.ctx, r, times(r), parent, ents))

    def ip_up(self, query: str) -> dict:
        """RFC 9910 rdap-up: the network directly above the one ip/<query> answers with."""
        levels = self._levels(self._address(query))
        if len(levels) < 2:
            raise RdapError(404, f"No network above {query.strip()} is registered here.")
        grand = levels[2] if len(levels) > 2 else None
        return self._single(levels[1], lambda r, ents, times: networks.network(self.ctx, r, times(r), grand, ents))

    def ip_down(self, query: str) -> dict:
        """RFC 9910 rdap-down: the networks directly below <query> (a search result list)."""
        key = self._address(query)
        with self.service.scan():
            found = self.lookups.children(self.sources, key, networks.NETWORK_CLASSES)
        levels = self._levels(key)
        here = levels[0] if levels else None
        return self._results("ipSearchResults", found,
                             lambda r, ents, times: networks.network(self.ctx, r, times(r), here, ents))

    def autnum(self, text: str) -> dict:
        number = text.strip()
        if number[:2].upper() == "AS":
            number = number[2:]
        if not number.isdigit() or len(number) > 10 or int(number) > keys.MAX_ASN:
            raise RdapError(400, f"{text[:40]!r} is not an AS number (autnum/<number>, 0-{keys.MAX_ASN}).")
        asn = int(number)
        found = [Record.of(o) for o in self.lookups.by_key(self.sources, f"AS{asn}", ("aut-num",))]
        if not found:  # the innermost as-block of any source (the first source's among equals)
            blocks = [Record.of(o) for o in self.lookups.as_block(self.sources, asn)]
            found = sorted(blocks, key=lambda b: (lambda r: r[1] - r[0])(autnums.asn_range(b)))[:1]
        if not found:
            raise RdapError(404, f"AS{asn} is not registered here.")
        return self._single(found[0], lambda r, ents, times: autnums.autnum(self.ctx, r, times(r), ents))

    def entity(self, handle: str) -> dict:
        _check_key(handle, "handle")
        found = self.lookups.by_key(self.sources, handle.strip(), entities.ENTITY_CLASSES)
        if not found:
            raise RdapError(404, f"No entity {handle.strip()!r} is registered here.")
        return self._single(Record.of(found[0]), lambda r, ents, times: entities.entity(
            self.ctx, r, "$", times(r)) | ({"entities": ents} if ents else {}))

    def domain(self, name: str) -> dict:
        _check_key(name, "domain name")
        zone = domains.zone_name(name)
        if not all(c.isalnum() or c in "-." for c in zone):
            raise RdapError(400, f"{name[:60]!r} is not a domain name.")
        if not zone.endswith(domains.REVERSE_SUFFIXES):
            raise RdapError(404, "This registry holds reverse DNS zones (in-addr.arpa, ip6.arpa) only.")
        found = self.lookups.by_key(self.sources, canonical_key("domain", zone), ("domain",))
        if not found:
            raise RdapError(404, f"The zone {zone} is not registered here.")
        prefix = domains.zone_prefix(zone)
        levels = self._levels(prefix) if prefix else []
        net = levels[0] if levels else None

        def render(r, ents, times):
            embedded = networks.network(self.ctx, net, times(net), None, []) if net is not None else None
            if embedded is not None:
                embedded.pop("port43", None)
            return domains.domain(self.ctx, r, times(r), ents, embedded)
        return self._single(Record.of(found[0]), render, extra=[net] if net is not None else [])

    # -- searches -------------------------------------------------------------------------------
    def search(self, kind: str, args: dict[str, str]) -> dict:
        name, pat = searches.parameter(kind, args)
        value = pat.value
        if not pat.prefix and kind == "ips" and name == "handle":
            value = canonical_key("inetnum" if "." in value and ":" not in value else "inet6num", value)
        elif not pat.prefix and kind == "autnums" and name == "handle":
            value = canonical_key("aut-num", value)
        elif kind == "domains":
            value = value.rstrip(".")
        found = Objects()
        parts = searches.SEARCHES[kind].parameters[name]
        scan = pat.prefix and any(t != PK for _, terms in parts for t in terms)
        with self.service.scan() if scan else contextlib.nullcontext():
            for classes, terms in parts:
                part = self.lookups.search(self.sources, classes, terms, value, pat.prefix)
                found.extend(part)
                found.truncated = found.truncated or part.truncated
        order = {s: i for i, s in enumerate(self.sources)}
        merged = Objects(sorted(dict.fromkeys(found), key=lambda o: (order.get(o.source, len(order)), o.pk)))
        merged.truncated = found.truncated or len(merged) > self.lookups.max_rows
        del merged[self.lookups.max_rows:]
        member = searches.SEARCHES[kind].member
        ctx = self.ctx
        render = {
            "ips": lambda r, ents, times: networks.network(ctx, r, times(r), None, ents),
            "autnums": lambda r, ents, times: autnums.autnum(ctx, r, times(r), ents),
            "domains": lambda r, ents, times: domains.domain(ctx, r, times(r), ents, None),
        }.get(kind)
        return self._results(member, merged, render)

    def help(self) -> dict:
        rdap = self.config.rdap
        lines = ["RDAP service of this registry: the objects its whois service answers with, as JSON (RFC 9083).",
                 "Lookups: ip/<address or prefix>, autnum/<number>, entity/<handle>, domain/<reverse zone>.",
                 "Searches: ips?handle= or ?name=, autnums?handle= or ?name=, entities?handle= or ?fn=, "
                 "domains?name=; a trailing * matches any rest (e.g. entities?fn=Nguyen*).",
                 "Networks above and below one (RFC 9910): ips/rirSearch1/rdap-up/<prefix>, "
                 "ips/rirSearch1/rdap-down/<prefix>.",
                 f"At most {rdap.max_results} results per search."]
        if rdap.rate_limit:
            lines.append(f"At most {rdap.rate_limit} requests per minute from one address.")
        notice = {"title": "Help", "description": lines, "links": [self.ctx.link("self", "help")]}
        return envelope(self.ctx, {}, [], [notice])

    # -- helpers --------------------------------------------------------------------------------
    def _address(self, query: str) -> str:
        _check_key(query, "address")
        text = query.strip()
        try:
            address_key(text)
        except ValueSyntaxError as e:
            raise RdapError(400, e.message) from None
        return text

    def _levels(self, key: str) -> list[Record]:
        """The networks containing `key`, innermost first, one per level: the first (most specific)
        is what ip/<key> answers with, each next one the network directly above the one before.
        One read: every covering network, ordered here."""
        covering = [Record.of(o) for o in self.lookups.addresses(self.sources, key, "less", networks.NETWORK_CLASSES)]
        spans = {id(r): networks.span(r) for r in covering}

        def size(r: Record) -> int:
            s = spans[id(r)]
            return int(s.last) - int(s.first)
        levels: list[Record] = []
        for rec in sorted(covering, key=size):  # stable: among equal ranges the first source's first
            s = spans[id(rec)]
            if levels:
                below = spans[id(levels[-1])]
                if (s.first, s.last) == (below.first, below.last) or not (s.first <= below.first
                                                                          and below.last <= s.last):
                    continue
            levels.append(rec)
        return levels

    def _related(self, records: Sequence[Record], extra: Sequence[Record] = ()):
        """The entities the records refer to, and journal times of everything shown."""
        handles = entities.handles_of(records)
        found = [Record.of(o) for o in self.lookups.by_keys(self.sources, handles, entities.ENTITY_CLASSES)] \
            if handles else []
        shown = [r.obj for r in (*records, *extra, *found) if needs_journal(r, r.source in self.ctx.authoritative)]
        return found, entities.times_lookup(self.lookups.journal_times(shown) if shown else {})

    def _single(self, rec: Record, render, extra: Sequence[Record] = ()) -> dict:
        found, times = self._related([rec], extra)
        ents = entities.related(self.ctx, rec, "$", found, times)
        return envelope(self.ctx, render(rec, ents, times), [rec.source])

    def _results(self, member: str, objs: Objects, render) -> dict:
        """A search result list; `render` None: entities (their own related entities not shown)."""
        records = [Record.of(o) for o in objs]
        found, times = self._related(records if render is not None else [], records)
        results = []
        for rec in records:
            if render is None:
                path = f"$.{member}[?(@.handle=={redaction.quoted(entities.handle(rec))})]"
                results.append(entities.entity(self.ctx, rec, path, times(rec)))
                continue
            path = f"$.{member}[?(@.handle=={redaction.quoted(_handle(rec))})]"
            results.append(render(rec, entities.related(self.ctx, rec, path, found, times), times))
        extra = [searches.truncated_notice(self.lookups.max_rows)] if objs.truncated else []
        sources = list(dict.fromkeys(r.source for r in records))
        return envelope(self.ctx, {member: results}, sources, extra)


def _check_key(text: str, what: str) -> None:
    if not text.strip() or len(text) > MAX_KEY or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise RdapError(400, f"The {what} must be 1-{MAX_KEY} printable characters.")


def _handle(rec: Record) -> str:
    if rec.object_class in networks.NETWORK_CLASSES:
        return networks.handle(rec)
    if rec.object_class in autnums.AUTNUM_CLASSES:
        return rec.pk if rec.object_class == "aut-num" else "AS{} - AS{}".format(*autnums.asn_range(rec))
    return domains.zone_name(rec.key_value)

