"""The routing reports where people and programs read them: the web pages in a real browser
(Chromium, no JavaScript, English and Vietnamese, screenshots in the test artefacts), the JSON
API, /metrics, `irr report` and the monthly mail through a real SMTP server."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from werkzeug.serving import make_server

from irr.query.memory import RoutingMemory
from irr.reports.inputs import Settings
from irr.reports.mail import send_monthly
from irr.reports.report import registry_run
from irr.store.reports import ReportStore
from irr.updates.mail import send_mail
from irr.web import create_app
from tests import report_dataset as data
from tests.conftest import run_irr
from tests.mail_helpers import SmtpSink
from tests.web_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 15), dt.date(2026, 11, 30)]


def _check(name: str):
    return ([[name, name]], [(name, "AS64500:AS-MISSING")]) if name == "AS64500:AS-CUSTOMERS" else ([], [])


@pytest.fixture
def registry(store, tmp_path):
    """The data set, with three days of recorded counts (the first before the ROAs were fixed)."""
    data.build(store, tmp_path)
    config = data.config(tmp_path)
    reports = ReportStore(store.engine)
    for day in DAYS:
        registry_run(reports, Settings.from_config(config), check=_check, today=day)
    # an older day with more problems, so the chart has a slope
    counts = {("", "no_route_object"): 6, ("", "rpki_invalid"): 3, ("", "ok"): 1, ("", "no_roa"): 4}
    reports.record_counts(dt.date(2026, 10, 20), counts)
    return store, config


@contextlib.contextmanager
def served(store, config) -> Iterator[str]:
    app = create_app(config, store, _memory(store))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _memory(store) -> RoutingMemory:
    memory = RoutingMemory(store)
    memory.load_all()
    return memory


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


TEXT = {"en": ("Routing reports", "Announced without a route object", "Create a route object for 203.119.5.0/24",
               "Routing report for MAINT-VN-ALPHA", "Trend"),
        "vi": ("Báo cáo định tuyến", "Quảng bá mà không có đối tượng route", "Tạo đối tượng route cho 203.119.5.0/24",
               "Báo cáo định tuyến của MAINT-VN-ALPHA", "Xu hướng")}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_summary_member_and_lookup_pages_in_chromium(registry, browser, lang):
    store, config = registry
    title, verdict, fix, member_title, trend = TEXT[lang]
    with served(store, config) as url:
        page = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{url}/reports?lang={lang}")
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("h2", has_text=trend)).to_be_visible()
        chart = page.locator("svg.chart").first
        expect(chart).to_be_visible()
        assert page.locator("svg.chart polyline").count() == 4 and page.locator("svg.chart circle").count() == 16
        expect(page.locator("table.verdicts")).to_contain_text(verdict)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"reports-summary-{lang}.png"), full_page=True)
        with page.expect_navigation():
            page.click(f"table.members a:text-is('{data.ALPHA}')")
        expect(page.locator("h1")).to_have_text(member_title)
        row = page.locator("table.report tr", has=page.locator("a:text-is('203.119.5.0/24')"))
        expect(row).to_contain_text(verdict)
        expect(row).to_contain_text(fix)
        assert page.locator("table.report tbody tr").count() == len(data.EXPECTED_ALPHA)
        page.screenshot(path=str(SCREENSHOTS / f"reports-member-{lang}.png"), full_page=True)
        with page.expect_navigation():
            page.click("table.report a:text-is('203.119.6.0/24')")
        expect(page.locator("table.report tbody tr")).to_have_count(2)
        expect(page.locator("main")).to_contain_text("203.119.0.0/18")
        page.screenshot(path=str(SCREENSHOTS / f"reports-lookup-{lang}.png"), full_page=True)
        page.context.close()


def test_json_api_and_metrics(registry):
    store, config = registry
    client = create_app(config, store, _memory(store)).test_client()
    summary = client.get("/v1/reports/summary").get_json()
    assert summary["day"] == "2026-11-30" and summary["verdicts"]["no_route_object"] == 1
    assert {d["day"] for d in summary["daily"]} == {"2026-10-20", *map(str, DAYS)}
    assert summary["members"][data.ALPHA]["stale_origin"] == 1
    member = client.get(f"/v1/reports/member/{data.ALPHA.lower()}").get_json()
    assert {(x["prefix"], x["origin"]): x["verdict"] for x in member["lines"]} == \
        {(p, o): v for (p, o), v in data.EXPECTED_ALPHA.items()}
    assert client.get("/v1/reports/member/MAINT-NOBODY").status_code == 404
    assert client.get("/v1/reports/member/%3Cscript%3E").status_code == 404
    found = client.get("/v1/reports/lookup?q=AS64510").get_json()
    assert found["kind"] == "asn" and len(found["lines"]) == 2
    assert client.get("/v1/reports/lookup?q=nonsense").status_code == 400
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'irr_report_lines{severity="danger",verdict="no_route_object"} 1.0' in metrics
    assert re.search(r'irr_report_lines\{severity="ok",verdict="ok"\} 3\.0', metrics)


def test_irr_report_commands(registry, db_url, tmp_path):
    _store, config = registry
    cfg = tmp_path / "irr.toml"
    cfg.write_text('source_order = ["VNNIC", "APNIC", "RADB"]\n[sources.VNNIC]\nauthoritative = true\n'
                   '[sources.APNIC]\n[sources.RADB]\n[reports]\nexclude_members = ["MAINT-VN-VNNIC"]\n')
    env = {"IRR_DATABASE_URL": db_url, "IRR_CONFIG": str(cfg), "IRR_DATA_DIR": str(tmp_path)}
    text = run_irr("report", "member", data.ALPHA, env=env).stdout
    assert "Routing report for MAINT-VN-ALPHA" in text
    assert "fix: Create a route object for 203.119.5.0/24 with origin AS64500 in VNNIC." in text
    assert "fix: Fix AS64500:AS-CUSTOMERS: remove the loops (AS64500:AS-CUSTOMERS -> AS64500:AS-CUSTOMERS)" in text
    as_json = json.loads(run_irr("report", "member", data.ALPHA, "--json", env=env).stdout)
    assert {(x["prefix"], x["origin"]): x["verdict"] for x in as_json["lines"]} == data.EXPECTED_ALPHA
    lines = tmp_path / "lines.jsonl"
    run = run_irr("report", "run", "--out", str(lines), env=env).stdout
    assert f"{len(data.EXPECTED_ALPHA) + 2} lines" in run and "MAINT-VN-ALPHA" in run
    assert len(lines.read_text().splitlines()) == len(data.EXPECTED_ALPHA) + 2
    prefix = run_irr("report", "lookup", "203.119.65.0/24", env=env).stdout
    assert "held by MAINT-VN-BETA" in prefix and "not by MAINT-VN-ALPHA" in prefix
    missing = run_irr("report", "member", "MAINT-NOBODY", env=env, check=False)
    assert missing.returncode != 0 and "holds no allocation" in missing.stderr


def test_monthly_mail_to_subscribed_members_only(registry, tmp_path):
    store, config = registry
    reports = ReportStore(store.engine)
    settings = Settings.from_config(config)
    assert reports.set_mail(data.ALPHA, True, by="test") and not reports.set_mail(data.ALPHA, True, by="test")
    with SmtpSink() as sink:
        mail_config = sink.configure(config)

        def send(to, subject, body):
            send_mail(mail_config, to, subject, body)

        assert "not before day 5" in send_monthly(reports, settings, 5, send, today=dt.date(2026, 12, 2))
        status = send_monthly(reports, settings, 1, send, today=dt.date(2026, 12, 2), check=_check)
        assert status.startswith("monthly report mail: 1 sent")
        [mail] = sink.wait_for(1)
        assert sorted(mail.rcpt_tos) == ["hostmaster@alpha.example.vn", "noc@alpha.example.vn"]
        assert mail.message["Subject"] == "Routing report for MAINT-VN-ALPHA: 4 to fix now, 6 to clean up"
        assert "fix: Create a route object for 203.119.5.0/24 with origin AS64500 in VNNIC." in mail.text
        assert "203.119.64.0/24" not in mail.text      # Beta's lines are not in Alpha's mail
        # once a month: the same month again sends nothing; the next month does
        assert send_monthly(reports, settings, 1, send, today=dt.date(2026, 12, 20)).startswith(
            "monthly report mail: 0 sent")
        send_monthly(reports, settings, 1, send, today=dt.date(2027, 1, 1))
        assert len(sink.wait_for(2)) == 2
    assert reports.set_mail(data.ALPHA, False, by="test") and reports.mail_members() == []


def test_lookups_and_member_pages_are_bounded(registry):
    """A visitor can't make the server walk the whole table: 0.0.0.0/0 or a large member is refused
    with the reason (here with a limit of 5 prefixes), the command line still answers."""
    store, config = registry
    app = create_app(config, store, _memory(store))
    app.config["IRR_REPORT_MAX_PREFIXES"] = 5
    client = app.test_client()
    answer = client.get("/v1/reports/lookup?q=0.0.0.0/0")
    assert answer.status_code == 400 and "more than 5 prefixes" in answer.get_json()["error"]
    page = client.get("/reports/lookup?q=203.119.0.0/16")
    assert "more than 5 prefixes: look up a longer prefix" in page.get_data(as_text=True)
    assert client.get(f"/v1/reports/member/{data.ALPHA}").status_code == 413
    assert client.get(f"/reports/member/{data.ALPHA}").status_code == 413
    assert client.get(f"/v1/reports/member/{data.BETA}").status_code == 200     # 3 prefixes
    long = client.get("/v1/reports/lookup?q=" + "1" * 5000)
    assert long.status_code == 400
