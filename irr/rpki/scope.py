"""The NIR's scope: the address space and AS numbers it holds, from an RIR's extended delegation
statistics (`delegated-apnic-extended-latest`: registry|cc|type|start|value|date|status|opaque-id)
filtered by country code (VN) or registry, plus configured prefixes and AS numbers."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

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


def load_scope(config, store) -> str:
    """Fetch the delegation statistics (if configured), add the configured resources, store them."""
    entries = configured(config.scope_prefixes, config.scope_asns)
    if config.scope_delegated_url:
        from mirror.download import fetch

        text = fetch(config.scope_delegated_url).decode("utf-8", "replace")
        delegated = parse_delegated(text, config.scope_country, config.scope_registry)
        if not delegated:
            raise ValueError(f"{config.scope_delegated_url}: no allocated or assigned resource for "
                             f"{config.scope_country or config.scope_registry}: scope not changed")
        entries += delegated
    changed = store.replace_scope(entries)
    return f"scope: {len(entries)} ranges; {changed} objects changed state"
