"""The routing hygiene jobs of `irr serve` (and their by-hand equivalents): fetching and loading
the BGP table, and the daily report run that records the day's counts and sends the monthly
mails. The as-set check and the mail sender come from the application."""
from __future__ import annotations

from pathlib import Path

from irr.bgp import load_bgp
from irr.config import Config
from irr.export.health import check as health_check
from irr.query.memory import RoutingMemory
from irr.query.sets import Limits
from irr.reports.inputs import Settings
from irr.reports.mail import Send, send_monthly
from irr.reports.report import AsSetCheck, registry_run
from irr.store.reports import ReportStore
from mirror.download import fetch

BGP_MAX_BYTES = 4 << 30   # a full RIS bview is about 0.5 GB gzipped


def load_bgp_location(config: Config, store, location: str) -> str:
    """A file, or a URL fetched into the data directory first (streamed, never all in memory)."""
    if "://" in location and not location.startswith("file://"):
        directory = Path(config.data_dir) / "bgp"
        directory.mkdir(parents=True, exist_ok=True)
        path = fetch(location, directory / "table", max_bytes=BGP_MAX_BYTES)
    else:
        path = Path(location[7:] if location.startswith("file://") else location)
    return load_bgp(ReportStore(store.engine), path, location)


def as_set_checker(config: Config, store, memory: RoutingMemory | None = None) -> AsSetCheck:
    """Loops and missing members of an as-set, by the whois server's set resolution over the
    configured sources: the running server's memory when given, else loaded at the first check
    (a report without as-sets never loads it)."""
    views: list = []

    def view():
        if not views:
            loaded = memory
            if loaded is None:
                loaded = RoutingMemory(store)
                loaded.load_all()
            order = list(config.source_order) or sorted(loaded.snapshots)
            views.append(loaded.view(order, Limits(int(config.whois["max_set_depth"]),
                                                   int(config.whois["max_set_size"]))))
        return views[0]

    def check(name: str):
        health = health_check(view(), name, counts=False)
        return health.cycles, health.missing

    return check


def run_reports(config: Config, store, send: Send | None, check: AsSetCheck | None = None) -> str:
    """The day's registry-wide run (counts recorded), then the monthly mails that are due."""
    reports = ReportStore(store.engine)
    check = check or as_set_checker(config, store)
    settings = Settings.from_config(config)
    status = registry_run(reports, settings, check=check).summary()
    if send is not None:
        status += "; " + send_monthly(reports, settings, int((config.reports or {}).get("mail_day", 1)), send,
                                      check=check)
    return status
