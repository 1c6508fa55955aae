"""Filter export benchmark on the 1M dump: the 20 largest as-sets, aggregated (-A), exported by
`irr.export.generate` from the in-memory data and by Debian's bgpq4 1.9 against our own whois
server, in the same run. Outputs are compared too.

    python bench/export.py                     # generates/loads /tmp/clean-1m.db into a throwaway database
    IRR_DATABASE_URL=... python bench/export.py --no-load
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from irr.database import EmbeddedPostgres  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=Path(tempfile.gettempdir()) / "clean-1m.db")
    ap.add_argument("--no-load", action="store_true")
    ap.add_argument("--family", default="-4", choices=["-4", "-6"])
    args = ap.parse_args()

    server = None
    url = os.environ.get("IRR_DATABASE_URL")
    if not url:
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="irr-bench-")) / "pg", cleanup="delete")
        url = "postgresql+psycopg://" + server.start().split("://", 1)[1]
    env = dict(os.environ, IRR_DATABASE_URL=url)
    proc = None
    try:
        if not args.no_load:
            if not args.dump.exists():
                subprocess.run([sys.executable, str(REPO.parent / "shared" / "data" / "gen_rpsl.py"), "--seed", "1",
                                "--scale", "1000000", "--oddity-rate", "0", "--out", str(args.dump)], check=True,
                               stdout=subprocess.DEVNULL)
            subprocess.run([sys.executable, "-m", "irr.cli", "load", "-q", "--source", "APNIC", "--serial", "1",
                            str(args.dump)], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        from irr.database import make_engine
        from irr.export.generate import generate
        from irr.query.memory import RoutingMemory
        from irr.query.sets import resolve_as_set
        from irr.store import Store

        store = Store(make_engine(url))
        memory = RoutingMemory(store)
        t0 = time.monotonic()
        memory.load_all()
        print(f"routing data loaded in {time.monotonic() - t0:.1f} s")
        view = memory.view(sorted(memory.snapshots))
        sizes = []
        for name, definition in memory.snapshots["APNIC"].sets.items():
            if definition.object_class == "as-set":
                asns = resolve_as_set(view, name) or []
                sizes.append((sum(len(view.prefixes(int(a[2:]), 4)) for a in asns), name))
        largest = [n for _, n in sorted(sizes, reverse=True)[:20]]
        print(f"20 largest as-sets: {sorted(sizes, reverse=True)[19][0]} to {sorted(sizes, reverse=True)[0][0]} "
              "IPv4 prefixes")

        t0 = time.monotonic()
        ours = {n: generate(view, [args.family, "-A", "-l", "EX", n])[0] for n in largest}
        ours_seconds = time.monotonic() - t0

        whois_port, http_port = free_port(), free_port()
        proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "serve", "--no-demo", "--whois-port", str(whois_port),
                                 "--http-port", str(http_port)], env=env, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            if "whois on" in line:
                break
        t0 = time.monotonic()
        theirs = {n: subprocess.run(["bgpq4", "-h", f"127.0.0.1:{whois_port}", args.family, "-A", "-l", "EX", n],
                                    capture_output=True, text=True).stdout for n in largest}
        bgpq4_seconds = time.monotonic() - t0
        same = sum(ours[n] == theirs[n] for n in largest)
        print(f"irr.export (in process):     {ours_seconds:.2f} s for 20 sets ({ours_seconds * 50:.0f} ms/set)")
        print(f"bgpq4 1.9 against our whois: {bgpq4_seconds:.2f} s for 20 sets ({bgpq4_seconds * 50:.0f} ms/set)")
        print(f"ratio: {bgpq4_seconds / ours_seconds:.1f}x; identical outputs: {same}/20")
        store.engine.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
