"""The NIR's resources: the address space and AS numbers it holds, from an RIR's extended delegation
statistics (`delegated-apnic-extended-latest`: registry|cc|type|start|value|date|status|opaque-id)
filtered by country code (VN) or registry, plus configured prefixes and AS numbers. Pure: fetching
the statistics and storing the entries is `mirror.registry_jobs.load_scope`."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import netaddr

from rpsl import keys


@dataclass(frozen=True)
class ScopeEntry:
    first_address: str | None = None
    last_address: str | None = None
    asn_first: int | None = None
    asn_last: int | None = None
    origin: str = ""
    status: str = ""           # allocated | assigned (delegated statistics); "" when configured


def parse_delegated(text: str, country: str | None = None, registry: str | None = None) -> list[ScopeEntry]:
    """Allocated and assigned resources of a country (or of a whole registry)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("|")
        if len(fields) < 7 or fields[1] == "*" or fields[3] == "*" or fields[0][:1].isdigit():
            continue  # version and summary lines
        rir, cc, kind, start, value, _date, status = fields[:7]
        if country and cc.upper() != country.upper():
            continue
        if registry and rir.lower() != registry.lower():
            continue
        if status not in ("allocated", "assigned"):
            continue
        origin = f"{rir}|{cc}|{kind}|{start}|{value}"
        try:
            if kind == "asn":
                first = int(start)
                out.append(ScopeEntry(asn_first=first, asn_last=first + int(value) - 1, origin=origin, status=status))
            elif kind == "ipv4":
                first = int(ipaddress.IPv4Address(start))
                out.append(ScopeEntry(start, str(ipaddress.IPv4Address(first + int(value) - 1)), origin=origin,
                                      status=status))
            elif kind == "ipv6":
                net = ipaddress.IPv6Network(f"{start}/{value}", strict=False)
                out.append(ScopeEntry(str(net.network_address), str(net.broadcast_address), origin=origin,
                                      status=status))
        except ValueError:
            continue  # a malformed line: the rest of the file still counts
    return out


def configured(prefixes: tuple[str, ...], asns: tuple[str, ...]) -> list[ScopeEntry]:
    """Prefixes (a.b.c.d/n, ipv6/n) and AS numbers or ranges (AS1, AS1-AS9) from the configuration."""
    out = []
    for p in prefixes:
        version, first, length, canonical = keys.prefix(p)
        last = keys.last_address(version, first, length)
        out.append(ScopeEntry(str(ipaddress.ip_address(first)) if version == 4 else str(ipaddress.IPv6Address(first)),
                              str(ipaddress.IPv4Address(last)) if version == 4 else str(ipaddress.IPv6Address(last)),
                              origin=f"config {canonical}"))
    for a in asns:
        if "-" in a:
            first, last, canonical = keys.as_range(a)
        else:
            first = last = keys.as_number(a)
            canonical = f"AS{first}"
        out.append(ScopeEntry(asn_first=first, asn_last=last, origin=f"config {canonical}"))
    return out


def merged(entries: list[ScopeEntry]) -> list[ScopeEntry]:
    """Adjacent and overlapping ranges joined into one (addresses with netaddr's IPSet, AS numbers
    by sorting): the store judges an object against one range, so a route or as-block spanning two
    neighbouring delegations must meet a range holding both."""
    addresses = sorted((e for e in entries if e.first_address), key=lambda e: netaddr.IPAddress(e.first_address))
    space = netaddr.IPSet(netaddr.IPRange(e.first_address, e.last_address) for e in addresses)
    out: list[ScopeEntry] = []
    i = 0
    for block in space.iter_ipranges():
        origins = []
        while i < len(addresses) and netaddr.IPAddress(addresses[i].first_address) in block:
            origins.append(addresses[i].origin)
            i += 1
        out.append(ScopeEntry(str(block[0]), str(block[-1]), origin=_origin(origins)))
    asns = sorted((e for e in entries if e.asn_first is not None), key=lambda e: (e.asn_first, e.asn_last))
    runs: list[list] = []
    for e in asns:
        if runs and e.asn_first <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], e.asn_last)
            runs[-1][2].append(e.origin)
        else:
            runs.append([e.asn_first, e.asn_last, [e.origin]])
    out += [ScopeEntry(asn_first=first, asn_last=last, origin=_origin(origins)) for first, last, origins in runs]
    return out


def _origin(origins: list[str]) -> str:
    return origins[0] if len(origins) == 1 else f"{origins[0]} and {len(origins) - 1} adjacent"
