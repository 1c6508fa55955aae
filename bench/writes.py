"""Write-path speed, before and after in one run: an NRTMv3 batch of 1,000 operations landing
through the NRTMv3 client, and single changes through `Store.apply` (bench/churn.py's mix: routes
added, deleted and moved to another origin, as-set and route-set members, aut-num member-of), on
the generated clean dump.

"Before" is a git revision (default a2a4d36, the write path that built its statements per object)
checked out into a temporary `git worktree`, "after" this checkout; each side runs in a process of
its own with that checkout's code and bench/churn.py, the two interleaved (--runs rounds, the
machine is noisy). Printed per side: wall seconds and the CPU seconds of the writer and of
PostgreSQL's processes.

    .venv/bin/python bench/writes.py [--before REV] [--scale 100000] [--runs 3]
    IRR_DATABASE_URL=... .venv/bin/python bench/writes.py --no-load   # a database holding the dump
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CLEAN_1M, REPO, database, load_clean_1m  # noqa: E402

# One side's measurement, run by `python -c` with the checkout as first argument.
CHILD = """
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from churn import Churn
from irr.database import make_engine
from irr.store import Store
churn = Churn(Store(make_engine(sys.argv[2])), "APNIC", seed=int(sys.argv[3]))
churn._note = lambda ops: None  # an older bench/churn.py's bookkeeping as it went: not measured
print("ready", flush=True)
sys.stdin.readline()
out = {}
t, c = time.perf_counter(), time.process_time()
out["report"] = churn.nrtm_batch(int(sys.argv[4]))
out["batch"] = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps(out), flush=True)
sys.stdin.readline()
t, c = time.perf_counter(), time.process_time()
for _ in range(int(sys.argv[5])):
    churn.step()
out["single"] = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps(out), flush=True)
"""


def postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL processes running now."""
    total = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] == "postgres":
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total


def side(code: Path, url: str, seed: int, batch: int, single: int) -> dict:
    """One side's batch and single changes: {phase: (wall, writer CPU, PostgreSQL CPU)}."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(code), url, str(seed), str(batch), str(single)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    figures, out = {}, {}
    for phase in ("batch", "single"):
        pg = postgres_cpu()
        child.stdin.write("go\n")
        child.stdin.flush()
        out = json.loads(child.stdout.readline())
        figures[phase] = (*out[phase], postgres_cpu() - pg)
    child.stdin.close()
    child.wait(60)
    figures["report"] = out["report"]
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default="a2a4d36", help="git revision of the old code (default %(default)s)")
    ap.add_argument("--scale", type=int, default=100_000, help="objects in the generated dump")
    ap.add_argument("--no-load", action="store_true", help="the database already holds the dump")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000, help="operations in the NRTM batch")
    ap.add_argument("--single", type=int, default=200, help="single changes through Store.apply")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="irr-bench-writes-"))
    old = work / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.before], check=True,
                   capture_output=True)
    try:
        with database() as url:
            if not args.no_load:
                load_clean_1m(url, CLEAN_1M.with_name(f"irr-generated-clean-{args.scale}.db")
                              if args.scale != 1_000_000 else CLEAN_1M, args.scale)
            results: dict[str, list[dict]] = {"before": [], "after": []}
            for run in range(args.runs):
                for name, code in (("before", old), ("after", REPO)):
                    t0 = time.monotonic()
                    results[name].append(side(code, url, 7 + run, args.batch, args.single))
                    r = results[name][-1]
                    print(f"run {run + 1} {name:<6} batch {r['batch'][0]:6.2f} s  single {r['single'][0]:6.2f} s"
                          f"  ({time.monotonic() - t0:.0f} s with start-up; {r['report']})", flush=True)
            print(f"\nmedians of {args.runs} runs (before = {args.before}); "
                  "seconds: wall / writer CPU / PostgreSQL CPU")
            phases = (("batch", f"NRTM batch of {args.batch:,}"), ("single", f"{args.single} single changes"))
            for phase, count in phases:
                cells = {}
                for name in results:
                    cells[name] = [statistics.median(r[phase][i] for r in results[name]) for i in range(3)]
                b, a = cells["before"], cells["after"]
                print(f"  {count:<24} before {b[0]:6.2f} / {b[1]:5.2f} / {b[2]:5.2f}   after {a[0]:6.2f} / "
                      f"{a[1]:5.2f} / {a[2]:5.2f}   wall {b[0] / a[0]:.1f}x  writer CPU {b[1] / a[1]:.1f}x")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
