"""Router filters where users meet them: the HTTP API (prefix sets, as-path lists, as-set health,
ETag revalidation) and `irr export` / `irr lint` on the command line, over the bgpq4 vectors'
data set: the same bytes bgpq4 1.16 printed (tests/data/bgpq4)."""
from __future__ import annotations

import json

import pytest

from irr.database import make_engine
from irr.query.memory import RoutingMemory
from irr.store import Change, Store
from irr.web import create_app
from mirror.importer import load_files
from rpsl.lenient import load
from tests import bgpq4_dataset
from tests.conftest import run_irr
from tests.test_bgpq4 import vectors
from tests.whois_helpers import config_for

# beside the vectors' data: a cycle (AS-LOOP -> AS-LOOP2 -> AS-LOOP) and a member that exists nowhere
EXTRA = """
as-set: AS-LOOP
members: AS-LOOP2, AS30, AS-TEST
mnt-by: MAINT-TEST
source: TEST

as-set: AS-LOOP2
members: AS-LOOP, AS-GONE
mnt-by: MAINT-TEST
source: TEST

route: 192.0.2.0/25
origin: AS30
mnt-by: MAINT-TEST
source: TEST
"""


def vector(number: int) -> str:
    """What bgpq4 1.16 printed for vector `number` (stdout and stderr)."""
    return next(expected for n, _, expected, _ in vectors() if n == number).decode()


@pytest.fixture
def data(db_url, tmp_path) -> str:
    """The database URL of a store holding the vectors' data set (source TEST) and EXTRA."""
    store = Store(make_engine(db_url))
    (tmp_path / "test.db").write_text(bgpq4_dataset.dataset_text() + EXTRA)
    assert load_files(store, "TEST", [tmp_path / "test.db"], serial=1).objects == bgpq4_dataset.OBJECTS + 3
    store.engine.dispose()
    return db_url


@pytest.fixture
def client(data, tmp_path):
    store = Store(make_engine(data))
    memory = RoutingMemory(store)
    memory.load_all()
    app = create_app(config_for(tmp_path, ("TEST",)), store, memory)
    yield app.test_client(), store
    memory.stop()
    store.engine.dispose()


def test_prefix_set_is_bgpq4s_and_revalidates_with_its_etag(client):
    http, store = client
    first = http.get("/v1/filters/prefix-set/AS-TEST?name=EX")
    assert first.status_code == 200 and first.mimetype == "text/plain"
    assert first.get_data(as_text=True) == vector(1)                         # bgpq4 -l EX AS-TEST
    juniper = http.get("/v1/filters/prefix-set/AS-TEST?name=EX&format=juniper")
    assert juniper.get_data(as_text=True) == vector(5)                       # bgpq4 -J -l EX AS-TEST
    v6 = http.get("/v1/filters/prefix-set/AS-TEST?name=EX&af=6&aggregate=1")
    assert v6.get_data(as_text=True) == vector(4)                            # bgpq4 -6 -A -l EX AS-TEST
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag != juniper.headers["ETag"]          # per query, not per source only
    assert "max-age" in first.headers["Cache-Control"]
    # a router's cron job revalidates: nothing changed, 304 and no body
    again = http.get("/v1/filters/prefix-set/AS-TEST?name=EX", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    # a change commits: the old ETag no longer matches and the new list comes
    store.apply([Change("TEST", "ADD", load("route: 10.9.0.0/24\norigin: AS20\nmnt-by: MAINT-TEST\nsource: TEST\n"))],
                origin="test")
    changed = http.get("/v1/filters/prefix-set/AS-TEST?name=EX", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "ip prefix-list EX permit 10.9.0.0/24\n" in changed.get_data(as_text=True)


def test_as_path_list_is_bgpq4s(client):
    http, _ = client
    answer = http.get("/v1/filters/as-path/AS-TEST?asn=64500&name=EX")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == vector(41)   # bgpq4 -f 64500 -l EX
    juniper = http.get("/v1/filters/as-path/AS-TEST?asn=64500&name=EX&format=juniper")
    assert juniper.get_data(as_text=True) == vector(43)                                # bgpq4 -J -f 64500
    revalidated = http.get("/v1/filters/as-path/AS-TEST?asn=64500&name=EX",
                           headers={"If-None-Match": answer.headers["ETag"]})
    assert revalidated.status_code == 304
    missing = http.get("/v1/filters/as-path/AS-TEST?name=EX")
    assert missing.status_code == 400 and "asn=" in missing.get_data(as_text=True)


def test_health_reports_depth_cycles_and_missing_members(client):
    http, _ = client
    report = http.get("/v1/filters/health/AS-LOOP").get_json()
    assert report["exists"] and report["source"] == "TEST"
    assert report["cycles"] and {"AS-LOOP", "AS-LOOP2"} <= set(report["cycles"][0])
    assert {"in": "AS-LOOP2", "member": "AS-GONE"} in report["missing_members"]
    assert report["asns"] == 3 and report["depth"] >= 2                     # AS10, AS20 (via AS-TEST), AS30
    assert report["prefixes"] == {"ipv4": 4 + 4 + 1, "ipv6": 3}             # AS10, AS20, AS30
    assert not http.get("/v1/filters/health/AS-NOPE").get_json()["exists"]


def test_irr_export_prints_bgpq4s_bytes(data):
    env = {"IRR_DATABASE_URL": data}
    for number, args in ((1, ["prefix-set", "-l", "EX", "AS-TEST"]),
                         (5, ["prefix-set", "--format", "juniper", "-l", "EX", "AS-TEST"]),
                         (41, ["as-path", "-f", "64500", "-l", "EX", "AS-TEST"]),
                         (48, ["prefix-set", "-l", "EX", "AS-NOPE"])):
        out = run_irr("export", *args, env=env)
        assert out.stdout == vector(number), (number, out.stderr)
    wrong = run_irr("export", "prefix-set", "-S", "NOPE", "-l", "EX", "AS-TEST", env=env, check=False)
    assert wrong.returncode != 0 and "unknown source(s): NOPE" in wrong.stderr


def test_irr_lint_as_set(data):
    env = {"IRR_DATABASE_URL": data}
    text = run_irr("lint", "as-set", "AS-LOOP", env=env).stdout
    assert text.startswith("AS-LOOP (TEST)\n") and "cycles:            1" in text and "AS-GONE (in AS-LOOP2)" in text
    report = json.loads(run_irr("lint", "as-set", "--json", "AS-LOOP", env=env).stdout)
    assert report["missing_members"] == [{"in": "AS-LOOP2", "member": "AS-GONE"}]
    missing = run_irr("lint", "as-set", "AS-NOPE", env=env, check=False)
    assert missing.returncode == 1 and "no such as-set" in missing.stdout
