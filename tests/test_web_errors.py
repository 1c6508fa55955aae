"""Errors that are errors: bad input gets a clean 4xx that says why and changes nothing, a database
outage a 503 in the client's format without internals, and no redirect names the client's Host."""
from __future__ import annotations

import json

import pytest

from irr.query.memory import RoutingMemory
from irr.store import Change, Store
from irr.web import create_app
from rpsl.lenient import load
from tests.test_updates import registry  # noqa: F401 - a fixture
from tests.update_helpers import ROUTE

NO_SOCKET = "/tmp/irr-test-no-such-socket-dir"


@pytest.fixture
def client(registry):  # noqa: F811
    app = create_app(registry.config, registry.store)
    app.extensions["irr_pipeline"] = registry
    return app.test_client()


def snapshot(store: Store) -> list:
    """The journal (serials, operations, keys, texts): what must not change."""
    return [(j.serial, j.operation, j.object_class, j.pk, j.object_text) for j in store.journal("VNNIC")]


def test_database_down_answers_in_the_clients_format_without_internals(tmp_path):
    from irr.config import Config, SourceConfig
    from irr.database import make_engine

    store = Store(make_engine(f"postgresql+psycopg://irr@/irr?host={NO_SOCKET}"))
    config = Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", True)}, source_order=("VNNIC",))
    client = create_app(config, store).test_client()
    reply = client.post("/v1/submit/", json={"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"]})
    assert reply.status_code == 503 and reply.is_json, reply.data[:200]
    assert "database is not available" in reply.get_json()["error"] and reply.headers["Retry-After"]
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json() == {"status": "unavailable", "error": "the database does not accept connections"}
    history = client.get("/v1/history/VNNIC/route/203.0.113.0/24AS64500")
    assert history.status_code == 503 and history.is_json
    page = client.get("/object/VNNIC/route/203.0.113.0/24AS64500?lang=en")
    assert page.status_code == 503 and page.mimetype == "text/html" and "try again later" in page.text
    assert "thử lại sau" in client.get("/object/VNNIC/route/203.0.113.0/24AS64500?lang=vi").text
    for response in (reply, health, history, page):
        assert NO_SOCKET not in response.text and "psycopg" not in response.text
        assert "Traceback" not in response.text


@pytest.mark.parametrize("method, path", [
    ("GET", "/object/VNNIC/mntner/x%00"), ("GET", "/object/VNNIC/mntner/MAINT-MEMBER%00"),
    ("GET", "/history/VNNIC/mntner/x%00"), ("GET", "/modify/VNNIC/mntner/MAINT-MEMBER%00"),
    ("POST", "/modify/VNNIC/route/203.0.113.0/24AS64500%00"), ("GET", "/delete/VNNIC/mntner/MAINT-MEMBER%00"),
    ("POST", "/delete/VNNIC/mntner/MAINT-MEMBER%00"), ("GET", "/v1/history/VNNIC/mntner/x%00"),
    ("GET", "/v1/history/VNNIC%00/mntner/x"), ("GET", "/v1/filters/prefix-set/AS-X%00"),
    ("GET", "/v1/filters/health/AS-X%00"), ("GET", "/v1/filters/prefix-set/AS64500?sources=VNNIC%00"),
    ("GET", "/search?q=AS64500%00"),
])
def test_a_nul_in_a_url_is_a_clean_400(client, registry, method, path):  # noqa: F811
    before = snapshot(registry.store)
    response = client.open(path, method=method, data={"password": "member-pw", "op": "submit"})
    assert response.status_code == 400, (path, response.status_code)
    assert "NUL" in response.text and "Traceback" not in response.text
    if path.startswith("/v1/history"):
        assert response.get_json() == {"error": "The address contains a NUL character."}
    assert snapshot(registry.store) == before


def test_json_nested_too_deeply_is_a_clean_400(client, registry):  # noqa: F811
    before = snapshot(registry.store)
    for body in ("[" * 100_000 + "]" * 100_000, '{"objects": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        reply = client.post("/v1/submit/", data=body, content_type="application/json")
        assert reply.status_code == 400 and reply.get_json() == {"error": "the JSON is nested too deeply"}
    assert snapshot(registry.store) == before


@pytest.mark.parametrize("body, message", [
    ({"objects": [{"object_text": "x"}], "passwords": ["member-pw"]}, "objects[0] holds no RPSL object"),
    ({"objects": [{"object_text": ROUTE}, {"object_text": "# only a comment\n"}]}, "objects[1] holds no RPSL object"),
    ({"objects": []}, "objects must be a non-empty list"),
    ({"objects": [1]}, "objects[0] must be a JSON object with object_text or attributes"),
    ({"objects": ["route: 192.0.2.0/24"]}, "objects[0] must be a JSON object"),
    ({"objects": [{"object_text": 5}]}, "objects[0].object_text must be a string"),
    ({"objects": [{"text": ROUTE}]}, "objects[0] needs object_text or attributes"),
    ({"objects": [{"attributes": [1]}]}, 'objects[0].attributes[0] must be {"name": string, "value": string'),
    ({"objects": [{"attributes": [{"name": 1, "value": "x"}]}]}, "objects[0].attributes[0] must be"),
    ({"objects": [{"attributes": [{"name": "route", "value": {"a": 1}}]}]}, "objects[0].attributes[0] must be"),
    ({"objects": [{"attributes": "route: x"}]}, "objects[0].attributes must be a non-empty list"),
    ({"objects": [{"object_text": ROUTE}], "passwords": "member-pw"}, "passwords must be a list of strings"),
    ({"objects": [{"object_text": ROUTE}], "passwords": [1]}, "passwords must be a list of strings"),
    ({"objects": [{"object_text": ROUTE}], "override": ["x"]}, "override must be a string"),
    ({"objects": [{"object_text": ROUTE}], "delete_reason": 1}, "delete_reason must be a string"),
    ({"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"], "dry_run": "false"},
     "dry_run must be true or false (a JSON boolean, not a string)"),
    ({"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"], "dry_run": 0}, "dry_run must be true or false"),
    ([ROUTE], "expected a JSON object with a list of objects"),
])
def test_bad_submissions_are_refused_saying_what_is_wrong(client, registry, body, message):  # noqa: F811
    before = snapshot(registry.store)
    for method in (client.post, client.delete):
        reply = method("/v1/submit/", json=body)
        assert reply.status_code == 400 and reply.is_json, reply.data[:300]
        error = reply.get_json()["error"]
        assert error.startswith(message), error
        for python in ("object has no attribute", "NoneType", "Traceback", "'int'", "'str'"):
            assert python not in error
    assert snapshot(registry.store) == before
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None


def test_dry_run_takes_json_booleans(client, registry):  # noqa: F811
    body = {"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"], "dry_run": True}
    assert client.post("/v1/submit/", json=body).get_json()["dry_run"] is True
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    reply = client.post("/v1/submit/", json=body | {"dry_run": False}).get_json()
    assert reply["dry_run"] is False and reply["summary"]["successful_create"] == 1
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is not None


def test_the_host_header_never_reaches_a_location(client, registry):  # noqa: F811
    for method in ("POST", "DELETE"):
        response = client.open("/v1/submit", method=method, headers={"Host": "evil.example"})
        assert response.status_code == 308 and response.headers["Location"] == "/v1/submit/", method
    response = client.get("//evil.example/v1/submit", headers={"Host": "evil.example"})
    assert "evil.example" not in response.headers.get("Location", "")


def _chain(store: Store, depth: int) -> None:
    texts = [f"as-set: AS-DEEP{i}\nmembers: AS-DEEP{i + 1}, AS{64500 + i % 100}\nsource: VNNIC\n" for i in range(depth)]
    store.apply([Change("VNNIC", "ADD", load(t)) for t in texts], origin="test")


@pytest.mark.parametrize("depth", [60, 3000])
def test_health_of_a_too_deep_set_is_a_clean_413(registry, depth):  # noqa: F811
    _chain(registry.store, depth)
    memory = RoutingMemory(registry.store)
    memory.load_all()
    client = create_app(registry.config, registry.store, memory).test_client()
    reply = client.get("/v1/filters/health/AS-DEEP0?sources=VNNIC")
    assert reply.status_code == 413 and "nesting deeper than 50 levels" in reply.get_json()["error"]
    ok = client.get(f"/v1/filters/health/AS-DEEP{depth - 10}?sources=VNNIC")
    assert ok.status_code == 200 and json.loads(ok.data)["depth"] == 9
    unknown = client.get("/v1/filters/health/AS-DEEP0?sources=NOPE")
    assert unknown.status_code == 400 and unknown.get_json() == {"error": "unknown source(s): NOPE"}


def test_a_filter_error_carries_no_etag_and_is_never_confirmed_by_a_304(registry):  # noqa: F811
    _chain(registry.store, 3)
    memory = RoutingMemory(registry.store)
    memory.load_all()
    client = create_app(registry.config, registry.store, memory).test_client()
    refused = "/v1/filters/prefix-set/AS-DEEP0?format=juniper&af=6&aggregate=1&sources=VNNIC"
    first = client.get(refused)
    assert first.status_code == 422 and "ETag" not in first.headers and first.headers["Cache-Control"] == "no-store"
    # revalidation (any tag matches `*`) must not confirm an error with a 304
    again = client.get(refused, headers={"If-None-Match": "*"})
    assert again.status_code == 422 and "ETag" not in again.headers
    ok = "/v1/filters/prefix-set/AS-DEEP0?format=juniper&af=6&sources=VNNIC"
    tag = client.get(ok).headers["ETag"]
    assert client.get(ok, headers={"If-None-Match": tag}).status_code == 304
    too_deep = "/v1/filters/prefix-set/AS-DEEP0?sources=VNNIC"
    _chain(registry.store, 60)
    memory.refresh()
    deep = client.get(too_deep)
    assert deep.status_code == 413 and "ETag" not in deep.headers
