"""The `irr` command loads each subcommand's module only when it runs (irr.cli.COMMANDS): `irr
check` starts with the RPSL library alone, `irr submit` (run by the MTA for each mail) without
the web server, and every command is still there."""
from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from irr.cli import COMMANDS, cli

PROBE = """
import json, sys
from irr.cli import main
sys.argv = ["irr", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

HEAVY = ("sqlalchemy", "alembic", "psycopg", "flask", "waitress", "gnupg", "irr.store", "irr.config", "rpsl.generate")


def loaded(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    return proc, set(json.loads(proc.stderr.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_check_starts_with_the_rpsl_library_only(tmp_path):
    path = tmp_path / "objects.db"
    path.write_text("as-set:         AS65537:AS-CUSTOMERS\ndescr:          Customers\n"
                    "members:        AS65538, AS65539\n"
                    "tech-c:         AB1-AP\nadmin-c:        AB1-AP\nmnt-by:         MAINT-EXAMPLE\n"
                    "last-modified:  2024-05-01T00:00:00Z\nsource:         APNIC\n")
    proc, modules = loaded("check", "--strict", str(path))
    assert "1 objects checked (strict), 0 with errors" in proc.stdout
    assert heavy(modules) == []
    assert sorted(m for m in modules if m.split(".")[0] == "irr") == ["irr", "irr.cli", "irr.cli.check",
                                                                      "irr.redaction"]


def test_submit_starts_without_the_web_server():
    proc, modules = loaded("submit", "--help")
    assert "Process an e-mail submission" in proc.stdout
    assert "irr.updates.service" in modules
    assert not [m for m in modules if m.split(".")[0] in ("flask", "waitress") or m.startswith("irr.web")]


def test_every_command_is_listed_and_loads():
    group_ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(group_ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert cli.get_command(group_ctx, "no-such-command") is None
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1]
    assert [line.split()[0] for line in listed.strip().splitlines()] == sorted(COMMANDS)


def test_a_bad_configuration_is_named_by_the_command_that_reads_it(tmp_path):
    config = tmp_path / "irr.toml"
    config.write_text("[whois\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert result.exit_code == 1 and str(config) in result.output
