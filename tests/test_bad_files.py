"""Files that are not what they seem (issue 15), through the commands an operator runs: a
truncated .gz (`irr check`, `irr load`, a mirror's import) names the file and says it is
truncated, changes nothing and is recorded on the source; a byte-order mark or CR-only line ends
are read as the objects they hold."""
from __future__ import annotations

import gzip

from rpsl.reader import iter_paragraphs
from tests.conftest import REAL, run_irr


def real_dump() -> bytes:
    """APNIC's whois test dump (real objects; source TEST), a few hundred objects."""
    return (REAL / "apnicnet-whois-TEST.db").read_bytes()


def truncated(tmp_path, name: str = "apnic.db.inetnum.gz") -> str:
    data = gzip.compress(real_dump())
    path = tmp_path / name
    path.write_bytes(data[: len(data) * 2 // 3])
    return str(path)


def test_irr_check_names_the_truncated_file(tmp_path):
    path = truncated(tmp_path)
    for strict in ((), ("--strict",)):
        proc = run_irr("check", *strict, path, check=False)
        assert proc.returncode == 1
        assert "Aborted" not in proc.stderr + proc.stdout
        assert f"{path}: the gzip data ends before its end marker: the file is truncated" in proc.stderr
        assert "1 file not read to the end" in proc.stdout


def test_irr_load_of_a_truncated_file_changes_nothing_and_says_why(tmp_path, db_url, store):
    good = tmp_path / "good.db.gz"
    good.write_bytes(gzip.compress(real_dump()))
    env = {"IRR_DATABASE_URL": db_url}
    run_irr("load", "--source", "TEST", "--serial", "5", str(good), env=env)
    before = sorted(store.iter_objects("TEST"))
    path = truncated(tmp_path)
    proc = run_irr("load", "--source", "TEST", "--serial", "6", path, env=env, check=False)
    assert proc.returncode == 1 and "Aborted" not in proc.stderr
    assert "load of TEST failed, nothing was changed" in proc.stderr and "the file is truncated" in proc.stderr
    assert path in proc.stderr
    assert sorted(store.iter_objects("TEST")) == before and store.serial("TEST") == 5
    row = {s.name: s for s in store.sources()}["TEST"]
    assert "apnic.db.inetnum.gz" in row.last_error and "truncated" in row.last_error


def test_a_mirror_import_of_a_truncated_dump_is_recorded(tmp_path, db_url, store):
    path = truncated(tmp_path)
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[sources.TEST]\ndump_urls = ["file://{path}"]\n')
    proc = run_irr("--config", str(config), "--data-dir", str(tmp_path), "mirror", "TEST", check=False)
    assert proc.returncode == 1 and "Aborted" not in proc.stderr
    assert "apnic.db.inetnum.gz" in proc.stderr and "truncated" in proc.stderr
    row = {s.name: s for s in store.sources()}["TEST"]
    assert row.last_error.startswith("import: full import of TEST failed")
    assert "apnic.db.inetnum.gz" in row.last_error and "truncated" in row.last_error
    assert list(store.iter_objects("TEST")) == []


def test_irr_check_reads_a_byte_order_mark_and_cr_line_ends(tmp_path):
    """A Windows editor's BOM, an old Mac's CR line ends: the same objects as the plain file."""
    plain = real_dump()
    expected = sum(1 for p in iter_paragraphs(plain) if not p.text.startswith(("#", "%")))
    (tmp_path / "plain.db").write_bytes(plain)
    (tmp_path / "bom.db").write_bytes(b"\xef\xbb\xbf" + plain)
    (tmp_path / "mac.db").write_bytes(plain.replace(b"\n", b"\r"))
    outputs = {}
    for name in ("plain.db", "bom.db", "mac.db"):
        proc = run_irr("check", str(tmp_path / name), check=False)
        outputs[name] = proc.stdout.replace(str(tmp_path / name), "FILE")
        assert f"{expected} objects checked (lenient)" in proc.stdout, proc.stdout
    assert outputs["bom.db"] == outputs["plain.db"] == outputs["mac.db"]
    assert "unknown object class" not in outputs["bom.db"]
