"""Fast normalisers for the values indexing needs (keys, origins, references).

The Lark grammars in rpsl/grammars are the reference for every syntax; these functions are the
hot-path equivalents used when millions of mirrored objects are loaded, where a Lark parse per
value would cost more than the whole load. tests/rpsl/test_keys.py checks they agree with
rpsl.syntax on generated and real values.
"""
from __future__ import annotations

import ipaddress
import re

from rpsl.errors import ValueSyntaxError

_ASN = re.compile(r"AS(\d{1,10})(?:\.(\d{1,5}))?", re.I)
_V4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_V4_PREFIX = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})")
_INETNUM = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*-\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_AS_RANGE = re.compile(r"(AS[\d.]+)\s*-\s*(AS[\d.]+)", re.I)
_SPLIT = re.compile(r"[,\s]+")
MAX_ASN = 4294967295


def as_number(value: str) -> int:
    """`AS65537`, `as065537` or asdot `AS1.2` -> 65537 / 65538."""
    m = _ASN.fullmatch(value.strip())
    if not m:
        raise ValueSyntaxError(f"{value.strip()!r} is not an AS number (expected AS<number>)")
    if m.group(2) is not None:
        high, low = int(m.group(1)), int(m.group(2))
        if high > 65535 or low > 65535:
            raise ValueSyntaxError(f"{value.strip()} is not a valid asdot AS number (parts must be <= 65535)")
        return high * 65536 + low
    asn = int(m.group(1))
    if asn > MAX_ASN:
        raise ValueSyntaxError(f"{value.strip()} is out of range (AS0-AS{MAX_ASN})")
    return asn


def _v4_int(parts: tuple[str, ...], text: str) -> int:
    a, b, c, d = (int(p) for p in parts)
    if a > 255 or b > 255 or c > 255 or d > 255:
        raise ValueSyntaxError(f"{text} is not a valid IPv4 address")
    return (a << 24) | (b << 16) | (c << 8) | d


def v4_str(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def prefix(value: str, version: int | None = None) -> tuple[int, int, int, str]:
    """A prefix without host bits -> (version, first address as int, length, canonical text)."""
    text = value.strip()
    m = _V4_PREFIX.fullmatch(text)
    if m:
        if version == 6:
            raise ValueSyntaxError(f"{text} is an IPv4 prefix, expected IPv6")
        first = _v4_int(m.groups()[:4], text)
        length = int(m.group(5))
        if length > 32:
            raise ValueSyntaxError(f"{text} is not a valid prefix: length must be 0-32")
        host = (1 << (32 - length)) - 1
        if first & host:
            raise ValueSyntaxError(f"{text} is not a valid prefix: host bits are set "
                                   f"(did you mean {v4_str(first & ~host)}/{length}?)")
        return 4, first, length, f"{v4_str(first)}/{length}"
    if ":" not in text or "/" not in text or version == 4:
        kind = {4: "IPv4 ", 6: "IPv6 "}.get(version or 0, "")
        raise ValueSyntaxError(f"{text} is not a valid {kind}prefix")
    try:
        net = ipaddress.IPv6Network(text, strict=False)
    except ValueError:
        raise ValueSyntaxError(f"{text} is not a valid IPv6 prefix") from None
    if int(net.network_address) != int(ipaddress.IPv6Address(text.split("/")[0])):
        raise ValueSyntaxError(f"{text} is not a valid prefix: host bits are set (did you mean {net}?)")
    return 6, int(net.network_address), net.prefixlen, str(net)


def last_address(version: int, first: int, length: int) -> int:
    bits = 32 if version == 4 else 128
    return first | ((1 << (bits - length)) - 1)


def address(value: str) -> tuple[int, int, str]:
    """An IPv4 or IPv6 address -> (version, int, canonical text)."""
    text = value.strip()
    m = _V4.fullmatch(text)
    if m:
        n = _v4_int(m.groups(), text)
        return 4, n, v4_str(n)
    try:
        a = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueSyntaxError(f"{text} is not a valid IP address") from None
    return 6, int(a), str(a)


def inetnum(value: str) -> tuple[int, int, str]:
    """`a.b.c.d - e.f.g.h`, a single address or a prefix -> (first, last, canonical `first - last`)."""
    text = value.strip()
    m = _INETNUM.fullmatch(text)
    if m:
        a, b, c, d, e, f, g, h = map(int, m.groups())
        if a > 255 or b > 255 or c > 255 or d > 255 or e > 255 or f > 255 or g > 255 or h > 255:
            raise ValueSyntaxError(f"{text} is not a valid IPv4 address range (octets must be 0-255)")
        first = (a << 24) | (b << 16) | (c << 8) | d
        last = (e << 24) | (f << 16) | (g << 8) | h
        if first > last:
            raise ValueSyntaxError(f"{text} is not a valid range: first address is after the last")
        return first, last, f"{a}.{b}.{c}.{d} - {e}.{f}.{g}.{h}"
    if "/" in text:
        _, first, length, _ = prefix(text, 4)
        last = last_address(4, first, length)
    else:
        m = _V4.fullmatch(text)
        if not m:
            raise ValueSyntaxError(f"{text!r} is not an IPv4 address range (expected first - last)")
        first = last = _v4_int(m.groups(), text)
    return first, last, f"{v4_str(first)} - {v4_str(last)}"


def covering_prefix(version: int, first: int, last: int) -> tuple[int, int]:
    """The smallest prefix (first address, length) that covers first..last."""
    bits = 32 if version == 4 else 128
    length = bits - (first ^ last).bit_length()
    mask = ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
    return first & mask, length


def as_range(value: str) -> tuple[int, int, str]:
    """`ASx - ASy` -> (x, y, canonical)."""
    m = _AS_RANGE.fullmatch(value.strip())
    if not m:
        raise ValueSyntaxError(f"{value.strip()!r} is not an AS range (expected ASx - ASy)")
    first, last = as_number(m.group(1)), as_number(m.group(2))
    if first > last:
        raise ValueSyntaxError(f"{value.strip()} is not a valid AS range: first is above last")
    return first, last, f"AS{first} - AS{last}"


def name(value: str) -> str:
    """A case-insensitive name (set, mntner, nic-hdl ...) as indexed: upper case, asdot ASNs in
    hierarchical set names written asplain."""
    text = value.strip().upper()
    if ":" not in text and "." not in text:
        return text
    if ":" in text:
        parts = text.split(":")
        for i, part in enumerate(parts):
            if part[:2] == "AS" and part[2:3].isdigit():
                try:
                    parts[i] = f"AS{as_number(part)}"
                except ValueSyntaxError:
                    pass
        return ":".join(parts)
    if "." in text and text[:2] == "AS" and text[2:3].isdigit():
        try:
            return f"AS{as_number(text)}"
        except ValueSyntaxError:
            pass
    return text


def tokens(value: str) -> list[str]:
    """Items of a comma (or blank) separated list, empty items dropped."""
    if "," not in value and " " not in value and "\t" not in value:
        return [value] if value else []
    return [t for t in _SPLIT.split(value) if t]
