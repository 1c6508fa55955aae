"""`irr serve` on a fresh data directory: embedded PostgreSQL, demo data, the status page, Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil

from tests.conftest import REPO, free_port, run_irr


def _postgres_processes(data_dir) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if p.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(p)
    return found


def test_serve_first_start_demo_and_clean_stop(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    whois_port = free_port()
    env = dict(os.environ)
    env.pop("IRR_DATABASE_URL", None)
    env.pop("IRR_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "--data-dir", str(data_dir), "serve",
                             "--http-port", str(port), "--whois-port", str(whois_port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "HTTP on" in line or not line:
                break
        assert any("HTTP on" in ln for ln in lines), "".join(lines)
        assert any("loaded demo data into source DEMO" in ln for ln in lines)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "<th scope=\"row\">DEMO</th>" in page
        assert re.search(r"<th scope=\"row\">route6</th>\s*<td class=\"num\">2</td>", page)
        assert re.search(r"<th scope=\"row\">aut-num</th>\s*<td class=\"num\">2</td>", page)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Accept-Language": "vi,en;q=0.3"})
        vi = urllib.request.urlopen(req, timeout=10).read().decode()
        assert "Nguồn dữ liệu" in vi and 'lang="vi"' in vi
        en = urllib.request.urlopen(f"http://127.0.0.1:{port}/?lang=en", timeout=10).read().decode()
        assert "<h1>Sources</h1>" in en
        assert _postgres_processes(data_dir), "the embedded server runs from the data directory"
        with socket.create_connection(("127.0.0.1", whois_port), timeout=10) as conn:
            conn.sendall(b"!gAS64500\n")
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
        assert reply == b"A13\n192.0.2.0/24\nC\n"
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "irr: stopped" in out
    deadline = time.monotonic() + 20
    while _postgres_processes(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _postgres_processes(data_dir), "the embedded PostgreSQL stops with the server"

    # a second start keeps the data and does not load the demo again
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "--data-dir", str(data_dir), "serve",
                             "--http-port", str(port), "--whois-port", str(whois_port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        while "HTTP on" not in line:
            line = proc.stdout.readline()
            assert line, "server exited"
            assert "loaded demo data" not in line
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out


def test_invalid_configuration_is_reported_clearly(tmp_path):
    bad = tmp_path / "irr.toml"
    bad.write_text('[server]\nhttp_port = "eighty"\n')
    proc = run_irr("--config", str(bad), "db", "upgrade", check=False)
    assert proc.returncode != 0
    assert "server.http_port must be a port number" in proc.stderr
    bad.write_text('[sources.apnic]\nauthoritative = true\n')
    proc = run_irr("--config", str(bad), "db", "upgrade", check=False)
    assert "source name 'apnic' must be upper case" in proc.stderr
    bad.write_text("[databse]\nurl = 'x'\n")
    proc = run_irr("--config", str(bad), "db", "upgrade", check=False)
    assert "unknown setting 'databse'" in proc.stderr
    bad.write_text("[server]\nhttp_max_connections = 0\n")
    proc = run_irr("--config", str(bad), "db", "upgrade", check=False)
    assert "server.http_max_connections must be a positive whole number, not 0" in proc.stderr


def test_configured_database_url_replaces_embedded(db_url, tmp_path):
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[sources.VNNIC]\nauthoritative = true\n')
    data_dir = tmp_path / "data"
    out = run_irr("--config", str(config), "--data-dir", str(data_dir), "load", "--source", "DEMO",
                  str(REPO / "irr" / "demo" / "demo.db"))
    assert "21 objects loaded" in out.stdout
    assert not (data_dir / "postgres").exists(), "no embedded server when a database URL is configured"
