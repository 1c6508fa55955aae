"""Router filters and set health from the command line: `irr export`, `irr lint`."""
from __future__ import annotations

import json
import sys

import click

from irr.cli.context import Context, pass_obj
from irr.filters.generate import generate as bgpq4
from irr.filters.health import check as filter_health
from irr.filters.options import AS_PATH_FORMATS, FORMATS
from irr.query.memory import RoutingMemory
from irr.query.sets import Limits, SetLimitError


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


@click.group()
def export() -> None:
    """Router filters from the registry, byte-identical to bgpq4's (same flags: -4 -6 -A -l -m -R -r -p ...)."""


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_interspersed_args": False}


@export.command("prefix-set", context_settings=_PASS_THROUGH)
@click.option("--format", "fmt", default="cisco", help="cisco, cisco-xr, juniper, juniper-route-filter, bird, "
              "openbgpd, json, nokia, nokia-classic, srlinux, arista, mikrotik, mikrotik7, huawei, huawei-xpl.")
@click.option("--source", "-S", "sources", multiple=True, help="Sources, in priority order (-S A,B or -S A -S B).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, required=True)
@pass_obj
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
@pass_obj
def export_as_path(obj: Context, fmt: str, sources: tuple[str, ...], args: tuple[str, ...]) -> None:
    """AS-path filter: irr export as-path -f 64500 -l NAME AS-FOO (bgpq4's -f/-G/-H)."""
    if fmt not in AS_PATH_FORMATS:
        raise click.BadParameter(f"unknown format (known: {', '.join(AS_PATH_FORMATS)})", param_hint="--format")
    if not any(a in ("-f", "-G", "-H", "-a", "-t") for a in args):
        raise click.UsageError("give -f <your AS number> (or -G/-H/-a/-t, as with bgpq4)")
    output, rc = bgpq4(_view(obj, sources), [*AS_PATH_FORMATS[fmt], *args])
    click.echo(output, nl=False)
    sys.exit(rc)


@click.group()
def lint() -> None:
    """Health checks of registry data."""


@lint.command("as-set")
@click.argument("name")
@click.option("--source", "-S", "sources", multiple=True, help="Sources, in priority order (-S A,B or -S A -S B).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@pass_obj
def lint_as_set(obj: Context, name: str, sources: tuple[str, ...], as_json: bool) -> None:
    """Depth, sizes, cycles, missing members and largest contributors of an as-set."""
    try:
        report = filter_health(_view(obj, sources), name)
    except SetLimitError as e:
        raise click.ClickException(f"too large: {e}") from None
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.text(), nl=as_json)
    if not report.exists:
        sys.exit(1)
