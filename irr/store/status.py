"""Status rows: per source (serials, loads, errors, mirror state) and per registry-wide job."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from irr.redaction import redact_urls
from irr.store.models import (
    SIDE_JOBS,
    JobRow,
    SourceRow,
    check_source,
)


class SourceStatus:
    """Part of irr.store.Store: the status rows of sources and registry-wide jobs."""

    engine: Engine

    def record_error(self, source: str, message: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(SourceRow).values(name=check_source(source)).on_conflict_do_nothing())
            conn.execute(sa.update(SourceRow).where(SourceRow.name == source).values(
                last_error=redact_urls(message)[:2000], last_error_at=func.now()))

    def sources(self) -> list[SourceRow]:
        with self._session() as session:
            return list(session.scalars(select(SourceRow).order_by(SourceRow.name)))

    def versions(self) -> dict[str, tuple]:
        """A cheap fingerprint of every source's data: it changes with each committed change.
        (One statement: without a transaction around it, one round trip instead of three; the
        routing memory asks it for every change and every new whois connection.)"""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return {name: (serial, load, visibility) for name, serial, load, visibility in conn.execute(
                select(SourceRow.name, SourceRow.serial_newest, SourceRow.last_load, SourceRow.visibility_version))}

    def serial(self, source: str) -> int | None:
        """A source's serial_newest (None before its first load or change)."""
        with self.engine.connect() as conn:
            return conn.execute(select(SourceRow.serial_newest).where(SourceRow.name == source)).scalar()

    def source_version(self, source: str, conn: Connection) -> tuple[int | None, dt.datetime | None] | None:
        """(serial_newest, last_load) of a source within an open transaction, None when unknown."""
        row = conn.execute(select(SourceRow.serial_newest, SourceRow.last_load).where(
            SourceRow.name == source)).first()
        return (row[0], row[1]) if row else None

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
