"""Changes for the whois benchmark's churn phase, through the registry's own write paths.

`Churn.step()` applies one change with `Store.apply` (one transaction with its journal entry, as
every update does): a route added, deleted, or moved to another origin; an as-set member added or
removed; an aut-num's member-of changed; a route-set member added or removed. `Churn.nrtm_batch()`
lands a batch of NRTMv3 operations through the NRTMv3 client (a loopback peer serves them), as a
mirror of APNIC receives them. Both take `lock` so their serials never collide. Every operation
is kept, and the sets and origins they touched worked out at the end (`touched`): the benchmark
compares their answers afterwards.

The benchmark runs it as a process of its own (`python bench/churn.py URL SOURCE RATE`), so that
the writer does not take CPU time from the benchmark's clients: it applies RATE changes per
second until stdin closes, lands a batch for each `batch N` line read, and prints what it did.
"""
from __future__ import annotations

import json
import random
import re
import socket
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from irr.config import SourceConfig  # noqa: E402
from irr.database import make_engine  # noqa: E402
from irr.store import Change, Store  # noqa: E402
from mirror.nrtm3 import Nrtm3Client  # noqa: E402
from rpsl.lenient import load  # noqa: E402


class Churn:
    def __init__(self, store: Store, source: str, seed: int = 7):
        self.store = store
        self.source = source
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.done: list[tuple[str, str]] = []  # the operations applied, noted by `touched` afterwards
        self.applied = 0
        self.added: list[str] = []   # texts of routes this churn added (deleted again later)
        self.counter = 0
        with store.engine.connect() as conn:
            def texts(cls: str, limit: int, extra: str = "") -> list[tuple[str, str]]:
                return [tuple(r) for r in conn.execute(sa.text(
                    f"SELECT pk, object_text FROM rpsl_objects WHERE source = :s AND object_class = :c {extra} "
                    "ORDER BY md5(pk) LIMIT :n"), {"s": source, "c": cls, "n": limit})]
            self.routes = texts("route", 4000) + texts("route6", 1000)
            self.as_sets = texts("as-set", 1500, "AND members IS NOT NULL")
            self.route_sets = texts("route-set", 500, "AND members IS NOT NULL")
            self.aut_nums = texts("aut-num", 2000)
            self.origins = [r[0] for r in conn.execute(sa.text(
                "SELECT DISTINCT origin FROM rpsl_objects WHERE source = :s AND object_class = 'route'"),
                {"s": source})]
            self.set_names = [pk for pk, _ in self.as_sets]
        self.current: dict[tuple[str, str], str] = {}  # latest text of objects changed here

    # -- one change ---------------------------------------------------------------------------------
    def changes(self) -> list[tuple[str, str]]:
        """One change as [(operation, text)] (a route moved to another origin: a DEL and an ADD)."""
        roll = self.rng.random()
        if roll < 0.25:
            return [("ADD", self._new_route())]
        if roll < 0.35 and self.added:
            return [("DEL", self.added.pop(self.rng.randrange(len(self.added))))]
        if roll < 0.55:
            i = self.rng.randrange(len(self.routes))
            text = self.routes[i][1]
            moved = re.sub(r"(?m)^origin:.*$", f"origin:         AS{self.rng.choice(self.origins)}", text)
            self.routes[i] = (load(moved).pk, moved)
            return [("DEL", text), ("ADD", moved)]
        if roll < 0.75:
            return [("ADD", self._edit_members(self.rng.choice(self.as_sets), "as-set"))]
        if roll < 0.9:
            return [("ADD", self._edit_member_of(self.rng.choice(self.aut_nums)))]
        return [("ADD", self._edit_members(self.rng.choice(self.route_sets), "route-set"))]

    def step(self) -> None:
        with self.lock:
            ops = self.changes()
            self.store.apply([Change(self.source, op, load(text), missing_ok=op == "DEL") for op, text in ops],
                             origin="bench churn")
            self.done += ops
            self.applied += 1

    def touched(self) -> tuple[set[str], set[int]]:
        """The sets and origins the applied changes touched (worked out at the end: the
        benchmark's own bookkeeping takes no CPU time from the runs it measures)."""
        sets, origins = set(), set()
        for _, text in self.done:
            obj = load(text)
            if obj.object_class in ("route", "route6"):
                origins.add(obj.index.origin)
            elif obj.object_class in ("as-set", "route-set"):
                sets.add(obj.pk)
            for line in text.splitlines():
                if line.startswith("member-of:"):
                    sets.update(n.strip().upper() for n in line[10:].split(","))
        return sets, origins

    def _pick(self, item: tuple[str, str], cls: str) -> tuple[str, str]:
        pk, text = item
        return pk, self.current.get((cls, pk), text)

    def _new_route(self) -> str:
        self.counter += 1
        n = self.counter
        origin = self.rng.choice(self.origins)
        text = (f"route:          100.{64 + (n >> 16) % 64}.{(n >> 8) % 256}.{n % 256}/32\n"
                f"descr:          bench churn\norigin:         AS{origin}\nmnt-by:         MAINT-BENCH\n"
                f"source:         {self.source}\n")
        self.added.append(text)
        return text

    def _edit_members(self, item: tuple[str, str], cls: str) -> str:
        pk, text = self._pick(item, cls)
        lines = text.rstrip("\n").split("\n")
        members = [i for i, line in enumerate(lines) if line.startswith("members:")]
        if len(members) > 1 and self.rng.random() < 0.5:
            del lines[self.rng.choice(members)]
        else:
            if cls == "as-set":  # mostly an AS (a customer), now and then another set
                member = f"AS{self.rng.choice(self.origins)}" if self.rng.random() < 0.8 else \
                    self.rng.choice(self.set_names)
            else:
                member = self.rng.choice([f"AS{self.rng.choice(self.origins)}^+",
                                          f"100.{64 + self.rng.randrange(64)}.{self.rng.randrange(256)}.0/24"])
            lines.insert((members[-1] + 1) if members else 1, f"members:        {member}")
        new = "\n".join(lines) + "\n"
        self.current[(cls, pk)] = new
        return new

    def _edit_member_of(self, item: tuple[str, str]) -> str:
        pk, text = self._pick(item, "aut-num")
        lines = text.rstrip("\n").split("\n")
        claims = [i for i, line in enumerate(lines) if line.startswith("member-of:")]
        if claims and self.rng.random() < 0.5:
            del lines[self.rng.choice(claims)]
        else:
            lines.insert(1, f"member-of:      {self.rng.choice(self.set_names)}")
        new = "\n".join(lines) + "\n"
        self.current[("aut-num", pk)] = new
        return new

    # -- an NRTM batch ------------------------------------------------------------------------------
    def nrtm_batch(self, size: int = 1000) -> str:
        """`size` serials through the NRTMv3 client from a loopback peer; returns the client's report."""
        with self.lock:
            first = (self.store.serial(self.source) or 0) + 1
            ops: list[tuple[str, str]] = []
            while len(ops) < size:
                ops.extend(self.changes())
            ops = ops[:size]
            stream = [f"%START Version: 3 {self.source} {first}-{first + len(ops) - 1}", ""]
            for i, (op, text) in enumerate(ops):
                stream += [f"{op} {first + i}", "", text.rstrip("\n"), ""]
            stream += [f"%END {self.source}", ""]
            port, thread = _serve_once("\n".join(stream).encode())
            client = Nrtm3Client(self.store, SourceConfig(self.source, nrtm_host="127.0.0.1", nrtm_port=port))
            report = client.run_once()
            thread.join(5)
            self.done += ops
            self.applied += len(ops)
            return report


def _serve_once(payload: bytes) -> tuple[int, threading.Thread]:
    sock = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = sock.accept()
        conn.recv(1000)
        conn.sendall(payload)
        conn.close()
        sock.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return sock.getsockname()[1], thread


def main() -> None:
    url, source, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    churn = Churn(Store(make_engine(url)), source)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            started = time.monotonic()
            churn.step()
            stop.wait(max(0.0, 1 / rate - (time.monotonic() - started)))

    thread = threading.Thread(target=writer, daemon=True)
    print("ready", flush=True)
    thread.start()
    for line in sys.stdin:
        if line.startswith("batch"):
            print(json.dumps({"batch": churn.nrtm_batch(int(line.split()[1]))}), flush=True)
    stop.set()
    thread.join()
    sets, origins = churn.touched()
    print(json.dumps({"applied": churn.applied, "sets": sorted(sets),
                      "origins": sorted(o for o in origins if o is not None)}), flush=True)


if __name__ == "__main__":
    main()
