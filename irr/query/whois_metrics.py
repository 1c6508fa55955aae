"""The whois server's own figures (queries and answer times by kind), kept in the process that
answers; irr.metrics adds the database's figures at scrape time."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from irr.query.nrtm import is_nrtm

REGISTRY = CollectorRegistry(auto_describe=True)

WHOIS_QUERIES = Counter("irr_whois_queries_total", "Whois queries answered, by kind", ["kind"], registry=REGISTRY)
WHOIS_SECONDS = Histogram("irr_whois_query_seconds", "Time to answer a whois query", ["kind"], registry=REGISTRY,
                          buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


_CHILDREN: dict[str, tuple] = {}  # kind -> its (counter, histogram): labels() costs a lock and a tuple per call


def query_kind(query: str) -> str:
    """A small fixed set of label values: the `!` command letter (ASCII: a label per Unicode
    letter would let a client grow the metrics without bound), nrtm, or ripe."""
    if query.startswith("!"):
        letter = query[1:2]
        return "!" + letter if letter.isascii() and (letter.isalnum() or letter == "!") else "!?"
    return "nrtm" if is_nrtm(query) else "ripe"


def count_query(query: str, seconds: float) -> None:
    """One answered query of `query`'s kind, which took `seconds`."""
    kind = query_kind(query)
    children = _CHILDREN.get(kind)
    if children is None:
        children = _CHILDREN[kind] = (WHOIS_QUERIES.labels(kind), WHOIS_SECONDS.labels(kind))
    children[0].inc()
    children[1].observe(seconds)
