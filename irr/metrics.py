"""Prometheus metrics (prometheus-client): what an operator graphs and alerts on. Whois counters
and histograms are updated in the process that answers; per-source figures and the submissions
(counted in the database: `irr submit` is a process of its own) are read from the database when
/metrics is scraped, into a registry of that scrape (a process may hold several stores)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from irr.reports.verdicts import severity
from irr.store.counters import submission_counts
from irr.store.reports import ReportStore
from irr.store.security import SecurityStore

REGISTRY = CollectorRegistry(auto_describe=True)

WHOIS_QUERIES = Counter("irr_whois_queries_total", "Whois queries answered, by kind", ["kind"], registry=REGISTRY)
WHOIS_SECONDS = Histogram("irr_whois_query_seconds", "Time to answer a whois query", ["kind"], registry=REGISTRY,
                          buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# Counters the update pipeline keeps in PostgreSQL (irr.store.security): every process adds to them
# (web workers, `irr submit`), so they are read at scrape time. name: (help, label)
SECURITY_COUNTERS = {
    "irr_failed_authorisations": ("Objects refused because their authorisation failed, by channel", "channel"),
    "irr_auth_lockouts": ("Clients and maintainers locked out after repeated failed attempts, by kind", "kind"),
    "irr_staff_override_uses": ("Submissions made with the staff override, by channel", "channel"),
    "irr_pgp_signatures_refused": ("PGP signatures refused by the update pipeline, by reason", "reason"),
}


def query_kind(query: str) -> str:
    """A small fixed set of label values: the `!` command letter, nrtm, or ripe."""
    if query.startswith("!"):
        return "!" + query[1:2] if query[1:2].isalnum() or query[1:2] == "!" else "!?"
    from irr.query.nrtm import is_nrtm

    return "nrtm" if is_nrtm(query) else "ripe"


class SourceCollector:
    """Per-source figures at scrape time: objects per class, serial, last success / error, ROAs,
    and the registry-wide jobs' last success / error."""

    def __init__(self, store):
        self.store = store

    def collect(self):
        objects = GaugeMetricFamily("irr_objects", "Objects per source and class", labels=["source", "object_class"])
        for source, classes in self.store.counts().items():
            for cls, n in classes.items():
                objects.add_metric([source, cls], n)
        yield objects
        serial = GaugeMetricFamily("irr_source_serial", "Newest serial of the source", labels=["source"])
        success = GaugeMetricFamily("irr_source_last_success_timestamp_seconds",
                                    "When the source's last import, NRTM poll or export succeeded", labels=["source"])
        failing = GaugeMetricFamily("irr_source_error", "1 when the source's last mirroring job failed",
                                    labels=["source"])
        for row in self.store.sources():
            if row.serial_newest is not None:
                serial.add_metric([row.name], row.serial_newest)
            if row.last_success is not None:
                success.add_metric([row.name], row.last_success.timestamp())
            failing.add_metric([row.name], 1 if row.last_error else 0)
        yield serial
        yield success
        yield failing
        roas = GaugeMetricFamily("irr_roas", "Validated ROA payloads loaded")
        roas.add_metric([], self.store.roa_count())
        yield roas
        job_success = GaugeMetricFamily("irr_job_last_success_timestamp_seconds",
                                        "When the registry-wide job (roas, scope) last succeeded", labels=["job"])
        job_failing = GaugeMetricFamily("irr_job_error", "1 when the registry-wide job's last run failed",
                                        labels=["job"])
        for job in self.store.jobs():
            if job.last_success is not None:
                job_success.add_metric([job.name], job.last_success.timestamp())
            job_failing.add_metric([job.name], 1 if job.last_error else 0)
        yield job_success
        yield job_failing
        submissions = CounterMetricFamily("irr_submissions", "Objects submitted, by channel and outcome",
                                          labels=["channel", "outcome"])
        for (channel, outcome), n in submission_counts(self.store.engine).items():
            submissions.add_metric([channel, outcome], n)
        yield submissions
        yield report_lines(self.store)
        yield from security_families(self.store)


def report_lines(store) -> GaugeMetricFamily:
    """The latest registry-wide routing report: lines per verdict (irr.reports)."""
    gauge = GaugeMetricFamily("irr_report_lines", "Lines of the latest routing report, per verdict",
                              labels=["verdict", "severity"])
    series = ReportStore(store.engine).counts_series(days=1)
    for _day, verdict, lines in series:
        gauge.add_metric([verdict, severity(verdict)], lines)
    return gauge


def exposition(store) -> bytes:
    """The text exposition format: this process's whois figures, then the store's figures (a
    registry per scrape: two stores in one process never register the same series twice)."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(SourceCollector(store))
    return generate_latest(REGISTRY) + generate_latest(scrape)


def security_families(store):
    """The shared security counters as Prometheus counters (irr_failed_authorisations_total ...)."""
    values: dict[str, list[tuple[str, int]]] = {}
    for metric, label, value in SecurityStore(store.engine).counters():
        values.setdefault(metric.removesuffix("_total"), []).append((label, value))
    for name, (description, label_name) in SECURITY_COUNTERS.items():
        family = CounterMetricFamily(name, description, labels=[label_name])
        for label, value in values.get(name, []):
            family.add_metric([label], value)
        yield family
