"""`irr serve --query-only` as an operator starts it: a front end that reads only
database.readonly_url (here a session PostgreSQL holds read-only, as on a hot standby), applies no
migrations and runs no jobs, answers whois and HTTP, and follows what the primary commits."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import sqlalchemy as sa

from irr.database import make_engine
from irr.store import Change, Store
from mirror.importer import load_files
from rpsl.lenient import load
from tests import bgpq4_dataset
from tests.conftest import REPO, free_port, generate_dump
from tests.test_bgpq4 import vectors


def whois(port: int, *queries: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall("".join(q + "\n" for q in queries).encode())
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def read_only(url: str) -> str:
    """The same database through sessions that refuse every write, as a streaming replica does."""
    return url + ("&" if "?" in url else "?") + "options=-c%20default_transaction_read_only%3Don"


def test_query_only_front_end(db_url, tmp_path):
    replica = make_engine(read_only(db_url))
    with replica.connect() as conn:                   # what the front end gets: no write can succeed
        assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
    replica.dispose()
    store = Store(make_engine(db_url))
    (tmp_path / "test.db").write_text(bgpq4_dataset.dataset_text())
    load_files(store, "TEST", [tmp_path / "test.db"], serial=1)
    # a mirrored source whose import would run every second on a writing instance
    radb = generate_dump(tmp_path / "radb.db", 300, 3, "--source", "RADB")
    config = tmp_path / "irr.toml"
    config.write_text(f'source_order = ["TEST"]\n\n[sources.TEST]\n\n[sources.RADB]\n'
                      f'dump_urls = ["file://{radb}"]\nimport_timer = 1\n')
    whois_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("IRR_DATABASE_URL", "IRR_CONFIG")}
    env.update(IRR_DATABASE_READONLY_URL=read_only(db_url), IRR_CONFIG=str(config))
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "--data-dir", str(tmp_path / "data"), "serve",
                             "--query-only", "--no-demo", "--whois-port", str(whois_port), "--http-port",
                             str(http_port)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{http_port}/health")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer on /health"
        assert json.loads(body)["status"] == "ok"
        # whois and HTTP answer from the read-only database
        prefixes = b"172.16.0.0/16 172.16.0.0/17 172.16.128.0/17 203.0.113.0/24\n"
        assert whois(whois_port, "!gAS20") == b"A%d\n%sC\n" % (len(prefixes), prefixes)
        status, text = get(f"http://127.0.0.1:{http_port}/v1/filters/prefix-set/AS-TEST?name=EX")
        expected = next(e for n, _, e, _ in vectors() if n == 1).decode()
        assert status == 200 and text == expected
        # the primary commits a change: the front end serves it within its 2 s poll
        store.apply([Change("TEST", "ADD", load("route: 10.9.0.0/24\norigin: AS20\nmnt-by: MAINT-TEST\n"
                                                "source: TEST\n"))], origin="test")
        deadline = time.monotonic() + 15
        while b"10.9.0.0/24" not in whois(whois_port, "!gAS20") and time.monotonic() < deadline:
            time.sleep(0.3)
        assert b"10.9.0.0/24" in whois(whois_port, "!gAS20")
        # the bench's load client against it: every answer framed, none lost
        spec = importlib.util.spec_from_file_location("whoisload", REPO / "bench" / "whoisload.py")
        whoisload = sys.modules["whoisload"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(whoisload)
        result = whoisload.run("127.0.0.1", whois_port, ["!gAS20", "!6AS10", "!iAS-TEST,1", "!gAS65000"], 4, 1.0)
        assert result.errors == 0 and result.queries > 10
        assert set(result.answers) == {"A", "D"}            # AS65000 originates nothing: D
        time.sleep(1.5)                                   # RADB's import would have run by now
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    # no job ran (RADB never imported) and nothing was written by the front end
    assert {s.name for s in store.sources()} == {"TEST"}
    assert [(e.serial, e.operation) for e in store.journal("TEST")] == [(2, "ADD")]
    store.engine.dispose()
