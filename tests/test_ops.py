"""Operations: Prometheus metrics, the health endpoint, irr status."""
from __future__ import annotations

import re

from irr.config import load_config
from irr.store import Change
from irr.web import create_app
from rpsl.lenient import load
from tests.conftest import run_irr
from tests.whois_helpers import config_for, running_whois


def test_metrics_and_health(store, tmp_path):
    store.apply([Change("TEST", "ADD", load("route: 192.0.2.0/24\norigin: AS1\nmnt-by: M\nsource: TEST\n"))],
                origin="test")
    with running_whois(config_for(tmp_path, ("TEST",)), store) as whois:
        assert whois.query("!gAS1") == b"A13\n192.0.2.0/24\nC\n"
        whois.query("-i origin AS1")
    app = create_app(load_config(None, tmp_path), store)
    client = app.test_client()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'irr_objects{object_class="route",source="TEST"} 1.0' in text
    assert 'irr_source_serial{source="TEST"} 1.0' in text
    assert 'irr_whois_queries_total{kind="!g"}' in text and 'irr_whois_queries_total{kind="ripe"}' in text
    assert "irr_whois_query_seconds_bucket" in text and "irr_roas 0.0" in text
    assert "irr_job_error" not in text.replace("# HELP irr_job_error", "").replace("# TYPE irr_job_error", "")
    store.record_job("roas", error="https://rpki.example/roas.json: 503 Service Unavailable")
    store.record_job("scope", status="scope: 12 ranges; 0 objects changed state")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'irr_job_error{job="roas"} 1.0' in text and 'irr_job_error{job="scope"} 0.0' in text
    assert re.search(r'^irr_job_last_success_timestamp_seconds\{job="scope"\} \d', text, re.MULTILINE)
    assert 'irr_job_last_success_timestamp_seconds{job="roas"}' not in text
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json() == {"status": "ok", "database": "primary"}


def test_irr_status(db_url, tmp_path):
    (tmp_path / "d.db").write_text("route: 192.0.2.0/24\norigin: AS1\nsource: DEMO\n")
    run_irr("load", "--source", "DEMO", "--serial", "7", str(tmp_path / "d.db"), env={"IRR_DATABASE_URL": db_url})
    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert re.search(r"^DEMO\s+loaded\s+0-7\s+1\s+\d{4}-\d\d-\d\d", out, re.MULTILINE), out  # serials: no journal
    assert "ROAs loaded: 0; scope entries: 0" in out
    assert re.search(r"^DEMO\s+routes 1 unknown; 0 objects out of scope", out, re.MULTILINE), out
    (tmp_path / "roas.csv").write_text("ASN,IP Prefix,Max Length,Trust Anchor\nAS2,192.0.2.0/24,24,apnic\n"
                                       "AS1,198.51.100.0/24,24,apnic\n")
    run_irr("rpki", "load", str(tmp_path / "roas.csv"), env={"IRR_DATABASE_URL": db_url})
    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert "ROAs loaded: 2; scope entries: 0" in out
    assert re.search(r"^DEMO\s+routes 1 invalid; 0 objects out of scope", out, re.MULTILINE), out
    assert re.search(r"^roas job: last success \d{4}-\d\d-\d\d [\d:]+ \(.*2 ROAs", out, re.MULTILINE), out
    (tmp_path / "bad.csv").write_text("ASN,IP Prefix,Max Length,Trust Anchor\nASX,192.0.2.0/24,24,apnic\n")
    failed = run_irr("rpki", "load", str(tmp_path / "bad.csv"), env={"IRR_DATABASE_URL": db_url}, check=False)
    assert failed.returncode != 0 and "ROAs not loaded, nothing changed" in failed.stderr
    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert "ROAs loaded: 2" in out and re.search(r"^roas job: last success .*; last error .*ASX", out, re.MULTILINE), out
    assert not re.search(r"^(RPKI|SCOPE)\s", out, re.MULTILINE), out


def test_status_page_shows_routing_security(store, tmp_path):
    from irr.rpki.roas import Roa

    store.apply([Change("TEST", "ADD", load(f"route: {p}\norigin: AS1\nmnt-by: M\nsource: TEST\n"))
                 for p in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")], origin="test")
    store.replace_roas([Roa("192.0.2.0/24", 24, 1, "apnic"), Roa("198.51.100.0/24", 24, 2, "apnic")])
    client = create_app(load_config(None, tmp_path), store).test_client()
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "ROAs loaded: 2; NIR scope entries: 0" in page
    row = re.search(r'<th scope="row">TEST</th>(.*?)</tr>', page.split("Routing security")[1], re.S).group(1)
    assert re.findall(r'<td class="num">([\d,]+)</td>', row) == ["1", "1", "1", "0", "0"]
    assert "An toàn định tuyến" in client.get("/?lang=vi").get_data(as_text=True)
    store.record_job("roas", error="https://rpki.example/roas.json: 503 Service Unavailable")
    page = client.get("/?lang=en").get_data(as_text=True)
    row = re.search(r'<th scope="row">ROA refresh</th>(.*?)</tr>', page, re.S).group(1)
    assert "<td>-</td>" in row and "503 Service Unavailable" in row
    assert "Cập nhật ROA" in client.get("/?lang=vi").get_data(as_text=True)


def test_http_server_bounds_its_threads_and_drops_silent_clients(store, tmp_path):
    """`irr serve`'s HTTP server: at most http_max_connections requests at once (more get 503 at
    once, no new thread), and a client silent for http_timeout seconds is disconnected."""
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    from irr.server import BoundedHTTPServer

    httpd = BoundedHTTPServer("127.0.0.1", 0, create_app(load_config(None, tmp_path), store),
                              max_connections=2, timeout=1)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}/health"
    try:
        silent = [socket.create_connection(("127.0.0.1", httpd.server_port)) for _ in range(2)]
        for conn in silent:
            conn.sendall(b"GET /health HTTP/1.1\r\n")      # and then nothing
        time.sleep(0.3)
        try:
            urllib.request.urlopen(url, timeout=5)
            raise AssertionError("a third request was served")
        except urllib.error.HTTPError as e:
            assert e.code == 503 and e.headers["Retry-After"] == "1"
        for conn in silent:                                # dropped after one silent second
            conn.settimeout(5)
            assert b" 200 " not in conn.recv(1000)
            conn.close()
        time.sleep(0.2)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
    finally:
        httpd.shutdown()
        httpd.server_close()
