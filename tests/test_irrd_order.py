"""The order of `!` answers, as IRRd 4.5 gives it (issue 15): `!i` results sorted as text
(query_resolver.members_for_set returns sorted(members)), `!r` and `!o` objects by first address,
first AS number and primary key over all sources (RPSLDatabaseQuery, ordered_by_sources=False),
unknown sources last in `!j`/`!J`. bgpq4 prints its "wrong af" warnings in the order it receives
the members, so a different order shows in its output."""
from __future__ import annotations

import json
import subprocess

import pytest

from irr.config import Config, SourceConfig
from mirror.importer import load_files
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL
from tests.whois_helpers import running_whois

RS_LINE = "route-set:    AS200:RS-CUSTOMERS"
# Routes and route6s of two sources, written in neither IRRd's order nor the sources' order.
ROUTES = {
    "TEST": ["route: 10.0.0.0/9\norigin: AS20", "route6: 2001:db8::/32\norigin: AS1", "route: 10.0.0.0/16\norigin: AS20",
             "route: 10.0.0.0/16\norigin: AS3", "aut-num: AS5\nmnt-by: MAINT-X"],
    "OTHER": ["route: 10.0.0.0/12\norigin: AS7", "route: 9.0.0.0/8\norigin: AS1", "mntner: MAINT-X\nmnt-by: MAINT-X"],
}


def real_route_sets() -> list[str]:
    """Two of RIPE's test route-sets with IPv4 and IPv6 members, in that (unsorted) order."""
    texts = [p.text for p in iter_paragraphs(REAL / "ripe-whois-spec-fixtures.db")]
    first = next(t for t in texts if t.startswith(RS_LINE))
    second = next(t for t in texts if t.startswith("route-set:    RS-CUSTOMERS") and "212.5.128.0/19^19-24" in t)
    assert "47.247.0.0/16" in first and first.index("2001:1578::/32") < first.index("192.233.33.0/24^+")
    return [first, second]


@pytest.fixture
def whois(store, tmp_path):
    texts = {"TEST": [*real_route_sets(), "route-set: RS-BOTH\nmembers: RS-CUSTOMERS, AS200:RS-CUSTOMERS\nsource: TEST",
                      "as-set: AS-ORDER\nmembers: AS2, AS10, AS-SUB, AS1\nsource: TEST",
                      "as-set: AS-SUB\nmembers: AS300, AS30\nsource: TEST"],
             "OTHER": []}
    for source, objects in ROUTES.items():
        texts[source] += [f"{text}\nmnt-by: MAINT-X\nsource: {source}" if "mnt-by" not in text
                          else f"{text}\nsource: {source}" for text in objects]
    for serial, (source, objects) in enumerate(texts.items(), 1):
        (tmp_path / f"{source}.db").write_text("\n\n".join(objects) + "\n")
        load_files(store, source, [tmp_path / f"{source}.db"], serial=serial)
    config = Config(data_dir=tmp_path, sources={s: SourceConfig(s) for s in texts}, source_order=("TEST", "OTHER"))
    with running_whois(config, store) as server:
        yield server


def answer(whois, query: str) -> str:
    reply = whois.query(query).decode()
    assert reply.startswith("A"), reply
    return reply.split("\n", 1)[1].rsplit("\nC\n", 1)[0]


def test_set_members_come_sorted_as_text(whois):
    assert answer(whois, "!iAS200:RS-CUSTOMERS,1").split() == ["192.233.33.0/24^+", "2001:1578::/32", "47.247.0.0/16"]
    assert answer(whois, "!iAS-ORDER,1").split() == ["AS1", "AS10", "AS2", "AS30", "AS300"]
    assert answer(whois, "!iAS-ORDER").split() == ["AS-SUB", "AS1", "AS10", "AS2"]


def test_bgpq4_warns_about_the_other_family_in_irrds_order(whois):
    """RS-BOTH holds RS-CUSTOMERS (212.5.128.0/19^19-24 ...) then AS200:RS-CUSTOMERS
    (192.233.33.0/24^+ ...): bgpq4 -6 warns about both IPv4 ranges, in the order !i gives them."""
    out = subprocess.run(["bgpq4", "-h", f"127.0.0.1:{whois.port}", "-S", "TEST", "-6", "-l", "x", "RS-BOTH"],
                         capture_output=True, text=True, timeout=60)
    warnings = [line for line in (out.stdout + out.stderr).splitlines() if "wrong af" in line]
    assert [w.split("prefix ")[1].split(",")[0] for w in warnings] == ["192.233.33.0/24^+", "212.5.128.0/19^19-24"], \
        out.stdout + out.stderr
    assert "2001:1578::/32" in out.stdout and "2002:1578::/32" in out.stdout


def test_route_searches_and_maintainer_lists_in_irrds_order(whois):
    def keys(text: str) -> list[str]:
        return [line.split(":", 1)[1].strip() + " " + origin
                for line, origin in zip((x for x in text.split("\n") if x.startswith(("route:", "route6:"))),
                                        (x.split()[1] for x in text.split("\n") if x.startswith("origin:")))]

    # more specifics of 10/8 in both sources: by first address, then origin, then key (/16 < /9 as text)
    assert keys(answer(whois, "!r10.0.0.0/8,M")) == ["10.0.0.0/16 AS3", "10.0.0.0/12 AS7", "10.0.0.0/16 AS20",
                                                      "10.0.0.0/9 AS20"]
    assert answer(whois, "!r10.0.0.0/16,o") == "AS3 AS20"
    listed = answer(whois, "!oMAINT-X")
    firsts = [block.split("\n", 1)[0] for block in listed.split("\n\n")]
    assert [" ".join(f.split()) for f in firsts] == [
        "route: 9.0.0.0/8", "route: 10.0.0.0/16", "route: 10.0.0.0/12", "route: 10.0.0.0/16", "route: 10.0.0.0/9",
        "route6: 2001:db8::/32", "aut-num: AS5", "mntner: MAINT-X"]


def test_status_answers_list_unknown_sources_last(whois):
    assert answer(whois, "!jNOPE,OTHER,TEST") == "OTHER:Y:0-2\nTEST:Y:0-1\nNOPE:X:Database unknown"
    assert list(json.loads(answer(whois, "!JNOPE,OTHER,TEST"))) == ["OTHER", "TEST", "NOPE"]
