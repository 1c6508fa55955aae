"""Every job of a source records its success and clears its own error (issue 15): an export that
failed once (the source had no objects yet) no longer stays the source's last error forever, and
one job's success never hides another job's failure."""
from __future__ import annotations

import shutil

from irr.config import Config, SourceConfig
from irr.metrics import SourceCollector
from irr.query.ripe import ripe_query
from irr.query.session import Session
from irr.store import Change
from irr.store.lookups import Lookups
from mirror.scheduler import Scheduler, jobs_for, run_once
from rpsl.lenient import load
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL, free_port


def a_real_route(source: str) -> str:
    text = next(p.text for p in iter_paragraphs(REAL / "apnicnet-whois-TEST.db") if p.text.startswith("route:"))
    return "\n".join(line if not line.startswith("source:") else f"source:         {source}"
                     for line in text.split("\n"))


def row(store, name: str):
    return {s.name: s for s in store.sources()}[name]


def source_error_metric(store, name: str) -> float:
    family = next(f for f in SourceCollector(store).collect() if f.name == "irr_source_error")
    return next(s.value for s in family.samples if s.labels == {"source": name})


def sources_answer(store, name: str) -> str:
    return ripe_query("-q sources", Session([name], [name]), Lookups(store.engine), store)


def test_an_export_that_failed_once_clears_its_error_when_it_works(store, tmp_path):
    config = Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", True, export_timer=3600)})
    scheduler = Scheduler(config, store)
    (export,) = scheduler.jobs
    assert scheduler.run_job(export).startswith("error:")  # no object yet: nothing to export
    assert row(store, "VNNIC").last_error.startswith("export: ") and row(store, "VNNIC").last_success is None
    assert source_error_metric(store, "VNNIC") == 1

    store.apply([Change("VNNIC", "ADD", load(a_real_route("VNNIC")))], origin="test")
    assert "exported 1 objects" in scheduler.run_job(export)
    status = row(store, "VNNIC")
    assert status.last_error is None and status.last_success is not None
    assert source_error_metric(store, "VNNIC") == 0
    answer = sources_answer(store, "VNNIC")
    assert "last success never" not in answer and "last error" not in answer
    assert "exported 1 objects" in run_once(config, store, "VNNIC")[0]  # `irr mirror` records the same way


def test_one_jobs_success_does_not_hide_another_jobs_failure(store, tmp_path):
    """An NRTMv3 mirror whose server is down, with exports that work: the NRTM error stays (the
    alert keeps firing) until an NRTM poll works; an export error is not cleared by the import."""
    port = free_port()  # nothing listens: every poll fails
    source = SourceConfig("APNIC", nrtm_host="127.0.0.1", nrtm_port=port, export_timer=3600)
    config = Config(data_dir=tmp_path, sources={"APNIC": source})
    store.apply([Change("APNIC", "ADD", load(a_real_route("APNIC")), serial=7)], origin="test",
                serial_newest={"APNIC": 7})
    scheduler = Scheduler(config, store)
    nrtm, export = (job for job in jobs_for(config, store, source))
    assert scheduler.run_job(nrtm).startswith("error:")
    assert "exported 1 objects" in scheduler.run_job(export)
    assert row(store, "APNIC").last_error.startswith("nrtm3: ")
    assert source_error_metric(store, "APNIC") == 1

    shutil.rmtree(tmp_path / "export")
    (tmp_path / "export").write_text("not a directory")  # the next export can't write: its own error
    assert scheduler.run_job(export).startswith("error:")
    (tmp_path / "export").unlink()
    assert row(store, "APNIC").last_error.startswith("export: ")
    store.record_success("APNIC")  # an import success (what the NRTM client records) leaves it
    assert row(store, "APNIC").last_error.startswith("export: ")
    assert "exported 1 objects" in scheduler.run_job(export)
    assert row(store, "APNIC").last_error is None
