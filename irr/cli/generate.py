"""`irr generate-dump`: the deterministic test data of rpsl.generate (no configuration, no
database)."""
from __future__ import annotations

import click

from rpsl.generate import Options, generate


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
