"""The NIR's scope: delegated statistics parsed, authoritative objects outside refused, mirrored
ones flagged or hidden per source."""
from __future__ import annotations

from irr.config import Config, SourceConfig
from irr.query.ripe import ripe_query
from irr.query.session import Session
from irr.rpki.scope import configured, load_scope, parse_delegated
from irr.store import Change
from irr.store.lookups import Lookups
from irr.updates.pipeline import Pipeline
from irr.updates.service import keyring_for
from irr.updates.submission import from_texts
from rpsl.lenient import load
from tests.update_helpers import ROUTE, registry_config, setup_registry

DELEGATED = """2|apnic|20261127|6|19850701|20261126|+1000
apnic|*|asn|*|3|summary
apnic|*|ipv4|*|3|summary
apnic|VN|asn|64496|16|20100101|allocated|A91A7381
apnic|VN|ipv4|203.0.113.0|256|20100101|allocated|A91A7381
apnic|VN|ipv4|198.51.100.0|128|20100101|assigned|A91A7382
apnic|VN|ipv6|2001:db8::|32|20100101|allocated|A91A7381
apnic|JP|ipv4|192.0.2.0|256|20100101|allocated|A9000000
apnic|VN|ipv4|100.64.0.0|1024|20100101|available|
apnic|VN|ipv4|bad-line|x|x|allocated|
"""


def test_delegated_statistics():
    entries = parse_delegated(DELEGATED, country="VN")
    assert [(e.first_address, e.last_address, e.asn_first, e.asn_last) for e in entries] == [
        (None, None, 64496, 64511), ("203.0.113.0", "203.0.113.255", None, None),
        ("198.51.100.0", "198.51.100.127", None, None), ("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", None, None)]
    assert len(parse_delegated(DELEGATED, registry="apnic")) == 5
    assert [e.asn_first for e in configured((), ("AS131072 - AS131199",))] == [131072]


def test_scope_refuses_and_hides(store, tmp_path):
    setup_registry(store)
    stats = tmp_path / "delegated-apnic-extended-latest"
    stats.write_text(DELEGATED)
    base = registry_config(tmp_path)
    config = Config(**{**base.__dict__, "scope_country": "VN", "scope_delegated_url": f"file://{stats}",
                       "sources": {**base.sources, "APNIC": SourceConfig("APNIC", scope_filter="hide"),
                                   "RADB": SourceConfig("RADB")}})
    assert "ranges" in load_scope(config, store)
    pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config))
    # 198.51.100.128/25 is not the NIR's (only the lower half is): refused, even with the right passwords
    outside = ROUTE.replace("203.0.113.0/24", "198.51.100.128/25")
    req = pipeline.process(from_texts([("password: member-pw\npassword: other-pw\n\n" + outside, frozenset())]),
                           "t").requests[0]
    assert not req.ok and "198.51.100.128/25 is outside the resources this registry holds" in req.errors[0]
    assert pipeline.process(from_texts([("password: member-pw\n\n" + ROUTE, frozenset())]), "t").requests[0].ok
    # mirrored: APNIC hides out-of-scope objects, RADB flags them
    store.apply([Change("APNIC", "ADD", load("route: 192.0.2.0/24\norigin: AS1\nsource: APNIC\n")),
                 Change("RADB", "ADD", load("route: 192.0.2.0/24\norigin: AS1\nsource: RADB\n"))], origin="t")
    assert store.get("RADB", "route", "192.0.2.0/24AS1").scope_status == "out"
    lookups = Lookups(store.engine, scope_hidden=config.scope_hidden_sources)
    session = Session(["APNIC", "RADB"], ["APNIC", "RADB"])
    answer = ripe_query("-T route 192.0.2.0/24", session, lookups, store)
    assert "source:         RADB" in answer or "source: RADB" in answer
    assert "source: APNIC" not in answer
    # one query with --no-scope-filter shows it; the next is filtered again
    assert "source: APNIC" in ripe_query("--no-scope-filter -T route 192.0.2.0/24", session, lookups, store)
    assert "source: APNIC" not in ripe_query("-T route 192.0.2.0/24", session, lookups, store)
    session.filters_disabled.add("NO-SCOPE-FILTER")
    assert "source: APNIC" in ripe_query("-T route 192.0.2.0/24", session, lookups, store)


def test_a_scope_reload_hides_routes_from_filters_at_once(store, tmp_path):
    """A scope change moves no serial: the data version must move, or `!g` kept the old answer."""
    from tests.whois_helpers import running_whois

    source = SourceConfig("APNIC", scope_filter="hide", nrtm_host="nrtm.example.net")
    config = Config(data_dir=tmp_path, sources={"APNIC": source}, source_order=("APNIC",))
    store.apply([Change("APNIC", "ADD", load("route: 192.0.2.0/24\norigin: AS64500\nsource: APNIC\n"), serial=7)],
                origin="mirror nrtm3")
    with running_whois(config, store) as whois:
        assert whois.query("!gAS64500") == b"A13\n192.0.2.0/24\nC\n"
        assert store.replace_scope(configured(("203.0.113.0/24",), ())) == 1
        assert whois.query("!gAS64500") == b"D\n" and store.serial("APNIC") == 7
        assert store.replace_scope(configured(("192.0.2.0/24",), ())) == 1
        assert whois.query("!gAS64500") == b"A13\n192.0.2.0/24\nC\n"
