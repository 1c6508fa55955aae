"""What an operator installs: the systemd unit and system user (checked by systemd's own tools on a
scratch root, so no running systemd is needed), and the WSGI entry point under waitress-serve."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO, free_port, run_irr

UNIT = REPO / "deploy" / "systemd" / "irr.service"
SYSUSERS = REPO / "deploy" / "sysusers.d" / "irr.conf"


def _settings(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _scratch_root(tmp_path: Path) -> Path:
    """A root with systemd's own units, ours in /etc/systemd/system and the ExecStart program."""
    units = [p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()]
    assert units and shutil.which("systemd-analyze"), "Debian's systemd package is needed (./run.sh test installs it)"
    root = tmp_path / "root"
    shutil.copytree(units[0], root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc" / "systemd" / "system" / UNIT.name)
    program = Path(shlex.split(_settings(UNIT)["ExecStart"][0])[0])
    target = root / program.relative_to("/")
    target.parent.mkdir(parents=True)
    shutil.copy(Path(sys.executable).parent / "irr", target)   # the console script pip installs
    return root


def test_systemd_unit_passes_systemd_analyze_verify_and_security(tmp_path):
    root = _scratch_root(tmp_path)
    verify = subprocess.run(["systemd-analyze", "verify", f"--root={root}", UNIT.name],
                            capture_output=True, text=True, cwd=tmp_path)
    assert verify.returncode == 0 and not verify.stdout.strip() and not verify.stderr.strip(), verify
    # systemd's exposure score (0 safest, 10 unsafe): hardened, not just valid
    security = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}", "--threshold=20",
                               UNIT.name], capture_output=True, text=True, cwd=tmp_path)
    assert security.returncode == 0, security.stdout[-3000:] + security.stderr
    assert "Overall exposure level for irr.service: 1." in security.stdout


def test_systemd_unit_runs_irr_serve_on_port_43_as_its_own_user_without_timers(tmp_path):
    settings = _settings(UNIT)
    argv = shlex.split(settings["ExecStart"][0])
    assert argv[1:3] == ["serve", "--no-demo"] and "--whois-port" in argv and argv[argv.index("--whois-port") + 1] == "43"
    assert settings["User"] == ["irr"] and settings["Group"] == ["irr"]
    assert settings["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert settings["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert settings["NoNewPrivileges"] == ["yes"]
    assert not list((REPO / "deploy").rglob("*.timer")), "irr serve runs the jobs: no timers"
    # the options the unit passes exist (click refuses unknown ones before --help)
    assert "--whois-port" in run_irr(*argv[1:], "--help").stdout
    # the system user it names: systemd-sysusers accepts the file and would create `irr`
    root = tmp_path / "sysroot"
    (root / "etc" / "sysusers.d").mkdir(parents=True)
    shutil.copy(SYSUSERS, root / "etc" / "sysusers.d" / SYSUSERS.name)
    users = subprocess.run(["systemd-sysusers", f"--root={root}", "--dry-run"], capture_output=True, text=True)
    assert users.returncode == 0, users.stderr
    assert "Creating user 'irr'" in users.stdout + users.stderr


def test_wsgi_entry_point_under_waitress_serve(db_url, tmp_path):
    """The README's line for another WSGI server: waitress-serve (installed with irr) with wsgi:app."""
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    port = free_port()
    env = dict(os.environ, IRR_CONFIG=str(config), IRR_DATA_DIR=str(tmp_path / "data"))
    env.pop("IRR_DATABASE_URL", None)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "waitress-serve"), f"--listen=127.0.0.1:{port}",
                             "wsgi:app"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
                    assert response.status == 200
                    assert b'"database":"primary"' in response.read().replace(b" ", b"")
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(20)
