"""`irr check`'s file checking: worker processes give the same output as one process."""
from __future__ import annotations

from rpsl import checkfile
from tests.conftest import REAL


def _everything(path, strict, workers):
    total = checkfile.Checked()
    for checked in checkfile.check_file(path, strict, workers=workers):
        total.add(checked)
    return total


def test_workers_report_what_one_process_reports(tmp_path, monkeypatch):
    """Real objects, some with errors in strict mode, in blocks checked by forked workers."""
    text = "\n\n".join(p.read_text(errors="replace") for p in sorted(REAL.glob("*.db")))
    path = tmp_path / "real.db"
    path.write_text(text * 2)
    monkeypatch.setattr(checkfile, "PARALLEL_FROM", 0)
    monkeypatch.setattr(checkfile.reader, "BLOCK_SIZE", 1 << 14)  # many blocks, in and out of order
    for strict in (True, False):
        one, two = _everything(path, strict, 1), _everything(path, strict, 2)
        assert one.lines and one.lines == two.lines
        assert one.counts == two.counts and one.bad == two.bad
