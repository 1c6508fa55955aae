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


def test_query_kinds_are_a_bounded_set_of_labels(store, tmp_path):
    """Attack: every Unicode letter after `!` would be a metric label of its own (`str.isalnum`),
    so a client could grow the server's metrics without bound. Non-ASCII commands count as `!?`."""
    with running_whois(config_for(tmp_path, ("TEST",)), store) as whois:
        for letter in "éжß٣漢":
            assert whois.query(f"!{letter}AS1").startswith(b"F")
        assert whois.query("!gAS1") == b"D\n"
    text = create_app(load_config(None, tmp_path), store).test_client().get("/metrics").get_data(as_text=True)
    kinds = set(re.findall(r'^irr_whois_queries_total\{kind="([^"]*)"\}', text, re.MULTILINE))
    assert "!?" in kinds and "!g" in kinds
    assert all(k.isascii() for k in kinds), kinds


def test_irr_status(db_url, tmp_path):
    (tmp_path / "d.db").write_text("route: 192.0.2.0/24\norigin: AS1\nsource: TEST\n")
    run_irr("load", "--source", "TEST", "--serial", "7", str(tmp_path / "d.db"), env={"IRR_DATABASE_URL": db_url})
    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert re.search(r"^TEST\s+loaded\s+0-7\s+1\s+\d{4}-\d\d-\d\d", out, re.MULTILINE), out  # serials: no journal
    assert "ROAs loaded: 0; scope entries: 0" in out
    assert re.search(r"^TEST\s+routes 1 unknown; 0 objects out of scope", out, re.MULTILINE), out
    (tmp_path / "roas.csv").write_text("ASN,IP Prefix,Max Length,Trust Anchor\nAS2,192.0.2.0/24,24,apnic\n"
                                       "AS1,198.51.100.0/24,24,apnic\n")
    run_irr("rpki", "load", str(tmp_path / "roas.csv"), env={"IRR_DATABASE_URL": db_url})
    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert "ROAs loaded: 2; scope entries: 0" in out
    assert re.search(r"^TEST\s+routes 1 invalid; 0 objects out of scope", out, re.MULTILINE), out
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


def test_metrics_count_email_submissions_and_serve_two_stores(store, db_url, tmp_path):
    """`irr submit` is a process of its own: its submissions reached no /metrics. And a process
    with a second store (two apps) answered /metrics with 500 (duplicate time series)."""
    from irr.database import make_engine
    from irr.store import Store
    from tests.mail_helpers import mutt_inline
    from tests.update_helpers import ROUTE, ROUTE6, setup_registry

    setup_registry(store)
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[sources.VNNIC]\nauthoritative = true\n')
    sender = ("Member", "an@member.example")
    for password, text in (("member-pw", ROUTE), ("wrong-pw", ROUTE6)):
        raw = mutt_inline(sender, "auto-dbm@vnnic.example", "m", f"password: {password}\n\n{text}")
        run_irr("--config", str(config), "--data-dir", str(tmp_path), "submit", "--no-reply", input=raw.decode())
    assert store.get("VNNIC", "route", "203.0.113.0/24AS64500") is not None
    first = create_app(load_config(config, tmp_path), store).test_client()
    second = create_app(load_config(config, tmp_path), Store(make_engine(db_url))).test_client()
    reply = first.post("/v1/submit/", json={"objects": [{"object_text": ROUTE6}], "passwords": ["member-pw"],
                                            "dry_run": True})
    assert reply.status_code == 200 and reply.get_json()["dry_run"]
    for client in (first, second, first):
        response = client.get("/metrics")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert 'irr_submissions_total{channel="email",outcome="success"} 1.0' in text
        assert 'irr_submissions_total{channel="email",outcome="failure"} 1.0' in text
        assert 'irr_submissions_total{channel="api",outcome="dry-run"} 1.0' in text
        assert text.count("# TYPE irr_submissions_total counter") == 1 and text.count("# TYPE irr_objects gauge") == 1


def test_irr_status_reads_only_and_runs_on_a_read_only_database(pg_server_url, db_url, tmp_path):
    """`irr status` ran the migrations: it created the schema in an empty database and could not
    run where the database is read-only (a replica)."""
    import psycopg

    from irr.config import _sqlalchemy_url
    from tests.conftest import _replace_db

    empty = f"irr_test_empty_{tmp_path.name[-20:].replace('-', '_').lower()}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {empty}")
    try:
        url = _sqlalchemy_url(_replace_db(pg_server_url, empty), "test")
        out = run_irr("--data-dir", str(tmp_path), "status", env={"IRR_DATABASE_URL": url}, check=False)
        assert out.returncode != 0 and "no registry schema yet: run `irr db upgrade`" in out.stderr
        with psycopg.connect(_replace_db(pg_server_url, empty)) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {empty} WITH (FORCE)")

    (tmp_path / "d.db").write_text("route: 192.0.2.0/24\norigin: AS1\nsource: TEST\n")
    run_irr("load", "--source", "TEST", "--serial", "7", str(tmp_path / "d.db"), env={"IRR_DATABASE_URL": db_url})
    name = db_url.split("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:  # every new session read-only, as on a replica
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    for env in ({"IRR_DATABASE_URL": db_url}, {"IRR_DATABASE_URL": "", "IRR_DATABASE_READONLY_URL": db_url}):
        out = run_irr("--data-dir", str(tmp_path), "status", env=env)
        assert re.search(r"^TEST\s+loaded\s+0-7\s+1\s", out.stdout, re.MULTILINE), out.stdout
    assert not (tmp_path / "postgres").exists()                   # no embedded server was started either

    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = off")
    with psycopg.connect(_replace_db(pg_server_url, name), autocommit=True) as conn:
        conn.execute("DELETE FROM alembic_version")                 # as if written by an older irr
        conn.execute("INSERT INTO alembic_version VALUES ('0005')")
        before = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    out = run_irr("--data-dir", str(tmp_path), "status", env={"IRR_DATABASE_URL": db_url}, check=False)
    assert out.returncode != 0 and "run `irr db upgrade` on the primary" in out.stderr, out.stderr
    with psycopg.connect(_replace_db(pg_server_url, name)) as conn:
        assert [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] == before == ["0005"]
