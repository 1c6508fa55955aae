"""Full imports of a mirrored source from APNIC-style split dumps over HTTP, ftp and file://
(real local servers, real PostgreSQL), and the downloader's failure modes."""
from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import logging
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from irr.config import SourceConfig
from irr.store import Change
from mirror.download import DownloadError, fetch
from mirror.full_import import FullImport, FullImportError
from rpsl.lenient import load
from tests.conftest import generate_dump

SERIAL = 4_000_100


def split_dump(dump: Path, directory: Path, source: str = "APNIC", serial: int | None = SERIAL) -> Counter:
    """Write `dump` as APNIC publishes it (<source>.db.<class>.gz and <SOURCE>.CURRENTSERIAL);
    return objects per class, counted independently of the loader."""
    directory.mkdir(parents=True, exist_ok=True)
    per_class: dict[str, list[str]] = {}
    for para in dump.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln and ln[0] not in "#%"]
        if lines:
            per_class.setdefault(lines[0].split(":", 1)[0].lower(), []).append(para.strip("\n"))
    for cls, objects in per_class.items():
        with gzip.open(directory / f"{source.lower()}.db.{cls}.gz", "wt", encoding="utf-8") as out:
            out.write("\n\n".join(objects) + "\n")
    if serial is not None:
        (directory / f"{source}.CURRENTSERIAL").write_text(f"{serial}\n")
    return Counter({cls: len(objs) for cls, objs in per_class.items()})


def dump_files(directory: Path, source: str = "APNIC") -> list[str]:
    return sorted(p.name for p in directory.glob(f"{source.lower()}.db.*.gz"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; /stall/... never answers, /stall-body/... stops after a few bytes,
    /cut/... announces the whole file but sends half of it."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        stall: threading.Event = self.server.stall  # type: ignore[attr-defined]
        if self.path.startswith("/stall/"):
            stall.wait(30)
            return
        for prefix in ("/stall-body/", "/cut/"):
            if self.path.startswith(prefix):
                body = (Path(self.directory) / self.path[len(prefix):]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if prefix == "/cut/" else body[:10])
                self.wfile.flush()
                if prefix == "/stall-body/":
                    stall.wait(30)
                self.close_connection = True
                return
        super().do_GET()


@contextlib.contextmanager
def http_server(root: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving `root`; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.daemon_threads = True
    server.stall = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stall.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def apnic_split(tmp_path_factory) -> tuple[Path, Counter]:
    """A small generated dump split as APNIC publishes it (read-only: copy before changing)."""
    base = tmp_path_factory.mktemp("apnic-split")
    dump = generate_dump(base / "apnic.db", 1500, 7, "--known-password-mntners", "3")
    return base / "www", split_dump(dump, base / "www")


@pytest.fixture
def site(apnic_split, tmp_path) -> Iterator[tuple[Path, str, Counter]]:
    """A private copy of the split dump served over HTTP: (directory, base URL, counts per class)."""
    root = tmp_path / "www"
    shutil.copytree(apnic_split[0], root)
    with http_server(root) as url:
        yield root, url, apnic_split[1]


def source_row(store, name: str = "APNIC"):
    return next((r for r in store.sources() if r.name == name), None)


def apnic(base: str, root: Path, **kw) -> SourceConfig:
    kw.setdefault("serial_url", f"{base}/APNIC.CURRENTSERIAL")
    return SourceConfig("APNIC", dump_urls=tuple(f"{base}/{n}" for n in dump_files(root)), **kw)


def test_http_import_then_skip_force_and_new_serial(store, site, tmp_path):
    root, base, expected = site
    # history from earlier NRTM updates: a mirror's full reload restarts it at the dump's serial
    store.apply([Change("APNIC", "ADD", load("mntner: OLD-MNT\nsource: APNIC\n"), serial=17)], origin="test")
    assert len(store.journal("APNIC")) == 1
    work = tmp_path / "work"
    runner = FullImport(store, apnic(base, root), work)

    status = runner.run_once()
    assert f"{sum(expected.values())} objects loaded" in status and f"serial {SERIAL}" in status
    assert store.counts()["APNIC"] == expected
    assert "limerick" not in expected and len(expected) >= 10
    row = source_row(store)
    assert row.serial_newest == SERIAL and row.last_error is None and row.last_success is not None
    assert store.journal("APNIC") == [] and store.get("APNIC", "mntner", "OLD-MNT") is None
    assert list(work.iterdir()) == []  # downloads removed
    first_load = row.last_load

    status = runner.run_once()  # same serial: nothing to do
    assert "nothing to do" in status and source_row(store).last_load == first_load

    status = runner.run_once(force=True)
    assert "objects loaded" in status and source_row(store).last_load > first_load
    assert store.counts()["APNIC"] == expected

    (root / "APNIC.CURRENTSERIAL").write_text(f"{SERIAL + 5}\n")  # a new export upstream
    (root / "apnic.db.route6.gz").write_bytes(gzip.compress(b"route6: 2001:db8::/32\norigin: AS64500\n"
                                                             b"source: APNIC\n"))
    runner.run_once()
    counts = store.counts()["APNIC"]
    assert counts["route6"] == 1 and counts["route"] == expected["route"]
    assert source_row(store).serial_newest == SERIAL + 5
    assert list(work.iterdir()) == []


def test_file_urls_class_filter_and_no_serial_url(store, apnic_split, tmp_path):
    root = apnic_split[0]
    urls = tuple((root / n).as_uri() for n in dump_files(root))
    wanted = ("aut-num", "route", "route6", "as-set")
    cfg = SourceConfig("APNIC", dump_urls=urls, object_classes=wanted)
    status = FullImport(store, cfg, tmp_path / "work").run_once()
    assert "serial" not in status
    assert store.counts()["APNIC"] == {c: apnic_split[1][c] for c in wanted}
    assert source_row(store).serial_newest is None
    # without a serial URL every run imports; plain paths work too
    cfg = SourceConfig("APNIC", dump_urls=tuple(str(root / n) for n in dump_files(root)),
                       serial_url=(root / "APNIC.CURRENTSERIAL").as_uri())
    FullImport(store, cfg, tmp_path / "work").run_once()
    assert store.counts()["APNIC"] == apnic_split[1] and source_row(store).serial_newest == SERIAL


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyftpdlib uses asyncore
def test_ftp_import(store, apnic_split, tmp_path):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(str(apnic_split[0]))
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
    server = FTPServer(("127.0.0.1", 0), handler)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        base = f"ftp://127.0.0.1:{server.address[1]}"
        FullImport(store, apnic(base, apnic_split[0]), tmp_path / "work").run_once()
    finally:
        stop.set()
        thread.join(5)
        server.close_all()
    assert store.counts()["APNIC"] == apnic_split[1]
    assert source_row(store).serial_newest == SERIAL


def _break(kind: str, root: Path, base: str) -> SourceConfig:
    """A source whose next import fails in the given way (the upstream serial moved on)."""
    (root / "APNIC.CURRENTSERIAL").write_text(f"{SERIAL + 1}\n")
    names = dump_files(root)
    urls = [f"{base}/{n}" for n in names]
    if kind == "404":
        urls.append(f"{base}/apnic.db.missing.gz")
    elif kind == "truncated gzip":
        data = (root / "apnic.db.inetnum.gz").read_bytes()
        (root / "apnic.db.inetnum.gz").write_bytes(data[: len(data) // 2])
    elif kind == "connection cut":
        urls[names.index("apnic.db.route.gz")] = f"{base}/cut/apnic.db.route.gz"
    elif kind == "stall":
        urls[names.index("apnic.db.route.gz")] = f"{base}/stall/apnic.db.route.gz"
    elif kind == "stall in body":
        urls[names.index("apnic.db.route.gz")] = f"{base}/stall-body/apnic.db.route.gz"
    elif kind == "bad serial":
        (root / "APNIC.CURRENTSERIAL").write_text("<html>maintenance</html>\n")
    return SourceConfig("APNIC", dump_urls=tuple(urls), serial_url=f"{base}/APNIC.CURRENTSERIAL")


@pytest.mark.parametrize("kind, reason", [
    ("404", "HTTP 404"),
    ("truncated gzip", "the gzip data ends before its end marker: the file is truncated"),
    ("connection cut", "truncated"),
    ("stall", "no answer within 1 s"),
    ("stall in body", "no data for 1 s"),
    ("bad serial", "expected a serial number"),
])
def test_failure_keeps_previous_objects(store, site, apnic_split, tmp_path, kind, reason):
    root, base, expected = site
    work = tmp_path / "work"
    FullImport(store, apnic(base, root), work).run_once()
    before = source_row(store)
    runner = FullImport(store, _break(kind, root, base), work, timeout=1)
    with pytest.raises(FullImportError, match=reason):
        runner.run_once()
    row = source_row(store)
    assert reason in row.last_error and row.last_error_at is not None
    assert row.serial_newest == SERIAL and row.last_load == before.last_load
    assert store.counts()["APNIC"] == expected
    assert list(work.iterdir()) == []
    # once upstream is repaired, the next run loads and clears the error
    shutil.copytree(apnic_split[0], root, dirs_exist_ok=True)
    (root / "APNIC.CURRENTSERIAL").write_text(f"{SERIAL + 1}\n")
    FullImport(store, apnic(base, root), work).run_once()
    row = source_row(store)
    assert row.last_error is None and row.serial_newest == SERIAL + 1


def test_fetch(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"12345\n")
    with http_server(tmp_path) as base:
        assert fetch(f"{base}/a.txt") == b"12345\n"
        dest = fetch(f"{base}/a.txt", tmp_path / "b.txt")
        assert dest == tmp_path / "b.txt" and dest.read_bytes() == b"12345\n"
        with pytest.raises(DownloadError, match="limit of 3 bytes"):
            fetch(f"{base}/a.txt", tmp_path / "c.txt", max_bytes=3)
        with pytest.raises(DownloadError, match="HTTP 404"):
            fetch(f"{base}/nope", tmp_path / "d.txt")
        with pytest.raises(DownloadError, match="truncated: received 3 of 6 bytes"):
            fetch(f"{base}/cut/a.txt", tmp_path / "e.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # failures leave nothing
    assert fetch((tmp_path / "a.txt").as_uri()) == b"12345\n" == fetch(str(tmp_path / "a.txt"))
    with pytest.raises(DownloadError, match="No such file"):
        fetch((tmp_path / "nope").as_uri())
    with pytest.raises(DownloadError, match="unsupported URL scheme"):
        fetch("gopher://example.net/x")
    with pytest.raises(DownloadError):
        fetch("http://127.0.0.1:9/x", timeout=2)  # nothing listens on the discard port
