"""Whois benchmark on the 1M-object generated dump, with bench/whoisload.py as the client.

    python bench/whois.py                         # generates/loads the dump into a throwaway database
    IRR_DATABASE_URL=... python bench/whois.py --no-load   # use a database that already holds it

For each query kind (`!g`, `!6`, `!i…,1` on random sets, `!i…,1` and `!a4` on the 20 largest sets)
it prints queries/s and latency percentiles with one client on a persistent connection and with
50 concurrent clients, then the server's RSS.
"""
from __future__ import annotations

import argparse
import random
import socket
import sys
import time
from pathlib import Path

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import whoisload  # noqa: E402
from common import CLEAN_1M, database, load_clean_1m, serving  # noqa: E402

from irr.database import make_engine  # noqa: E402


def ask(port: int, query: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        conn.sendall(query.encode() + b"\n")
        out = b""
        while chunk := conn.recv(1 << 20):
            out += chunk
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=CLEAN_1M)
    ap.add_argument("--no-load", action="store_true", help="the database already holds the dump")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 50])
    args = ap.parse_args()

    with database() as url:
        if not args.no_load:
            load_clean_1m(url, args.dump)

        # query files from the data
        engine = make_engine(url)
        with engine.connect() as conn:
            v4 = conn.execute(sa.text("SELECT DISTINCT origin FROM rpsl_objects WHERE object_class = 'route'"
                                      " AND source = 'APNIC'")).scalars().all()
            v6 = conn.execute(sa.text("SELECT DISTINCT origin FROM rpsl_objects WHERE object_class = 'route6'"
                                      " AND source = 'APNIC'")).scalars().all()
            set_names = conn.execute(sa.text("SELECT pk, object_class FROM rpsl_objects WHERE source = 'APNIC' "
                                             "AND object_class IN ('as-set', 'route-set')")).all()
        engine.dispose()
        t0 = time.monotonic()
        with serving(url) as (proc, whois_port):
            start_seconds = time.monotonic() - t0
            # the 20 largest sets, by the size of their recursive expansion
            sizes = []
            cold = []
            for name, cls in set_names:
                t1 = time.perf_counter()
                reply = ask(whois_port, f"!i{name},1")
                cold.append(time.perf_counter() - t1)
                sizes.append((reply.count(b" ") + 1 if reply.startswith(b"A") else 0, name, cls))
            sizes.sort(reverse=True)
            largest = [n for _, n, _ in sizes[:20]]
            largest_as = [n for _, n, c in sizes if c == "as-set"][:20]
            cold_a4 = []
            for name in largest_as:
                t1 = time.perf_counter()
                ask(whois_port, f"!a4{name}")
                cold_a4.append(time.perf_counter() - t1)
            print(f"first (uncached) answers, one connection each: !i,1 all {len(cold)} sets {sum(cold):.1f} s "
                  f"(max {max(cold) * 1000:.1f} ms); !a4 20 largest as-sets mean {sum(cold_a4) / 20 * 1000:.1f} ms "
                  f"(max {max(cold_a4) * 1000:.1f} ms)")
            rng = random.Random(1)
            files = {
                "!g": [f"!gas{a}" for a in rng.sample(v4, min(5000, len(v4)))],
                "!6": [f"!6as{a}" for a in rng.sample(v6, min(5000, len(v6)))],
                "!i,1 random sets": [f"!i{n},1" for n, _ in rng.sample(set_names, min(5000, len(set_names)))],
                "!i,1 20 largest": [f"!i{n},1" for n in largest],
                "!a4 20 largest as-sets": [f"!a4{n}" for n in largest_as],
            }
            print(f"server start (routing data loaded): {start_seconds:.1f} s; largest set has {sizes[0][0]} members")
            for label, queries in files.items():
                for clients in args.clients:
                    r = whoisload.run("127.0.0.1", whois_port, queries, clients, args.seconds)
                    print(f"{label:<24} clients={clients:<3} {r.qps:>7.0f} q/s  p99 {r.percentile(99):.2f} ms"
                          f"  answers={dict(r.answers)} errors={r.errors}")
            rss = psutil.Process(proc.pid).memory_info().rss
            pg = sum(p.memory_info().rss for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres")
            print(f"server RSS: {rss / 2**20:,.0f} MB (PostgreSQL processes together: {pg / 2**20:,.0f} MB, "
                  "the buffer pool counted once per process)")


if __name__ == "__main__":
    main()
