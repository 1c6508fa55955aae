"""RFC 9082 searches (`ips?name=`, `autnums?handle=`, `entities?fn=`, `domains?name=` ...): which
parameters each search takes, what a pattern may be (a value, or a value and one trailing `*`),
and the bounded result list with its `truncated` notice (RFC 9083 section 4.3)."""
from __future__ import annotations

from dataclasses import dataclass

from irr.rdap.common import RdapError
from irr.store.registration import PK

MAX_PATTERN = 255
MIN_PREFIX = 2  # characters before a `*`: `*` or `A*` alone would ask for everything


@dataclass(frozen=True)
class Pattern:
    value: str
    prefix: bool  # the value ended in `*`: anything may follow


@dataclass(frozen=True)
class Search:
    """One search: its result member, and per parameter the (classes, store terms) it looks in."""

    member: str
    parameters: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]


NETWORKS = ("inetnum", "inet6num")
SEARCHES = {
    "ips": Search("ipSearchResults", {
        "handle": ((NETWORKS, (PK,)),),
        "name": ((NETWORKS, ("lookup:netname",)),),
    }),
    "autnums": Search("autnumSearchResults", {
        "handle": ((("aut-num",), (PK,)),),
        "name": ((("aut-num",), ("text:as-name",)),),
    }),
    "entities": Search("entitySearchResults", {
        "handle": ((("person", "role", "organisation", "irt", "mntner"), (PK,)),),
        "fn": ((("person", "role", "organisation"), ("lookup:person", "lookup:role", "lookup:org-name")),
               (("irt", "mntner"), (PK,))),
    }),
    "domains": Search("domainSearchResults", {
        "name": ((("domain",), (PK,)),),
    }),
}


def pattern(text: str) -> Pattern:
    """A search pattern: 400 when it is no pattern at all, 422 for partial matches other than one
    trailing `*` after at least MIN_PREFIX characters (RFC 7480 section 5.4)."""
    if not text.strip():
        raise RdapError(400, "The search pattern is empty.")
    if len(text) > MAX_PATTERN or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise RdapError(400, f"The search pattern must be at most {MAX_PATTERN} printable characters.")
    value = text.strip()
    star = value.count("*")
    if star == 0:
        return Pattern(value, False)
    if star > 1 or not value.endswith("*"):
        raise RdapError(422, "Only a trailing * is supported in search patterns (e.g. name=VNNIC*).")
    stem = value[:-1].strip()
    if len(stem) < MIN_PREFIX:
        raise RdapError(422, f"A search pattern needs at least {MIN_PREFIX} characters before its *.")
    return Pattern(stem, True)


def parameter(kind: str, args: dict[str, str]) -> tuple[str, Pattern]:
    """The one search parameter of the request and its pattern (400 when there is none, or more)."""
    search = SEARCHES[kind]
    given = [p for p in search.parameters if p in args]
    if len(given) != 1:
        names = " or ".join(f"{p}=" for p in search.parameters)
        raise RdapError(400, f"A {kind} search takes exactly one of {names}.")
    return given[0], pattern(args[given[0]])


def truncated_notice(limit: int) -> dict:
    return {"title": "Search results truncated", "type": "result set truncated due to unexplainable reasons",
            "description": [f"Only the first {limit} results are shown; make the search more specific."]}
