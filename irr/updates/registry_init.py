"""`irr init`: the first objects of a registry, through the one update pipeline.

A fresh authoritative source has no maintainer, so nobody could authorise the first one: the
hostmaster mntner, its person and the registry's irt are created with a one-time staff override
that exists only inside this process (its hash is in no file; the journal says `irr init`). The
registry's own top-level objects from an RIR's delegated-extended statistics are then created
like any hostmaster change: with the hostmaster's password, against the stored mntner.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import secrets
from dataclasses import dataclass

import bcrypt

from irr.auth.passwords import hash_password
from irr.config import Config
from irr.rpki.scope import ScopeEntry, parse_delegated
from irr.updates.pipeline import Outcome
from irr.updates.service import build_pipeline
from irr.updates.submission import from_texts

# delegated-extended status -> the status of the registry's inetnum/inet6num
DELEGATED_STATUS = {"allocated": "ALLOCATED PORTABLE", "assigned": "ASSIGNED PORTABLE"}
MAX_DELEGATED_OBJECTS = 20000   # a country's records are a few thousand; more is the wrong file


class InitError(Exception):
    """`irr init` can't run (already done, bad settings); nothing was changed."""


class AlreadyInitialised(InitError):
    """The source has a registry maintainer already."""


@dataclass(frozen=True)
class Hostmaster:
    """Who the registry's hostmasters are: one mntner, one person, the registry's irt."""

    source: str
    maintainer: str
    person: str
    nic_hdl: str
    email: str
    phone: str
    address: tuple[str, ...]
    country: str
    irt: str


def _lines(*pairs: tuple[str, str]) -> str:
    return "".join(f"{name + ':':<16}{value}\n" for name, value in pairs)


def bootstrap_texts(h: Hostmaster, auth_line: str) -> list[str]:
    """The mntner, its person and the irt (APNIC makes mnt-irt mandatory on inetnum/inet6num)."""
    return [
        _lines(("mntner", h.maintainer), ("descr", f"Hostmasters of {h.source}"), ("country", h.country),
               ("admin-c", h.nic_hdl), ("tech-c", h.nic_hdl), ("upd-to", h.email), ("mnt-nfy", h.email),
               ("auth", auth_line), ("mnt-by", h.maintainer), ("referral-by", h.maintainer), ("source", h.source)),
        _lines(("person", h.person), *(("address", a) for a in h.address), ("country", h.country),
               ("phone", h.phone), ("e-mail", h.email), ("nic-hdl", h.nic_hdl), ("mnt-by", h.maintainer),
               ("source", h.source)),
        _lines(("irt", h.irt), *(("address", a) for a in h.address), ("e-mail", h.email),
               ("abuse-mailbox", h.email), ("admin-c", h.nic_hdl), ("tech-c", h.nic_hdl), ("auth", auth_line),
               ("mnt-by", h.maintainer), ("source", h.source)),
    ]


def preflight(config: Config, store, h: Hostmaster) -> None:
    """Raise InitError when `irr init` can't run: asked before the password is."""
    if h.maintainer not in config.registry_maintainers:
        raise InitError(f"{h.maintainer} is not in [auth] registry_maintainers of the configuration: add it "
                        "there first, so that the registry's rules know its hostmasters")
    source = config.sources.get(h.source)
    if source is None or not source.authoritative:
        raise InitError(f"source {h.source} is not an authoritative source of the configuration "
                        f"([sources.{h.source}] authoritative = true)")
    existing = [m for m in config.registry_maintainers if store.get(h.source, "mntner", m) is not None]
    if existing:
        raise AlreadyInitialised(f"{h.source} is already initialised: {', '.join(existing)} exists; nothing was "
                                 "changed (hostmasters change their objects like any maintainer does)")
    taken = [f"[{cls}] {pk}" for cls, pk in (("person", h.nic_hdl), ("role", h.nic_hdl), ("irt", h.irt))
             if store.get(h.source, cls, pk) is not None]
    if taken:
        raise InitError(f"{', '.join(taken)} already exists in {h.source}: choose other names; nothing was changed")


def bootstrap(config: Config, store, h: Hostmaster, password: str) -> Outcome:
    """Create the hostmaster's mntner, person and irt; refuse when the registry already has one."""
    preflight(config, store, h)
    try:
        auth_line = hash_password(password)
    except ValueError as e:
        raise InitError(str(e)) from None
    once = secrets.token_urlsafe(32)
    hashed = bcrypt.hashpw(once.encode(), bcrypt.gensalt(rounds=4)).decode()
    pipeline = build_pipeline(dataclasses.replace(config, override_hash=hashed), store, notify=False)
    return _all_or_nothing(pipeline, bootstrap_texts(h, auth_line), "cli irr init", override=once)


def _all_or_nothing(pipeline, texts: list[str], origin: str, password: str | None = None,
                    override: str | None = None) -> Outcome:
    """A dry run first: when any object would be refused, that outcome (`dry_run` set) and
    nothing written; else the real submission."""
    def submission(dry_run: bool):
        sub = from_texts([("\n".join(texts), frozenset())], {"irr": origin})
        sub.passwords.extend([password] if password else [])
        sub.override, sub.dry_run = override, dry_run
        return sub

    trial = pipeline.process(submission(True), origin)
    return trial if not trial.successful else pipeline.process(submission(False), origin)


def delegated_texts(h: Hostmaster, entries: list[ScopeEntry]) -> list[str]:
    """The registry's top-level inetnum, inet6num and as-block objects for delegated records."""
    texts = []
    common = (("admin-c", h.nic_hdl), ("tech-c", h.nic_hdl))
    for e in entries:
        descr = ("descr", f"Delegated to {h.country} by the RIR ({e.origin}|{e.status})")
        if e.asn_first is not None:
            texts.append(_lines(("as-block", f"AS{e.asn_first} - AS{e.asn_last}"), descr, *common,
                                ("mnt-lower", h.maintainer), ("mnt-by", h.maintainer), ("source", h.source)))
            continue
        status = DELEGATED_STATUS.get(e.status)
        if status is None:
            continue
        if ":" in e.first_address:
            [net] = ipaddress.summarize_address_range(ipaddress.IPv6Address(e.first_address),
                                                      ipaddress.IPv6Address(e.last_address))
            cls, key = "inet6num", str(net)
        else:
            cls, key = "inetnum", f"{e.first_address} - {e.last_address}"
        texts.append(_lines((cls, key), ("netname", f"{h.source}-{h.country}"), descr, ("country", h.country),
                            *common, ("status", status), ("mnt-by", h.maintainer), ("mnt-lower", h.maintainer),
                            ("mnt-routes", h.maintainer), ("mnt-irt", h.irt), ("source", h.source)))
    return texts


def import_delegated(config: Config, store, h: Hostmaster, password: str, text: str, country: str) -> Outcome:
    """Create the country's delegated resources as the registry's objects, authorised by the
    hostmaster's password (a normal submission: strict validation, registry rules, journal), all
    or none."""
    entries = parse_delegated(text, country=country)
    if not entries:
        raise InitError(f"no allocated or assigned resources of country {country.upper()} in the delegated file")
    if len(entries) > MAX_DELEGATED_OBJECTS:
        raise InitError(f"{len(entries)} records for {country.upper()}: more than {MAX_DELEGATED_OBJECTS}; is it "
                        "the right file?")
    return _all_or_nothing(build_pipeline(config, store, notify=False), delegated_texts(h, entries),
                           "cli irr init --from-delegated", password=password)
