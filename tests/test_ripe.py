"""RIPE-style queries (irr.query.ripe) in the IRRd style against the two-source registry of
test_lookups: every flag, the default lookups, source priority, hash masking, -K, -T, -t, -q and
errors for junk. (The APNIC style: tests/test_ripe_apnic.py.)"""
from __future__ import annotations

import re

import pytest

from irr.query.ripe import IRRD, NOT_FOUND, parse_query, ripe_query, template
from irr.query.session import Session
from irr.store import Store
from irr.store.lookups import Lookups, LookupTimeout
from tests import test_lookups
from tests.test_lookups import APNIC, APNIC_SERIAL, BCRYPT_HASH, MD5_HASH, VNNIC, paragraphs

# The registry of test_lookups, loaded once for this module too.
registry_url = test_lookups.registry_url
registry = test_lookups.registry
lookups = test_lookups.lookups

ALL = ["VNNIC", "APNIC", "RADB"]


@pytest.fixture
def session() -> Session:
    return Session(sources=["VNNIC", "APNIC"], all_sources=list(ALL), default_sources=["VNNIC", "APNIC"])


@pytest.fixture
def ask(session: Session, lookups: Lookups, registry: Store):
    """Run one query line in the test's session, answered as IRRd answers."""
    return lambda line: ripe_query(line, session, lookups, registry, IRRD)


def objects(response: str) -> list[tuple[str, str, str]]:
    """(class, first value, source) of each object of a response, checking the framing."""
    assert response.endswith("\n\n\n") and not response.endswith("\n\n\n\n"), repr(response[-20:])
    out = []
    for block in response[:-3].split("\n\n"):
        lines = block.split("\n")
        cls, _, value = lines[0].partition(":")
        source = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("source:")), "")
        out.append((cls, value.strip(), source))
    return out


def error_text(message: str) -> str:
    return f"%% ERROR: {message}\n\n\n"


# -- default lookups ----------------------------------------------------------------------------
def test_as_number_gives_aut_num_as_blocks_and_contacts(ask):
    expected = [("aut-num", "AS131072", "VNNIC"), ("as-block", "AS131072 - AS131135", "VNNIC"),
                ("aut-num", "AS131072", "APNIC"), ("as-block", "AS131072 - AS132095", "APNIC"),
                ("person", "Nguyen Van An", "VNNIC"), ("role", "VNNIC Hostmaster", "VNNIC"),
                ("role", "APNIC Hostmaster", "APNIC")]
    assert objects(ask("AS131072")) == expected
    assert objects(ask("as2.0")) == expected  # asdot
    assert objects(ask("-B -G -F AS131072")) == expected  # accepted, no effect
    assert objects(ask("-r AS131072")) == expected[:4]
    assert objects(ask("-r AS131100")) == [("as-block", "AS131072 - AS131135", "VNNIC"),
                                           ("as-block", "AS131072 - AS132095", "APNIC")]
    assert objects(ask("-r AS131100 - AS131200")) == [("as-block", "AS131072 - AS132095", "APNIC")]


def test_address_gives_every_less_specific_object_as_irrd(ask):
    """IRRd 4.5 answers an address or prefix with every less specific object (exact included) of
    every class with an address, ordered by first address, then origin, then key (its docs:
    "any less specific matches of any object class"; irrd/storage/queries.py text_search)."""
    covering = [("route", "203.113.0.0/16", "APNIC"), ("inetnum", "203.113.0.0 - 203.113.255.255", "APNIC"),
                ("route", "203.113.128.0/18", "VNNIC"), ("route", "203.113.128.0/22", "VNNIC"),
                ("route", "203.113.128.0/22", "VNNIC"), ("inetnum", "203.113.128.0 - 203.113.131.255", "VNNIC"),
                ("inetnum", "203.113.128.0 - 203.113.191.255", "VNNIC"),
                ("inetnum", "203.113.128.0 - 203.113.191.255", "APNIC")]
    assert objects(ask("-r 203.113.130.15")) == covering + [
        ("route", "203.113.130.0/24", "VNNIC"), ("inetnum", "203.113.130.10 - 203.113.130.20", "VNNIC")]
    assert objects(ask("-r 203.113.128.0/22")) == covering
    assert ask("-K -r 203.113.128.0/22") == (
        "route: 203.113.0.0/16\norigin: AS4608\n\ninetnum: 203.113.0.0 - 203.113.255.255\n\n"
        "route: 203.113.128.0/18\norigin: AS131072\n\nroute: 203.113.128.0/22\norigin: AS131072\n\n"
        "route: 203.113.128.0/22\norigin: AS131073\n\ninetnum: 203.113.128.0 - 203.113.131.255\n\n"
        "inetnum: 203.113.128.0 - 203.113.191.255\n\n\n")
    # contacts still follow unless -r; a range is no prefix: the RIPE default (most specific) stays
    assert objects(ask("203.113.130.15"))[10:] == [("role", "APNIC Hostmaster", "APNIC"),
                                                   ("person", "Tran Thi Binh", "VNNIC"),
                                                   ("role", "VNNIC Hostmaster", "VNNIC"),
                                                   ("person", "Nguyen Van An", "VNNIC")]
    assert objects(ask("-r 203.113.130.10 - 203.113.130.20")) == [
        ("inetnum", "203.113.130.10 - 203.113.130.20", "VNNIC"), ("route", "203.113.130.0/24", "VNNIC")]
    assert objects(ask("-r 2001:db8:1000::/48")) == [  # routes (an origin) before ranges of one address
        ("inet6num", "2001:db8::/32", "APNIC"), ("route6", "2001:db8:1000::/36", "VNNIC"),
        ("route6", "2001:db8:1000::/48", "VNNIC"), ("inet6num", "2001:db8:1000::/36", "VNNIC"),
        ("inet6num", "2001:db8:1000::/48", "VNNIC")]
    assert objects(ask("-r 2001:db8:ffff::1")) == [("inet6num", "2001:db8::/32", "APNIC")]
    assert ask("198.51.100.1") == NOT_FOUND


def test_names_sets_handles_domains(ask):
    assert objects(ask("-r AS131072:AS-CUSTOMERS")) == [("as-set", "AS131072:AS-CUSTOMERS", "VNNIC")]
    assert objects(ask("-r as-vnix")) == [("as-set", "AS-VNIX", "VNNIC")]
    assert objects(ask("-r AS2.0:RS-ROUTES")) == [("route-set", "AS131072:RS-ROUTES", "VNNIC")]
    # a role references persons, but contacts are not followed from contacts
    assert objects(ask("vh1-vn")) == [("role", "VNNIC Hostmaster", "VNNIC")]
    assert objects(ask("nguyen van an")) == [("person", "Nguyen Van An", "VNNIC")]
    assert objects(ask("128.113.203.in-addr.arpa.")) == [
        ("domain", "128.113.203.in-addr.arpa", "VNNIC"), ("person", "Nguyen Van An", "VNNIC"),
        ("role", "VNNIC Hostmaster", "VNNIC"), ("person", "Tran Thi Binh", "VNNIC")]
    assert objects(ask("-r customer-net")) == [("inetnum", "203.113.128.0 - 203.113.131.255", "VNNIC")]
    assert objects(ask("-r 203.113.128.0/22AS131073")) == [("route", "203.113.128.0/22", "VNNIC")]
    assert "AS131073" in ask("-r 203.113.128.0/22 as131073")
    assert ask("NO-SUCH-THING") == NOT_FOUND


def test_mntner_hashes_are_masked_everywhere(ask):
    response = ask("MAINT-VNNIC")
    assert objects(response) == [("mntner", "MAINT-VNNIC", "VNNIC"), ("person", "Nguyen Van An", "VNNIC")]
    assert "auth:           MD5-PW DummyValue  # Filtered for security\n" in response
    assert "auth:           BCRYPT-PW DummyValue  # Filtered for security\n" in response
    assert "auth:           PGPKEY-1A2B3C4D\n" in response
    for line in ("-i mnt-by MAINT-VNNIC", "-a -i mnt-by APNIC-HM", "-T mntner -i auth PGPKEY-1A2B3C4D",
                 "APNIC-HM", "-K MAINT-VNNIC"):
        response = ask(line)
        assert response != NOT_FOUND, line
        assert MD5_HASH not in response and BCRYPT_HASH not in response and "$1$" not in response, line


# -- flags --------------------------------------------------------------------------------------
def test_inverse_lookups(ask):
    assert objects(ask("-i origin AS131073")) == [("route", "203.113.128.0/22", "VNNIC"),
                                                  ("route", "203.113.130.0/24", "VNNIC"),
                                                  ("route6", "2001:db8:1000::/48", "VNNIC")]
    assert objects(ask("-r -i origin,zone-c TTB2-VN")) == [("domain", "128.113.203.in-addr.arpa", "VNNIC")]
    assert objects(ask("-r -i zone-c,nserver TTB2-VN")) == [("domain", "128.113.203.in-addr.arpa", "VNNIC")]
    assert objects(ask("-r -i member-of AS2.0:RS-ROUTES")) == [("route", "203.113.128.0/18", "VNNIC")]
    assert objects(ask("-r -i mbrs-by-ref maint-vnnic")) == [("as-set", "AS-VNIX", "VNNIC")]
    assert [o[0] for o in objects(ask("-r -T inetnum,inet6num -i tech-c TTB2-VN"))] == ["inetnum"]
    assert ask("-i admin-c NOBODY-VN") == NOT_FOUND
    # as IRRd: -i person / -i role find person and role objects by their name
    assert objects(ask("-r -i person Tran Thi Binh")) == [("person", "Tran Thi Binh", "VNNIC")]
    assert objects(ask("-r -i role vnnic  hostmaster")) == [("role", "VNNIC Hostmaster", "VNNIC")]


def test_inverse_errors(ask):
    response = ask("-i descr Nguyen")
    assert response.startswith("%% ERROR: Inverse attribute search not supported for descr, only supported for "
                               "attributes: abuse-c, abuse-mailbox, admin-c,")
    assert "mnt-by" in response and "origin" in response and response.endswith("zone-c\n\n\n")
    assert ask("-i origin AS-FOO") == error_text("'AS-FOO' is not an AS number (expected AS<number>)")
    assert ask("-i") == error_text("Missing argument for flag/search: i")
    assert ask("-i mnt-by") == error_text("Missing argument for flag/search: i")


def test_address_flags(ask):
    assert objects(ask("-x 203.113.128.0/22 -T route")) == [("route", "203.113.128.0/22", "VNNIC")] * 2
    assert objects(ask("-r -l 203.113.128.0/22")) == [
        ("inetnum", "203.113.128.0 - 203.113.191.255", "VNNIC"), ("route", "203.113.128.0/18", "VNNIC"),
        ("inetnum", "203.113.128.0 - 203.113.191.255", "APNIC")]
    assert [(o[0], o[1]) for o in objects(ask("-T route -L 203.113.130.0/24"))] == [
        ("route", "203.113.128.0/18"), ("route", "203.113.128.0/22"), ("route", "203.113.128.0/22"),
        ("route", "203.113.130.0/24"), ("route", "203.113.0.0/16")]
    assert objects(ask("-r -s VNNIC -M 203.113.128.0/18 -T inetnum")) == [
        ("inetnum", "203.113.128.0 - 203.113.131.255", "VNNIC"),
        ("inetnum", "203.113.130.10 - 203.113.130.20", "VNNIC")]
    assert objects(ask("--all-more --no-referenced -T inet6num 2001:db8::/32")) == [
        ("inet6num", "2001:db8:1000::/36", "VNNIC"), ("inet6num", "2001:db8:1000::/48", "VNNIC")]
    assert ask("-x 203.113.130.0/24 -T inetnum") == NOT_FOUND
    assert ask("-x 203.113.128.1/22") == error_text(
        "203.113.128.1/22 is not a valid prefix: host bits are set (did you mean 203.113.128.0/22?)")
    assert ask("-L foo") == error_text("foo is not a valid IP address")
    assert ask("-M") == error_text("Missing argument for flag/search: M")
    assert ask("-x -l 203.113.128.0/22") == error_text("Flags -x -l cannot be combined")
    assert ask("-i origin -x AS1") == error_text("Flags -i -x cannot be combined")


def test_object_class_filter(ask):
    assert objects(ask("-T aut-num -r AS131072")) == [("aut-num", "AS131072", "VNNIC"),
                                                      ("aut-num", "AS131072", "APNIC")]
    assert objects(ask("-T as-block,route -r AS131072")) == [("as-block", "AS131072 - AS131135", "VNNIC"),
                                                             ("as-block", "AS131072 - AS132095", "APNIC")]
    assert ask("-T person AS131072") == NOT_FOUND
    assert ask("-T nosuch AS131072") == error_text("Unknown object class: nosuch")


def test_sources_are_persistent_and_checked(ask, session: Session):
    assert [o[2] for o in objects(ask("-r -s apnic AS131072"))] == ["APNIC", "APNIC"]
    assert session.sources == ["APNIC"]
    assert [o[2] for o in objects(ask("-r AS131072"))] == ["APNIC", "APNIC"]  # still APNIC only
    assert ask("-s nosuch,vnnic AS131072") == error_text("One or more selected sources are unavailable: NOSUCH")
    assert session.sources == ["APNIC"]  # a query with a bad flag changes nothing
    assert ask("-k -s vnnic -i descr X").startswith("%% ERROR: Inverse attribute search not supported for descr")
    assert ask("-a -q junk").startswith("%% ERROR: Invalid argument for -q")
    assert ask("-a -t junk") == error_text("Unknown object class: junk")
    assert session.sources == ["APNIC"] and not session.keepalive
    assert ask("-s RADB") == NOT_FOUND and session.sources == ["RADB"]
    assert [o[2] for o in objects(ask("-r -s apnic,vnnic AS131072"))] == ["APNIC", "APNIC", "VNNIC", "VNNIC"]
    assert [o[2] for o in objects(ask("-r -a -T aut-num AS131072"))] == ["VNNIC", "APNIC"]
    assert session.sources == ["VNNIC", "APNIC"]          # -a: back to the default sources, as IRRd
    assert ask("-s") == error_text("Missing argument for flag/search: s")


def test_keepalive_and_client(ask, session: Session):
    assert ask("-k") == "" and session.keepalive
    assert objects(ask("-k -r -T aut-num AS131073")) == [("aut-num", "AS131073", "VNNIC")] and session.keepalive
    assert ask("-k") == "" and not session.keepalive
    assert ask("-V mytool/1.0 -r -T aut-num AS131073") != NOT_FOUND and session.client == "mytool/1.0"
    assert ask("-V other") == "" and session.client == "other"


def test_primary_keys_only(ask):
    assert ask("-K AS-VNIX") == "as-set: AS-VNIX\nmembers: AS131072\nmembers: AS131073\n\n\n"
    assert ask("-K AS131072:RS-ROUTES") == ("route-set: AS131072:RS-ROUTES\nmembers: 203.113.128.0/18^+\n"
                                           "mp-members: 2001:db8:1000::/36^48\n\n\n")
    assert ask("-K -x 203.113.128.0/22 -T route") == ("route: 203.113.128.0/22\norigin: AS131072\n\n"
                                                      "route: 203.113.128.0/22\norigin: AS131073\n\n\n")
    assert ask("--primary-keys -T route6 -M 2001:db8::/32") == (
        "route6: 2001:db8:1000::/36\norigin: AS131072\n\nroute6: 2001:db8:1000::/48\norigin: AS131073\n\n\n")
    # no contacts with -K; a key found in two sources is printed once
    assert ask("-K AS131072") == "aut-num: AS131072\n\nas-block: AS131072 - AS131135\n\n" \
                                 "as-block: AS131072 - AS132095\n\n\n"
    assert ask("-K MAINT-VNNIC") == "mntner: MAINT-VNNIC\n\n\n"


ROUTE_TEMPLATE = """\
route:           [mandatory]  [single]    [primary/look-up key]
descr:           [mandatory]  [multiple]  []
country:         [optional]   [single]    []
origin:          [mandatory]  [single]    [primary key, weak references aut-num]
holes:           [optional]   [multiple]  []
member-of:       [optional]   [multiple]  [look-up key, weak references route-set]
inject:          [optional]   [multiple]  []
aggr-mtd:        [optional]   [single]    []
aggr-bndry:      [optional]   [single]    []
export-comps:    [optional]   [single]    []
components:      [optional]   [single]    []
remarks:         [optional]   [multiple]  []
notify:          [optional]   [multiple]  [look-up key]
mnt-lower:       [optional]   [multiple]  [look-up key, strong references mntner]
mnt-routes:      [optional]   [multiple]  [look-up key, strong references mntner]
mnt-by:          [mandatory]  [multiple]  [look-up key, strong references mntner]
changed:         [optional]   [multiple]  []
created:         [optional]   [single]    []
last-modified:   [optional]   [single]    []
source:          [mandatory]  [single]    []


"""


def test_templates(ask):
    assert ask("-t route") == ROUTE_TEMPLATE
    assert ask("-t ROUTE") == ROUTE_TEMPLATE
    person = ask("-t person")
    assert person.startswith("person:          [mandatory]  [single]    [look-up key]\n")
    assert "nic-hdl:         [mandatory]  [single]    [primary/look-up key]\n" in person
    mntner = template("mntner")
    assert "auth:            [mandatory]  [multiple]  [look-up key, weak references key-cert]\n" in mntner
    assert "admin-c:         [mandatory]  [multiple]  [look-up key, strong references person/role]\n" in mntner
    assert "rpki-ov-state" not in template("route6")  # discarded on input: not part of the template
    assert template("inet6num").splitlines()[0] == "inet6num:        [mandatory]  [single]    [primary/look-up key]"
    assert ask("-t nosuch") == error_text("Unknown object class: nosuch")
    assert ask("-t") == error_text("Missing argument for flag/search: t")


def test_q_version_sources_types(ask):
    assert ask("-q version").startswith("% irr-vn ") and ask("-q version").endswith("\n\n\n")
    vnnic = len(paragraphs(VNNIC))
    sources = ask("-q sources")
    assert sources.startswith(f"VNNIC:3:N:1-{vnnic}\nAPNIC:3:N:0-{APNIC_SERIAL}\nRADB:3:N:Unknown\n")
    # then the sources' status, as comment lines (a bulk load counts as a success)
    assert re.search(rf"\n% APNIC: serial {APNIC_SERIAL}, last success \d{{4}}-\d\d-\d\d [\d:]+Z\n", sources)
    assert sources.endswith("\n\n\n")
    types = ask("-q types").split("\n")
    assert types[:3] == ["mntner", "person", "role"] and "route6" in types and "domain" in types
    assert ask("-q junk") == error_text("Invalid argument for -q: junk (use version, sources or types)")
    assert len(paragraphs(APNIC)) > 1


def test_nrtm_needs_its_own_query_form(ask):
    """-g is answered by the whois server (irr.query.nrtm) when it starts the query; mixed into
    other flags it is refused."""
    assert ask("-g VNNIC:3:1-LAST") == error_text("NRTM queries start with -g: -g SOURCE:3:FIRST-LAST [-k]")
    assert ask("-g") == error_text("Missing argument for flag/search: g")


def test_junk_input_is_an_error_never_an_exception(ask):
    assert ask("-Z AS131072") == error_text("Unrecognised flag/search: Z")
    assert ask("-rZ AS131072") == error_text("Unrecognised flag/search: Z")
    assert ask("--bogus AS131072") == error_text("Unrecognised flag/search: -bogus")
    assert ask("-sVNNIC AS131072") == error_text("Unrecognised flag/search: sVNNIC")
    assert ask("AS99999999999") == error_text("AS99999999999 is out of range (AS0-AS4294967295)")
    assert ask("203.113.130.300") == error_text("203.113.130.300 is not a valid IPv4 address")
    assert ask("1.2.3") == error_text("1.2.3 is not a valid IP address")
    assert ask("10.0.0.9 - 10.0.0.1") == error_text(
        "10.0.0.9 - 10.0.0.1 is not a valid range: first address is after the last")
    assert ask("-r") == NOT_FOUND
    assert ask("AS1\x00") == error_text("Queries may not contain null bytes")
    assert ask("-T , AS1") == error_text("Missing object class for flag -T")
    for junk in ("-", "- - -", "::::", "%%%", "AS", "é" * 500, "-i mnt-by " + "x" * 5000, "1" * 300):
        response = ask(junk)
        assert response == NOT_FOUND or response.startswith("%% ERROR: ") and "internal" not in response, junk


def test_parse_query_groups_and_long_flags():
    q = parse_query("-rBT route,route6 --sources=vnnic 203.113.130.10 - 203.113.130.20")
    assert q.flags == [("r", None), ("B", None), ("T", "route,route6"), ("s", "vnnic")]
    assert q.key == "203.113.130.10 - 203.113.130.20"


def test_truncation_and_timeouts_are_reported(session: Session, registry: Store):
    small = Lookups(registry.engine, max_rows=2)
    response = ripe_query("-r -i mnt-by MAINT-VNNIC", session, small, registry)
    assert response.endswith("\n\n%  Output truncated at 2 objects; please make the query more specific.\n\n\n")
    assert response.count("source:") == 2

    class Failing(Lookups):
        def __init__(self, exc: Exception):
            super().__init__(registry.engine)
            self.exc = exc

        def _execute(self, stmt):
            raise self.exc

    assert ripe_query("AS131072", session, Failing(LookupTimeout("x")), registry) == error_text(
        "The query took too long and was cancelled; please make it more specific.")
    assert ripe_query("AS131072", session, Failing(RuntimeError("boom")), registry) == error_text(
        "An internal error occurred while processing this query.")
