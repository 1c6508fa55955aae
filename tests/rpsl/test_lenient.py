"""Tests for rpsl.lenient: the bulk-load fast path for mirrored data.

lenient.load must give exactly what lenient.from_object(objects.parse(text, strict=False)) gives,
and lenient mode may reject an object only for its keys, its source or a malformed paragraph,
never for the value of another attribute (IRRd non-strict mode, spec rpsl.md section 9).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpsl import lenient, objects
from rpsl.lenient import Loaded, from_object, load
from rpsl.reader import iter_paragraphs
from rpsl.schema import SCHEMA
from tests.conftest import REAL, generate_dump
from tests.rpsl.test_objects import generated_objects

DEMO = Path(__file__).resolve().parents[2] / "irr" / "demo" / "demo.db"
REAL_FILES = sorted(REAL.glob("*.db"))

# Objects accepted in lenient mode, per file and class. Cross-checked in test_counts_per_class
# against the class lines of the file (accepted + rejected = paragraphs of that class).
EXPECTED_COUNTS: dict[str, dict[str, int]] = {
    "apnicnet-whois-TEST.db": {
        "as-block": 1, "as-set": 1, "aut-num": 34, "domain": 3, "inet6num": 32, "inetnum": 36, "key-cert": 1,
        "mntner": 40, "organisation": 33, "person": 37, "role": 1, "route": 1},
    "apnicnet-whois-apnic-spec-fixtures.db": {
        "as-block": 2, "aut-num": 4, "domain": 8, "inet6num": 3, "inetnum": 5, "irt": 1, "key-cert": 2,
        "mntner": 42, "organisation": 12, "person": 7, "role": 4, "route": 4},
    "apnicnet-whois-grs-afrinic.db": {"as-block": 3, "inetnum": 2},
    "apnicnet-whois-grs-apnic.db": {"as-block": 2},
    "apnicnet-whois-grs-jpirr.db": {"as-set": 1, "route": 1},
    "apnicnet-whois-grs-radb.db": {"aut-num": 1, "route": 1},
    "apnicnet-whois-grs-ripe.db": {"as-block": 2},
    "irrd-legacy-submit-example.db": {"route": 3},
    "irrd-rpsl-samples-MALFORMED.db": {"route": 2},
    "irrd-rpsl-samples.db": dict.fromkeys(SCHEMA, 1),
    "irrtoolset-private-irr-objects.db": {},
    "pytinyirrdbcache-radb.db": {"as-set": 2, "aut-num": 1, "mntner": 1, "route": 1, "route6": 1},
    "pytinyirrdbcache-ripe.db": {"as-block": 1, "as-set": 1, "route": 1, "route6": 1},
    "ripe-whois-spec-fixtures.db": {
        "as-block": 33, "as-set": 51, "aut-num": 187, "domain": 89, "filter-set": 32, "inet-rtr": 29,
        "inet6num": 225, "inetnum": 525, "irt": 24, "key-cert": 72, "mntner": 211, "organisation": 209,
        "peering-set": 22, "person": 177, "role": 72, "route": 97, "route-set": 31, "route6": 75, "rtr-set": 31},
    "rpsl-rs-misc.db": {"as-block": 1, "as-set": 1, "organisation": 1, "person": 3, "role": 1},
}

# Rejected objects: first line -> (class, attribute the error names, words of the message).
_PREFIX = "is not a valid IPv4 prefix"
_HOST_BITS = "host bits are set"
EXPECTED_REJECTED: dict[str, dict[int, tuple[str, str | None, str]]] = {
    "apnicnet-whois-grs-jpirr.db": {10: ("*xxset", "*xxset", "malformed attribute name")},
    "apnicnet-whois-grs-radb.db": {10: ("*xxte", "*xxte", "malformed attribute name")},
    "irrd-rpsl-samples-MALFORMED.db": {
        1: ("foo-block", None, "unknown object class 'foo-block'"),
        7: ("route", "source", "attribute 'source' is missing"),
        11: ("changed", None, "unknown object class 'changed'"),
        14: ("*xxte", "*xxte", "malformed attribute name"),
        20: ("route", "$$$-by", "malformed attribute name '$$$-by'"),
        37: ("route", "source", "attribute 'source' may appear only once"),
        44: ("route", "route", "not-a-prefix " + _PREFIX),
        50: ("route", "source", "+TEST$$$ is not a valid source name"),
        56: ("route", "source", "attribute 'source' is missing"),
        61: ("route", None, "line is neither an attribute (name: value) nor a continuation: 'or'"),
    },
    "irrtoolset-private-irr-objects.db": {
        1: ("peering-set", "source", "attribute 'source' is missing"),
        5: ("peering-set", "source", "attribute 'source' is missing"),
        9: ("aut-num", "source", "attribute 'source' is missing"),
    },
    "ripe-whois-spec-fixtures.db": {
        **dict.fromkeys((
            2536, 2557, 2567, 2691, 2790, 2854, 2865, 2901, 2911, 13595, 13633),
            ("inet6num", "inet6num", _HOST_BITS)),
        13947: ("inet6num", "inet6num", "is not a valid IPv6 prefix"),
        13957: ("inet6num", "inet6num", "2001:GHJ::/64 is not a valid IPv6 prefix"),
        3176: ("inetnum", "inetnum", _HOST_BITS),
        **dict.fromkeys((
            6257, 6268, 6278, 6289, 6299, 15640, 15716, 16453),
            ("inetnum", "inetnum", _PREFIX)),
        16229: ("inetnum", "inetnum", "first address is after the last"),
        16241: ("inetnum", "inetnum", "octets must be 0-255"),
        16276: ("inetnum", "inetnum", "is not an IPv4 address range"),
        5491: ("person", "nic-hdl", "primary key attribute 'nic-hdl' is missing"),
        5498: ("person", "nic-hdl", "primary key attribute 'nic-hdl' is empty"),
        13367: ("person", "nic-hdl", "primary key attribute 'nic-hdl' is empty"),
        **dict.fromkeys((
            5652, 5701, 5711, 5716, 5722, 5728, 23976, 23984),
            ("poetic-form", None, "unknown object class 'poetic-form'")),
        **dict.fromkeys((
            5658, 5667, 5676, 5686, 23992, 24005, 24019, 24032, 24045, 24059),
            ("poem", None, "unknown object class 'poem'")),
        6165: ("route6", "route6", _HOST_BITS),
        25186: ("route6", "route6", _HOST_BITS),
        **dict.fromkeys((
            6243, 6250, 6316, 6328, 6340, 6346, 6352, 6364, 6371, 6377, 6384, 6390, 6396, 6402, 6408, 6414,
            6420, 6426, 6433, 6454, 6461, 6482, 6495, 6502, 6508, 6514),
            ("route", "route", _PREFIX)),
        6520: ("route", "route", "primary key attribute 'route' is empty"),
        9441: ("as-block", "as-block", "'AS655' is not an AS range"),
        9472: ("as-block", "as-block", "'AS655 - AS-2' is not an AS range"),
        9487: ("as-block", "as-block", "'AS-1 - AS655' is not an AS range"),
        9532: ("as-block", "as-block", "first is above last"),
        9803: ("as-set", "as-set", "AS7777777234 is out of range"),
        10404: ("aut-num", "aut-num", "'AS0 - AS1' is not an AS number"),
        10419: ("aut-num", "aut-num", "'AS-1' is not an AS number"),
        10448: ("aut-num", "aut-num", "AS4294967299 is out of range"),
        19095: ("key-cert", "key-cert", "AUTO2 is not a valid key-cert name"),
        19125: ("key-cert", "key-cert", "AUTO--3 is not a valid key-cert name"),
        19155: ("key-cert", "key-cert", "AUTO_4 is not a valid key-cert name"),
    },
}


def loaded(path: Path) -> list[Loaded]:
    """Every object of a file through the fast path; comment-only paragraphs left out."""
    return [obj for p in iter_paragraphs(path) if (obj := load(p.text, p.line)).object_class]


def class_lines(path: Path) -> Counter[str]:
    """Paragraphs per class, counted the dumb way: the first non-comment line of each paragraph."""
    counts: Counter[str] = Counter()
    for para in re.split(r"\n(?:[ \t]*\r?\n)*?\r?\n", path.read_text(errors="replace")):
        lines = [line for line in para.split("\n") if line.strip() and line[0] not in "#%"]
        if lines:
            counts[lines[0].split(":", 1)[0].strip().lower()] += 1
    return counts


def test_every_real_file_is_covered() -> None:
    assert {p.name for p in REAL_FILES} == set(EXPECTED_COUNTS)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_counts_per_class(path: Path) -> None:
    objs = loaded(path)
    accepted = Counter(o.object_class for o in objs if o.error is None)
    rejected = Counter(o.object_class for o in objs if o.error is not None)
    assert dict(accepted) == EXPECTED_COUNTS[path.name]
    # Plausibility: every paragraph with a class line is either loaded or rejected.
    assert accepted + rejected == class_lines(path)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_rejected_objects_and_why(path: Path) -> None:
    got = {o.line: o for o in loaded(path) if o.error is not None}
    expected = EXPECTED_REJECTED.get(path.name, {})
    assert sorted(got) == sorted(expected)
    for line, (cls, attribute, words) in expected.items():
        obj = got[line]
        assert (obj.object_class, obj.error.attribute) == (cls, attribute), line
        assert words in obj.error.message, (line, obj.error)
        assert obj.index is None and obj.text == ""


def _allowed_reason(obj: Loaded) -> bool:
    """Lenient mode rejects for keys, source, unknown classes and malformed paragraphs only."""
    schema = SCHEMA.get(obj.object_class)
    error = obj.error
    assert error is not None
    if schema is None:
        return obj.unknown_class or obj.object_class.startswith("*")
    if error.attribute in schema.key or error.attribute == "source":
        return True
    return error.attribute is None and error.message.startswith(("line is neither", "empty line", "continuation")) \
        or error.message.startswith("malformed attribute name")


@pytest.mark.parametrize("path", [*REAL_FILES, DEMO], ids=lambda p: p.name)
def test_lenient_rejects_only_for_keys_source_or_structure(path: Path) -> None:
    for obj in loaded(path):
        if obj.error is not None:
            assert _allowed_reason(obj), obj.error
        else:
            assert obj.index is not None and obj.pk == obj.index.pk and obj.text and obj.source


def test_non_key_values_never_reject() -> None:
    """Garbage in any attribute that is neither a key nor the source: loaded anyway."""
    tried = 0
    for p in iter_paragraphs(DEMO):
        obj = objects.parse(p.text, p.line)
        if not obj.object_class:
            continue
        lines = p.text.split("\n")
        for a in obj.attributes:
            if a.name in obj.schema.key or a.name == "source" or a.line == obj.line:
                continue
            for garbage in ("!!! not {valid} at all", "", "AS99999999999", "999.1.2.3/99", ",,,"):
                text = "\n".join(f"{a.name}: {garbage}" if n == a.line else line
                                 for n, line in enumerate(lines, p.line))
                got = load(text, p.line)
                assert got.error is None, (a.name, garbage, got.error)
                assert (got.object_class, got.pk) == (obj.object_class, obj.pk)
                assert_same(text, p.line)
                if garbage.startswith("!!!") and obj.schema[a.name].syntax not in ("free", "person_name",
                                                                                 "org_name", "nic_handle"):
                    assert objects.parse(text, p.line, strict=True).errors  # strict mode does refuse it
                tried += 1
    assert tried > 500


# ------------------------------------------------------------------------- fast path == full parser


def snapshot(obj: Loaded) -> tuple:
    idx = obj.index
    index = None if idx is None else tuple(getattr(idx, k) for k in idx.__slots__)
    return (obj.object_class, obj.pk, obj.text, obj.source, obj.line, obj.error is not None,
            obj.unknown_class, index)


def assert_same(text: str, line: int = 1) -> Loaded:
    fast = load(text, line)
    slow = from_object(objects.parse(text, line, strict=False))
    assert snapshot(fast) == snapshot(slow), text
    if fast.error is not None:
        assert fast.error == slow.error
    return fast


@pytest.mark.parametrize("path", [*REAL_FILES, DEMO], ids=lambda p: p.name)
def test_fast_path_equals_full_parser_on_real_data(path: Path) -> None:
    for p in iter_paragraphs(path):
        assert_same(p.text, p.line)


@pytest.fixture(scope="session")
def generated_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_dump(tmp_path_factory.mktemp("gen") / "seed7.db", 20000, 7, "--oddity-rate", "0.2")


def test_fast_path_equals_full_parser_on_generated_dump(generated_dump: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    slow_calls = []
    real_slow = lenient._slow
    monkeypatch.setattr(lenient, "_slow", lambda text, line: slow_calls.append(line) or real_slow(text, line))
    classes: Counter[str] = Counter()
    count = 0
    for p in iter_paragraphs(generated_dump):
        obj = assert_same(p.text, p.line)
        count += 1
        if obj.object_class:
            assert obj.error is None, obj.error
            classes[obj.object_class] += 1
    assert sum(classes.values()) == 20000 and count == 20001
    assert set(classes) == set(SCHEMA)
    # The oddities (comments, upper-case names, ...) take the full parser; most objects don't.
    assert 0.01 * count < len(slow_calls) < 0.15 * count


def test_clean_objects_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, line: int) -> Loaded:
        raise AssertionError(f"full parser used for {text[:40]!r}")

    monkeypatch.setattr(lenient, "_slow", fail)
    for p in iter_paragraphs(DEMO):
        if not p.text.startswith("#"):
            assert load(p.text, p.line).error is None


TRICKY = [
    "route: 192.0.2.0/24\norigin: AS1\nsource: TEST\nsource: TEST",
    "route: 192.0.2.0/24\norigin: AS1\nsource: +TEST$$",
    "route: 192.0.2.0/24\norigin: AS1\nsource:",
    "route: 192.0.2.0/24\norigin: AS1\nsource:   # Filtered",
    "route: 192.0.2.0/24\norigin: AS1\nsource: test # Filtered",
    "route: 192.0.2.0/24\norigin: AS1\nsource: apn\u0131c",
    "route: 192.0.2.0/24\norigin: AS1\nsource: R\n",
    "route: 192.0.2.0/24\norigin: AS1\nSOURCE: TEST",
    "Route: 192.0.2.0/24\norigin: AS1\nsource: TEST",
    "route: 192.0.2.0/24\norigin: AS1\nsource: TEST\n",
    "route: 192.0.2.0/24\norigin: AS1\nsource: TEST\n   ",
    "route: 192.0.2.0/24\r\norigin: AS1\r\nsource: TEST\r\n",
    "route: 192.0.2.0/24\norigin: AS1\n\nsource: TEST",
    "\nroute: 192.0.2.0/24\norigin: AS1\nsource: TEST",
    "  \nroute: 192.0.2.0/24\norigin: AS1\nsource: TEST",
    "route: 192.0.2.0/24\n# comment\norigin: AS1\nsource: TEST",
    "route: 192.0.2.0/24 # c\norigin: as1 # c\n+ # only a comment\nsource: TEST",
    "route: 192.0.2.0/24\nroute: 198.51.100.0/24\norigin: AS1\norigin: AS2\nsource: TEST",
    "route: 192.0.2.0/24\nrpki-ov-state: valid\norigin: AS1\nsource: TEST",
    "route: 192.0.2.0/24\norigin: AS1.1\nmember-of: rs-a,\tRS-B , as1.2:rs-c\nsource: TEST",
    "route: 192.0.2.1/24\norigin: AS1\nsource: TEST",
    "route: 192.0.2.0/24\norigin: AS4294967296\nsource: TEST",
    "route: 192.0.2.0/24\nsource: TEST",
    "route6: 2001:DB8::/32\norigin: AS1\nholes: 2001:db8::/48\nsource: TEST",
    "route6: 2001:db8::1/32\norigin: AS1\nsource: TEST",
    "route6: 1:2:3:4:5:6:7::/64\norigin: AS1\nsource: TEST",
    "inetnum: 192.0.2.0 -\n+ 192.0.2.255\nnetname: X\nsource: TEST",
    "inetnum: 192.0.2.0/23\nsource: TEST",
    "inetnum: 192.0.2.7\nsource: TEST",
    "inetnum: 192.0.2.0 - 192.0.1.0\nsource: TEST",
    "inet6num: 2001:db8::/32\nmnt-routes: MAINT-A { 2001:db8::/48^+ }\nsource: TEST",
    "aut-num: as065537\nmember-of: AS-A AS-B\nmnt-by:\tA B\nimport: from AS1 accept ANY\nsource: TEST",
    "aut-num: AS1.1\nsource: TEST",
    "as-block: as1-as2\nsource: TEST",
    "as-set: AS1.2:as-x\nmembers: AS1, as2.3,\n  AS-Y:AS-Z , AS-W\nmbrs-by-ref: ANY\nsource: TEST",
    "as-set: AS-X:\nsource: TEST",
    "route-set: RS-X\nmembers: 192.0.2.0/24^+, AS1, rs-y^24-32\nmp-members: 2001:DB8::/32^48\nsource: TEST",
    "rtr-set: RTRS-X\nmembers: rtr1.example.net, 192.0.2.1\nmp-members: 2001:db8::1\nsource: TEST",
    "person: John  Smith\nnic-hdl: js1-test\ne-mail: John@Example.NET\nsource: TEST",
    "person: John Smith\nnic-hdl: AS1.2\nsource: TEST",
    "person: John Smith\nnic-hdl:\nsource: TEST",
    "role: Nguyễn Văn An\nnic-hdl: nva1-ap\nabuse-mailbox: abuse@example.vn\nsource: TEST",
    "organisation: ORG-X1-AP\norg-name: Công ty TNHH\norg: ORG-Y1-AP\nsource: TEST",
    "mntner: MAINT-A\tB\nsource: TEST",
    "mntner: 1MAINT\nsource: TEST",
    "mntner:\nsource: TEST",
    "mntner: maint-a\nauth: PGPKEY-1234abcd\nauth: MD5-PW $1$x$y\nupd-to: a@b\nsource: TEST",
    "mntner: maint-a\nauth: PGPKEY-1234abcd\nreferral-by: maint-b\nmnt-by: maint-a,\n+maint-c\nsource: TEST",
    "key-cert: PGPKEY-1234abcd\nfingerpr: 1234 5678 9ABC DEF0 1234  5678 9ABC DEF0 1234 5678\nsource: TEST",
    "key-cert: AUTO-1\nsource: TEST",
    "irt: IRT-X\nirt-nfy: a@b\nsource: TEST",
    "inet-rtr: RTR1.Example.NET.\nlocal-as: AS1\nifaddr: 192.0.2.1 masklen 30\nsource: TEST",
    "domain: 2.0.192.IN-ADDR.ARPA.\nnserver: NS1.Example.NET. 192.0.2.53\nzone-c: ZC1-AP\nsource: TEST",
    "domain: .193.in-addr.arpa\nsource: TEST",
    "filter-set: fltr-x\nfilter: AS1\nsource: TEST",
    "peering-set: prng-x\npeering: AS1\nsource: TEST",
    "limerick: LIM-ONE\ntext: There once was a router\nsource: APNIC",
    "*xxte: 64.203.254.0/24\ndescr: x\norigin: AS1\nsource: RADB",
    "*xxte: 64.203.254.0/24\nroute: 64.203.254.0/24\norigin: AS1\nsource: RADB",
    "# only a comment\n% and another",
    "ADD 1",
    "mntner MAINT-A\nsource: TEST",
    "+ mntner: MAINT-A\nsource: TEST",
    "mntner: MAINT-A\nbad name: x\nsource: TEST",
    "mntner: MAINT-A\nsource: TEST\nnot an attribute",
    "descr: x\nsource: TEST",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_path_equals_full_parser_on_tricky_objects(text: str) -> None:
    assert_same(text, 7)


def test_unknown_and_legacy_classes() -> None:
    limerick = load("limerick: LIM-ONE\ntext: There once was a router\nsource: APNIC", 4)
    assert (limerick.object_class, limerick.unknown_class, limerick.line) == ("limerick", True, 4)
    assert limerick.error is not None and "unknown object class 'limerick'" in limerick.error.message
    legacy = load("*xxte: 64.203.254.0/24\ndescr: x\norigin: AS1\nsource: RADB", 9)
    assert (legacy.object_class, legacy.unknown_class, legacy.line) == ("*xxte", False, 9)
    assert legacy.error is not None and legacy.index is None
    comment = load("# EOF", 30)
    assert (comment.object_class, comment.unknown_class, comment.line) == ("", False, 30)
    assert comment.error is not None


def test_name_keys_are_checked_as_irrd_does() -> None:
    # IRRd non-strict: names keep their shape rules (RFC 2622: a one-letter name is one, though
    # IRRd refuses it), nic-hdl and domain keys take any text.
    assert load("mntner: M-\nsource: TEST").error.message.startswith("M- is not a valid object name")
    assert load("mntner: M\nsource: TEST").pk == "M"
    assert load("as-set: AS-A:AS-\nsource: TEST").error.attribute == "as-set"
    assert load("as-set: FOO\nsource: TEST").pk == "FOO"  # no set prefix needed when mirroring
    assert load("mntner: AND\nsource: TEST").pk == "AND"  # nor reserved-word checks
    assert load("person: X Y\nnic-hdl: any thing!\nsource: TEST").pk == "ANY THING!"
    assert load("domain: 0/26.2.0.192.in-addr.arpa.\nsource: TEST").pk == "0/26.2.0.192.IN-ADDR.ARPA"
    assert load("inet-rtr: rtr1.example.net.\nsource: TEST").pk == "RTR1.EXAMPLE.NET"
    assert load("inet-rtr: rtr_1.example.net\nsource: TEST").error.attribute == "inet-rtr"


def test_loaded_fields() -> None:
    text = ("route:          192.0.2.0/24\ndescr:          x\norigin:         as65537\n"
            "member-of:      rs-a, AS1:RS-B\nmnt-by:         MAINT-A\nlast-modified:  2024-01-01T00:00:00Z\n"
            "source:         apnic # Filtered")
    obj = load(text, 12)
    assert obj.error is None
    assert (obj.object_class, obj.pk, obj.source, obj.line, obj.text) == (
        "route", "192.0.2.0/24AS65537", "APNIC", 12, text + "\n")
    idx = obj.index
    assert (idx.pk, idx.prefix, idx.prefix_length, idx.ip_version, idx.ip_first, idx.ip_last, idx.origin) == (
        "192.0.2.0/24AS65537", "192.0.2.0/24", 24, 4, "192.0.2.0", "192.0.2.255", 65537)
    assert idx.lookup_keys == ["member-of=RS-A", "member-of=AS1:RS-B", "mnt-by=MAINT-A"]
    assert idx.last_modified == "2024-01-01T00:00:00Z"


# Lines a mirror may hand us, mixed into generated objects.
_ODD_LINES = st.sampled_from([
    "# comment", "% comment", "", "   ", "\t", "+", "source: OTHER", "source: +BAD", "x-unknown: 1",
    "Mnt-By: MAINT-X", "rpki-ov-state: valid", "remarks: a # b", "not an attribute", "*xxte: x",
    "origin: AS99", "members: AS1, AS2", "nic-hdl: ZZ1-AP", "source:", "last-modified: 2024-01-01T00:00:00Z",
])


@given(generated_objects(), st.lists(st.tuples(st.integers(0, 30), _ODD_LINES), max_size=4),
       st.booleans())
@settings(max_examples=300, deadline=None)
def test_fast_path_equals_full_parser_on_generated_objects(text: str, insertions: list[tuple[int, str]],
                                                          crlf: bool) -> None:
    lines = text.split("\n")
    for position, odd in insertions:
        lines.insert(position % (len(lines) + 1), odd)
    text = ("\r\n" if crlf else "\n").join(lines)
    assert_same(text, 3)
    if not insertions and not crlf:
        assert load(text).error is None


@given(st.lists(st.sampled_from([
    "route:", "route6:", "inetnum:", "mntner:", "as-set:", "person:", "nic-hdl:", "origin:", "source:",
    "members:", "mnt-by:", "admin-c:", " ", "\t", "+", "#", "%", "\n", "\r\n", "192.0.2.0/24", "2001:db8::/32",
    "AS1", "as1.2", "-", ",", ":", "TEST", "MAINT-X", "AS-X", "x", "\u0131", "\x00", "é",
]), max_size=30).map("".join))
@settings(max_examples=500, deadline=None)
def test_fast_path_equals_full_parser_on_any_text(text: str) -> None:
    assert_same(text, 2)


def test_names_are_indexed_with_blanks_collapsed_on_both_paths():
    """Two spaces, a tab or a continuation line inside a name do not hide it from name searches."""
    from rpsl.objects import parse

    text = ("person:  Nguyen  Van\tAn\n+        Junior\nnic-hdl: NVA9-VN\n"
            "e-mail: an@vnnic.vn\nsource: VNNIC\n")
    fast = load(text).index.lookup_keys
    full = parse(text).index().lookup_keys
    assert "person=NGUYEN VAN AN JUNIOR" in fast
    assert sorted(fast) == sorted(full)
