"""Running the registry's data: `irr db`, `irr load`, `irr mirror`, `irr status`, `irr rpki`,
`irr scope`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from irr.cli.context import Context, pass_obj, run_job
from irr.database import make_engine
from irr.rpki.roas import RoaFormatError
from irr.rpki.validate import load_roas
from irr.store import Store, StoreError, check_source
from irr.store.schema_version import schema_problem
from mirror.download import fetch
from mirror.importer import load_files
from mirror.registry_jobs import load_scope
from mirror.scheduler import run_once


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply database migrations."""
    obj.store.upgrade()
    click.echo("database is up to date")


@click.command()
@click.option("--source", required=True, help="Source to replace, e.g. APNIC.")
@click.option("--serial", type=int, help="Serial of the dump (default: a <SOURCE>.CURRENTSERIAL file beside it).")
@click.option("--workers", type=int, help="Parser processes (default: one per CPU).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@pass_obj
def load(obj: Context, source: str, serial: int | None, workers: int | None, quiet: bool, files: tuple[str]) -> None:
    """Replace SOURCE with the objects in FILES (plain or .gz dumps), all or nothing."""
    source = source.upper()
    try:
        check_source(source)
    except StoreError as e:
        raise click.BadParameter(str(e), param_hint="--source") from None
    obj.store.upgrade()
    try:
        report = load_files(obj.store, source, files, serial=serial, workers=workers,
                            progress=not quiet and sys.stderr.isatty())
    except (StoreError, FileNotFoundError, ValueError) as e:
        obj.store.record_error(source, str(e))
        raise click.ClickException(f"load of {source} failed, nothing was changed: {e}") from None
    click.echo(report.summary())


@click.command()
@click.argument("source")
@click.option("--force", is_flag=True,
              help="Reload everything (dumps, or the NRTMv4 snapshot) even when the serial has not changed.")
@pass_obj
def mirror(obj: Context, source: str, force: bool) -> None:
    """Run one cycle of SOURCE's mirroring (import, NRTM poll, export, NRTMv4 publication) by hand."""
    obj.store.upgrade()
    try:
        for status in run_once(obj.config, obj.store, source.upper(), force=force,
                               progress=sys.stderr.isatty()):
            click.echo(status)
    except Exception as e:
        raise click.ClickException(f"{source.upper()}: {e}") from None


@click.command()
@pass_obj
def status(obj: Context) -> None:
    """Sources (serial, objects, last success, last error), ROAs and scope at a glance (reads
    only: no migration, so it also runs against a replica)."""
    if not obj.config.database_url and obj.config.readonly_url:  # a query front end: its replica

        store = Store(make_engine(obj.config.readonly_url))
    else:
        store = obj.store
    problem = schema_problem(store.engine)
    if problem:
        raise click.ClickException(problem)
    counts = store.counts()
    click.echo(f"{'source':<14}{'type':<14}{'serials':>21}{'objects':>11}  last success          last error")
    for row in store.sources():
        cfg = obj.config.source(row.name)
        kind = "authoritative" if cfg.authoritative else (
            "nrtm3" if cfg.nrtm_host else "nrtm4" if cfg.nrtm4_url else "dumps" if cfg.dump_urls else "loaded")
        success = f"{row.last_success:%Y-%m-%d %H:%M:%S}" if row.last_success else "-"
        click.echo(f"{row.name:<14}{kind:<14}{row.serial_range or '-':>21}"
                   f"{sum(counts.get(row.name, {}).values()):>11}  {success:<21} {(row.last_error or '')[:60]}")
    summary = store.security_summary()
    click.echo(f"\nROAs loaded: {summary['roas']:,}; scope entries: {summary['scope_entries']:,}")
    for source in sorted(set(summary["rpki"]) | set(summary["out_of_scope"])):
        states = summary["rpki"].get(source, {})
        click.echo(f"{source:<14}routes " + ", ".join(f"{n:,} {state}" for state, n in sorted(states.items()))
                   + f"; {summary['out_of_scope'].get(source, 0):,} objects out of scope")
    for job in store.jobs():
        success = f"{job.last_success:%Y-%m-%d %H:%M:%S}" if job.last_success else "never"
        click.echo(f"{job.name} job: last success {success} ({job.last_status or '-'})"
                   + (f"; last error {job.last_error_at:%Y-%m-%d %H:%M:%S}: {job.last_error[:80]}"
                      if job.last_error else ""))


@click.group()
def rpki() -> None:
    """RPKI route origin validation."""


@rpki.command("load")
@click.argument("location")
@pass_obj
def rpki_load(obj: Context, location: str) -> None:
    """Load validated ROAs from a file or URL (rpki-client json, Routinator jsonext, RIPE validator
    export, CSV) and validate every route again."""
    def load() -> str:
        data = fetch(location) if "://" in location else Path(location).read_bytes()
        return load_roas(obj.config, obj.store, data)

    run_job(obj, "roas", load, (OSError, ValueError, RoaFormatError), "ROAs not loaded, nothing changed")


@click.group()
def scope() -> None:
    """The NIR's resources: authoritative objects outside them are refused."""


@scope.command("load")
@pass_obj
def scope_load(obj: Context) -> None:
    """Load the configured scope ([scope]: delegated_url + country or registry, prefixes, asns)."""
    if not obj.config.scope_configured:
        raise click.ClickException("no [scope] in the configuration (delegated_url, prefixes or asns)")
    run_job(obj, "scope", lambda: load_scope(obj.config, obj.store), (OSError, ValueError), "scope not changed")
