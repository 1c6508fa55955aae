"""One source's routing data as the fast whois queries use it (`Snapshot`): route origins, set
definitions and member-of claims, read whole (irr.store.routing) or brought up to date from the
keys a change touched. The routing memory (irr.query.memory) publishes snapshots and never changes
one once published: an update is a new snapshot sharing what did not change."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from irr.query.derived import Changes
from irr.query.sets import origin_chunk
from irr.store.routing import CLAIM_CLASSES, SET_CLASSES, DeltaReads


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


def parsable(object_class: str, pk: str) -> bool:
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
