"""Filter export benchmark on the 1M dump: the 20 largest as-sets, aggregated (-A), exported by
`irr.export.generate` from the in-memory data and by Debian's bgpq4 1.9 against our own whois
server, in the same run. Outputs are compared too.

    python bench/export.py             # generates/loads /tmp/irr-generated-clean-1m.db into a throwaway database
    IRR_DATABASE_URL=... python bench/export.py --no-load
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CLEAN_1M, database, load_clean_1m, serving  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, default=CLEAN_1M)
    ap.add_argument("--no-load", action="store_true")
    ap.add_argument("--family", default="-4", choices=["-4", "-6"])
    args = ap.parse_args()

    with database() as url:
        if not args.no_load:
            load_clean_1m(url, args.dump)
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

        with serving(url) as (_, whois_port):
            t0 = time.monotonic()
            theirs = {n: subprocess.run(["bgpq4", "-h", f"127.0.0.1:{whois_port}", args.family, "-A", "-l", "EX", n],
                                        capture_output=True, text=True).stdout for n in largest}
            bgpq4_seconds = time.monotonic() - t0
        same = sum(ours[n] == theirs[n] for n in largest)
        print(f"irr.export (in process):     {ours_seconds:.2f} s for 20 sets ({ours_seconds * 50:.0f} ms/set)")
        print(f"bgpq4 1.9 against our whois: {bgpq4_seconds:.2f} s for 20 sets ({bgpq4_seconds * 50:.0f} ms/set)")
        print(f"ratio: {bgpq4_seconds / ours_seconds:.1f}x; identical outputs: {same}/20")
        store.engine.dispose()


if __name__ == "__main__":
    main()
