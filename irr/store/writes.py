"""The single-object write path: changes with their journal entries and serials, one transaction."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import CIDR, INET, insert
from sqlalchemy.engine import Connection, Engine

from irr.store.models import (
    COPY_COLUMNS,
    ROUTE_CLASSES,
    SCOPE_CLASSES,
    Change,
    JournalEntry,
    ObjectRow,
    SourceRow,
    StoreError,
    _ident,
    _literal,
    _notify,
    check_source,
    partition_name,
)
from irr.store.rows import row

# The statements of the write path are built once, their values bound at execution: building a
# statement (and its cache key) per object cost more than running it.
_PARAMS = tuple(f"v_{c}" for c in COPY_COLUMNS)  # an object's row as parameters (`_upsert`)
_KEY = (ObjectRow.source == sa.bindparam("k_source"), ObjectRow.object_class == sa.bindparam("k_class"),
        ObjectRow.pk == sa.bindparam("k_pk"))
_STORED = select(ObjectRow.object_text, ObjectRow.rpki_status).where(*_KEY)
_DELETE = sa.delete(ObjectRow).where(*_KEY).returning(ObjectRow.object_text, ObjectRow.rpki_status)
_PARTITION = select(func.to_regclass(sa.bindparam("name", type_=sa.Text)))
_SOURCE_ROW = insert(SourceRow).values(name=sa.bindparam("b_name")).on_conflict_do_nothing()
_LOCKED_SOURCE = select(SourceRow).where(SourceRow.name == sa.bindparam("name")).with_for_update()
_SERIALS = sa.update(SourceRow).where(SourceRow.name == sa.bindparam("b_name")).values(
    serial_newest=sa.bindparam("newest"), serial_oldest=sa.bindparam("oldest"), updated=func.now())


@functools.cache
def _upsert(rov: bool, scope: bool):
    """Store one object (its row bound as `_PARAMS`), replacing the stored one; with `rov` and
    `scope` its RPKI and scope states computed by the database. Returns its RPKI state."""
    table = ObjectRow.__table__
    values = {c: sa.bindparam(p, type_=table.c[c].type) for c, p in zip(COPY_COLUMNS, _PARAMS, strict=True)}
    if rov:
        values["rpki_status"] = func.rov_state(sa.cast(values["prefix"], CIDR), values["origin"])
    if scope:
        values["scope_status"] = func.scope_state(sa.cast(values["ip_first"], INET), sa.cast(values["ip_last"], INET),
                                                  values["asn_first"], values["asn_last"])
    stmt = insert(ObjectRow).values(values)
    return stmt.on_conflict_do_update(
        index_elements=["pk", "object_class", "source"],
        set_={k: stmt.excluded[k] for k in values if k not in ("source", "object_class", "pk")}
        | {"updated": func.now()}).returning(ObjectRow.rpki_status)


class WritePath:
    """Part of irr.store.Store: single changes with their journal entries and serials."""

    engine: Engine

    def _ensure_partition(self, conn: Connection, source: str) -> None:
        exists = conn.execute(_PARTITION, {"name": partition_name(source)}).scalar()
        if exists is None:
            conn.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {_ident(conn, partition_name(source))} PARTITION OF rpsl_objects "
                f"FOR VALUES IN ({_literal(source)})"))

    def _lock_source(self, conn: Connection, source: str) -> SourceRow:
        """The source's status row, locked until commit (serialises writers of one source)."""
        conn.execute(_SOURCE_ROW, {"b_name": source})
        return conn.execute(_LOCKED_SOURCE, {"name": source}).one()

    def lock_sources(self, conn: Connection, sources: list[str]) -> None:
        """Lock the status rows of sources (in name order: no deadlocks) until the transaction
        ends: writers of a source take turns, and each reads what the previous one committed."""
        for source in sorted(sources):
            self._lock_source(conn, check_source(source))

    def apply(self, changes: list[Change], origin: str, conn: Connection | None = None,
              serial_newest: dict[str, int] | None = None, suppress_invalid: bool = False) -> list[int | None]:
        """Write changes and their journal entries in one transaction; return their serials
        (None for a deletion of an object that was not there and has no text to journal).
        `serial_newest` (mirrors): the serial each source has reached after these changes.
        `suppress_invalid` (mirrors with serials of our own, as IRRd does): an RPKI-invalid route
        gets no journal entry (a route that turns invalid gets a DEL), so whoever mirrors the
        source from us never sees it; it is stored all the same."""
        if conn is None:
            with self.engine.begin() as c:
                return self.apply(changes, origin, c, serial_newest, suppress_invalid)
        counters = self._lock_serials(conn, {check_source(c.source) for c in changes})
        for source in sorted(counters):
            self._ensure_partition(conn, source)
        serials: list[int | None] = []
        journal: list[dict] = []  # written in one batched statement at the end
        rov = None  # are there ROAs? (asked once, when a route is stored)
        for change in changes:
            source = change.source
            obj = change.obj
            operation = change.operation
            suppress = suppress_invalid and change.serial is None  # never with an upstream's serials
            key = {"k_source": source, "k_class": obj.object_class, "k_pk": obj.pk}
            if change.operation == "ADD":
                old = None
                is_route = obj.object_class in ROUTE_CLASSES
                if is_route and rov is None:
                    rov = self.roas_loaded(conn)
                if is_route and rov and suppress:
                    old = conn.execute(_STORED, key).first()
                stmt = _upsert(bool(is_route and rov), obj.object_class in SCOPE_CLASSES)
                state = conn.execute(stmt, dict(zip(_PARAMS, row(source, obj), strict=True))).scalar()
                text = obj.text
                if suppress and state == "invalid":
                    if old is None or old.rpki_status == "invalid":
                        serials.append(None)  # never visible to our mirrors: nothing to tell them
                        continue
                    operation, text = "DEL", old.object_text  # it vanishes from what they see
            elif change.operation == "DEL":
                deleted = conn.execute(_DELETE, key).first()
                text = deleted.object_text if deleted else None
                if suppress and deleted is not None and deleted.rpki_status == "invalid":
                    serials.append(None)  # our mirrors never had it
                    continue
                if text is None:
                    if not change.missing_ok:
                        raise StoreError(f"cannot delete {obj.object_class} {obj.pk}: it does not exist in {source}")
                    text = obj.text  # a mirror replays a deletion it never saw the object for
                    if not text.strip() and change.serial is None:
                        # nothing was deleted and there is no text to tell our own mirrors (an NRTM
                        # DEL needs one): no journal entry, no serial
                        serials.append(None)
                        continue
            else:
                raise StoreError(f"unknown operation {change.operation!r}")
            serial = _next_serial(counters, source, change.serial)
            journal.append({"source": source, "serial": serial, "operation": operation,
                            "object_class": obj.object_class, "pk": obj.pk, "object_text": text, "origin": origin})
            serials.append(serial)
        if journal:
            conn.execute(insert(JournalEntry), journal)
        _save_serials(conn, counters)
        for source, newest in (serial_newest or {}).items():
            self._lock_source(conn, check_source(source))
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source, sa.or_(
                SourceRow.serial_newest.is_(None), SourceRow.serial_newest < newest)).values(
                serial_newest=newest, updated=func.now()))
        for source in {c.source for c in changes} | set(serial_newest or ()):
            _notify(conn, source)
        return serials

    def _journal_only(self, conn: Connection, entries: list[tuple[str, str, str, str, str]], origin: str) -> None:
        """Journal entries without an object change (objects hidden or shown again by a filter)."""
        counters = self._lock_serials(conn, {e[0] for e in entries})
        rows = []
        for source, operation, object_class, pk, text in entries:
            rows.append({"source": source, "serial": _next_serial(counters, source), "operation": operation,
                         "object_class": object_class, "pk": pk, "object_text": text, "origin": origin})
        if rows:
            conn.execute(insert(JournalEntry), rows)  # one batched statement (a ROA change may move thousands)
        _save_serials(conn, counters)

    def _lock_serials(self, conn: Connection, sources: set[str]) -> dict[str, list]:
        """The serial counters of the sources a transaction journals to: each source's status row
        is locked once (writers of a source take turns, in name order: no deadlocks), its counter
        advanced in memory (`_next_serial`) and the row updated once at the end (`_save_serials`)."""
        counters: dict[str, list] = {}  # source -> [serial_newest, serial_oldest]
        for source in sorted(sources):
            row = self._lock_source(conn, source)
            counters[source] = [row.serial_newest, row.serial_oldest]
        return counters


def _next_serial(counters: dict[str, list], source: str, upstream: int | None = None) -> int:
    """The serial of a source's next journal entry: one past the newest, or a mirror's upstream
    serial (gaps allowed, never back)."""
    counter = counters[source]
    current = counter[0]
    if upstream is None:
        serial = (current or 0) + 1
    elif current is not None and upstream <= current:
        raise StoreError(f"serial {upstream} of {source} is not above {current}: serials never go back")
    else:
        serial = upstream
    counter[0] = serial
    if counter[1] is None:
        counter[1] = serial
    return serial


def _save_serials(conn: Connection, counters: dict[str, list]) -> None:
    for source, (newest, oldest) in counters.items():
        conn.execute(_SERIALS, {"b_name": source, "newest": newest, "oldest": oldest})
