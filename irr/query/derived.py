"""What the routing memory (irr.query.memory) derives from its snapshots, and how a change reaches it.

- `MemberGraph` (writer side): which sets list a name or an AS number as a member (members,
  mp-members, aut-num member-of claims), over every source. A change to a set, or to the routes
  of an origin, reaches exactly the sets above it in this graph.
- `RouteOwners` (writer side): which origins originate each prefix, over every source; the origins
  that share a prefix with another origin are the only ones whose `!a` pieces need comparing.
- `MemoStore`: one selection of sources' kept results of set resolution (irr.query.sets), each
  stamped with the state it was computed in. A publication drops the entries a change reaches,
  and patches the `!a` pieces of as-sets whose origins' routes changed (one piece per origin).
- `WarmQueue`: resolves every set of the registered selections, then again each set a change
  reached, in a background thread, so queries find expansions, route-set texts and encoded
  `!a4`/`!a6` texts ready; while queries are being answered it pauses between sets.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

from irr.query.sets import (
    MISSING,
    SetLimitError,
    expansion,
    is_asn,
    node,
    origin_chunk,
    pieces,
    places,
    route_set,
)

if TYPE_CHECKING:
    from irr.query.memory import RoutingMemory
    from irr.query.sets import Limits, View
    from irr.query.snapshot import Snapshot

log = logging.getLogger(__name__)
MAX_ENTRIES = 2_000_000  # per selection; then its memo starts again empty
GIVE_WAY = 0.002  # seconds: the warm queue pauses between sets while queries came this recently


@dataclass
class Changes:
    """What one publication changes: origins whose routes differ (per address family) and sets
    whose definition or claims differ; `everything` when a source came or went. At publication
    `expanded` (the sets above a changed set) and `reached` (also those above a changed origin)
    are filled in."""

    origins4: set[int] = field(default_factory=set)
    origins6: set[int] = field(default_factory=set)
    sets: set[str] = field(default_factory=set)
    everything: bool = False
    expanded: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    # 4/6/None -> the origins that have (or had) a prefix a changed origin gained or lost: only
    # theirs among an as-set's `!a` pieces can change (filled in at publication)
    movers: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.everything or self.origins4 or self.origins6 or self.sets)

    def update(self, other: Changes) -> None:
        self.origins4 |= other.origins4
        self.origins6 |= other.origins6
        self.sets |= other.sets
        self.everything = self.everything or other.everything


class MemberGraph:
    """member -> the sets listing it (counted over sources), for names and for AS numbers."""

    def __init__(self):
        self.parents: dict[str, Counter] = {}
        self.asn_parents: dict[int, Counter] = {}

    def add(self, snap: Snapshot, names: Iterable[str], sign: int) -> None:
        """Count (+1) or uncount (-1) the member edges of these sets of one snapshot."""
        for name in names:
            definition = snap.sets.get(name)
            if definition is not None:
                for member in definition.members:
                    target = member.partition("^")[0]
                    if is_asn(target):
                        _edge(self.asn_parents, int(target[2:]), name, sign)
                    elif "/" not in target:
                        _edge(self.parents, target, name, sign)
            for object_class, value, _ in snap.claims.get(name, ()):
                if object_class == "aut-num" and is_asn(value):
                    _edge(self.asn_parents, int(value[2:]), name, sign)

    def closure(self, names: Iterable[str], origins: Iterable[int]) -> set[str]:
        """`names`, the sets listing one of `origins`, and every set above those."""
        out = set(names)
        todo = list(out)
        for origin in origins:
            for parent in self.asn_parents.get(origin, ()):
                if parent not in out:
                    out.add(parent)
                    todo.append(parent)
        while todo:
            for parent in self.parents.get(todo.pop(), ()):
                if parent not in out:
                    out.add(parent)
                    todo.append(parent)
        return out


def _edge(table: dict, child, parent: str, sign: int) -> None:
    counter = table.get(child)
    if counter is None:
        counter = table[child] = Counter()
    counter[parent] += sign
    if counter[parent] <= 0:
        del counter[parent]
        if not counter:
            del table[child]


class RouteOwners:
    """prefix -> its origin (one route object), or a Counter of origins (several, any source)."""

    def __init__(self):
        self.owner: dict[str, object] = {}
        self.sharing: dict[int, int] = {}  # origin -> how many of its prefixes another origin has

    def add(self, snap: Snapshot, version: int, origins: Iterable[int], sign: int) -> None:
        table = snap.v4 if version == 4 else snap.v6
        for origin in origins:
            for prefix in table.get(origin, ()):
                self._move(prefix, origin, sign)

    def shared(self) -> frozenset[int]:
        """The origins that share a prefix with another origin."""
        return frozenset(self.sharing)

    def origins(self, prefix: str) -> Iterable[int]:
        """The origins of `prefix` (any source)."""
        owner = self.owner.get(prefix)
        if owner is None:
            return ()
        return owner if isinstance(owner, Counter) else (owner,)

    def _move(self, prefix: str, origin: int, sign: int) -> None:
        current = self.owner.get(prefix)
        before = _sharers(current)
        if sign > 0:
            if current is None:
                self.owner[prefix] = origin
                return
            counter = current if isinstance(current, Counter) else Counter({current: 1})
            counter[origin] += 1
            self.owner[prefix] = counter
        else:
            if not isinstance(current, Counter):
                self.owner.pop(prefix, None)
                return
            current[origin] -= 1
            if current[origin] <= 0:
                del current[origin]
            if sum(current.values()) == 1:
                self.owner[prefix] = next(iter(current))
        after = _sharers(self.owner.get(prefix))
        for gone in before - after:
            self.sharing[gone] -= 1
            if not self.sharing[gone]:
                del self.sharing[gone]
        for new in after - before:
            self.sharing[new] = self.sharing.get(new, 0) + 1


def _node_key(value) -> tuple | None:
    return None if value is None else (tuple(value[0]), value[1])


def _sharers(owner) -> set[int]:
    return set(owner) if isinstance(owner, Counter) and len(owner) > 1 else set()


_PER_NAME = ("node", "exp", "rs")
_VERSIONS = (4, 6, None)


class MemoStore:
    """Kept results of set resolution for one selection of sources: key -> (epoch, value)."""

    def __init__(self, sources: tuple[str, ...], limits: Limits):
        self.sources = sources
        self.limits = limits
        self.entries: dict[tuple, tuple] = {}

    def get(self, key: tuple, epoch: int):
        entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[0] <= epoch else MISSING

    def put(self, key: tuple, value, epoch: int) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = (epoch, value)

    def clear(self) -> None:
        self.entries.clear()

    def invalidate(self, changes: Changes, view: View, epoch: int, graph: MemberGraph,
                   owners: dict[int, RouteOwners]) -> None:
        """Drop what `changes` make stale; patch the `!a` pieces of the sets whose expansion did
        not change but whose origins' routes did (`view`: the new snapshots; `owners`: the origins
        of each prefix after the change). An expansion depends only on the nodes
        (irr.query.sets.node) of the sets it reaches: only sets above a set whose node changed
        lose theirs."""
        entries = self.entries
        expanded = graph.closure(self._changed_nodes(changes.sets, view, epoch, graph), ())
        for name in expanded:
            entries.pop(("exp", name), None)
            for version in _VERSIONS:
                entries.pop(("a", name, version), None)
        changed = {4: changes.origins4, 6: changes.origins6, None: changes.origins4 | changes.origins6}
        fresh: dict[tuple, str] = {}
        split = Splits(view, owners)
        for version, origins in changed.items():
            for origin in origins:
                if entries.pop(("g", origin, version), None) is not None:
                    fresh[(origin, version)] = self._chunk(view, origin, version, fresh, epoch)
        for name in changes.reached:
            entries.pop(("rs", name), None)
            if name not in expanded:
                for version, origins in changed.items():
                    if origins and ("a", name, version) in entries:
                        self._patch(name, version, origins, view, changes.movers.get(version, origins), split,
                                    epoch)

    def _changed_nodes(self, names: set[str], view: View, epoch: int, graph: MemberGraph) -> set[str]:
        """The sets whose node differs in the new state: among the changed sets and the sets
        listing them (whether a member is an as-set is part of its parent's node). A set whose
        node was never computed here has no expansion here that depends on it."""
        changed = set()
        candidates = set(names)
        for name in names:
            candidates.update(graph.parents.get(name, ()))
        for name in candidates:
            old = self.entries.get(("node", name))
            if old is None:
                continue
            new = node(view, name)
            if _node_key(new) != _node_key(old[1]):
                changed.add(name)
                self.entries[("node", name)] = (epoch, new)
        return changed

    def _chunk(self, view: View, origin: int, version: int | None, fresh: dict, epoch: int) -> str:
        piece = fresh.get((origin, version))
        if piece is None:
            piece = fresh[(origin, version)] = origin_chunk(view.prefixes(origin, version))
            self.entries[("g", origin, version)] = (epoch, piece)
        return piece

    def _patch(self, name: str, version: int | None, origins: set[int], view: View, movers: set[int],
               split: Splits, epoch: int) -> None:
        """The pieces of one as-set with those of the origins in `movers` (the changed origins and
        those that have or had a prefix a changed one gained or lost) set again: an origin's piece
        is its prefixes less those an origin before it in the expansion gives (sets.dedupe), so
        no other piece can change."""
        key = ("a", name, version)
        value = self.entries[key][1]
        exp = self.entries.get(("exp", name))
        if isinstance(value, SetLimitError) or exp is None or isinstance(exp[1], SetLimitError):
            del self.entries[key]
            return
        exp = exp[1]
        positions = exp.positions
        if not _meets(origins, positions):
            return
        current, total = value
        counted = view.prefix_count() > self.limits.max_size
        if counted and total < 0:  # the sources grew past the limit: count again
            del self.entries[key]
            return
        where = places(exp, movers)
        patched = list(current)
        numbers = exp.numbers
        for i in where:
            whole, shared = split(numbers[i], version)
            if shared:
                given = {p for p, others in shared if any(positions.get(o, i) < i and p in split.held(o, version)
                                                          for o in others)}
                if given:
                    patched[i] = origin_chunk([p for p in view.prefixes(numbers[i], version) if p not in given])
                    continue
            patched[i] = whole
        if counted:
            total = sum(map(str.count, patched, repeat(" ")))
            if total > self.limits.max_size:
                del self.entries[key]
                return
        changed = [i for i in where if patched[i] != current[i]]
        if changed:
            self.entries[key] = (epoch, value.patched(tuple(patched), total, changed))


def _meets(origins: set[int], positions: dict[int, int]) -> bool:
    if len(origins) < len(positions):
        return any(o in positions for o in origins)
    return any(o in origins for o in positions)


class Splits(dict):
    """(origin, version) -> (its piece whole, [(prefix, the other origins of it)] for its prefixes
    that another origin has too), made once per publication (MemoStore._patch)."""

    def __init__(self, view: View, owners: dict[int, RouteOwners]):
        super().__init__()
        self.view, self.owners = view, owners
        self._held: dict[tuple[int, int | None], frozenset[str]] = {}

    def held(self, origin: int, version: int | None) -> frozenset[str]:
        """The prefixes `origin` has in the view, as a set: `owners` counts every source, the
        view only its own (a list's `in` per shared prefix was most of a change's patching)."""
        value = self._held.get((origin, version))
        if value is None:
            value = self._held[(origin, version)] = frozenset(self.view.prefixes(origin, version))
        return value

    def __call__(self, origin: int, version: int | None) -> tuple[str, list[tuple[str, tuple[int, ...]]]]:
        value = self.get((origin, version))
        if value is None:
            prefixes = self.view.prefixes(origin, version)
            shared = []
            for prefix in prefixes:
                others = tuple(o for o in self.owners[6 if ":" in prefix else 4].origins(prefix) if o != origin)
                if others:
                    shared.append((prefix, others))
            value = self[(origin, version)] = (origin_chunk(prefixes), shared)
        return value


def moved_prefixes(old: dict[str, Snapshot], new: dict[str, Snapshot], version: int, origins: set[int]) -> set[str]:
    """The prefixes `origins` gained or lost between two states' snapshots (any source)."""
    out: set[str] = set()
    for source in old.keys() | new.keys():
        tables = [getattr(snap, f"v{version}") if snap is not None else {} for snap in (old.get(source),
                                                                                         new.get(source))]
        if tables[0] is tables[1]:
            continue
        for origin in origins:
            out.update(set(tables[0].get(origin, ())).symmetric_difference(tables[1].get(origin, ())))
    return out


def movers(owners: RouteOwners, prefixes: Iterable[str], origins: set[int]) -> set[int]:
    """`origins` and every origin of one of `prefixes` (see MemoStore._patch)."""
    out = set(origins)
    for prefix in prefixes:
        out.update(owners.origins(prefix))
    return out


class WarmQueue:
    """Resolve the sets of registered selections ahead of queries (see module docstring)."""

    def __init__(self, memory: RoutingMemory):
        self.memory = memory
        self.selections: dict[tuple, None] = {}
        self.pending: deque = deque()
        self.wakeup = threading.Event()
        self.stopped = False
        self.working = False
        self.thread: threading.Thread | None = None

    def register(self, sources: tuple[str, ...], limits: Limits, background: bool) -> None:
        self.selections[(sources, limits)] = None
        if background:
            self._enqueue(None)
        else:
            self._warm(sources, limits, None)
            # long-lived and without cycles, like the snapshots (irr.query.memory._full): out of
            # the cycle collector's full passes (~30 ms over the 1M dump's kept expansions)
            gc.freeze()

    def changed(self, changes: Changes) -> None:
        if self.selections:
            self._enqueue(None if changes.everything else set(changes.reached))

    def stop(self) -> None:
        self.stopped = True
        self.wakeup.set()

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or being resolved (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending or self.working or self.wakeup.is_set():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _enqueue(self, names: set[str] | None) -> None:
        self.pending.append(names)
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="irr-warm", daemon=True)
            self.thread.start()
        self.wakeup.set()

    def _run(self) -> None:
        while not self.stopped:
            self.wakeup.wait()
            self.working = True
            self.wakeup.clear()
            while self.pending and not self.stopped:
                names: set[str] | None = set()
                while self.pending and names is not None:
                    more = self.pending.popleft()
                    names = None if more is None else names | more
                for sources, limits in list(self.selections):
                    try:
                        self._warm(sources, limits, names)
                    except Exception:  # a bug here must not stop the thread: queries compute what's missing
                        log.exception("resolving sets ahead of queries failed")
            self.working = False

    def _warm(self, sources: tuple[str, ...], limits: Limits, names: set[str] | None) -> None:
        view = self.memory.view(sources, limits, background=True)
        if names is None:
            names = set().union(*(s.sets.keys() for s in view.snapshots))
        for name in names:
            if self.stopped:
                return
            if time.monotonic() - self.memory.read_at < GIVE_WAY:
                # queries are being answered: let them have the interpreter (a set they need and
                # this has not resolved yet, they resolve themselves). A pause after every set,
                # not after some work: the large sets a change reaches are the ones queries ask
                # next, and both resolving them at once cost bench/whois.py's cold `!a4` on the
                # 20 largest a third of its rate.
                time.sleep(GIVE_WAY / 2)
            found = view.find(name)
            if found is None:
                continue
            try:
                if found[1].object_class == "route-set":
                    route_set(view, name).text  # noqa: B018 - the text made now, not when first asked
                elif found[1].object_class == "as-set":
                    expansion(view, name)
                    for version in (4, 6):  # `!a` without a family: when asked
                        pieces(view, name, version).encoded()
            except SetLimitError:
                pass
