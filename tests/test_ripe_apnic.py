"""RIPE-style queries in APNIC's layout (irr.query.apnic_style), with APNIC's whois as the reference:
APNIC's own expected answer (tests/data/apnic-whois, from APNIC-net/whois) byte for byte, and for
APNIC's and RIPE's real test objects (conftest REAL) the layout APNIC's whois gives: header and
served-by lines, `% Information related to` groups, the abuse contact line (abuse-c, the
organisation's abuse-c, then mnt-irt, up the address hierarchy), the order of objects (the
object, then its irt, organisation, roles, persons), -B, -b, -c, -d, -m, -M, -r, -G, -K, -v, -q,
APNIC's error texts; and Debian's whois client shows them."""
from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from irr import version
from irr.config import ConfigError, load_config
from irr.database import make_engine
from irr.query.apnic_style import WhoisStyle
from irr.query.related import Related
from irr.query.ripe import IRRD, ripe_query
from irr.query.session import Session
from irr.store import Store, copy_line
from irr.store.lookups import Lookups, LookupTimeout
from mirror.importer import load_files
from rpsl.lenient import load
from rpsl.schema import SCHEMA
from tests import bgpq4_dataset
from tests.conftest import REAL, cloned_database, cloned_store
from tests.test_bgpq4 import run_client, vectors
from tests.whois_helpers import config_for, running_whois

DATA = Path(__file__).parent / "data" / "apnic-whois"
APNIC = WhoisStyle("apnic", "whois.apnic.net", service="APNIC", host="UNDEFINED")
HEADER = "% [whois.apnic.net]\n% Whois data copyright terms    http://www.apnic.net/db/dbcopyright.html\n\n"
SERVED = f"% This query was served by the APNIC Whois Service version {version()} (UNDEFINED)\n\n\n"

# Real objects: APNIC's whois test fixtures (APNIC-style: irt, mnt-irt, as-blocks, reverse domains)
FIXTURES = ("apnicnet-whois-apnic-spec-fixtures.db", (
    "mntner: APNIC-HM", "role: APNIC Hostmaster", "person: APNIC Member Services", "person: APNIC Helpdesk",
    "person: APNIC Network Operations", "inetnum: 0.0.0.0 - 255.255.255.255", "inet6num: 0::/0",
    "person: Test Person", "mntner: TEST-USER-MNT", "irt: IRT-USER", "as-block: AS40000 - AS49999",
    "as-block: AS44500 - AS46500", "aut-num: AS45000", "inetnum: 193.0.0.0 - 193.255.255.255",
    "domain: 1.1.193.in-addr.arpa", "domain: 2.1.193.in-addr.arpa", "domain: 1.2.193.in-addr.arpa",
    "route: 20.0.0.0/8", "route: 99.0.0.0/8", "route: 20.13.0.0/16"))
# ... and the RIPE-style test database APNIC's repository ships (organisations with abuse-c)
TEST_DB = ("apnicnet-whois-TEST.db", (
    "organisation: ORG-TS1-TEST", "role: TEST ROLE", "person: Test Person", "person: Course Trainer",
    "inetnum: 172.16.60.0 - 172.16.60.255", "inet6num: 2001:db8:60::/48", "inetnum: 10.0.0.0 - 10.255.255.255",
    "organisation: ORG-TT1-TEST", "person: John Smith", "inetnum: 10.11.11.0 - 10.11.11.255",
    "aut-num: AS101111", "route: 10.11.11.0/24", "mntner: EXAMPLE-MNT"))
# Made for these tests (not real data): two ranges inside 193.0.0.0/8 without an irt of their own.
LOCAL = """
inetnum:        193.1.0.0 - 193.1.255.255
netname:        TEST-CHILD
descr:          Mạng thử nghiệm
country:        AU
admin-c:        TP1-AP
tech-c:         TP1-AP
status:         ASSIGNED NON-PORTABLE
mnt-by:         TEST-USER-MNT
source:         TEST

inetnum:        193.1.1.0 - 193.1.1.255
netname:        TEST-GRANDCHILD
descr:          inside TEST-CHILD
country:        AU
admin-c:        TP1-AP
tech-c:         TP1-AP
status:         ASSIGNED NON-PORTABLE
mnt-by:         TEST-USER-MNT
source:         TEST

route:          100.64.0.0/10
descr:          sorts before 20.0.0.0/8 as text, after it as an address
origin:         AS1000
mnt-by:         TEST-USER-MNT
source:         TEST
"""


def pick(name: str, firsts: tuple[str, ...]) -> list[str]:
    """The first paragraph of a REAL file starting with each of `firsts` (blanks collapsed)."""
    found: dict[str, str] = {}
    for paragraph in re.split(r"\n[ \t]*\n", (REAL / name).read_text(encoding="utf-8")):
        paragraph = paragraph.strip("\n")
        first = " ".join(paragraph.split("\n", 1)[0].split())
        if first in firsts and first not in found:
            found[first] = paragraph
    assert set(found) == set(firsts), set(firsts) - set(found)
    return [found[f] for f in firsts]


def paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.strip())]


def acl_objects() -> list[str]:
    """APNIC's test objects, with the source: line RPSL requires."""
    return [p + "\nsource: TEST" for p in paragraphs((DATA / "acl-query-objects.db").read_text())]


@pytest.fixture(scope="module")
def registry(pg_server_url, template_db):
    with cloned_database(pg_server_url, template_db) as url:
        engine = make_engine(url)
        store = Store(engine)
        texts = [*pick(*FIXTURES), *pick(*TEST_DB), *paragraphs(LOCAL), *acl_objects()]
        loaded = [load(t) for t in texts]
        assert [o.error for o in loaded if o.error] == []
        store.replace_source("TEST", iter([copy_line("TEST", o) for o in loaded]), serial=1)
        yield store
        engine.dispose()


@pytest.fixture
def session() -> Session:
    return Session(sources=["TEST"], all_sources=["TEST"], default_sources=["TEST"])


@pytest.fixture
def ask(session, registry):
    lookups = Lookups(registry.engine)
    return lambda line: ripe_query(line, session, lookups, registry, APNIC)


def layout(answer: str) -> list[str]:
    """The answer's paragraphs in order: each message's first line, each object's first line
    (blanks collapsed); checks APNIC's framing (header, served-by, blank lines)."""
    assert answer.startswith(HEADER) and answer.endswith(SERVED), answer
    body = answer[len(HEADER):-len(SERVED)]
    assert body.endswith("\n\n") and "\n\n\n" not in body, body
    return [" ".join(p.split("\n", 1)[0].split()) for p in body[:-2].split("\n\n")]


IRT_USER = """irt:            IRT-USER
address:        Brisbane, Australia
e-mail:         irt@apnic.net
abuse-mailbox:  abuse@apnic.net
admin-c:        TP1-AP
tech-c:         TP1-AP
auth:           # Filtered
mnt-by:         TEST-USER-MNT
changed:        testdbm@apnic.net 20130101
source:         TEST

"""
TP1_AP = """person:         Test Person
address:        Brisbane, Australia
phone:          +0123456789
nic-hdl:        TP1-AP
mnt-by:         TEST-USER-MNT
changed:        testdbm@apnic.net 20130101
source:         TEST

"""


# -- APNIC's own expected answer --------------------------------------------------------------------
def test_apnic_reference_answer_byte_for_byte(ask):
    """APNIC-net/whois AclQueryHandlerTestIntegration: `-i mb MNT-USED-EVERYWHERE` (RIPE's short
    name of mnt-by) gives four groups, each a domain and the person it names, in key order."""
    expected = (DATA / "acl-query-full-response.txt").read_text()
    # our objects carry the source: line RPSL requires; our version and host in the served-by line
    expected = re.sub(r"(nic-hdl: +TT01-AP\n|tech-c: +TT01-AP\n)(?=\n)", r"\1source:         TEST\n", expected)
    expected = expected.replace("version 0.1-TEST (UNDEFINED)", f"version {version()} (UNDEFINED)")
    assert expected.count("source:") == 8
    assert ask("-i mb MNT-USED-EVERYWHERE") == expected
    assert ask("-i mnt-by MNT-USED-EVERYWHERE") == expected


# -- the default lookup: groups, abuse contact, referenced objects in APNIC's order -----------------
def test_address_answer_has_apnics_layout(ask):
    """The most specific range, its abuse contact (the irt named by mnt-irt: abuse@apnic.net), then
    the irt and the person it references; auth filtered, values from column 16."""
    assert ask("193.200.0.1") == HEADER + (
        "% Information related to '193.0.0.0 - 193.255.255.255'\n\n"
        "% Abuse contact for '193.0.0.0 - 193.255.255.255' is 'abuse@apnic.net'\n\n"
        "inetnum:        193.0.0.0 - 193.255.255.255\n"
        "netname:        TEST-NET-NAME\n"
        "descr:          TEST network\n"
        "country:        AU\n"
        "admin-c:        TP1-AP\n"
        "tech-c:         TP1-AP\n"
        "status:         ALLOCATED NON-PORTABLE\n"
        "mnt-by:         TEST-USER-MNT\n"
        "mnt-irt:        IRT-USER\n"
        "changed:        testdbm@apnic.net 20130101\n"
        "source:         TEST\n\n") + IRT_USER + TP1_AP + SERVED
    assert ask("-B 193.200.0.1") == ask("193.200.0.1")  # APNIC filters nothing by default
    # inetnum first, then route, each its own group
    assert layout(ask("10.11.11.7")) == [
        "% Information related to '10.11.11.0 - 10.11.11.255'", "inetnum: 10.11.11.0 - 10.11.11.255",
        "person: John Smith", "% Information related to '10.11.11.0/24AS101111'", "route: 10.11.11.0/24"]


def test_abuse_contact_resolution(ask):
    """abuse-c (here through the organisation, RIPE), then mnt-irt, up the address hierarchy; none:
    no line."""
    assert layout(ask("172.16.60.1")) == [
        "% Information related to '172.16.60.0 - 172.16.60.255'",
        "% Abuse contact for '172.16.60.0 - 172.16.60.255' is 'bitbucket@ripe.net'",
        "inetnum: 172.16.60.0 - 172.16.60.255", "organisation: ORG-TS1-TEST", "person: Course Trainer"]
    assert "% Abuse contact for '2001:db8:60::/48' is 'bitbucket@ripe.net'\n" in ask("2001:db8:60::1")
    # no irt of its own: the nearest containing range with one answers (193.0.0.0/8's irt)
    assert layout(ask("193.1.1.5")) == [
        "% Information related to '193.1.1.0 - 193.1.1.255'",
        "% Abuse contact for '193.1.1.0 - 193.1.1.255' is 'abuse@apnic.net'",
        "inetnum: 193.1.1.0 - 193.1.1.255", "person: Test Person"]
    assert "Abuse contact" not in ask("10.11.11.7")  # no abuse-c, org abuse-c or irt up to the root
    assert "Abuse contact" not in ask("0.0.0.1")
    assert "% Abuse contact for 'AS45000' is 'abuse@apnic.net'\n" in ask("AS45000")


def test_as_number_gives_its_as_blocks_then_the_aut_num(ask):
    assert layout(ask("AS45000")) == [
        "% Information related to 'AS40000 - AS49999'", "as-block: AS40000 - AS49999",
        "role: APNIC Hostmaster", "person: APNIC Network Operations",
        "% Information related to 'AS44500 - AS46500'", "as-block: AS44500 - AS46500",
        "role: APNIC Hostmaster", "person: APNIC Network Operations",
        "% Information related to 'AS45000'", "% Abuse contact for 'AS45000' is 'abuse@apnic.net'",
        "aut-num: AS45000", "irt: IRT-USER", "role: APNIC Hostmaster", "person: APNIC Network Operations"]


# -- flags ------------------------------------------------------------------------------------------
def test_r_G_K(ask):
    assert layout(ask("-r 193.1.1.5")) == [
        "% Information related to '193.1.1.0 - 193.1.1.255'",
        "% Abuse contact for '193.1.1.0 - 193.1.1.255' is 'abuse@apnic.net'", "inetnum: 193.1.1.0 - 193.1.1.255"]
    # -G: no groups; referenced objects once, after every object
    assert layout(ask("-G -i mb MNT-USED-EVERYWHERE")) == [
        "domain: 0.0.in-addr.arpa", "domain: 0.1.in-addr.arpa", "domain: 1.0.in-addr.arpa",
        "domain: 1.1.in-addr.arpa", "person: Test Testington"]
    assert ask("-K 172.16.60.1") == HEADER + (
        "% Note: this output has been filtered.\n% Only primary keys and abuse contacts will be visible.\n"
        "% No other contact information will be shown.\n\n"
        "% Abuse contact for '172.16.60.0 - 172.16.60.255' is 'bitbucket@ripe.net'\n\n"
        "inetnum:        172.16.60.0 - 172.16.60.255\n\n") + SERVED
    assert ask("-K 20.13.0.0/16") == HEADER + KEYS_NOTE_TEXT + "inetnum:        0.0.0.0 - 255.255.255.255\n\n" \
        "route:          20.13.0.0/16\norigin:         AS3000\n\n" + SERVED


KEYS_NOTE_TEXT = ("% Note: this output has been filtered.\n% Only primary keys and abuse contacts will be visible.\n"
                  "% No other contact information will be shown.\n\n")


def test_b_brief_abuse_contact(ask):
    """-b: the range and its abuse mailbox only, then the abuse-mailbox of the irt found (RIPE
    shows it twice); no groups, no abuse line; other objects only if they have such attributes."""
    assert ask("-b 193.1.1.5") == HEADER + (
        "inetnum:        193.1.1.0 - 193.1.1.255\nabuse-mailbox:  abuse@apnic.net\n\n"
        "abuse-mailbox:  abuse@apnic.net\n\n") + SERVED
    assert ask("-b 10.11.11.7") == HEADER + "inetnum:        10.11.11.0 - 10.11.11.255\n\n" + SERVED
    assert ask("-b foo").startswith(HEADER + "%ERROR:111: invalid option supplied\n")
    assert "cannot be used together" in ask("-b -r 193.1.1.5")


def test_c_adds_the_irt_of_the_nearest_range_with_one(ask):
    assert "irt:" not in ask("193.1.1.5")
    assert layout(ask("-c 193.1.1.5")) == [
        "% Information related to '193.1.1.0 - 193.1.1.255'",
        "% Abuse contact for '193.1.1.0 - 193.1.1.255' is 'abuse@apnic.net'",
        "inetnum: 193.1.1.0 - 193.1.1.255", "irt: IRT-USER", "person: Test Person"]
    assert layout(ask("-c -r 193.1.1.5"))[-1] == "irt: IRT-USER"
    assert layout(ask("-c 10.11.11.7")) == layout(ask("10.11.11.7"))  # no irt anywhere above


def test_d_reverse_domains(ask):
    groups = ["% Information related to '193.1.1.0 - 193.1.1.255'",
              "% Abuse contact for '193.1.1.0 - 193.1.1.255' is 'abuse@apnic.net'",
              "inetnum: 193.1.1.0 - 193.1.1.255", "person: Test Person",
              "% Information related to '1.1.193.in-addr.arpa'", "domain: 1.1.193.in-addr.arpa", "person: Test Person"]
    assert layout(ask("-d 193.1.1.0/24")) == groups
    assert layout(ask("-d 193.1.1.77")) == groups  # the domain covering the address
    assert layout(ask("-d 1.1.193.in-addr.arpa")) == groups  # both directions
    assert "domain:" not in ask("193.1.1.0/24")
    assert [x for x in layout(ask("-r -d -m 193.1.0.0/16")) if not x.startswith("%")] == [
        "inetnum: 193.1.1.0 - 193.1.1.255", "domain: 1.1.193.in-addr.arpa", "domain: 2.1.193.in-addr.arpa"]
    assert "%ERROR:101: no entries found" in ask("-r -T domain -d 193.1.0.0/16")  # no zone covers a /16


def test_m_one_level_and_M_all_levels_more_specific(ask):
    def objects(line):
        return [x for x in layout(ask(line)) if not x.startswith("%")]
    assert objects("-r -m 193.0.0.0/8") == ["inetnum: 193.1.0.0 - 193.1.255.255"]
    assert objects("-r -M 193.0.0.0/8") == ["inetnum: 193.1.0.0 - 193.1.255.255", "inetnum: 193.1.1.0 - 193.1.1.255"]
    assert objects("-r -m 193.1.0.0/16") == ["inetnum: 193.1.1.0 - 193.1.1.255"]
    assert "%ERROR:101: no entries found" in ask("-M 193.1.1.0/24")
    assert objects("-r -m 20.0.0.0/8") == ["route: 20.13.0.0/16"]
    assert objects("-r -x 20.0.0.0/8") == ["route: 20.0.0.0/8"]
    # one tree per class: the first less specific inetnum and route
    assert objects("-r -l 20.13.0.0/16") == ["inetnum: 0.0.0.0 - 255.255.255.255", "route: 20.0.0.0/8"]
    assert objects("-r -T route -L 20.13.0.0/16") == ["route: 20.0.0.0/8", "route: 20.13.0.0/16"]
    assert ask("-m 0.0.0.0/0").startswith(HEADER + "%ERROR:112: unsupported query\n")
    assert ask("-M ::/0").startswith(HEADER + "%ERROR:112: unsupported query\n")
    assert ask("-m foo").startswith(HEADER + "%WARNING:902: useless IP flag passed\n")


def test_inverse_queries_order_by_class_then_key(ask):
    assert [x for x in layout(ask("-r -i person TP1-AP")) if not x.startswith("%")] == [
        "inetnum: 193.0.0.0 - 193.255.255.255", "inetnum: 193.1.0.0 - 193.1.255.255",
        "inetnum: 193.1.1.0 - 193.1.1.255", "domain: 1.1.193.in-addr.arpa", "domain: 1.2.193.in-addr.arpa",
        "domain: 2.1.193.in-addr.arpa", "mntner: TEST-USER-MNT", "irt: IRT-USER"]
    # RIPE's sorted set compares keys as text
    assert [x for x in layout(ask("-r -i or AS1000")) if not x.startswith("%")] == [
        "route: 100.64.0.0/10", "route: 20.0.0.0/8", "route: 99.0.0.0/8"]


def test_errors_are_apnics(ask, session):
    def body(line):
        answer = ask(line)
        assert answer.startswith(HEADER) and answer.endswith(SERVED)
        return answer[len(HEADER):-len(SERVED)]
    assert body("nosuch") == "%ERROR:101: no entries found\n%\n% No entries found in source TEST.\n\n"
    assert body("-Z x") == ("% Invalid option: -Z\n%\n%ERROR:111: invalid option supplied\n%\n"
                            "% Use help query to see the valid options.\n\n")
    assert body("-s NOPE x") == ('%ERROR:102: unknown source\n%\n% "NOPE" is not a known source.\n'
                                 '% Use "-q sources" to list known sources.\n\n')
    assert body("-T nosuch x") == "%ERROR:103: unknown object type 'nosuch'\n\n"
    assert body("-i nosuch x") == '%ERROR:104: unknown attribute\n%\n% "nosuch" is not a known attribute.\n\n'
    assert body("-i descr x") == ('%ERROR:105: attribute is not searchable\n%\n'
                                  '% "descr" is not an inverse searchable attribute.\n\n')
    assert body("-r") == "%ERROR:106: no search key specified\n%\n% No search key specified\n\n"
    assert body("-x -l 1.2.3.4").startswith("%ERROR:901: duplicate IP flags passed\n")
    assert body("-b -K 1.2.3.4") == ('%ERROR:109: invalid combination of flags passed\n%\n'
                                     '% The flags "-b, --abuse-contact" and "-K, --primary-keys" cannot be used '
                                     'together.\n\n')
    assert body("1.2.3.999").startswith("% 1.2.3.999 is not a valid IPv4 address\n%\n%ERROR:115:")
    assert body("AS1\x00") == "%ERROR:111: invalid option supplied\n%\n% Use help query to see the valid options.\n\n"
    assert session.sources == ["TEST"]  # errors changed nothing


def test_templates_verbose_and_system_queries(ask):
    template = ask("-t irt")
    assert "irt:            [mandatory]  [single]     [primary/lookup key]\n" in template
    assert "abuse-mailbox:  [mandatory]  [multiple]   [inverse key]\n" in template
    assert "created:        [generated]  [single]     [ ]\n" in template
    verbose = ask("-v inetnum")
    assert verbose.startswith(HEADER + "The inetnum class:\n\nIPv4 address space.\n\ninetnum:        [mandatory]")
    assert "The content of the attributes of the inetnum class are defined below:\n\n" in verbose
    assert "\nmnt-irt\n\n   The incident response team (irt) for this resource.\n\n     Syntax: <object-name>, " \
           "a list; references irt\n\n" in verbose
    # every attribute of the one schema declaration, none restated
    assert all(f"\n{a.name}\n\n   " in verbose for a in SCHEMA["inetnum"].attributes if not a.discarded)
    assert ask("-v nosuch") == HEADER + "%ERROR:103: unknown object type 'nosuch'\n\n" + SERVED
    assert ask("-q version") == HEADER + f"% irr-vn-{version()}\n\n" + SERVED
    assert ask("-q types").startswith(HEADER + "inetnum\ninet6num\nas-block\naut-num\n")
    assert ask("-q sources").startswith(HEADER + "TEST:3:N:0-1\n")
    assert ask("-k") == "" and ask("-V client") == ""


def test_the_work_around_an_answer_is_bounded(registry):
    """Abuse contacts and referenced objects cost queries per object found: one answer stops once it
    has used the time one statement may take, and then says so."""
    lookups = Lookups(registry.engine)
    [child] = lookups.by_key(["TEST"], "193.1.1.0 - 193.1.1.255", ["inetnum"])
    assert Related(lookups).abuse_mailbox(child) == "abuse@apnic.net"  # two levels up
    with pytest.raises(LookupTimeout):
        Related(lookups, seconds=-1).abuse_mailbox(child)


def test_timeouts_and_failures_are_answered_in_apnics_layout(session, registry):
    class Failing(Lookups):
        def __init__(self, exc: Exception):
            super().__init__(registry.engine)
            self.exc = exc

        def _execute(self, stmt):
            raise self.exc

    assert ripe_query("193.1.1.5", session, Failing(LookupTimeout("x")), registry, APNIC) == HEADER + (
        "%ERROR:100: internal software error\n%\n"
        "% The query took too long and was cancelled; please make it more specific.\n\n") + SERVED
    assert ripe_query("193.1.1.5", session, Failing(RuntimeError("boom")), registry, APNIC) == HEADER + (
        "%ERROR:100: internal software error\n\n") + SERVED


def test_the_irrd_style_of_the_same_server(session, registry):
    """The same queries in the IRRd style: IRRd's layout, IRRd's lookups (every less specific
    object of an address; -i in address order, not as text)."""
    lookups = Lookups(registry.engine)
    irrd = lambda line: ripe_query(line, session, lookups, registry, IRRD)  # noqa: E731
    answer = irrd("-r -i origin AS1000")  # objects as stored, not realigned
    assert answer.startswith("route:       20.0.0.0/8\n") and answer.endswith("source:         TEST\n\n\n")
    assert re.findall(r"^route: +(\S+)", answer, re.M) == ["20.0.0.0/8", "99.0.0.0/8", "100.64.0.0/10"]
    assert re.findall(r"^(?:route|inetnum): +(.+)", irrd("-K -r 193.1.1.5"), re.M) == [
        "0.0.0.0 - 255.255.255.255", "193.0.0.0 - 193.255.255.255", "193.1.0.0 - 193.1.255.255",
        "193.1.1.0 - 193.1.1.255"]
    assert irrd("-m 193.0.0.0/8") == "%% ERROR: Unrecognised flag/search: m\n\n\n"
    assert "% Information related" not in irrd("193.200.0.1") and "auth:" not in irrd("193.200.0.1")


def test_config_whois_style():
    config = load_config(None, "/tmp", environ={})
    assert (config.whois_style, config.whois_name, config.whois_terms_url) == ("apnic", None, None)


def test_config_whois_style_from_file(tmp_path):
    path = tmp_path / "irr.toml"
    path.write_text('[whois]\nstyle = "irrd"\nname = "whois.vnnic.vn"\nterms_url = "https://vnnic.vn/whois"\n'
                    "max_objects = 5\n")
    config = load_config(path, tmp_path, environ={})
    assert (config.whois_style, config.whois_name, config.whois_terms_url) == (
        "irrd", "whois.vnnic.vn", "https://vnnic.vn/whois")
    assert config.whois["max_objects"] == 5
    for bad in ('style = "ripe"', "name = 5", 'name = "a\\nb"'):
        path.write_text(f"[whois]\n{bad}\n")
        with pytest.raises(ConfigError, match="whois"):
            load_config(path, tmp_path, environ={})


# -- over the wire: Debian's whois client, keep-alive, bgpq4 ----------------------------------------
def whois(port: int, *args: str) -> str:
    """Debian's whois client; its own note about RIPE flags to an unknown server is not ours."""
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True,
                         timeout=30).stdout
    return out.removeprefix("Warning: RIPE flags used with a traditional server.\n")


def test_debian_whois_client_shows_apnic_answers(registry, tmp_path):
    config = replace(config_for(tmp_path, ("TEST",), ("TEST",)), whois_name="whois.example.vn")
    assert config.whois_style == "apnic"  # the default
    served = f"% This query was served by the TEST Whois Service version {version()} ({socket.gethostname()})\n"
    header = "% [whois.example.vn]\n% Whois data copyright terms    http://www.apnic.net/db/dbcopyright.html\n\n"
    with running_whois(config, registry) as server:
        out = whois(server.port, "193.200.0.1")
        assert out.startswith(header) and out.endswith(served + "\n\n")
        assert "% Abuse contact for '193.0.0.0 - 193.255.255.255' is 'abuse@apnic.net'\n\ninetnum:" in out
        assert out.index("inetnum:") < out.index("irt:") < out.index("person:")
        assert whois(server.port, "-b", "193.1.1.5") == header + (
            "inetnum:        193.1.1.0 - 193.1.1.255\nabuse-mailbox:  abuse@apnic.net\n\n"
            "abuse-mailbox:  abuse@apnic.net\n\n") + served + "\n\n"
        assert "irt:            IRT-USER" in whois(server.port, "-c", "193.1.1.5")
        assert "domain:         1.1.193.in-addr.arpa" in whois(server.port, "-d", "193.1.1.0/24")
        assert "193.1.1.0" not in whois(server.port, "-m", "193.0.0.0/8")
        assert "193.1.1.0 - 193.1.1.255" in whois(server.port, "-M", "193.0.0.0/8")
        assert "person:" not in whois(server.port, "-r", "193.200.0.1")
        assert whois(server.port, "-B", "193.200.0.1") == out
        assert "The irt class:" in whois(server.port, "-v", "irt")
        # keep-alive: each answer framed on its own, in order
        raw = server.query("-k", "-r AS45000", "-b 193.1.1.5", "-k").decode()
        assert raw.count("% [whois.example.vn]") == 2 and raw.count("% This query was served") == 2
        assert raw.index("aut-num:") < raw.index("abuse-mailbox:")
        # IRRd's ! commands are the same in both styles
        assert server.query("!gAS1000") == b"A36\n20.0.0.0/8 99.0.0.0/8 100.64.0.0/10\nC\n"


def test_bgpq4_vectors_unchanged_in_apnic_style(pg_server_url, template_db, tmp_path):
    """bgpq4 speaks IRRd's ! commands: its 63 vectors give the same bytes on an APNIC-style server."""
    with cloned_store(pg_server_url, template_db) as store:
        (tmp_path / "vectors.db").write_text(bgpq4_dataset.dataset_text())
        assert load_files(store, "TEST", [tmp_path / "vectors.db"], serial=1).objects == bgpq4_dataset.OBJECTS
        config = config_for(tmp_path, ("TEST",))
        assert config.whois_style == "apnic"
        with running_whois(config, store) as server:
            checked = 0
            for number, args, expected, rc in vectors():
                assert run_client("bgpq4", server, args) == (expected, rc), f"vector {number}"
                checked += 1
    assert checked == 63
