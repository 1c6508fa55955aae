"""Finding the objects a RIPE-style query names: the default lookup of a free-text key (RIPE/APNIC's,
and IRRd 4.5's for an address), reverse domains of an address range (`-d`), and the helpers both
answer styles share. Rendering lives in irr.query.ripe (IRRd's layout) and irr.query.apnic_style.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from irr.store.lookups import (
    ADDRESS_CLASSES,
    CONTACT_CLASSES,
    ROUTE_CLASSES,
    Lookups,
    Obj,
    Objects,
    address_key,
    canonical_key,
)
from rpsl import keys

# Shapes of free-text keys (the values themselves are checked by rpsl.keys).
_AS_NUMBER = re.compile(r"AS[0-9.]+", re.IGNORECASE)
_AS_RANGE = re.compile(r"(AS[0-9.]+)\s*-\s*(AS[0-9.]+)", re.IGNORECASE)
_ROUTE_KEY = re.compile(r"([0-9A-Fa-f:.]+/[0-9]+)\s*-?\s*(AS[0-9.]+)", re.IGNORECASE)
_ADDRESS = re.compile(r"[0-9A-Fa-f:.]+(?:/[0-9]+)?|[0-9.]+\s*-\s*[0-9.]+")
_V4_ZONE = re.compile(r"((?:(?:[0-9]{1,3}-)?[0-9]{1,3}\.)?(?:[0-9]{1,3}\.){0,3})in-addr\.arpa\.?", re.IGNORECASE)
_V6_ZONE = re.compile(r"((?:[0-9a-f]\.){0,32})ip6\.arpa\.?", re.IGNORECASE)


def allowed(classes: Sequence[str] | None, wanted: Iterable[str]) -> list[str]:
    return [c for c in wanted if classes is None or c in classes]


def is_address(key: str) -> bool:
    """Does a free-text key look like an address, prefix or IPv4 range (not a route key)?"""
    return bool(_ADDRESS.fullmatch(key)) and any(ch in key for ch in ".:") and any(ch.isdigit() for ch in key)


def free_text(key: str, sources: list[str], classes: list[str] | None, lookups: Lookups) -> list[Objects]:
    """A search key without -i/-l/-L/-m/-M/-x, looked up as RIPE/APNIC do: a key names objects, an
    address its most specific inet(6)num and route(6), an AS number its aut-num and as-blocks."""
    if m := _AS_RANGE.fullmatch(key):
        first, last, _ = keys.as_range(f"{m.group(1)} - {m.group(2)}")
        return [lookups.as_block(sources, first, last)] if allowed(classes, ["as-block"]) else []
    if _AS_NUMBER.fullmatch(key):
        asn = keys.as_number(key)
        found = [lookups.by_key(sources, f"AS{asn}", classes)]
        if allowed(classes, ["as-block"]):
            found.append(lookups.as_block(sources, asn))
        return [by_source(found, sources)]
    if m := _ROUTE_KEY.fullmatch(key):
        route_classes = allowed(classes, ROUTE_CLASSES)
        version = keys.prefix(m.group(1))[0]
        cls = "route" if version == 4 else "route6"
        return [lookups.by_key(sources, canonical_key(cls, key), route_classes)] if cls in route_classes else []
    if is_address(key):
        return [lookups.addresses(sources, key, "most-specific", allowed(classes, ADDRESS_CLASSES))]
    found = [lookups.by_key(sources, keys.name(key.rstrip(".") if "." in key else key), classes)]
    if allowed(classes, CONTACT_CLASSES):
        found.append(lookups.contacts_by_name(sources, key))
    if inet := allowed(classes, ("inetnum", "inet6num")):
        found.append(lookups.by_inverse(sources, "netname", key, inet))  # RIPE: network names too
    return found


def irrd_free_text(key: str, sources: list[str], classes: list[str] | None, lookups: Lookups) -> list[Objects]:
    """IRRd 4.5's free-text lookup where it differs from RIPE's: an address or prefix finds every
    less specific object (exact included, all levels) of every class with an address, in IRRd's
    order (address, origin, key; sources not ranked)."""
    if is_address(key) and "-" not in key:
        return [lookups.addresses(sources, key, "less", allowed(classes, ADDRESS_CLASSES), irrd_order=True)]
    return free_text(key, sources, classes, lookups)


def by_source(results: list[Objects], sources: list[str]) -> Objects:
    """Several result lists as one, ordered by source priority (stable within a source)."""
    out = Objects(sorted((o for r in results for o in r), key=lambda o: sources.index(o.source)))
    out.truncated = any(r.truncated for r in results)
    return out


def unique(objs: Iterable[Obj]) -> list[Obj]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for o in objs:
        k = (o.source, o.object_class, o.pk)
        if k not in seen:
            seen.add(k)
            out.append(o)
    return out


# -- reverse domains (-d) ------------------------------------------------------------------------
def zone_range(name: str) -> tuple[int, int, int] | None:
    """(IP version, first, last address) of a reverse zone: `1.193.in-addr.arpa`, the RIPE range
    form `0-63.1.1.193.in-addr.arpa`, nibbles of `ip6.arpa`; None for any other name."""
    if m := _V4_ZONE.fullmatch(name.strip()):
        labels = m.group(1).rstrip(".").split(".") if m.group(1) else []
        low, _, high = labels[0].partition("-") if labels else ("", "", "")
        if high and len(labels) != 4:
            return None
        octets = [int(x) for x in ([low] + labels[1:] if high else labels)][::-1]
        if any(o > 255 for o in octets) or (high and not int(low) <= int(high) <= 255):
            return None
        first = 0
        for o in octets:
            first = first << 8 | o
        first <<= 8 * (4 - len(octets))
        last = first | ((1 << 8 * (4 - len(octets))) - 1)
        if high:
            last = (first & ~0xFF) | int(high)
        return 4, first, last
    if m := _V6_ZONE.fullmatch(name.strip()):
        nibbles = m.group(1).rstrip(".").split(".")[::-1] if m.group(1) else []
        bits = 4 * len(nibbles)
        first = int("".join(nibbles), 16) << (128 - bits) if nibbles else 0
        return 6, first, first | ((1 << (128 - bits)) - 1)
    return None


def zone_key(name: str) -> str | None:
    """The address key (prefix or IPv4 range) of a reverse zone, for `-d` with a domain key."""
    r = zone_range(name)
    if r is None:
        return None
    version, first, last = r

    def text(n: int) -> str:
        return str(ipaddress.IPv4Address(n) if version == 4 else ipaddress.IPv6Address(n))

    if version == 4 and first == 0 and last == 0xFFFFFFFF:
        return "0.0.0.0/0"
    net, length = keys.covering_prefix(version, first, last)
    if net == first and keys.last_address(version, net, length) == last:
        return f"{text(first)}/{length}"
    return f"{text(first)} - {text(last)}"


def _zone_name(version: int, net: int, length: int) -> str:
    if version == 4:
        octets = [(net >> (24 - 8 * i)) & 0xFF for i in range(length // 8)]
        return ".".join([str(o) for o in octets[::-1]] + ["in-addr", "arpa"])
    nibbles = f"{net:032x}"[: length // 4]
    return ".".join(list(nibbles[::-1]) + ["ip6", "arpa"])


def covering_zones(key: str) -> tuple[int, int, int, list[str]]:
    """(version, first, last, names): the reverse zones at octet (IPv4) or nibble (IPv6) boundaries
    that cover an address key, outermost first, and the RIPE range zone `a-b.c.b.a.in-addr.arpa`
    of an IPv4 range inside one /24."""
    k = address_key(key)
    version = 4 if "." in k.first else 6
    first, last = int(ipaddress.ip_address(k.first)), int(ipaddress.ip_address(k.last))
    bits, step = (32, 8) if version == 4 else (128, 4)
    names = []
    for length in range(0, bits + 1, step):
        size = bits - length
        net = first >> size << size
        if last <= net | ((1 << size) - 1):
            names.append(_zone_name(version, net, length))
    if version == 4 and first >> 8 == last >> 8 and not (first & 0xFF == 0 and last & 0xFF == 0xFF) and first != last:
        names.append(f"{first & 0xFF}-{last & 0xFF}." + _zone_name(4, first & ~0xFF, 24))
    return version, first, last, names


def reverse_domains(sources: list[str], key: str, mode: str, lookups: Lookups) -> Objects:
    """domain objects for an address key under a RIPE match operation (`-d`), per source:
    exact, less-one, less (exact included), most-specific (exact or first less specific: the
    default), more and more-one (below the key's range)."""
    version, first, last, names = covering_zones(key)
    if mode in ("more", "more-one"):
        zone = names[-1] if "-" not in names[-1] else names[-2]
        under = lookups.domains_under(sources, zone)
        found = [(o, zone_range(o.pk)) for o in under]
        inside = [(o, r) for o, r in found if r and r[1] >= first and r[2] <= last and (r[1], r[2]) != (first, last)]
        if mode == "more-one":
            inside = [(o, r) for o, r in inside if not any(
                p.source == o.source and p is not o and p_r[1] <= r[1] and p_r[2] >= r[2] and p_r != r
                for p, p_r in inside)]
        inside.sort(key=lambda x: (sources.index(x[0].source), x[1][1], -x[1][2]))
        out = Objects(o for o, _ in inside)
        out.truncated = under.truncated
        return out
    found = lookups.by_keys(sources, [n.upper() for n in names], ("domain",))
    ranged = [(o, zone_range(o.pk)) for o in found]
    covering = [(o, r) for o, r in ranged if r and r[1] <= first and r[2] >= last]
    covering.sort(key=lambda x: (sources.index(x[0].source), x[1][1], -x[1][2]))  # outermost first
    exact = [(o, r) for o, r in covering if (r[1], r[2]) == (first, last)]
    if mode == "exact":
        chosen = exact
    elif mode == "less":
        chosen = covering
    else:
        pool = [x for x in covering if x not in exact] if mode == "less-one" else covering
        chosen = []
        for source in sources:  # the innermost of each source
            mine = [x for x in pool if x[0].source == source]
            if mine:
                chosen.append(mine[-1])
    return Objects(o for o, _ in chosen)
