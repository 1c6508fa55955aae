"""The bulk path: a whole source swapped in from COPY text, all or nothing."""
from __future__ import annotations

import secrets
import time
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Text, func, select
from sqlalchemy.engine import Connection, Engine

from irr.store.models import (
    COPY_COLUMNS,
    PARTITION_INDEXES,
    JournalEntry,
    ReplaceResult,
    RoaRow,
    ScopeRow,
    SourceRow,
    StoreError,
    _ident,
    _literal,
    _notify,
    check_source,
    partition_name,
)


class BulkLoad:
    """Part of irr.store.Store: the bulk path: a whole source swapped in from COPY text, all or nothing."""

    engine: Engine

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
