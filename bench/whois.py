"""Whois benchmark on the 1M-object generated dump: answers cached, cold, and under churn, side by
side in one run.

    python bench/whois.py                                  # generates/loads the dump into a throwaway database
    IRR_DATABASE_URL=... python bench/whois.py --no-load   # a database that already holds it
    python bench/whois.py --code ../main                   # the server of another checkout (before/after)

Query kinds: `!g` and `!6` on random origins, `!i<set>,1` on random sets and on the 20 largest (by
the size of their expansion), `!a4` on the 20 largest as-sets. Each run is one client or 20, each
on a persistent connection sending a query when the previous answer has arrived; it reports
queries/s, median and 99th percentile latency, and errors (failed connections, `F` answers).

- cold: on freshly started servers (A for one client, B for 20; the other one stopped meanwhile),
  every query distinct and asked for the first time, so no answer is cached; the random origins
  and sets in turns, a fifth of each kind at a time (`--slices`), so that a drift of the machine's
  speed over the cold phase falls on every kind alike (their ratios are the figures); the 20 largest sets
  are only 20 queries, so they are asked in several passes (`--passes`, 20), each after a committed
  change that reaches all of them (a route added for an origin in each), which drops their cached
  answers; a pass takes a few milliseconds, so the median, lowest and highest pass are printed too;
- cached: the same queries again on A, every answer in the cache;
- churn: on A, while a writer applies 10 changes/s through the store's write path (bench/churn.py:
  routes added, deleted, moved to another origin; as-set and route-set members; aut-num member-of)
  and, halfway through each run, an NRTM batch of 1,000 serials lands through the NRTMv3 client;
- cold again, after the churn and the answer checks, on two more fresh servers (the 20 largest
  sets' passes with a change that reaches them on the data as the churn left it): each churn
  figure is compared with the two cold phases together, which lie before and after the churn
  runs, so that a machine whose speed drifts over the minutes between them does not decide the
  ratio; the ratio to each phase alone is printed too.

Answers must not depend on the phase: the checksums of answers to the same query in the cold and
cached runs are compared (those of the random origins and sets: the cold passes over the largest
sets delete their routes afterwards, so these are asked on the same data), and once the churn has
settled a freshly started server C must give byte-identical answers to A's for a sample (every set
and origin the churn touched included).
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CLEAN_1M, REPO, database, load_clean_1m, serving  # noqa: E402

from irr.database import make_engine  # noqa: E402
from irr.query.memory import RoutingMemory  # noqa: E402
from irr.query.sets import resolve_as_set, resolve_route_set  # noqa: E402
from irr.store import Change, Store  # noqa: E402
from rpsl.lenient import load  # noqa: E402

SOURCE = "APNIC"
COLD_PHASES = {"both": ("cold", "cold 2"), "first": ("cold",), "second": ("cold 2",)}  # the summary's cold figures
KINDS = ("!g", "!6", "!i,1 random sets", "!i,1 20 largest", "!a4 20 largest as-sets")


@dataclass
class Result:
    queries: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sums: dict[str, int] = field(default_factory=dict)  # query -> crc32 of its first answer
    passes: list[float] = field(default_factory=list)  # cold passes over the largest sets: q/s of each, sorted

    @property
    def qps(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) < 3:
            return max(self.latencies) * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1] * 1000


def read_answer(f) -> bytes:
    """One IRRd-framed answer (A<n> ... C, C, D or F ...)."""
    line = f.readline()
    if not line:
        raise ConnectionError("server closed the connection")
    if line.startswith(b"A"):
        data = f.read(int(line[1:]))
        end = f.readline()
        if end != b"C\n":
            raise ValueError(f"expected C after the data, got {end[:40]!r}")
        return line + data + end
    return line


def measure(port: int, queries: list[str], clients: int, seconds: float, once: bool) -> Result:
    """`clients` persistent connections asking `queries` (each at most once with `once`, else in
    turn from different offsets) for `seconds`. The clock starts when every connection has been
    answered once (`!v`): a new connection first checks that the server's data is current; it
    stops at the last answer (the answers are checksummed afterwards, not on the clock)."""
    result = Result()
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline = [float("inf")]
    ends: list[float] = []  # when each client had its last answer

    def client(i: int) -> None:
        mine = queries[i::clients] if once else queries[i * len(queries) // clients:] + \
            queries[:i * len(queries) // clients]
        latencies, firsts, errors, n = [], {}, 0, 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                f = sock.makefile("rb")
                sock.sendall(b"!!\n!v\n")
                read_answer(f)
                ready.wait()
                while mine and time.perf_counter() < deadline[0]:
                    q = mine[n % len(mine)]
                    n += 1
                    t0 = time.perf_counter()
                    sock.sendall(q.encode() + b"\n")
                    reply = read_answer(f)
                    latencies.append(time.perf_counter() - t0)
                    if reply.startswith(b"F"):
                        errors += 1
                    if q not in firsts:  # checksummed after the run: the bench's own work is not timed
                        firsts[q] = reply
                    if once and n == len(mine):
                        break
        except Exception as e:  # noqa: BLE001 - every failure counts as an error
            errors += 1
            print(f"  client error: {e!r}", file=sys.stderr)
            if ready.n_waiting < clients and not ready.broken:
                ready.abort()
        ended = time.perf_counter()
        sums = {q: zlib.crc32(reply) for q, reply in firsts.items()}
        with lock:
            ends.append(ended)
            result.queries += len(latencies)
            result.latencies += latencies
            result.errors += errors
            result.sums.update(sums)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    for t in threads:
        t.join()
    result.seconds = max(ends, default=t0) - t0
    return result


def merge(results: list[Result]) -> Result:
    out = Result()
    for r in results:
        out.queries += r.queries
        out.seconds += r.seconds
        out.latencies += r.latencies
        out.errors += r.errors
        out.sums.update(r.sums)  # the last run's answers
    return out


def ask(port: int, query: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        conn.sendall(query.encode() + b"\n")
        out = b""
        while chunk := conn.recv(1 << 20):
            out += chunk
    return out


def query_lists(url: str, rng: random.Random) -> tuple[list[str], list[int], dict[str, list[str]]]:
    """The queries of each kind: every origin and set in random order; the 20 largest sets by
    their expansion (resolved here, with this checkout's code, not by the servers measured).
    And a few origins that, together, are in every one of the largest as-sets."""
    store = Store(make_engine(url))
    with store.engine.connect() as conn:
        def column(sql: str) -> list:
            return list(conn.execute(sa.text(sql), {"s": SOURCE}).scalars())
        v4 = column("SELECT DISTINCT origin FROM rpsl_objects WHERE object_class = 'route' AND source = :s")
        v6 = column("SELECT DISTINCT origin FROM rpsl_objects WHERE object_class = 'route6' AND source = :s")
    memory = RoutingMemory(store)
    memory.load_all()
    view = memory.view([SOURCE])
    sizes = []
    for name, definition in view.snapshots[0].sets.items():
        if definition.object_class == "as-set":
            sizes.append((len(resolve_as_set(view, name) or ()), name, "as-set"))
        elif definition.object_class == "route-set":
            sizes.append((len(resolve_route_set(view, name) or ()), name, "route-set"))
    store.engine.dispose()
    sizes.sort(reverse=True)
    largest = {n for _, n, _ in sizes[:20]} | {n for _, n, c in sizes if c == "as-set"}
    largest = [n for _, n, _ in sizes if n in largest][:40]
    covering = _covering(view, largest)
    names = sorted(n for _, n, c in sizes)
    rng.shuffle(v4)
    rng.shuffle(v6)
    rng.shuffle(names)
    print(f"data: {len(v4):,} origins with routes, {len(v6):,} with route6, {len(names):,} as-sets and route-sets;"
          f" the largest expands to {sizes[0][0]:,} members", flush=True)
    return largest, covering, {
        "!g": [f"!gAS{a}" for a in v4],
        "!6": [f"!6AS{a}" for a in v6],
        "!i,1 random sets": [f"!i{n},1" for n in names],
        "!i,1 20 largest": [f"!i{n},1" for _, n, _ in sizes[:20]],
        "!a4 20 largest as-sets": [f"!a4{n}" for _, n, c in sizes if c == "as-set"][:20],
    }


def covering_now(url: str, names: list[str]) -> list[int]:
    """`_covering` on the data as it is now (the churn changes the sets)."""
    store = Store(make_engine(url))
    memory = RoutingMemory(store)
    memory.load_all()
    store.engine.dispose()
    return _covering(memory.view([SOURCE]), names)


def _covering(view, names: list[str]) -> list[int]:
    """Greedily, AS numbers that together hit the expansion of every one of the as-sets `names`."""
    todo = []
    for name in names:
        hit = view.find(name)
        if hit is not None and hit[1].object_class == "as-set" and (expansion := resolve_as_set(view, name)):
            todo.append(set(expansion))
    chosen = []
    while todo:
        counts: dict[str, int] = {}
        for e in todo:
            for a in e:
                counts[a] = counts.get(a, 0) + 1
        best = max(sorted(counts), key=counts.__getitem__)
        chosen.append(int(best[2:]))
        todo = [e for e in todo if best not in e]
    return chosen


def cold_in_turns(port: int, lists: dict[str, list[str]], clients: int, slices: int) -> list[tuple[str, Result]]:
    """Each kind's queries asked once, in `slices` parts taken in turn (a part of `!g`, of `!6`, of
    the sets, the next part of `!g`...): the cold figures are compared with each other, and a
    machine whose speed drifts over the seconds of the cold phase slows every kind alike."""
    runs: dict[str, list[Result]] = {kind: [] for kind in lists}
    for i in range(slices):
        for kind, queries in lists.items():
            part = queries[i * len(queries) // slices:(i + 1) * len(queries) // slices]
            runs[kind].append(measure(port, part, clients, 600, once=True))
    return [(kind, merge(r)) for kind, r in runs.items()]


def cold_passes(port: int, queries: list[str], clients: int, store: Store, covering: list[int], passes: int,
                counter: list[int]) -> Result:
    """The 20 largest sets are only 20 queries: `passes` runs over them, each after a change that
    reaches every one of them (a route added for origins in all of them, the previous pass's route
    deleted), so none is cached. The last pass's routes are deleted at the end: the data is then
    as before, so answers asked before and after the passes can be compared."""
    def route(origin: int, n: int) -> str:
        return (f"route: 198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}/32\n"
                f"origin: AS{origin}\nmnt-by: MAINT-BENCH\nsource: {SOURCE}\n")

    runs, previous = [], 0
    for _ in range(passes):
        counter[0] += 1
        n = counter[0]
        store.apply([Change(SOURCE, "ADD", load(route(origin, n))) for origin in covering]
                    + [Change(SOURCE, "DEL", load(route(origin, previous))) for origin in covering if previous],
                    origin="bench cold")
        previous = n
        runs.append(measure(port, queries, clients, 600, once=True))
    store.apply([Change(SOURCE, "DEL", load(route(origin, previous))) for origin in covering], origin="bench cold")
    merged = merge(runs)
    merged.passes = sorted(r.qps for r in runs)
    return merged


def cold_phase(servers, lists: dict[str, list[str]], phase: str, results: dict, store: Store, covering: list[int],
               counter: list[int], args) -> None:
    """The cold runs of every kind: on each of `servers` (clients, port, its process, the other
    server's process, its name), with the other one stopped (SIGSTOP) so it takes no CPU time;
    the largest sets' passes with a route for each of `covering`."""
    plain = {kind: queries for kind, queries in lists.items() if "largest" not in kind}
    for clients, port, running, stopped, server in servers:
        stopped.send_signal(signal.SIGSTOP)
        running.send_signal(signal.SIGCONT)
        for kind, r in cold_in_turns(port, plain, clients, args.slices):
            results[(kind, server, phase)] = r
            print(line(kind, clients, phase, r), flush=True)
        for kind, queries in lists.items():
            if kind in plain:
                continue
            r = results[(kind, server, phase)] = cold_passes(port, queries, clients, store, covering, args.passes,
                                                             counter)
            print(line(kind, clients, phase, r), flush=True)
            qps = r.passes  # each pass is a few milliseconds: how much they swing
            print(f"{'':<24} {'':>3}  passes: median {statistics.median(qps):,.0f} q/s, lowest "
                  f"{qps[0]:,.0f}, highest {qps[-1]:,.0f}", flush=True)
    for _, _, running, _, _ in servers:
        running.send_signal(signal.SIGCONT)


def rss(proc) -> str:
    return f"{psutil.Process(proc.pid).memory_info().rss / 2**20:,.0f} MB"


def line(kind: str, clients: int, phase: str, r: Result) -> str:
    return (f"{kind:<24} {clients:>3}  {phase:<7} {r.qps:>9,.0f} q/s  p50 {r.pct(50):7.3f} ms  "
            f"p99 {r.pct(99):8.3f} ms  errors {r.errors}  ({r.queries:,} queries)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1_000_000, help="objects in the generated dump")
    ap.add_argument("--dump", type=Path, help="the clean dump (generated when missing)")
    ap.add_argument("--no-load", action="store_true", help="the database already holds the dump")
    ap.add_argument("--code", type=Path, default=REPO, help="checkout whose server is measured")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--switch-interval", type=float, default=0.0001,
                    help="the clients' sys.setswitchinterval (seconds): they are threads of this one process, and "
                         "with Python's default of 5 ms a reply could wait that long for another client's turn "
                         "(the server sets 0.1 ms too)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    ap.add_argument("--rate", type=float, default=10, help="changes per second in the churn phase")
    ap.add_argument("--nrtm", type=int, default=1000, help="serials in each NRTM batch of the churn phase")
    ap.add_argument("--sample", type=int, default=300, help="queries per kind compared with a fresh server")
    ap.add_argument("--passes", type=int, default=20, help="cold runs over the 20 largest sets")
    ap.add_argument("--slices", type=int, default=5,
                    help="parts of each kind's cold queries, asked in turn with the other kinds' parts")
    args = ap.parse_args()
    sys.setswitchinterval(args.switch_interval)
    one, many = args.clients[0], args.clients[-1]
    counts = list(dict.fromkeys((one, many)))  # cached and churn runs: once each (`--clients 1`: once)

    with database() as url:
        if not args.no_load:
            dump = args.dump or (CLEAN_1M if args.scale == 1_000_000 else
                                 CLEAN_1M.with_name(f"irr-generated-clean-{args.scale}.db"))
            load_clean_1m(url, dump, args.scale)
        rng = random.Random(1)
        largest, covering, lists = query_lists(url, rng)
        store = Store(make_engine(url))
        counter = [0]
        results: dict[tuple, Result] = {}
        print(f"server: {args.code}  (load average {' '.join(f'{x:.2f}' for x in psutil.getloadavg())})", flush=True)
        t0 = time.monotonic()
        with serving(url, args.code) as (a, port_a), serving(url, args.code) as (b, port_b):
            print(f"two servers started in {time.monotonic() - t0:.1f} s; server RSS {rss(a)}", flush=True)
            cold_phase(((one, port_a, a, b, "A"), (many, port_b, b, a, "B")), lists, "cold", results, store,
                       covering, counter, args)
            b.send_signal(signal.SIGCONT)
            b.terminate()
            a.send_signal(signal.SIGCONT)
            for kind in lists:
                asked = list(results[(kind, "A", "cold")].sums)  # the queries the cold run asked: cached now
                results[(kind, 0, "prime")] = measure(port_a, asked, 1, 600, once=True)
                for clients in counts:
                    results[(kind, clients, "cached")] = measure(port_a, asked, clients, args.seconds, once=False)
                    print(line(kind, clients, "cached", results[(kind, clients, "cached")]), flush=True)
            print(f"server RSS after the cached runs: {rss(a)}", flush=True)

            churn = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "churn.py"), url, SOURCE,
                                      str(args.rate)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert churn.stdout.readline().strip() == "ready"
            batches = []
            for kind in lists:
                asked = list(results[(kind, "A", "cold")].sums)
                for clients in counts:
                    def batch() -> None:
                        churn.stdin.write(f"batch {args.nrtm}\n")
                        churn.stdin.flush()
                        batches.append(json.loads(churn.stdout.readline())["batch"])
                    timer = threading.Timer(args.seconds / 2, batch)
                    timer.start()
                    results[(kind, clients, "churn")] = measure(port_a, asked, clients, args.seconds, once=False)
                    timer.join()
                    print(line(kind, clients, "churn", results[(kind, clients, "churn")]), flush=True)
            churn.stdin.close()
            touched = json.loads(churn.stdout.readline())
            churn.wait(60)
            print(f"churn: {touched['applied']:,} changes applied ({len(batches)} NRTM batches: "
                  f"{batches[-1] if batches else ''})", flush=True)
            time.sleep(2)

            # answers: the same in the cold and cached runs, and equal to a fresh server's after the churn
            differ = compared = 0
            for kind in lists:  # B's cold answers and A's cached ones, asked on the same data
                if "largest" in kind:  # asked while the cold passes' routes were there
                    continue
                cold, cached = results[(kind, "B", "cold")].sums, results[(kind, 0, "prime")].sums
                compared += sum(1 for q in cold if q in cached)
                differ += sum(1 for q in cold if q in cached and cold[q] != cached[q])
            print(f"answers cold (server B) vs cached (server A): {differ} of {compared:,} queries differ", flush=True)
            sample = []
            for queries in lists.values():
                sample += rng.sample(queries, min(args.sample, len(queries)))
            sample += [f"!i{n},1" for n in touched["sets"]][:args.sample]
            sample += [f"!a4{n}" for n in touched["sets"]][:args.sample]
            sample += [f"!gAS{o}" for o in touched["origins"]][:args.sample]
            sample += [f"!6AS{o}" for o in touched["origins"]][:args.sample]
            with serving(url, args.code) as (_, port_c):
                mismatches = [q for q in sample if ask(port_a, q) != ask(port_c, q)]
            print(f"answers after the churn, server A vs a fresh server: {len(mismatches)} of {len(sample):,} differ"
                  + (f" (first: {mismatches[:5]})" if mismatches else ""), flush=True)
            print(f"server A RSS at the end: {rss(a)}", flush=True)

        # the cold runs again, after the churn: each churn figure is compared with both cold phases
        # together, so that a machine whose speed drifts over the minutes between them does not
        # decide the ratio (the churn runs lie between the two)
        with serving(url, args.code) as (d, port_d), serving(url, args.code) as (e, port_e):
            cold_phase(((one, port_d, d, e, "A"), (many, port_e, e, d, "B")), lists, "cold 2", results, store,
                       covering_now(url, largest), counter, args)

        def cold(kind: str, server: str, phases: tuple[str, ...]) -> float:
            return merge([results[(kind, server, phase)] for phase in phases]).qps

        print(f"\nsummary ({one} client{'s' if one > 1 else ''}; cold: both cold phases together, then each):")
        for label, phases in COLD_PHASES.items():
            g = cold("!g", "A", phases)
            print(f"  {label:<6} cold !i,1 random / cold !g = {cold('!i,1 random sets', 'A', phases) / g:.2f}   "
                  f"cold !a4 20 largest / cold !g = {cold('!a4 20 largest as-sets', 'A', phases) / g:.2f}")
        for kind in lists:
            for clients in counts:  # each churn figure against the cold one of the same number of clients
                server = "A" if clients == one else "B"
                churned = results[(kind, clients, "churn")].qps
                ratios = [churned / max(cold(kind, server, phases), 1e-9) for phases in COLD_PHASES.values()]
                print(f"  {kind:<24} clients {clients:>2}: churn / cold = {ratios[0]:.2f}  "
                      f"(first cold phase {ratios[1]:.2f}, second {ratios[2]:.2f})")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")


if __name__ == "__main__":
    main()
