"""Reads of objects and the journal."""
from __future__ import annotations

import contextlib

import sqlalchemy as sa
from sqlalchemy import Text, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from irr.store.models import (
    VISIBLE,
    JournalEntry,
    ObjectRow,
    RoutingData,
    SourceRow,
    check_source,
    in_scope_or_shown,
)


class Reads:
    """Part of irr.store.Store: reads of objects and the journal."""

    engine: Engine

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def get(self, source: str, object_class: str, pk: str) -> ObjectRow | None:
        with self._session() as session:
            return session.scalars(select(ObjectRow).where(
                ObjectRow.source == source, ObjectRow.object_class == object_class,
                ObjectRow.pk == pk.upper())).first()

    def counts(self) -> dict[str, dict[str, int]]:
        """Objects per class per source."""
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for source, cls, n in conn.execute(select(
                    ObjectRow.source, ObjectRow.object_class, func.count()).group_by(
                    ObjectRow.source, ObjectRow.object_class)):
                out.setdefault(source, {})[cls] = n
        return out

    def routing_data(self, source: str, hide_out_of_scope: bool = False) -> RoutingData:
        """What fast queries keep in memory for one source, read in one consistent snapshot:
        route origins, set definitions and member-of claims (with the claimant's maintainers)."""
        check_source(source)
        with self.engine.connect() as conn:
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            version = conn.execute(select(SourceRow.serial_newest, SourceRow.last_load,
                                          SourceRow.visibility_version).where(SourceRow.name == source)).first()
            shown = in_scope_or_shown({source} if hide_out_of_scope else ())
            routes = conn.execute(select(ObjectRow.object_class, sa.cast(ObjectRow.prefix, Text), ObjectRow.origin)
                                  .where(ObjectRow.source == source, VISIBLE, shown,
                                         ObjectRow.object_class.in_(("route", "route6")))).all()
            sets = conn.execute(select(ObjectRow.object_class, ObjectRow.pk, ObjectRow.members,
                                       ObjectRow.lookup_keys).where(
                ObjectRow.source == source, ObjectRow.object_class.in_(("as-set", "route-set", "rtr-set")))).all()
            key = func.unnest(ObjectRow.lookup_keys).column_valued("k")
            claims = conn.execute(select(ObjectRow.object_class, ObjectRow.pk, sa.cast(ObjectRow.prefix, Text),
                                         ObjectRow.lookup_keys).where(
                ObjectRow.source == source, VISIBLE, shown,
                ObjectRow.object_class.in_(("aut-num", "route", "route6", "inet-rtr")),
                select(key).where(key.like("member-of=%")).exists())).all()
        return RoutingData(tuple(version) if version else (None, None, None), routes, sets, claims)

    def history(self, sources: list[str], pk: str, object_class: str | None = None) -> list[JournalEntry]:
        """Versions of one object from the journal (oldest first), from the first source (in the
        given priority order) that has any."""
        with self._session() as session:
            for source in sources:
                q = select(JournalEntry).where(JournalEntry.source == source, JournalEntry.pk == pk.upper())
                if object_class:
                    q = q.where(JournalEntry.object_class == object_class)
                rows = list(session.scalars(q.order_by(JournalEntry.serial)))
                if rows:
                    return rows
        return []

    def journal_range(self, source: str) -> tuple[int | None, int | None]:
        """Oldest and newest serial in a source's journal."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.min(JournalEntry.serial), func.max(JournalEntry.serial)).where(
                JournalEntry.source == source)).one()
        return row[0], row[1]

    def journal(self, source: str, first: int = 0, last: int | None = None) -> list[JournalEntry]:
        with self._session() as session:
            q = select(JournalEntry).where(JournalEntry.source == source, JournalEntry.serial >= first)
            if last is not None:
                q = q.where(JournalEntry.serial <= last)
            return list(session.scalars(q.order_by(JournalEntry.serial)))

    def iter_objects(self, source: str, batch: int = 5000, conn: Connection | None = None,
                     visible_only: bool = False):
        """(object_class, pk, object_text) of every object of a source, streamed (server-side cursor);
        pass `conn` to read inside a transaction (consistent with other reads in it).
        `visible_only`: without RPKI-invalid routes (what exports and snapshots publish)."""
        stmt = select(ObjectRow.object_class, ObjectRow.pk, ObjectRow.object_text).where(
            ObjectRow.source == check_source(source)).order_by(ObjectRow.object_class, ObjectRow.pk)
        if visible_only:
            stmt = stmt.where(VISIBLE)
        if conn is not None:
            yield from conn.execution_options(yield_per=batch).execute(stmt)
            return
        with self.engine.connect() as c:
            yield from c.execution_options(yield_per=batch).execute(stmt)

    @contextlib.contextmanager
    def snapshot(self, source: str):
        """(found, serial_newest, objects) of a source read in one REPEATABLE READ snapshot, so the
        serial and the objects agree (exports, NRTMv4 snapshots)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                row = conn.execute(select(SourceRow.serial_newest).where(SourceRow.name == source)).first()
                yield (row is not None, (row.serial_newest if row else None),
                       self.iter_objects(source, conn=conn, visible_only=True))
