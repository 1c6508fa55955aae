"""What the benchmarks share: a database (IRR_DATABASE_URL or a throwaway embedded PostgreSQL),
the clean 1M-object dump loaded into it, and `irr serve` on free loopback ports."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from irr.database import EmbeddedPostgres  # noqa: E402

CLEAN_1M = Path(tempfile.gettempdir()) / "irr-generated-clean-1m.db"   # seed 1, no quirks
DUMP_1M = Path(tempfile.gettempdir()) / "irr-generated-1m.db"              # seed 1, default quirks


def largest_postgres_rss() -> int:
    """RSS in bytes of the largest PostgreSQL process running now (0 when none)."""
    largest = 0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] == "postgres":
            with contextlib.suppress(psutil.Error):
                largest = max(largest, p.memory_info().rss)
    return largest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database() -> Iterator[str]:
    """IRR_DATABASE_URL, or a throwaway embedded PostgreSQL removed afterwards."""
    url = os.environ.get("IRR_DATABASE_URL")
    if url:
        yield url
        return
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="irr-bench-")) / "pg", cleanup="delete")
    try:
        yield "postgresql+psycopg://" + server.start().split("://", 1)[1]
    finally:
        server.stop()


def generate_dump(dump: Path, scale: int, seed: int = 1, *extra: str) -> Path:
    """The project's generated APNIC-like dump (`irr generate-dump`), made when missing."""
    if not dump.exists():
        print(f"generating {dump} ...", flush=True)
        subprocess.run([sys.executable, "-m", "irr.cli", "generate-dump", "-q", "--seed", str(seed), "--scale",
                        str(scale), "--out", str(dump), *extra], cwd=REPO, check=True)
    return dump


def load_clean_1m(url: str, dump: Path, scale: int = 1_000_000) -> None:
    """Generate the clean dump when missing (seed 1, no quirks; 1M objects unless said); load it as APNIC."""
    generate_dump(dump, scale, 1, "--oddity-rate", "0")
    subprocess.run([sys.executable, "-m", "irr.cli", "load", "-q", "--source", "APNIC", "--serial", "1", str(dump)],
                   env=dict(os.environ, IRR_DATABASE_URL=url), cwd=REPO, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def serving(url: str, code: Path = REPO, config: str | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
    """`irr serve` on the database until the block ends: (process, whois port), once it answers;
    the HTTP port is `process.http_port`. `code`: the checkout whose server runs (before/after
    comparisons); `config`: the text of a configuration file for it."""
    whois_port, http_port = free_port(), free_port()
    env = dict(os.environ, IRR_DATABASE_URL=url)
    if config is not None:
        path = Path(tempfile.mkstemp(suffix=".toml")[1])
        path.write_text(config)
        env["IRR_CONFIG"] = str(path)
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "serve", "--no-demo", "--whois-port", str(whois_port),
                             "--http-port", str(http_port)], env=env, cwd=code,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.http_port = http_port  # type: ignore[attr-defined]
    try:
        for line in proc.stdout:
            if "whois on" in line:
                break
        else:
            raise RuntimeError(f"irr serve ({code}) exited before serving")
        # keep reading: the HTTP server logs every request, and a full pipe would stop it
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield proc, whois_port
    finally:
        proc.terminate()
        proc.wait(30)
