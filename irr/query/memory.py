"""In-memory routing data for the fast whois queries (!g, !6, !i, !a): no Redis, no start-up race.

Each source's snapshot is read from PostgreSQL in one consistent transaction (route origins,
set definitions, member-of claims) and replaced atomically when the source changes. Changes are
announced by the store with NOTIFY irr_data at commit; a listener thread reloads the source.
So that an answer is right even in the instant between a commit and its notification, each
new connection compares the sources' versions (one cheap query) and reloads first if needed.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetDef:
    object_class: str
    members: tuple[str, ...]
    mbrs_by_ref: frozenset[str]


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
    loaded_at: float = 0.0
    seconds: float = 0.0

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
        for object_class, pk, members, lookup_keys in data.sets:
            refs = frozenset(k[12:] for k in lookup_keys if k.startswith("mbrs-by-ref="))
            snap.sets[pk] = SetDef(object_class, tuple(members or ()), refs)
        claims: dict[str, list] = defaultdict(list)
        for object_class, pk, prefix, lookup_keys in data.claims:
            mnt_by = frozenset(k[7:] for k in lookup_keys if k.startswith("mnt-by="))
            value = prefix if prefix is not None else pk
            for k in lookup_keys:
                if k.startswith("member-of="):
                    claims[k[10:]].append((object_class, value, mnt_by))
        snap.claims = dict(claims)
        snap.loaded_at = time.time()
        snap.seconds = time.monotonic() - t0
        return snap


class RoutingMemory:
    """The snapshots of all sources, kept current."""

    def __init__(self, store, scope_hidden: frozenset[str] = frozenset()):
        self.store = store
        self.scope_hidden = scope_hidden  # sources whose out-of-scope routes stay out of filters
        self.snapshots: dict[str, Snapshot] = {}
        self.generation = 0          # bumps on every reload: response caches key on it
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def view(self, sources, limits=None):
        """The snapshots of `sources` (priority order) for set resolution (irr.query.sets.View)."""
        from irr.query.sets import Limits, View

        return View([self.snapshots[s] for s in sources if s in self.snapshots], limits or Limits())

    def versions(self, sources) -> tuple:
        """The data version of the given sources: what HTTP answers derive their ETag from."""
        return tuple((s, self.snapshots[s].version) for s in sources if s in self.snapshots)

    def load_all(self) -> None:
        for source in self.store.versions():
            self.reload(source)

    def reload(self, source: str) -> Snapshot:
        """Read one source again (serialised per process; readers keep the old snapshot meanwhile)."""
        with self._lock:
            data = self.store.routing_data(source, hide_out_of_scope=source in self.scope_hidden)
            snap = Snapshot.build(source, data)
            self.snapshots[source] = snap
            self.generation += 1
        log.info("routing data of %s: %d origins, %d sets, %d claims (%.2fs)", source,
                 len(snap.v4) + len(snap.v6), len(snap.sets), len(snap.claims), snap.seconds)
        return snap

    def refresh(self) -> None:
        """Make sure every snapshot matches the committed data (one query when nothing changed)."""
        versions = self.store.versions()
        for source, version in versions.items():
            snap = self.snapshots.get(source)
            if snap is None or snap.version != version:
                self.reload(source)
        for source in set(self.snapshots) - set(versions):
            with self._lock:
                self.snapshots.pop(source, None)
                self.generation += 1

    # -- change notifications --------------------------------------------------------------------
    def start_listener(self, url: str) -> None:
        """LISTEN irr_data in a thread; reload a source when a change to it commits."""
        self._listener = threading.Thread(target=self._listen, args=(url,), name="irr-listen", daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(5)

    def _listen(self, url: str) -> None:
        import psycopg

        from irr.store import DATA_CHANNEL

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
                            self.refresh()  # reloads just the sources whose version changed
            except Exception:  # the database went away: retry, queries keep the last snapshots
                log.exception("listener lost its database connection; retrying")
                self._stop.wait(2.0)
