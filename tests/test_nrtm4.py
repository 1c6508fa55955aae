"""NRTMv4: byte vectors, publisher -> HTTP blueprint -> client between two real databases, and every
way the client refuses a repository (leaving its state and data as they were)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from joserfc.jwk import ECKey
from werkzeug.serving import make_server

from irr.config import Config, SourceConfig
from irr.store import Change, Store
from irr.web.nrtm4 import bp
from mirror import jsonseq, nrtm4_client, nrtm4_files, nrtm4_publisher
from mirror.nrtm4_client import Nrtm4Client
from mirror.nrtm4_files import (
    UNF_NAME,
    FileRef,
    Nrtm4Error,
    file_header,
    jws_payload,
    notification_payload,
    parse_notification,
    publish_directory,
    sign,
    verify,
)
from mirror.nrtm4_publisher import Nrtm4Publisher
from rpsl.lenient import load
from rpsl.output import mask_hashes
from tests.conftest import cloned_store

SESSION = "ca128382-78d9-41d1-8927-1ecef15275be"
VECTOR = (b'\x1e{"nrtm_version":4,"source":"EXAMPLE","session_id":"ca128382-78d9-41d1-8927-1ecef15275be",'
          b'"version":3,"type":"snapshot"}\n\x1e{"object":"route:          192.0.2.0\\/24\\norigin:         '
          b'AS64500\\nmnt-by:         EX-MNT\\nsource:         EXAMPLE\\n"}\n')
VECTOR_SHA256 = "f6a201834d5696a3d221efb1078029ed2bd53bb0cf294ef048a4131f1e893be5"
ROUTE = "route:          192.0.2.0/24\norigin:         AS64500\nmnt-by:         EX-MNT\nsource:         EXAMPLE\n"
ROUTE6 = "route6: 2001:db8::/32\norigin: AS64500\nsource: EXAMPLE"
MNTNER = ("mntner:         EX-MNT\ndescr:          example\nauth:           MD5-PW $1$abcdefgh$0123456789abcdefghijkl\n"
          "mnt-by:         EX-MNT\nsource:         EXAMPLE")
AUTNUM = "aut-num:        AS64500\nas-name:        EXAMPLE-AS\nmnt-by:         EX-MNT\nsource:         EXAMPLE"
ASSET = "as-set:         AS-EXAMPLE\nmembers:        AS64500\nmnt-by:         EX-MNT\nsource:         EXAMPLE"
URL = "https://nrtm.example.net/nrtm4/EXAMPLE/" + UNF_NAME
HOUR = 3600.0


def _pem() -> str:
    return ECKey.generate_key("P-256").as_pem(private=True).decode()


KEY1, KEY2, KEY3 = _pem(), _pem(), _pem()
PUB1, PUB2 = nrtm4_files.public_pem(KEY1), nrtm4_files.public_pem(KEY2)


class Clock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def mirror_store(pg_server_url, template_db):
    """A second database: the client's."""
    with cloned_store(pg_server_url, template_db) as s:
        yield s


class Repo:
    """An authoritative source EXAMPLE published by Nrtm4Publisher and served by the real blueprint."""

    def __init__(self, store: Store, data_dir: Path):
        self.store = store
        self.clock = Clock()
        self.config = Config(data_dir=data_dir, sources={
            "EXAMPLE": SourceConfig("EXAMPLE", authoritative=True, nrtm4_server=True),
            "PLAIN": SourceConfig("PLAIN", authoritative=True)})
        self.dir = publish_directory(self.config, "EXAMPLE")
        app = Flask("nrtm4-test")
        app.config["IRR_CONFIG"] = self.config
        app.register_blueprint(bp)
        self.app = app
        self.http = app.test_client()
        self.use_key(KEY1)

    def use_key(self, key: str, next_key: str | None = None) -> None:
        self.publisher = Nrtm4Publisher(self.store, self.config.sources["EXAMPLE"], self.dir, key, next_key,
                                        clock=self.clock)

    def publish(self) -> str:
        return self.publisher.run_once()

    def change(self, operation: str, text: str) -> None:
        self.store.apply([Change("EXAMPLE", operation, load(text.rstrip("\n")))], origin="test")

    def fetch(self, url: str) -> bytes:
        response = self.http.get(urlsplit(url).path)
        if response.status_code != 200:
            raise OSError(f"HTTP {response.status_code} for {url}")
        return response.data

    def client(self, store: Store, key: str = PUB1, **kwargs) -> Nrtm4Client:
        source = SourceConfig("EXAMPLE", nrtm4_url=URL, nrtm4_public_key=key, **kwargs)
        return Nrtm4Client(store, source, fetch=self.fetch, clock=self.clock)

    def state(self) -> dict:
        return self.store.mirror_state("EXAMPLE")["nrtm4_server"]

    def unf(self) -> nrtm4_files.Notification:
        return parse_notification(jws_payload((self.dir / UNF_NAME).read_bytes()), "EXAMPLE")

    def write_unf(self, version: int, snapshot: FileRef, deltas: list[FileRef], key: str = KEY1,
                  session: str | None = None, timestamp: float | None = None) -> None:
        payload = notification_payload("EXAMPLE", session or self.state()["session_id"], version,
                                       self.clock() if timestamp is None else timestamp, snapshot, deltas)
        (self.dir / UNF_NAME).write_bytes(sign(payload, key))

    def write_file(self, name: str, records: list[dict]) -> str:
        digest, _ = nrtm4_files.write_jsonseq_gz(self.dir, name, iter(records))
        return digest


@pytest.fixture
def repo(store, tmp_path) -> Repo:
    return Repo(store, tmp_path)


def objects(store: Store, source: str = "EXAMPLE") -> dict:
    return {(cls, pk): text for cls, pk, text in store.iter_objects(source)}


def client_state(store: Store) -> dict:
    return store.mirror_state("EXAMPLE").get("nrtm4_client", {})


def last_error(store: Store) -> str | None:
    return next((s.last_error for s in store.sources() if s.name == "EXAMPLE"), None)


def gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def assert_refused(client: Nrtm4Client, store: Store, match: str) -> None:
    """The run fails, is recorded, and changes neither the client's state nor its objects."""
    state, data = store.mirror_state("EXAMPLE"), objects(store)
    with pytest.raises(Nrtm4Error, match=match):
        client.run_once()
    assert store.mirror_state("EXAMPLE") == state
    assert objects(store) == data
    assert last_error(store) and "NRTMv4" in last_error(store)


# -- byte vectors ---------------------------------------------------------------------------------

def test_snapshot_vector_encoding_and_decoding():
    data = jsonseq.encode_one(file_header("snapshot", "EXAMPLE", SESSION, 3)) + jsonseq.encode_one({"object": ROUTE})
    assert data == VECTOR
    assert hashlib.sha256(data).hexdigest() == VECTOR_SHA256
    assert list(jsonseq.decode(io.BytesIO(VECTOR), chunk_size=5)) == [
        file_header("snapshot", "EXAMPLE", SESSION, 3), {"object": ROUTE}]
    with pytest.raises(jsonseq.JsonSeqError):
        list(jsonseq.decode(io.BytesIO(b'{"a":1}\n')))
    with pytest.raises(jsonseq.JsonSeqError):
        list(jsonseq.decode(io.BytesIO(b'\x1e{"a":\n')))


def test_publisher_reproduces_the_vectors(repo, monkeypatch):
    """Snapshot 1, delta 2 (the §3.5 example), delta 3, snapshot 3 == the §3.4 vector byte for byte."""
    monkeypatch.setattr(nrtm4_files.uuid, "uuid4", lambda: nrtm4_files.uuid.UUID(SESSION))
    repo.change("ADD", ROUTE)
    assert "new session" in repo.publish()
    state = repo.state()
    assert state["session_id"] == SESSION and state["version"] == 1
    assert gunzip(repo.dir / state["snapshot"]["filename"]) == VECTOR.replace(b'"version":3', b'"version":1')

    repo.change("DEL", ROUTE)
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    assert "delta 2 (2 changes)" in repo.publish()
    delta = repo.state()["deltas"][0]
    assert gunzip(repo.dir / delta["filename"]) == (
        b'\x1e{"nrtm_version":4,"source":"EXAMPLE","session_id":"ca128382-78d9-41d1-8927-1ecef15275be",'
        b'"version":2,"type":"delta"}\n'
        b'\x1e{"action":"delete","object_class":"route","primary_key":"192.0.2.0\\/24AS64500"}\n'
        b'\x1e{"action":"add_modify","object":"route6: 2001:db8::\\/32\\norigin: AS64500\\nsource: EXAMPLE\\n"}\n')

    repo.change("DEL", ROUTE6)
    repo.change("ADD", ROUTE)
    repo.clock.t += 5 * HOUR  # snapshot due (IRRd's default frequency: 4 hours)
    status = repo.publish()
    assert "delta 3" in status and "snapshot 3 (1 objects)" in status
    snapshot = repo.state()["snapshot"]
    path = repo.dir / snapshot["filename"]
    assert gunzip(path) == VECTOR
    assert hashlib.sha256(gunzip(path)).hexdigest() == VECTOR_SHA256
    assert snapshot["hash"] == hashlib.sha256(path.read_bytes()).hexdigest() == repo.unf().snapshot.hash


# -- publisher ------------------------------------------------------------------------------------

def test_published_files_signature_and_http_headers(repo):
    repo.change("ADD", MNTNER)
    repo.change("ADD", ROUTE)
    repo.publish()
    raw = (repo.dir / UNF_NAME).read_bytes()
    assert raw.startswith(b"eyJhbGciOiJFUzI1NiJ9.")  # {"alg":"ES256"} exactly
    payload = verify(raw, PUB1)
    assert payload is not None and verify(raw, PUB2) is None
    data = json.loads(payload)
    assert list(data) == ["nrtm_version", "source", "session_id", "version", "timestamp", "type", "snapshot",
                          "deltas"]
    unf = parse_notification(payload, "EXAMPLE")
    assert unf.version == 1 and unf.deltas == [] and unf.next_signing_key is None
    assert nrtm4_files.FILE_NAME.match(unf.snapshot.url) and f".{unf.session_id}.1." in unf.snapshot.url
    assert unf.snapshot.hash == hashlib.sha256((repo.dir / unf.snapshot.url).read_bytes()).hexdigest()
    snapshot = gunzip(repo.dir / unf.snapshot.url)
    assert b"DummyValue" in snapshot and b"0123456789abcdefghijkl" not in snapshot
    assert not [p for p in repo.dir.iterdir() if p.name.startswith(".tmp")]

    response = repo.http.get("/nrtm4/EXAMPLE/" + UNF_NAME)
    assert response.status_code == 200 and response.data == raw
    assert response.headers["Cache-Control"] == "no-cache"
    response = repo.http.get("/nrtm4/EXAMPLE/" + unf.snapshot.url)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert hashlib.sha256(response.data).hexdigest() == unf.snapshot.hash
    for path in ("/nrtm4/PLAIN/" + UNF_NAME, "/nrtm4/NOPE/" + UNF_NAME, "/nrtm4/EXAMPLE/.lock",
                 "/nrtm4/EXAMPLE/..%2F..%2Fetc%2Fpasswd", "/nrtm4/EXAMPLE/" + unf.snapshot.url.replace("1", "2")):
        assert repo.http.get(path).status_code == 404, path

    # nothing changed: no new files, the same UNF
    names = sorted(p.name for p in repo.dir.iterdir())
    repo.clock.t += 60
    assert "up to date at version 1" in repo.publish()
    assert sorted(p.name for p in repo.dir.iterdir()) == names
    assert (repo.dir / UNF_NAME).read_bytes() == raw
    repo.clock.t += HOUR + 1  # but the UNF is re-signed regularly, well within a day
    assert "notification file re-signed" in repo.publish()
    assert repo.unf().timestamp.timestamp() == pytest.approx(repo.clock.t, abs=1)


def test_snapshot_schedule_retention_and_cleanup(repo):
    repo.change("ADD", ROUTE)
    repo.publish()
    first_snapshot = repo.state()["snapshot"]["filename"]
    repo.clock.t += 60
    repo.change("ADD", ROUTE6)
    status = repo.publish()
    assert "delta 2" in status and "snapshot" not in status  # not more often than the snapshot interval
    repo.clock.t += 4 * HOUR
    assert "snapshot 2 (2 objects)" in repo.publish()  # due: the version moved since snapshot 1
    # the old snapshot stays a while after it is no longer referenced, then goes
    repo.clock.t += 240
    repo.publish()
    assert (repo.dir / first_snapshot).exists()
    repo.clock.t += 60
    repo.publish()
    assert not (repo.dir / first_snapshot).exists()
    repo.clock.t += 5 * HOUR
    assert repo.publish() == "EXAMPLE: NRTMv4 notification file re-signed"  # nothing changed: no snapshot
    unf = repo.unf()
    assert unf.snapshot.version == 2 and [d.version for d in unf.deltas] == [2]

    # a day later, delta 2 is dropped (it is not newer than the snapshot)
    repo.clock.t += 24 * HOUR
    repo.change("ADD", ASSET)
    status = repo.publish()
    assert "delta 3" in status and "snapshot 3" in status
    unf = repo.unf()
    assert unf.snapshot.version == 3 and [d.version for d in unf.deltas] == [3]
    repo.clock.t += 600
    repo.publish()
    referenced = {unf.snapshot.url} | {d.url for d in unf.deltas}
    assert {p.name for p in repo.dir.iterdir() if nrtm4_files.FILE_NAME.match(p.name)} == referenced
    # stray temporary files (a crash while writing) are removed too
    stray = repo.dir / (nrtm4_files.TEMP_PREFIX + "crashed")
    stray.write_bytes(b"partial")
    repo.publish()
    repo.clock.t += 301
    repo.publish()
    assert not stray.exists()


def test_deltas_newer_than_the_snapshot_are_kept():
    old = time.time() - 30 * HOUR
    state = {"snapshot": {"version": 3}, "deltas": [{"version": v, "timestamp": old} for v in (2, 3, 4, 5)]}
    nrtm4_publisher.expire_deltas(state, time.time())
    assert [d["version"] for d in state["deltas"]] == [4, 5]


def test_session_restarts_when_files_are_missing_or_the_source_is_reloaded(repo, tmp_path):
    repo.change("ADD", ROUTE)
    repo.publish()
    session = repo.state()["session_id"]
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    repo.publish()
    (repo.dir / repo.state()["deltas"][0]["filename"]).unlink()
    repo.clock.t += 60
    status = repo.publish()
    assert "new session" in status and "missing" in status
    state = repo.state()
    assert state["session_id"] != session and state["version"] == 1 and state["deltas"] == []
    assert repo.unf().session_id == state["session_id"]
    # a bulk reload of the source loses the history: new session
    from mirror.importer import load_files

    dump = tmp_path / "example.db"
    dump.write_text(ROUTE + "\n" + AUTNUM + "\n")
    load_files(repo.store, "EXAMPLE", [dump], serial=100)
    repo.clock.t += 60
    assert "source was reloaded" in repo.publish()
    assert repo.state()["session_id"] != state["session_id"]


# -- client ---------------------------------------------------------------------------------------

def expected(repo: Repo) -> dict:
    return {key: mask_hashes(text) for key, text in objects(repo.store).items()}


def test_round_trip_snapshot_then_deltas(repo, mirror_store):
    for text in (MNTNER, ROUTE, AUTNUM):
        repo.change("ADD", text)
    repo.publish()
    client = repo.client(mirror_store)
    status = client.run_once()
    assert "snapshot 1 loaded (3 objects)" in status
    assert objects(mirror_store) == expected(repo)
    assert "DummyValue" in objects(mirror_store)[("mntner", "EX-MNT")]
    state = client_state(mirror_store)
    assert state["session_id"] == repo.state()["session_id"] and state["version"] == 1
    assert state["current_key"] == PUB1 and state["next_key"] is None
    assert "up to date at version 1" in client.run_once()

    # add, modify, delete; two publications, fetched in one run
    repo.change("ADD", ROUTE6)
    repo.change("ADD", AUTNUM.replace("EXAMPLE-AS", "RENAMED-AS"))
    repo.clock.t += 60
    repo.publish()
    repo.change("DEL", ROUTE)
    repo.change("ADD", ASSET)
    repo.clock.t += 60
    repo.publish()
    status = client.run_once()
    assert "delta 2" in status and "delta 3" in status and "now at version 3" in status
    assert objects(mirror_store) == expected(repo)
    assert ("route", "192.0.2.0/24AS64500") not in objects(mirror_store)
    assert client_state(mirror_store)["version"] == 3
    journal = mirror_store.journal("EXAMPLE")
    assert [(e.operation, e.object_class) for e in journal] == [
        ("ADD", "route6"), ("ADD", "aut-num"), ("DEL", "route"), ("ADD", "as-set")]
    assert journal[0].origin.startswith("mirror nrtm4 ")
    assert last_error(mirror_store) is None
    status = client.run_once(force=True)
    assert "forced reload" in status and "snapshot 1 loaded" in status and "delta 3" in status
    assert objects(mirror_store) == expected(repo) and client_state(mirror_store)["version"] == 3


def test_session_change_and_version_gap_reload_the_snapshot(repo, mirror_store):
    repo.change("ADD", ROUTE)
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    assert len(mirror_store.journal("EXAMPLE")) == 1

    # new session on the server: snapshot reload, the client's journal starts again
    (repo.dir / repo.state()["snapshot"]["filename"]).unlink()
    repo.change("ADD", AUTNUM)
    repo.clock.t += 60
    repo.publish()
    status = client.run_once()
    assert "session changed" in status and "snapshot 1 loaded (3 objects)" in status
    assert objects(mirror_store) == expected(repo)
    assert mirror_store.journal("EXAMPLE") == []
    assert client_state(mirror_store)["session_id"] == repo.state()["session_id"]

    # the client falls behind further than the deltas reach: snapshot 3, then delta 4
    repo.change("ADD", ASSET)
    repo.clock.t += 60
    repo.publish()
    repo.change("DEL", ROUTE6)
    repo.clock.t += 5 * HOUR
    repo.publish()  # delta 3 + snapshot 3
    repo.clock.t += 25 * HOUR
    repo.change("ADD", MNTNER)
    repo.publish()  # delta 4 (+ snapshot 4)
    repo.change("DEL", ASSET)
    repo.clock.t += 60
    repo.publish()  # delta 5 only: deltas 2-3 are gone
    unf = repo.unf()
    assert unf.deltas[0].version > 2
    status = client.run_once()
    assert "no deltas from version 2" in status and f"snapshot {unf.snapshot.version} loaded" in status
    assert client_state(mirror_store)["version"] == unf.version == 5
    assert objects(mirror_store) == expected(repo)


def test_bad_signature(repo, mirror_store):
    repo.change("ADD", ROUTE)
    repo.publish()
    assert_refused(repo.client(mirror_store, key=PUB2), mirror_store, "no valid signature")
    raw = (repo.dir / UNF_NAME).read_bytes()
    header, payload, signature = raw.split(b".")
    tampered = json.loads(jws_payload(raw))
    tampered["version"] = 1
    tampered["metadata"] = {"x": 1}
    forged = header + b"." + base64.urlsafe_b64encode(json.dumps(tampered).encode()).rstrip(b"=") + b"." \
        + signature
    (repo.dir / UNF_NAME).write_bytes(forged)
    assert_refused(repo.client(mirror_store), mirror_store, "no valid signature")
    for alg in ("none", "HS256"):
        head = base64.urlsafe_b64encode(json.dumps({"alg": alg}).encode()).rstrip(b"=")
        (repo.dir / UNF_NAME).write_bytes(head + b"." + payload + b"." + signature)
        assert_refused(repo.client(mirror_store), mirror_store, "ES256")
    (repo.dir / UNF_NAME).write_bytes(b"not a jws")
    assert_refused(repo.client(mirror_store), mirror_store, "JWS")
    assert client_state(mirror_store) == {} and objects(mirror_store) == {}


def test_tampered_files(repo, mirror_store):
    repo.change("ADD", ROUTE)
    repo.publish()
    client = repo.client(mirror_store)
    snapshot = repo.dir / repo.state()["snapshot"]["filename"]
    good = snapshot.read_bytes()
    snapshot.write_bytes(gzip.compress(gzip.decompress(good).replace(b"AS64500", b"AS64666")))
    assert_refused(client, mirror_store, "SHA-256")
    snapshot.write_bytes(good)
    client.run_once()
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    repo.publish()
    delta = repo.dir / repo.state()["deltas"][0]["filename"]
    delta.write_bytes(delta.read_bytes() + b"\0")
    assert_refused(client, mirror_store, "does not match")
    assert client_state(mirror_store)["version"] == 1


def test_rewritten_history_regression_and_stale_unf(repo, mirror_store):
    repo.change("ADD", ROUTE)
    repo.publish()
    unf_v1 = (repo.dir / UNF_NAME).read_bytes()
    client = repo.client(mirror_store)
    client.run_once()
    for version, text in ((2, ROUTE6), (3, AUTNUM)):
        repo.change("ADD", text)
        repo.clock.t += 60
        repo.publish()
        if version == 2:
            unf_v2 = (repo.dir / UNF_NAME).read_bytes()
    unf_v3 = (repo.dir / UNF_NAME).read_bytes()
    client.run_once()
    assert client_state(mirror_store)["version"] == 3

    # the same versions with other files: refused
    state = repo.state()
    other = repo.write_file(f"nrtm-delta.{state['session_id']}.3.{'ab' * 16}.json.gz",
                            [file_header("delta", "EXAMPLE", state["session_id"], 3),
                             {"action": "add_modify", "object": ASSET}])
    snapshot = FileRef(1, state["snapshot"]["filename"], state["snapshot"]["hash"])
    deltas = [FileRef(2, state["deltas"][0]["filename"], state["deltas"][0]["hash"]),
              FileRef(3, f"nrtm-delta.{state['session_id']}.3.{'ab' * 16}.json.gz", other)]
    repo.write_unf(3, snapshot, deltas)
    assert_refused(client, mirror_store, "rewriting history")
    repo.write_unf(3, FileRef(1, "moved/" + snapshot.url, snapshot.hash), deltas[:1] + [
        FileRef(3, state["deltas"][1]["filename"], state["deltas"][1]["hash"])])
    assert_refused(client, mirror_store, "rewriting history")

    # versions going back
    (repo.dir / UNF_NAME).write_bytes(unf_v2)
    assert_refused(client, mirror_store, "one version behind")
    (repo.dir / UNF_NAME).write_bytes(unf_v1)
    assert_refused(client, mirror_store, "went back from version 3 to 1")

    # a stale UNF (older than a day) is refused even with a valid signature
    (repo.dir / UNF_NAME).write_bytes(unf_v3)
    assert "up to date at version 3" in client.run_once()
    repo.clock.t += 25 * HOUR
    assert_refused(client, mirror_store, "stale")
    repo.publish()  # the publisher re-signs it
    assert "up to date" in client.run_once()


def test_key_rotation(repo, mirror_store):
    repo.change("ADD", ROUTE)
    repo.use_key(KEY1, next_key=KEY2)
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    assert repo.unf().next_signing_key == PUB2
    state = client_state(mirror_store)
    assert (state["current_key"], state["next_key"]) == (PUB1, PUB2)

    # the server promotes the next key: the client follows, permanently
    repo.use_key(KEY2)
    repo.clock.t += 60
    assert "notification file" in repo.publish()  # re-signed at once with the new key
    client.run_once()
    state = client_state(mirror_store)
    assert (state["current_key"], state["next_key"]) == (PUB2, None)
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    repo.publish()
    assert "delta 2" in client.run_once()

    # going back to the configured (old) key, or any other key, is refused
    repo.use_key(KEY1)
    repo.clock.t += 60
    repo.publish()
    assert_refused(client, mirror_store, "rotated")
    repo.use_key(KEY3)
    repo.clock.t += 60
    repo.publish()
    assert_refused(client, mirror_store, "no valid signature")
    # an operator who configures the new key starts from it
    repo.use_key(KEY2)
    repo.clock.t += 60
    repo.publish()
    assert "up to date" in repo.client(mirror_store, key=PUB2).run_once()


def test_delta_records_deletes_and_skips(repo, mirror_store, caplog):
    repo.change("ADD", ROUTE)
    repo.change("ADD", AUTNUM)
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    state = repo.state()
    session = state["session_id"]
    snapshot = FileRef(1, state["snapshot"]["filename"], state["snapshot"]["hash"])

    def delta(version: int, records: list[dict], tag: str = "cd") -> FileRef:
        name = f"nrtm-delta.{session}.{version}.{tag * 16}.json.gz"
        return FileRef(version, name, repo.write_file(name, [file_header("delta", "EXAMPLE", session, version)]
                                                      + records))

    records = [
        {"action": "add_modify", "object": ROUTE6},
        {"action": "add_modify", "object": "limerick: there was a router\nsource: EXAMPLE"},
        {"action": "add_modify", "object": "route: not-a-prefix\norigin: AS1\nsource: EXAMPLE"},
        {"action": "add_modify", "object": ASSET.replace("source:         EXAMPLE", "source:         OTHER")},
        {"action": "delete", "object_class": "route", "primary_key": "198.51.100.0/24AS1"},  # never had it
        {"action": "delete", "object_class": "ROUTE", "primary_key": "192.0.2.0/24as64500"},
        {"action": "delete", "object_class": "limerick", "primary_key": "X"},
    ]
    d2 = delta(2, records)
    repo.write_unf(2, snapshot, [d2])
    caplog.set_level(logging.INFO, logger="mirror.nrtm4")
    status = client.run_once()
    assert "delta 2" in status and "3 changes applied" in status
    assert set(objects(mirror_store)) == {("aut-num", "AS64500"), ("route6", "2001:DB8::/32AS64500")}
    log = caplog.text
    assert "unknown object class 'limerick'" in log and "not a valid IPv4 prefix" in log
    assert "has source OTHER" in log and "unknown class limerick" in log

    # refused deltas: bad header, no records, unknown action, broken JSON, other session's header
    bad = [
        ([{"action": "rename", "object": ROUTE}], "unknown action"),
        ([], "no changes"),
        ([{"action": "delete", "object_class": "route"}], "primary_key"),
    ]
    for i, (recs, match) in enumerate(bad):
        repo.write_unf(3, snapshot, [d2, delta(3, recs, tag=f"{i}e")])
        assert_refused(client, mirror_store, match)
    name = f"nrtm-delta.{session}.3.{'ef' * 16}.json.gz"
    (repo.dir / name).write_bytes(gzip.compress(jsonseq.encode_one(file_header("delta", "EXAMPLE", session, 3))
                                                + b'\x1e{"action": '))
    repo.write_unf(3, snapshot, [d2, FileRef(3, name, hashlib.sha256((repo.dir / name).read_bytes()).hexdigest())])
    assert_refused(client, mirror_store, "invalid JSON")
    name = f"nrtm-delta.{session}.3.{'fa' * 16}.json.gz"
    digest = repo.write_file(name, [file_header("delta", "EXAMPLE", SESSION, 3), {"action": "add_modify",
                                                                                     "object": ASSET}])
    repo.write_unf(3, snapshot, [d2, FileRef(3, name, digest)])
    assert_refused(client, mirror_store, "session_id")
    name = f"nrtm-delta.{session}.3.{'fb' * 16}.json.gz"
    digest = repo.write_file(name, [file_header("delta", "EXAMPLE", session, 4), {"action": "add_modify",
                                                                                    "object": ASSET}])
    repo.write_unf(3, snapshot, [d2, FileRef(3, name, digest)])
    assert_refused(client, mirror_store, "version")
    assert client_state(mirror_store)["version"] == 2


def test_class_filter_and_size_limits(repo, mirror_store):
    for text in (MNTNER, ROUTE, AUTNUM):
        repo.change("ADD", text)
    repo.publish()
    client = repo.client(mirror_store, object_classes=("route", "route6"))
    small = Nrtm4Client(mirror_store, client.source, fetch=repo.fetch, clock=repo.clock, max_decompressed=200)
    assert_refused(small, mirror_store, "after decompression")
    tiny = Nrtm4Client(mirror_store, client.source, fetch=repo.fetch, clock=repo.clock, max_bytes=50)
    assert_refused(tiny, mirror_store, "larger than 50 bytes")
    client.run_once()
    assert set(objects(mirror_store)) == {("route", "192.0.2.0/24AS64500")}
    repo.change("ADD", ROUTE6)
    repo.change("ADD", ASSET)
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    assert set(objects(mirror_store)) == {("route", "192.0.2.0/24AS64500"), ("route6", "2001:DB8::/32AS64500")}


@pytest.mark.parametrize("change, match", [
    ({"nrtm_version": 3}, "nrtm_version"),
    ({"type": "snapshot"}, "type"),
    ({"timestamp": "2026-11-27T20:30:56+00:00"}, "timestamp"),
    ({"source": "OTHER"}, "expected EXAMPLE"),
    ({"source": "not a name"}, "RPSL object name"),
    ({"session_id": "c232ab00-9414-11ec-b3c8-9f68deced846"}, "UUIDv4"),
    ({"session_id": SESSION.upper()}, "UUIDv4"),
    ({"version": 5}, "should be 4"),
    ({"version": 0}, "positive"),
    ({"snapshot": {"version": 3, "url": "s.json.gz", "hash": "AB" * 32}}, "hash"),
    ({"snapshot": None}, "snapshot"),
    ({"deltas": [{"version": 2, "url": "a", "hash": "ab" * 32}, {"version": 4, "url": "b", "hash": "ab" * 32}]},
     "contiguous"),
    ({"deltas": [{"version": 1, "url": "a", "hash": "ab" * 32}], "version": 3}, "version 1"),
    ({"next_signing_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, "next_signing_key"),
    ({"metadata": []}, "metadata"),
])
def test_notification_payload_rules(change, match):
    data = {"nrtm_version": 4, "timestamp": "2026-11-27T20:30:56Z", "type": "notification", "source": "EXAMPLE",
            "session_id": SESSION, "version": 4,
            "snapshot": {"version": 3, "url": "nrtm-snapshot.3.04759.json.gz", "hash": "ab" * 32},
            "deltas": [{"version": v, "url": f"nrtm-delta.{v}.json", "hash": "cd" * 32} for v in (2, 3, 4)],
            "next_signing_key": PUB2, "metadata": {}, "unknown_field": True}
    unf = parse_notification(json.dumps(data).encode(), "EXAMPLE")
    assert unf.version == 4 and unf.next_signing_key == PUB2 and len(unf.deltas) == 3
    data.update(change)
    with pytest.raises(Nrtm4Error, match=match):
        parse_notification(json.dumps(data).encode(), "EXAMPLE")


def test_default_fetch_over_file_urls_and_never_http(repo, mirror_store, pg_server_url, template_db):
    """The default fetch reads file:// repositories; plain http:// is refused (https: see
    test_nrtm4_https.py)."""
    repo.change("ADD", ROUTE)
    repo.publish()
    server = make_server("127.0.0.1", 0, repo.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/nrtm4/EXAMPLE/{UNF_NAME}"
        with urllib.request.urlopen(url) as response:
            assert response.headers["Cache-Control"] == "no-cache"
        client = Nrtm4Client(mirror_store, SourceConfig("EXAMPLE", nrtm4_url=url, nrtm4_public_key=PUB1))
        with pytest.raises(Nrtm4Error, match="only fetched over https://"):
            client.run_once()
    finally:
        server.shutdown()
        thread.join()
    key_file = repo.dir.parent / "key.pem"
    key_file.write_text(PUB1)
    file_client = Nrtm4Client(mirror_store, SourceConfig("EXAMPLE", nrtm4_url=(repo.dir / UNF_NAME).as_uri(),
                                                         nrtm4_public_key=str(key_file)))
    assert "snapshot 1 loaded (1 objects)" in file_client.run_once()
    repo.change("ADD", ROUTE6)
    repo.clock.t = time.time()
    repo.publish()
    assert "delta 2" in file_client.run_once()
    assert objects(mirror_store) == expected(repo)
    assert "up to date at version 2" in file_client.run_once()
    with pytest.raises(Nrtm4Error, match="only fetched over https://"):
        nrtm4_client.fetch_url("ftp://example.net/x")


def test_mirror_republishes_with_its_own_session(repo, mirror_store, tmp_path):
    """A mirror can serve what it mirrors: its own session, restarted when it reloads a snapshot;
    the client's and the publisher's states live side by side in mirror_state."""
    repo.change("ADD", ROUTE)
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    downstream = Nrtm4Publisher(mirror_store, SourceConfig("EXAMPLE", nrtm4_server=True), tmp_path / "republish",
                                KEY2, clock=repo.clock)
    downstream.run_once()
    state = mirror_store.mirror_state("EXAMPLE")
    assert state["nrtm4_client"]["version"] == 1 and state["nrtm4_server"]["version"] == 1
    assert state["nrtm4_server"]["session_id"] != state["nrtm4_client"]["session_id"]
    repo.change("ADD", ROUTE6)
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    repo.clock.t += 60
    assert "delta 2 (1 changes)" in downstream.run_once()
    state = mirror_store.mirror_state("EXAMPLE")
    assert state["nrtm4_client"]["version"] == 2 and state["nrtm4_server"]["version"] == 2
    # upstream starts a new session: the mirror reloads, and so its own history starts again
    (repo.dir / repo.state()["snapshot"]["filename"]).unlink()
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    repo.clock.t += 60
    assert "source was reloaded" in downstream.run_once()
    first = downstream.directory / UNF_NAME
    unf = parse_notification(verify(first.read_bytes(), PUB2), "EXAMPLE")
    snapshot = gunzip(downstream.directory / unf.snapshot.url)
    assert snapshot.count(b"\x1e") == 3  # header and both routes


def test_a_delete_of_an_object_never_held_leaves_no_empty_journal_entry(repo, mirror_store):
    """A delta may delete what this mirror never had: nothing to delete, and no journal entry (an
    NRTMv3 DEL without object text would break every mirror of this one)."""
    repo.change("ADD", ROUTE)
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    state = repo.state()
    session = state["session_id"]
    snapshot = FileRef(1, state["snapshot"]["filename"], state["snapshot"]["hash"])
    name = f"nrtm-delta.{session}.2.{'cd' * 16}.json.gz"
    records = [file_header("delta", "EXAMPLE", session, 2),
               {"action": "delete", "object_class": "route", "primary_key": "198.51.100.0/24AS1"},
               {"action": "add_modify", "object": ROUTE6}]
    digest = repo.write_file(name, records)
    repo.write_unf(2, snapshot, [FileRef(2, name, digest)])
    client.run_once()
    journal = mirror_store.journal("EXAMPLE")
    assert all(e.object_text.strip() for e in journal)
    assert (journal[-1].operation, journal[-1].object_class) == ("ADD", "route6")
    assert not any(e.pk == "198.51.100.0/24AS1" for e in journal)


def test_snapshots_leave_rpki_invalid_routes_out_like_the_deltas(store, tmp_path):
    import json as json_module

    from irr.rpki.validate import load_roas

    config = Config(data_dir=tmp_path, sources={"EXAMPLE": SourceConfig("EXAMPLE", True, nrtm4_server=True)},
                    source_order=("EXAMPLE",))
    for prefix in ("203.0.113.0/24", "192.0.2.0/24"):
        store.apply([Change("EXAMPLE", "ADD", load(f"route: {prefix}\norigin: AS64500\nsource: EXAMPLE"))],
                    origin="test")
    load_roas(config, store, json_module.dumps(
        {"roas": [{"asn": 64501, "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "x"}]}).encode())
    assert store.journal("EXAMPLE")[-1].operation == "DEL"          # the delta side: the invalid route goes
    directory = publish_directory(config, "EXAMPLE")
    Nrtm4Publisher(store, config.sources["EXAMPLE"], directory, KEY1).run_once()
    snapshot = gzip.decompress(next(directory.glob("nrtm-snapshot.*")).read_bytes()).decode().replace("\\/", "/")
    assert "192.0.2.0/24" in snapshot and "203.0.113.0/24" not in snapshot


def test_a_relative_data_dir_is_served_over_http(store, tmp_path, monkeypatch):
    """`irr --data-dir data serve`: the update notification file answered 500, because Flask's
    send_file takes a relative path from the package directory, not the working directory."""
    from irr.config import load_config
    from irr.web import create_app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "irr.toml").write_text('[sources.EXAMPLE]\nauthoritative = true\nnrtm4_server = true\n')
    config = load_config("irr.toml", "data")
    assert config.data_dir == tmp_path / "data" and config.data_dir.is_absolute()
    store.apply([Change("EXAMPLE", "ADD", load(MNTNER.rstrip("\n")))], origin="test")
    Nrtm4Publisher(store, config.sources["EXAMPLE"], publish_directory(config, "EXAMPLE"), KEY1).run_once()
    client = create_app(config, store).test_client()
    response = client.get("/nrtm4/EXAMPLE/" + UNF_NAME)
    assert response.status_code == 200 and verify(response.data, PUB1) is not None
    snapshot = parse_notification(jws_payload(response.data), "EXAMPLE").snapshot.url
    assert client.get("/nrtm4/EXAMPLE/" + snapshot).status_code == 200


def test_a_mirror_keeps_rpki_invalid_routes_out_of_its_own_journal(repo, mirror_store):
    """An NRTMv4 mirror has serials of its own: as in IRRd, an invalid route that arrives gets no
    journal entry, one that turns invalid a DEL, so whoever mirrors this mirror never sees them;
    its serials stay contiguous."""
    from irr.query.nrtm import operations
    from irr.rpki.roas import Roa

    mirror_store.replace_roas([Roa("198.51.100.0/24", 24, 64501, "apnic"), Roa("192.0.2.0/24", 24, 64500, "apnic")])
    repo.change("ADD", ROUTE)                                   # valid at the mirror
    repo.publish()
    client = repo.client(mirror_store)
    client.run_once()
    base = len(mirror_store.journal("EXAMPLE"))
    invalid = "route: 198.51.100.0/24\norigin: AS64500\nsource: EXAMPLE"
    repo.change("ADD", invalid)                                 # arrives invalid: not journalled
    repo.change("ADD", ROUTE.replace("AS64500", "AS64999"))     # a new route, invalid
    repo.change("ADD", ROUTE6)                                  # not covered: journalled
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    repo.change("DEL", invalid)                                 # never shown: nothing to withdraw
    repo.change("ADD", ROUTE.replace("mnt-by:         EX-MNT\n", ""))  # still valid: an ADD
    repo.clock.t += 60
    repo.publish()
    client.run_once()
    assert mirror_store.get("EXAMPLE", "route", "192.0.2.0/24AS64999").rpki_status == "invalid"  # stored
    journal = mirror_store.journal("EXAMPLE")[base:]
    assert [(e.operation, e.object_class, e.pk) for e in journal] == [
        ("ADD", "route6", "2001:DB8::/32AS64500"), ("ADD", "route", "192.0.2.0/24AS64500")]
    serials = [e.serial for e in mirror_store.journal("EXAMPLE")]
    assert serials == list(range(serials[0], serials[0] + len(serials)))
    stream = operations(mirror_store.journal("EXAMPLE"), 3)
    assert "198.51.100.0/24" not in stream and "AS64999" not in stream
