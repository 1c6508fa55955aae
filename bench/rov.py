"""Route origin validation benchmark: every route/route6 of the 1M dump validated against a
500k-entry ROA set made from the dump (most routes covered by a matching ROA, some by a ROA for
another origin or a shorter maxLength, the rest of the 500k in space no route uses).

    python bench/rov.py                 # loads /tmp/irr-generated-1m.db (made when missing) first
    IRR_DATABASE_URL=... python bench/rov.py --no-load

Prints the seconds of `irr rpki load` (parse, replace the ROAs, revalidate every route, journal
the transitions) and peak RSS of this process and of PostgreSQL's backends.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import DUMP_1M, database, generate_dump, largest_postgres_rss  # noqa: E402

from irr.config import Config  # noqa: E402
from irr.database import make_engine  # noqa: E402
from irr.store import Store  # noqa: E402


def make_roas(store: Store, count: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["ASN,IP Prefix,Max Length,Trust Anchor"]
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        routes = conn.execute(sa.text("SELECT prefix::text, origin FROM rpsl_objects WHERE object_class IN "
                                      "('route', 'route6')")).all()
    for prefix, origin in routes:
        length = int(prefix.rsplit("/", 1)[1])
        maximum = 32 if ":" not in prefix else 128
        roll = rng.random()
        if roll < 0.75:
            lines.append(f"AS{origin},{prefix},{min(maximum, length + rng.choice((0, 0, 1, 2)))},apnic")
        elif roll < 0.85:
            lines.append(f"AS{origin + 1},{prefix},{length},apnic")  # another origin: invalid
        elif roll < 0.9:
            lines.append(f"AS0,{prefix},{maximum},apnic")  # AS0: invalid
    n = 0
    while len(lines) - 1 < count:  # the rest: ROAs in space no route uses (documentation-free 100/8 etc.)
        n += 1
        if n % 3:
            a, b, c = rng.randrange(100, 127), rng.randrange(256), rng.randrange(256)
            lines.append(f"AS{rng.randrange(1, 400000)},{a}.{b}.{c}.0/24,24,apnic")
        else:
            lines.append(f"AS{rng.randrange(1, 400000)},2a0{rng.randrange(10)}:{rng.randrange(65536):x}::/32,48,ripe")
    return "\n".join(lines[: count + 1]) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=DUMP_1M)
    ap.add_argument("--no-load", action="store_true")
    ap.add_argument("--roas", type=int, default=500_000)
    args = ap.parse_args()
    with database() as url:
        if not args.no_load:
            generate_dump(args.dump, 1_000_000, 1)
            subprocess.run([sys.executable, "-m", "irr.cli", "load", "-q", "--source", "APNIC", "--serial", "1",
                            str(args.dump)], env=dict(os.environ, IRR_DATABASE_URL=url), cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
        store = Store(make_engine(url))
        store.upgrade()
        data = make_roas(store, args.roas).encode()
        from irr.rpki.validate import load_roas

        peak_pg = 0
        done = threading.Event()

        def sample():
            nonlocal peak_pg
            while not done.is_set():
                peak_pg = max(peak_pg, largest_postgres_rss())
                time.sleep(0.1)

        threading.Thread(target=sample, daemon=True).start()
        config = Config(data_dir=Path(tempfile.mkdtemp()))
        t0 = time.monotonic()
        status = load_roas(config, store, data)
        first = time.monotonic() - t0
        t0 = time.monotonic()
        status2 = load_roas(config, store, data)  # the same set again: no transitions
        again = time.monotonic() - t0
        done.set()
        import sqlalchemy as sa

        with store.engine.connect() as conn:
            states = dict(conn.execute(sa.text("SELECT rpki_status, count(*) FROM rpsl_objects WHERE object_class IN "
                                               "('route', 'route6') GROUP BY rpki_status")).all())
        print(f"ROAs: {args.roas:,}; routes: {sum(states.values()):,} -> {states}")
        print(f"first load and validation: {first:.1f} s  ({status})")
        print(f"same ROAs again:           {again:.1f} s  ({status2})")
        print(f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB, "
              f"largest PostgreSQL process {peak_pg / 2**20:,.0f} MB")
        store.engine.dispose()


if __name__ == "__main__":
    main()
