"""Dump exports in APNIC's layout (real PostgreSQL): files, atomic replacement, masked hashes, the
serial of the same snapshot, and an export -> import round trip."""
from __future__ import annotations

import gzip
import re
import stat
import threading
from collections import Counter
from pathlib import Path

import pytest

import mirror.dumps
from irr.config import SourceConfig
from irr.store import Change
from mirror.dumps import Exporter, ExportError
from mirror.full_import import FullImport
from mirror.importer import load_files
from rpsl.lenient import load
from rpsl.output import mask_hashes
from tests.conftest import generate_dump

SERIAL = 777
CLASS_FILE = re.compile(r"^apnic\.db\.([a-z0-9-]+)\.gz$")


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    """Generated data with real password hashes on some maintainers."""
    return generate_dump(tmp_path_factory.mktemp("export-dump") / "apnic.db", 3000, 11,
                         "--known-password-mntners", "5")


@pytest.fixture
def loaded(store, dump) -> Counter:
    """APNIC loaded from the dump at SERIAL; objects per class."""
    load_files(store, "APNIC", [dump], serial=SERIAL)
    return Counter(store.counts()["APNIC"])


def read_export(directory: Path) -> dict[str, list[str]]:
    """Objects per class in the exported files (each object followed by exactly one blank line)."""
    out = {}
    for f in sorted(directory.iterdir()):
        m = CLASS_FILE.match(f.name)
        if m:
            text = gzip.decompress(f.read_bytes()).decode("utf-8")
            assert text.endswith("\n\n") and "\n\n\n" not in text
            out[m.group(1)] = text[:-2].split("\n\n")
    return out


def test_export_files_hashes_serial(store, loaded, tmp_path):
    out = tmp_path / "export"
    status = Exporter(store, "APNIC", out).run_once()
    assert f"exported {sum(loaded.values())} objects" in status and f"serial {SERIAL}" in status
    objects = read_export(out)
    assert Counter({cls: len(objs) for cls, objs in objects.items()}) == loaded
    for cls, objs in objects.items():
        assert all(o.startswith(f"{cls}:") for o in objs)
    assert (out / "APNIC.CURRENTSERIAL").read_text() == f"{SERIAL}\n"
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == sorted([f"apnic.db.{c}.gz" for c in loaded] + ["APNIC.CURRENTSERIAL"])
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    for p in out.iterdir():
        if not p.name.startswith("."):
            assert stat.S_IMODE(p.stat().st_mode) == 0o644
    # hashes: masked, never exported
    mntners = "\n".join(objects["mntner"])
    assert "DummyValue" in mntners
    assert not re.search(r"\$(1|2[aby])\$", "\n".join("\n".join(o) for o in objects.values()))
    assert not re.search(r"^auth:\s*(MD5|BCRYPT|CRYPT)-PW (?!DummyValue)", mntners, re.M | re.I)


def test_export_is_atomic_and_from_one_snapshot(store, loaded, tmp_path, monkeypatch):
    """Mid-export the directory holds only complete files (temporary ones are hidden, *.tmp), and
    a change committed meanwhile is in neither the data nor the serial of this export."""
    out = tmp_path / "export"
    Exporter(store, "APNIC", out).run_once()
    previous = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    seen: list[list[str]] = []
    calls = 0

    def hooked(text: str) -> str:
        nonlocal calls
        calls += 1
        if calls in (1, 1500, sum(loaded.values())):
            names = sorted(p.name for p in out.iterdir())
            seen.append(names)
            for name in names:
                if not name.startswith("."):  # published files are still the previous, complete ones
                    assert (out / name).read_bytes() == previous[name]
                else:
                    assert name.endswith(".tmp") or name.endswith(".lock")
        return mask_hashes(text)

    original = store.iter_objects
    isolation = []

    def iter_objects(source, conn=None, **kw):
        """Between the export's serial read and its object query, a change commits elsewhere."""
        isolation.append(conn.exec_driver_sql("SHOW transaction_isolation").scalar())
        store.apply([Change("APNIC", "ADD", load("route: 198.51.100.0/24\norigin: AS64511\nsource: APNIC\n"))],
                    origin="test")
        return original(source, conn=conn, **kw)

    monkeypatch.setattr(mirror.dumps, "mask_hashes", hooked)
    monkeypatch.setattr(store, "iter_objects", iter_objects)
    Exporter(store, "APNIC", out).run_once()
    assert len(seen) == 3 and any(n.endswith(".tmp") for n in seen[-1]) and isolation == ["repeatable read"]
    objects = read_export(out)
    assert not any("198.51.100.0/24" in o for o in objects["route"])
    assert (out / "APNIC.CURRENTSERIAL").read_text() == f"{SERIAL}\n"  # the serial of that snapshot
    monkeypatch.undo()
    Exporter(store, "APNIC", out).run_once()  # the next export has both
    assert any("198.51.100.0/24" in o for o in read_export(out)["route"])
    assert (out / "APNIC.CURRENTSERIAL").read_text() == f"{SERIAL + 1}\n"


def test_concurrent_reader_never_sees_partial_files(store, loaded, tmp_path):
    out = tmp_path / "export"
    Exporter(store, "APNIC", out).run_once()
    stop = threading.Event()
    problems: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            for p in list(out.iterdir()):
                if CLASS_FILE.match(p.name):
                    try:
                        gzip.decompress(p.read_bytes())
                        reads += 1
                    except FileNotFoundError:
                        pass  # replaced between listing and opening: fine
                    except Exception as e:  # any failure is the finding
                        problems.append(f"{p.name}: {e}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            Exporter(store, "APNIC", out).run_once()
    finally:
        stop.set()
        thread.join()
    assert problems == [] and reads > 0


def test_removed_class_file_and_no_serial(store, loaded, dump, tmp_path):
    out = tmp_path / "export"
    Exporter(store, "APNIC", out).run_once()
    assert (out / "apnic.db.route6.gz").exists()
    (out / ".apnic.db.route.gz.abc.tmp").write_bytes(b"left by a killed export")
    (out / "unrelated.txt").write_text("kept")
    load_files(store, "APNIC", [dump], serial=SERIAL + 1, classes=["route", "aut-num"], mirror=True)
    Exporter(store, "APNIC", out).run_once()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "APNIC.CURRENTSERIAL", "apnic.db.aut-num.gz", "apnic.db.route.gz", "unrelated.txt"]
    assert not (out / ".apnic.db.route.gz.abc.tmp").exists()
    # a source without a serial has no CURRENTSERIAL file
    load_files(store, "TEST", [_write(tmp_path / "t.db", "mntner: T-MNT\nsource: TEST\n")])
    status = Exporter(store, "TEST", out).run_once()
    assert "no serial" in status and not (out / "TEST.CURRENTSERIAL").exists()
    assert read_export_named(out, "test") == {"mntner": ["mntner: T-MNT\nsource: TEST"]}
    with pytest.raises(ExportError, match="unknown source"):
        Exporter(store, "NOSUCH", out).run_once()


def test_round_trip(store, loaded, tmp_path):
    """Exported files, imported again as a mirror, give the same objects (hashes masked)."""
    before = {(c, pk): mask_hashes(text) for c, pk, text in store.iter_objects("APNIC")}
    out = tmp_path / "export"
    Exporter(store, "APNIC", out).run_once()
    urls = tuple(p.as_uri() for p in sorted(out.glob("apnic.db.*.gz")))
    cfg = SourceConfig("APNIC", dump_urls=urls, serial_url=(out / "APNIC.CURRENTSERIAL").as_uri())
    status = FullImport(store, cfg, tmp_path / "work").run_once(force=True)
    assert f"{len(before)} objects loaded" in status and "skipped" not in status
    after = {(c, pk): text for c, pk, text in store.iter_objects("APNIC")}
    assert after == before
    assert next(r for r in store.sources() if r.name == "APNIC").serial_newest == SERIAL


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_export_named(directory: Path, prefix: str) -> dict[str, list[str]]:
    out = {}
    for f in directory.glob(f"{prefix}.db.*.gz"):
        cls = f.name[len(prefix) + 4:-3]
        out[cls] = gzip.decompress(f.read_bytes()).decode("utf-8")[:-2].split("\n\n")
    return out
