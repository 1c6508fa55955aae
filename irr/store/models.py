"""The tables (SQLAlchemy models; the DDL is in migrations/versions), the shapes the store takes and
gives, and the names every part of the store shares (source names, partitions, NOTIFY)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import BigInteger, DateTime, SmallInteger, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, INET, JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from irr.config import SOURCE_NAME
from rpsl.lenient import Loaded

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
    "CREATE INDEX {name}_prefix_exact ON {table} (prefix) WHERE prefix IS NOT NULL",   # exact and covering (0011)
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
