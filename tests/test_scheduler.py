"""The mirroring scheduler: jobs from the configuration, run on their timers, one at a time per
source, with their status recorded where !j, -q sources and the status page show it."""
from __future__ import annotations

import threading
import time

from irr.config import Config, SourceConfig
from irr.query.ripe import ripe_query
from irr.query.session import Session
from irr.store.lookups import Lookups
from mirror.scheduler import Job, Scheduler, jobs_for
from tests.conftest import free_port, generate_dump


def test_jobs_follow_the_configuration(store, tmp_path):
    config = Config(data_dir=tmp_path, sources={
        "APNIC": SourceConfig("APNIC", dump_urls=("file:///x.db",), nrtm_host="h", export_timer=60),
        "RADB": SourceConfig("RADB", dump_urls=("file:///y.db",)),
        "VNNIC": SourceConfig("VNNIC", True, export_timer=3600),
        "NTT": SourceConfig("NTT", nrtm4_url="https://x/update-notification-file.jose", nrtm4_public_key="k"),
    })
    kinds = {name: [j.kind for j in jobs_for(config, store, s)] for name, s in config.sources.items()}
    assert kinds == {"APNIC": ["nrtm3", "export"], "RADB": ["import"], "VNNIC": ["export"], "NTT": ["nrtm4"]}


def test_never_two_jobs_of_a_source_at_once(store, tmp_path):
    scheduler = Scheduler(Config(data_dir=tmp_path), store)
    running = threading.Event()
    release = threading.Event()

    def slow():
        running.set()
        release.wait(10)
        return "done"

    first = Job("APNIC", "import", 1, slow)
    second = Job("APNIC", "export", 1, lambda: "exported")
    other = Job("RADB", "import", 1, lambda: "other source")
    t = threading.Thread(target=scheduler.run_job, args=(first,))
    t.start()
    running.wait(5)
    assert scheduler.run_job(second) is None            # skipped: APNIC is busy
    assert scheduler.run_job(other) == "other source"   # other sources are not held up
    release.set()
    t.join()
    assert scheduler.run_job(second) == "exported"


def test_scheduled_import_and_errors_are_visible(store, tmp_path):
    dump = generate_dump(tmp_path / "radb.db", 2000, 3, "--source", "RADB")
    (tmp_path / "RADB.CURRENTSERIAL").write_text("42\n")
    config = Config(data_dir=tmp_path, sources={
        "RADB": SourceConfig("RADB", dump_urls=(f"file://{dump}",), serial_url=f"file://{tmp_path}/RADB.CURRENTSERIAL",
                             import_timer=1),
        "BROKEN": SourceConfig("BROKEN", dump_urls=(f"file://{tmp_path}/missing.db",), import_timer=1),
    })
    scheduler = Scheduler(config, store)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = {s.name: s for s in store.sources()}
            if "RADB" in status and status["RADB"].serial_newest == 42 and "BROKEN" in status and \
                    status["BROKEN"].last_error:
                break
            time.sleep(0.2)
    finally:
        scheduler.stop()
    status = {s.name: s for s in store.sources()}
    assert status["RADB"].serial_newest == 42 and status["RADB"].last_success is not None
    assert "missing.db" in status["BROKEN"].last_error
    session = Session(["RADB", "BROKEN"], ["RADB", "BROKEN"])
    sources = ripe_query("-q sources", session, Lookups(store.engine), store)
    assert "RADB:3:N:0-42" in sources and "% RADB: serial 42, last success" in sources
    assert "% BROKEN: serial None, last success never, last error: import:" in sources


def test_registry_wide_jobs_are_recorded_apart_from_sources(store, tmp_path):
    """A failing ROA download is shown as the `roas` job's error, not as a phantom source `RPKI`."""
    roas = tmp_path / "roas.csv"
    config = Config(data_dir=tmp_path, roa_url=f"file://{roas}", scope_prefixes=("192.0.2.0/24",))
    scheduler = Scheduler(config, store)
    jobs = {job.kind: job for job in scheduler.jobs}
    assert sorted(jobs) == ["roas", "scope"]     # scope from configured prefixes alone, not only delegated stats

    assert scheduler.run_job(jobs["roas"]).startswith("error:")
    assert scheduler.run_job(jobs["scope"]).startswith("scope: 1 ranges")
    assert store.sources() == []
    recorded = {job.name: job for job in store.jobs()}
    assert recorded["roas"].last_success is None and "roas.csv" in recorded["roas"].last_error
    assert recorded["scope"].last_error is None and recorded["scope"].last_status.startswith("scope: 1 ranges")

    roas.write_text("ASN,IP Prefix,Max Length,Trust Anchor\nAS1,192.0.2.0/24,24,apnic\n")
    assert "error" not in scheduler.run_job(jobs["roas"])
    roa_job = {job.name: job for job in store.jobs()}["roas"]
    assert roa_job.last_success is not None and roa_job.last_error is None and "1" in roa_job.last_status
    assert store.roa_count() == 1 and store.sources() == []


def test_credentials_in_mirror_urls_never_reach_errors_or_logs(store, tmp_path, caplog):
    """A dump URL with a password or token: the recorded error (shown by !J, -q sources, the status
    page) and the log name the host and path, never the credentials."""
    import logging

    from irr.redaction import RedactingFilter

    port = free_port()  # nothing listens there: the download fails at once
    config = Config(data_dir=tmp_path, sources={"RADB": SourceConfig(
        "RADB", dump_urls=(f"http://mirror:s3cret-pw@127.0.0.1:{port}/radb.db.gz?token=s3cret-token",))})
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.WARNING):
        status = Scheduler(config, store).run_job(jobs_for(config, store, config.sources["RADB"])[0])
    error = {s.name: s for s in store.sources()}["RADB"].last_error
    for text in (status, error, caplog.text):
        assert f"http://***@127.0.0.1:{port}/radb.db.gz?***" in text, text
        assert "s3cret" not in text


def test_irr_mirror_force_reloads_an_nrtm_mirror_from_its_dumps(store, tmp_path):
    """`irr mirror APNIC --force` on an NRTMv3 mirror: a full reload (how a stuck mirror recovers),
    even though NRTM says there is nothing new."""
    from mirror.importer import load_files
    from mirror.scheduler import run_once
    from tests.test_nrtm3 import FakePeer

    dump = generate_dump(tmp_path / "dump.db", 300, 9)
    (tmp_path / "APNIC.CURRENTSERIAL").write_text("500\n")
    load_files(store, "APNIC", [dump], serial=100, mirror=True)
    peer = FakePeer(b"% Warning: there are no newer updates available\n\n\n")
    try:
        source = SourceConfig("APNIC", nrtm_host="127.0.0.1", nrtm_port=peer.port, dump_urls=(f"file://{dump}",),
                              serial_url=f"file://{tmp_path}/APNIC.CURRENTSERIAL")
        config = Config(data_dir=tmp_path, sources={"APNIC": source}, source_order=("APNIC",))
        assert run_once(config, store, "APNIC") == ["APNIC: up to date at serial 100"]
        statuses = run_once(config, store, "APNIC", force=True)
    finally:
        peer.close()
    assert "objects loaded" in statuses[0] and store.serial("APNIC") == 500
