"""The object store: every SQL statement of the registry lives in this package.

Tables (migrations/versions): `rpsl_objects`, partitioned by source, with the index columns that
queries need extracted at write time; `rpsl_journal`, the history (serial, ADD/DEL, text) per
source; `sources`, one status row per source whose `serial_newest` is the source's serial counter;
`roas`, `scope` and `jobs`.

`Store` is assembled from one part per job: `writes` (single changes with their journal entries,
one transaction), `bulk` (a whole source swapped in from COPY text), `rpki_scope` (ROAs and scope
rows, and the objects' states they decide), `status` (source and job status rows) and `reads`.
`models` holds the tables and shared names, `rows` the one row shape both write paths store.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import func
from sqlalchemy.engine import Engine

from irr.store.bulk import BulkLoad
from irr.store.models import (
    COPY_COLUMNS,
    DATA_CHANNEL,
    OBJECTS,
    PARTITION_INDEXES,
    ROUTE_CLASSES,
    SCOPE_CLASSES,
    SIDE_JOBS,
    SOURCE_NAME,
    VISIBLE,
    Base,
    Change,
    JobRow,
    JournalEntry,
    ObjectRow,
    ReplaceResult,
    RoaRow,
    RoutingData,
    ScopeRow,
    SourceRow,
    StoreError,
    check_source,
    in_scope_or_shown,
    partition_name,
)
from irr.store.reads import Reads
from irr.store.rows import copy_line
from irr.store.rpki_scope import RpkiScope
from irr.store.status import SourceStatus
from irr.store.writes import WritePath

__all__ = [
    "SIDE_JOBS", "SOURCE_NAME", "Base", "ObjectRow", "RoaRow", "ScopeRow", "ROUTE_CLASSES", "SCOPE_CLASSES", "VISIBLE",
    "in_scope_or_shown", "JournalEntry", "SourceRow", "JobRow", "OBJECTS", "COPY_COLUMNS",
    "PARTITION_INDEXES", "StoreError", "check_source", "partition_name", "RoutingData", "Change",
    "ReplaceResult", "DATA_CHANNEL", "Store", "copy_line",
]


class Store(WritePath, BulkLoad, RpkiScope, SourceStatus, Reads):
    """Access to the registry's tables; the only place that talks SQL."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- schema ---------------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Apply Alembic migrations (idempotent)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
        with self.engine.begin() as conn:
            # one migrator at a time, even when several irr processes start together
            conn.execute(sa.select(func.pg_advisory_xact_lock(0x1AA0)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # every head: migrations written side by side all apply
