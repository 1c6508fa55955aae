"""In-memory routing data for the fast whois queries (!g, !6, !i, !a): no Redis, no start-up race.

Each source's snapshot (irr.query.snapshot: route origins, set definitions, member-of claims) is
read from PostgreSQL in one consistent transaction (irr.store.routing). When a source changes,
the journal entries after the snapshot's serial say which routing objects changed; their current
rows are read and applied to a copy of the snapshot. A bulk load, a ROA or scope reload (the
source's visibility version), or a very large batch reads the source whole instead.

Snapshots are never changed once published: a change publishes new ones (copies of the old dicts
with the changed entries) in a new `State` with the next epoch, so a reader holding a view sees one
consistent state. What is derived from the snapshots (set expansions and `!a` pieces per view,
irr.query.derived; cached answers, irr.query.answers) is dropped, or patched, for exactly the sets
and origins a change reaches, under the publication lock, before the new state is visible.

Changes are announced by the store with NOTIFY irr_data at commit; a listener thread applies them.
So that an answer is right even in the instant between a commit and its notification, each new
connection compares the sources' versions (one cheap query) and catches up first if needed.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import psycopg
import sqlalchemy as sa

from irr.database import make_engine
from irr.query.derived import Changes, MemberGraph, MemoStore, RouteOwners, WarmQueue, moved_prefixes, movers
from irr.query.sets import Limits, View
from irr.query.snapshot import Snapshot, parsable
from irr.store import DATA_CHANNEL, Store
from irr.store.routing import RoutingReads

log = logging.getLogger(__name__)
MAX_DELTA = 50_000   # journal entries applied one by one; more: the source is read whole
MAX_VIEWS = 16       # selections of sources whose derived data is kept
DEFAULT_LIMITS = Limits()
FULL_PASS = 600.0    # seconds between full passes of the cycle collector while changes arrive (_settle)


@dataclass(frozen=True)
class State:
    """What readers see, published whole: the snapshots, and the origins whose prefixes another
    origin also has (irr.query.sets.chunks)."""

    epoch: int
    snapshots: dict[str, Snapshot]
    moas: dict = field(default_factory=dict)  # 4/6 -> origins sharing a prefix with another origin


class Memo:
    """A view's access to its kept derived data: entries newer than the view's state are not seen,
    and what it computes is kept only while its state is still the current one."""

    __slots__ = ("store", "epoch", "memory")

    def __init__(self, store: MemoStore, epoch: int, memory: RoutingMemory):
        self.store, self.epoch, self.memory = store, epoch, memory

    def get(self, key: tuple):
        return self.store.get(key, self.epoch)

    def put(self, key: tuple, value) -> None:
        """Keep `value` if its state is current; not while a change is being published (a query
        does not wait for a publication: what it computed is simply not kept)."""
        if not self.memory._publish.acquire(blocking=False):
            return
        try:
            if self.memory._state.epoch == self.epoch:
                self.store.put(key, value, self.epoch)
        finally:
            self.memory._publish.release()


class RoutingMemory:
    """The snapshots of all sources, kept current."""

    def __init__(self, store, scope_hidden: frozenset[str] = frozenset()):
        self.store = store
        self.scope_hidden = scope_hidden  # sources whose out-of-scope routes stay out of filters
        # Its own small pool, without a "pre-ping" round trip on every checkout: every new whois
        # connection checks the sources' versions, and a ping would double that check's cost.
        # A connection the server dropped fails once and the check is tried again (_versions).
        self._engine = make_engine(store.engine.url, pool_pre_ping=False, pool_size=2, max_overflow=8)
        self._store = Store(self._engine)
        self.reads = RoutingReads(self._engine, frozenset(scope_hidden))
        self._state = State(0, {})
        self._lock = threading.Lock()      # one writer at a time
        self._publish = threading.Lock()   # publication, and what readers add to derived data
        self._memos: OrderedDict[tuple, MemoStore] = OrderedDict()
        self._views: dict[tuple, View] = {}  # (sources, id of limits) -> a view of the current state
        self._graph = MemberGraph()        # writer side: which sets list a name or an AS number
        self._owners = {4: RouteOwners(), 6: RouteOwners()}  # writer side: the origins of each prefix
        self._subscribers: list = []       # called with each publication's Changes (answer caches)
        self._warm = WarmQueue(self)
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.stats = {"deltas": 0, "reloads": 0, "delta_keys": 0}
        self.read_at = 0.0                 # when a query last asked for a view (monotonic)
        self._full_pass = time.monotonic()  # the cycle collector's last full pass (_settle)

    # -- what readers use -------------------------------------------------------------------------
    @property
    def snapshots(self) -> dict[str, Snapshot]:
        return self._state.snapshots

    @property
    def generation(self) -> int:
        """The number of the current state: it grows with every published change."""
        return self._state.epoch

    def view(self, sources, limits: Limits | None = None, background: bool = False) -> View:
        """The snapshots of `sources` (priority order) for set resolution, with the derived data
        kept for this selection. A view for a query (not `background`) notes when it was asked:
        the warm queue gives way to queries (WarmQueue)."""
        if not background:
            self.read_at = time.monotonic()
        state = self._state
        limits = limits or DEFAULT_LIMITS
        # a view of the current state is made once per selection and shared (views are read-only)
        key = (tuple(sources), id(limits))
        view = self._views.get(key)
        if view is not None and view.memo.epoch == state.epoch and view.limits is limits:
            return view
        present = tuple(s for s in sources if s in state.snapshots)
        view = View([state.snapshots[s] for s in present], limits, Memo(self._memo_store(present, limits),
                                                                        state.epoch, self), state.moas)
        if len(self._views) >= 4 * MAX_VIEWS:
            self._views.clear()
        self._views[key] = view
        return view

    def _memo_store(self, present: tuple[str, ...], limits: Limits) -> MemoStore:
        key = (present, limits)
        store = self._memos.get(key)
        if store is None:
            with self._publish:
                store = self._memos.get(key)
                if store is None:
                    store = self._memos[key] = MemoStore(present, limits)
                    while len(self._memos) > MAX_VIEWS:
                        self._memos.popitem(last=False)
        return store

    def versions(self, sources) -> tuple:
        """The data version of the given sources: what HTTP answers derive their ETag from."""
        snapshots = self._state.snapshots
        return tuple((s, snapshots[s].version) for s in sources if s in snapshots)

    def subscribe(self, callback) -> None:
        """`callback(changes)` runs under the publication lock before each new state is visible
        (Changes.everything: drop all)."""
        self._subscribers.append(callback)

    def warm(self, sources, limits: Limits | None = None, background: bool = False) -> None:
        """Resolve every set of this selection now (and again, in the background, each set a change
        reaches): queries on it then find expansions ready."""
        self._warm.register(tuple(sources), limits or Limits(), background)

    # -- loading and changes ----------------------------------------------------------------------
    def load_all(self) -> None:
        self.refresh()
        gc.collect()
        gc.freeze()  # see _full


    def reload(self, source: str) -> Snapshot:
        """Read one source whole again (serialised per process; readers keep the old state meanwhile)."""
        with self._lock:
            snap, changes = self._full(source)
            self._publish_state({**self._state.snapshots, source: snap}, changes)
        return snap

    def refresh(self) -> None:
        """Make sure every snapshot matches the committed data (one query when nothing changed)."""
        versions = self._versions()
        state = self._state
        current = state.snapshots
        if all(s in current and current[s].version == v for s, v in versions.items()) and \
                not set(current) - set(versions):
            return
        with self._lock:
            if self._state is not state:  # another thread caught up meanwhile: where are we now?
                versions = self._versions()
            snapshots = dict(self._state.snapshots)
            changes = Changes()
            moved = False
            for source, version in versions.items():
                snap = snapshots.get(source)
                if snap is not None and snap.version == version:
                    continue
                snapshots[source], changed = self._catch_up(source, snap)
                changes.update(changed)
                moved = True
            for source in set(snapshots) - set(versions):
                self._forget(snapshots.pop(source))
                changes.everything = moved = True
            if moved:  # another thread may have caught up meanwhile
                self._publish_state(snapshots, changes)

    def _versions(self) -> dict[str, tuple]:
        try:
            return self._store.versions()
        except sa.exc.DBAPIError as e:
            if not e.connection_invalidated:  # not a dropped connection: a real error
                raise
            return self._store.versions()  # the pool has been emptied: a new connection

    def _catch_up(self, source: str, snap: Snapshot | None) -> tuple[Snapshot, Changes]:
        """`snap` brought up to date: from the journal when only serials moved, else read whole."""
        if snap is not None:
            with self.reads.delta(source) as delta:
                old, new = snap.version, delta.version
                if old[1:] == new[1:] and (old[0] is None or (new[0] is not None and new[0] >= old[0])):
                    keys = delta.changed_keys(old[0], MAX_DELTA)
                    if keys is not None and all(parsable(c, pk) for c, pk in keys):
                        t0 = time.monotonic()
                        try:
                            updated, changes = snap.updated(delta, keys)
                        except sa.exc.DBAPIError:
                            raise
                        except Exception:  # never stuck on a change it cannot apply: read it all
                            log.exception("routing data of %s: changes not applied; reading it whole", source)
                        else:
                            self._account(snap, updated, changes)
                            self.stats["deltas"] += 1
                            self.stats["delta_keys"] += len(keys)
                            log.debug("routing data of %s: %d changed keys applied (%.3fs)", source, len(keys),
                                      time.monotonic() - t0)
                            return updated, changes
        return self._full(source)

    def _full(self, source: str) -> tuple[Snapshot, Changes]:
        snap = Snapshot.build(source, self.reads.data(source))
        old = self._state.snapshots.get(source)
        if old is None:
            changes = Changes(everything=True)  # a new source: every selection including it differs
            self._graph.add(snap, snap.sets.keys() | snap.claims.keys(), +1)
            self._owners[4].add(snap, 4, snap.v4.keys(), +1)
            self._owners[6].add(snap, 6, snap.v6.keys(), +1)
        else:
            changes = old.changes_to(snap)
            self._account(old, snap, changes)
        self.stats["reloads"] += 1
        # Millions of objects that live long: keep them out of the cycle collector's passes (a full
        # pass over them takes ~0.1 s, every answer waiting behind it). They hold no cycles;
        # reference counting still frees them when replaced.
        gc.freeze()
        log.info("routing data of %s: %d origins, %d sets, %d claims (%.2fs)", source,
                 len(snap.v4) + len(snap.v6), len(snap.sets), len(snap.claims), snap.seconds)
        return snap, changes

    def _account(self, old: Snapshot, new: Snapshot, changes: Changes) -> None:
        """Move the writer-side indexes from `old` to `new` for what changed."""
        self._graph.add(old, changes.sets, -1)
        self._graph.add(new, changes.sets, +1)
        for version, origins in ((4, changes.origins4), (6, changes.origins6)):
            self._owners[version].add(old, version, origins, -1)
            self._owners[version].add(new, version, origins, +1)

    def _forget(self, snap: Snapshot) -> None:
        self._graph.add(snap, snap.sets.keys() | snap.claims.keys(), -1)
        self._owners[4].add(snap, 4, snap.v4.keys(), -1)
        self._owners[6].add(snap, 6, snap.v6.keys(), -1)

    def _publish_state(self, snapshots: dict[str, Snapshot], changes: Changes) -> None:
        """Make `snapshots` current; first drop (or patch) what the changes make stale."""
        old = self._state
        moas = {v: owners.shared() for v, owners in self._owners.items()}
        flagged = set().union(*(moas[v] ^ old.moas.get(v, frozenset()) for v in moas))
        changes.expanded = self._graph.closure(changes.sets, ())
        changes.reached = self._graph.closure(changes.expanded, changes.origins4 | changes.origins6 | flagged)
        if not changes.everything:
            moved = {v: moved_prefixes(old.snapshots, snapshots, v, o) for v, o in ((4, changes.origins4),
                                                                                        (6, changes.origins6))}
            changes.movers = {v: movers(self._owners[v], moved[v], o) for v, o in ((4, changes.origins4),
                                                                                  (6, changes.origins6))}
            changes.movers[None] = changes.movers[4] | changes.movers[6]
        with self._publish:
            epoch = old.epoch + 1
            for store in self._memos.values():
                if changes.everything:
                    store.clear()
                elif changes:
                    view = View([snapshots[s] for s in store.sources if s in snapshots], store.limits, None, moas)
                    store.invalidate(changes, view, epoch, self._graph, self._owners)
            for callback in self._subscribers:
                callback(changes)
            self._settle()
            self._state = State(epoch, snapshots, moas)
        if changes:
            self._warm.changed(changes)

    def _settle(self) -> None:
        """Keep what a change made out of the cycle collector's passes, as the snapshots (_full).
        A change copies dicts of tens of thousands of entries (a snapshot's origins, sets or
        claims) that point at other containers; while young, every collection of the youngest
        generations walked them again (4-10 ms each, on whichever thread allocated next: often a
        query's). Freezing is a constant-time move. Cyclic garbage frozen with them would never be
        collected, so every FULL_PASS seconds one full pass (unfreeze, collect, freeze) runs here
        (0.12 s on the 1M dump's memory)."""
        now = time.monotonic()
        if now - self._full_pass > FULL_PASS:
            self._full_pass = now
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    # -- change notifications --------------------------------------------------------------------
    def start_listener(self, url: str) -> None:
        """LISTEN irr_data in a thread; apply a source's changes when they commit."""
        self._listener = threading.Thread(target=self._listen, args=(url,), name="irr-listen", daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        self._warm.stop()
        if self._listener is not None:
            self._listener.join(5)
        self._engine.dispose()

    def _listen(self, url: str) -> None:
        libpq = "postgresql://" + url.split("://", 1)[1]
        while not self._stop.is_set():
            try:
                with psycopg.connect(libpq, autocommit=True) as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        # a streaming replica: NOTIFY doesn't reach standbys, so poll the serials
                        while not self._stop.wait(2.0):
                            self.refresh()
                        return
                    conn.execute(f"LISTEN {DATA_CHANNEL}")
                    self.refresh()  # changes made while we were not listening
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=1.0, stop_after=1)):
                            self.refresh()  # applies just the sources whose version changed
            except Exception:  # the database went away: retry, queries keep the last snapshots
                log.exception("listener lost its database connection; retrying")
                self._stop.wait(2.0)
