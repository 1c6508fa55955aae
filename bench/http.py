"""HTTP benchmark on the 1M-object generated dump: `irr serve`'s HTTP server (waitress, with irr's
bounds) against Werkzeug's development server (what `irr serve` used before), the same app on the
same database, in one run.

    python bench/http.py                          # generates/loads the dump into a throwaway database
    IRR_DATABASE_URL=... python bench/http.py --no-load   # use a database that already holds it

For each server and each page, 50 concurrent clients (asyncio, a new connection per request, as
routers' cron jobs and browsers arriving fresh) ask for --seconds: the prefix-set of a large as-set
(`/v1/filters/prefix-set/<set>`) and the search page on random keys (AS numbers, prefixes, sets).
It prints requests/s, p50 and p99 latency and errors. The servers run one at a time, in the
order Werkzeug, waitress, waitress, Werkzeug (the machine's drift cancels out), and the summary
compares their means.

Each server runs in a child of this script (`--child werkzeug|waitress`) that builds the app as
`irr serve` does (routing data in memory, used by the filters too) and serves it with Werkzeug's
ThreadedWSGIServer (per-request log line silenced) or with irr.http_server.BoundedHTTPServer and
the configured http_max_connections and http_timeout, exactly as `irr serve` does.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `http`: keep its folder behind the standard
# library on the path (urllib imports http.client), and reach bench/common.py from there.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

from common import CLEAN_1M, REPO, database, free_port, load_clean_1m  # noqa: E402


def child(kind: str, port: int) -> None:
    """Serve the app as `irr serve` does now (waitress) or did before (Werkzeug's threaded server)."""
    import logging

    from werkzeug.serving import ThreadedWSGIServer

    from irr.config import load_config
    from irr.database import engine_for
    from irr.query.memory import RoutingMemory
    from irr.store import Store
    from irr.web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    config = load_config()
    store = Store(engine_for(config))
    memory = RoutingMemory(store)
    memory.load_all()
    app = create_app(config, store, memory)
    if kind == "werkzeug":
        server = ThreadedWSGIServer("127.0.0.1", port, app)
    else:
        from irr.http_server import BoundedHTTPServer

        server = BoundedHTTPServer("127.0.0.1", port, app, config.http_max_connections, config.http_timeout)
    print("HTTP on", flush=True)
    server.serve_forever()


def start(kind: str, url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, IRR_DATABASE_URL=url)
    argv = [sys.executable, __file__, "--child", kind, "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)  # its log: our stderr
    for line in proc.stdout:
        if "HTTP on" in line:
            return proc, port
    raise RuntimeError(f"{kind} did not start")


async def _get(port: int, path: str) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, len(data)


async def _load(port: int, paths: list[str], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    received = 0
    end = time.monotonic() + seconds
    rng = random.Random(1)

    async def client() -> None:
        nonlocal errors, received
        while time.monotonic() < end:
            path = rng.choice(paths)
            t0 = time.perf_counter()
            try:
                status, size = await asyncio.wait_for(_get(port, path), 120)
            except (TimeoutError, OSError):
                status, size = 0, 0
            if status == 200:
                latencies.append(time.perf_counter() - t0)
                received += size
            else:
                errors += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99), "ok": len(latencies),
            "errors": errors, "mb": received / 2**20}


def _big_as_sets(url: str) -> list[str]:
    """The 200 as-sets with the longest texts (the most direct members): candidates for a large set."""
    import sqlalchemy as sa

    from irr.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        names = conn.execute(sa.text(
            "SELECT pk FROM rpsl_objects WHERE source = 'APNIC' AND object_class = 'as-set' "
            "ORDER BY length(object_text) DESC LIMIT 200")).scalars().all()
    engine.dispose()
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=CLEAN_1M)
    ap.add_argument("--no-load", action="store_true", help="the database already holds the dump")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--child", choices=["werkzeug", "waitress"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.port)
        return

    with database() as url:
        if not args.no_load:
            load_clean_1m(url, args.dump)
        import sqlalchemy as sa

        from irr.database import make_engine

        engine = make_engine(url)
        with engine.connect() as conn:
            rng = random.Random(2)
            keys = [f"AS{a}" for a in rng.sample(conn.execute(sa.text(
                "SELECT DISTINCT origin FROM rpsl_objects WHERE source = 'APNIC' AND object_class = 'route'"))
                .scalars().all(), 100)]
            keys += rng.sample(conn.execute(sa.text(
                "SELECT host(prefix) || '/' || masklen(prefix) FROM rpsl_objects WHERE source = 'APNIC' "
                "AND object_class = 'route' LIMIT 20000")).scalars().all(), 100)
            keys += rng.sample(conn.execute(sa.text(
                "SELECT pk FROM rpsl_objects WHERE source = 'APNIC' AND object_class IN ('as-set', 'route-set')"))
                .scalars().all(), 50)
        engine.dispose()
        search = [f"/search?q={urllib.parse.quote(k)}" for k in keys]

        candidates = _big_as_sets(url)
        results: dict[tuple[str, str], list[dict]] = {}
        chosen = None
        for kind in ("werkzeug", "waitress", "waitress", "werkzeug"):
            proc, port = start(kind, url)
            try:
                if chosen is None:  # the set with the largest prefix-set answer, asked once
                    sizes = []
                    for name in candidates:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/filters/prefix-set/{name}",
                                                    timeout=300) as r:
                            sizes.append((len(r.read()), name))
                    size, chosen = max(sizes)
                    print(f"prefix-set of {chosen}: {size:,} bytes ({size // 40:,} lines or so)")
                prefix_set = [f"/v1/filters/prefix-set/{chosen}"]
                for label, paths in (("prefix-set", prefix_set), ("search", search)):
                    asyncio.run(_load(port, paths, 5, 2))  # warm-up
                    r = asyncio.run(_load(port, paths, args.clients, args.seconds))
                    results.setdefault((kind, label), []).append(r)
                    print(f"{kind:<9} {label:<11} clients={args.clients} {r['rps']:8.1f} req/s  p50 {r['p50']:8.1f} ms"
                          f"  p99 {r['p99']:8.1f} ms  ok={r['ok']} errors={r['errors']} ({r['mb']:.0f} MB)",
                          flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
        print("\nmeans of both runs, before (Werkzeug) -> after (waitress with irr's bounds):")
        for label in ("prefix-set", "search"):
            before, after = (_mean(results[(kind, label)]) for kind in ("werkzeug", "waitress"))
            ratio = after["rps"] / before["rps"]
            print(f"  {label:<11} {before['rps']:.1f} -> {after['rps']:.1f} req/s (x{ratio:.2f}),"
                  f" p99 {before['p99']:.0f} -> {after['p99']:.0f} ms")


def _mean(runs: list[dict]) -> dict:
    return {key: sum(r[key] for r in runs) / len(runs) for key in ("rps", "p99")}


if __name__ == "__main__":
    main()
