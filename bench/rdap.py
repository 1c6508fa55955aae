"""RDAP benchmark on the 1M-object generated dump: `ip/` lookups of random addresses over HTTP next
to `whois -B` of the same addresses over the whois port of the same `irr serve`, in one run.

    python bench/rdap.py                               # generates/loads the dump into a throwaway database
    IRR_DATABASE_URL=... python bench/rdap.py --no-load  # a database that already holds it

The addresses are random addresses inside random inetnum/inet6num objects of the dump (as many
IPv6 as the dump's share of inet6num). For one client and for --clients concurrent clients (threads,
each request on a new connection, as both protocols are used) it prints lookups per second and
latency percentiles of each (the two alternate in rounds over the same addresses).
"""
from __future__ import annotations

import argparse
import http.client
import ipaddress
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CLEAN_1M, database, load_clean_1m, serving  # noqa: E402

from irr.database import make_engine  # noqa: E402

ROUNDS = 5


def addresses(url: str, count: int, seed: int) -> list[str]:
    """Random addresses inside random networks of the dump."""
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT setseed(:s)"), {"s": seed / 1000})
        rows = conn.execute(sa.text(
            "SELECT host(ip_first), host(ip_last) FROM rpsl_objects WHERE source = 'APNIC' "
            "AND object_class IN ('inetnum', 'inet6num') ORDER BY random() LIMIT :n"), {"n": count}).all()
    engine.dispose()
    rng = random.Random(seed)
    out = []
    for first, last in rows:
        a, b = int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
        out.append(str(ipaddress.ip_address(first).__class__(rng.randint(a, b))))
    return out


def rdap_lookup(port: int, address: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", f"/rdap/ip/{address}", headers={"Accept": "application/rdap+json"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or b'"ip network"' not in body:
            raise RuntimeError(f"ip/{address}: {resp.status} {body[:200]!r}")
        return len(body)
    finally:
        conn.close()


def whois_lookup(port: int, address: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        conn.sendall(f"-B {address}\n".encode())
        out = b""
        while chunk := conn.recv(1 << 16):
            out += chunk
    if b"inetnum:" not in out and b"inet6num:" not in out:
        raise RuntimeError(f"whois -B {address}: {out[:200]!r}")
    return len(out)


def run(lookup, port: int, queries: list[str], clients: int) -> tuple[float, list[float], int]:
    """Every query once, spread over `clients` threads: (seconds, latencies, bytes answered)."""
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    chunks = [queries[i::clients] for i in range(clients)]

    def worker(chunk: list[str]) -> None:
        mine, size = [], 0
        for q in chunk:
            t0 = time.perf_counter()
            size += lookup(port, q)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            sizes.append(size)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, sum(sizes)


def report(label: str, clients: int, seconds: float, latencies: list[float], size: int) -> None:
    q = statistics.quantiles(latencies, n=100)
    print(f"{label:<10} clients={clients:<3} {len(latencies) / seconds:>7.0f} lookups/s  p50 {q[49] * 1000:6.2f} ms"
          f"  p99 {q[98] * 1000:6.2f} ms  ({size / len(latencies):,.0f} bytes/answer)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=CLEAN_1M)
    ap.add_argument("--no-load", action="store_true", help="the database already holds the dump")
    ap.add_argument("--queries", type=int, default=3000)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    args = ap.parse_args()

    config = Path(tempfile.mkstemp(suffix=".toml")[1])
    config.write_text("[rdap]\nrate_limit = 0\n")  # the benchmark is one client asking thousands of times
    os.environ["IRR_CONFIG"] = str(config)
    try:
        with database() as url:
            if not args.no_load:
                load_clean_1m(url, args.dump)
            queries = addresses(url, args.queries, seed=1)
            v6 = sum(":" in q for q in queries)
            print(f"{len(queries)} random addresses of the dump's networks ({v6} IPv6)")
            with serving(url) as (proc, whois_port):
                http_port = proc.http_port
                warm = queries[:200]
                run(rdap_lookup, http_port, warm, 4)
                run(whois_lookup, whois_port, warm, 4)
                for clients in args.clients:
                    # alternate in rounds: the machine's load drifts, and both should see the same
                    totals = {"RDAP ip/": [0.0, [], 0], "whois -B": [0.0, [], 0]}
                    for r in range(ROUNDS):
                        part = queries[r::ROUNDS]
                        for label, lookup, port in (("RDAP ip/", rdap_lookup, http_port),
                                                    ("whois -B", whois_lookup, whois_port)):
                            seconds, latencies, size = run(lookup, port, part, clients)
                            totals[label][0] += seconds
                            totals[label][1].extend(latencies)
                            totals[label][2] += size
                    for label, (seconds, latencies, size) in totals.items():
                        report(label, clients, seconds, latencies, size)
    finally:
        config.unlink()


if __name__ == "__main__":
    main()
