"""In-memory routing data for the fast whois queries (!g, !6, !i, !a): no Redis, no start-up race.

Each source's snapshot (route origins, set definitions, member-of claims) is read from PostgreSQL
in one consistent transaction (irr.store.routing). When a source changes, the journal entries
after the snapshot's serial say which routing objects changed; their current rows are read and
applied to a copy of the snapshot. A bulk load, a ROA or scope reload (the source's visibility
version), or a very large batch reads the source whole instead.

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
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

import psycopg
import sqlalchemy as sa

from irr.database import make_engine
from irr.query.derived import Changes, MemberGraph, MemoStore, RouteOwners, WarmQueue, moved_prefixes, movers
from irr.query.sets import Limits, View, origin_chunk
from irr.store import DATA_CHANNEL, Store
from irr.store.routing import CLAIM_CLASSES, SET_CLASSES, DeltaReads, RoutingReads

log = logging.getLogger(__name__)
MAX_DELTA = 50_000   # journal entries applied one by one; more: the source is read whole
MAX_VIEWS = 16       # selections of sources whose derived data is kept
DEFAULT_LIMITS = Limits()
FULL_PASS = 600.0    # seconds between full passes of the cycle collector while changes arrive (_settle)


@dataclass(frozen=True)
class SetDef:
    object_class: str
    members: tuple[str, ...]
    mbrs_by_ref: frozenset[str]


def _setdef(object_class: str, members, lookup_keys) -> SetDef:
    refs = frozenset(k[12:] for k in lookup_keys if k.startswith("mbrs-by-ref="))
    return SetDef(object_class, tuple(members or ()), refs)


def _claims(rows, only: set[str] | None = None) -> tuple[dict[str, list], dict[tuple[str, str], tuple[str, ...]]]:
    """member-of claims by set name ([(claimant class, ASN / prefix / router, claimant's mnt-by)],
    in row order), and the sets each claimant claims."""
    claims: dict[str, list] = defaultdict(list)
    claimed_by = {}
    for object_class, pk, prefix, lookup_keys in rows:
        mnt_by = frozenset(k[7:] for k in lookup_keys if k.startswith("mnt-by="))
        value = prefix if prefix is not None else pk
        names = tuple(k[10:] for k in lookup_keys if k.startswith("member-of="))
        for name in names:
            if only is None or name in only:
                claims[name].append((object_class, value, mnt_by))
        if names:
            claimed_by[(object_class, pk)] = names
    return dict(claims), claimed_by


def _parsable(object_class: str, pk: str) -> bool:
    """Can a delta name this key's origin? (A route's key always ends in its origin.)"""
    if object_class not in ("route", "route6"):
        return True
    at = pk.rfind("AS")
    return at >= 0 and pk[at + 2:].isdigit()


def _route_origin(pk: str) -> int:
    """The origin in a route's primary key (`192.0.2.0/24AS65000`)."""
    return int(pk[pk.rindex("AS") + 2:])


@dataclass
class Snapshot:
    """Everything fast queries need from one source."""

    source: str
    version: tuple
    v4: dict[int, tuple[str, ...]] = field(default_factory=dict)   # origin -> route prefixes
    v6: dict[int, tuple[str, ...]] = field(default_factory=dict)   # origin -> route6 prefixes
    sets: dict[str, SetDef] = field(default_factory=dict)          # set name -> definition
    # set name -> [(claimant class, ASN / prefix / router name, claimant's mnt-by)]
    claims: dict[str, list[tuple[str, str, frozenset[str]]]] = field(default_factory=dict)
    # (claimant class, pk) -> the sets it claims (what a change of the claimant touches)
    claimed_by: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, repr=False)
    loaded_at: float = 0.0
    seconds: float = 0.0
    # origin -> its route (t4) / route6 (t6) prefixes as text, a blank after each: `!g` and `!a` pieces
    t4: dict[int, str] = field(default_factory=dict, repr=False)
    t6: dict[int, str] = field(default_factory=dict, repr=False)
    prefixes: int = 0  # route and route6 prefixes in all

    def count_prefixes(self) -> None:
        self.prefixes = sum(map(len, self.v4.values())) + sum(map(len, self.v6.values()))

    @classmethod
    def build(cls, source: str, data) -> Snapshot:
        t0 = time.monotonic()
        snap = cls(source, data.version)
        v4: dict[int, list[str]] = defaultdict(list)
        v6: dict[int, list[str]] = defaultdict(list)
        for object_class, prefix, origin in data.routes:
            (v4 if object_class == "route" else v6)[origin].append(prefix)
        snap.v4 = {asn: tuple(dict.fromkeys(p)) for asn, p in v4.items()}
        snap.v6 = {asn: tuple(dict.fromkeys(p)) for asn, p in v6.items()}
        snap.t4 = {asn: origin_chunk(p) for asn, p in snap.v4.items()}
        snap.t6 = {asn: origin_chunk(p) for asn, p in snap.v6.items()}
        for object_class, pk, members, lookup_keys in data.sets:
            snap.sets[pk] = _setdef(object_class, members, lookup_keys)
        snap.claims, snap.claimed_by = _claims(data.claims)
        snap.count_prefixes()
        snap.loaded_at = time.time()
        snap.seconds = time.monotonic() - t0
        return snap

    def changes_to(self, new: Snapshot) -> Changes:
        """What differs between this snapshot and `new` (a full reload of the same source)."""
        changes = Changes()
        for mine, theirs, out in ((self.v4, new.v4, changes.origins4), (self.v6, new.v6, changes.origins6)):
            out.update(o for o in mine.keys() | theirs.keys() if mine.get(o) != theirs.get(o))
        for mine, theirs in ((self.sets, new.sets), (self.claims, new.claims)):
            changes.sets.update(n for n in mine.keys() | theirs.keys() if mine.get(n) != theirs.get(n))
        return changes

    def updated(self, delta: DeltaReads, keys: list[tuple[str, str]]) -> tuple[Snapshot, Changes]:
        """This snapshot with the changed `keys` read again (all reads in the delta's snapshot):
        the routes of every origin a changed route had or has, changed sets, and the claims of
        every set a changed claimant claimed or claims."""
        origins4 = {_route_origin(pk) for c, pk in keys if c == "route"}
        origins6 = {_route_origin(pk) for c, pk in keys if c == "route6"}
        set_pks = {pk for c, pk in keys if c in SET_CLASSES}
        claimant_keys = [(c, pk) for c, pk in keys if c in CLAIM_CLASSES]
        _, now_claiming = _claims(delta.claimants(claimant_keys))
        names: set[str] = set()
        for key in claimant_keys:
            names.update(self.claimed_by.get(key, ()))
            names.update(now_claiming.get(key, ()))

        new = Snapshot(self.source, delta.version, self.v4, self.v6, self.sets, self.claims, self.claimed_by,
                       time.time(), 0.0, self.t4, self.t6, self.prefixes)
        changes = Changes()
        if origins4 or origins6:
            rows: dict[str, dict[int, list[str]]] = {"route": defaultdict(list), "route6": defaultdict(list)}
            for object_class, prefix, origin in delta.routes(origins4, origins6):
                rows[object_class][origin].append(prefix)
            new.v4, new.t4 = _replaced(self.v4, self.t4, origins4, rows["route"], changes.origins4)
            new.v6, new.t6 = _replaced(self.v6, self.t6, origins6, rows["route6"], changes.origins6)
            new.prefixes += sum(len(new.v4.get(o, ())) - len(self.v4.get(o, ())) for o in origins4) + \
                sum(len(new.v6.get(o, ())) - len(self.v6.get(o, ())) for o in origins6)
        if set_pks:
            new.sets = dict(self.sets)
            for pk in set_pks:
                new.sets.pop(pk, None)
            for object_class, pk, members, lookup_keys in delta.sets(set_pks):
                new.sets[pk] = _setdef(object_class, members, lookup_keys)
            changes.sets.update(pk for pk in set_pks if self.sets.get(pk) != new.sets.get(pk))
        if claimant_keys:
            new.claimed_by = dict(self.claimed_by)
            for key in claimant_keys:
                new.claimed_by.pop(key, None)
                if key in now_claiming:
                    new.claimed_by[key] = now_claiming[key]
        if names:
            claims, _ = _claims(delta.claims(names), only=names)
            new.claims = dict(self.claims)
            for name in names:
                new.claims.pop(name, None)
            new.claims.update(claims)
            changes.sets.update(n for n in names if self.claims.get(n) != new.claims.get(n))
        return new, changes


def _replaced(old: dict[int, tuple[str, ...]], texts: dict[int, str], origins: set[int],
              rows: dict[int, list[str]], changed: set[int]) -> tuple[dict, dict]:
    """Copies of origin -> prefixes (and -> text) with `origins` set to what was read; changed ones noted."""
    if not origins:
        return old, texts
    new, new_texts = dict(old), dict(texts)
    for origin in origins:
        prefixes = tuple(dict.fromkeys(rows.get(origin, ())))
        if prefixes:
            new[origin] = prefixes
            new_texts[origin] = origin_chunk(prefixes)
        else:
            new.pop(origin, None)
            new_texts.pop(origin, None)
        if old.get(origin) != new.get(origin):
            changed.add(origin)
    return new, new_texts


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
                    if keys is not None and all(_parsable(c, pk) for c, pk in keys):
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
