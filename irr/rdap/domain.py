"""Reverse DNS `domain` objects as RDAP domains (RFC 9083 section 5.3): name servers, DS records
(secureDNS) and the network the zone belongs to."""
from __future__ import annotations

import ipaddress

from irr.rdap.common import Context, described, port43
from irr.rdap.record import Record
from irr.store.registration import JournalTimes

REVERSE_SUFFIXES = (".in-addr.arpa", ".ip6.arpa")


def zone_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def zone_prefix(name: str) -> str | None:
    """The prefix a reverse zone covers (`48.164.14.in-addr.arpa` -> 14.164.48.0/24), or None for a
    name that is no whole-octet or whole-nibble reverse zone."""
    name = zone_name(name)
    if name.endswith(".in-addr.arpa"):
        labels = name[: -len(".in-addr.arpa")].split(".")
        if not 1 <= len(labels) <= 4 or not all(x.isdigit() and int(x) <= 255 and str(int(x)) == x for x in labels):
            return None
        octets = list(reversed(labels)) + ["0"] * (4 - len(labels))
        return f"{'.'.join(octets)}/{8 * len(labels)}"
    if name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if not 1 <= len(nibbles) <= 32 or not all(len(x) == 1 and x in "0123456789abcdef" for x in nibbles):
            return None
        digits = "".join(reversed(nibbles)).ljust(32, "0")
        address = ipaddress.IPv6Address(int(digits, 16))
        return f"{address}/{4 * len(nibbles)}"
    return None


def nameserver(value: str) -> dict:
    """`ns1.example.vn [glue address ...]` -> a nameserver object."""
    words = value.split()
    out: dict = {"objectClassName": "nameserver", "ldhName": words[0].rstrip(".").lower()}
    glue: dict[str, list[str]] = {}
    for word in words[1:]:
        try:
            a = ipaddress.ip_address(word)
        except ValueError:
            continue
        glue.setdefault(f"v{a.version}", []).append(str(a))
    if glue:
        out["ipAddresses"] = glue
    return out


def secure_dns(rec: Record) -> dict:
    """DS records from `ds-rdata: keytag algorithm digest-type digest`."""
    ds = []
    for value in rec.all("ds-rdata"):
        words = value.split()
        if len(words) >= 4 and all(w.isdigit() for w in words[:3]):
            ds.append({"keyTag": int(words[0]), "algorithm": int(words[1]), "digestType": int(words[2]),
                       "digest": "".join(words[3:]).upper()})
    out: dict = {"delegationSigned": bool(ds)}
    if ds:
        out["dsData"] = ds
    return out


def domain(ctx: Context, rec: Record, times: JournalTimes | None, entities: list[dict],
           network: dict | None) -> dict:
    """One domain object (without the envelope); `network`: the ip network of the zone, if any."""
    name = zone_name(rec.key_value)
    out: dict = {"objectClassName": "domain", "handle": name, "ldhName": name}
    servers = [nameserver(v) for v in rec.all("nserver") if v.split()]
    if servers:
        out["nameservers"] = servers
    out["secureDNS"] = secure_dns(rec)
    described(ctx, out, rec, times, [ctx.link("self", "domain", name)], entities)
    if network is not None:
        out["network"] = network
    return port43(ctx, out)
