"""The values of RPSL attributes: the constants RFC 2622 and APNIC fix (reserved words, country
and language codes, statuses) and the small immutable value objects ``rpsl.syntax.parse`` gives,
whose ``str()`` is the canonical text."""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal

from rpsl.keys import v4_str, v6_str
from rpsl.schema import SET_PREFIXES

# ------------------------------------------------------------------------------------ constants

# The syntaxes rpsl.policy parses (its start rules are named after them).
POLICY_SYNTAXES: frozenset[str] = frozenset({
    "import", "export", "mp_import", "mp_export", "default", "mp_default", "import_via",
    "export_via", "filter", "mp_filter", "peering", "mp_peering", "components", "inject",
    "aggr_mtd", "aggr_bndry", "ifaddr", "interface", "peer", "mp_peer",
})
# RFC 2622 policy attributes predating RPSLng: IPv4 only (their mp- twins accept IPv6). components
# and inject are shared by route and route6, import-via/export-via take mp-filters.
IPV4_ONLY_POLICY_SYNTAXES = frozenset({"import", "export", "default", "filter", "peering", "peer"})

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

_GENERIC_NAME = re.compile(r"[A-Z]([A-Z0-9_-]*[A-Z0-9])?", re.I | re.A)  # RFC 2622 object-name
_SOURCE_NAME = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]", re.I | re.A)
_NETNAME = re.compile(r"[A-Z][A-Z0-9_-]{0,79}", re.I | re.A)
_AS_TEXT = re.compile(r"AS([0-9]+)(?:\.([0-9]+))?", re.I | re.A)
_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_RANGE_LABEL = re.compile(r"([0-9]+)-([0-9]+)")
_PHONE = re.compile(r"\+[0-9]")

def _set_class_of(component: str) -> str | None:
    upper = component.upper()
    for cls, prefix in SET_PREFIXES.items():
        if upper.startswith(prefix):
            return cls
    return None


# ---------------------------------------------------------------------------------- value types


def _address_text(version: int, value: int) -> str:
    return v4_str(value) if version == 4 else v6_str(value)


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
