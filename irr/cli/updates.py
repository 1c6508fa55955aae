"""Changing the registry from the command line: `irr submit` (what the MTA pipes mail to),
`irr init` (the hostmasters' first objects), `irr hash-password`."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from irr.auth.passwords import hash_password
from irr.cli.context import Context, pass_obj
from irr.updates import registry_init as init_
from irr.updates.mail import MAX_MESSAGE_SIZE
from irr.updates.service import handle_email


@click.command()
@click.option("--no-reply", is_flag=True, help="Print the acknowledgement instead of mailing it.")
@pass_obj
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


@click.command("init")
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
@pass_obj
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


@click.command("hash-password")
def hash_password_command() -> None:
    """Ask for a password and print its bcrypt hash: for `auth: BCRYPT-PW <hash>` lines and
    [auth] override_password_hash."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        click.echo(hash_password(password).split(" ", 1)[1])
    except ValueError as e:
        raise click.ClickException(str(e)) from None
