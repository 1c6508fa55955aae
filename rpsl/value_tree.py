"""Lark parse trees of grammars/values.lark turned into value objects (one method per rule)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

from lark import Token, Transformer

from rpsl.value_checks import (
    _STRICT,
    _address,
    _asn,
    _check_op_max,
    _dns_name,
    _email,
    _fail,
    _ipv4,
    _key_cert_name,
    _name,
    _prefix,
    _range_op,
    _reverse_domain,
    _set_class_of,
    _set_name,
)
from rpsl.values import (
    _GENERIC_NAME,
    _HASH_SHAPES,
    _NETNAME,
    _PHONE,
    _SOURCE_NAME,
    COUNTRY_CODES,
    INET_STATUSES,
    LANGUAGE_CODES,
    PASSWORD_HASH_DUMMY_VALUE,
    URL,
    AddressRange,
    ASNumber,
    ASRange,
    AuthLine,
    Changed,
    DNSName,
    DomainName,
    DSRdata,
    Email,
    Fingerprint,
    Geoloc,
    IPAddress,
    MntRoutes,
    Name,
    Nserver,
    Prefix,
    PrefixRange,
    RangedName,
    SetName,
    Text,
    Timestamp,
)

# --------------------------------------------------------------------------- tree -> value objects


class _Build(Transformer):
    """Parse tree -> value object: one method per rule or alias."""

    # free text
    def free(self, c: list[Token]) -> Text:
        return Text(str(c[0]) if c else "")

    certif = free

    def person_name(self, c: list[Token]) -> Text:
        return Text(str(c[0]))

    org_name = person_name

    # names
    def object_name(self, c: list[Token]) -> Name:
        return _name(c[0], "an object name")

    def irt_name(self, c: list[Token]) -> Name:
        if _STRICT.get() and not c[0].upper().startswith("IRT-"):
            _fail(f"{c[0]} is not a valid irt name: it must start with IRT-")
        return _name(c[0], "an irt name")

    def as_name(self, c: list[Token]) -> Name:
        return _name(c[0], "an as-name", allowed_prefix="AS-")

    def source(self, c: list[Token]) -> Name:
        if not _SOURCE_NAME.fullmatch(c[0]):
            _fail(f"{c[0]} is not a valid source name (letters, digits and '-', starting with a "
                  f"letter)")
        return Name(c[0].upper())

    def nic_handle(self, c: list[Token]) -> Name:
        if not _STRICT.get():
            return Name(c[0].upper())
        if not _GENERIC_NAME.fullmatch(c[0]):
            _fail(f"{c[0]} is not a valid NIC handle: it must start with a letter, contain only "
                  f"letters, digits, '-' and '_', and end with a letter or digit")
        return _name(c[0], "a NIC handle")

    def netname(self, c: list[Token]) -> Name:
        if _STRICT.get() and not _NETNAME.fullmatch(c[0]):
            _fail(f"{c[0]} is not a valid netname: it must start with a letter and contain only "
                  f"letters, digits, '_' and '-' (at most 80 characters)")
        return Name(c[0].upper())

    def mbrs_by_ref(self, c: list[Token]) -> Name:
        if c[0].upper() == "ANY":
            return Name("ANY")
        return _name(c[0], "a maintainer name")

    def key_cert_name(self, c: list[Token]) -> Name:
        scheme, ident = _key_cert_name(c[0], allow_auto=True)
        return Name(f"{scheme}-{ident}")

    def key_method(self, c: list[Token]) -> Name:
        return Name(c[0].upper())

    org_type = key_method

    def inet_status(self, c: list[Token]) -> Name:
        status = " ".join(c).upper()
        if _STRICT.get() and status not in INET_STATUSES:
            _fail(f"{status} is not a valid status: must be one of {', '.join(sorted(INET_STATUSES))}")
        return Name(status)

    def country(self, c: list[Token]) -> Name:
        code = c[0].upper()
        if _STRICT.get() and code not in COUNTRY_CODES:
            _fail(f"{c[0]} is not a valid country code (ISO 3166 two-letter code, or AP, EU or ZZ)")
        return Name(code)

    def language(self, c: list[Token]) -> Name:
        code = c[0].upper()
        if _STRICT.get() and code not in LANGUAGE_CODES:
            _fail(f"{c[0]} is not a valid language code (ISO 639-1 two-letter code)")
        return Name(code)

    # contact data
    def email(self, c: list[Token]) -> Email:
        return _email(c[0])

    def changed(self, c: list[Token]) -> Changed:
        email = _email(c[0])
        if len(c) < 2:
            return Changed(email)
        text = str(c[1])
        if len(text) == 6:
            if _STRICT.get():
                _fail(f"{text} is not a valid date: use YYYYMMDD")
            year = int(text[:2])
            text = f"{1900 + year if year >= 70 else 2000 + year}{text[2:]}"
        try:
            return Changed(email, dt.date(int(text[:4]), int(text[4:6]), int(text[6:])))
        except ValueError:
            _fail(f"{c[1]} is not a valid date (YYYYMMDD)")

    def phone(self, c: list[Token | None]) -> Text:
        number, ext, ext_number = c
        text = " ".join(str(number).split())
        if _STRICT.get() and not _PHONE.match(text):
            _fail(f"{text} is not a valid phone number: use international format, starting with "
                  f"+ and the country code (e.g. +61 7 3858 3100)")
        return Text(f"{text} ext. {ext_number}" if ext else text)

    def timestamp(self, c: list[Token]) -> Timestamp:
        text = c[0].upper()
        if _STRICT.get() and not text.endswith("Z"):
            _fail(f"{c[0]} is not a valid timestamp: it must be UTC, ending in Z "
                  f"(e.g. 2018-08-30T07:50:19Z)")
        try:
            value = dt.datetime.fromisoformat(text)  # Z is UTC (Python 3.11)
        except ValueError as err:
            _fail(f"{c[0]} is not a valid timestamp: {err}")
        return Timestamp(value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC))

    def url(self, c: list[Token]) -> URL:
        parts = urlsplit(c[0])
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            _fail(f"{c[0]} is not a valid URL: it must start with http:// or https:// and a host name")
        return URL(parts.scheme.lower() + c[0][len(parts.scheme):])

    def geoloc(self, c: list[Token]) -> Geoloc:
        latitude, longitude = Decimal(c[0]), Decimal(c[1])
        if not -90 <= latitude <= 90:
            _fail(f"{c[0]} is not a valid latitude (-90 to 90)")
        if not -180 <= longitude <= 180:
            _fail(f"{c[1]} is not a valid longitude (-180 to 180)")
        return Geoloc(latitude, longitude)

    # AS numbers
    def as_number(self, c: list[Token]) -> ASNumber:
        return _asn(c[0])

    def as_range(self, c: list[Token]) -> ASRange:
        first, last = _asn(c[0]), _asn(c[1])
        if first.value > last.value:
            _fail(f"{c[0]} - {c[1]} is not a valid AS range: {first} is higher than {last}")
        return ASRange(first, last)

    # addresses and prefixes
    def prefix4(self, c: list[Token]) -> Prefix:
        return _prefix(c[0], 4)

    def prefix6(self, c: list[Token]) -> Prefix:
        return _prefix(c[0], 6)

    def address_range(self, c: list[Token]) -> AddressRange:
        first, last = _ipv4(c[0]), _ipv4(c[1])
        if first > last:
            _fail(f"{c[0]} - {c[1]} is not a valid address range: {c[0]} is higher than {c[1]}")
        return AddressRange(4, first, last)

    def single_address(self, c: list[Token]) -> AddressRange:
        address = _ipv4(c[0])
        return AddressRange(4, address, address)

    def prefix_range_as_inetnum(self, c: list[Token]) -> AddressRange:
        prefix = _prefix(c[0], 4)
        return AddressRange(4, prefix.first, prefix.last)

    def address_prefix_range4(self, c: list[Token]) -> PrefixRange:
        prefix = _prefix(c[0], 4)
        return PrefixRange(prefix, _range_op(c[1], prefix.length, 32) if len(c) > 1 else None)

    def address_prefix_range6(self, c: list[Token]) -> PrefixRange:
        prefix = _prefix(c[0], 6)
        return PrefixRange(prefix, _range_op(c[1], prefix.length, 128) if len(c) > 1 else None)

    # sets
    def as_set_name(self, c: list[Token]) -> SetName:
        return _set_name(c[0], ("as-set",), "as-set name")

    def route_set_name(self, c: list[Token]) -> SetName:
        return _set_name(c[0], ("route-set",), "route-set name")

    def rtr_set_name(self, c: list[Token]) -> SetName:
        return _set_name(c[0], ("rtr-set",), "rtr-set name")

    def filter_set_name(self, c: list[Token]) -> SetName:
        return _set_name(c[0], ("filter-set",), "filter-set name")

    def peering_set_name(self, c: list[Token]) -> SetName:
        return _set_name(c[0], ("peering-set",), "peering-set name")

    def as_set_member(self, c: list[Token]) -> ASNumber | SetName:
        if c[0].type == "ASN":
            return _asn(c[0])
        return _set_name(c[0], ("as-set",), "as-set member")

    def member_name_range(self, c: list[Token]) -> RangedName:
        if c[0].type == "ASN":
            name: ASNumber | SetName = _asn(c[0])
        else:
            name = _set_name(c[0], ("route-set", "as-set"), "route-set member")
        return RangedName(name, _range_op(c[1], None, 128) if len(c) > 1 else None)

    def route_set_member4(self, c: list[PrefixRange | RangedName]) -> PrefixRange | RangedName:
        return _check_op_max(c[0], 32)

    def route_set_member(self, c: list[PrefixRange | RangedName]) -> PrefixRange | RangedName:
        return c[0]

    def rtr_set_member4(self, c: list[Token]) -> IPAddress | DNSName | SetName:
        if c[0].type == "IPV4":
            return _address(c[0], 4)
        if c[0].type == "IPV6":
            return _address(c[0], 6)
        text = c[0]
        if ":" in text or _set_class_of(text):
            return _set_name(text, ("rtr-set",), "rtr-set member")
        return DNSName(_dns_name(text))

    rtr_set_member = rtr_set_member4

    def mnt_routes(self, c: list[object]) -> MntRoutes:
        mntner = _name(str(c[0]), "a maintainer name")
        scope = [x for x in c[1:] if x is not None]
        if not scope:
            return MntRoutes(mntner)
        if isinstance(scope[0], Token):
            return MntRoutes(mntner, any=True)
        return MntRoutes(mntner, ranges=scope[0])

    def prefix_range_list(self, c: list[PrefixRange]) -> tuple[PrefixRange, ...]:
        return tuple(c)

    # auth
    def auth_password(self, c: list[Token]) -> AuthLine:
        scheme, value = c[0].upper(), str(c[1])
        shape, description = _HASH_SHAPES[scheme]
        if _STRICT.get() and value != PASSWORD_HASH_DUMMY_VALUE and not shape.fullmatch(value):
            # the value is not repeated: it may be a password typed where its hash belongs
            _fail(f"the {scheme} value is not a valid {scheme} hash: expected {description}")
        return AuthLine(scheme, value)

    def auth_key_cert(self, c: list[Token]) -> AuthLine:
        return AuthLine(*_key_cert_name(c[0], allow_auto=False))

    def auth_sso(self, c: list[Token]) -> AuthLine:
        return AuthLine("SSO", str(c[1]))

    def auth_mail_from(self, c: list[Token]) -> AuthLine:
        if _STRICT.get():
            _fail("MAIL-FROM authentication is obsolete and not accepted in new objects")
        return AuthLine("MAIL-FROM", str(c[1]))

    def auth_none(self, c: list[Token]) -> AuthLine:
        if _STRICT.get():
            _fail("auth: NONE is obsolete and not accepted in new objects")
        return AuthLine("NONE")

    def auth_irrd_internal(self, c: list[Token]) -> AuthLine:
        return AuthLine("IRRD-INTERNAL-AUTH")

    # key-cert
    def fingerprint_groups(self, c: list[Token]) -> Fingerprint:
        groups = tuple(g.upper() for g in c)
        digits = "".join(groups)
        if _STRICT.get() and len(digits) not in (32, 40, 64):
            _fail(f"{' '.join(c)} is not a valid fingerprint: expected 32, 40 or 64 hex digits")
        if len(digits) == 40:  # OpenPGP v4: ten groups of four
            groups = tuple(digits[i:i + 4] for i in range(0, 40, 4))
        return Fingerprint(groups, " ")

    def fingerprint_bytes(self, c: list[Token]) -> Fingerprint:
        groups = tuple(g.upper() for g in c)
        if _STRICT.get() and any(len(g) != 2 for g in groups):
            _fail(f"{':'.join(c)} is not a valid fingerprint: expected hex bytes separated by ':'")
        return Fingerprint(groups, ":")

    # DNS
    def dns_name(self, c: list[Token]) -> DNSName:
        return DNSName(_dns_name(c[0]))

    def domain_name(self, c: list[Token]) -> DomainName:
        return _reverse_domain(c[0])

    def nserver(self, c: list[Token | None]) -> Nserver:
        host, address = DNSName(_dns_name(c[0])), c[1]
        if address is None:
            return Nserver(host)
        return Nserver(host, _address(address, 4 if address.type == "IPV4" else 6))

    def ds_rdata(self, c: list[Token]) -> DSRdata:
        keytag, algorithm, digest_type = (int(x) for x in c[:3])
        digest = "".join(c[3:]).upper()
        if keytag > 65535:
            _fail(f"{c[0]} is not a valid DS key tag (0-65535)")
        if algorithm > 255 or digest_type > 255:
            _fail(f"{' '.join(c[:3])}: DS algorithm and digest type must be 0-255")
        expected = {1: 40, 2: 64, 4: 96}.get(digest_type)
        if len(digest) % 2 or (_STRICT.get() and expected and len(digest) != expected):
            _fail(f"{digest} is not a valid digest for digest type {digest_type}"
                  + (f": expected {expected} hex digits" if expected else ""))
        return DSRdata(keytag, algorithm, digest_type, digest)


_BUILD = _Build(visit_tokens=False)  # no callbacks for terminals
