"""Fast normalisers for the values indexing needs (keys, origins, references).

The Lark grammars in rpsl/grammars are the reference for every syntax; these functions are the
hot-path equivalents used when millions of mirrored objects are loaded, where a Lark parse per
value would cost more than the whole load. tests/rpsl/test_keys.py checks they agree with
rpsl.syntax on generated and real values.
"""
from __future__ import annotations

import ipaddress
import re
import socket

from rpsl.errors import ValueSyntaxError

# ASCII only: \d matches other Unicode digits (which int() accepts), and re.I lets [A-Z] match
# the dotless i, the long s and the Kelvin sign.
_ASN = re.compile(r"[Aa][Ss]([0-9]+)(?:\.([0-9]+))?")
_V4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_V4_PREFIX = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})")
# The shape of grammars/common.lark PREFIX6, so that both accept the same texts.
_V6_PREFIX = re.compile(r"((?=[0-9A-Fa-f:.]*:)(?:[0-9A-Fa-f]{0,4}:){1,7}"
                        r"(?:[0-9A-Fa-f]{0,4}|[0-9]{1,3}(?:\.[0-9]{1,3}){3}))/([0-9]{1,3})")
_INETNUM = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})[ \t]*-[ \t]*"
                      r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_AS_RANGE = re.compile(r"([Aa][Ss][0-9.]+)[ \t]*-[ \t]*([Aa][Ss][0-9.]+)")
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


def ipv6(text: str) -> int:
    """An IPv6 address as an int: inet_pton, with ipaddress (and its error message, as
    ValueError) for what inet_pton refuses; both accept the same texts of hex digits, colons
    and dots (tests/rpsl/test_keys.py)."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except OSError:
        return int(ipaddress.IPv6Address(text))


def v6_str(n: int) -> str:
    """RFC 5952 text of an IPv6 address, as ipaddress writes it (also for IPv4-mapped ones)."""
    text = socket.inet_ntop(socket.AF_INET6, n.to_bytes(16, "big"))
    return str(ipaddress.IPv6Address(n)) if "." in text else text


def prefix_key(text: str) -> tuple[int, int, int]:
    """(version, first address as int, length) of a prefix. Canonical text (as PostgreSQL prints
    a cidr) is read with inet_pton, fast; anything else by `prefix`, which refuses host bits and
    bad lengths."""
    address, _, length = text.partition("/")
    try:
        if ":" in address:
            version, bits, first = 6, 128, int.from_bytes(socket.inet_pton(socket.AF_INET6, address), "big")
        else:
            version, bits, first = 4, 32, int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
        n = int(length) if length.isdigit() and len(length) <= 3 else -1
    except (OSError, ValueError):
        n = -1
    if 0 <= n <= bits and not first & ((1 << (bits - n)) - 1):
        return version, first, n
    return prefix(text)[:3]


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
    m = _V6_PREFIX.fullmatch(text) if version != 4 else None
    if not m:
        kind = {4: "IPv4 ", 6: "IPv6 "}.get(version or 0, "")
        raise ValueSyntaxError(f"{text} is not a valid {kind}prefix")
    try:
        first = ipv6(m.group(1))
    except ValueError:
        raise ValueSyntaxError(f"{text} is not a valid IPv6 prefix") from None
    length = int(m.group(2))
    if length > 128:
        raise ValueSyntaxError(f"{text} is not a valid prefix: length must be 0-128")
    host = (1 << (128 - length)) - 1
    if first & host:
        raise ValueSyntaxError(f"{text} is not a valid prefix: host bits are set "
                               f"(did you mean {ipaddress.IPv6Address(first & ~host)}/{length}?)")
    return 6, first, length, f"{v6_str(first)}/{length}"


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


_OBJECT_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?")  # RFC 2622 object-name
SOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")
_KEY_CERT = re.compile(r"[Pp][Gg][Pp][Kk][Ee][Yy]-[0-9A-Fa-f]+|[Xx]509-[0-9]+|[Aa][Uu][Tt][Oo]-[0-9]+[A-Za-z]*")
_SET_COMPONENT = re.compile(r"[Aa][Ss][0-9]+\.[0-9]+|[A-Za-z][A-Za-z0-9_-]*")
_AS_COMPONENT = re.compile(r"AS[0-9]+(?:\.[0-9]+)?")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_SET_SYNTAXES = frozenset(("as_set_name", "route_set_name", "rtr_set_name", "filter_set_name",
                           "peering_set_name"))
MAX_SET_COMPONENTS = 5


def checked_name(value: str, syntax: str) -> str:
    """A name-like primary key (or source) checked as mirrored data is checked (rpsl.syntax with
    strict=False: shape only, no reserved words or set prefixes, any nic-hdl) -> canonical text.

    syntax: object_name, irt_name, nic_handle, key_cert_name, source, dns_name, domain_name or a
    set-name syntax. Raises ValueSyntaxError like rpsl.syntax.normalise(syntax, value, strict=False).
    """
    text = value.strip()
    if not text:
        raise ValueSyntaxError(f"empty value is not a valid {syntax.replace('_', ' ')}")
    if syntax == "nic_handle":
        return text.upper()
    if syntax == "object_name" or syntax == "irt_name":
        if not _OBJECT_NAME.fullmatch(text):
            raise ValueSyntaxError(f"{text} is not a valid object name (letters, digits, '-' and '_', "
                                   f"starting with a letter and ending with a letter or digit)")
        return text.upper()
    if syntax == "source":
        if not SOURCE_NAME.fullmatch(text):
            raise ValueSyntaxError(f"{text} is not a valid source name (letters, digits and '-', "
                                   f"starting with a letter)")
        return text.upper()
    if syntax in _SET_SYNTAXES:
        return _set_name(text, syntax.removesuffix("_name").replace("_", "-") + " name")
    if syntax == "key_cert_name":
        if not _KEY_CERT.fullmatch(text):
            raise ValueSyntaxError(f"{text} is not a valid key-cert name (PGPKEY-<hex digits>, X509-<n>)")
        return text.upper()
    if syntax == "dns_name" or syntax == "domain_name":
        name = text.lower()
        name = name[:-1] if name[-1:] == "." else name
        if len(name) > 253 or not all(len(label) < 64 and _DNS_LABEL.fullmatch(label)
                                      for label in name.split(".")):
            raise ValueSyntaxError(f"{text} is not a valid DNS name")
        return name
    raise ValueError(f"checked_name does not handle syntax {syntax!r}")


def _set_name(text: str, what: str) -> str:
    components = text.split(":")
    if len(components) > MAX_SET_COMPONENTS:
        raise ValueSyntaxError(f"{text} is not a valid {what}: at most {MAX_SET_COMPONENTS} components")
    out = []
    for component in components:
        if not _SET_COMPONENT.fullmatch(component):
            raise ValueSyntaxError(f"{text} is not a valid {what}: {component!r} is neither an AS "
                                   f"number nor a name")
        upper = component.upper()
        if _AS_COMPONENT.fullmatch(upper):
            out.append(f"AS{as_number(upper)}")
        elif upper == "PEERAS" or _OBJECT_NAME.fullmatch(upper):
            out.append(upper)
        else:
            raise ValueSyntaxError(f"{text} is not a valid {what}: {component!r} is neither an AS "
                                   f"number nor a name")
    return ":".join(out)


def tokens(value: str) -> list[str]:
    """Items of a comma (or blank) separated list, empty items dropped."""
    if "," not in value and " " not in value and "\t" not in value:
        return [value] if value else []
    return [t for t in _SPLIT.split(value) if t]
