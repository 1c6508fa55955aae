"""NRTMv3 between real peers: our server (whois port) feeding our client over loopback, the IRRd
stream samples, faulty peers, and a client killed with SIGKILL mid-batch."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from irr.config import Config, SourceConfig
from irr.database import make_engine
from irr.store import Change, Store
from mirror.full_import import FullImport
from mirror.importer import load_files
from mirror.nrtm3 import Nrtm3Client, Nrtm3Error, parse_stream
from rpsl.lenient import load
from tests.conftest import REAL, REPO, cloned_database, generate_dump
from tests.whois_helpers import running_whois

NRTM = REAL / "nrtm"


@pytest.fixture
def second_db(pg_server_url, template_db):
    """Another fresh database: the mirror's side."""
    with cloned_database(pg_server_url, template_db) as url:
        store = Store(make_engine(url))
        yield url, store
        store.engine.dispose()


def objects(store: Store, source: str) -> dict[tuple[str, str], str]:
    return {(c, pk): text for c, pk, text in store.iter_objects(source)}


# -- parsing the IRRd samples ---------------------------------------------------------------------
@pytest.mark.parametrize("name,reason", [
    ("irrd-nrtm-invalid-no-start-line.nrtm", "operation before %START"),
    ("irrd-nrtm-invalid-version.nrtm", "invalid NRTM version 99"),
    ("irrd-nrtm-v1-too-many-items.nrtm", "more operations than the range"),
    ("irrd-nrtm-v3-invalid-multiple-start-lines.nrtm", "a second %START"),
    ("irrd-nrtm-v3-no-end.nrtm", "no %END TEST"),
    ("irrd-nrtm-v3-serial-out-of-order.nrtm", "out of order or repeated"),
])
def test_invalid_streams_are_refused_with_the_reason(name, reason):
    with pytest.raises(Nrtm3Error, match=reason):
        parse_stream((NRTM / name).read_text(), "TEST")


@pytest.mark.parametrize("name,expected", [
    ("irrd-nrtm-v3.nrtm", [("ADD", 11012700), ("DEL", 11012701)]),
    ("irrd-nrtm-v1.nrtm", [("ADD", 11012700), ("DEL", 11012701)]),
    ("irrd-nrtm-v3-serial-gap.nrtm", [("ADD", 11012700), ("DEL", 11012701)]),
])
def test_valid_streams_parse(name, expected):
    stream = parse_stream((NRTM / name).read_text(), "TEST")
    assert [(op.operation, op.serial) for op in stream.operations] == expected


def test_valid_sample_streams_are_applied(store):
    """The valid samples applied to a TEST mirror: the DEL of the inetnum removes it; the person
    without nic-hdl is skipped (invalid key) without stopping the stream."""
    inetnum = "inetnum: 192.0.2.0 - 192.0.2.255\nnetname: X\nsource: TEST\n"
    store.apply([Change("TEST", "ADD", load(inetnum), serial=11012600)], origin="test")
    client = Nrtm3Client(store, SourceConfig("TEST"))
    status = client.apply(parse_stream((NRTM / "irrd-nrtm-v3-serial-gap.nrtm").read_text(), "TEST"))
    assert "applied 1 of 2 operations" in status
    assert store.get("TEST", "inetnum", "192.0.2.0 - 192.0.2.255") is None
    assert {s.name: s.serial_newest for s in store.sources()}["TEST"] == 11012703  # end of the range


# -- a real server feeding a real client ----------------------------------------------------------
def replay_journal(store: Store, journal: Path, source: str) -> int:
    """Apply a generated NRTMv3 journal to an authoritative source (our own serials)."""
    stream = parse_stream(journal.read_text(encoding="utf-8"), source)
    batch = []
    for op in stream.operations:
        obj = load(op.text.rstrip("\n"))
        if obj.error is None:
            batch.append(Change(source, op.operation, obj, missing_ok=True))
        if len(batch) == 500:
            store.apply(batch, origin="replay")
            batch = []
    if batch:
        store.apply(batch, origin="replay")
    return len(stream.operations)


@pytest.fixture
def upstream(store, tmp_path):
    """An authoritative APNIC-like source with a 1,000+ entry journal."""
    dump = tmp_path / "dump.db"
    journal = tmp_path / "journal.nrtm3"
    generate_dump(dump, 4000, 5, "--serial-journal", str(journal), "--journal-ops", "1200", "--serial-start", "101")
    load_files(store, "APNIC", [dump], serial=100)
    count = replay_journal(store, journal, "APNIC")
    assert count >= 1000
    return dump, journal


def server_config(tmp_path) -> Config:
    return Config(data_dir=tmp_path, sources={"APNIC": SourceConfig("APNIC", True, nrtm_access=("127.0.0.1",))},
                  source_order=("APNIC",))


def test_server_feeds_client_to_identical_objects(store, second_db, upstream, tmp_path):
    dump, _ = upstream
    url, mirror = second_db
    load_files(mirror, "APNIC", [dump], serial=100, mirror=True)
    with running_whois(server_config(tmp_path), store) as server:
        source = SourceConfig("APNIC", nrtm_host="127.0.0.1", nrtm_port=server.port)
        status = Nrtm3Client(mirror, source).run_once()
        assert "applied" in status
        assert Nrtm3Client(mirror, source).run_once() == f"APNIC: up to date at serial {store.journal_range('APNIC')[1]}"
    # the mirror holds what NRTM publishes: the same objects, password hashes masked
    assert _masked(objects(mirror, "APNIC")) == _masked(objects(store, "APNIC"))
    up = [(e.serial, e.operation, e.pk) for e in store.journal("APNIC")]
    down = [(e.serial, e.operation, e.pk) for e in mirror.journal("APNIC")]
    assert down == up  # synchronised serials, nothing lost or repeated


def _masked(objs):
    from rpsl.output import mask_hashes
    return {k: mask_hashes(v) for k, v in objs.items()}


def test_server_answers_like_irrd(store, upstream, tmp_path):
    with running_whois(server_config(tmp_path), store) as server:
        oldest, newest = store.journal_range("APNIC")
        reply = server.query(f"-g APNIC:3:{oldest}-{oldest + 1}").decode()
        assert reply.startswith(f"%START Version: 3 APNIC {oldest}-{oldest + 1}\n\nADD {oldest}\n\n") or \
            reply.startswith(f"%START Version: 3 APNIC {oldest}-{oldest + 1}\n\nDEL {oldest}\n\n")
        assert reply.endswith("\n%END APNIC\n\n\n")
        assert "$1$" not in server.query(f"-g APNIC:3:{oldest}-LAST").decode()
        assert server.query(f"-g apnic:3:{newest}-last").decode().startswith(f"%START Version: 3 APNIC {newest}-{newest}")
        for flags in ("-V irrd-4.5 -g", "-s APNIC -g", "-r -a -g"):     # what clients send along with -g
            reply = server.query(f"{flags} APNIC:3:{newest}-LAST").decode()
            assert reply.startswith(f"%START Version: 3 APNIC {newest}-{newest}"), (flags, reply)
        assert server.query(f"-g APNIC:3:{newest + 1}-LAST") == b"% Warning: there are no newer updates available\n\n\n"
        assert server.query(f"-g APNIC:3:{oldest - 1}-LAST") == \
            f"%% ERROR: Serials {oldest - 1} - {oldest} do not exist\n\n\n".encode()
        # beyond newest+1 (a reset server, a confused client): an error, never an empty success
        assert server.query(f"-g APNIC:3:{newest + 2}-LAST") == \
            f"%% ERROR: Serials {newest} - {newest + 2} do not exist\n\n\n".encode()
        assert server.query(f"-g APNIC:3:{newest}-{newest + 5}") == \
            f"%% ERROR: Serials {newest} - {newest + 5} do not exist\n\n\n".encode()
        assert server.query("-g APNIC:3:5-2") == b"%% ERROR: Start of the serial range (5) must be lower or equal to end of the serial range (2)\n\n\n"
        assert server.query("-g APNIC:9:1-LAST") == b"%% ERROR: Invalid NRTM version: 9\n\n\n"
        assert server.query("-g NOPE:3:1-LAST") == b"%% ERROR: Unknown source: NOPE\n\n\n"
        assert server.query("-g APNIC:3") == b"%% ERROR: Invalid parameter: must contain three elements\n\n\n"
        v1 = server.query(f"-g APNIC:1:{oldest}-{oldest}").decode()
        assert v1.split("\n")[2] in ("ADD", "DEL")
    denied = Config(data_dir=tmp_path, sources={"APNIC": SourceConfig("APNIC", True, nrtm_access=("10.0.0.0/8",))})
    with running_whois(denied, store) as server:
        assert server.query("-g APNIC:3:1-LAST") == b"%% ERROR: Access denied\n\n\n"
    limited = Config(data_dir=tmp_path, sources={"APNIC": SourceConfig("APNIC", True, nrtm_access=("127.0.0.1",),
                                                                      nrtm_max_serials=10)})
    with running_whois(limited, store) as server:
        oldest, newest = store.journal_range("APNIC")
        assert server.query(f"-g APNIC:3:{oldest}-LAST") == b"%% ERROR: Serial range requested exceeds maximum range of 10\n\n\n"


def test_keepalive_stream_sends_new_changes(store, upstream, tmp_path):
    with running_whois(server_config(tmp_path), store) as server:
        oldest, newest = store.journal_range("APNIC")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(f"-g APNIC:3:{newest}-LAST -k\n".encode())
            got = b""
            while f"ADD {newest}".encode() not in got and f"DEL {newest}".encode() not in got:
                got += conn.recv(65536)
            store.apply([Change("APNIC", "ADD", load("route: 10.99.0.0/16\norigin: AS1\nsource: APNIC\n"))],
                        origin="test")
            deadline = time.monotonic() + 10
            while f"ADD {newest + 1}".encode() not in got and time.monotonic() < deadline:
                got += conn.recv(65536)
            assert f"ADD {newest + 1}\n\nroute: 10.99.0.0/16".encode() in got
            assert b"%END" not in got


# -- faults -----------------------------------------------------------------------------------
class FakePeer:
    """A TCP peer that answers every connection with `payload`, then drops, or stalls."""

    def __init__(self, payload: bytes, stall: bool = False):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.payload, self.stall = payload, stall
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(1000)
            conn.sendall(self.payload)
            if self.stall:
                time.sleep(3)
            conn.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("payload,stall,message", [
    (b"%START Version: 3 APNIC 101-300\n\nADD 101\n\nroute: 10.1.0.0/16\norigin: AS1\nsource: APNIC\n\n", False,
     "cut off"),
    (b"\x00\xff garbage \x1b[31m\nrandom text\n\n", False, "unexpected text"),
    (b"%START Version: 3 APNIC 101-300\n\n", True, "stalled"),
    (b"%ERROR:401: invalid range: Not within 1-99\n\n", False, "server error"),
])
def test_bad_peers_change_nothing_and_are_retried(store, second_db, upstream, tmp_path, payload, stall, message):
    dump, _ = upstream
    url, mirror = second_db
    load_files(mirror, "APNIC", [dump], serial=100, mirror=True)
    before = objects(mirror, "APNIC")
    peer = FakePeer(payload, stall)
    try:
        client = Nrtm3Client(mirror, SourceConfig("APNIC", nrtm_host="127.0.0.1", nrtm_port=peer.port), timeout=1)
        with pytest.raises(Nrtm3Error, match=message):
            client.run_once()
    finally:
        peer.close()
    assert objects(mirror, "APNIC") == before
    status = {s.name: s for s in mirror.sources()}["APNIC"]
    assert status.serial_newest == 100 and status.last_error
    with running_whois(server_config(tmp_path), store) as server:  # the next poll, to a good server, works
        assert "applied" in Nrtm3Client(mirror, SourceConfig("APNIC", nrtm_host="127.0.0.1",
                                                             nrtm_port=server.port)).run_once()
    assert mirror.journal_range("APNIC") == store.journal_range("APNIC")


def test_client_killed_mid_batch_resumes_without_lost_or_repeated_serials(store, second_db, upstream, tmp_path):
    dump, _ = upstream
    url, mirror = second_db
    load_files(mirror, "APNIC", [dump], serial=100, mirror=True)
    with running_whois(server_config(tmp_path), store) as server:
        config = tmp_path / "mirror.toml"
        config.write_text(f'[database]\nurl = "{url}"\n\n[sources.APNIC]\nnrtm_host = "127.0.0.1"\n'
                          f"nrtm_port = {server.port}\n")
        cmd = [sys.executable, "-m", "irr.cli", "--config", str(config), "--data-dir", str(tmp_path), "mirror", "APNIC"]
        t0 = time.monotonic()
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        duration = time.monotonic() - t0
        # undo: a fresh mirror again
        load_files(mirror, "APNIC", [dump], serial=100, mirror=True)
        for fraction in (0.3, 0.5, 0.7, 0.85, 0.95):
            proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            time.sleep(duration * fraction)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            time.sleep(0.3)
            newest = {s.name: s.serial_newest for s in mirror.sources()}["APNIC"]
            serials = [e.serial for e in mirror.journal("APNIC")]
            assert newest in (100, store.journal_range("APNIC")[1]), "a batch is applied whole or not at all"
            assert len(serials) == len(set(serials))
        out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
        assert "APNIC" in out
    assert [(e.serial, e.pk) for e in mirror.journal("APNIC")] == [(e.serial, e.pk) for e in store.journal("APNIC")]
    assert _masked(objects(mirror, "APNIC")) == _masked(objects(store, "APNIC"))


def _poll_mirror_at_101(mirror, tmp_path, objects: int, current_serial: int, payload: bytes) -> str:
    """A mirror loaded from a dump at serial 100 plus one NRTM change (101), polled once against a
    peer answering `payload`; the dumps say `current_serial`. Returns the client's status line."""
    dump = generate_dump(tmp_path / "dump.db", objects, 9)
    (tmp_path / "APNIC.CURRENTSERIAL").write_text(f"{current_serial}\n")
    load_files(mirror, "APNIC", [dump], serial=100, mirror=True)
    mirror.apply([Change("APNIC", "ADD", load("route: 10.77.0.0/16\norigin: AS1\nsource: APNIC\n"), serial=101)],
                 origin="test")
    peer = FakePeer(payload)
    try:
        source = SourceConfig("APNIC", nrtm_host="127.0.0.1", nrtm_port=peer.port, dump_urls=(f"file://{dump}",),
                              serial_url=f"file://{tmp_path}/APNIC.CURRENTSERIAL")
        return Nrtm3Client(mirror, source, FullImport(mirror, source, tmp_path / "work"), timeout=2).run_once()
    finally:
        peer.close()


@pytest.mark.parametrize("payload", [
    b"%% ERROR: Serials 101 - 300 do not exist\n\n\n",
    b"%START Version: 3 APNIC 150-300\n\nADD 150\n\nroute: 10.1.0.0/16\norigin: AS1\nsource: APNIC\n\n%END APNIC\n\n",
])
def test_unavailable_serials_or_a_gap_trigger_a_full_import(second_db, tmp_path, payload):
    url, mirror = second_db
    status = _poll_mirror_at_101(mirror, tmp_path, 1500, 500, payload)
    assert "1500 objects loaded" in status
    assert {s.name: s.serial_newest for s in mirror.sources()}["APNIC"] == 500
    assert mirror.get("APNIC", "route", "10.77.0.0/16AS1") is None  # the dump replaced everything


def test_an_up_to_date_mirror_of_ripe_or_apnic_does_not_reload(second_db, tmp_path):
    """RIPE's NRTM (and APNIC's) answers a request for newest+1 with `%ERROR:401: invalid range:
    Not within 1-N`: nothing new, not a lost history. The mirror stays where it is."""
    url, mirror = second_db
    status = _poll_mirror_at_101(mirror, tmp_path, 300, 100, b"% The RIPE Database is subject to Terms and "
                                 b"Conditions.\n\n%ERROR:401: invalid range: Not within 1-101\n\n")
    assert status == "APNIC: up to date at serial 101"
    assert mirror.serial("APNIC") == 101 and mirror.journal_range("APNIC") == (101, 101)
    assert mirror.get("APNIC", "route", "10.77.0.0/16AS1") is not None
    # the same error for a start far below: serials are gone, that one is a reload
    with pytest.raises(Nrtm3Error) as err:
        parse_stream("%ERROR:401: invalid range: Not within 50-101\n\n", "APNIC", 20)
    assert err.value.unavailable


def test_a_line_of_blanks_inside_an_object_stays_in_it(store, second_db, tmp_path):
    """A key-cert's PGP armour holds a line of spaces: a continuation line, not the end of the object."""
    from rpsl.reader import iter_paragraphs

    keycert = next(p.text for p in iter_paragraphs(REAL / "irrd-rpsl-samples.db") if p.text.startswith("key-cert:"))
    assert any(line and not line.strip() for line in keycert.split("\n"))
    obj = load(keycert)
    store.apply([], origin="test", serial_newest={obj.source: 10})
    store.apply([Change(obj.source, "ADD", obj)], origin="test")
    url, down = second_db
    down.apply([], origin="test", serial_newest={obj.source: 10})
    config = Config(data_dir=tmp_path, sources={obj.source: SourceConfig(obj.source, True, nrtm_access=("127.0.0.1",))},
                    source_order=(obj.source,))
    with running_whois(config, store) as server:
        status = Nrtm3Client(down, SourceConfig(obj.source, nrtm_host="127.0.0.1", nrtm_port=server.port)).run_once()
    assert "1 operation" in status or "serial 11" in status, status
    assert down.get(obj.source, "key-cert", obj.pk).object_text == store.get(obj.source, "key-cert", obj.pk).object_text


def test_a_crlf_answer_is_complete_at_its_end_marker():
    """A server that ends lines with CRLF and keeps the connection open: its %END still ends the answer."""
    from mirror.nrtm3 import _complete

    answer = "%START Version: 3 APNIC 5-5\r\n\r\nADD 5\r\n\r\nroute: 10.0.0.0/8\r\nsource: APNIC\r\n\r\n%END APNIC\r\n"
    assert _complete(answer, "APNIC") and not _complete(answer[:-14], "APNIC")
    assert [op.serial for op in parse_stream(answer, "APNIC", 5).operations] == [5]
