"""The whois server's own figures (queries and answer times by kind), kept in the process that
answers; irr.metrics adds the database's figures at scrape time."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from irr.query.nrtm import is_nrtm

REGISTRY = CollectorRegistry(auto_describe=True)

WHOIS_QUERIES = Counter("irr_whois_queries_total", "Whois queries answered, by kind", ["kind"], registry=REGISTRY)
WHOIS_SECONDS = Histogram("irr_whois_query_seconds", "Time to answer a whois query", ["kind"], registry=REGISTRY,
                          buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def query_kind(query: str) -> str:
    """A small fixed set of label values: the `!` command letter, nrtm, or ripe."""
    if query.startswith("!"):
        return "!" + query[1:2] if query[1:2].isalnum() or query[1:2] == "!" else "!?"
    return "nrtm" if is_nrtm(query) else "ripe"
