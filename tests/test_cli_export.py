"""`irr export` and `irr lint` from the command line, as an operator runs them."""
from __future__ import annotations

from irr.store import Change, Store
from rpsl.lenient import load
from tests.conftest import run_irr


def _two_sources(store: Store) -> None:
    store.apply([Change("VNNIC", "ADD", load("route: 203.0.113.0/24\norigin: AS64500\nsource: VNNIC\n")),
                 Change("APNIC", "ADD", load("route: 198.51.100.0/24\norigin: AS64500\nsource: APNIC\n")),
                 Change("APNIC", "ADD", load("as-set: AS-TWO\nmembers: AS64500\nsource: APNIC\n")),
                 Change("VNNIC", "ADD", load("as-set: AS-TWO\nmembers: AS64500\nsource: VNNIC\n"))], origin="test")


def test_sources_are_taken_comma_separated_as_bgpq4_writes_them(store, db_url):
    _two_sources(store)
    env = {"IRR_DATABASE_URL": db_url}
    comma = run_irr("export", "prefix-set", "-S", "VNNIC,APNIC", "-l", "X", "AS-TWO", env=env).stdout
    repeated = run_irr("export", "prefix-set", "-S", "VNNIC", "-S", "APNIC", "-l", "X", "AS-TWO", env=env).stdout
    assert comma == repeated and "203.0.113.0/24" in comma and "198.51.100.0/24" in comma
    only = run_irr("export", "prefix-set", "--source", "apnic", "-l", "X", "AS-TWO", env=env).stdout
    assert "198.51.100.0/24" in only and "203.0.113.0/24" not in only
    assert run_irr("export", "as-path", "-S", "VNNIC, APNIC", "-f", "64500", "-l", "P", "AS-TWO", env=env).stdout
    unknown = run_irr("export", "prefix-set", "-S", "VNNIC,NOPE", "-l", "X", "AS64500", env=env, check=False)
    assert unknown.returncode != 0 and "unknown source(s): NOPE" in unknown.stderr
    lint = run_irr("lint", "as-set", "-S", "VNNIC,APNIC", "AS-TWO", env=env).stdout
    assert "AS-TWO (APNIC)" in run_irr("lint", "as-set", "-S", "APNIC,VNNIC", "AS-TWO", env=env).stdout
    assert "AS-TWO (VNNIC)" in lint and "AS numbers:        1" in lint
