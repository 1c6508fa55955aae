"""The checks of RPSL values the grammar cannot make (RFC 2622, RFC 4012, RFC 5396): numeric
limits, reserved words, set names, DNS names, and what differs between strict (authoritative) and
non-strict (mirrored) data; each returns a value object or raises ValueSyntaxError."""
from __future__ import annotations

import contextvars
import re
from socket import AF_INET, inet_pton
from typing import NoReturn

from rpsl.errors import ValueSyntaxError
from rpsl.keys import ipv6
from rpsl.schema import SET_PREFIXES
from rpsl.values import (
    _AS_TEXT,
    _DNS_LABEL,
    _GENERIC_NAME,
    _RANGE_LABEL,
    MAX_ASN,
    MAX_SET_COMPONENTS,
    RESERVED_WORDS,
    ASNumber,
    DomainName,
    Email,
    IPAddress,
    Name,
    Prefix,
    PrefixRange,
    RangedName,
    RangeOp,
    SetName,
    _set_class_of,
)

# ------------------------------------------------------------------------------ checks (Python)

_STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar("rpsl_syntax_strict", default=True)


def _fail(message: str) -> NoReturn:
    raise ValueSyntaxError(message)


def _asn(text: str) -> ASNumber:
    """AS number from ASn (leading zeros allowed) or asdot AShigh.low."""
    match = _AS_TEXT.fullmatch(text)
    if not match:
        _fail(f"{text} is not a valid AS number")
    high, low = match.groups()
    if low is None:
        value = int(high)
        if value > MAX_ASN:
            _fail(f"{text} is out of range (0-{MAX_ASN})")
    else:
        if int(high) > 65535 or int(low) > 65535:
            _fail(f"{text} is not a valid AS number: both parts of asdot notation must be 0-65535")
        value = int(high) * 65536 + int(low)
    return ASNumber(value)


def _ipv4(text: str) -> int:
    try:  # the usual text: inet_pton reads it fast (and refuses leading zeros, read below)
        return int.from_bytes(inet_pton(AF_INET, text), "big")
    except OSError:
        pass
    value = 0
    for octet in text.split("."):
        number = int(octet)
        if number > 255:
            _fail(f"{text} is not a valid IPv4 address: {octet} is greater than 255")
        value = value << 8 | number
    return value


def _ipv6(text: str) -> int:
    try:
        return ipv6(text)
    except ValueError as err:
        reason = re.sub(r" in '.*'$", "", str(err))
        _fail(f"{text} is not a valid IPv6 address: {reason}")


def _address(text: str, version: int) -> IPAddress:
    return IPAddress(version, _ipv4(text) if version == 4 else _ipv6(text))


def _prefix(text: str, version: int) -> Prefix:
    address, _, length_text = text.rpartition("/")
    first = _ipv4(address) if version == 4 else _ipv6(address)
    length, max_length = int(length_text), 32 if version == 4 else 128
    if length > max_length:
        _fail(f"{text} is not a valid prefix: the length /{length} is longer than /{max_length}")
    host_bits = (1 << (max_length - length)) - 1
    if first & host_bits:
        suggestion = Prefix(version, first & ~host_bits, length)
        _fail(f"{text} is not a valid prefix: host bits are set (did you mean {suggestion}?)")
    return Prefix(version, first, length)


def _range_op(text: str, length: int | None, max_length: int) -> RangeOp:
    """Range operator checked against the prefix length (None for names: any 0..max)."""
    body = text[1:]
    if body in ("-", "+"):
        return RangeOp(body)
    low = 0 if length is None else length
    n_text, _, m_text = body.partition("-")
    n, m = int(n_text), int(m_text) if m_text else None
    where = f" for /{length}" if length is not None else ""
    if m is not None and m < n:
        _fail(f"invalid range operator {text}: {m} is less than {n}")
    if not low <= n <= max_length or (m is not None and m > max_length):
        _fail(f"invalid range operator {text}{where} (must be {low}-{max_length})")
    return RangeOp("n" if m is None else "n-m", n, m)


def _check_op_max(member: PrefixRange | RangedName, max_length: int) -> PrefixRange | RangedName:
    op = member.op
    if op is not None and op.n is not None and max(op.n, op.m or 0) > max_length:
        _fail(f"invalid range operator {op} (must be 0-{max_length})")
    return member


def _name(text: str, what: str, allowed_prefix: str | None = None) -> Name:
    """An RPSL object name: upper-cased; in strict mode not a reserved word or set prefix."""
    upper = text.upper()
    if _STRICT.get():
        if upper in RESERVED_WORDS:
            _fail(f"{text} is a reserved word and cannot be used as {what}")
        cls = _set_class_of(upper)
        if cls and SET_PREFIXES[cls] != allowed_prefix:
            _fail(f"{text} cannot be used as {what}: names starting with {SET_PREFIXES[cls]} "
                  f"are reserved for {cls} objects")
    return Name(upper)


def _set_name(text: str, classes: tuple[str, ...], what: str) -> SetName:
    """A set name of one of ``classes`` (RFC 2622 section 5, IRRd limits).

    Every component must be an AS number, PeerAS or a name. Strict mode also requires at least
    one component with the class prefix, every named component to carry it, and the whole
    name not to be a reserved word (AS-ANY, RS-ANY).
    """
    strict = _STRICT.get()
    components = text.split(":")
    if len(components) > MAX_SET_COMPONENTS:
        _fail(f"{text} is not a valid {what}: a set name has at most {MAX_SET_COMPONENTS} components")
    prefixes = " or ".join(SET_PREFIXES[c] for c in classes)
    out: list[str] = []
    named: list[tuple[str, str | None]] = []
    for component in components:
        upper = component.upper()
        if _AS_TEXT.fullmatch(upper):
            out.append(str(_asn(upper)))
            continue
        if upper == "PEERAS":
            out.append(upper)
            continue
        if not _GENERIC_NAME.fullmatch(upper):
            _fail(f"{text} is not a valid {what}: {component or 'an empty component'} is neither "
                  f"an AS number nor a name")
        named.append((component, _set_class_of(upper)))
        out.append(upper)
    if strict:
        for component, cls in named:
            if cls not in classes:
                _fail(f"{text} is not a valid {what}: {component} is neither an AS number nor "
                      f"a set name starting with {prefixes}")
        if not named:
            _fail(f"{text} is not a valid {what}: at least one component must be a set name "
                  f"starting with {prefixes}")
        if len({cls for _, cls in named}) > 1:
            _fail(f"{text} is not a valid {what}: all set names in it must be of the same class")
        if text.upper() in RESERVED_WORDS:
            _fail(f"{text} is a reserved word and cannot be used as {what}")
    return SetName(tuple(out))


def _dns_name(text: str, what: str = "DNS name") -> str:
    name = text.lower().removesuffix(".")
    if len(name) > 253:
        _fail(f"{text} is not a valid {what}: longer than 253 characters")
    for label in name.split("."):
        if len(label) > 63 or not _DNS_LABEL.fullmatch(label):
            _fail(f"{text} is not a valid {what}: {label!r} is not a valid label")
    return name


def _reverse_domain(text: str) -> DomainName:
    """A reverse zone; strict mode checks the in-addr.arpa / ip6.arpa labels."""
    name = _dns_name(text, "domain name")
    if not _STRICT.get():
        return DomainName(name)
    labels = name.split(".")
    if name in ("in-addr.arpa", "ip6.arpa", "e164.arpa"):
        return DomainName(name)
    if name.endswith(".in-addr.arpa"):
        octets = labels[:-2]
        if len(octets) > 4:
            _fail(f"{text} is not a valid reverse domain: more than 4 address labels")
        for i, octet in enumerate(octets):
            parts = _RANGE_LABEL.fullmatch(octet)
            if parts and i == 0 and len(octets) == 4:
                low, high = (int(p) for p in parts.groups())
                if not low <= high <= 255:
                    _fail(f"{text} is not a valid reverse domain: the range {octet} must be "
                          f"n-m with 0 <= n <= m <= 255")
            elif not octet.isdigit() or int(octet) > 255 or str(int(octet)) != octet:
                _fail(f"{text} is not a valid reverse domain: {octet} is not a number 0-255"
                      + (" (a range n-m is only allowed in the fourth octet)" if parts else ""))
    elif name.endswith(".ip6.arpa"):
        nibbles = labels[:-2]
        if len(nibbles) > 32 or any(len(n) != 1 or n not in "0123456789abcdef" for n in nibbles):
            _fail(f"{text} is not a valid reverse domain: ip6.arpa labels must be single hex "
                  f"digits (at most 32)")
    elif not name.endswith(".e164.arpa"):
        _fail(f"{text} is not a valid reverse domain: it must end in .in-addr.arpa or .ip6.arpa")
    return DomainName(name)


def _key_cert_name(text: str, allow_auto: bool) -> tuple[str, str]:
    """(scheme, id) of PGPKEY-<8 hex>, X509-<n> or (key-cert creation) AUTO-<n>."""
    scheme, _, ident = text.upper().partition("-")
    if scheme == "PGPKEY":
        shape = r"[0-9A-F]{8}" if _STRICT.get() else r"[0-9A-F]+"
        if not re.fullmatch(shape, ident):
            _fail(f"{text} is not a valid key-cert name: PGPKEY- must be followed by the last "
                  f"8 hex digits of the key fingerprint")
    elif scheme == "X509":
        if not ident.isdigit():
            _fail(f"{text} is not a valid key-cert name: X509- must be followed by a number")
    elif not (allow_auto and re.fullmatch(r"[0-9]+[A-Z]*", ident)):
        _fail(f"{text} is not a valid key-cert name (PGPKEY-<8 hex digits> or X509-<n>)")
    return scheme, ident


def _email(text: str) -> Email:
    local, _, domain = text.rpartition("@")
    return Email(local, domain.lower())
