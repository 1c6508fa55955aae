"""`irr load` and `irr check` as a user runs them, against a real PostgreSQL."""
from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from irr.database import make_engine
from irr.store import Store
from tests.conftest import REAL, REPO, generate_dump, run_irr

GEN_COUNTS = re.compile(r"^\s+([a-z0-9-]+)\s+(\d+)\s+[\d.]+%$", re.M)


def classes_in(path: Path) -> Counter:
    """Objects per class in a dump, counted independently of the loader (first line of paragraphs)."""
    counts: Counter = Counter()
    text = path.read_text(encoding="utf-8", errors="replace")
    for para in text.split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln and ln[0] not in "#%"]
        if lines:
            counts[lines[0].split(":", 1)[0].lower()] += 1
    return counts


def summary_counts(output: str) -> Counter:
    return Counter({m.group(1): int(m.group(2)) for m in re.finditer(r"^  ([a-z0-9-]+)\s+(\d+)$", output, re.M)})


def db_counts(db_url: str, source: str) -> Counter:
    engine = make_engine(db_url)
    try:
        return Counter(Store(engine).counts().get(source, {}))
    finally:
        engine.dispose()


def test_load_dump_counts_per_class(db_url, dump_10k):
    out = run_irr("load", "--source", "APNIC", "--serial", "77", str(dump_10k), env={"IRR_DATABASE_URL": db_url})
    expected = classes_in(dump_10k)
    assert sum(expected.values()) == 10000
    assert summary_counts(out.stdout) == expected
    assert db_counts(db_url, "APNIC") == expected
    assert "serial 77" in out.stdout


def test_load_split_gz_files_with_currentserial(db_url, dump_10k, tmp_path):
    """APNIC's layout: apnic.db.<class>.gz per class and APNIC.CURRENTSERIAL beside them."""
    per_class: dict[str, list[str]] = {}
    for para in dump_10k.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln and ln[0] != "#"]
        if lines:
            per_class.setdefault(lines[0].split(":", 1)[0], []).append(para.strip("\n"))
    files = []
    for cls, objs in per_class.items():
        f = tmp_path / f"apnic.db.{cls}.gz"
        with gzip.open(f, "wt", encoding="utf-8") as out:
            out.write("\n\n".join(objs) + "\n")
        files.append(str(f))
    (tmp_path / "APNIC.CURRENTSERIAL").write_text("123456\n")
    out = run_irr("load", "--source", "APNIC", *files, env={"IRR_DATABASE_URL": db_url})
    assert "serial 123456" in out.stdout
    assert db_counts(db_url, "APNIC") == classes_in(dump_10k)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT serial_newest FROM sources WHERE name = 'APNIC'")).scalar() == 123456
    engine.dispose()


def test_load_skips_with_reasons_and_reload_replaces(db_url, tmp_path):
    dump = tmp_path / "mixed.db"
    dump.write_text(
        "# header paragraph\n\n"
        "route: 192.0.2.0/24\norigin: AS64500\nmnt-by: M\nsource: APNIC\n\n"
        "limerick: LIM-SILLY\ntext: there once was\nsource: APNIC\n\n"
        "route: 192.0.2.1/24\norigin: AS64500\nsource: APNIC\n\n"
        "aut-num: AS64500\nas-name: X\nsource: RIPE\n\n"
        "*xxte: legacy\n\n"
        "mntner: MAINT-M\nauth: CRYPT-PW abc\nsource: APNIC\n", encoding="utf-8")
    out = run_irr("load", "--source", "apnic", str(dump), env={"IRR_DATABASE_URL": db_url})
    assert summary_counts(out.stdout) == Counter({"route": 1, "mntner": 1})
    assert "unknown class limerick" in out.stdout
    assert "source does not match" in out.stdout and "mixed.db:16" in out.stdout
    # the bad key is reported with file, line, object, attribute and what is wrong
    assert re.search(r"mixed\.db:12: .*route.*line 12: 192\.0\.2\.1/24 is not a valid prefix: host bits", out.stdout)
    small = tmp_path / "small.db"
    small.write_text("mntner: OTHER\nsource: APNIC\n", encoding="utf-8")
    run_irr("load", "--source", "APNIC", str(small), env={"IRR_DATABASE_URL": db_url})
    assert db_counts(db_url, "APNIC") == Counter({"mntner": 1})


def test_failed_load_changes_nothing(db_url, tmp_path, dump_10k):
    run_irr("load", "--source", "APNIC", "--serial", "5", str(dump_10k), env={"IRR_DATABASE_URL": db_url})
    bad_serial = tmp_path / "APNIC.CURRENTSERIAL"
    bad_serial.write_text("not a number")
    (tmp_path / "x.db").write_text("mntner: X\nsource: APNIC\n")
    proc = run_irr("load", "--source", "APNIC", str(tmp_path / "x.db"), env={"IRR_DATABASE_URL": db_url},
                   check=False)
    assert proc.returncode != 0 and "nothing was changed" in proc.stderr and "CURRENTSERIAL" in proc.stderr
    missing = run_irr("load", "--source", "APNIC", str(tmp_path / "nope.db"), env={"IRR_DATABASE_URL": db_url},
                      check=False)
    assert missing.returncode != 0
    assert sum(db_counts(db_url, "APNIC").values()) == 10000


@pytest.mark.parametrize("path", sorted(REAL.glob("*.db")), ids=lambda p: p.name)
def test_every_real_file_loads_leniently(db_url, path):
    """Each real file loads under its most common source; every object of that source is kept
    unless its key is broken (which the summary explains)."""
    sources = Counter(m.upper() for m in re.findall(r"^source:\s*([A-Za-z0-9-]+)", path.read_text(
        encoding="utf-8", errors="replace"), re.M | re.I))
    if not sources:  # irrtoolset's examples carry no source: nothing loads, and the summary says why
        out = run_irr("load", "--source", "TEST", str(path), env={"IRR_DATABASE_URL": db_url})
        assert "0 objects loaded" in out.stdout and "attribute 'source' is missing" in out.stdout
        assert f"skipped {sum(classes_in(path).values())} objects" in out.stdout
        return
    source = sources.most_common(1)[0][0]
    out = run_irr("load", "--source", source, str(path), env={"IRR_DATABASE_URL": db_url})
    loaded = db_counts(db_url, source)
    assert sum(loaded.values()) > 0
    assert summary_counts(out.stdout) == loaded


def test_check_prints_every_error(tmp_path):
    f = tmp_path / "bad.db"
    f.write_text("route: 192.0.2.1/24\norigin: ASX\nmnt-by: M\nsource: TEST\n\n"
                 "aut-num: AS1\nas-name: X\nimport: from AS2 acept ANY\nsource: TEST\n", encoding="utf-8")
    proc = run_irr("check", "--strict", str(f), check=False)
    assert proc.returncode == 1
    assert "bad.db:1:" in proc.stdout and "host bits" in proc.stdout
    assert "bad.db:8:" in proc.stdout and "acept" in proc.stdout and "attribute import" in proc.stdout
    assert "mandatory attribute 'descr' is missing" in proc.stdout
    assert "2 objects checked (strict), 2 with errors" in proc.stdout
    demo = run_irr("check", "--strict", str(REPO / "irr" / "demo" / "demo.db"))
    assert "21 objects checked (strict), 0 with errors" in demo.stdout
    piped = run_irr("check", "-", input=f.read_text(), check=False)
    assert "bad.db" not in piped.stdout and "-:1:" in piped.stdout and "host bits" in piped.stdout


def test_sigkill_at_any_point_keeps_previous_objects(db_url, tmp_path, dump_10k):
    """Kill `irr load` (and its workers) at many points of a load; the source keeps its previous
    objects and serial each time, and a load after that works."""
    env = {"IRR_DATABASE_URL": db_url}
    run_irr("load", "--source", "APNIC", "--serial", "10", str(dump_10k), env=env)
    before = db_counts(db_url, "APNIC")
    big = generate_dump(tmp_path / "big.db", 60000, 2)
    full_env = dict(os.environ, **env)
    cmd = [sys.executable, "-m", "irr.cli", "load", "--source", "APNIC", "--serial", "20", "--workers", "2",
           str(big)]
    t0 = time.monotonic()
    subprocess.run(cmd, env=full_env, check=True, capture_output=True, cwd=REPO)
    duration = time.monotonic() - t0
    run_irr("load", "--source", "APNIC", "--serial", "10", str(dump_10k), env=env)
    engine = make_engine(db_url)
    for fraction in (0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 0.95):
        proc = subprocess.Popen(cmd, env=full_env, cwd=REPO, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        os.killpg(proc.pid, signal.SIGKILL)  # the loader and its worker processes
        proc.wait()
        # the server rolls the load back once it notices its client is gone
        with engine.connect() as conn:
            for _ in range(600):
                busy = conn.execute(sa.text("SELECT pid, state, wait_event, left(query, 80) FROM pg_stat_activity "
                                            "WHERE application_name = :app"), {"app": f"irr-{proc.pid}"}).all()
                conn.commit()  # pg_stat_activity is a snapshot per transaction
                if not busy:
                    break
                time.sleep(0.1)
            assert not busy, f"killed at {fraction:.0%}: backend still running {busy}"
            serial = conn.execute(sa.text("SELECT serial_newest FROM sources WHERE name = 'APNIC'")).scalar()
            staging = conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relname LIKE '%\\_load'")).scalar()
        if serial == 20:  # the kill came after the commit: the new data is complete
            assert sum(db_counts(db_url, "APNIC").values()) == 60000
            run_irr("load", "--source", "APNIC", "--serial", "10", str(dump_10k), env=env)
        else:
            assert serial == 10, f"killed at {fraction:.0%}: serial {serial}"
            assert db_counts(db_url, "APNIC") == before, f"killed at {fraction:.0%}"
        assert staging == 0
    engine.dispose()
    out = run_irr("load", "--source", "APNIC", "--serial", "30", str(big), env=env)
    assert "60000 objects loaded" in out.stdout


def test_an_empty_or_html_dump_never_wipes_a_source(store, tmp_path):
    """A mirror that downloads an error page (or an empty file) instead of the dump keeps its data."""
    from mirror.importer import EmptyDumpError
    from mirror.importer import load_files as load_dump

    good = tmp_path / "apnic.db"
    good.write_text("route: 192.0.2.0/24\norigin: AS1\nsource: APNIC\n\naut-num: AS1\nas-name: X\nsource: APNIC\n")
    load_dump(store, "APNIC", [good], serial=10, mirror=True)
    html = tmp_path / "html.db"
    html.write_text("<html><head><title>503 Service Unavailable</title></head>\n<body>try later</body></html>\n")
    empty = tmp_path / "empty.db.gz"
    empty.write_bytes(gzip.compress(b""))
    for bad in (html, empty):
        with pytest.raises(EmptyDumpError, match="refusing to replace the 2 objects of APNIC"):
            load_dump(store, "APNIC", [bad], serial=20, mirror=True)
        assert store.counts()["APNIC"] == {"route": 1, "aut-num": 1} and store.serial("APNIC") == 10
    load_dump(store, "NEWSRC", [empty], serial=1)          # a new, empty source may start empty
