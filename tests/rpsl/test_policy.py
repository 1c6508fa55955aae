"""Tests for rpsl.policy: the RPSL / RPSLng policy grammar (grammars/policy.lark)."""
from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token, Tree
from lark import logger as lark_logger

from rpsl import policy
from rpsl.errors import ValueSyntaxError
from rpsl.policy import POLICY_SYNTAXES, parse, referenced_names
from tests.conftest import REAL, generate_dump

POLICY_ATTRIBUTES = frozenset(name.replace("_", "-") for name in POLICY_SYNTAXES)


def policy_values(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, attribute, value) of every policy attribute in an RPSL file.

    Objects are separated by empty lines; '#' / '%' lines at column 0 are comments; a line
    starting with space, tab or '+' continues the previous attribute (a blank-looking line of
    spaces is a continuation too); '#' starts an end-of-line comment. Continuations are joined
    with single spaces, as the object reader does before handing values to the parser.
    """
    current: tuple[int, str, list[str]] | None = None

    def value_of(item: tuple[int, str, list[str]]) -> tuple[int, str, str]:
        line, attr, pieces = item
        return line, attr, " ".join(p for p in pieces if p)

    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            if line[:1] in ("#", "%"):
                continue
            if line[:1] in (" ", "\t", "+"):
                if current is not None:
                    current[2].append(line[1:].split("#", 1)[0].strip())
                continue
            if current is not None:
                yield value_of(current)
                current = None
            name, colon, rest = line.partition(":")
            if colon and name.lower() in POLICY_ATTRIBUTES:
                current = (number, name.lower(), [rest.split("#", 1)[0].strip()])
    if current is not None:
        yield value_of(current)


def shape(node: Tree | Token) -> object:
    """A tree with token values lower-cased, to compare parses that differ only in case."""
    if isinstance(node, Token):
        return (node.type, node.value.lower())
    return (node.data, [shape(child) for child in node.children])


# ================================================================================ real data

# Values in the real data that are invalid per RFC 2622 / RFC 4012 (most are negative tests of the
# RIPE NCC whois server; the APNIC training database has three typos). A text starting with "*"
# matches any value containing the rest. Each entry must still be present and still fail.
R_COMMUNITY = "community outside RFC 1997 ranges (a:b needs 16-bit halves; one integer is 32-bit)"
R_NEGATIVE = "community with a negative number"
R_ASN = "AS number above 4294967295 (32-bit AS numbers, RFC 6793)"
R_NOT_FILTER = "a bare number is not a filter (the 'AS' of an AS number is missing)"
R_EMPTY_FILTER = "accept without a filter"
R_DIRECTION = "import needs from/accept, export needs to/announce"
R_VIA = "export-via needs the intermediate peering before 'to'"
R_FILTER_NAME = "FRED is neither a keyword nor a set name (filter-set names start with FLTR-)"
R_PEERING_FILTER = "a filter is not a peering"
R_REGEX_CHAR = "'@' is not an AS-path regular expression operator"
R_COMMA = "prefix ranges in { } must be separated by commas"
R_EMPTY_ACTION = "'action' without any rp-attribute"
R_MASKLEN = "IPv6 masklen above 128"
R_PEERAS = "asno() takes an AS number or PeerAS, not PeerAS_"
R_PROTOCOL = "mp-peer starts with a protocol name"
R_GARBAGE = "'@%' after an AS number"
R_ROUTER = "not an IPv4 address and not a DNS name (all-numeric top-level label)"
R_NAME = "A05234 is not an AS number, PeerAS or as-set name component"
R_PREFIX_ROUTER = "a prefix is not a router expression"
R_MIXED_SET = "hierarchical rtr-set name with an as-set component (RFC 2622 section 5: same class)"

EXPECTED_INVALID: dict[tuple[str, str], str] = {
    ("export", "to AS-set-attendees announce 601"): R_NOT_FILTER,
    ("mp-import", "afi ipv6.unicast from AS-set-attendees accept  201"): R_NOT_FILTER,
    ("mp-export", "afi ipv6.unicast to AS-set-attendees announce 601"): R_NOT_FILTER,
    ("import", "from AS1 accept"): R_EMPTY_FILTER,
    ("export", "ato AS1 announce 192.0.0.1"): R_DIRECTION,
    ("export-via", "to AS5580 announce AS2"): R_VIA,
    ("import", "from AS1:as-myset:AS94967295:As-otherset accept community.contains(65536:65535)"): R_COMMUNITY,
    ("import", "from AS1 accept community.contains(4294967295:65535)"): R_COMMUNITY,
    ("import", "from AS1 accept community.contains(65536:2)"): R_COMMUNITY,
    ("mp-import", "from AS1 accept community.contains(65536:2)"): R_COMMUNITY,
    ("export", "to AS1 announce community.contains(65536:2)"): R_COMMUNITY,
    ("mp-export", "to AS1 announce community.contains(65536:2)"): R_COMMUNITY,
    ("default", "to AS1 networks community.contains(65536:2)"): R_COMMUNITY,
    ("mp-default", "to AS1 networks community.contains(65536:2)"): R_COMMUNITY,
    ("import", "from AS1 accept community.contains(22:65536)"): R_COMMUNITY,
    ("mp-default", "to AS1 networks community.contains(2:65536)"): R_COMMUNITY,
    ("components", "ATOMIC protocol BGP4 community.contains(65535:65536)"): R_COMMUNITY,
    ("components", "ATOMIC protocol BGP4 community.contains(65536:65535)"): R_COMMUNITY,
    ("components", "ATOMIC protocol BGP4 community.contains(94967295:2)"): R_COMMUNITY,
    ("components", "ATOMIC protocol BGP4 community.contains(7295:94967295)"): R_COMMUNITY,
    ("components", "ATOMIC protocol BGP4 community.contains(20:9294967295)"): R_COMMUNITY,
    ("inject", "action community = {30303:75535};"): R_COMMUNITY,
    ("inject", "action community = {655350:20};"): R_COMMUNITY,
    ("inject", "action community = {65535:94967295};"): R_COMMUNITY,
    ("inject", "action community = {65536:20};"): R_COMMUNITY,
    ("inject", "action community = {9294967295:20};"): R_COMMUNITY,
    ("filter", "*community.contains(94967295999999:7295)"): R_COMMUNITY,
    ("filter", "*community.contains(94967295:7295999999)"): R_COMMUNITY,
    ("import", "from AS1 accept community.contains(2:-1)"): R_NEGATIVE,
    ("mp-default", "to AS1 networks community.contains(3:-1)"): R_NEGATIVE,
    ("import", "from AS1:as-myset:AS4294967299:As-otherset accept community.contains(6553555:6553566)"): R_ASN,
    ("import", "from AS7777777234 accept ANY"): R_ASN,
    ("export", "to AS1 announce AS27777777234"): R_ASN,
    ("default", "to AS27777777234 networks community.contains(1000)"): R_ASN,
    ("mp-import", "afi ipv6.unicast from AS17777777234 accept ANY"): R_ASN,
    ("mp-export", "afi ipv6.unicast to AS1 announce AS17777777234"): R_ASN,
    ("mp-default", "to AS1 networks (AS27777777234 and not AS7775535 and AS1:as-myset:AS94967295:As-otherset)"):
        R_ASN,
    ("mp-default", "to AS1 networks (AS65565 and not AS7775535 and AS01:as-myset:AS17777777234:As-otherset)"):
        R_ASN,
    ("filter", "*<^AS4294967299> OR"): R_ASN,
    ("mp-filter", "*<^AS4294967299> OR"): R_ASN,
    ("peering", "AS4294967299 at 193.109.219.24"): R_ASN,
    ("mp-peering", "AS4294967299 at 193.109.219.24"): R_ASN,
    ("aggr-bndry", "AS1234:AS-mytest:AS3:AS-test:AS7777777234"): R_ASN,
    ("aggr-mtd", "outbound AS1234:AS-mytest:AS3:AS-test:AS7777777234"): R_ASN,
    ("aggr-bndry", "AS2.234:AS-mytest:AS3:AS-test:AS9294967295"): R_ASN,
    ("aggr-mtd", "outbound AS9294967295:AS-mytest:AS3:AS-test:AS2.234"): R_ASN,
    ("inject", "at rtrs-myset:AS2:rtrs-test:AS7777777234"): R_ASN,
    ("inject", "at rtrs-myset:AS3.2:rtrs-test:AS9294967295"): R_ASN,
    ("import", "to AS1 announce ANY"): R_DIRECTION,
    ("import", "from AS1 announce ANY"): R_DIRECTION,
    ("export", "from AS1 accept AS2"): R_DIRECTION,
    ("export", "to AS1 accept AS2"): R_DIRECTION,
    ("mp-import", "afi ipv6.unicast to AS1 announce ANY"): R_DIRECTION,
    ("mp-export", "afi ipv6.unicast from AS1 accept AS2"): R_DIRECTION,
    ("import", "from AS1 accept FRED"): R_FILTER_NAME,
    ("peering", "*<^AS7775535> OR <^AS8501 AS20965> AND"): R_PEERING_FILTER,
    ("mp-peering", "*<^AS7775535> OR <^AS8501 AS20965> AND"): R_PEERING_FILTER,
    ("filter", "*<^AS7775535@ AND"): R_REGEX_CHAR,
    ("filter", "*100.0.0.0/8^- 101.0.0.0/8^-"): R_COMMA,
    ("ifaddr", "146.188.49.14 masklen 31 action"): R_EMPTY_ACTION,
    ("interface", "2001:1578:200:FFFF::2 masklen 129"): R_MASKLEN,
    ("peer", "BGP4 192.168.1.2 asno(PeerAS_), flap_damp()"): R_PEERAS,
    ("mp-peer", "146.188.49.13 asno(AS7775535)"): R_PROTOCOL,
    ("peering", "AS2320834@%"): R_GARBAGE,
    ("mp-peering", "AS2320834 at 193.109.219.24.35"): R_ROUTER,
    ("mp-peering", "AS2320834 at 193.999"): R_ROUTER,
    ("peering", "AS2320834 at 193.109.219.9999"): R_ROUTER,
    ("aggr-bndry", "AS1234:AS-mytest:AS3:AS-test:A05234"): R_NAME,
    ("inject", "at 2001:600::/48"): R_PREFIX_ROUTER,
    ("inject", "at AS-1:rtrs-myset:AS2:rtrs-test:AS7295"): R_MIXED_SET,
}


def expected_invalid(attribute: str, value: str) -> str | None:
    """The reason a real value is known to be invalid, or None."""
    reason = EXPECTED_INVALID.get((attribute, value))
    if reason is None:
        for (attr, text), why in EXPECTED_INVALID.items():
            if attr == attribute and text.startswith("*") and text[1:] in value:
                return why
    return reason


def sweep(path: Path) -> tuple[int, list[str], set[tuple[str, str]]]:
    """Parse every policy value of a file: (values parsed, unexpected failures, known-bad keys seen)."""
    count, unexpected, known = 0, [], set()
    for line, attribute, value in policy_values(path):
        count += 1
        try:
            parse(attribute, value)
        except ValueSyntaxError as err:
            if expected_invalid(attribute, value) is None:
                unexpected.append(f"{path.name}:{line} {attribute}: {value}\n    -> {err.message}")
            else:
                known.add((attribute, value))
    return count, unexpected, known


REAL_FILES = sorted(REAL.glob("*.db"))


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_policy_values_parse(path: Path) -> None:
    _, unexpected, _ = sweep(path)
    assert not unexpected, f"{len(unexpected)} policy values do not parse:\n" + "\n".join(unexpected)


def test_known_invalid_real_values_are_present_and_rejected() -> None:
    """Keeps EXPECTED_INVALID honest: every entry matches a real value, and every match fails."""
    total, matched = 0, set()
    for path in REAL_FILES:
        for _, attribute, value in policy_values(path):
            total += 1
            if expected_invalid(attribute, value) is None:
                continue
            with pytest.raises(ValueSyntaxError):
                parse(attribute, value)
            matched |= {key for key in EXPECTED_INVALID if key[0] == attribute and
                        (key[1] == value or (key[1].startswith("*") and key[1][1:] in value))}
    assert total > 1400  # the sweep really saw the data
    assert set(EXPECTED_INVALID) - matched == set()


@pytest.fixture(scope="module")
def generated_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 objects; quirks at 5 % so that some policy and as-set values are written asdot."""
    return generate_dump(tmp_path_factory.mktemp("gen") / "pol-20k.db", 20000, 1, "--oddity-rate", "0.05")


def test_generated_dump_policy_values_parse(generated_dump: Path) -> None:
    count, unexpected, known = sweep(generated_dump)
    values = [value for _, _, value in policy_values(generated_dump)]
    aut_nums = generated_dump.read_text().count("\n\naut-num:")
    assert aut_nums == 400 and count >= 2 * aut_nums    # 2 % of the dump; each has an import and an export
    assert any(re.search(r"\bAS[0-9]+\.[0-9]+\b", v) for v in values), "the dump should contain asdot"
    assert not unexpected and not known, "\n".join(unexpected)


# ================================================================================ schema

def test_policy_syntaxes_match_the_schema_and_syntax_module() -> None:
    from rpsl import schema, syntax

    assert POLICY_SYNTAXES == syntax.POLICY_SYNTAXES
    assert schema.syntaxes() >= POLICY_SYNTAXES


def test_unknown_syntax_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a policy syntax"):
        parse("descr", "x")


def test_attribute_names_with_dashes_are_accepted() -> None:
    assert parse("mp-import", "from AS1 accept ANY").data == parse("mp_import", "from AS1 accept ANY").data


def test_grammar_has_only_the_known_conflict(caplog: pytest.LogCaptureFixture) -> None:
    """The one LALR shift/reduce conflict: in import-via/export-via a "(" after a peering may open
    a router expression or the next via peering; Lark shifts (router expression)."""
    lark_logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark.open(str(policy._GRAMMAR), parser="lalr", lexer="contextual", debug=True,
                      start=sorted(policy._START.values()), postlex=policy._GlueCheck())
    finally:
        lark_logger.setLevel(logging.WARNING)
    conflicts = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage().lower()]
    assert conflicts and all("LPAR" in c for c in conflicts), conflicts


# ================================================================================ examples

SPEC_EXAMPLES = [  # rpsl.md section 6.7
    ("import", "from AS65537 action pref=100; accept AS65537:AS-CUSTOMERS"),
    ("mp-import", "afi ipv6.unicast from AS65537 192.0.2.1 at 192.0.2.2 accept ANY AND NOT {::/0}"),
    ("export", "to AS65537 announce AS65536 AS65536:AS-CUSTOMERS"),
    ("default", "to AS65537 action pref=10; networks ANY"),
    ("import", "from AS65537 accept <^AS65537+ AS65537:AS-CUSTOMERS*$>"),
]
# Two spec examples use the community 65536:x, whose first half does not fit 16 bits (RFC 1997,
# RFC 2622 community_elm); they are rejected, and parse with a 16-bit value.
SPEC_EXAMPLES_BAD_COMMUNITY = [
    ("mp-export", "afi any.unicast to AS65537 action community .= { 65536:100 }; announce AS65536"),
    ("import", "{ from AS-ANY action pref=1; accept community(65536:1); from AS-ANY accept ANY; } "
               "REFINE { from AS65537 accept AS65537; }"),
]


@pytest.mark.parametrize(("syntax", "value"), SPEC_EXAMPLES)
def test_spec_examples(syntax: str, value: str) -> None:
    assert isinstance(parse(syntax, value), Tree)


@pytest.mark.parametrize(("syntax", "value"), SPEC_EXAMPLES_BAD_COMMUNITY)
def test_spec_examples_with_32_bit_community_half(syntax: str, value: str) -> None:
    with pytest.raises(ValueSyntaxError, match="community 65536:1"):
        parse(syntax, value)
    assert isinstance(parse(syntax, value.replace("65536:", "65535:")), Tree)


VALID = [
    # import / export
    ("import", "protocol BGP4 into OSPF from AS1 accept ANY"),
    ("import", "into RIP from AS1 accept ANY"),
    ("import", "from AS1 accept AS1 except { from AS2 accept AS2; from AS3 accept AS3; }"),
    ("import", "from AS1 accept AS1 refine from AS2 accept AS2 except from AS3 accept AS3"),
    ("import", "from AS1 action pref=1; from AS2 action pref=2; accept ANY;"),
    ("import", "from AS1 accept ANY ;"),
    ("import", "{ from AS1 accept ANY; }"),
    ("import", "from (AS1 OR AS2) AND AS-FOO EXCEPT AS3 (rtr1.example.net OR 192.0.2.1) at 192.0.2.2 AND RTRS-X "
               "accept ANY"),
    ("import", "from AS1 rtr1 EXCEPT rtr2 at (RTRS-A OR AS1:RTRS-B) accept ANY"),
    ("import", "from PRNG-FOO accept ANY"),
    ("import", "from AS65537:PRNG-FOO:PeerAS accept ANY"),
    ("import", "from AS-ANY accept PeerAS^+"),
    ("import", "from AS-ANY accept PeerAS:AS-CUST"),
    ("import", "from AS2.1234 accept AS2.1234 AS0.1"),
    ("import", "from AS01 accept AS0"),  # leading zeros: accepted like IRRd (RIPE refuses them)
    ("import", "from AS4294967295 accept ANY"),
    ("import", "from AS1 accept AS1^+ RS-X^24-32 {1.2.3.0/24}^- FLTR-BAR AS-ANY RS-ANY^+ community(65000:1) NOT ANY"),
    ("import", "from AS1 accept AS65537:AS-X^- AS65537:RS-X:AS2^16 AS1^24-24"),
    ("import", "from AS1 accept {} {0.0.0.0/0^0-32} {10.0.0.0/8^8, 10.0.0.0/8^32, 192.0.2.0/24^+}"),
    ("import", "from AS1 accept community == {65000:1, no_export} AND community.contains(internet, no_advertise)"),
    ("import", "from AS1 accept community(4294967295) OR community.contains(0)"),
    ("import", "from AS1 accept <^AS1 [AS2 AS3-AS5 AS6 - AS7 AS-X PeerAS .]* [^AS7] AS8~* AS9~{2,3} AS10{1} "
               "AS11{2,} AS12~+ (AS13|AS14)? AS15{0,0} $>"),
    ("import", "from AS1 accept <.*> <^$> <AS1 .+> <PeerAS:AS-X> AND <^PeerAS+$> <AS-ANY [AS-ANY]>"),
    ("import", "from AS1 action med=igp_cost; next_hop=self; next_hop=192.0.2.1; dpa=10; cost=5; "
               "aspath.prepend(AS1, AS1); community={}; community = {65000:1:2}; community.delete(no_export); "
               "community.append(65535:65535); accept ANY"),
    ("import", "from AS1 action foo.bar(1, 2); foo = 10; foo(AS1); foo += {1, 2}; foo <<= 3; accept ANY"),
    ("import", "from AS1 accept foo.bar(1) AND foo == 3"),
    ("mp-import", "afi ipv6 from AS1 action next-hop=2001:db8::1; accept {2001:db8::/32^48}"),
    ("mp-import", "afi ipv4.unicast from AS1 accept ANY except afi ipv6 { from AS2 accept ANY; }"),
    ("mp-import", "afi ipv4.multicast, ipv6, ipv4.unicast, any, any.unicast, any.multicast, ipv6.multicast "
                  "from AS1 2001:db8::1 at 192.0.2.1 accept ANY"),
    ("mp-import", "afi ipv4 from AS1 11:22:33:44:55:66:77:88 at 11:22:33:44:55::87 accept ::ffff:192.0.2.1/128"
                  .replace("::ffff", "{::ffff") + "}"),
    ("mp-import", "from AS1 accept ANY"),
    ("mp-export", "protocol MPBGP afi ipv6.unicast to AS1 announce {2001:db8::/32^+} refine afi ipv6 to AS2 "
                  "announce ANY"),
    ("export", "to AS1 action med=0; community={0:20}; announce (AS-UCNET^10-24 AND community.contains(1111:20));"),
    ("export", "to AS1 announce AS1 AS2 AND NOT AS3 OR (AS4 AS5)"),
    # default
    ("default", "to AS1"),
    ("default", "to AS1 192.0.2.1 at 192.0.2.2 action pref=1; networks {10.0.0.0/8}"),
    ("mp-default", "afi ipv6 to AS1 networks {2001:db8::/32}"),
    ("mp-default", "afi ipv4, ipv6 to AS1 2001:db8::1 at 2001:db8::2 action pref=100; networks {1.2.3.0/24, 1::/35}"),
    # import-via / export-via
    ("import-via", "AS6777 from AS5580 accept AS-ATRATO"),
    ("import-via", "afi ipv6.unicast AS1 from AS-ANY action pref=1; accept ANY"),
    ("import-via", "AS1 from AS2 accept ANY except from AS3 accept ANY"),
    ("import-via", "AS1 from AS2 AS3 from AS4 accept ANY"),
    ("import-via", "{ AS1 from AS2 accept ANY; AS3 192.0.2.1 from AS4 accept {2001:db8::/32}; }"),
    ("export-via", "AS6777 to AS5580 announce AS2"),
    ("export-via", "protocol BGP4 afi any AS1 to AS2 action med=1; announce AS3 refine afi ipv4 to AS4 announce ANY"),
    # filter / mp-filter
    ("filter", "AS1 AS2 AND NOT AS3 OR (AS4 AS5)"),
    ("filter", "FLTR-A AND NOT FLTR-B:AS1"),
    ("filter", "ANY"),
    ("filter", "{}"),
    ("mp-filter", "{2001:db8::/32^+, 10.0.0.0/8}"),
    # peering / mp-peering
    ("peering", "AS1 at 192.0.2.1"),
    ("peering", "AS1 OR AS-X rtr.example.net at RTRS-Y"),
    ("peering", "PRNG-X"),
    ("mp-peering", "AS1 2001:db8::1 at 2001:db8::2"),
    # components / inject / aggr-mtd / aggr-bndry
    ("components", ""),
    ("components", "ATOMIC"),
    ("components", "{1.0.0.0/8^+}"),
    ("components", "ATOMIC AS1 protocol BGP4 AS2 protocol OSPF ANY"),
    ("components", "protocol BGP4 {2001:db8::/32^+} protocol STATIC {2001:db8::/48}"),
    ("inject", ""),
    ("inject", "at 192.0.2.1 action pref=1; upon HAVE-COMPONENTS {1.0.0.0/8} AND (EXCLUDE {1.1.0.0/16} OR STATIC)"),
    ("inject", "upon static"),
    ("inject", "at rtr.example.net OR 2001:db8::1 upon have-components {2001:db8::/32, 192.0.2.0/24}"),
    ("aggr-mtd", "inbound"),
    ("aggr-mtd", "outbound"),
    ("aggr-mtd", "outbound AS1 OR AS-FOO"),
    ("aggr-bndry", "AS1 OR AS2 EXCEPT AS3"),
    ("aggr-bndry", "(AS1 OR AS-X) AND AS-ANY"),
    # inet-rtr
    ("ifaddr", "192.0.2.1 masklen 24"),
    ("ifaddr", "192.0.2.1 masklen 32 action pref=1; community.append(12456:20);"),
    ("interface", "2001:db8::1 masklen 64 action med=1; tunnel 192.0.2.1,GRE"),
    ("interface", "192.0.2.1 masklen 30 tunnel 2001:db8::1, IPinIP"),
    ("interface", "2001:db8::1 masklen 128"),
    ("peer", "BGP4 192.0.2.1 asno(AS1), flap_damp()"),
    ("peer", "BGP4 rtr.example.net asno(PeerAS)"),
    ("peer", "BGP4 RTRS-FOO asno (AS1)"),
    ("peer", "BGP4 PRNG-FOO"),
    ("peer", "OSPF 192.0.2.1"),
    ("peer", "BGP4 192.0.2.1 asno(AS1), flap_damp(1000, 2000, 750, 900, 20, 5), port(179)"),
    ("mp-peer", "MPBGP 2001:db8::1 asno(AS1)"),
    ("mp-peer", "BGP4 192.0.2.1 asno(AS4200000000)"),
]


@pytest.mark.parametrize(("syntax", "value"), VALID)
def test_valid(syntax: str, value: str) -> None:
    tree = parse(syntax, value)
    assert isinstance(tree, Tree)
    assert tree.data == syntax.replace("-", "_") + "_attr"


# (syntax, value, text the message must contain, 0-based column)
INVALID = [
    ("import", "from AS1 accept ANY AND", "unexpected end of value at column 24", 23),
    ("import", "{ from AS1 accept ANY }", "unexpected '}'", 22),
    ("import", "from AS1 action pref=1 accept ANY", "expected ';'", 23),
    ("import", "from AS1 accept ANY; from AS2 accept ANY", "unexpected 'from' at column 22", 21),
    ("import", "from AS1 accept {2001:db8::/32}", "IPv6 prefix 2001:db8::/32 is not allowed in import", 17),
    ("import", "from AS1 2001:db8::1 accept ANY", "IPv6 address 2001:db8::1 is not allowed in import", 9),
    ("import", "afi ipv4 from AS1 accept ANY", "unexpected 'afi'", 0),
    ("import", "from AS1 accept AS1-AS5", "unexpected 'AS1-AS5'", 16),
    ("import", "from AS1 accept AS2 ^+", "unexpected '^+'", 20),
    ("import", "from AS1 accept {10.0.0.0/8^4}", "range operator ^4 needs 8 <= n <= 32", 17),
    ("import", "from AS1 accept {10.0.0.0/33}", "prefix length /33 exceeds 32", 17),
    ("import", "from AS1 accept {10.0.0.0/8^24-16}", "^24-16", 17),
    ("import", "from AS1 accept {256.0.0.0/8}", "invalid address in prefix 256.0.0.0/8", 17),
    ("import", "from AS1 accept AS-X^33-34 AS-Y^129", "range operator ^129", 31),
    ("import", "from AS1 accept <[AS5-AS1]>", "AS range AS5-AS1 is empty", 18),
    ("import", "from AS1 accept <AS1{3,2}>", "minimum greater than maximum", 20),
    ("import", "from AS1 accept <AS1 - AS2>", "unexpected '-'", 21),
    ("import", "from AS1 accept <>", "unexpected '>'", 17),
    ("import", "from AS1 action pref=65536; accept ANY", "pref value 65536 is out of range", 21),
    ("import", "from AS1 action med=70000; accept ANY", "med value 70000", 20),
    ("import", "from AS1 action community.foo(1); accept ANY", "expected append, contains or delete", 26),
    ("import", "from AS1 action community.append(); accept ANY", "unexpected ')'", 33),
    ("import", "from AS1 action community = {65536:1}; accept ANY", "community 65536:1 is out of range", 29),
    ("import", "from AS1 action community = {1:2:4294967296}; accept ANY", "community 1:2:4294967296", 29),
    ("import", "from AS1 action community = {4294967296}; accept ANY", "community 4294967296", 29),
    ("import", "from AS1 action next_hop=1.2.3.256; accept ANY", "invalid IPv4 address 1.2.3.256", 25),
    ("import", "from AS1 action aspath.prepend(); accept ANY", "unexpected ')'", 31),
    ("import", "from AS1 accept RS-FOO:AS-BAR", "unexpected 'RS-FOO:AS-BAR'", 16),
    ("import", "from AS-FOO:RS-BAR accept ANY", "unexpected 'AS-FOO:RS-BAR'", 5),
    ("import", "from AS1 at from accept ANY", "unexpected 'from'", 12),
    ("import", "from AS1 at accept accept ANY", "unexpected 'accept' at column 13", 12),
    ("import", "from AS1 AS2 accept ANY", "unexpected 'AS2'", 9),
    ("import", "from AS1 AS-FOO accept ANY", "unexpected 'AS-FOO'", 9),  # set names are not routers
    ("import", "from AS1 at as-rtr.example.net accept ANY", "unexpected 'as-rtr.example.net'", 12),
    ("import", "from AS1 accept {10.0.0.0/8,}", "unexpected '}'", 28),
    ("import", "from AS1 accept ANYTHING", "unexpected 'ANYTHING'", 16),
    ("import", "from AS4294967296 accept ANY", "AS number AS4294967296 is out of range", 5),
    ("import", "from AS65536.1 accept ANY", "AS number AS65536.1 is out of range", 5),
    ("import", "from AS1 accept AS1:AS-X:AS65536.0", "AS number AS65536.0 in AS1:AS-X:AS65536.0", 16),
    ("import", "from AS1 999.1.1.1 accept ANY", "invalid IPv4 address 999.1.1.1", 9),
    ("import", "from AS1 1.2.3 accept ANY", "neither an IPv4 address nor a DNS name", 9),
    ("import", "", "unexpected end of value at column 1", 0),
    ("export", "to AS1 accept ANY", "unexpected 'accept'", 7),
    ("export", "from AS1 announce ANY", "unexpected 'from'", 0),
    ("mp-import", "afi ipv5 from AS1 accept ANY", "unexpected 'ipv5'", 4),
    ("mp-import", "afi ipv4.anycast from AS1 accept ANY", "unexpected 'ipv4.anycast'", 4),
    ("mp-import", "afi from AS1 accept ANY", "unexpected 'from'", 4),
    ("mp-import", "from AS1 accept {2001:db8::/129}", "prefix length /129 exceeds 128", 17),
    ("mp-import", "from AS1 accept {2001:db8:::1/64}", "invalid address in prefix", 17),
    ("mp-import", "from AS1 accept {2001:db8::/32^16}", "needs 32 <= n <= 128", 17),
    ("default", "to AS1 networks", "unexpected end of value", 15),
    ("default", "from AS1", "unexpected 'from'", 0),
    ("default", "afi ipv4 to AS1", "unexpected 'afi'", 0),
    ("mp-default", "afi ipv6 to AS1 networks ANY action pref=1;", "unexpected 'action'", 29),
    ("import-via", "from AS1 accept ANY", "unexpected 'from'", 0),
    ("export-via", "AS1 from AS2 announce ANY", "unexpected 'from'", 4),
    ("filter", "AS1 AND", "unexpected end of value", 7),
    ("filter", "NOT", "unexpected end of value", 3),
    ("filter", "(AS1", "unexpected end of value", 4),
    ("filter", "{2001:db8::/32}", "not allowed in filter (use mp-filter)", 1),
    ("filter", "FRED", "unexpected 'FRED' at column 1", 0),
    ("mp-filter", "AS1 accept ANY", "unexpected 'accept'", 4),
    ("peering", "AS1 at", "unexpected end of value", 6),
    ("peering", "AS1 at 2001:db8::1", "not allowed in peering", 7),
    ("peering", "RS-FOO", "unexpected 'RS-FOO'", 0),
    ("components", "ATOMIC ATOMIC", "unexpected 'ATOMIC' at column 8", 7),
    ("components", "protocol FOO ANY", "unexpected 'FOO'", 9),
    ("components", "protocol BGP4", "unexpected end of value", 13),
    ("inject", "upon", "unexpected end of value", 4),
    ("inject", "upon HAVE-COMPONENTS AS1", "unexpected 'AS1'", 21),
    ("inject", "upon static AND", "unexpected end of value", 15),
    ("inject", "action pref=1", "expected ';'", 13),
    ("aggr-mtd", "inbound AS1", "unexpected 'AS1'", 8),
    ("aggr-mtd", "", "unexpected end of value", 0),
    ("aggr-mtd", "sideways", "unexpected 'sideways'", 0),
    ("aggr-bndry", "AS1 OR", "unexpected end of value", 6),
    ("aggr-bndry", "ANY", "unexpected 'ANY'", 0),
    ("ifaddr", "2001:db8::1 masklen 64", "unexpected '2001:db8::1'", 0),
    ("ifaddr", "192.0.2.1 masklen 33", "masklen 33 is out of range (0 - 32)", 18),
    ("ifaddr", "192.0.2.1 masklen", "unexpected end of value", 17),
    ("ifaddr", "192.0.2.1/24", "unexpected '192.0.2.1/24'", 0),
    ("interface", "192.0.2.1 masklen 30 tunnel 192.0.2.2,VXLAN", "expected GRE or IPinIP", 38),
    ("interface", "192.0.2.1 masklen 33", "masklen 33 is out of range (0 - 32)", 18),
    ("interface", "192.0.2.1 masklen 30 tunnel 192.0.2.2", "expected ','", 37),
    ("peer", "BGP4 2001:db8::1 asno(AS1)", "not allowed in peer (use mp-peer)", 5),
    ("peer", "BGP4 192.0.2.1 asno(AS-FOO)", "unexpected 'AS-FOO'", 20),
    ("peer", "BGP4 192.0.2.1 asno(AS1) flap_damp()", "unexpected 'flap_damp'", 25),
    ("peer", "BGP5 192.0.2.1", "unexpected 'BGP5'", 0),
    ("mp-peer", "MPBGP AS-FOO", "unexpected 'AS-FOO'", 6),
]


@pytest.mark.parametrize(("syntax", "value", "message", "column"), INVALID)
def test_invalid(syntax: str, value: str, message: str, column: int) -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse(syntax, value)
    assert message in info.value.message
    assert info.value.column == column
    assert f"at column {column + 1}" in info.value.message


# ================================================================================ error messages

def test_misspelt_keyword_is_named_with_what_was_expected() -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse("import", "from AS65537 acept ANY")
    err = info.value
    assert err.column == 13
    assert err.message.startswith("unexpected 'acept' at column 14 (did you mean 'accept'?), expected one of: ")
    expected = err.message.split("expected one of: ")[1]
    assert {"accept", "action", "from", "at"} <= set(expected.split(", "))


def test_misspelt_keyword_after_an_action() -> None:
    with pytest.raises(ValueSyntaxError, match=r"unexpected 'acept' at column 29 \(did you mean 'accept'\?\)"):
        parse("import", "from AS65537 action pref=1; acept ANY")


def test_misspelt_except_after_a_filter() -> None:
    with pytest.raises(ValueSyntaxError, match=r"unexpected 'exept' at column 21 \(did you mean 'except'\?\)"):
        parse("import", "from AS1 accept ANY exept from AS2 accept ANY")


def test_keyword_glued_to_a_word_is_refused() -> None:
    with pytest.raises(ValueSyntaxError, match="unexpected 'fromAS1' at column 1") as info:
        parse("import", "fromAS1 accept ANY")
    assert info.value.column == 0
    with pytest.raises(ValueSyntaxError, match="unexpected 'ANYx'"):
        parse("import", "from AS1 accept ANYx")
    with pytest.raises(ValueSyntaxError, match="unexpected 'AS1accept'"):
        parse("import", "from AS1accept ANY")


def test_reserved_words_are_not_router_names() -> None:
    for word in ("and", "or", "except", "at", "action", "from", "accept", "any", "peeras", "AS-ANY", "AS1"):
        with pytest.raises(ValueSyntaxError):
            parse("peering", f"AS1 at {word}")
    assert parse("peering", "AS1 at rtr-7.example.net")


def test_long_words_are_shortened_in_messages() -> None:
    with pytest.raises(ValueSyntaxError) as info:
        parse("import", "from AS1 accept " + "x" * 100)
    assert "'" + "x" * 37 + "...'" in info.value.message


# ================================================================================ case, tree shape

COMPLEX = ("protocol BGP4 into OSPF from AS1 rtr.example.net at 192.0.2.1 action pref=10; med=igp_cost; "
           "community.append(no_export); aspath.prepend(AS1); accept NOT AS-FOO AND <^PeerAS+$> "
           "OR community(65000:1) except { from AS-ANY accept RS-ANY; } refine from PeerAS accept ANY")


@pytest.mark.parametrize("transform", [str.lower, str.upper, str.swapcase, str.title])
def test_keywords_are_case_insensitive(transform) -> None:
    reference = parse("import", COMPLEX)
    assert shape(parse("import", transform(COMPLEX))) == shape(reference)


def test_mp_keywords_are_case_insensitive() -> None:
    value = "AFI IPv6.Unicast, ANY.MULTICAST FROM as1 ACTION Next_Hop=SELF; ACCEPT Any ExCePt afi Ipv4 TO"
    with pytest.raises(ValueSyntaxError):  # TO in an import: the parse reaches the end, so case worked
        parse("mp-import", value)
    assert parse("mp-import", value[: -len(" ExCePt afi Ipv4 TO")])
    assert parse("inject", "UPON Have-Components {10.0.0.0/8} and Exclude {10.1.0.0/16} Or Static")
    assert parse("interface", "2001:DB8::1 MASKLEN 64 TUNNEL 192.0.2.1,gre")
    assert parse("peer", "bgp4 192.0.2.1 ASNO(peeras), Flap_Damp()")


def test_except_and_refine_are_right_associative() -> None:
    tree = parse("import", "from AS1 accept ANY except from AS2 accept ANY refine from AS3 accept ANY")
    top = tree.children[0]
    assert top.data == "policy_except"
    assert top.children[0].data == "import_term"
    assert top.children[1].data == "policy_refine"


def test_filter_precedence_not_and_or() -> None:
    tree = parse("filter", "AS1 OR AS2 AND NOT AS3 AS4")
    top = tree.children[0]
    # (AS1 OR (AS2 AND (NOT AS3))) AS4, juxtaposition being OR, left-associative
    assert top.data == "filter_or"
    left, right = top.children
    assert right == Token("AS_NUMBER", "AS4")
    assert left.data == "filter_or"
    assert left.children[1].data == "filter_and"
    assert left.children[1].children[1].data == "filter_not"


def test_juxtaposition_is_or() -> None:
    assert shape(parse("filter", "AS1 AS2")) == shape(parse("filter", "AS1 OR AS2"))


def test_peering_parts_are_labelled() -> None:
    peering = parse("peering", "AS1 rtr1.example.net at 192.0.2.1").children[0]
    assert [c.data if isinstance(c, Tree) else c.type for c in peering.children] == [
        "AS_NUMBER", "remote_router", "local_router"]


def test_mp_import_afi_after_refine() -> None:
    tree = parse("mp-import", "afi ipv4 from AS1 accept ANY refine afi ipv6 from AS2 accept ANY")
    afi = tree.children[0]
    assert afi.data == "afi_expression"
    assert afi.children[1].children[1].data == "afi_expression"


def test_parse_is_stable_and_returns_new_trees() -> None:
    assert parse("import", COMPLEX) == parse("import", COMPLEX)
    assert parse("import", COMPLEX) is not parse("import", COMPLEX)


# ================================================================================ referenced names

def test_referenced_names() -> None:
    tree = parse("import", "from as2.1 at RTRS-x accept as-foo:As65536:as-BAR AS1^+ <AS3 [AS10-AS20] PeerAS> "
                           "AS-ANY PeerAS RS-ANY fltr-x rs-y:peeras")
    assert referenced_names(tree) == {
        "AS131073", "RTRS-X", "AS-FOO:AS65536:AS-BAR", "AS1", "AS3", "FLTR-X", "RS-Y:PEERAS"}


def test_referenced_names_in_actions_and_options() -> None:
    assert referenced_names(parse("import", "from PRNG-A action aspath.prepend(AS7, AS0.8); accept ANY")) == {
        "PRNG-A", "AS7", "AS8"}
    assert referenced_names(parse("peer", "BGP4 as1:rtrs-x asno(AS01)")) == {"AS1:RTRS-X", "AS1"}
    assert referenced_names(parse("ifaddr", "192.0.2.1 masklen 30")) == set()


# ================================================================================ properties

RESERVED = {"and", "or", "not", "except", "refine", "at", "action", "from", "to", "accept", "announce",
            "networks", "into", "inbound", "outbound", "any", "atomic", "peeras"}
KEYWORD_CASE = st.sampled_from([str.lower, str.upper, str.title])


def kw(word: str) -> st.SearchStrategy[str]:
    return KEYWORD_CASE.map(lambda f: f(word))


asns = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: f"AS{n}"),
    st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(lambda t: f"AS{t[0]}.{t[1]}"),
)
labels = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_-]{0,6}[A-Za-z0-9])?", fullmatch=True)


def set_names(prefix: str) -> st.SearchStrategy[str]:
    flat = labels.map(lambda s: f"{prefix}{s}")
    hierarchical = st.tuples(asns, flat).map(lambda t: f"{t[0]}:{t[1]}")
    return st.one_of(flat, hierarchical).filter(lambda n: n.upper() not in ("AS-ANY", "RS-ANY"))


as_sets, route_sets, filter_sets, rtr_sets = (set_names(p) for p in ("AS-", "RS-", "FLTR-", "RTRS-"))
ipv4s = st.ip_addresses(v=4).map(str)
dns_names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9](\.[a-z][a-z0-9]{0,8}){0,2}", fullmatch=True).filter(
    lambda n: n.lower() not in RESERVED and not re.match(r"as[0-9]", n, re.IGNORECASE))


def combine(children: st.SearchStrategy[str], *operators: str) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(operators).flatmap(kw), children).map(" ".join)
    return st.one_of(binary, children.map(lambda c: f"({c})"))


as_expressions = st.recursive(
    st.one_of(asns, as_sets, kw("AS-ANY"), kw("PeerAS")), lambda c: combine(c, "OR", "AND", "EXCEPT"), max_leaves=5)
router_expressions = st.recursive(
    st.one_of(ipv4s, dns_names, rtr_sets), lambda c: combine(c, "OR", "AND", "EXCEPT"), max_leaves=4)
peerings = st.one_of(
    st.tuples(as_expressions, st.one_of(st.just(""), router_expressions),
              st.one_of(st.just(""), st.tuples(kw("at"), router_expressions).map(" ".join))
              ).map(lambda t: " ".join(p for p in t if p)),
    set_names("PRNG-"),
)


@st.composite
def prefix_ranges(draw: st.DrawFn) -> str:
    length = draw(st.integers(0, 32))
    network = ipaddress.ip_network((draw(ipv4s), length), strict=False)
    low = draw(st.integers(length, 32))
    operator = draw(st.sampled_from(["", "^-", "^+", f"^{low}", f"^{low}-{draw(st.integers(low, 32))}"]))
    return f"{network}{operator}"


communities = st.one_of(
    st.integers(0, 2**32 - 1).map(str),
    st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.sampled_from(["internet", "no_export", "no_advertise", "NO_EXPORT"]),
)
community_lists = st.lists(communities, min_size=1, max_size=3).map(", ".join)
rp_attributes = st.one_of(
    st.tuples(kw("pref"), st.integers(0, 65535)).map(lambda t: f"{t[0]}={t[1]}"),
    st.one_of(st.integers(0, 65535).map(str), kw("igp_cost")).map(lambda v: f"med = {v}"),
    community_lists.map(lambda c: f"community .= {{{c}}}"),
    community_lists.map(lambda c: f"community = {{ {c} }}"),
    st.tuples(st.sampled_from(["append", "delete", "contains"]), community_lists).map(
        lambda t: f"community.{t[0]}({t[1]})"),
    st.lists(asns, min_size=1, max_size=3).map(lambda a: f"aspath.prepend({', '.join(a)})"),
    st.one_of(ipv4s, kw("self")).map(lambda v: f"next_hop={v}"),
    st.integers(0, 65535).map(lambda n: f"dpa={n}"),
)
actions = st.lists(rp_attributes, min_size=1, max_size=3).map(lambda a: " ".join(f"{x};" for x in a))

regex_atoms = st.one_of(asns, as_sets, st.just("."), st.just("PeerAS"),
                        st.lists(asns, min_size=1, max_size=3).map(lambda a: f"[{' '.join(a)}]"))
regex_closures = st.tuples(regex_atoms, st.sampled_from(["", "*", "+", "?", "~*", "~+", "{2}", "{1,3}", "{2,}"])
                           ).map("".join)
as_path_regexes = st.tuples(st.sampled_from(["", "^"]), st.lists(regex_closures, min_size=1, max_size=4),
                            st.sampled_from(["", "$"])).map(lambda t: f"<{t[0]}{' '.join(t[1])}{t[2]}>")
filter_operands = st.one_of(
    kw("ANY"), kw("AS-ANY"), kw("RS-ANY"), kw("PeerAS"), asns, as_sets, route_sets, filter_sets,
    st.tuples(st.one_of(asns, as_sets, route_sets), st.sampled_from(["^-", "^+", "^24", "^16-24"])).map("".join),
    st.lists(prefix_ranges(), max_size=3).map(lambda p: "{" + ", ".join(p) + "}"),
    as_path_regexes,
    community_lists.map(lambda c: f"community({c})"),
    community_lists.map(lambda c: f"community.contains({c})"),
)
filters = st.recursive(
    filter_operands,
    lambda c: st.one_of(combine(c, "OR", "AND"), st.tuples(c, c).map(" ".join),
                        st.tuples(kw("NOT"), c).map(" ".join)),
    max_leaves=6)


def factors(direction: str, accept: str) -> st.SearchStrategy[str]:
    peering_actions = st.tuples(kw(direction), peerings, st.one_of(
        st.just(""), st.tuples(kw("action"), actions).map(" ".join))).map(lambda t: " ".join(p for p in t if p))
    return st.tuples(st.lists(peering_actions, min_size=1, max_size=3).map(" ".join), kw(accept), filters
                     ).map(" ".join)


def expressions(direction: str, accept: str) -> st.SearchStrategy[str]:
    factor = factors(direction, accept)
    structured = st.lists(factor, min_size=1, max_size=3).map(lambda fs: "{ " + " ".join(f + ";" for f in fs) + " }")
    term = st.one_of(factor, factor.map(lambda f: f + ";"), structured)
    return st.recursive(term, lambda rest: st.tuples(term, st.sampled_from(["EXCEPT", "REFINE"]).flatmap(kw), rest
                                                      ).map(" ".join), max_leaves=3)


protocol_prefixes = st.sampled_from(["", "protocol BGP4 ", "into OSPF ", "protocol BGP4 into RIPng "])
ASN_WORD = re.compile(r"(?<![\w:.\[-])AS[0-9]+(?:\.[0-9]+)?(?![\w:.-])", re.IGNORECASE)


def mentioned_asns(value: str) -> set[str]:
    """AS numbers written as separate words (not in set names); [..] sets are left out."""
    plain = re.sub(r"\[[^\]]*\]", " ", value)
    return {policy._normalise_asn(m.group(0)) for m in ASN_WORD.finditer(plain)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol_prefixes, expressions("from", "accept"))
def test_generated_imports_parse(prefix: str, expression: str) -> None:
    value = prefix + expression
    tree = parse("import", value)
    assert mentioned_asns(value) <= referenced_names(tree)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol_prefixes, expressions("to", "announce"),
       st.lists(st.sampled_from(["ipv4", "ipv6.unicast", "any", "ipv4.multicast"]), max_size=3))
def test_generated_exports_parse(prefix: str, expression: str, afis: list[str]) -> None:
    assert parse("export", prefix + expression)
    afi = f"afi {', '.join(afis)} " if afis else ""
    assert parse("mp-export", prefix + afi + expression)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(POLICY_SYNTAXES)), st.lists(st.sampled_from(
    list("ASas0123456789.:-^+{}()<>[]|*?$~,; =/_\té") + ["AS1", " from ", " accept ", " to ", " announce ",
                                                        " action ", "pref=1;", " AND ", " OR ", "ANY"]),
    max_size=30).map("".join))
def test_arbitrary_text_only_raises_value_syntax_error(syntax: str, text: str) -> None:
    try:
        tree = parse(syntax, text)
    except ValueSyntaxError as err:
        assert err.column is not None and 0 <= err.column <= len(text)
        assert err.message.startswith(("unexpected", "AS ", "community", "invalid", "IPv6", "prefix", "range",
                                       "repetition", "masklen", "pref", "med", "dpa", "cost", "'")), err.message
    else:
        referenced_names(tree)
