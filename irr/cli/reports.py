"""`irr bgp` and `irr report`: the BGP table and the routing hygiene reports from the command line."""
from __future__ import annotations

import contextlib
import getpass
import json
import sys

import click

from irr.bgp import BgpTableError
from irr.cli.context import Context, pass_obj, run_job
from irr.reports.inputs import Settings
from irr.reports.mail import send_monthly
from irr.reports.report import lookup, member_report, registry_run
from irr.reports.text import lookup_text, member_text, summary_text
from irr.smtp import send_mail
from irr.store.reports import ReportStore
from mirror.report_jobs import as_set_checker, load_bgp_location


@click.group()
def bgp() -> None:
    """What is announced: the BGP table the reports compare the registry with."""


@bgp.command("load")
@click.argument("location")
@pass_obj
def bgp_load(obj: Context, location: str) -> None:
    """Load a BGP table from a file or URL: an MRT RIB dump (RIS bview, RouteViews rib; plain, .gz,
    .bz2), `bgpdump -m` output or a prefix-to-origin table (CAIDA pfx2as). All or nothing."""
    run_job(obj, "bgp", lambda: load_bgp_location(obj.config, obj.store, location), (OSError, BgpTableError),
            "BGP table not loaded, nothing changed")


@click.group()
def report() -> None:
    """Routing hygiene: what each member should fix in its route objects, ROAs and announcements."""


def _check(obj: Context):
    return as_set_checker(obj.config, obj.store)


@report.command("member")
@click.argument("member")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@pass_obj
def report_member(obj: Context, member: str, as_json: bool) -> None:
    """The report of one member: a maintainer (MAINT-...) or an organisation (ORG-...)."""
    found = member_report(ReportStore(obj.store.engine), Settings.from_config(obj.config), member, _check(obj))
    if not found.holdings and not found.asns and not found.lines:
        raise click.ClickException(f"{member.upper()} holds no allocation or AS number and maintains no route "
                                   f"object in {', '.join(Settings.from_config(obj.config).sources) or '-'}")
    click.echo(json.dumps(found.as_dict(), indent=2) if as_json else member_text(found), nl=as_json)


@report.command("lookup")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@pass_obj
def report_lookup(obj: Context, query: str, as_json: bool) -> None:
    """Everything known about a prefix or address, an AS number or an as-set."""
    found = lookup(ReportStore(obj.store.engine), Settings.from_config(obj.config), query, _check(obj))
    click.echo(json.dumps(found.as_dict(), indent=2) if as_json else lookup_text(found), nl=as_json)
    if found.error:
        sys.exit(1)


@report.command("run")
@click.option("--out", type=click.Path(dir_okay=False), help="Write every line (JSON lines) to this file.")
@click.option("--no-record", is_flag=True, help="Do not keep today's counts.")
@click.option("--json", "as_json", is_flag=True, help="The counts as JSON.")
@pass_obj
def report_run(obj: Context, out: str | None, no_record: bool, as_json: bool) -> None:
    """The registry-wide report: every member's lines, counts per verdict and per member (kept per day)."""
    obj.store.upgrade()
    settings = Settings.from_config(obj.config)
    with open(out, "w") if out else contextlib.nullcontext() as f:
        result = registry_run(ReportStore(obj.store.engine), settings, out=f, check=_check(obj),
                              record=not no_record)
    if not no_record:
        obj.store.record_job("reports", status=result.summary())
    if as_json:
        click.echo(json.dumps({"day": str(result.day), "registry": dict(result.registry),
                               "members": {m: dict(c) for m, c in result.members.items()}}, indent=2))
    else:
        click.echo(summary_text(result), nl=False)


@report.command("mail")
@click.argument("member", required=False)
@click.option("--on/--off", "enabled", default=None, help="Start or stop the member's monthly mail.")
@click.option("--send", is_flag=True, help="Send the mails that are due now (all subscribed members).")
@click.option("--force", is_flag=True, help="With --send: send to every subscribed member, due or not.")
@pass_obj
def report_mail(obj: Context, member: str | None, enabled: bool | None, send: bool, force: bool) -> None:
    """The opt-in monthly mail: `irr report mail MAINT-X --on` subscribes a member (the operator
    records who asked), `--off` stops it, no option lists the subscriptions."""
    obj.store.upgrade()
    reports = ReportStore(obj.store.engine)
    if member and enabled is not None:
        changed = reports.set_mail(member.upper(), enabled, by=f"irr report mail ({getpass.getuser()})")
        click.echo(f"{member.upper()}: monthly report mail {'on' if enabled else 'off'}"
                   + ("" if changed else " (unchanged)"))
    if send:
        mail_day = int((obj.config.reports or {}).get("mail_day", 1))
        click.echo(send_monthly(reports, Settings.from_config(obj.config), mail_day,
                                lambda to, subject, body: send_mail(obj.config, to, subject, body),
                                check=_check(obj), force=force))
    if not send and enabled is None:
        for row in reports.mail_members():
            click.echo(f"{row.member:<28} since {row.enabled_at:%Y-%m-%d} by {row.enabled_by}; last sent "
                       f"{row.last_sent or 'never'}")

