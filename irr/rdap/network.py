"""inetnum and inet6num objects as RDAP `ip network` objects (RFC 9083 section 5.4), with the
NRO's `cidr0_cidrs` and the parent/child links of RFC 9910 (rdap-up, rdap-down), as APNIC gives
them."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from irr.rdap.common import Context, described, port43, status
from irr.rdap.record import Record
from irr.store.registration import JournalTimes

NETWORK_CLASSES = ("inetnum", "inet6num")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Span:
    """A network's first and last address."""

    first: IPAddress
    last: IPAddress

    @property
    def version(self) -> int:
        return self.first.version

    def prefixes(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return list(ipaddress.summarize_address_range(self.first, self.last))

    @property
    def key(self) -> str:
        """How the network is named in URLs: its prefix, or `first - last` when it is no prefix."""
        prefixes = self.prefixes()
        return str(prefixes[0]) if len(prefixes) == 1 else f"{self.first} - {self.last}"


def span(rec: Record) -> Span:
    """From the stored key: `first - last` (inetnum) or a prefix (inet6num)."""
    if rec.object_class == "inetnum":
        first, _, last = rec.pk.partition(" - ")
        return Span(ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip()))
    net = ipaddress.ip_network(rec.pk.lower(), strict=False)
    return Span(net.network_address, net.broadcast_address)


def handle(rec: Record) -> str:
    """APNIC's handles: `first - last` for inetnum, the prefix for inet6num."""
    s = span(rec)
    return f"{s.first} - {s.last}" if rec.object_class == "inetnum" else s.key


def cidr0(s: Span) -> list[dict]:
    name = "v4prefix" if s.version == 4 else "v6prefix"
    return [{name: str(p.network_address), "length": p.prefixlen} for p in s.prefixes()]


def network(ctx: Context, rec: Record, times: JournalTimes | None, parent: Record | None,
            entities: list[dict]) -> dict:
    """One ip network object (without the envelope)."""
    s = span(rec)
    out: dict = {"objectClassName": "ip network", "handle": handle(rec), "startAddress": str(s.first),
                 "endAddress": str(s.last), "ipVersion": f"v{s.version}"}
    for member, attribute in (("name", "netname"), ("type", "status"), ("country", "country")):
        value = rec.first(attribute)
        if value:
            out[member] = value
    if parent is not None:
        out["parentHandle"] = handle(parent)
    out["status"] = status(rec.first("status"))
    out["cidr0_cidrs"] = cidr0(s)
    key = s.key.split("/")
    links = [ctx.link("self", "ip", *key), ctx.link("rdap-up", "ips", "rirSearch1", "rdap-up", *key),
             ctx.link("rdap-down", "ips", "rirSearch1", "rdap-down", *key)]
    return port43(ctx, described(ctx, out, rec, times, links, entities))
