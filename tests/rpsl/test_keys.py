"""Tests for rpsl.keys: the hot-path normalisers must agree with the reference syntaxes in
rpsl.syntax (grammars/values.lark) on valid input, and refuse the same invalid input."""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rpsl import keys, syntax
from rpsl.errors import ValueSyntaxError
from rpsl.objects import _CANONICAL, _strictly_canonical, parse
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL, generate_dump

MAX_ASN = 4294967295


def outcome(fn: Callable[[], object]) -> object:
    """The result of fn(), or the exception class it raised (ValueSyntaxError only)."""
    try:
        return fn()
    except ValueSyntaxError:
        return ValueSyntaxError


def agree(fast: Callable[[str], str], syntax_name: str, value: str, *, strict: bool = True) -> object:
    """keys and rpsl.syntax give the same canonical text, or both refuse the value."""
    got = outcome(lambda: fast(value))
    expected = outcome(lambda: syntax.normalise(syntax_name, value, strict=strict))
    assert got == expected, (syntax_name, value)
    return got


def _case(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(text, flips)))


@st.composite
def as_texts(draw: st.DrawFn, low: int = 0, high: int = MAX_ASN) -> str:
    n = draw(st.integers(low, high))
    if n > 65535 and draw(st.booleans()):
        text = f"AS{n >> 16}.{'0' * draw(st.integers(0, 2))}{n & 65535}"
    else:
        text = f"AS{'0' * draw(st.integers(0, 3))}{n}"
    return draw(_case(text))


def _v4(n: int) -> str:
    return f"{n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


@st.composite
def prefixes(draw: st.DrawFn, version: int, host_bits: bool = False) -> str:
    bits = 32 if version == 4 else 128
    length = draw(st.integers(0, bits))
    first = draw(st.integers(0, (1 << bits) - 1))
    if not host_bits:
        first = first >> (bits - length) << (bits - length)
    if version == 4:
        return f"{_v4(first)}/{length}"
    address = ipaddress.IPv6Address(first)
    text = draw(st.sampled_from([address.compressed, address.exploded, address.compressed.upper(),
                                 address.exploded.upper()]))
    return f"{text}/{length}"


# ------------------------------------------------------------------------------------ AS numbers


@given(as_texts())
@example("AS0")
@example("as4294967295")
@example("AS65535.65535")
@example("AS0.0")
@example("AS000001")
def test_as_number_valid(value: str) -> None:
    assert agree(lambda v: f"AS{keys.as_number(v)}", "as_number", value) != ValueSyntaxError


@given(st.text("ASas0123456789.:- _", max_size=14))
@example("AS4294967296")
@example("AS65536.0")
@example("AS1.65536")
@example("AS")
@example("AS1.")
@example("AS.1")
@example("AS-1")
@example("AS1 2")
@example("AS１")
@example("AS١")
@example("ASN1")
@example("AS 1")
@example("")
def test_as_number_agrees_on_any_text(value: str) -> None:
    agree(lambda v: f"AS{keys.as_number(v)}", "as_number", value)


def test_as_number_rejects() -> None:
    for bad in ("AS4294967296", "AS65536.1", "AS1.65536", "AS١", "AS-1", "1", "AS1:AS2"):
        with pytest.raises(ValueSyntaxError):
            keys.as_number(bad)
    assert keys.as_number("as065537") == keys.as_number("AS1.1") == 65537


@given(st.lists(st.integers(0, MAX_ASN), min_size=2, max_size=2), st.sampled_from(["-", " - ", "\t-  "]),
       st.data())
def test_as_range(bounds: list[int], dash: str, data: st.DataObject) -> None:
    low, high = bounds
    value = f"{data.draw(as_texts(low, low))}{dash}{data.draw(as_texts(high, high))}"
    got = agree(lambda v: keys.as_range(v)[2], "as_range", value)
    assert (got == ValueSyntaxError) == (low > high)
    if low <= high:
        assert keys.as_range(value)[:2] == (low, high)


@given(st.text("ASas0123456789.- ", max_size=20))
@example("AS1-AS2")
@example("AS2 - AS1")
@example("AS1 -- AS2")
@example("AS1-")
@example("AS1.2.3 - AS4")
def test_as_range_agrees_on_any_text(value: str) -> None:
    agree(lambda v: keys.as_range(v)[2], "as_range", value)


# ------------------------------------------------------------------------------------ prefixes


@given(prefixes(4))
@example("0.0.0.0/0")
@example("255.255.255.255/32")
@example("010.001.0.0/16")
def test_prefix4_valid(value: str) -> None:
    assert agree(lambda v: keys.prefix(v, 4)[3], "prefix4", value) != ValueSyntaxError
    assert keys.prefix(value)[0] == 4


@given(prefixes(6))
@example("::/0")
@example("2001:DB8::/32")
@example("::ffff:192.0.2.0/120")
@example("2001:db8:0:0:0:0:0:0/128")
def test_prefix6_valid(value: str) -> None:
    assert agree(lambda v: keys.prefix(v, 6)[3], "prefix6", value) != ValueSyntaxError
    assert keys.prefix(value)[0] == 6


@given(st.one_of(prefixes(4, host_bits=True), st.text("0123456789./ ", max_size=20)))
@example("192.0.2.1/24")
@example("256.0.0.0/8")
@example("1.2.3.4/33")
@example("1.2.3/24")
@example("1.2.3.4")
@example("1.2.3.4/")
@example("1.2.3.4/08")
@example("1.2.3.4 /32")
@example("1.2.3.4/320")
def test_prefix4_agrees_on_any_text(value: str) -> None:
    agree(lambda v: keys.prefix(v, 4)[3], "prefix4", value)


@given(st.one_of(prefixes(6, host_bits=True), st.text("0123456789abcdefABCDEFg:./ ", max_size=24)))
@example("2001:db8::1/32")
@example("2001:db8::/129")
@example("2001:db8:::/32")
@example("1:2:3:4:5:6:7::/64")
@example("::ffff:1.2.3.4/128")
@example("::ffff:1.2.3.256/128")
@example("2001:db8::/0032")
@example("::/")
@example("1::2:3:4:5:6:7:8/128")
@example("12345::/16")
@example("2001:db8::%1/64")
@example("1.2.3.4/32")
def test_prefix6_agrees_on_any_text(value: str) -> None:
    agree(lambda v: keys.prefix(v, 6)[3], "prefix6", value)


def test_prefix_rejects() -> None:
    for bad, version in (("192.0.2.1/24", 4), ("256.1.1.0/24", 4), ("1.2.3.0/33", 4), ("2001:db8::1/32", 6),
                         ("2001:db8::/129", 6), ("192.0.2.0/24", 6), ("2001:db8::/32", 4), ("1.2.3.0/24 x", None)):
        with pytest.raises(ValueSyntaxError):
            keys.prefix(bad, version)


# ------------------------------------------------------------------------------------ inetnum


@given(st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2), st.sampled_from(["-", " - ", "\t- \t"]))
def test_inetnum_ranges(bounds: list[int], dash: str) -> None:
    low, high = bounds
    value = f"{_v4(low)}{dash}{_v4(high)}"
    got = agree(lambda v: keys.inetnum(v)[2], "inetnum", value)
    assert (got == ValueSyntaxError) == (low > high)
    if low <= high:
        assert keys.inetnum(value) == (low, high, f"{_v4(low)} - {_v4(high)}")


@given(st.one_of(prefixes(4, host_bits=True), st.integers(0, 2**32 - 1).map(_v4),
                 st.text("0123456789.-/ \t", max_size=33)))
@example("192.0.2.0 - 192.0.2.256")
@example("192.0.2.255 - 192.0.2.0")
@example("192.0.2.0/25")
@example("1.2.3.4")
@example("192.0.2.0 192.0.2.255")
@example("192.0.2.0 - ")
@example("192.0.2.1/24")
@example("192.0.2/24")
def test_inetnum_agrees_on_any_text(value: str) -> None:
    agree(lambda v: keys.inetnum(v)[2], "inetnum", value)


def test_covering_prefix_and_last_address() -> None:
    first, last, _ = keys.inetnum("192.0.2.0 - 192.0.3.255")
    assert keys.covering_prefix(4, first, last) == (first, 23)
    assert keys.last_address(4, first, 23) == last
    assert keys.covering_prefix(4, 0, 2**32 - 1) == (0, 0)
    _, first6, length, _ = keys.prefix("2001:db8::/32")
    assert keys.covering_prefix(6, first6, keys.last_address(6, first6, length)) == (first6, 32)


# ------------------------------------------------------------------------------------ names

SET_SYNTAXES = {"as_set_name": "AS-", "route_set_name": "RS-", "rtr_set_name": "RTRS-",
                "filter_set_name": "FLTR-", "peering_set_name": "PRNG-"}
_word = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


@st.composite
def set_names(draw: st.DrawFn, prefix: str) -> str:
    """A valid (strict) set name: optional AS-number components around a prefixed name."""
    name = draw(_case(prefix + draw(_word)))
    before = draw(st.lists(as_texts(), max_size=2))
    after = draw(st.lists(st.one_of(as_texts(), _word.map(lambda w: prefix + w)), max_size=2))
    return ":".join([*before, name, *after])


@given(st.sampled_from(sorted(SET_SYNTAXES)), st.data())
def test_set_names_valid(syntax_name: str, data: st.DataObject) -> None:
    value = data.draw(set_names(SET_SYNTAXES[syntax_name]))
    canonical = agree(keys.name, syntax_name, value)
    assert canonical != ValueSyntaxError
    assert agree(lambda v: keys.checked_name(v, syntax_name), syntax_name, value, strict=False) == canonical


@given(st.sampled_from(["object_name", "nic_handle", "irt_name"]), _word, st.data())
def test_object_names_valid(syntax_name: str, word: str, data: st.DataObject) -> None:
    prefix = {"object_name": "MAINT-", "nic_handle": "EX", "irt_name": "IRT-"}[syntax_name]
    value = data.draw(_case(prefix + word + data.draw(st.sampled_from(["", "-AP", "_X1"]))))
    canonical = agree(keys.name, syntax_name, value)
    assert canonical == value.upper()
    assert agree(lambda v: keys.checked_name(v, syntax_name), syntax_name, value, strict=False) == canonical


KEY_SYNTAXES = ["object_name", "irt_name", "nic_handle", "key_cert_name", "source", "dns_name", "domain_name",
                *sorted(SET_SYNTAXES)]


@given(st.sampled_from(KEY_SYNTAXES), st.text("ASRTasrt-_:.019Pp KXYZ", min_size=1, max_size=14))
@example("as_set_name", "AS1:AS2:AS3:AS4:AS5:AS-X")
@example("as_set_name", "AS1:")
@example("as_set_name", "A")
@example("as_set_name", "AS4294967296:AS-X")
@example("as_set_name", "AS-X-")
@example("as_set_name", "AS1.2")
@example("object_name", "A")
@example("object_name", "A-")
@example("object_name", "1A")
@example("source", "A_B")
@example("key_cert_name", "PGPKEY-1234abcd")
@example("key_cert_name", "AUTO-1x")
@example("key_cert_name", "X509-a")
@example("key_cert_name", "AUTO2")
@example("dns_name", "a..b")
@example("dns_name", "A.B.")
@example("dns_name", "-a")
@example("domain_name", "2.0.192.IN-ADDR.ARPA.")
@example("nic_handle", "AB 1")
@example("rtr_set_name", "RTRS-")
@example("peering_set_name", "PeerAS:PRNG-X")
def test_checked_name_agrees_with_non_strict_syntax(syntax_name: str, value: str) -> None:
    """checked_name is how lenient mode checks name keys: exactly syntax's strict=False rules."""
    value = value.strip() or "x"
    agree(lambda v: keys.checked_name(v, syntax_name), syntax_name, value, strict=False)


def test_checked_name_covers_every_name_key() -> None:
    from rpsl.schema import CLASSES
    names = {c[k].syntax for c in CLASSES for k in c.key} - {"as_number", "as_range", "prefix4", "prefix6",
                                                              "inetnum"}
    assert names <= set(KEY_SYNTAXES)
    with pytest.raises(ValueError):
        keys.checked_name("x", "as_number")


def test_name_is_a_normaliser_for_references() -> None:
    # References are indexed, never refused: keys.name only upper-cases and writes asdot asplain.
    assert keys.name(" as1.2:as-foo ") == "AS65538:AS-FOO"
    assert keys.name("maint-x") == "MAINT-X"
    assert keys.name("not valid!") == "NOT VALID!"
    assert keys.tokens("a, b\tc,,d ") == ["a", "b", "c", "d"]
    assert keys.tokens("") == []


# ------------------------------------------------------------------------------------ real data

SYNTAX_OF = {"aut-num": "as_number", "origin": "as_number", "local-as": "as_number", "route": "prefix4",
             "route6": "prefix6", "inet6num": "prefix6", "inetnum": "inetnum", "as-block": "as_range"}
FAST = {
    "as_number": lambda v: f"AS{keys.as_number(v)}", "prefix4": lambda v: keys.prefix(v, 4)[3],
    "prefix6": lambda v: keys.prefix(v, 6)[3], "inetnum": lambda v: keys.inetnum(v)[2],
    "as_range": lambda v: keys.as_range(v)[2],
}


def test_agreement_on_real_values() -> None:
    checked = 0
    for path in sorted(REAL.glob("*.db")):
        for p in iter_paragraphs(path):
            obj = parse(p.text, p.line)
            for a in obj.attributes:
                name = SYNTAX_OF.get(a.name)
                if name and a.value:
                    agree(FAST[name], name, a.value)
                    checked += 1
            if obj.schema is not None and len(obj.schema.key) == 1:
                key = obj.schema.key[0]
                key_syntax = obj.schema[key].syntax
                if key_syntax not in FAST and obj.get(key) and obj.get(key)[0].value:
                    agree(lambda v, s=key_syntax: keys.checked_name(v, s), key_syntax, obj.get(key)[0].value,
                          strict=False)
                    checked += 1
    assert checked > 2500


def test_prefix_key_reads_canonical_text_fast_and_refuses_the_rest_as_prefix_does():
    for text in ("10.0.0.0/8", "0.0.0.0/0", "192.0.2.1/32", "2001:db8::/32", "::/0", "2001:DB8::/32"):
        assert keys.prefix_key(text) == keys.prefix(text)[:3]
    for bad in ("10.0.0.1/8", "10.0.0.0/33", "x", "10.0.0.0/+8", "2001:db8::/129"):
        with pytest.raises(ValueSyntaxError):
            keys.prefix_key(bad)


# ipv6 / v6_str: inet_pton and inet_ntop where they agree with ipaddress, ipaddress otherwise.

V6_TEXTS = ["::", "::1", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", "2001:DB8::",
            "2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:192.0.2.1", "::192.0.2.1", "64:ff9b::192.0.2.1",
            "1:0:0:1:0:0:0:1", "1:0:1:0:1:0:1:0", "fe80::1:0:0:0", "::ffff:0:0",
            # refused by both
            "1::2::3", ":1::", "1:::2", "12345::", "::1.2.3.04", "::1.2.3", "::256.1.1.1", "1:2:3:4:5:6:7:8:9",
            "g::", "", ":", "1:2:3:4:5:6:7", "::1.2.3.4:5"]


def _reference(text: str) -> object:
    try:
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        return ValueError


@pytest.mark.parametrize("text", V6_TEXTS)
def test_ipv6_reads_what_ipaddress_reads(text):
    try:
        got: object = keys.ipv6(text)
    except ValueError:
        got = ValueError
    assert got == _reference(text)


@given(st.integers(0, (1 << 128) - 1), st.integers(0, 7), st.integers(0, 8))
@example(0xFFFF_C000_0201, 0, 0)  # ::ffff:192.0.2.1, which inet_ntop writes with dots
@example(0xC000_0201, 0, 0)
def test_v6_text_is_ipaddress_text(n, start, zeros):
    # runs of zero groups at every place, where RFC 5952's "::" choices differ
    groups = [(n >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    for i in range(start, min(8, start + zeros)):
        groups[i] = 0
    n = sum(g << (112 - 16 * i) for i, g in enumerate(groups))
    assert keys.v6_str(n) == str(ipaddress.IPv6Address(n))
    assert keys.ipv6(keys.v6_str(n)) == n
    assert keys.prefix(f"{keys.v6_str(n)}/128")[3] == f"{ipaddress.IPv6Address(n)}/128"


def test_strict_parse_gives_the_primary_key_mirrored_data_gets(tmp_path):
    # strict parsing takes a key's canonical text from its strict check (rpsl.objects
    # _strictly_canonical); it must be the key rpsl.keys gives mirrored data
    odd = generate_dump(tmp_path / "odd.db", 6000, 7, "--oddity-rate", "0.05")
    checked = 0
    for path in [odd, *sorted(REAL.glob("*.db"))]:
        for p in iter_paragraphs(path):
            strict, lenient = parse(p.text, p.line, strict=True), parse(p.text, p.line, strict=False)
            if strict.schema is None or any(e.attribute in strict.schema.key for e in strict.errors):
                continue
            assert strict.pk == lenient.pk, (path.name, p.line)
            checked += 1
    assert checked > 6000


KEY_ALPHABET = "ASRTasrt-_:.0129Pp KXYZ/ ^+"


@given(st.sampled_from(sorted(set(KEY_SYNTAXES) - {"domain_name"} | set(FAST))),
       st.one_of(st.text(KEY_ALPHABET, min_size=1, max_size=16), st.text("0123456789abcdef:./- ", max_size=30),
                 as_texts(), prefixes(4, host_bits=True), prefixes(6, host_bits=True)))
@example("as_set_name", "AS1.2:AS-FOO")
@example("as_set_name", "as1.2:as-foo:AS3")
@example("prefix6", "2001:DB8::/32")
@example("prefix6", "::ffff:192.0.2.0/120")
@example("inetnum", "192.0.2.0/24")
@example("inetnum", "192.0.2.1")
@example("as_number", "AS1.2")
@example("as_number", "as010")
def test_a_strictly_valid_key_has_the_key_mirrored_data_gets(syntax_name: str, value: str) -> None:
    # a submission's primary key comes from its strict check (rpsl.objects._strictly_canonical):
    # were it another text than rpsl.keys gives the same value, one object could be stored twice
    # under two keys (and the second escape the first one's maintainers)
    value = value.strip() or "x"
    canonical = _strictly_canonical(syntax_name, value)
    if canonical is not None:
        assert canonical == _CANONICAL[syntax_name](value).upper()
