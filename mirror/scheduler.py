"""Mirroring jobs on their timers, inside `irr serve`: dump imports, NRTMv3 and NRTMv4 polls,
exports and NRTMv4 publication; the registry-wide ROA and scope refreshes. Never two jobs of the
same source at once; each outcome is recorded in the source's status row (last success, last
error, serial), which `!j`, `!J`, `-q sources` and the status page show, or for the registry-wide
jobs in the jobs table (`irr status`, the status page, /metrics)."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from irr.config import Config, SourceConfig
from irr.redaction import redact_urls
from irr.rpki.validate import load_roas
from irr.smtp import send_mail
from irr.store import SIDE_JOBS
from mirror.download import fetch
from mirror.dumps import Exporter
from mirror.full_import import FullImport
from mirror.nrtm3 import Nrtm3Client
from mirror.nrtm4_client import Nrtm4Client
from mirror.nrtm4_files import publish_directory
from mirror.nrtm4_publisher import Nrtm4Publisher
from mirror.registry_jobs import load_scope
from mirror.report_jobs import load_bgp_location, run_reports

log = logging.getLogger(__name__)
REGISTRY_JOBS = ("roas", "scope", "bgp", "reports")


@dataclass
class Job:
    source: str
    kind: str          # import | nrtm3 | nrtm4 | export | nrtm4-publish; registry-wide: roas | scope
    interval: float
    run: object        # callable() -> str
    next_run: float = 0.0
    last_status: str = ""


@dataclass
class Scheduler:
    config: Config
    store: object
    jobs: list[Job] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for source in self.config.sources.values():
            self.jobs.extend(jobs_for(self.config, self.store, source))
        if self.config.scope_configured:
            self.jobs.append(Job("SCOPE", "scope", self.config.scope_timer,
                                 lambda: load_scope(self.config, self.store)))
        if self.config.roa_url:
            self.jobs.append(Job("RPKI", "roas", self.config.roa_timer, lambda: load_roa_url(self.config, self.store)))
        self.jobs.extend(report_jobs(self.config, self.store))

    def lock(self, source: str) -> threading.Lock:
        return self._locks.setdefault(source, threading.Lock())

    def run_job(self, job: Job) -> str | None:
        """Run one job unless another job of its source is running (then skip this turn)."""
        lock = self.lock(job.source)
        if not lock.acquire(blocking=False):
            return None
        try:
            job.last_status = run_recorded(self.store, job)
            log.info("%s %s: %s", job.kind, job.source, job.last_status)
        except Exception as e:  # recorded and retried on the next turn
            job.last_status = f"error: {redact_urls(str(e))}"
            log.warning("%s %s failed: %s", job.kind, job.source, redact_urls(str(e)))
        finally:
            lock.release()
        return job.last_status

    def start(self) -> None:
        if not self.jobs:
            return
        self._thread = threading.Thread(target=self._loop, name="irr-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self) -> None:
        workers: dict[str, threading.Thread] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for job in self.jobs:
                busy = workers.get(job.source)
                if job.next_run <= now and (busy is None or not busy.is_alive()):
                    job.next_run = now + job.interval
                    t = threading.Thread(target=self.run_job, args=(job,), name=f"irr-{job.kind}-{job.source}",
                                         daemon=True)
                    workers[job.source] = t
                    t.start()
            self._stop.wait(1.0)


def run_recorded(store, job: Job, run=None) -> str:
    """Run a job (or `run` in its name) and record the outcome: a success stamps the source's last
    success and clears that job's last error; an error is recorded as "<kind>: <error>" (for the
    registry-wide jobs in the jobs table) and raised."""
    try:
        status = (run or job.run)()
    except Exception as e:
        try:
            if job.kind in REGISTRY_JOBS:  # not a source: no row in the sources table
                store.record_job(job.kind, error=str(e))
            else:
                store.record_error(job.source, f"{job.kind}: {e}")
        except Exception:
            log.exception("could not record the error")
        raise
    if job.kind in REGISTRY_JOBS:
        store.record_job(job.kind, status=status)
    else:
        store.record_success(job.source, job.kind if job.kind in SIDE_JOBS else None)
    return status


def _key(value: str | None) -> str | None:
    """A PEM given inline or as a path to a file."""
    if value and "-----BEGIN" not in value and Path(value).exists():
        return Path(value).read_text()
    return value


def jobs_for(config: Config, store, source: SourceConfig) -> list[Job]:
    """What a source's configuration asks for."""
    jobs: list[Job] = []
    workdir = config.data_dir / "mirror" / source.name.lower()
    full = None
    if source.dump_urls:
        full = FullImport(store, source, workdir)
    if source.nrtm_host:
        client = Nrtm3Client(store, source, full)
        jobs.append(Job(source.name, "nrtm3", source.import_timer, client.run_once))
    elif source.nrtm4_url:
        jobs.append(Job(source.name, "nrtm4", source.import_timer, Nrtm4Client(store, source).run_once))
    elif full is not None:
        jobs.append(Job(source.name, "import", source.import_timer, full.run_once))
    if source.export_timer:
        exporter = Exporter(store, source.name, config.data_dir / "export")
        jobs.append(Job(source.name, "export", source.export_timer, exporter.run_once))
    if source.nrtm4_server:
        key = _key(source.nrtm4_private_key)
        if key:
            publisher = Nrtm4Publisher(store, source, publish_directory(config, source.name), key,
                                       _key(source.nrtm4_private_key_next))
            jobs.append(Job(source.name, "nrtm4-publish", 60, publisher.run_once))
        else:
            log.error("%s: nrtm4_server needs nrtm4_private_key", source.name)
    return jobs


def report_jobs(config: Config, store) -> list[Job]:
    """The BGP table refresh (when [bgp] table_url is set) and the daily report run with its
    monthly mails (when there is a table to compare with); one registry-wide lock: never together."""
    if not config.bgp_table_url:
        return []

    def send(to, subject, body):
        send_mail(config, to, subject, body)

    return [Job("BGP", "bgp", config.bgp_timer, lambda: load_bgp_location(config, store, config.bgp_table_url)),
            Job("BGP", "reports", int((config.reports or {}).get("timer", 86400)),
                lambda: run_reports(config, store, send))]


def load_roa_url(config: Config, store) -> str:
    """Fetch the configured ROA file and load it (all or nothing)."""
    return load_roas(config, store, fetch(config.roa_url))


def run_once(config: Config, store, source_name: str, force: bool = False, progress: bool = False) -> list[str]:
    """`irr mirror SOURCE`: one cycle of every job of a source, by hand."""
    source = config.sources.get(source_name)
    if source is None:
        raise ValueError(f"source {source_name} is not in the configuration")
    statuses = []
    for job in jobs_for(config, store, source):
        run = job.run
        if job.kind in ("import", "nrtm3") and (force or progress) and source.dump_urls:
            # --force reloads from the dumps whatever the serials say: how a stuck mirror recovers
            full = FullImport(store, source, config.data_dir / "mirror" / source.name.lower(), progress=progress)
            run = lambda full=full: full.run_once(force=force)  # noqa: E731
        elif job.kind == "nrtm4" and force:
            run = lambda: Nrtm4Client(store, source).run_once(force=True)  # noqa: E731
        statuses.append(run_recorded(store, job, run))
    if not statuses:
        statuses.append(f"{source_name}: nothing to do (no dump_urls, nrtm_host, nrtm4_url, exports or NRTMv4 "
                        "publication configured)")
    return statuses
