"""`irr check` and `irr generate-dump`: RPSL files without a registry (the RPSL library only:
no configuration, no database)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rpsl.checkfile import Checked, check_file
from rpsl.generate import Options, generate
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


@click.command("generate-dump")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--scale", type=int, default=10_000, show_default=True, help="Number of objects.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Dump file to write.")
@click.option("--serial-journal", type=click.Path(dir_okay=False), help="Also write an NRTMv3 journal here.")
@click.option("--journal-ops", type=int, help="Journal operations (default scale/100, at least 100).")
@click.option("--serial-start", type=int, help="First journal serial (default 10000001).")
@click.option("--oddity-rate", type=float, default=0.002, show_default=True,
              help="Share of objects with a formatting quirk (0 for a clean dump).")
@click.option("--known-password-mntners", type=int, default=8, show_default=True,
              help="Maintainers with real hashes of a known password (see rpsl.generate).")
@click.option("--source", default="APNIC", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Processes rendering members.")
@click.option("--quiet", "-q", is_flag=True)
def generate_dump(seed: int, scale: int, out: str, serial_journal: str | None, journal_ops: int | None,
                  serial_start: int | None, oddity_rate: float, known_password_mntners: int, source: str,
                  workers: int, quiet: bool) -> None:
    """Write a deterministic APNIC-like dump of test data (same options, same bytes)."""
    options = Options(seed, scale, oddity_rate, known_password_mntners, source.upper(), journal_ops, serial_start)
    try:
        summary = generate(out, options, serial_journal, workers)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    if not quiet:
        click.echo(f"{out}: {summary.objects} objects ({summary.members} members) in {summary.seconds:.1f} s")
        for cls, n in sorted(summary.counts.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {cls:<14}{n:>9}")
        if serial_journal:
            click.echo(f"{serial_journal}: {summary.journal_ops} NRTMv3 operations")
