"""`irr check`: RPSL files validated without a registry (the RPSL library only: no
configuration, no database)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rpsl.checkfile import Checked, check_file
from rpsl.reader import InputError


@click.command()
@click.option("--strict", is_flag=True, help="Validate every attribute (authoritative data).")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, allow_dash=True))
def check(strict: bool, files: tuple[str]) -> None:
    """Validate FILES (plain or .gz, - for stdin) without writing anything; print every error."""
    total = Checked()
    unread = 0
    for name in files:
        try:
            for checked in check_file(sys.stdin.buffer if name == "-" else Path(name), strict):
                for line in checked.lines:
                    click.echo(f"{name}:{line}")
                total.add(Checked(counts=checked.counts, bad=checked.bad))
        except InputError as e:  # truncated or corrupt gzip: say which file and where it stopped
            click.echo(f"{e}; the rest of it was not checked", err=True)
            unread += 1
    click.echo(f"{sum(total.counts.values())} objects checked ({'strict' if strict else 'lenient'}), "
               f"{total.bad} with errors"
               + (f", {unread} file{'s' if unread > 1 else ''} not read to the end" if unread else ""))
    if total.bad or unread:
        sys.exit(1)
