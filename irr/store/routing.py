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
from sqlalchemy import BigInteger, Text, func, select
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
        row = conn.execute(select(SourceRow.serial_newest, SourceRow.last_load, SourceRow.visibility_version)
                           .where(SourceRow.name == source)).first()
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

    def changed_keys(self, since: int | None, limit: int) -> list[tuple[str, str]] | None:
        """(object_class, pk) of routing objects with a journal entry after serial `since`, or None
        when there are more than `limit` entries (a full read is cheaper then)."""
        rows = self.conn.execute(select(JournalEntry.object_class, JournalEntry.pk).where(
            JournalEntry.source == self.source, JournalEntry.serial > (since if since is not None else -1),
            JournalEntry.object_class.in_(ROUTING_CLASSES)).limit(limit + 1)).all()
        if len(rows) > limit:
            return None
        return list(dict.fromkeys((c, pk) for c, pk in rows))

    def routes(self, origins4: Iterable[int], origins6: Iterable[int]) -> list:
        """(object_class, prefix, origin) of every visible route of these origins (route: origins4,
        route6: origins6)."""
        o4, o6 = sorted(set(origins4)), sorted(set(origins6))
        if not o4 and not o6:
            return []
        wanted = []
        if o4:
            wanted.append(sa.and_(ObjectRow.object_class == "route", ObjectRow.origin == sa.any_(_bigints(o4))))
        if o6:
            wanted.append(sa.and_(ObjectRow.object_class == "route6", ObjectRow.origin == sa.any_(_bigints(o6))))
        return self.conn.execute(select(ObjectRow.object_class, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin)
                                 .where(*self.reads._shown(self.source), sa.or_(*wanted)).order_by(_CTID)).all()

    def sets(self, pks: Iterable[str]) -> list:
        """(object_class, pk, members, lookup_keys) of the set objects with these keys."""
        wanted = sorted(set(pks))
        if not wanted:
            return []
        return self.conn.execute(select(ObjectRow.object_class, ObjectRow.pk, ObjectRow.members, ObjectRow.lookup_keys)
                                 .where(ObjectRow.source == self.source, ObjectRow.object_class.in_(SET_CLASSES),
                                        ObjectRow.pk == sa.any_(_texts(wanted))).order_by(_CTID)).all()

    def claimants(self, keys: Iterable[tuple[str, str]]) -> list:
        """(object_class, pk, prefix, lookup_keys) of these objects as claims see them (visible)."""
        by_class: dict[str, list[str]] = {}
        for object_class, pk in keys:
            if object_class in CLAIM_CLASSES:
                by_class.setdefault(object_class, []).append(pk)
        if not by_class:
            return []
        wanted = [sa.and_(ObjectRow.object_class == c, ObjectRow.pk == sa.any_(_texts(sorted(pks))))
                  for c, pks in sorted(by_class.items())]
        return self.conn.execute(select(ObjectRow.object_class, ObjectRow.pk, sa.cast(ObjectRow.prefix, Text),
                                        ObjectRow.lookup_keys)
                                 .where(*self.reads._shown(self.source), sa.or_(*wanted)).order_by(_CTID)).all()

    def claims(self, names: Iterable[str]) -> list:
        """(object_class, pk, prefix, lookup_keys) of every visible object claiming one of these sets."""
        tokens = sorted(f"member-of={n}" for n in set(names))
        if not tokens:
            return []
        return self.conn.execute(select(ObjectRow.object_class, ObjectRow.pk, sa.cast(ObjectRow.prefix, Text),
                                        ObjectRow.lookup_keys)
                                 .where(*self.reads._shown(self.source), ObjectRow.object_class.in_(CLAIM_CLASSES),
                                        ObjectRow.lookup_keys.op("&&")(_texts(tokens))).order_by(_CTID)).all()


def _texts(values: list[str]):
    return sa.bindparam(None, values, type_=ARRAY(Text), unique=True)


def _bigints(values: list[int]):
    return sa.bindparam(None, values, type_=ARRAY(BigInteger), unique=True)
