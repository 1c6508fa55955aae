"""Bulk load benchmark: `irr load` of a generated APNIC-like dump versus a raw COPY of the same
object texts into an unindexed table, in the same run on the same PostgreSQL.

    python bench/load.py                       # 1M objects, seed 1 (generates /tmp/irr-generated-1000000-s1.db)
    python bench/load.py --scale 100000 --dump /tmp/irr-generated-100k.db

Prints wall time, objects/s and peak RSS (the loader's processes, and PostgreSQL's backends).
Uses a throwaway embedded PostgreSQL unless --database-url (or IRR_DATABASE_URL) is given.
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

from common import generate_dump  # noqa: E402

from irr.database import EmbeddedPostgres  # noqa: E402
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

    server = None
    url = args.database_url
    if not url:
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="irr-bench-")) / "pg", cleanup="delete")
        url = "postgresql+psycopg://" + server.start().split("://", 1)[1]
    libpq = "postgresql://" + url.split("://", 1)[1]
    try:
        env = dict(os.environ, IRR_DATABASE_URL=url)
        subprocess.run([sys.executable, "-m", "irr.cli", "db", "upgrade"], env=env, check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL)
        existing_pg = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"}

        cmd = [sys.executable, "-m", "irr.cli", "load", "--source", "APNIC", "--serial", "1", "-q", str(dump)]
        if args.workers:
            cmd[5:5] = ["--workers", str(args.workers)]
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

        print(f"dump:               {dump} ({mb(dump.stat().st_size)}, {len(texts):,} paragraphs)")
        print(f"irr load:           {first}")
        print(f"wall time:          {wall:.1f} s  ({objects / wall:,.0f} objects/s)")
        print(f"peak RSS loader:    main process {mb(sampler.peak_main)}, "
              f"with worker processes {mb(sampler.peak_tree)}")
        print(f"peak RSS backend:   {mb(sampler.peak_pg)} (largest PostgreSQL process during the load)")
        print(f"raw COPY of texts:  {raw_copy:.1f} s  (unindexed table, same server)")
        print(f"ratio load/COPY:    {wall / raw_copy:.1f}x")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
