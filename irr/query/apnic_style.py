"""RIPE-style answers laid out as APNIC's whois lays them out (`[whois] style = "apnic"`).

Facts from APNIC's whois (github APNIC-net/whois, the RIPE NCC software APNIC runs, and real
whois.apnic.net answers); no code carries over:
- every answer starts with `% [whois.apnic.net]` (here: the configured server name) and the
  copyright terms line, and ends with `% This query was served by the ... Whois Service version
  ... (host)`; every message and object is followed by a blank line, the answer by one more;
- each object found opens a group, `% Information related to '<key>'`, then for an inetnum,
  inet6num or aut-num `% Abuse contact for '<key>' is '<mailbox>'`, the object, and the objects it
  references (irr.query.related) ordered by class (APNIC's order) then key; `-r` drops those,
  `-G` lists them once after all objects, `-c` adds the irt of the nearest covering range;
- objects of one source come in APNIC's class order (as-block before aut-num, inetnum before
  route); attribute values start at column 16 and every `auth:` reads `# Filtered`; e-mail is
  not filtered (APNIC's default), `-B` is accepted;
- `-b` shows only `inetnum:` and `abuse-mailbox:` (and the abuse-mailbox of the irts found), `-K`
  only primary keys, after APNIC's note; `-d` adds reverse domains; `-m`/`-M` are one level / all
  levels more specific (exact excluded); `-v` is the verbose template;
- errors are APNIC's numbered texts (`%ERROR:101: no entries found` ...).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from irr import version
from irr.query.related import ABUSE_CLASSES, APNIC_ORDER, Related, attributes, first
from irr.query.ripe_info import q_text, ripe_template, verbose, versions
from irr.query.ripe_parse import (
    FILTER_FLAGS,
    FLAG_NAMES,
    LIST_VERSIONS,
    MODES,
    SHOW_VERSION,
    Query,
    QueryError,
    apply_state,
    check,
    parse_query,
)
from irr.query.ripe_search import allowed, free_text, is_address, reverse_domains, unique, zone_key
from irr.query.session import Session
from irr.store.lookups import ADDRESS_CLASSES, CONTACT_CLASSES, ROUTE_CLASSES, Lookups, LookupTimeout, Obj, address_key
from rpsl.errors import ValueSyntaxError
from rpsl.schema import SCHEMA

log = logging.getLogger(__name__)

DEFAULT_TERMS_URL = "http://www.apnic.net/db/dbcopyright.html"
COLUMN = 16  # attribute values start here (RIPE's RpslAttribute.writeTo)
_TABS = re.compile(r"[\t\r]")
KEYS_NOTE = ("% Note: this output has been filtered.\n"
             "% Only primary keys and abuse contacts will be visible.\n"
             "% No other contact information will be shown.\n")
USELESS_IP_FLAG = ("%WARNING:902: useless IP flag passed\n%\n"
                   "% An IP flag (-l, -L, -m, -M, -x, -d or -b) used without an IP key.\n")
_BRIEF_ATTRIBUTES = ("inetnum", "inet6num", "aut-num", "abuse-mailbox")


@dataclass(frozen=True)
class WhoisStyle:
    """How RIPE-style queries are answered: kind "apnic" or "irrd", and what APNIC's layout names."""

    kind: str
    name: str = "whois"               # `% [<name>]`, e.g. whois.vnnic.vn
    terms_url: str = DEFAULT_TERMS_URL
    service: str = "IRR"              # `served by the <service> Whois Service`
    host: str = ""                    # the answering host, as RIPE's served-by line names it

    @property
    def apnic(self) -> bool:
        return self.kind == "apnic"

    def header(self) -> str:
        return f"% [{self.name}]\n% Whois data copyright terms    {self.terms_url}\n"

    def served_by(self) -> str:
        return f"% This query was served by the {self.service} Whois Service version {version()} ({self.host})\n"


def answer(line: str, session: Session, lookups: Lookups, store, style: WhoisStyle) -> str:
    """The complete APNIC-style response to one query line; never raises."""
    try:
        if "\x00" in line:
            raise QueryError("Queries may not contain null bytes", "null")
        query = parse_query(line)
        disabled = [FILTER_FLAGS[f] for f, _ in query.flags if f in FILTER_FLAGS]
        parts = _answer(query, session, lookups.for_session(session, disabled), store)
        if parts is None:
            return ""
    except QueryError as e:
        parts = [error_text(e)]
    except ValueSyntaxError as e:
        parts = [f"% {e.message}\n%\n%ERROR:115: invalid search key\n%\n"
                 "% Search key entered is not valid for the specified object type(s)\n"]
    except LookupTimeout:
        parts = ["%ERROR:100: internal software error\n%\n"
                 "% The query took too long and was cancelled; please make it more specific.\n"]
    except Exception:  # never let one query take the connection down
        log.exception("RIPE-style query %r failed", line)
        parts = ["%ERROR:100: internal software error\n"]
    return "".join(p + "\n" for p in [style.header(), *parts, style.served_by()]) + "\n"


def error_text(e: QueryError) -> str:
    """APNIC's text for an error (RIPE-NCC whois QueryMessages)."""
    args = e.args_
    invalid = "%ERROR:111: invalid option supplied\n%\n% Use help query to see the valid options.\n"
    if e.kind == "flag":
        return f"% Invalid option: {args[0]}\n%\n{invalid}" if args else invalid
    if e.kind in ("argument", "null"):
        return invalid
    if e.kind == "q":
        return f"% Invalid option: {args[0]}\n%\n{invalid}"
    if e.kind == "combination":
        one, other = (f"{f}, {FLAG_NAMES[f[1]]}" for f in args)
        return (f'%ERROR:109: invalid combination of flags passed\n%\n'
                f'% The flags "{one}" and "{other}" cannot be used together.\n')
    if e.kind == "ip-flags":
        return ("%ERROR:901: duplicate IP flags passed\n%\n"
                "% More than one IP flag (-l, -L, -m, -M or -x) passed to the server.\n")
    if e.kind == "source":
        return (f'%ERROR:102: unknown source\n%\n% "{args[0]}" is not a known source.\n'
                '% Use "-q sources" to list known sources.\n')
    if e.kind == "class":
        return f"%ERROR:103: unknown object type '{args[0]}'\n"
    if e.kind == "unknown":
        return f'%ERROR:104: unknown attribute\n%\n% "{args[0]}" is not a known attribute.\n'
    if e.kind == "attribute":
        return f'%ERROR:105: attribute is not searchable\n%\n% "{args[0]}" is not an inverse searchable attribute.\n'
    if e.kind == "key":
        return "%ERROR:106: no search key specified\n%\n% No search key specified\n"
    if e.kind == "range":
        return ("%ERROR:112: unsupported query\n%\n"
                "% '-mM' query options are not allowed on very large ranges/prefixes.\n")
    if e.kind == "version":
        return (f"%ERROR:117: version cannot exceed {args[0]} for this object\n%\n"
                "% Versions are numbers greater or equal to 1\n"
                "% but cannot exceed the object's current version number.\n")
    return f"%ERROR:111: invalid option supplied\n%\n% {e}\n"


def _answer(query: Query, session: Session, lookups: Lookups, store) -> list[str] | None:
    checked = check(query, session, apnic=True)
    if apply_state(query, session, checked):
        return None
    sources, classes = checked.sources, checked.classes
    for letter, arg in query.flags:
        if letter == "t":
            return [ripe_template(arg or "")]
        if letter == "v":
            return [verbose(arg or "")]
        if letter == "q":
            return [q_text(arg or "", session, store, apnic=True) + "\n"]
        if letter == "g":
            raise QueryError("NRTM queries start with -g: -g SOURCE:3:FIRST-LAST [-k]", "nrtm")
    if query.has(LIST_VERSIONS) or query.has(SHOW_VERSION):
        text = versions(query, sources, classes, store)
        return [text if text is not None else _no_entries(sources)]
    if not query.key:
        if query.letters() <= {"V"}:
            return None
        raise QueryError("No search key specified", "key")

    parts: list[str] = []
    objs, truncated = _find(query, checked, lookups, parts)
    if not objs:
        return [*parts, _no_entries(sources)]
    related = Related(lookups)
    parts.extend(_render(query, objs, sources, related))
    if truncated or related.truncated:
        parts.append(f"% Too many objects in response; output has been truncated at {lookups.max_rows} objects.\n"
                     "% Please make the query more specific.\n")
    return parts


def _no_entries(sources: list[str]) -> str:
    return f"%ERROR:101: no entries found\n%\n% No entries found in source {','.join(sources)}.\n"


def _find(query: Query, checked, lookups: Lookups, parts: list[str]) -> tuple[list[Obj], bool]:
    """The objects a query names, in APNIC's order; warnings go to `parts`."""
    sources, classes, key = checked.sources, checked.classes, query.key
    address_flags = [f for f in checked.modes if f in MODES]
    ip_key = key if is_address(key) else (zone_key(key) if query.has("d") else None)
    if ip_key is None and (address_flags or query.has("d") or query.has("b")):
        if query.has("b"):  # RIPE: -b needs an address key
            raise QueryError("-b needs an IP address or prefix", "argument")
        parts.append(USELESS_IP_FLAG)
        address_flags = []
    mode = MODES[address_flags[0]] if address_flags else "most-specific"
    if ip_key is not None and mode in ("more", "more-one"):
        k = address_key(ip_key)
        if k.prefix in ("0.0.0.0/0", "::/0"):
            raise QueryError("-m and -M are not allowed on the whole address space", "range")

    if checked.attributes:
        found = [lookups.by_inverse(sources, checked.attributes, key, classes)]
        objs = unique(o for r in found for o in r)
        objs.sort(key=lambda o: (sources.index(o.source), _position(o), display_key(o)))
    else:
        if ip_key is not None:
            found = [lookups.addresses(sources, ip_key, mode, allowed(classes, ADDRESS_CLASSES))]
            if query.has("d") and allowed(classes, ["domain"]):
                found.append(reverse_domains(sources, ip_key, mode, lookups))
            if not is_address(key):  # a reverse zone with -d: the zone names itself too
                found.extend(free_text(key, sources, classes, lookups))
        else:
            found = free_text(key, sources, classes, lookups)
        objs = unique(o for r in found for o in r)
        if query.has("K"):  # RIPE: -K does not look up contacts and organisations by name
            objs = [o for o in objs if o.object_class not in (*CONTACT_CLASSES, "organisation")]
        objs.sort(key=lambda o: (sources.index(o.source), _position(o)))  # stable within a class
    return objs, any(r.truncated for r in found)


def _position(o: Obj) -> int:
    return APNIC_ORDER.index(o.object_class) if o.object_class in APNIC_ORDER else len(APNIC_ORDER)


@lru_cache(maxsize=4096)
def display_key(o: Obj) -> str:
    """An object's key as APNIC's whois prints it: `1.1.1.0 - 1.1.1.255`, `2001:db8::/32`,
    `1.1.1.0/24AS13335`, a person's nic-hdl, a domain without its final dot."""
    if o.object_class == "inetnum":
        return o.pk
    if o.object_class == "inet6num":
        return o.pk.lower()
    attrs = attributes(o.text)
    if o.object_class in ROUTE_CLASSES:
        value = first(attrs, o.object_class) + first(attrs, "origin")
    else:
        value = first(attrs, "nic-hdl" if o.object_class in CONTACT_CLASSES else o.object_class)
    return value.rstrip(".") or o.pk


def _render(query: Query, objs: list[Obj], sources: list[str], related: Related) -> list[str]:
    brief, keys_only = query.has("b"), query.has("K")
    grouping = not (brief or keys_only or query.has("G"))
    referenced = not (brief or keys_only or query.has("r"))
    irts = brief or (query.has("c") and not keys_only)
    parts = [KEYS_NOTE] if keys_only else []
    texts: dict[tuple[str, str, str], str] = {}  # an object referenced by many is formatted once

    def text(o: Obj) -> str:
        k = (o.source, o.object_class, o.pk)
        if k not in texts:
            texts[k] = ripe_text(o.text)
        return texts[k]

    for source in sources:
        mine = [o for o in objs if o.source == source]
        if referenced:
            related.prefetch(mine)
        after: dict[tuple[str, str], Obj] = {}
        for o in mine:
            mailbox = related.abuse_mailbox(o)
            key = display_key(o)
            if grouping:
                parts.append(f"% Information related to '{key}'\n")
            if mailbox and not brief:
                parts.append(f"% Abuse contact for '{key}' is '{mailbox}'\n")
            parts.append(_brief(o, mailbox) if brief else _keys(o) if keys_only else text(o))
            extra = (related.referenced(o) if referenced else []) + (related.hierarchy_irts(o) if irts else [])
            extra = list({(x.object_class, x.pk): x for x in extra}.values())
            if grouping:
                parts.extend(text(x) for x in _sorted_related(extra))
            else:
                after.update({(x.object_class, x.pk): x for x in extra})
        for x in _sorted_related(list(after.values())):
            parts.append(_brief(x, None) if brief else text(x))
    return [p for p in parts if p]


def _sorted_related(objs: list[Obj]) -> list[Obj]:
    """APNIC orders referenced objects by class, then by key (a sorted set)."""
    return sorted(objs, key=lambda o: (_position(o), display_key(o)))


# -- object text --------------------------------------------------------------------------------
def attribute_line(name: str, value: str) -> str:
    """One attribute as RIPE's whois writes it (RpslAttribute.writeTo): the value from column 16
    (a longer name keeps the blanks written after it), continuation lines aligned too with a `+`
    kept in front, tabs as blanks, trailing blanks gone. A continuation line left empty would end
    the object early: it is written as `+`, as RPSL writes a blank line."""
    first, *rest = value.split("\n")
    text = _TABS.sub(" ", first).rstrip(" ")
    stripped = text.lstrip(" ")
    lead = len(name) + 1
    out = [f"{name}:{' ' * (COLUMN - lead if lead < COLUMN else len(text) - len(stripped))}{stripped}"
           if stripped else f"{name}:"]
    for line in rest:
        plus = line.startswith("+")
        text = _TABS.sub(" ", line[1:] if plus else line).strip(" ")
        out.append(("+" + " " * (COLUMN - 1) if plus else " " * COLUMN) + text if text else "+")
    return "\n".join(out) + "\n"


def ripe_text(text: str) -> str:
    """A stored object as APNIC's whois shows it: aligned, every auth value `# Filtered`."""
    return "".join(attribute_line(n, " # Filtered" if n == "auth" else v) for n, v in attributes(text))


def _brief(o: Obj, mailbox: str | None) -> str:
    """-b: the object key and the abuse contact of an inet(6)num/aut-num; other objects keep only
    their inetnum/inet6num/aut-num/abuse-mailbox attributes (none: not shown)."""
    attrs = attributes(o.text)
    if o.object_class in ABUSE_CLASSES and mailbox:
        first = next((v for n, v in attrs if n == o.object_class), "")
        return attribute_line(o.object_class, first) + attribute_line("abuse-mailbox", " " + mailbox)
    return "".join(attribute_line(n, v) for n, v in attrs if n in _BRIEF_ATTRIBUTES)


def _keys(o: Obj) -> str:
    """-K: the class attribute alone when it is the whole key, else the key attributes (and a
    set's members), as RIPE's whois does."""
    cls = SCHEMA[o.object_class]
    is_set = o.object_class.endswith("-set")
    attrs = attributes(o.text)
    if cls.key == (o.object_class,) and not is_set:
        return "".join(attribute_line(n, v) for n, v in attrs[:1])
    return "".join(attribute_line(n, v) for n, v in attrs if n in cls.key or (is_set and n == "members"))
