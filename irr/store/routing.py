"""The reads behind the in-memory routing data (irr.query.memory): one source's route origins, set
definitions and member-of claims, whole or as the part of them that changed since a serial.

Both are read in one REPEATABLE READ snapshot together with the source's version, so the version
says exactly which committed changes the rows include. Rows come in physical order (ctid), the
order a bulk load wrote them: data read whole and data brought up to date change by change list
routes and claims in the same order.

A delta rests on one rule of the store: every change to rpsl_objects either has a journal entry
with a serial (Store.apply), or moves the source's version otherwise (a bulk load: last_load;
ROA and scope reloads: visibility_version). The journal says which keys changed; their current
rows (and the other rows that share an origin or a claimed set with them) are read again.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import BigInteger, Integer, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from irr.store import VISIBLE, JournalEntry, ObjectRow, SourceRow, check_source, in_scope_or_shown

ROUTE_CLASSES = ("route", "route6")
SET_CLASSES = ("as-set", "route-set", "rtr-set")
CLAIM_CLASSES = ("aut-num", "route", "route6", "inet-rtr")  # objects whose member-of counts
ROUTING_CLASSES = frozenset(ROUTE_CLASSES + SET_CLASSES + CLAIM_CLASSES)
_CTID = sa.literal_column("rpsl_objects.ctid")


@dataclass
class RoutingData:
    """Rows of one source for the in-memory query index (irr.query.memory)."""

    version: tuple
    routes: list  # (object_class, prefix text, origin)
    sets: list    # (object_class, pk, members, lookup_keys)
    claims: list  # (object_class, pk, prefix text or None, lookup_keys) of objects with member-of


class RoutingReads:
    """The routing data reads of one store; `hide_out_of_scope`: sources whose out-of-scope
    routes and claims stay out (the scope filter)."""

    def __init__(self, engine: Engine, hide_out_of_scope: frozenset[str] = frozenset()):
        self.engine = engine
        self.hide_out_of_scope = hide_out_of_scope
        self._delta_statements: dict[str, _DeltaStatements] = {}

    def _shown(self, source: str) -> list:
        return [ObjectRow.source == source, VISIBLE,
                in_scope_or_shown({source} if source in self.hide_out_of_scope else ())]

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        # set on the connection, not by a statement: the transaction then starts with one
        # `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` (one round trip less per change)
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            yield conn

    @staticmethod
    def _version(conn: Connection, source: str) -> tuple:
        row = conn.execute(_VERSION, {"source": source}).first()
        return tuple(row) if row else (None, None, None)

    def data(self, source: str) -> RoutingData:
        """Everything of one source: route origins, set definitions and member-of claims."""
        check_source(source)
        with self._snapshot() as conn:
            version = self._version(conn, source)
            routes = conn.execute(select(ObjectRow.object_class, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin)
                                  .where(*self._shown(source), ObjectRow.object_class.in_(ROUTE_CLASSES))
                                  .order_by(_CTID)).all()
            sets = conn.execute(select(ObjectRow.object_class, ObjectRow.pk, ObjectRow.members, ObjectRow.lookup_keys)
                                .where(ObjectRow.source == source, ObjectRow.object_class.in_(SET_CLASSES))
                                .order_by(_CTID)).all()
            key = func.unnest(ObjectRow.lookup_keys).column_valued("k")
            claims = conn.execute(select(ObjectRow.object_class, ObjectRow.pk, sa.cast(ObjectRow.prefix, Text),
                                         ObjectRow.lookup_keys).where(
                *self._shown(source), ObjectRow.object_class.in_(CLAIM_CLASSES),
                select(key).where(key.like("member-of=%")).exists()).order_by(_CTID)).all()
        return RoutingData(version, routes, sets, claims)

    def delta_statements(self, source: str) -> _DeltaStatements:
        statements = self._delta_statements.get(source)
        if statements is None:
            statements = self._delta_statements[source] = _DeltaStatements(
                [ObjectRow.source == sa.bindparam("source"), VISIBLE,
                 in_scope_or_shown({source} if source in self.hide_out_of_scope else ())])
        return statements

    @contextlib.contextmanager
    def delta(self, source: str) -> Iterator[DeltaReads]:
        """Reads of what changed in `source`, all in one snapshot (see DeltaReads)."""
        check_source(source)
        with self._snapshot() as conn:
            yield DeltaReads(self, conn, source, self._version(conn, source))


class DeltaReads:
    """The reads that bring one source's routing data from an older version to `version`."""

    def __init__(self, reads: RoutingReads, conn: Connection, source: str, version: tuple):
        self.reads = reads
        self.conn = conn
        self.source = source
        self.version = version
        self.statements = reads.delta_statements(source)

    def changed_keys(self, since: int | None, limit: int) -> list[tuple[str, str]] | None:
        """(object_class, pk) of routing objects with a journal entry after serial `since`, or None
        when there are more than `limit` entries (a full read is cheaper then)."""
        rows = self.conn.execute(_CHANGED, {"source": self.source, "since": since if since is not None else -1,
                                            "limit": limit + 1}).all()
        if len(rows) > limit:
            return None
        return list(dict.fromkeys((c, pk) for c, pk in rows))

    def routes(self, origins4: Iterable[int], origins6: Iterable[int]) -> list:
        """(object_class, prefix, origin) of every visible route of these origins (route: origins4,
        route6: origins6)."""
        o4, o6 = sorted(set(origins4)), sorted(set(origins6))
        if not o4 and not o6:
            return []
        return self.conn.execute(self.statements.routes, {"source": self.source, "o4": o4, "o6": o6}).all()

    def sets(self, pks: Iterable[str]) -> list:
        """(object_class, pk, members, lookup_keys) of the set objects with these keys."""
        wanted = sorted(set(pks))
        if not wanted:
            return []
        return self.conn.execute(_SETS, {"source": self.source, "pks": wanted}).all()

    def claimants(self, keys: Iterable[tuple[str, str]]) -> list:
        """(object_class, pk, prefix, lookup_keys) of these objects as claims see them (visible)."""
        by_class: dict[str, list[str]] = {c: [] for c in CLAIM_CLASSES}
        for object_class, pk in keys:
            if object_class in by_class:
                by_class[object_class].append(pk)
        if not any(by_class.values()):
            return []
        return self.conn.execute(self.statements.claimants, {
            "source": self.source, **{f"pks{i}": sorted(by_class[c]) for i, c in enumerate(CLAIM_CLASSES)}}).all()

    def claims(self, names: Iterable[str]) -> list:
        """(object_class, pk, prefix, lookup_keys) of every visible object claiming one of these sets."""
        tokens = sorted(f"member-of={n}" for n in set(names))
        if not tokens:
            return []
        rows = self.conn.execute(self.statements.claims, {"source": self.source, "tokens": tokens}).all()
        return [row for row in rows if row[0] in CLAIM_CLASSES]


class _DeltaStatements:
    """A source's delta reads as statements built once (building one per read cost more than
    running it), their values bound at execution; the visibility filter is the source's own."""

    def __init__(self, shown: list):
        texts, bigints = _array(Text), _array(BigInteger)
        self.routes = select(ObjectRow.object_class, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin).where(
            *shown, sa.or_(sa.and_(ObjectRow.object_class == "route", ObjectRow.origin == sa.any_(bigints("o4"))),
                           sa.and_(ObjectRow.object_class == "route6", ObjectRow.origin == sa.any_(bigints("o6"))))
        ).order_by(_CTID)
        claim = select(ObjectRow.object_class, ObjectRow.pk, sa.cast(ObjectRow.prefix, Text), ObjectRow.lookup_keys)
        self.claimants = claim.where(*shown, sa.or_(*(
            sa.and_(ObjectRow.object_class == c, ObjectRow.pk == sa.any_(texts(f"pks{i}")))
            for i, c in enumerate(CLAIM_CLASSES)))).order_by(_CTID)
        # the classes are checked on the rows (`claims`): as a condition, PostgreSQL combined the
        # key index's scan of every claimant class (300,000 rows on the 1M dump) with the
        # lookup-key scan, three times slower than the lookup-key scan alone
        self.claims = claim.where(*shown, ObjectRow.lookup_keys.op("&&")(texts("tokens"))).order_by(_CTID)


def _array(item_type):
    """A maker of bound array parameters of `item_type`, by name."""
    return lambda name: sa.bindparam(name, type_=ARRAY(item_type))


_VERSION = select(SourceRow.serial_newest, SourceRow.last_load, SourceRow.visibility_version).where(
    SourceRow.name == sa.bindparam("source"))
_CHANGED = select(JournalEntry.object_class, JournalEntry.pk).where(
    JournalEntry.source == sa.bindparam("source"), JournalEntry.serial > sa.bindparam("since"),
    JournalEntry.object_class.in_(ROUTING_CLASSES)).limit(sa.bindparam("limit", type_=Integer))
_SETS = select(ObjectRow.object_class, ObjectRow.pk, ObjectRow.members, ObjectRow.lookup_keys).where(
    ObjectRow.source == sa.bindparam("source"), ObjectRow.object_class.in_(SET_CLASSES),
    ObjectRow.pk == sa.any_(_array(Text)("pks"))).order_by(_CTID)
