"""Value syntaxes of RPSL attributes.

``parse(syntax, value)`` turns one attribute value (one item of a list attribute) into a small
immutable value object whose ``str()`` is the canonical text; ``normalise`` returns that text::

    parse("as_number", "as065537")       -> ASNumber(65537)          "AS65537"
    normalise("prefix6", "2001:DB8::/32") -> "2001:db8::/32"
    normalise("inetnum", "192.0.2.0/24")  -> "192.0.2.0 - 192.0.2.255"

The shapes are the Lark grammar grammars/values.lark (one start rule per syntax name); numeric
limits, reserved words and what differs between strict (authoritative) and non-strict (mirrored)
data are checked here. Policy syntaxes (import, filter, ...) are handed to ``rpsl.policy``.
Case-insensitive names are canonically upper case, DNS names lower case, free text unchanged.
See ../shared/spec/rpsl.md sections 1.9, 2 and 3.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn
from urllib.parse import urlsplit

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from rpsl import larkfast
from rpsl.errors import ValueSyntaxError
from rpsl.schema import SET_PREFIXES

__all__ = [
    "SYNTAXES", "POLICY_SYNTAXES", "parse", "normalise", "ASNumber", "ASRange", "IPAddress",
    "Prefix", "RangeOp", "PrefixRange", "AddressRange", "SetName", "RangedName", "Name", "Text", "check",
    "checker",
    "DNSName", "DomainName", "Email", "Changed", "Timestamp", "AuthLine", "Fingerprint",
    "Nserver", "DSRdata", "URL", "Geoloc", "MntRoutes",
]

# ------------------------------------------------------------------------------------ constants

# Syntaxes parsed by rpsl.policy (policy.POLICY_SYNTAXES); listed here so SYNTAXES is complete
# without importing that module.
POLICY_SYNTAXES: frozenset[str] = frozenset({
    "import", "export", "mp_import", "mp_export", "default", "mp_default", "import_via",
    "export_via", "filter", "mp_filter", "peering", "mp_peering", "components", "inject",
    "aggr_mtd", "aggr_bndry", "ifaddr", "interface", "peer", "mp_peer",
})

# RFC 2622 reserved words (IRRd's list, with its RS_ANY typo corrected).
RESERVED_WORDS = frozenset({
    "ANY", "AS-ANY", "RS-ANY", "PEERAS", "AND", "OR", "NOT", "ATOMIC", "FROM", "TO", "AT",
    "ACTION", "ACCEPT", "ANNOUNCE", "EXCEPT", "REFINE", "NETWORKS", "INTO", "INBOUND", "OUTBOUND",
})
MAX_SET_COMPONENTS = 5
MAX_ASN = 4294967295

# ISO 3166-1 alpha-2, plus AP (APNIC: Asia Pacific), EU and ZZ (APNIC stub records).
_COUNTRY_TEXT = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW AP EU ZZ"
)
COUNTRY_CODES = frozenset(_COUNTRY_TEXT.split())

# ISO 639-1 two-letter language codes (upper-cased like country codes).
_LANGUAGE_TEXT = (
    "AA AB AE AF AK AM AN AR AS AV AY AZ BA BE BG BH BI BM BN BO BR BS CA CE CH CO CR CS CU CV "
    "CY DA DE DV DZ EE EL EN EO ES ET EU FA FF FI FJ FO FR FY GA GD GL GN GU GV HA HE HI HO HR "
    "HT HU HY HZ IA ID IE IG II IK IO IS IT IU JA JV KA KG KI KJ KK KL KM KN KO KR KS KU KV KW "
    "KY LA LB LG LI LN LO LT LU LV MG MH MI MK ML MN MR MS MT MY NA NB ND NE NG NL NN NO NR NV "
    "NY OC OJ OM OR OS PA PI PL PS PT QU RM RN RO RU RW SA SC SD SE SG SI SK SL SM SN SO SQ SR "
    "SS ST SU SV SW TA TE TG TH TI TK TL TN TO TR TS TT TW TY UG UK UR UZ VE VI VO WA WO XH YI "
    "YO ZA ZH ZU"
)
LANGUAGE_CODES = frozenset(_LANGUAGE_TEXT.split())

# APNIC inetnum/inet6num status values; non-strict data (RIPE, ...) may use any words.
INET_STATUSES = frozenset({
    "ALLOCATED PORTABLE", "ALLOCATED NON-PORTABLE", "ASSIGNED PORTABLE", "ASSIGNED NON-PORTABLE",
    "UNSPECIFIED",
})

# The hash IRRd and this server show instead of a real one (auth: MD5-PW DummyValue).
PASSWORD_HASH_DUMMY_VALUE = "DummyValue"
_HASH_SHAPES = {
    "CRYPT-PW": (re.compile(r"[./0-9A-Za-z]{13}"), "13 characters of traditional crypt(3)"),
    "MD5-PW": (re.compile(r"\$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}"), "$1$<salt>$<hash>"),
    "BCRYPT-PW": (re.compile(r"\$2[abxy]?\$[0-9]{2}\$[./0-9A-Za-z]{53}"), "$2b$<cost>$<salt+hash>"),
}

_GENERIC_NAME = re.compile(r"[A-Z]([A-Z0-9_-]*[A-Z0-9])?", re.I)  # RFC 2622 object-name
_SOURCE_NAME = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]", re.I)
_NETNAME = re.compile(r"[A-Z][A-Z0-9_-]{0,79}", re.I)
_AS_TEXT = re.compile(r"AS([0-9]+)(?:\.([0-9]+))?", re.I)
_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_RANGE_LABEL = re.compile(r"([0-9]+)-([0-9]+)")
_PHONE = re.compile(r"\+[0-9]")

# ---------------------------------------------------------------------------------- value types


def _address_text(version: int, value: int) -> str:
    if version == 4:
        return str(ipaddress.IPv4Address(value))
    return ipaddress.IPv6Address(value).compressed


@dataclass(frozen=True, order=True)
class ASNumber:
    """An AS number; canonical text is asplain (AS65537)."""

    value: int

    def __str__(self) -> str:
        return f"AS{self.value}"


@dataclass(frozen=True, order=True)
class ASRange:
    """An as-block range: ASx - ASy with x <= y."""

    first: ASNumber
    last: ASNumber

    def __str__(self) -> str:
        return f"{self.first} - {self.last}"

    def __contains__(self, asn: object) -> bool:
        value = asn.value if isinstance(asn, ASNumber) else asn
        return isinstance(value, int) and self.first.value <= value <= self.last.value


@dataclass(frozen=True, order=True)
class IPAddress:
    """A single IPv4 or IPv6 address; ``value`` is the address as an integer."""

    version: int
    value: int

    @property
    def address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.value) if self.version == 4 else ipaddress.IPv6Address(self.value)

    def __str__(self) -> str:
        return _address_text(self.version, self.value)


@dataclass(frozen=True, order=True)
class Prefix:
    """An IPv4 or IPv6 prefix without host bits; ``first``/``last`` are integer addresses."""

    version: int
    first: int
    length: int

    @property
    def max_length(self) -> int:
        return 32 if self.version == 4 else 128

    @property
    def last(self) -> int:
        return self.first | ((1 << (self.max_length - self.length)) - 1)

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        cls = ipaddress.IPv4Network if self.version == 4 else ipaddress.IPv6Network
        return cls((self.first, self.length))

    def __str__(self) -> str:
        return f"{_address_text(self.version, self.first)}/{self.length}"


@dataclass(frozen=True)
class RangeOp:
    """A range operator (RFC 2622 section 2): ``^-`` ``^+`` ``^n`` ``^n-m``.

    ``kind`` is "-", "+", "n" or "n-m"; ``n``/``m`` are the lengths of the last two.
    """

    kind: str
    n: int | None = None
    m: int | None = None

    def lengths(self, length: int, max_length: int) -> tuple[int, int]:
        """(shortest, longest) prefix length selected from a /length prefix."""
        if self.kind == "-":
            return length + 1, max_length
        if self.kind == "+":
            return length, max_length
        assert self.n is not None
        return self.n, self.n if self.m is None else self.m

    def __str__(self) -> str:
        if self.kind in ("-", "+"):
            return "^" + self.kind
        return f"^{self.n}" if self.m is None else f"^{self.n}-{self.m}"


@dataclass(frozen=True)
class PrefixRange:
    """An address-prefix-range: a prefix with an optional range operator."""

    prefix: Prefix
    op: RangeOp | None = None

    @property
    def min_length(self) -> int:
        return self.op.lengths(self.prefix.length, self.prefix.max_length)[0] if self.op else self.prefix.length

    @property
    def max_length(self) -> int:
        return self.op.lengths(self.prefix.length, self.prefix.max_length)[1] if self.op else self.prefix.length

    def __str__(self) -> str:
        return f"{self.prefix}{self.op or ''}"


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive address range (inetnum key): ``first``/``last`` are integer addresses."""

    version: int
    first: int
    last: int

    def prefixes(self) -> list[Prefix]:
        """The fewest prefixes covering exactly this range."""
        cls = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        return [Prefix(self.version, int(n.network_address), n.prefixlen)
                for n in ipaddress.summarize_address_range(cls(self.first), cls(self.last))]

    def __str__(self) -> str:
        return f"{_address_text(self.version, self.first)} - {_address_text(self.version, self.last)}"


@dataclass(frozen=True)
class SetName:
    """A set name, flat (AS-FOO) or hierarchical (AS65537:AS-FOO); components upper-cased,
    AS numbers in asplain."""

    components: tuple[str, ...]

    @property
    def set_class(self) -> str | None:
        """The class named by the first component with a set prefix (e.g. "as-set")."""
        for component in self.components:
            cls = _set_class_of(component)
            if cls:
                return cls
        return None

    @property
    def parent(self) -> SetName | None:
        """The set whose maintainer owns this name's namespace (all but the last component)."""
        return SetName(self.components[:-1]) if len(self.components) > 1 else None

    def __str__(self) -> str:
        return ":".join(self.components)


@dataclass(frozen=True)
class RangedName:
    """A route-set member naming other routes: an AS number or set name, optional operator."""

    name: ASNumber | SetName
    op: RangeOp | None = None

    def __str__(self) -> str:
        return f"{self.name}{self.op or ''}"


@dataclass(frozen=True, order=True)
class Name:
    """A case-insensitive identifier or keyword (object name, nic-hdl, country, status...)."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Text:
    """Free text, kept as written."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class DNSName:
    """A DNS name, lower case, without trailing dot."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class DomainName:
    """A domain object key, lower case, without trailing dot (e.g. 0-63.2.0.192.in-addr.arpa)."""

    value: str

    def address_range(self) -> AddressRange | None:
        """The addresses a reverse zone covers, or None for other names."""
        labels = self.value.split(".")
        try:
            if self.value.endswith(".in-addr.arpa"):
                octets = labels[:-2][::-1]
                first_octets, last_octets = [int(o) for o in octets[:-1]], [int(o) for o in octets[:-1]]
                low, _, high = octets[-1].partition("-")
                first_octets.append(int(low))
                last_octets.append(int(high or low))
                pad = 4 - len(octets)
                first = int.from_bytes(bytes(first_octets + [0] * pad), "big")
                last = int.from_bytes(bytes(last_octets + [255] * pad), "big")
                return AddressRange(4, first, last)
            if self.value.endswith(".ip6.arpa"):
                nibbles = "".join(labels[:-2][::-1])
                bits = 4 * len(nibbles)
                first = int(nibbles, 16) << (128 - bits)
                return AddressRange(6, first, first | ((1 << (128 - bits)) - 1))
        except ValueError:
            return None
        return None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Email:
    """An e-mail address; the domain is lower-cased, the local part kept."""

    local: str
    domain: str

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"


@dataclass(frozen=True)
class Changed:
    """A legacy changed: value, e-mail address and optional date."""

    email: Email
    date: dt.date | None = None

    def __str__(self) -> str:
        return f"{self.email} {self.date:%Y%m%d}" if self.date else str(self.email)


@dataclass(frozen=True, order=True)
class Timestamp:
    """An RFC 3339 timestamp in UTC (last-modified, created)."""

    value: dt.datetime

    def __str__(self) -> str:
        fraction = f".{self.value.microsecond:06d}".rstrip("0") if self.value.microsecond else ""
        return f"{self.value:%Y-%m-%dT%H:%M:%S}{fraction}Z"


@dataclass(frozen=True)
class AuthLine:
    """An auth: credential. ``scheme`` is upper case (MD5-PW, BCRYPT-PW, CRYPT-PW, PGPKEY, X509,
    SSO, MAIL-FROM, NONE, IRRD-INTERNAL-AUTH); ``value`` is the hash, key id or address as written
    (key ids upper-cased), empty for schemes without one."""

    scheme: str
    value: str = ""

    @property
    def key_cert(self) -> str | None:
        """The key-cert this line names (PGPKEY-XXXXXXXX / X509-n), if any."""
        return str(self) if self.scheme in ("PGPKEY", "X509") else None

    @property
    def is_password(self) -> bool:
        return self.scheme in _HASH_SHAPES

    @property
    def is_dummy(self) -> bool:
        """A masked hash copied from filtered output (MD5-PW DummyValue)."""
        return self.is_password and self.value == PASSWORD_HASH_DUMMY_VALUE

    def __str__(self) -> str:
        if self.scheme in ("PGPKEY", "X509"):
            return f"{self.scheme}-{self.value}"
        return f"{self.scheme} {self.value}" if self.value else self.scheme


@dataclass(frozen=True)
class Fingerprint:
    """A key fingerprint as hex groups (upper case), separated by spaces or colons."""

    groups: tuple[str, ...]
    separator: str = " "

    @property
    def hex(self) -> str:
        return "".join(self.groups)

    def __str__(self) -> str:
        if self.separator == ":":
            return ":".join(self.groups)
        if len(self.groups) == 10 and len(self.hex) == 40:  # OpenPGP v4, formatted like IRRd/GnuPG
            return " ".join(self.groups[:5]) + "  " + " ".join(self.groups[5:])
        return " ".join(self.groups)


@dataclass(frozen=True)
class Nserver:
    """A name server: host name and optional glue address."""

    host: DNSName
    address: IPAddress | None = None

    def __str__(self) -> str:
        return f"{self.host} {self.address}" if self.address else str(self.host)


@dataclass(frozen=True)
class DSRdata:
    """DS record data: key tag, algorithm, digest type, hex digest (upper case)."""

    keytag: int
    algorithm: int
    digest_type: int
    digest: str

    def __str__(self) -> str:
        return f"{self.keytag} {self.algorithm} {self.digest_type} {self.digest}"


@dataclass(frozen=True)
class URL:
    """An http or https URL."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Geoloc:
    """A location: latitude and longitude in decimal degrees."""

    latitude: Decimal
    longitude: Decimal

    def __str__(self) -> str:
        return f"{self.latitude} {self.longitude}"


@dataclass(frozen=True)
class MntRoutes:
    """mnt-routes: a maintainer, optionally limited to prefix ranges, or explicitly ANY."""

    mntner: Name
    ranges: tuple[PrefixRange, ...] = ()
    any: bool = False

    def __str__(self) -> str:
        if self.any:
            return f"{self.mntner} ANY"
        if self.ranges:
            return f"{self.mntner} {{ {', '.join(map(str, self.ranges))} }}"
        return str(self.mntner)


# ------------------------------------------------------------------------------ checks (Python)

_STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar("rpsl_syntax_strict", default=True)


def _fail(message: str) -> NoReturn:
    raise ValueSyntaxError(message)


def _set_class_of(component: str) -> str | None:
    upper = component.upper()
    for cls, prefix in SET_PREFIXES.items():
        if upper.startswith(prefix):
            return cls
    return None


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
    value = 0
    for octet in text.split("."):
        number = int(octet)
        if number > 255:
            _fail(f"{text} is not a valid IPv4 address: {octet} is greater than 255")
        value = value << 8 | number
    return value


def _ipv6(text: str) -> int:
    try:
        return int(ipaddress.IPv6Address(text))
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
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as err:
            _fail(f"{c[0]} is not a valid timestamp: {err}")
        return Timestamp(value.astimezone(dt.UTC))

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
_BLANKS = larkfast.BLANKS
_new_str = str.__new__

# ---------------------------------------------------------------------------------------- parser

_GRAMMAR_SYNTAXES: tuple[str, ...] = (
    "free", "certif", "person_name", "org_name", "object_name", "irt_name", "as_name", "source",
    "nic_handle", "netname", "mbrs_by_ref", "key_cert_name", "key_method", "org_type",
    "inet_status", "country", "language", "email", "changed", "phone", "timestamp", "url",
    "geoloc", "as_number", "as_range", "prefix4", "prefix6", "inetnum", "as_set_name",
    "route_set_name", "rtr_set_name", "filter_set_name", "peering_set_name", "as_set_member",
    "route_set_member4", "route_set_member", "rtr_set_member4", "rtr_set_member", "mnt_routes",
    "auth", "fingerprint", "dns_name", "domain_name", "nserver", "ds_rdata",
)

_VALUE_SYNTAXES = frozenset(_GRAMMAR_SYNTAXES)
SYNTAXES: frozenset[str] = _VALUE_SYNTAXES | POLICY_SYNTAXES

# What each syntax is called in error messages ("X is not a valid <description>").
_DESCRIPTIONS = {
    "free": "text", "certif": "certificate line", "person_name": "name",
    "org_name": "organisation name",
    "object_name": "object name (letters, digits, '-' and '_', starting with a letter and "
                   "ending with a letter or digit)",
    "irt_name": "irt name (e.g. IRT-EXAMPLE-AP)", "as_name": "as-name (e.g. EXAMPLE-AS)",
    "source": "source name (e.g. APNIC)", "nic_handle": "NIC handle (e.g. AB123-AP)",
    "netname": "netname (e.g. EXAMPLE-NET)", "mbrs_by_ref": "maintainer name or ANY",
    "key_cert_name": "key-cert name (PGPKEY-<8 hex digits> or X509-<n>)",
    "key_method": "key method (PGP or X509)",
    "org_type": "organisation type (IANA, RIR, NIR, LIR, WHITEPAGES, DIRECT_ASSIGNMENT or OTHER)",
    "inet_status": "status", "country": "country code (two letters, e.g. AU)",
    "language": "language code (two letters, e.g. EN)", "email": "e-mail address",
    "changed": "changed value (e-mail address and optional YYYYMMDD date)",
    "phone": "phone number (e.g. +61 7 3858 3100)",
    "timestamp": "timestamp (e.g. 2018-08-30T07:50:19Z)",
    "url": "URL (http:// or https://)", "geoloc": "location (latitude longitude, e.g. 52.37 4.89)",
    "as_number": "AS number (e.g. AS65537)", "as_range": "AS range (e.g. AS65536 - AS65551)",
    "prefix4": "IPv4 prefix (e.g. 192.0.2.0/24)", "prefix6": "IPv6 prefix (e.g. 2001:db8::/32)",
    "inetnum": "IPv4 address range (e.g. 192.0.2.0 - 192.0.2.255)",
    "as_set_name": "as-set name (e.g. AS65537:AS-CUSTOMERS)",
    "route_set_name": "route-set name (e.g. AS65537:RS-CUSTOMERS)",
    "rtr_set_name": "rtr-set name (e.g. AS65537:RTRS-EDGE)",
    "filter_set_name": "filter-set name (e.g. AS65537:FLTR-BOGONS)",
    "peering_set_name": "peering-set name (e.g. AS65537:PRNG-IX)",
    "as_set_member": "as-set member (AS number or as-set name)",
    "route_set_member4": "route-set member (IPv4 prefix range, AS number, as-set or route-set "
                         "name, e.g. 192.0.2.0/24^+)",
    "route_set_member": "route-set member (prefix range, AS number, as-set or route-set name, "
                        "e.g. 2001:db8::/32^48)",
    "rtr_set_member4": "rtr-set member (router name, rtr-set name or IPv4 address)",
    "rtr_set_member": "rtr-set member (router name, rtr-set name or IP address)",
    "mnt_routes": "mnt-routes value (maintainer name, optionally followed by ANY or "
                  "{ prefix-range, ... })",
    "auth": "auth value (e.g. BCRYPT-PW <hash>, MD5-PW <hash> or PGPKEY-<8 hex digits>)",
    "fingerprint": "fingerprint (hex digits)", "dns_name": "DNS name",
    "domain_name": "domain name (e.g. 2.0.192.in-addr.arpa)",
    "nserver": "name server (DNS name, optionally followed by an IP address)",
    "ds_rdata": "DS record data (keytag algorithm digest-type digest)",
}


@functools.cache
def _parser() -> Lark:
    """The value grammar, built once (or loaded from the cache, see rpsl.larkfast)."""
    return larkfast.load_parser("values.lark", "values", parser="lalr", start=list(_GRAMMAR_SYNTAXES),
                                maybe_placeholders=True)


@functools.cache
def _fast() -> tuple[dict, larkfast.ShapeCache, dict]:
    """The one-terminal start rules (with their _Build method), the shapes parsed so far
    (rpsl.larkfast) and the _Build method of each rule."""
    global _FAST
    parser = _parser()
    callbacks = {name: getattr(_BUILD, name) for name in {r.alias or r.origin.name for r in parser.rules}
                 if callable(getattr(_BUILD, name, None))}
    singles = {start: (rule, callbacks[start])
               for start, rule in larkfast.single_token_rules(parser, _GRAMMAR_SYNTAXES).items()}
    _FAST = singles, larkfast.ShapeCache(parser), callbacks
    return _FAST


_FAST: tuple[dict, larkfast.ShapeCache, dict] | None = None


def _build(syntax: str, value: str) -> object:
    """The value object of a value; raises UnexpectedInput (from parsing the value itself) when
    it does not parse, ValueSyntaxError (maybe in a VisitError) when a check refuses it."""
    singles, shapes, callbacks = _FAST or _fast()
    single = singles.get(syntax)
    if single is not None and value and value[0] not in _BLANKS and value[-1] not in _BLANKS:
        (name, regex), callback = single
        m = regex.match(value)
        if m is not None and m.end() == len(value):  # larkfast.single_token, inlined (hot)
            token = _new_str(Token, value)  # larkfast.token, inlined
            token.type, token.value = name, value
            return callback([token])  # = _BUILD.transform(Tree(syntax, [token]))
    tree = shapes.get(syntax, value)[1]
    if tree is None:
        return _BUILD.transform(_parser().parse(value, start=syntax))
    return _transform(tree, value, callbacks)  # type: ignore[arg-type]


def _transform(tree: Tree, value: str, callbacks: dict) -> object:
    """_BUILD.transform(larkfast.instantiate(tree, value)) in one pass: a shape's tree with the
    value's own token texts, turned into a value object."""
    children: list = []
    for child in tree.children:
        if isinstance(child, Tree):
            children.append(_transform(child, value, callbacks))
        elif child is None:  # a placeholder for an absent [optional] part
            children.append(None)
        else:
            children.append(larkfast.token(child.type, value[child.start_pos:child.end_pos]))
    callback = callbacks.get(tree.data)
    return callback(children) if callback is not None else Tree(tree.data, children)


def _grammar_error(syntax: str, value: str, err: UnexpectedInput) -> ValueSyntaxError:
    """A registry-user message for a value the grammar rejects."""
    what = _DESCRIPTIONS.get(syntax, syntax.replace("_", " "))
    text = value.strip()
    if not text:
        return ValueSyntaxError(f"empty value is not a valid {what}", 0)
    if syntax == "auth":  # never repeated: it may hold a password typed in clear
        incomplete = isinstance(err, UnexpectedToken) and err.token.type == "$END"
        return ValueSyntaxError(f"the value is not a valid {what}" + (": it is incomplete" if incomplete else ""), 0)
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        return ValueSyntaxError(f"{text} is not a valid {what}: it is incomplete", len(value))
    pos = err.token.start_pos if isinstance(err, UnexpectedToken) else getattr(err, "pos_in_stream", None)
    if not pos or pos >= len(value):
        return ValueSyntaxError(f"{text} is not a valid {what}", 0)
    fragment = value[pos:].split()[0] if value[pos:].strip() else value[pos:]
    return ValueSyntaxError(f"{text} is not a valid {what}: unexpected {fragment!r} at column {pos}",
                            pos)


def _parse_value(syntax: str, value: str, strict: bool) -> object:
    token = _STRICT.set(strict) if _STRICT.get() is not strict else None
    try:
        return _build(syntax, value)
    except UnexpectedInput as err:
        raise _grammar_error(syntax, value, err) from None
    except VisitError as err:  # a check in _Build refused the value
        raise err.orig_exc from None
    finally:
        if token is not None:
            _STRICT.reset(token)


# Values parsed before (strict and non-strict apart): validating a file meets the same values
# (maintainers, contacts, countries, sources) again and again.
_CACHE_SIZE = 1 << 18
_parse_strict = functools.lru_cache(maxsize=_CACHE_SIZE)(functools.partial(_parse_value, strict=True))
_parse_lenient = functools.lru_cache(maxsize=_CACHE_SIZE)(functools.partial(_parse_value, strict=False))


def _parse_cached(syntax: str, value: str, strict: bool) -> object:
    return _parse_strict(syntax, value) if strict else _parse_lenient(syntax, value)


def parse(syntax: str, value: str, *, strict: bool = True) -> object:
    """Parse one attribute value (one list item) of ``syntax`` into a value object.

    ``strict`` is for authoritative data; ``strict=False`` applies the relaxed rules used for
    mirrored data (IRRd non-strict mode). Raises ValueSyntaxError naming the bad value.
    """
    if syntax in POLICY_SYNTAXES:
        from rpsl import policy
        return policy.parse(syntax, value)
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown value syntax {syntax!r}")
    return _parse_cached(syntax, value, strict)


@functools.cache
def checker(syntax: str) -> Callable[[str], object]:
    """The strict check of one syntax as a function of the value (raising ValueSyntaxError), for
    validation loops: values seen before are answered from a cache without a Python call."""
    if syntax in _VALUE_SYNTAXES:
        return functools.partial(_parse_strict, syntax)
    if syntax in POLICY_SYNTAXES:
        from rpsl import policy
        return functools.partial(policy.check, syntax)
    raise ValueError(f"unknown value syntax {syntax!r}")


def check(syntax: str, value: str, *, strict: bool = True) -> None:
    """Validate one attribute value (one list item) like ``parse``, for validation only: policy
    values are checked without building their parse trees."""
    if syntax in _VALUE_SYNTAXES:
        _parse_cached(syntax, value, strict)
    elif syntax in POLICY_SYNTAXES:
        from rpsl import policy
        policy.check(syntax, value)
    else:
        raise ValueError(f"unknown value syntax {syntax!r}")


def normalise(syntax: str, value: str, *, strict: bool = True) -> str:
    """The canonical text of a value: ``str(parse(syntax, value, strict=strict))``."""
    return str(parse(syntax, value, strict=strict))
