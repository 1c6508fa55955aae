"""Fixtures of the whole suite: a real PostgreSQL for the whole run (embedded, or TEST_DATABASE_URL), a fresh
database per test cloned from a migrated template, generated dumps."""
from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from irr.cli.generate import generate_dump as generate_dump_command
from irr.config import _sqlalchemy_url
from irr.database import EmbeddedPostgres, make_engine
from irr.store import Store

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"            # public test data with its provenance (tests/data/PROVENANCE.md)
REAL = DATA / "real"                      # real RPSL objects from public repositories
BGPQ4_VECTORS = DATA / "bgpq4"            # bgpq4's captured outputs
_counter = itertools.count()

# No timed assertions (DEVELOPERS.md): hypothesis' per-example deadline and its "too slow" health
# check fail tests on a busy machine.
settings.register_profile("irr", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("irr")


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory) -> str:
    """libpq URL of a maintenance database on a throwaway server."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield _libpq(_sqlalchemy_url(url, "TEST_DATABASE_URL"))
        return
    # Not under pytest's basetemp: a concurrent pytest session prunes old basetemps.
    base = Path(tempfile.mkdtemp(prefix="irr-test-pg-"))
    server = EmbeddedPostgres(base / "data", cleanup="delete")
    server.start()
    yield server.server.get_uri()
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _replace_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


@pytest.fixture(scope="session")
def template_db(pg_server_url) -> str:
    name = f"irr_test_template_{os.getpid()}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    engine = make_engine(_sqlalchemy_url(_replace_db(pg_server_url, name), "test"))
    Store(engine).upgrade()
    engine.dispose()
    yield name
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def cloned_database(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A fresh database cloned from the migrated template, dropped afterwards: its SQLAlchemy URL."""
    name = f"irr_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    try:
        yield _sqlalchemy_url(_replace_db(pg_server_url, name), "test")
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def cloned_store(pg_server_url: str, template_db: str) -> Iterator[Store]:
    """A Store on a cloned database (see cloned_database)."""
    with cloned_database(pg_server_url, template_db) as url:
        store = Store(make_engine(url))
        try:
            yield store
        finally:
            store.engine.dispose()


@pytest.fixture
def db_url(pg_server_url, template_db) -> str:
    """SQLAlchemy URL of a fresh, migrated database for one test."""
    with cloned_database(pg_server_url, template_db) as url:
        yield url


@pytest.fixture
def store(db_url) -> Store:
    s = Store(make_engine(db_url))
    yield s
    s.engine.dispose()


def generate_dump(path: Path, scale: int, seed: int = 1, *extra: str) -> Path:
    """A dump from the project's generator (`irr generate-dump`; extra: its further options)."""
    generate_dump_command.main(["--seed", str(seed), "--scale", str(scale), "--out", str(path), "--quiet", *extra],
                               standalone_mode=False)
    return path


@pytest.fixture(scope="session")
def dump_10k(tmp_path_factory) -> Path:
    return generate_dump(tmp_path_factory.mktemp("dumps") / "apnic-10k.db", 10000, 1)


def run_irr(*args: str, env: dict | None = None, check: bool = True, timeout: int = 600,
            input: str | None = None) -> subprocess.CompletedProcess:
    """Run the `irr` command as a user would."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "irr.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, input=input, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"irr {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def free_port() -> int:
    """A loopback port nothing listens on (for a moment)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
