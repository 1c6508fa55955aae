"""Tests for rpsl.objects: paragraph -> RPSLObject, strict validation, rendering, index data.

Strict mode follows the APNIC templates (spec rpsl.md section 5); every error names the object,
the attribute and the line, and all errors of an object are reported together.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rpsl import objects
from rpsl.attributes import PAD
from rpsl.errors import RPSLError
from rpsl.objects import parse
from rpsl.reader import iter_paragraphs
from rpsl.schema import CLASSES, SCHEMA, SET_PREFIXES, ObjectClass
from rpsl.values import COUNTRY_CODES, INET_STATUSES, RESERVED_WORDS
from tests.conftest import REAL

REAL_DATA = REAL
DEMO = Path(__file__).resolve().parents[2] / "irr" / "demo" / "demo.db"

BCRYPT = "BCRYPT-PW $2b$10$m3eY2R.P5gV6f2AbcvMDf./x8wYlxqUTaA19pdZ.ES8Ie6xPFbdTK"

# One valid value per syntax of a mandatory attribute (APNIC-style data).
VALID = {
    "as_name": "EXAMPLE-AS", "as_number": "AS65537", "as_range": "AS65536 - AS65551",
    "auth": BCRYPT, "certif": "-----BEGIN PGP PUBLIC KEY BLOCK-----", "country": "VN",
    "email": "noc@example.net", "free": "Example network", "ifaddr": "192.0.2.1 masklen 30",
    "inet_status": "ASSIGNED PORTABLE", "irt_name": "IRT-EXAMPLE-AP", "netname": "EXAMPLE-NET",
    "nic_handle": "EX1-AP", "object_name": "MAINT-EXAMPLE", "org_name": "Example Ltd",
    "org_type": "LIR", "person_name": "Nguyen Van An", "phone": "+84 24 3556 0000", "source": "TEST",
}
# The primary key of each class (route/route6 also take origin from VALID).
KEYS = {
    "mntner": "MAINT-EXAMPLE", "person": "EX1-AP", "role": "EX2-AP", "irt": "IRT-EXAMPLE-AP",
    "organisation": "ORG-EX1-AP", "key-cert": "PGPKEY-1234ABCD", "aut-num": "AS65537",
    "as-block": "AS65536 - AS65551", "as-set": "AS65537:AS-CUSTOMERS", "route-set": "AS65537:RS-CUSTOMERS",
    "filter-set": "AS65537:FLTR-BOGONS", "peering-set": "AS65537:PRNG-IX", "rtr-set": "AS65537:RTRS-EDGE",
    "inet-rtr": "rtr1.example.net", "route": "192.0.2.0/24", "route6": "2001:db8::/32",
    "inetnum": "192.0.2.0 - 192.0.2.255", "inet6num": "2001:db8::/32", "domain": "2.0.192.in-addr.arpa",
}
PKS = {**{c: k.upper() for c, k in KEYS.items()}, "route": "192.0.2.0/24AS65537",
       "route6": "2001:DB8::/32AS65537"}
# A key each class must refuse in strict mode, and words the error message must contain.
BAD_KEYS = {
    "mntner": ("MAINT EXAMPLE", "not a valid object name"),
    "person": ("1EX-AP", "not a valid NIC handle"),
    "role": ("EX-", "not a valid NIC handle"),
    "irt": ("EXAMPLE-IRT", "must start with IRT-"),
    "organisation": ("ORG_EX1_", "not a valid object name"),
    "key-cert": ("PGPKEY-XYZ", "not a valid key-cert name"),
    "aut-num": ("AS4294967296", "out of range"),
    "as-block": ("AS10 - AS5", "AS range"),
    "as-set": ("AS65537:RS-FOO", "not a valid as-set name"),
    "route-set": ("AS65537:AS-FOO", "not a valid route-set name"),
    "filter-set": ("FOO", "not a valid filter-set name"),
    "peering-set": ("AS1:PRNG-A:AS-B", "not a valid peering-set name"),
    "rtr-set": ("RTRS-", "not a valid rtr-set name"),
    "inet-rtr": ("rtr_1.example.net", "not a valid DNS name"),
    "route": ("192.0.2.1/24", "host bits are set"),
    "route6": ("2001:db8::1/32", "host bits are set"),
    "inetnum": ("192.0.2.255 - 192.0.2.0", "first address is after the last"),
    "inet6num": ("2001:db8::/129", "length must be 0-128"),
    "domain": ("example.com", "must end in .in-addr.arpa or .ip6.arpa"),
}


def minimal(cls: ObjectClass) -> list[tuple[str, str]]:
    """The mandatory attributes of a class with valid values, in template order."""
    out = []
    for a in cls.attributes:
        if a.mandatory and not a.generated:
            value = KEYS[cls.name] if a.key and a.name != "origin" else VALID[a.syntax]
            out.append((a.name, value))
    return out


def render_pairs(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{name}:{' ' * max(1, PAD - len(name) - 1)}{value}\n" for name, value in pairs)


def line_of(pairs: list[tuple[str, str]], name: str, occurrence: int = 1) -> int:
    return [i for i, (n, _) in enumerate(pairs, 1) if n == name][occurrence - 1]


def messages(obj: objects.RPSLObject) -> list[str]:
    return [e.message for e in obj.errors]


def paragraph_at(path: Path, line: int) -> tuple[str, int]:
    for p in iter_paragraphs(path):
        obj = parse(p.text, p.line)
        if obj.line == line:
            return p.text, p.line
    raise LookupError(f"{path.name}: no object at line {line}")


# ------------------------------------------------------------------------------- valid objects

# Real objects that fit the APNIC templates (aut-num and inet6num: see the demo data).
REAL_VALID = [
    ("apnicnet-whois-TEST.db", 18, "mntner", "TEST-ROOT-MNT"),
    ("apnicnet-whois-apnic-spec-fixtures.db", 29, "person", "MS1-AP"),
    ("apnicnet-whois-apnic-spec-fixtures.db", 13, "role", "HM1-AP"),
    ("apnicnet-whois-apnic-spec-fixtures.db", 115, "irt", "IRT-USER"),
    ("ripe-whois-spec-fixtures.db", 491, "organisation", "ORG-HR1-TEST"),
    ("apnicnet-whois-TEST.db", 2886, "key-cert", "PGPKEY-10B066BE"),
    ("apnicnet-whois-TEST.db", 123, "as-block", "AS1 - AS4294967295"),
    ("apnicnet-whois-TEST.db", 368, "as-set", "AS-SET-ATTENDEES"),
    ("irrd-rpsl-samples.db", 566, "route-set", "RS-TEST"),
    ("irrd-rpsl-samples.db", 77, "filter-set", "FLTR-SETTEST"),
    ("irrd-rpsl-samples.db", 515, "peering-set", "PRNG-SETTEST"),
    ("irrd-rpsl-samples.db", 578, "rtr-set", "RTRS-SETTEST"),
    ("ripe-whois-spec-fixtures.db", 3895, "inet-rtr", "TEST.RIPE.NET"),
    ("apnicnet-whois-TEST.db", 227, "route", "10.11.11.0/24AS101111"),
    ("irrd-rpsl-samples.db", 601, "route6", "2001:DB8::/48AS65537"),
    ("apnicnet-whois-apnic-spec-fixtures.db", 987, "inetnum", "193.0.0.0 - 193.255.255.255"),
    ("apnicnet-whois-TEST.db", 134, "domain", "IN-ADDR.ARPA"),
]


@pytest.mark.parametrize(("name", "line", "cls", "pk"), REAL_VALID)
def test_real_objects_pass_strict(name: str, line: int, cls: str, pk: str) -> None:
    text, first = paragraph_at(REAL_DATA / name, line)
    obj = parse(text, first, strict=True)
    assert (obj.object_class, obj.pk, obj.line) == (cls, pk, line)
    assert obj.errors == []


def test_demo_data_passes_strict() -> None:
    found = []
    for p in iter_paragraphs(DEMO):
        obj = parse(p.text, p.line, strict=True)
        if obj.object_class:
            assert obj.errors == [], obj.errors
            assert obj.source == "DEMO"
            found.append(obj.object_class)
    assert len(found) == 21
    assert {c for _, _, c, _ in REAL_VALID} | set(found) == set(SCHEMA)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_minimal_object_of_every_class(cls: ObjectClass) -> None:
    pairs = minimal(cls)
    obj = parse(render_pairs(pairs), 10, strict=True)
    assert obj.errors == []
    assert (obj.object_class, obj.pk, obj.line, obj.source) == (cls.name, PKS[cls.name], 10, "TEST")
    assert parse(render_pairs(pairs), 10, strict=False).errors == []


# ----------------------------------------------------------------------------- invalid objects


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_missing_mandatory_attributes(cls: ObjectClass) -> None:
    pairs = minimal(cls)
    for name, _ in pairs[1:]:  # without its first attribute, an object is of another class
        if name in cls.key:
            continue
        obj = parse(render_pairs([p for p in pairs if p[0] != name]), 5, strict=True)
        assert [(e.object_key, e.attribute, e.line, e.message) for e in obj.errors] == [
            (f"{cls.name} {PKS[cls.name]}", name, 5, f"mandatory attribute {name!r} is missing")]


@pytest.mark.parametrize(("cls", "key", "object_key"), [
    ("person", "nic-hdl", "person Nguyen Van An"), ("role", "nic-hdl", "role Nguyen Van An"),
    ("route", "origin", "route 192.0.2.0/24"), ("route6", "origin", "route6 2001:db8::/32"),
])
def test_missing_key_is_reported_once(cls: str, key: str, object_key: str) -> None:
    text = render_pairs([p for p in minimal(SCHEMA[cls]) if p[0] != key])
    for strict in (True, False):
        obj = parse(text, 3, strict=strict)
        assert obj.pk == ""
        assert [(e.object_key, e.attribute, e.line, e.message) for e in obj.errors] == [
            (object_key, key, 3, f"primary key attribute {key!r} is missing")]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_single_attribute_repeated(cls: ObjectClass) -> None:
    pairs = minimal(cls)
    pairs.insert(len(pairs) - 1, ("source", "TEST"))
    obj = parse(render_pairs(pairs), 100, strict=True)
    assert [(e.object_key, e.attribute, e.line, e.message) for e in obj.errors] == [
        (f"{cls.name} {PKS[cls.name]}", "source", 100 + len(pairs) - 1, "attribute 'source' may appear only once")]
    lenient = parse(render_pairs(pairs), 100)
    assert [e.message for e in lenient.errors] == ["attribute 'source' may appear only once"]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_unknown_attribute(cls: ObjectClass) -> None:
    pairs = minimal(cls)
    pairs.insert(2, ("x-custom", "whatever"))
    obj = parse(render_pairs(pairs), strict=True)
    assert [(e.attribute, e.line, e.message) for e in obj.errors] == [
        ("x-custom", 3, f"attribute 'x-custom' is not allowed in class {cls.name}")]
    assert parse(render_pairs(pairs)).errors == []  # mirrored data keeps unknown attributes


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_bad_key_syntax(cls: ObjectClass) -> None:
    bad, words = BAD_KEYS[cls.name]
    key = cls.key[0]
    pairs = [(n, bad if n == key else v) for n, v in minimal(cls)]
    obj = parse(render_pairs(pairs), 20, strict=True)
    assert len(obj.errors) == 1, obj.errors
    error = obj.errors[0]
    assert (error.attribute, error.line) == (key, 19 + line_of(pairs, key))
    assert words in error.message and bad in error.message
    assert error.object_key.startswith(f"{cls.name} ")
    assert bad.upper() in error.object_key.upper() or error.object_key == f"{cls.name} {PKS[cls.name]}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_bad_reference_syntax(cls: ObjectClass) -> None:
    pairs = [(n, "MAINT EXAMPLE!" if n == "mnt-by" else v) for n, v in minimal(cls)]
    obj = parse(render_pairs(pairs), 7, strict=True)
    assert [(e.object_key, e.attribute, e.line) for e in obj.errors] == [
        (f"{cls.name} {PKS[cls.name]}", "mnt-by", 6 + line_of(pairs, "mnt-by"))]
    assert "MAINT EXAMPLE!" in obj.errors[0].message and "object name" in obj.errors[0].message
    assert parse(render_pairs(pairs), 7).errors == []  # never a reason to reject mirrored data


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_all_errors_of_an_object_are_reported_together(cls: ObjectClass) -> None:
    bad, _ = BAD_KEYS[cls.name]
    key = cls.key[0]
    pairs = [(n, bad if n == key else v) for n, v in minimal(cls) if n != "mnt-by"]
    pairs[1:1] = [("x-custom", "1"), ("notify", "not-an-address")]
    pairs.append(("source", "TEST"))
    text = render_pairs(pairs).replace("x-custom:", "# a comment\nx-custom:")
    obj = parse(text, strict=True)
    got = {(e.attribute, e.line) for e in obj.errors}
    key_line = line_of(pairs, key) + (line_of(pairs, key) > 1)  # the comment line is line 2
    assert got == {(key, key_line), ("x-custom", 3), ("notify", 4), ("source", len(pairs) + 1),
                   ("mnt-by", 1)}
    assert len(obj.errors) == 5
    assert len({e.object_key for e in obj.errors}) == 1


def test_malformed_lines_with_line_numbers() -> None:
    text = ("% comment\nroute: 192.0.2.0/24\ndescr: x\n  continued: not an attribute\norigin: AS1\n"
            "Mnt By: X\nnot an attribute\n\nsource: TEST")
    obj = parse(text, 40)
    assert obj.line == 41
    assert [(e.line, e.attribute, e.message) for e in obj.errors] == [
        (45, "Mnt By", "malformed attribute name 'Mnt By'"),
        (46, None, "line is neither an attribute (name: value) nor a continuation: 'not an attribute'"),
        (47, None, "empty line in the middle of an object"),
    ]
    assert {e.object_key for e in obj.errors} == {"route 192.0.2.0/24AS1"}


def test_continuation_without_attribute() -> None:
    obj = parse("mntner: MAINT-A\n\n  more\nsource: TEST")
    assert [(e.line, e.message) for e in obj.errors] == [
        (2, "empty line in the middle of an object"), (3, "continuation line without an attribute before it")]


def test_text_around_the_object_is_tolerated() -> None:
    # IRRd strips the object text: leading/trailing empty lines and blank lines before the object.
    obj = parse("\n\n  \n\t\nmntner: MAINT-A\nsource: TEST\n\n\n", 3)
    assert obj.errors == [] and obj.line == 7 and obj.pk == "MAINT-A"
    assert obj.text == "mntner: MAINT-A\nsource: TEST\n"
    assert parse("mntner: MAINT-A\r\nsource: TEST\r\n").text == "mntner: MAINT-A\nsource: TEST\n"


def test_unknown_class() -> None:
    obj = parse("limerick: LIM-ONE\ntext: There once was a router\nsource: APNIC", 3, strict=True)
    assert obj.object_class == "limerick" and obj.schema is None
    assert [(e.object_key, e.line, e.message) for e in obj.errors] == [
        ("limerick LIM-ONE", 3, "unknown object class 'limerick'")]


def test_legacy_pseudo_object_keeps_its_class() -> None:
    obj = parse("*xxte: 64.203.254.0/24\ndescr: x\norigin: AS1\nsource: RADB", 10)
    assert obj.object_class == "*xxte" and obj.line == 10 and obj.errors


def test_key_errors_are_not_reported_twice() -> None:
    obj = parse(render_pairs([("route", "not-a-prefix"), *minimal(SCHEMA["route"])[1:]]), strict=True)
    assert messages(obj) == ["not-a-prefix is not a valid IPv4 prefix"]


# ------------------------------------------------------------------------------ MALFORMED samples

# First line of each paragraph -> (attribute, line, words the message must contain).
MALFORMED = {
    1: (None, 1, "unknown object class 'foo-block'"),
    7: ("source", 7, "mandatory attribute 'source' is missing"),
    11: (None, 11, "unknown object class 'changed'"),
    14: ("*xxte", 14, "malformed attribute name '*xxte'"),
    20: ("$$$-by", 22, "malformed attribute name '$$$-by'"),
    26: ("mnt-by", 26, "mandatory attribute 'mnt-by' is missing"),
    30: ("foo", 33, "attribute 'foo' is not allowed in class route"),
    37: ("source", 42, "attribute 'source' may appear only once"),
    44: ("route", 44, "not-a-prefix is not a valid IPv4 prefix"),
    50: ("source", 54, "+TEST$$$ is not a valid source name"),
    56: ("source", 56, "mandatory attribute 'source' is missing"),
    61: (None, 64, "line is neither an attribute (name: value) nor a continuation: 'or'"),
}


def test_every_malformed_sample_fails_strict_validation_saying_why() -> None:
    seen = {}
    for p in iter_paragraphs(REAL_DATA / "irrd-rpsl-samples-MALFORMED.db"):
        obj = parse(p.text, p.line, strict=True)
        attribute, line, words = MALFORMED[p.line]
        assert obj.errors, p.text
        matching = [e for e in obj.errors if words in e.message]
        assert matching, (p.line, obj.errors)
        assert (matching[0].attribute, matching[0].line) == (attribute, line)
        assert all(isinstance(e, RPSLError) and e.object_key for e in obj.errors)
        seen[p.line] = obj
    assert sorted(seen) == sorted(MALFORMED)


# ------------------------------------------------------------------------------ normalisation


def test_render_normalises_names_alignment_and_keys() -> None:
    text = (
        "AS-SET: as65537:as-customers\n"
        "DESCR:first line\n"
        "+\n"
        "\tsecond line  # kept\n"
        "Members: as1, AS1.2 ,as-foo\n"
        "tech-c:\tex1-ap\n"
        "admin-c:  ex1-ap , EX2-AP\n"
        "mnt-by: maint-a,maint-b\n"
        "source: test\n"
    )
    obj = parse(text, strict=True)
    assert obj.errors == []
    assert obj.render() == (
        "as-set:         AS65537:AS-CUSTOMERS\n"
        "descr:          first line\n"
        "+\n"
        "\t               second line  # kept\n"
        "members:        as1, AS1.2 ,as-foo\n"
        "tech-c:         EX1-AP\n"
        "admin-c:        EX1-AP, EX2-AP\n"
        "mnt-by:         MAINT-A, MAINT-B\n"
        "source:         TEST\n"
    )
    assert obj.text == text.replace("AS-SET:", "as-set:").replace("DESCR:", "descr:").replace("Members:", "members:")


@pytest.mark.parametrize(("cls", "key", "canonical"), [
    ("aut-num", "as065537", "AS65537"),
    ("aut-num", "AS1.1", "AS65537"),
    ("as-block", "as1-AS2.0", "AS1 - AS131072"),
    ("inetnum", "192.0.2.0-192.0.2.255", "192.0.2.0 - 192.0.2.255"),
    ("inetnum", "192.0.2.0   -\t192.0.2.255", "192.0.2.0 - 192.0.2.255"),
    ("inetnum", "192.0.2.0/25", "192.0.2.0 - 192.0.2.127"),
    ("inet6num", "2001:DB8:0:0::/48", "2001:db8::/48"),
    ("route6", "2001:0DB8::/32", "2001:db8::/32"),
    ("route", "192.0.2.0/24", "192.0.2.0/24"),
    ("as-set", "as1.2:as-x", "AS65538:AS-X"),
    ("route-set", "rs-foo", "RS-FOO"),
    ("mntner", "maint-x", "MAINT-X"),
    ("domain", "2.0.192.IN-ADDR.ARPA.", "2.0.192.in-addr.arpa"),
    ("inet-rtr", "RTR1.Example.NET", "rtr1.example.net"),
])
def test_render_canonical_keys(cls: str, key: str, canonical: str) -> None:
    pairs = [(n, key if n == cls else v) for n, v in minimal(SCHEMA[cls])]
    obj = parse(render_pairs(pairs), strict=True)
    assert obj.errors == []
    assert obj.render().split("\n")[0] == f"{cls + ':':<16}{canonical}"
    assert obj.index() == parse(obj.render()).index()


def test_render_keeps_values_it_cannot_canonicalise() -> None:
    obj = parse("route: 192.0.2.0/24 # ours\norigin: as1\n+ # origin continued\nmnt-by: A B\nsource: X")
    assert obj.render() == ("route:          192.0.2.0/24 # ours\norigin:         as1\n"
                            "+               # origin continued\nmnt-by:         A B\nsource:         X\n")


def test_rpki_ov_state_is_discarded() -> None:
    text = "route: 192.0.2.0/24\nrpki-ov-state: valid\n more\norigin: AS1\nsource: X"
    obj = parse(text)
    assert [a.name for a in obj.attributes] == ["route", "origin", "source"]
    assert obj.text == "route: 192.0.2.0/24\norigin: AS1\nsource: X\n"
    assert "rpki-ov-state" not in obj.render()


def test_index_data() -> None:
    obj = parse(render_pairs(minimal(SCHEMA["inetnum"])) + "mnt-lower: maint-b, maint-c\n"
                "last-modified: 2024-01-02T03:04:05Z\n")
    idx = obj.index()
    assert (idx.pk, idx.prefix, idx.prefix_length, idx.ip_version, idx.ip_first, idx.ip_last) == (
        "192.0.2.0 - 192.0.2.255", "192.0.2.0/24", 24, 4, "192.0.2.0", "192.0.2.255")
    assert idx.last_modified == "2024-01-02T03:04:05Z"
    assert "mnt-lower=MAINT-B" in idx.lookup_keys and "mnt-lower=MAINT-C" in idx.lookup_keys
    assert "netname=EXAMPLE-NET" in idx.lookup_keys
    person = parse(render_pairs(minimal(SCHEMA["person"]))).index()
    assert "person=NGUYEN VAN AN" in person.lookup_keys  # a name is one lookup key, not three
    route = parse(render_pairs(minimal(SCHEMA["route6"]))).index()
    assert (route.origin, route.ip_first, route.ip_last, route.prefix) == (
        65537, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32")
    asset = parse("as-set: AS-X\nmembers: as1, AS2.0, as-y:as-z\nsource: X").index()
    assert asset.members == ["AS1", "AS131072", "AS-Y:AS-Z"]
    block = parse(render_pairs(minimal(SCHEMA["as-block"]))).index()
    assert (block.asn_first, block.asn_last) == (65536, 65551)


# --------------------------------------------------------------- property: parse -> render -> parse

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SET_PREFIX_WORDS = tuple(SET_PREFIXES.values())


def _mixed_case(s: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(s, flips)))


_word = st.text(_ALNUM, min_size=1, max_size=8)
_asn = st.integers(0, 4294967295)


@st.composite
def _as_text(draw: st.DrawFn, n: int | None = None) -> str:
    n = draw(_asn) if n is None else n
    if n > 65535 and draw(st.booleans()):
        text = f"AS{n >> 16}.{n & 65535}"
    else:
        text = f"AS{'0' * draw(st.integers(0, 2))}{n}"
    return draw(_mixed_case(text))


@st.composite
def _object_name(draw: st.DrawFn, prefix: str = "MAINT-") -> str:
    name = draw(_mixed_case(prefix + draw(_word)))
    assume(name.upper() not in RESERVED_WORDS)  # EX + CEPT, AS- + ANY
    return name


@st.composite
def _set_name(draw: st.DrawFn, prefix: str) -> str:
    parts = [draw(_object_name(prefix))]
    if draw(st.booleans()):
        parts.insert(0, draw(_as_text()))
    return ":".join(parts)


@st.composite
def _prefix(draw: st.DrawFn, version: int) -> str:
    bits = 32 if version == 4 else 128
    length = draw(st.integers(0, bits))
    first = draw(st.integers(0, (1 << bits) - 1)) >> (bits - length) << (bits - length)
    if version == 4:
        return f"{first >> 24}.{first >> 16 & 255}.{first >> 8 & 255}.{first & 255}/{length}"
    import ipaddress
    address = ipaddress.IPv6Address(first)
    text = draw(st.sampled_from([address.compressed, address.exploded, address.compressed.upper()]))
    return f"{text}/{length}"


@st.composite
def _inetnum(draw: st.DrawFn) -> str:
    a, b = sorted(draw(st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2)))
    dash = draw(st.sampled_from(["-", " - ", "  -   ", "\t-\t"]))
    return f"{_v4(a)}{dash}{_v4(b)}"


def _v4(n: int) -> str:
    return f"{n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


_free_piece = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="#"),
                      max_size=20)

VALUES = {
    "as_name": _object_name("EX-"), "as_number": _as_text(),
    "as_range": st.lists(_asn, min_size=2, max_size=2).map(sorted).flatmap(
        lambda r: st.tuples(_as_text(r[0]), _as_text(r[1]), st.sampled_from(["-", " - ", "  -  "]))).map(
        lambda t: f"{t[0]}{t[2]}{t[1]}"),
    "as_set_name": _set_name("AS-"), "route_set_name": _set_name("RS-"), "rtr_set_name": _set_name("RTRS-"),
    "filter_set_name": _set_name("FLTR-"), "peering_set_name": _set_name("PRNG-"),
    "auth": st.just(BCRYPT), "certif": st.just("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
    "country": st.sampled_from(sorted(COUNTRY_CODES)).flatmap(_mixed_case),
    "dns_name": st.lists(_word, min_size=1, max_size=4).map(".".join),
    "domain_name": st.lists(st.integers(0, 255), min_size=1, max_size=3).map(
        lambda o: ".".join(map(str, o)) + ".in-addr.arpa"),
    "email": st.tuples(_word, _word).map(lambda t: f"{t[0]}@{t[1]}.example"),
    "free": _free_piece,
    "ifaddr": st.just("192.0.2.1 masklen 30"),
    "inet_status": st.sampled_from(sorted(INET_STATUSES)),
    "inetnum": _inetnum(),
    "irt_name": _object_name("IRT-"), "key_cert_name": st.text("0123456789ABCDEF", min_size=8, max_size=8).map(
        lambda h: f"PGPKEY-{h}"),
    "netname": _object_name("NET-"), "nic_handle": _object_name("EX"), "object_name": _object_name(),
    "org_name": _free_piece.filter(str.strip), "org_type": st.sampled_from(["LIR", "NIR", "OTHER"]),
    "person_name": _free_piece.filter(str.strip),
    "phone": st.integers(10**6, 10**12).map(lambda n: f"+{n}"),
    "prefix4": _prefix(4), "prefix6": _prefix(6),
    "source": _object_name("SRC"),
}


@st.composite
def generated_objects(draw: st.DrawFn, cls: ObjectClass | None = None) -> str:
    """An object of a class (random if not given): its mandatory attributes (and a few optional
    free-text ones) with valid values, names in random case, random spacing, continuation lines
    in free text."""
    cls = cls or draw(st.sampled_from(CLASSES))
    attrs = [a for a in cls.attributes if a.mandatory and not a.generated]
    extra = [a for a in cls.attributes if a.name == "remarks"]
    attrs += draw(st.lists(st.sampled_from(extra), max_size=2)) if extra else []
    lines = []
    for a in attrs:
        name = draw(_mixed_case(a.name))
        space = draw(st.sampled_from(["", " ", "  ", "\t", " " * (PAD - len(a.name) - 1)]))
        if a.syntax == "free":
            first = draw(_free_piece)
            lines.append(f"{name}:{space}{first}".rstrip() if first.strip() else f"{name}:")
            for piece in draw(st.lists(_free_piece, max_size=3)):
                char = draw(st.sampled_from([" ", "\t", "+"]))
                pad = draw(st.sampled_from(["", " ", "   "]))
                lines.append(f"{char}{pad}{piece}" if char == "+" or piece.strip() else "+")
        else:
            value = draw(VALUES[a.syntax])
            if a.list and draw(st.booleans()):
                value = f"{value}, {draw(VALUES[a.syntax])}"
            lines.append(f"{name}:{space}{value}")
    return "\n".join(lines)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parse_render_parse_is_stable(cls: ObjectClass, data: st.DataObject) -> None:
    text = data.draw(generated_objects(cls))
    first = parse(text, strict=True)
    assert first.object_class == cls.name
    assert first.errors == [], (text, first.errors)
    rendered = first.render()
    second = parse(rendered, strict=True)
    assert second.errors == []
    assert second.render() == rendered
    assert (second.object_class, second.pk, second.source) == (first.object_class, first.pk, first.source)
    assert second.index() == first.index()
    for line in rendered.rstrip("\n").split("\n"):
        if line[0] in " \t+":
            assert line == "+" or (len(line) > PAD and line[1:PAD] == " " * (PAD - 1) and line[PAD] != " ")
        else:
            name, _, value = line.partition(":")
            assert name == name.lower()
            assert value == "" or (len(name) + 1 < PAD and line[PAD - 1] == " " and line[PAD] != " ")
    # The stored text: names lower-cased, otherwise as written, and stable.
    stored = parse(first.text, strict=True)
    assert stored.text == first.text
    assert stored.index() == first.index() and stored.pk == first.pk
    assert [line.partition(":")[2] for line in first.text.split("\n")] == [
        line.partition(":")[2] for line in text.split("\n") + [""]]


@given(st.sampled_from(CLASSES), st.data())
@settings(max_examples=300, deadline=None)
def test_strict_validation_never_raises(cls: ObjectClass, data: st.DataObject) -> None:
    """Any value in any attribute: problems come back as errors, never as exceptions."""
    pairs = minimal(cls)
    attribute = data.draw(st.sampled_from(cls.attributes))
    value = data.draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                              max_size=40))
    pairs.insert(data.draw(st.integers(1, len(pairs))), (attribute.name, value))
    obj = parse(render_pairs(pairs), strict=True)
    assert all(isinstance(e, RPSLError) and e.message for e in obj.errors)
    obj.render()
    if not obj.errors:
        obj.index()
