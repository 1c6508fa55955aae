"""Routing report benchmark: a full report of every member of the clean 1M-object dump against a
1M-line BGP table and the 500k-entry ROA set of bench/rov.py.

The BGP table (pfx2as text, one (prefix, origin) a line) is made from the dump: most route
objects announced by their origin, some by another origin, some not at all; more-specifics
without route objects inside the members' allocations; the rest of the million lines are the
Internet's other prefixes (outside APNIC's space in the dump), which the report must skip.

    python bench/report.py                 # generates and loads the clean 1M dump first
    IRR_DATABASE_URL=... python bench/report.py --no-load

Prints the seconds and peak RSS of `irr bgp load` and of `irr report run` (every line of every
member written as JSON lines, the day's counts recorded), then of one member's report.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import psutil
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import CLEAN_1M, database, largest_postgres_rss, load_clean_1m  # noqa: E402
from rov import make_roas  # noqa: E402

from irr.config import Config  # noqa: E402
from irr.database import make_engine  # noqa: E402
from irr.rpki.validate import load_roas  # noqa: E402
from irr.store import Store  # noqa: E402


def make_table(store: Store, lines: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    with store.engine.connect() as conn:
        routes = conn.execute(sa.text("SELECT prefix::text, origin FROM rpsl_objects WHERE object_class IN "
                                      "('route', 'route6')")).all()
        blocks = conn.execute(sa.text("SELECT prefix::text FROM rpsl_objects WHERE object_class = 'inetnum' "
                                      "AND prefix_length BETWEEN 16 AND 22 ORDER BY pk LIMIT 50000")).all()
    for prefix, origin in routes:
        roll = rng.random()
        if roll < 0.80:
            out.append(_line(prefix, origin))
        elif roll < 0.88:
            out.append(_line(prefix, origin + 1))                  # another origin
        # else: registered, not announced
    for (block,) in blocks:                                          # more-specifics nobody registered
        net = ipaddress.ip_network(block)
        if net.prefixlen < 24:
            sub = list(net.subnets(new_prefix=24))[rng.randrange(2 ** (24 - net.prefixlen))]
            out.append(_line(str(sub), rng.randrange(1, 400000)))
    n = 0
    while len(out) < lines:                                          # the rest of the Internet
        n += 1
        if n % 5:
            a = rng.choice((8, 12, 17, 23, 24, 31, 38, 45, 50, 63, 64, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76))
            out.append(f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.0\t24\t{rng.randrange(1, 400000)}")
        else:
            out.append(f"2a0{rng.randrange(10)}:{rng.randrange(65536):x}::\t32\t{rng.randrange(1, 400000)}")
    return "\n".join(out[:lines]) + "\n"


def _line(prefix: str, origin: int) -> str:
    address, length = prefix.split("/")
    return f"{address}\t{length}\t{origin}"


def registry_handles(dump: Path) -> list[str]:
    """The registries' own maintainers and organisations in the dump (APNIC-HM and the NIRs'),
    which the report leaves out of the members."""
    out = {"APNIC-HM", "ORG-APNIC1-AP"}
    for para in dump.read_text(encoding="utf-8", errors="replace").split("\n\n"):
        if para.startswith("inetnum:") and "(National Internet Registry)" in para:
            for line in para.splitlines():
                if line.startswith(("mnt-lower:", "org:")):
                    out.add(line.split(":", 1)[1].strip())
    return sorted(out)


def timed(args: list[str], env: dict) -> tuple[float, str, float, float]:
    """Run `irr ARGS`: (seconds, output, its peak RSS in MB, the largest PostgreSQL process's in MB);
    prints its CPU seconds too (wall time on a busy machine includes waiting for a core)."""
    with tempfile.TemporaryFile(mode="w+") as out:
        t0 = time.monotonic()
        proc = psutil.Popen([sys.executable, "-m", "irr.cli", *args], env=env, cwd=REPO, stdout=out)
        peak, peak_pg, cpu = _watch(proc)
        seconds = time.monotonic() - t0
        print(f"  [irr {args[0]} {args[1]}: {cpu:.1f} s of CPU in the irr process]")
        if proc.returncode:
            raise SystemExit(f"irr {' '.join(args)} failed ({proc.returncode})")
        out.seek(0)
        return seconds, out.read(), peak / 2**20, peak_pg / 2**20


def _watch(proc) -> tuple[int, int, float]:
    """Peak RSS of the process and of the largest PostgreSQL process while it runs."""
    peak = peak_pg = 0
    cpu = 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
            times = proc.cpu_times()
            cpu = times.user + times.system
        except psutil.Error:
            pass
        peak_pg = max(peak_pg, largest_postgres_rss())
        time.sleep(0.1)
    return peak, peak_pg, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=CLEAN_1M)
    ap.add_argument("--no-load", action="store_true")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--roas", type=int, default=500_000)
    args = ap.parse_args()
    with database() as url:
        if not args.no_load:
            load_clean_1m(url, args.dump)
        store = Store(make_engine(url))
        store.upgrade()
        work = Path(tempfile.mkdtemp(prefix="irr-bench-report-"))
        load_roas(Config(data_dir=work), store, make_roas(store, args.roas).encode())
        table = work / "pfx2as.txt"
        table.write_text(make_table(store, args.lines))
        exclude = registry_handles(args.dump)
        config = work / "irr.toml"
        config.write_text('[reports]\nsources = ["APNIC"]\nexclude_members = [' + ", ".join(
            f'"{h}"' for h in exclude) + "]\n")
        env = dict(os.environ, IRR_DATABASE_URL=url, IRR_CONFIG=str(config), IRR_DATA_DIR=str(work))
        seconds, out, peak, peak_pg = timed(["bgp", "load", str(table)], env)
        print(f"irr bgp load ({args.lines:,} lines): {seconds:.1f} s, peak RSS {peak:,.0f} MB "
              f"(largest PostgreSQL process {peak_pg:,.0f} MB)\n  {out.strip()}")
        lines = work / "lines.jsonl"
        seconds, out, peak, peak_pg = timed(["report", "run", "--out", str(lines)], env)
        with open(lines) as f:
            count = sum(1 for _ in f)
        print(f"irr report run (every member, {count:,} lines, {lines.stat().st_size / 2**20:,.0f} MB of JSON): "
              f"{seconds:.1f} s, peak RSS {peak:,.0f} MB (largest PostgreSQL process {peak_pg:,.0f} MB)")
        print("  " + "\n  ".join(out.splitlines()[:24]))
        member = next(line.split()[0] for line in out.splitlines() if line.startswith("  MAINT"))
        seconds, out, peak, _ = timed(["report", "member", member, "--json"], env)
        found = json.loads(out)
        print(f"irr report member {member} (the member with most to fix): {seconds:.1f} s, "
              f"{len(found['lines']):,} lines, peak RSS {peak:,.0f} MB")
        store.engine.dispose()


if __name__ == "__main__":
    main()
