"""Bulk load benchmark: `irr load` of a generated APNIC-like dump versus a raw COPY of the same
object texts into an unindexed table, in the same run on the same PostgreSQL; on two servers.

    python bench/load.py                       # 1M objects, seed 1 (generates /tmp/irr-generated-1000000-s1.db)
    python bench/load.py --scale 100000 --dump /tmp/irr-generated-100k.db

Prints wall time, objects/s and peak RSS (the loader's processes, and PostgreSQL's backends), for
a throwaway embedded PostgreSQL as `irr` configures it (wal_level=minimal: a load into a table
created in its own transaction writes no WAL), and for a throwaway server of the same binaries
with wal_level=replica, as a PostgreSQL that feeds streaming replicas runs. With --database-url
(or IRR_DATABASE_URL) it measures that server only.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, generate_dump  # noqa: E402

from irr.database import EMBEDDED_SETTINGS, EmbeddedPostgres  # noqa: E402
from rpsl import reader  # noqa: E402


class PeakRSS(threading.Thread):
    """Samples the summed RSS of a process tree (and of PostgreSQL backends) every 50 ms."""

    def __init__(self, pid: int, pg_pids: set[int] | None = None):
        super().__init__(daemon=True)
        self.pid, self.pg_pids = pid, pg_pids
        self.peak_tree = self.peak_main = self.peak_pg = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                main = psutil.Process(self.pid)
                procs = [main, *main.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs]
                self.peak_main = max(self.peak_main, rss[0])
                self.peak_tree = max(self.peak_tree, sum(rss))
                pg = 0
                for p in psutil.process_iter(["name"]):
                    if p.info["name"] == "postgres" and (self.pg_pids is None or p.pid not in self.pg_pids):
                        try:
                            pg = max(pg, p.memory_info().rss)
                        except psutil.Error:
                            pass
                self.peak_pg = max(self.peak_pg, pg)
            except psutil.Error:
                pass
            time.sleep(0.05)


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dump", type=Path, help="dump file (made by irr generate-dump when missing)")
    ap.add_argument("--database-url", default=os.environ.get("IRR_DATABASE_URL"))
    ap.add_argument("--workers", type=int)
    args = ap.parse_args()

    dump = args.dump or Path(tempfile.gettempdir()) / f"irr-generated-{args.scale}-s{args.seed}.db"
    generate_dump(dump, args.scale, args.seed)

    if args.database_url:
        servers = [("given server", None)]
    else:
        servers = [("embedded, wal_level=minimal", EMBEDDED_SETTINGS),
                   ("wal_level=replica", {**EMBEDDED_SETTINGS, "wal_level": "replica", "max_wal_senders": "10"})]
    walls = {}
    for label, settings in servers:
        server = None
        url = args.database_url
        if settings is not None:
            server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="irr-bench-")) / "pg", cleanup="delete",
                                      settings=settings)
            url = "postgresql+psycopg://" + server.start().split("://", 1)[1]
        try:
            print(f"\n== {label}", flush=True)
            walls[label] = measure(url, dump, args.workers)
        finally:
            if server is not None:
                server.stop()
    if len(walls) == 2:
        (a, wa), (b, wb) = walls.items()
        print(f"\n{b} / {a}: {wb / wa:.2f}x the wall time")


def measure(url: str, dump: Path, workers: int | None) -> float:
    """One `irr load` of `dump` into the database at `url`, and the raw COPY; prints the figures,
    returns the load's wall time."""
    libpq = "postgresql://" + url.split("://", 1)[1]
    env = dict(os.environ, IRR_DATABASE_URL=url)
    subprocess.run([sys.executable, "-m", "irr.cli", "db", "upgrade"], env=env, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)
    with psycopg.connect(libpq) as conn:
        wal_level = conn.execute("SHOW wal_level").fetchone()[0]
    existing_pg = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"}

    cmd = [sys.executable, "-m", "irr.cli", "load", "--source", "APNIC", "--serial", "1", "-q", str(dump)]
    if workers:
        cmd[5:5] = ["--workers", str(workers)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRSS(proc.pid, existing_pg)
    sampler.start()
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    sampler.running = False
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"irr load failed:\n{out}\n{err}")
    first = out.splitlines()[0]
    objects = int(first.split(":")[1].split()[0])

    # The same object texts, COPYed raw into an unindexed table (the floor for any loader).
    texts = [p.text + "\n" for p in reader.iter_paragraphs(dump) if p.text[:1] not in "#%"]
    payload = "".join(t.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") + "\n" for t in texts)
    with psycopg.connect(libpq) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute("CREATE UNLOGGED TABLE bench_raw (object_text text)")
        conn.commit()
        t1 = time.monotonic()
        with conn.cursor() as cur, cur.copy("COPY bench_raw (object_text) FROM STDIN") as copy:
            for i in range(0, len(payload), 8 << 20):
                copy.write(payload[i:i + (8 << 20)])
        conn.commit()
        raw_copy = time.monotonic() - t1
        conn.execute("DROP TABLE bench_raw")
        conn.commit()

    print(f"server:             wal_level={wal_level}")
    print(f"dump:               {dump} ({mb(dump.stat().st_size)}, {len(texts):,} paragraphs)")
    print(f"irr load:           {first}")
    print(f"wall time:          {wall:.1f} s  ({objects / wall:,.0f} objects/s)")
    print(f"peak RSS loader:    main process {mb(sampler.peak_main)}, "
          f"with worker processes {mb(sampler.peak_tree)}")
    print(f"peak RSS backend:   {mb(sampler.peak_pg)} (largest PostgreSQL process during the load)")
    print(f"raw COPY of texts:  {raw_copy:.1f} s  (unlogged, unindexed table, same server)")
    print(f"ratio load/COPY:    {wall / raw_copy:.1f}x", flush=True)
    return wall


if __name__ == "__main__":
    main()
