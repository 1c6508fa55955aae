"""What one source looks like to the requests of a submission being checked: the stored objects
(read in one snapshot) with the submission's still-acceptable changes laid over them.

Two views, never mixed up:
- `object()`: the object as it will be if the accepted requests commit (for references: an object
  created in the submission exists, one deleted in it does not);
- `authority()`: whose credentials count (for authorisation): the STORED object, whatever the
  submission does to it; only an object the submission creates (not stored yet) counts as submitted,
  and then only while its own creation is still acceptable.

Requests are indexed by key, and every pending request a check consults is recorded (`consulted`), so
that the validator re-checks exactly the requests that relied on one it has just rejected.
"""
from __future__ import annotations

from rpsl import keys, syntax
from rpsl.errors import ValueSyntaxError
from rpsl.objects import RPSLObject, parse
from rpsl.schema import CLASSES

# (attribute, classes it must name) of every strong reference, from the schema.
STRONG: dict[str, dict[str, tuple[str, ...]]] = {
    c.name: {a.name: a.refers for a in c.attributes if a.strong and a.refers} for c in CLASSES}
# For deletions: which attributes may point at an object of each class.
REFERRED_BY: dict[str, list[str]] = {}
for _c in CLASSES:
    for _a in _c.attributes:
        if _a.strong:
            for _target in _a.refers:
                if _a.name not in REFERRED_BY.setdefault(_target, []):
                    REFERRED_BY[_target].append(_a.name)
REFERRED_BY.setdefault("key-cert", []).append("auth")
PREFETCH_CHUNK = 1000


class Context:
    def __init__(self, lookups, source: str, requests: list):
        self.lookups = lookups
        self.source = source
        self._db: dict[tuple[str, str], str | None] = {}
        self._parsed_db: dict[tuple[str, str], RPSLObject | None] = {}
        self._parsed_new: dict[int, tuple[str, RPSLObject]] = {}
        self._by_key: dict[tuple[str, str], list] = {}
        for r in requests:
            if r.source == source and r.object_class:
                self._by_key.setdefault((r.object_class, r.pk.upper()), []).append(r)
        self.consulted: set[int] | None = None       # ids of pending requests the current check relied on
        self.requests = {id(r): r for r in requests}

    # -- the submission -----------------------------------------------------------------------------
    def pending(self, cls: str, pk: str):
        """The first still-acceptable request of the submission for this object, or None."""
        for r in self._by_key.get((cls, pk.upper()), ()):
            if r.ok:
                if self.consulted is not None:
                    self.consulted.add(id(r))
                return r
        return None

    def refused(self, classes: tuple[str, ...], pk: str) -> bool:
        """Did the submission try to create this object, and was that refused?"""
        return any(not r.ok for c in classes for r in self._by_key.get((c, pk.upper()), ()))

    def new_object(self, req) -> RPSLObject:
        """The request's new text, parsed once per text."""
        cached = self._parsed_new.get(id(req))
        if cached is None or cached[0] is not req.new_text:
            cached = (req.new_text, parse(req.new_text))
            self._parsed_new[id(req)] = cached
        return cached[1]

    # -- the database -----------------------------------------------------------------------------------
    def prefetch(self, wanted: set[tuple[str, str]]) -> None:
        """Read many objects at once (class, key) instead of one query each."""
        missing = sorted({(c, k.upper()) for c, k in wanted} - self._db.keys())
        for start in range(0, len(missing), PREFETCH_CHUNK):
            chunk = missing[start:start + PREFETCH_CHUNK]
            classes = sorted({c for c, _ in chunk})
            found = self.lookups.by_keys([self.source], [k for _, k in chunk], classes)
            if found.truncated:
                continue        # looked up one by one when needed
            texts = {(o.object_class, o.pk): o.text for o in found}
            for key in chunk:
                self._db[key] = texts.get(key)

    def stored(self, cls: str, pk: str) -> RPSLObject | None:
        key = (cls, pk.upper())
        if key not in self._parsed_db:
            if key not in self._db:
                found = self.lookups.by_key([self.source], key[1], [cls])
                self._db[key] = found[0].text if found else None
            text = self._db[key]
            self._parsed_db[key] = parse(text) if text is not None else None
        return self._parsed_db[key]

    def exists_stored(self, cls: str, pk: str) -> bool:
        return self.stored(cls, pk) is not None

    # -- the two views ------------------------------------------------------------------------------------
    def object(self, cls: str, pk: str) -> RPSLObject | None:
        """The object as it will be if the accepted requests commit."""
        req = self.pending(cls, pk)
        if req is not None:
            if req.operation == "delete":
                return None
            if req.new_text is not None:
                return self.new_object(req)
        return self.stored(cls, pk)

    def exists_any(self, classes: tuple[str, ...], pk: str) -> bool:
        return any(self.object(c, pk) is not None for c in classes)

    def authority(self, cls: str, pk: str) -> RPSLObject | None:
        """The object whose attributes decide authorisation: the stored one; an object only when the
        submission creates it (and that creation is still acceptable)."""
        stored = self.stored(cls, pk)
        if stored is not None:
            return stored
        req = self.pending(cls, pk)
        if req is not None and req.operation == "create" and req.new_text is not None:
            return self.new_object(req)
        return None

    # -- hierarchies (stored objects only: a parent is what the registry holds) ----------------------------
    def _first(self, found) -> RPSLObject | None:
        return parse(found[0].text) if found else None

    def parent_address(self, cls: str, key: str, classes: tuple[str, ...], include_exact: bool = False):
        found = self.lookups.addresses([self.source], key, "most-specific" if include_exact else "less-one",
                                       classes)
        return self._first(found)

    def parent_route(self, cls: str, prefix: str) -> RPSLObject | None:
        return self._first(self.lookups.addresses([self.source], prefix, "most-specific", (cls,)))

    def enclosing_block(self, pk: str, cls: str) -> RPSLObject | None:
        if cls == "aut-num":
            first = last = keys.as_number(pk)
        else:
            first, last, _ = keys.as_range(pk)
        blocks = [o for o in self.lookups.as_block([self.source], first, last) if o.pk != pk]
        return parse(blocks[-1].text) if blocks else None  # outermost first: the last is closest

    def parent_domain(self, zone: str) -> RPSLObject | None:
        try:
            rng = syntax.parse("domain_name", zone, strict=False).address_range()
        except (ValueSyntaxError, AttributeError):
            return None
        if rng is None:
            return None
        key = str(rng) if rng.version == 4 else str(rng.prefixes()[0])
        return self._first(self.lookups.addresses([self.source], key, "most-specific",
                                                  ("inetnum",) if rng.version == 4 else ("inet6num",)))

    def referencing(self, cls: str, pk: str) -> list[str]:
        """Objects (other than being deleted here) that strongly reference cls/pk."""
        attributes = REFERRED_BY.get(cls, [])
        if not attributes:
            return []
        out = []
        for obj in self.lookups.by_inverse([self.source], attributes, pk):
            if obj.object_class == cls and obj.pk == pk:
                continue  # a mntner maintaining itself
            pending = self.pending(obj.object_class, obj.pk)
            if pending is not None and pending.operation == "delete":
                continue
            if pending is not None and pending.new_text is not None and not _still_refers(
                    self.new_object(pending), pk):
                continue  # modified in this submission so that it no longer refers to it
            out.append(f"[{obj.object_class}] {obj.pk}")
        return out


def _still_refers(obj: RPSLObject, pk: str) -> bool:
    """Does an object still strongly reference `pk` (any class) in one of its reference attributes?"""
    pk = pk.upper()
    for attr in list(STRONG.get(obj.object_class, {})) + ["auth"]:
        for value in obj.values(attr):
            name = value.split(" ", 1)[0] if attr in ("mnt-routes", "auth") else value
            if name.upper() == pk:
                return True
    return False
