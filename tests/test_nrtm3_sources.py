"""NRTMv3 answers carrying objects of another source (issue 15): some mirrors publish RADB
objects in their LEVEL3 stream. IRRd names the serial, the object and both sources in the error
it records; here the whole answer is refused with that error and the serial stays where it was,
unless the operator lists the other source in `nrtm_other_sources`."""
from __future__ import annotations

import socket
import threading

import pytest

from irr.config import ConfigError, SourceConfig, load_config
from irr.store import Store
from mirror.nrtm3 import Nrtm3Client, Nrtm3Error
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL


def real_radb_objects() -> list[str]:
    """Two real RADB objects (a route and an as-set) of a public RADB dump excerpt."""
    texts = ["\n".join(line for line in p.text.split("\n") if not line.startswith("#"))
             for p in iter_paragraphs(REAL / "pytinyirrdbcache-radb.db")]
    return [t for t in texts if t.startswith(("route:", "as-set:"))][:2]


def stream(first: int, texts: list[str]) -> bytes:
    """A LEVEL3 NRTMv3 answer whose objects say `source: RADB`."""
    ops = "".join(f"ADD {first + i}\n\n{text}\n\n" for i, text in enumerate(texts))
    return f"%START Version: 3 LEVEL3 {first}-{first + len(texts) - 1}\n\n{ops}%END LEVEL3\n".encode()


class Peer:
    """A one-answer NRTM server on loopback."""

    def __init__(self, payload: bytes):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.payload = payload
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(1000)
                conn.sendall(self.payload)

    def close(self) -> None:
        self.sock.close()


def status(store: Store, name: str):
    return {s.name: s for s in store.sources()}[name]


@pytest.fixture
def level3(store):
    """A LEVEL3 mirror at serial 100 and a peer answering serials 101-102 with RADB objects."""
    store.apply([], origin="test", serial_newest={"LEVEL3": 100})
    texts = real_radb_objects()
    assert len(texts) == 2 and all("source:        RADB" in t for t in texts)
    peer = Peer(stream(101, texts))
    yield store, peer, texts
    peer.close()


def test_objects_of_another_source_refuse_the_answer(level3):
    store, peer, texts = level3
    client = Nrtm3Client(store, SourceConfig("LEVEL3", nrtm_host="127.0.0.1", nrtm_port=peer.port), timeout=5)
    with pytest.raises(Nrtm3Error) as err:
        client.run_once()
    message = str(err.value)
    for words in ("serial 101", "route 167.96.0.0/16AS2900", "has source RADB", "stream is for LEVEL3",
                  "nothing of this answer was applied", 'nrtm_other_sources = ["RADB"]'):
        assert words in message
    row = status(store, "LEVEL3")
    assert row.serial_newest == 100, "never past what was not applied"
    assert row.last_error == message
    assert list(store.iter_objects("LEVEL3")) == [] and store.journal("LEVEL3") == []
    with pytest.raises(Nrtm3Error):  # the next poll gets the same answer: the same refusal, still 100
        client.run_once()
    assert status(store, "LEVEL3").serial_newest == 100


def test_the_operator_can_store_them_as_the_mirrored_source(level3):
    store, peer, texts = level3
    source = SourceConfig("LEVEL3", nrtm_host="127.0.0.1", nrtm_port=peer.port, nrtm_other_sources=("RADB",))
    assert "applied 2 of 2 operations" in Nrtm3Client(store, source, timeout=5).run_once()
    row = status(store, "LEVEL3")
    assert row.serial_newest == 102 and row.last_error is None
    route = store.get("LEVEL3", "route", "167.96.0.0/16AS2900")
    assert route is not None and "source:        LEVEL3\n" in route.object_text
    assert route.object_text.replace("LEVEL3", "RADB") == texts[0] + "\n"
    assert [e.serial for e in store.journal("LEVEL3")] == [101, 102]


def test_nrtm_other_sources_is_read_from_the_configuration(tmp_path):
    path = tmp_path / "irr.toml"
    path.write_text('[sources.LEVEL3]\nnrtm_host = "whois.level3.net"\nnrtm_other_sources = ["radb"]\n')
    assert load_config(str(path), str(tmp_path)).sources["LEVEL3"].nrtm_other_sources == ("RADB",)
    path.write_text('[sources.LEVEL3]\nnrtm_host = "whois.level3.net"\nnrtm_other_sources = "RADB"\n')
    with pytest.raises(ConfigError, match="nrtm_other_sources must be a list"):
        load_config(str(path), str(tmp_path))
