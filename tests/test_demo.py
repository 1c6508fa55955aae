"""The Quick start demo: `irr serve` as `./run.sh serve` runs it (no configuration, an embedded
PostgreSQL in a fresh data directory) prints the member's password; with it a newcomer creates a
route in the web form (Chromium), by the API and by `irr submit`, as README.md shows them."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

from tests.conftest import REPO, free_port
from tests.terminal_helpers import readme_block
from tests.web_helpers import CHROMIUM, CHROMIUM_ARGS

PASSWORD_LINE = re.compile(r"^irr: demo: source DEMO can be changed; member maintainer MAINT-VN-DEMO, password: (\S+)$",
                           re.M)


def start(env: dict[str, str], port: int, whois_port: int) -> tuple[subprocess.Popen, str]:
    """`irr serve` (what run.sh execs, with the ports moved); the lines it printed until HTTP is up."""
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "serve", "--http-port", str(port), "--whois-port",
                             str(whois_port)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "HTTP on" in line or not line:
            break
    return proc, "".join(lines)


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def readme_command(section_block: int, env: dict[str, str], port: int) -> str:
    """A command of README's demo section, verbatim but for the HTTP port."""
    script = readme_block("Change something: the demo registry", section_block).replace(
        "127.0.0.1:8080", f"127.0.0.1:{port}")
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_quick_start_demo_can_be_changed_three_ways(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRR_")}
    env["IRR_DATA_DIR"] = str(tmp_path / "data")   # run.sh uses the default data directory
    port, whois_port = free_port(), free_port()
    proc, printed = start(env, port, whois_port)
    try:
        assert "HTTP on" in printed, printed
        password = PASSWORD_LINE.search(printed).group(1)
        assert len(password) >= 16
        assert oct((tmp_path / "data" / "demo-password").stat().st_mode & 0o777) == "0o600"
        base = f"http://127.0.0.1:{port}"

        # the web form, filled in as README says
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(locale="en-US", java_script_enabled=False).new_page()
            page.set_default_timeout(15000)
            page.goto(base + "/create/route")
            for name, value in (("route", "192.0.2.0/25"), ("descr", "Demo prefix"), ("origin", "AS64500"),
                                ("mnt-by", "MAINT-VN-DEMO")):
                page.locator("div.row").filter(has=page.locator(f"input[name=attr][value='{name}']")).first.locator(
                    "[name=value]").fill(value)
            assert page.locator("div.row").filter(has=page.locator("input[name=attr][value='source']")).locator(
                "[name=value]").input_value() == "DEMO"
            page.fill("#password-1", password)
            with page.expect_navigation():
                page.click("#submit")
            assert "Object created" in page.inner_text(".flash"), page.inner_text("body")
            browser.close()

        # the API and `irr submit`, README's commands
        answer = json.loads(readme_command(0, {**env, "PW": password}, port))
        assert answer["summary"]["successful"] == 1, answer
        acknowledgement = readme_command(1, {**env, "PW": password}, port)
        assert acknowledgement.startswith("Subject: SUCCESS: our IPv6 route"), acknowledgement
        assert password not in acknowledgement

        # the registry's rules hold in the demo too
        claim = ("inetnum: 203.0.113.0 - 203.0.113.255\nnetname: MINE\ndescr: Mine\ncountry: VN\nadmin-c: NVA1-DEMO\n"
                 "tech-c: NVA1-DEMO\nstatus: ALLOCATED PORTABLE\nmnt-by: MAINT-VN-DEMO\nmnt-irt: IRT-DEMO-VN\n"
                 "source: DEMO\n")
        request = urllib.request.Request(base + "/v1/submit/", data=json.dumps(
            {"objects": [{"object_text": claim}], "passwords": [password]}).encode(),
            headers={"Content-Type": "application/json"})
        [result] = json.load(urllib.request.urlopen(request, timeout=30))["objects"]
        assert not result["successful"] and any('rule "top-level-address-space"' in e for e in result["error_messages"])
        whois = subprocess.run(["whois", "-h", "127.0.0.1", "-p", str(whois_port), "!gAS64500"], capture_output=True,
                               text=True, timeout=30).stdout
        assert "192.0.2.0/25" in whois and "192.0.2.128/25" in whois, whois
    finally:
        stop(proc)

    # the next start prints the same password and loads nothing
    proc, printed = start(env, port, whois_port)
    try:
        assert PASSWORD_LINE.search(printed).group(1) == password and "loaded demo data" not in printed
    finally:
        stop(proc)
