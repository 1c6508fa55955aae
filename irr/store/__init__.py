"""The object store: every SQL statement of the registry lives here.

Tables (migrations/versions): `rpsl_objects`, partitioned by source, with the index columns that
queries need extracted at write time; `rpsl_journal`, the history (serial, ADD/DEL, text) per
source; `sources`, one status row per source whose `serial_newest` is the source's serial counter.

Two write paths share one row shape (`row_values`): `apply` writes single changes, each with its
journal entry and the source's next serial, in one transaction; `replace_source` swaps a whole
source for a bulk load (COPY into a fresh partition, indexes built in bulk, swapped in the same
transaction, so a crash at any point leaves the previous objects).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import BigInteger, DateTime, SmallInteger, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, INET, JSONB, insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from irr.redaction import redact_urls
from rpsl.lenient import Loaded
from rpsl.objects import IndexData

log = logging.getLogger(__name__)
SOURCE_NAME = re.compile(r"[A-Z][A-Z0-9-]*[A-Z0-9]")
# Jobs of a source besides its import; their errors are recorded as "<job>: <error>" and cleared
# by their own next success only (Store.record_success).
SIDE_JOBS = ("export", "nrtm4-publish")


class Base(DeclarativeBase):
    pass


class ObjectRow(Base):
    """One RPSL object with its index columns (partitioned by source; see the migration)."""

    __tablename__ = "rpsl_objects"
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    object_class: Mapped[str] = mapped_column(Text, primary_key=True)
    pk: Mapped[str] = mapped_column(Text, primary_key=True)
    object_text: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(CIDR)
    prefix_length: Mapped[int | None] = mapped_column(SmallInteger)
    ip_first: Mapped[str | None] = mapped_column(INET)
    ip_last: Mapped[str | None] = mapped_column(INET)
    origin: Mapped[int | None] = mapped_column(BigInteger)
    asn_first: Mapped[int | None] = mapped_column(BigInteger)
    asn_last: Mapped[int | None] = mapped_column(BigInteger)
    members: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    lookup_keys: Mapped[list[str]] = mapped_column(ARRAY(Text))
    last_modified: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rpki_status: Mapped[str | None] = mapped_column(Text)  # valid | invalid | not_found (routes; None: no ROAs)
    scope_status: Mapped[str | None] = mapped_column(Text)  # in | out of the NIR's resources (None: no scope)


class RoaRow(Base):
    __tablename__ = "roas"
    prefix: Mapped[str] = mapped_column(CIDR, primary_key=True)
    max_length: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    asn: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    trust_anchor: Mapped[str] = mapped_column(Text)


class ScopeRow(Base):
    __tablename__ = "scope"
    first_address: Mapped[str | None] = mapped_column(INET, primary_key=True)
    last_address: Mapped[str | None] = mapped_column(INET)
    asn_first: Mapped[int | None] = mapped_column(BigInteger)
    asn_last: Mapped[int | None] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(Text)


ROUTE_CLASSES = ("route", "route6")
SCOPE_CLASSES = ("inetnum", "inet6num", "route", "route6", "aut-num")
VISIBLE = sa.or_(ObjectRow.rpki_status.is_(None), ObjectRow.rpki_status != "invalid")  # RPKI filter


def in_scope_or_shown(hidden_sources) -> sa.ColumnElement:
    """The scope filter: out-of-scope objects of the sources configured to hide them are hidden."""
    if not hidden_sources:
        return sa.true()
    return sa.or_(ObjectRow.scope_status.is_(None), ObjectRow.scope_status != "out",
                  ObjectRow.source.notin_(list(hidden_sources)))


class JournalEntry(Base):
    __tablename__ = "rpsl_journal"
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation: Mapped[str] = mapped_column(Text)
    object_class: Mapped[str] = mapped_column(Text)
    pk: Mapped[str] = mapped_column(Text)
    object_text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SourceRow(Base):
    __tablename__ = "sources"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    serial_newest: Mapped[int | None] = mapped_column(BigInteger)
    serial_oldest: Mapped[int | None] = mapped_column(BigInteger)
    last_load: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_load_serial: Mapped[int | None] = mapped_column(BigInteger)
    last_load_objects: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    mirror_state: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # bumped when ROA or scope reloads hide or show objects without a serial (0008)
    visibility_version: Mapped[int] = mapped_column(BigInteger, server_default="0")

    @property
    def serial_range(self) -> str | None:
        """The source's serials as `!j`, `-q sources`, the status page and `irr status` show them:
        first-newest, first being the first serial the journal holds (`!J`: serial_oldest_journal),
        0 while it holds none (IRRd's way to write "up to newest"); None before any serial."""
        if self.serial_newest is None:
            return None
        return f"{self.serial_oldest if self.serial_oldest is not None else 0}-{self.serial_newest}"


class JobRow(Base):
    """A registry-wide job (`roas`, `scope`): what `irr status`, the status page and /metrics show."""
    __tablename__ = "jobs"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


OBJECTS = ObjectRow.__table__
COPY_COLUMNS = ("source", "object_class", "pk", "object_text", "prefix", "prefix_length", "ip_first", "ip_last",
                "origin", "asn_first", "asn_last", "members", "lookup_keys", "last_modified")
# The partitioned indexes of rpsl_objects (0001_initial), rebuilt per partition by a bulk load.
PARTITION_INDEXES = (
    "CREATE UNIQUE INDEX {name}_key ON {table} (pk, object_class, source)",
    "CREATE INDEX {name}_prefix ON {table} USING gist (prefix inet_ops) WHERE prefix IS NOT NULL",
    "CREATE INDEX {name}_origin ON {table} (origin) WHERE origin IS NOT NULL",
    "CREATE INDEX {name}_asn ON {table} (asn_first, asn_last) WHERE asn_first IS NOT NULL",
    "CREATE INDEX {name}_lookup ON {table} USING gin (lookup_keys)",
)


class StoreError(Exception):
    """A write was refused; nothing was changed."""


def check_source(source: str) -> str:
    if not SOURCE_NAME.fullmatch(source):
        raise StoreError(f"invalid source name {source!r}: use upper case letters, digits and '-'")
    return source


def partition_name(source: str) -> str:
    return "rpsl_objects_" + check_source(source).lower().replace("-", "_")


def _timestamp(value: str | None) -> dt.datetime | None:
    """last-modified as a datetime, or None when it isn't a valid RFC 3339 time (mirrored junk)."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def row_values(source: str, obj: Loaded) -> dict:
    """The row of one object: the one shape both write paths store."""
    idx: IndexData = obj.index  # type: ignore[assignment]
    return {
        "source": source, "object_class": obj.object_class, "pk": obj.pk, "object_text": obj.text,
        "prefix": idx.prefix, "prefix_length": idx.prefix_length, "ip_first": idx.ip_first,
        "ip_last": idx.ip_last, "origin": idx.origin, "asn_first": idx.asn_first, "asn_last": idx.asn_last,
        "members": idx.members or None, "lookup_keys": idx.lookup_keys,
        "last_modified": _timestamp(idx.last_modified),
    }


def _copy_text(value: str) -> str:
    """COPY text format escaping (backslash, tab, newline, CR); str.replace is much faster than
    str.translate on non-ASCII text."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value.replace("\n", "\\n")


def _copy_array(items: list[str]) -> str:
    quoted = ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return _copy_text("{" + quoted + "}")


def copy_line(source: str, obj: Loaded) -> str:
    """One object as a line of COPY text, in COPY_COLUMNS order (built in loader workers)."""
    idx: IndexData = obj.index  # type: ignore[assignment]
    last_modified = _timestamp(idx.last_modified)
    n = "\\N"
    return "\t".join((
        source, obj.object_class, _copy_text(obj.pk), _copy_text(obj.text),
        idx.prefix or n, n if idx.prefix_length is None else str(idx.prefix_length),
        idx.ip_first or n, idx.ip_last or n,
        n if idx.origin is None else str(idx.origin),
        n if idx.asn_first is None else str(idx.asn_first), n if idx.asn_last is None else str(idx.asn_last),
        _copy_array(idx.members) if idx.members else n, _copy_array(idx.lookup_keys),
        last_modified.isoformat() if last_modified else n,
    )) + "\n"


@dataclass
class RoutingData:
    """Rows of one source for the in-memory query index (irr.query.memory)."""

    version: tuple
    routes: list  # (object_class, prefix text, origin)
    sets: list    # (object_class, pk, members, lookup_keys)
    claims: list  # (object_class, pk, prefix text or None, lookup_keys) of objects with member-of


@dataclass
class Change:
    """One change of the single write path: ADD (create or replace) or DEL.

    Mirrors keep their upstream's serials (`serial`, gaps allowed, always increasing) and replay
    deletions of objects they never had (`missing_ok`)."""

    source: str
    operation: str
    obj: Loaded
    serial: int | None = None
    missing_ok: bool = False


@dataclass
class ReplaceResult:
    objects: int
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    seconds_copy: float = 0.0
    seconds_index: float = 0.0
    seconds_swap: float = 0.0


class Store:
    """Access to the registry's tables; the only place that talks SQL."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- schema ---------------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Apply Alembic migrations (idempotent)."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
        with self.engine.begin() as conn:
            # one migrator at a time, even when several irr processes start together
            conn.execute(sa.select(func.pg_advisory_xact_lock(0x1AA0)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # every head: migrations written side by side all apply

    def _ensure_partition(self, conn: Connection, source: str) -> None:
        exists = conn.execute(select(func.to_regclass(partition_name(source)))).scalar()
        if exists is None:
            conn.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {_ident(conn, partition_name(source))} PARTITION OF rpsl_objects "
                f"FOR VALUES IN ({_literal(source)})"))

    def _lock_source(self, conn: Connection, source: str) -> SourceRow:
        """The source's status row, locked until commit (serialises writers of one source)."""
        conn.execute(insert(SourceRow).values(name=source).on_conflict_do_nothing())
        return conn.execute(select(SourceRow).where(SourceRow.name == source).with_for_update()).one()

    def lock_sources(self, conn: Connection, sources: list[str]) -> None:
        """Lock the status rows of sources (in name order: no deadlocks) until the transaction
        ends: writers of a source take turns, and each reads what the previous one committed."""
        for source in sorted(sources):
            self._lock_source(conn, check_source(source))

    # -- single write path ----------------------------------------------------------------------
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
        # Each source's status row is locked once (writers of a source take turns) and its serial
        # counter advanced in memory; the row is updated once at the end, in the same transaction.
        counters: dict[str, list] = {}  # source -> [serial_newest, serial_oldest]
        for source in sorted({check_source(c.source) for c in changes}):
            row = self._lock_source(conn, source)
            self._ensure_partition(conn, source)
            counters[source] = [row.serial_newest, row.serial_oldest]
        serials = []
        for change in changes:
            source = change.source
            obj = change.obj
            operation = change.operation
            suppress = suppress_invalid and change.serial is None  # never with an upstream's serials
            key = (ObjectRow.source == source, ObjectRow.object_class == obj.object_class, ObjectRow.pk == obj.pk)
            if change.operation == "ADD":
                values = row_values(source, obj)
                old = None
                if obj.object_class in ROUTE_CLASSES and self.roas_loaded(conn):
                    values["rpki_status"] = func.rov_state(sa.cast(values["prefix"], CIDR), values["origin"])
                    if suppress:
                        old = conn.execute(select(ObjectRow.object_text, ObjectRow.rpki_status).where(*key)).first()
                if obj.object_class in SCOPE_CLASSES:
                    values["scope_status"] = func.scope_state(sa.cast(values["ip_first"], INET),
                                                              sa.cast(values["ip_last"], INET),
                                                              values["asn_first"], values["asn_last"])
                stmt = insert(ObjectRow).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["pk", "object_class", "source"],
                    set_={k: stmt.excluded[k] for k in values if k not in ("source", "object_class", "pk")}
                    | {"updated": func.now()})
                state = conn.execute(stmt.returning(ObjectRow.rpki_status)).scalar()
                text = obj.text
                if suppress and state == "invalid":
                    if old is None or old.rpki_status == "invalid":
                        serials.append(None)  # never visible to our mirrors: nothing to tell them
                        continue
                    operation, text = "DEL", old.object_text  # it vanishes from what they see
            elif change.operation == "DEL":
                deleted = conn.execute(sa.delete(ObjectRow).where(*key).returning(
                    ObjectRow.object_text, ObjectRow.rpki_status)).first()
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
            counter = counters[source]
            current = counter[0]
            if change.serial is None:
                serial = (current or 0) + 1
            elif current is not None and change.serial <= current:
                raise StoreError(f"serial {change.serial} of {source} is not above {current}: serials never go back")
            else:
                serial = change.serial
            counter[0] = serial
            if counter[1] is None:
                counter[1] = serial
            conn.execute(insert(JournalEntry).values(
                source=source, serial=serial, operation=operation, object_class=obj.object_class,
                pk=obj.pk, object_text=text, origin=origin))
            serials.append(serial)
        for source, (newest, oldest) in counters.items():
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(
                serial_newest=newest, serial_oldest=oldest, updated=func.now()))
        for source, newest in (serial_newest or {}).items():
            self._lock_source(conn, check_source(source))
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source, sa.or_(
                SourceRow.serial_newest.is_(None), SourceRow.serial_newest < newest)).values(
                serial_newest=newest, updated=func.now()))
        for source in {c.source for c in changes} | set(serial_newest or ()):
            _notify(conn, source)
        return serials

    # -- bulk path ------------------------------------------------------------------------------
    def replace_source(self, source: str, chunks: Iterable[str], serial: int | None = None,
                       progress=None, clear_journal: bool = False, mirror_state: dict | None = None
                       ) -> ReplaceResult:
        """Replace every object of `source` with the COPY text in `chunks`, all or nothing.

        Objects given more than once keep their last occurrence (reported as duplicates).
        `serial` becomes the source's serial; it may not go below a serial already in the
        journal (serials are never reused)."""
        check_source(source)
        name = partition_name(source)
        staging = name + "_load"
        result = ReplaceResult(0)
        with self.engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(sa.text("SET LOCAL synchronous_commit = on"))
            status = self._lock_source(conn, source)
            if clear_journal:  # a mirror's full reload: its history starts again at the dump's serial
                conn.execute(sa.delete(JournalEntry).where(JournalEntry.source == source))
            newest_journal = conn.execute(select(func.max(JournalEntry.serial)).where(
                JournalEntry.source == source)).scalar()
            if serial is not None and newest_journal is not None and serial < newest_journal:
                raise StoreError(f"serial {serial} is below serial {newest_journal} already in the journal "
                                 f"of {source}; serials are never reused")
            t0 = time.monotonic()
            conn.execute(sa.text(f"CREATE TABLE {_ident(conn, staging)} "
                                 "(LIKE rpsl_objects INCLUDING DEFAULTS)"))
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY {_ident(conn, staging)} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                    for chunk in chunks:
                        copy.write(chunk)
                count = conn.execute(sa.text(f"SELECT count(*) FROM {_ident(conn, staging)}")).scalar_one()
            if self.roas_loaded(conn):  # RFC 6811 state of the new routes (see _revalidate)
                roas = conn.execute(select(sa.cast(RoaRow.prefix, Text), RoaRow.max_length, RoaRow.asn)).all()
                self._revalidate(conn, staging, roas)
            if conn.execute(select(sa.literal(1)).select_from(ScopeRow).limit(1)).first() is not None:
                conn.execute(sa.text(
                    f"UPDATE {_ident(conn, staging)} SET scope_status = "
                    "scope_state(ip_first, ip_last, asn_first, asn_last) "
                    "WHERE object_class IN ('inetnum', 'inet6num', 'route', 'route6', 'aut-num')"))
            t1 = time.monotonic()
            result.seconds_copy = t1 - t0
            if progress:
                progress("indexing")
            tag = f"{name}_{secrets.token_hex(4)}"  # index names outlive the rename; keep them unique
            result.duplicates = self._unique_index(conn, staging, tag)
            count -= len(result.duplicates)
            result.objects = count
            for ddl in PARTITION_INDEXES[1:]:
                conn.execute(sa.text(ddl.format(name=tag, table=_ident(conn, staging))))
            conn.execute(sa.text(f"ALTER TABLE {_ident(conn, staging)} ADD CONSTRAINT {tag}_source "
                                 f"CHECK (source = {_literal(source)})"))
            t2 = time.monotonic()
            result.seconds_index = t2 - t1
            if progress:
                progress("swapping")
            old = conn.execute(select(func.to_regclass(name))).scalar()
            if old is not None:
                conn.execute(sa.text(f"ALTER TABLE rpsl_objects DETACH PARTITION {_ident(conn, name)}"))
                conn.execute(sa.text(f"DROP TABLE {_ident(conn, name)}"))
            conn.execute(sa.text(f"ALTER TABLE {_ident(conn, staging)} RENAME TO {_ident(conn, name)}"))
            conn.execute(sa.text(f"ALTER TABLE rpsl_objects ATTACH PARTITION {_ident(conn, name)} "
                                 f"FOR VALUES IN ({_literal(source)})"))
            new_serial = serial if serial is not None else status.serial_newest
            values = {"serial_newest": new_serial, "last_load": func.now(), "last_load_serial": new_serial,
                      "last_load_objects": count, "last_error": None, "updated": func.now(),
                      "last_success": func.now()}
            if clear_journal:
                values["serial_oldest"] = None
            if mirror_state is not None:
                values["mirror_state"] = mirror_state
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(**values))
            _notify(conn, source)
            result.seconds_swap = time.monotonic() - t2
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text(f"ANALYZE {_ident(conn, name)}"))
        return result

    def _unique_index(self, conn: Connection, table: str, tag: str) -> list[tuple[str, str]]:
        """Build the primary key index; when the data holds duplicates (rare), keep the last
        occurrence of each (rows of a fresh table lie in COPY order) and build it again."""
        ddl = sa.text(PARTITION_INDEXES[0].format(name=tag, table=_ident(conn, table)))
        savepoint = conn.begin_nested()
        try:
            conn.execute(ddl)
            savepoint.commit()
            return []
        except sa.exc.IntegrityError:
            savepoint.rollback()
        removed = conn.execute(sa.text(
            f"DELETE FROM {_ident(conn, table)} a USING {_ident(conn, table)} b "
            "WHERE a.object_class = b.object_class AND a.pk = b.pk AND a.ctid < b.ctid "
            "RETURNING a.object_class, a.pk")).all()
        conn.execute(ddl)
        return [(c, pk) for c, pk in removed]

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

    def source_version(self, source: str, conn: Connection) -> tuple[int | None, dt.datetime | None] | None:
        """(serial_newest, last_load) of a source within an open transaction, None when unknown."""
        row = conn.execute(select(SourceRow.serial_newest, SourceRow.last_load).where(
            SourceRow.name == source)).first()
        return (row[0], row[1]) if row else None

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

    def mirror_state(self, source: str) -> dict:
        with self.engine.connect() as conn:
            state = conn.execute(select(SourceRow.mirror_state).where(SourceRow.name == source)).scalar()
        return dict(state or {})

    def set_mirror_state(self, source: str, state: dict, conn: Connection | None = None,
                         success: bool = False) -> None:
        """Store a mirror's state (NRTMv4 session, keys ...); `success` also stamps last_success."""
        if conn is None:
            with self.engine.begin() as c:
                return self.set_mirror_state(source, state, c, success)
        conn.execute(insert(SourceRow).values(name=check_source(source)).on_conflict_do_nothing())
        values = {"mirror_state": state, "updated": func.now()}
        if success:
            values.update(last_success=func.now())
        conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(**values))
        if success:
            self._clear_error(conn, source, None)

    def record_success(self, source: str, job: str | None = None) -> None:
        """A job of the source succeeded: stamp last_success, clear the last error if it was that
        job's (`job`: export or nrtm4-publish, whose errors start with the job's name; None: the
        import, whose errors are all the others)."""
        with self.engine.begin() as conn:
            conn.execute(insert(SourceRow).values(name=check_source(source)).on_conflict_do_nothing())
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(last_success=func.now()))
            self._clear_error(conn, source, job)

    @staticmethod
    def _clear_error(conn: Connection, source: str, job: str | None) -> None:
        if job in SIDE_JOBS:
            own = SourceRow.last_error.startswith(f"{job}: ", autoescape=True)
        else:  # the import's (dumps, NRTM): any error that is not a side job's
            own = sa.not_(sa.or_(*(SourceRow.last_error.startswith(f"{j}: ", autoescape=True) for j in SIDE_JOBS)))
        conn.execute(sa.update(SourceRow).where(SourceRow.name == source, SourceRow.last_error.isnot(None), own)
                     .values(last_error=None))

    def record_job(self, name: str, status: str | None = None, error: str | None = None) -> None:
        """A registry-wide job ran: its status line on success, else its error (the last success stays)."""
        values = ({"last_error": redact_urls(error)[:2000], "last_error_at": func.now()} if error is not None else
                  {"last_success": func.now(), "last_status": redact_urls(status or "")[:2000], "last_error": None})
        with self.engine.begin() as conn:
            conn.execute(insert(JobRow).values(name=name, **values).on_conflict_do_update(
                index_elements=[JobRow.name], set_=values))

    def jobs(self) -> list[JobRow]:
        with self._session() as session:
            return list(session.scalars(select(JobRow).order_by(JobRow.name)))

    # -- RPKI -----------------------------------------------------------------------------------
    def roas_loaded(self, conn: Connection) -> bool:
        """Are there ROAs at all? (Without them every route's state is unknown, not not_found.)"""
        return conn.execute(select(sa.literal(1)).select_from(RoaRow).limit(1)).first() is not None

    def replace_roas(self, roas, journal_sources: frozenset[str] = frozenset()) -> list[dict]:
        """Replace the ROA set and validate every route again, in one transaction. Routes whose
        state moves into or out of `invalid` get a journal entry in the sources listed in
        `journal_sources` (DEL when they vanish from filters, ADD when they come back), so mirrors
        see them go and return. Returns the transitions (source, object_class, pk, old, new, text)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE roas IN EXCLUSIVE MODE"))
            conn.execute(sa.text("TRUNCATE roas"))
            # a bulk index build after the COPY is several times faster than updating it row by row
            conn.execute(sa.text("DROP INDEX IF EXISTS roas_prefix"))
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy("COPY roas (prefix, max_length, asn, trust_anchor) FROM STDIN") as copy:
                for roa in roas:
                    copy.write_row((roa.prefix, roa.max_length, roa.asn, roa.trust_anchor))
            conn.execute(sa.text("CREATE INDEX roas_prefix ON roas USING gist (prefix inet_ops)"))
            rows = [(r.prefix, r.max_length, r.asn) for r in roas]
            transitions = self._revalidate(conn, "rpsl_objects", rows if rows else None)
            moves = [t for t in transitions if (t["old"] == "invalid") != (t["new"] == "invalid")
                     and t["source"] in journal_sources]
            self._journal_only(conn, [(t["source"], "DEL" if t["new"] == "invalid" else "ADD", t["object_class"],
                                       t["pk"], t["text"]) for t in moves], origin="rpki")
            self._bump_visibility(conn, {t["source"] for t in transitions})
        return transitions

    def _bump_visibility(self, conn: Connection, sources: set[str]) -> None:
        """Objects of these sources were hidden or shown without (necessarily) a new serial: a new
        data version, so query processes reload them and filter ETags change; then NOTIFY."""
        if sources:
            conn.execute(sa.update(SourceRow).where(SourceRow.name.in_(sorted(sources))).values(
                visibility_version=SourceRow.visibility_version + 1))
        for source in sources:
            _notify(conn, source)

    def _revalidate(self, conn: Connection, table: str, roas) -> list[dict]:
        """Set the RPKI state of every route in `table` (the objects, or a load's staging table):
        computed in memory (irr.rpki.rov: one dictionary lookup per ROA prefix length), written
        back through a temporary table. `roas`: (prefix, max length, asn) rows, or None when there
        are no ROAs (state unknown). Returns the routes whose state changed."""
        from irr.rpki.rov import RoaIndex

        index = RoaIndex((r[0], r[1], r[2]) for r in roas) if roas is not None else None
        quoted = _ident(conn, table)
        rows = conn.execute(sa.text(f"SELECT source, object_class, pk, prefix::text, origin, rpki_status "
                                    f"FROM {quoted} WHERE object_class IN ('route', 'route6')")).all()
        changes = []
        for source, object_class, pk, prefix, origin, old in rows:
            new = index.state(prefix, origin) if index is not None else None
            if new != old:
                changes.append((source, object_class, pk, old, new))
        if not changes:
            return []
        conn.execute(sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS rov_changes (source text, object_class text, "
                             "pk text, status text) ON COMMIT DROP"))
        conn.execute(sa.text("TRUNCATE rov_changes"))
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy("COPY rov_changes (source, object_class, pk, status) FROM STDIN") as copy:
            for source, object_class, pk, _old, new in changes:
                copy.write_row((source, object_class, pk, new))
        updated = conn.execute(sa.text(
            f"UPDATE {quoted} o SET rpki_status = c.status FROM rov_changes c WHERE o.source = c.source "
            "AND o.object_class = c.object_class AND o.pk = c.pk RETURNING o.source, o.object_class, o.pk, "
            "o.object_text")).all()
        olds = {(c[0], c[1], c[2]): (c[3], c[4]) for c in changes}
        return [{"source": r[0], "object_class": r[1], "pk": r[2], "old": olds[(r[0], r[1], r[2])][0],
                 "new": olds[(r[0], r[1], r[2])][1], "text": r[3]} for r in updated]

    def _journal_only(self, conn: Connection, entries: list[tuple[str, str, str, str, str]], origin: str) -> None:
        """Journal entries without an object change (objects hidden or shown again by a filter)."""
        counters: dict[str, list] = {}
        for source in sorted({e[0] for e in entries}):
            row = self._lock_source(conn, source)
            counters[source] = [row.serial_newest, row.serial_oldest]
        rows = []
        for source, operation, object_class, pk, text in entries:
            counter = counters[source]
            counter[0] = (counter[0] or 0) + 1
            counter[1] = counter[1] if counter[1] is not None else counter[0]
            rows.append({"source": source, "serial": counter[0], "operation": operation,
                         "object_class": object_class, "pk": pk, "object_text": text, "origin": origin})
        if rows:
            conn.execute(insert(JournalEntry), rows)  # one batched statement (a ROA change may move thousands)
        for source, (newest, oldest) in counters.items():
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(
                serial_newest=newest, serial_oldest=oldest, updated=func.now()))

    def replace_scope(self, entries) -> int:
        """Replace the NIR's scope and judge every address and AS number object again (one
        transaction); returns how many objects changed state."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE scope IN EXCLUSIVE MODE"))
            conn.execute(sa.delete(ScopeRow))
            if entries:
                conn.execute(insert(ScopeRow), [{"first_address": e.first_address, "last_address": e.last_address,
                                                 "asn_first": e.asn_first, "asn_last": e.asn_last,
                                                 "origin": e.origin} for e in entries])
            new = func.scope_state(ObjectRow.ip_first, ObjectRow.ip_last, ObjectRow.asn_first, ObjectRow.asn_last)
            moved = conn.execute(sa.update(ObjectRow).where(
                ObjectRow.object_class.in_(SCOPE_CLASSES), ObjectRow.scope_status.is_distinct_from(new)).values(
                scope_status=new).returning(ObjectRow.source)).scalars().all()
            self._bump_visibility(conn, set(moved))
        return len(moved)

    def scope_of(self, first: str | None, last: str | None, asn_first: int | None, asn_last: int | None,
                 conn: Connection | None = None) -> str | None:
        """in / out / None (no scope configured) for an address range or AS number range."""
        if conn is None:
            with self.engine.connect() as c:
                return self.scope_of(first, last, asn_first, asn_last, c)
        return conn.execute(select(func.scope_state(sa.cast(first, INET), sa.cast(last, INET), asn_first,
                                                    asn_last))).scalar()

    def rov(self, prefix: str, origin: int, conn: Connection | None = None) -> tuple[str | None, list[RoaRow]]:
        """(state, covering ROAs) of one route; state None when no ROAs are loaded."""
        if conn is None:
            with self.engine.connect() as c:
                return self.rov(prefix, origin, c)
        if not self.roas_loaded(conn):
            return None, []
        state = conn.execute(select(func.rov_state(sa.cast(prefix, CIDR), origin))).scalar()
        covering = conn.execute(select(RoaRow.prefix, RoaRow.max_length, RoaRow.asn, RoaRow.trust_anchor).where(
            RoaRow.prefix.op(">>=")(sa.cast(prefix, CIDR))).order_by(RoaRow.prefix, RoaRow.asn)).all()
        return state, list(covering)

    def roa_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(RoaRow)).scalar_one()

    def security_summary(self) -> dict:
        """ROAs and scope entries loaded; per source, route objects by RPKI state and objects out
        of scope. What the status page and `irr status` show."""
        with self.engine.connect() as conn:
            roas = conn.execute(select(func.count()).select_from(RoaRow)).scalar_one()
            scope = conn.execute(select(func.count()).select_from(ScopeRow)).scalar_one()
            rpki: dict[str, dict[str, int]] = {}
            for source, state, n in conn.execute(select(ObjectRow.source, ObjectRow.rpki_status, func.count()).where(
                    ObjectRow.object_class.in_(ROUTE_CLASSES)).group_by(ObjectRow.source, ObjectRow.rpki_status)):
                rpki.setdefault(source, {})[state or "unknown"] = n
            out_of_scope = dict(conn.execute(select(ObjectRow.source, func.count()).where(
                ObjectRow.scope_status == "out").group_by(ObjectRow.source)).all())
        return {"roas": roas, "scope_entries": scope, "rpki": rpki, "out_of_scope": out_of_scope}

    def record_error(self, source: str, message: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(SourceRow).values(name=check_source(source)).on_conflict_do_nothing())
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(
                last_error=redact_urls(message)[:2000], last_error_at=func.now()))

    # -- reads ----------------------------------------------------------------------------------
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

    def sources(self) -> list[SourceRow]:
        with self._session() as session:
            return list(session.scalars(select(SourceRow).order_by(SourceRow.name)))

    def versions(self) -> dict[str, tuple]:
        """A cheap fingerprint of every source's data: it changes with each committed change."""
        with self.engine.connect() as conn:
            return {name: (serial, load, visibility) for name, serial, load, visibility in conn.execute(
                select(SourceRow.name, SourceRow.serial_newest, SourceRow.last_load, SourceRow.visibility_version))}

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

    def serial(self, source: str) -> int | None:
        """A source's serial_newest (None before its first load or change)."""
        with self.engine.connect() as conn:
            return conn.execute(select(SourceRow.serial_newest).where(SourceRow.name == source)).scalar()

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


DATA_CHANNEL = "irr_data"


def _notify(conn: Connection, source: str) -> None:
    """Tell query processes (LISTEN irr_data) that a source changed; delivered at commit."""
    conn.execute(select(func.pg_notify(DATA_CHANNEL, source)))


def _ident(conn: Connection, name: str) -> str:
    """Quote an identifier (table names derive from validated source names)."""
    return conn.dialect.identifier_preparer.quote(name)


def _literal(source: str) -> str:
    """A validated source name as an SQL literal, for DDL where bind parameters can't be used."""
    return "'" + check_source(source) + "'"
