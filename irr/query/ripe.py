"""RIPE-style whois queries (`-i mnt-by X`, `-L 192.0.2.0/24`, `AS65537` ...) as IRRd 4.5 answers
them (spec queries.md section 4), with the RIPE/APNIC default lookups: a plain key finds the
object it names, an address its most specific inet(6)num and route(6), an AS number its aut-num
and as-blocks, and unless `-r` the person/role objects the results reference.

`ripe_query` turns one query line into the complete response text (RIPE framing: objects joined
by a blank line and ended by two blank lines; errors `%% ERROR: ...`). It never raises: bad input
is answered with an error naming the problem. Per-connection state (sources, -k, -V) lives in
`Session`, shared with the IRRd-style `!` handler.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from irr.query.session import Session
from irr.store.lookups import (
    ADDRESS_CLASSES,
    CONTACT_CLASSES,
    ROUTE_CLASSES,
    Lookups,
    LookupTimeout,
    Obj,
    Objects,
    canonical_key,
)
from rpsl import keys
from rpsl.errors import ValueSyntaxError
from rpsl.objects import member_tokens, parse
from rpsl.output import mask_hashes
from rpsl.schema import CLASSES, SCHEMA, get_class

log = logging.getLogger(__name__)

NOT_FOUND = "%  No entries found for the selected source(s).\n\n\n"
# inverse keys, and (as IRRd allows) the names of person and role objects
INVERSE_ATTRIBUTES: tuple[str, ...] = tuple(sorted({a.name for c in CLASSES for a in c.attributes if a.inverse}
                                                   | {"person", "role"}))
CONTACT_ATTRIBUTES = ("admin-c", "tech-c", "zone-c")  # followed unless -r (RIPE/APNIC)
MEMBER_ATTRIBUTES = ("members", "mp-members")
MODES = {"x": "exact", "l": "less-one", "L": "less", "M": "more"}
NO_ARGUMENT = frozenset("kKrBGFaxlLM\x01\x03\x04")
WITH_ARGUMENT = frozenset("istTqVg\x02")
LONG_FLAGS = {
    "--exact": "x", "--one-less": "l", "--all-less": "L", "--all-more": "M", "--inverse": "i",
    "--no-referenced": "r", "--no-filtering": "B", "--no-grouping": "G", "--brief": "F",
    "--primary-keys": "K", "--select-types": "T", "--sources": "s", "--all-sources": "a",
    "--persistent-connection": "k", "--template": "t", "--client": "V",
    "--list-versions": "\x01", "--show-version": "\x02", "--no-rpki-filter": "\x03", "--no-scope-filter": "\x04",
}
LIST_VERSIONS, SHOW_VERSION = "\x01", "\x02"  # long-only flags: no letter reaches them
# this query only, like !fno-rpki-filter / !fno-scope-filter for the connection
FILTER_FLAGS = {"\x03": "NO-RPKI-FILTER", "\x04": "NO-SCOPE-FILTER"}
# Shapes of free-text keys (the values themselves are checked by rpsl.keys).
_AS_NUMBER = re.compile(r"AS[0-9.]+", re.IGNORECASE)
_AS_RANGE = re.compile(r"(AS[0-9.]+)\s*-\s*(AS[0-9.]+)", re.IGNORECASE)
_ROUTE_KEY = re.compile(r"([0-9A-Fa-f:.]+/[0-9]+)\s*-?\s*(AS[0-9.]+)", re.IGNORECASE)
_ADDRESS = re.compile(r"[0-9A-Fa-f:.]+(?:/[0-9]+)?|[0-9.]+\s*-\s*[0-9.]+")
_LOWER_KEY_SYNTAXES = frozenset(("prefix6", "dns_name", "domain_name"))


class QueryError(Exception):
    """The query can't be answered; the message is sent as `%% ERROR: <message>`."""


def error(message: str) -> str:
    return f"%% ERROR: {message}\n\n\n"


@dataclass
class Query:
    """One parsed query line: flags in the order given, and the search key."""

    flags: list[tuple[str, str | None]] = field(default_factory=list)
    key: str = ""

    def has(self, letter: str) -> bool:
        return any(f == letter for f, _ in self.flags)

    def args(self, letter: str) -> list[str]:
        return [a for f, a in self.flags if f == letter and a is not None]


def parse_query(line: str) -> Query:
    """Split a query into flags and search key. Flags may be grouped (`-rB`, the last of a group
    may take an argument) or long (`--no-referenced`); the search key is every other token, so
    ranges (`a - b`) and names keep their blanks."""
    tokens = line.split()
    query = Query()
    key: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        inline: str | None = None
        if token.startswith("--"):
            name, eq, value = token.partition("=")
            if name not in LONG_FLAGS:
                raise QueryError(f"Unrecognised flag/search: {token[1:]}")
            letters, inline = LONG_FLAGS[name], (value if eq else None)
        elif token.startswith("-") and len(token) > 1:
            letters = token[1:]
        else:
            key.append(token)
            continue
        for n, letter in enumerate(letters):
            if letter in NO_ARGUMENT:
                query.flags.append((letter, None))
            elif letter in WITH_ARGUMENT and n == len(letters) - 1:
                if inline is not None:
                    query.flags.append((letter, inline))
                elif i < len(tokens):
                    query.flags.append((letter, tokens[i]))
                    i += 1
                else:
                    raise QueryError(f"Missing argument for flag/search: {letter}")
            elif letter in WITH_ARGUMENT:  # `-sVNNIC`: IRRd reads it as one unknown flag too
                raise QueryError(f"Unrecognised flag/search: {token[1:]}")
            else:
                raise QueryError(f"Unrecognised flag/search: {letter if len(letters) > 1 else token[1:]}")
    query.key = " ".join(key)
    return query


def ripe_query(line: str, session: Session, lookups: Lookups, store) -> str:
    """The complete response to one RIPE-style query line (`store`: irr.store.Store, for -q sources)."""
    if "\x00" in line:  # PostgreSQL text can't hold NUL; IRRd refuses such queries too
        return error("Queries may not contain null bytes")
    try:
        query = parse_query(line)
        disabled = [FILTER_FLAGS[f] for f, _ in query.flags if f in FILTER_FLAGS]
        return _answer(query, session, lookups.for_session(session, disabled), store)
    except QueryError as e:
        return error(str(e))
    except ValueSyntaxError as e:
        return error(e.message)
    except LookupTimeout:
        return error("The query took too long and was cancelled; please make it more specific.")
    except Exception:  # never let one query take the connection down
        log.exception("RIPE-style query %r failed", line)
        return error("An internal error occurred while processing this query.")


def _answer(query: Query, session: Session, lookups: Lookups, store) -> str:
    # Check every flag before changing any state: a query with an error changes nothing.
    sources = session.sources
    for letter, arg in query.flags:
        if letter == "s":
            sources = _sources(arg or "", session)
        elif letter == "a":  # as IRRd: back to the default sources
            sources = session.defaults()
    classes = _classes(query.args("T")) if query.has("T") else None
    modes = [f for f, _ in query.flags if f in MODES or f == "i"]
    if len(set(modes)) > 1:
        raise QueryError(f"Flags -{' -'.join(dict.fromkeys(modes))} cannot be combined")
    attributes = _inverse_attributes(query.args("i")) if query.has("i") else []
    for letter, arg in query.flags:
        if letter == "t" and get_class(arg or "") is None:
            raise QueryError(f"Unknown object class: {arg}")
        if letter == "q" and arg not in ("version", "sources", "types"):
            raise QueryError(f"Invalid argument for -q: {arg} (use version, sources or types)")

    session.sources = sources
    if query.has("V"):
        session.client = query.args("V")[-1]
    if query.has("k"):
        if not query.key and {f for f, _ in query.flags} <= {"k", "V"}:
            # a bare -k: the first enables keep-alive, a later one ends it (RIPE); no response
            session.keepalive = not session.keepalive
            return ""
        session.keepalive = True

    for letter, arg in query.flags:
        if letter == "t":
            return template(arg or "") + "\n\n"
        if letter == "q":
            return _q(arg or "", session, store) + "\n\n\n"
        if letter == "g":
            raise QueryError("NRTM queries start with -g: -g SOURCE:3:FIRST-LAST [-k]")
    if query.has(LIST_VERSIONS) or query.has(SHOW_VERSION):
        return _versions(query, sources, classes, store)

    if not query.key:
        if modes:
            raise QueryError(f"Missing argument for flag/search: {modes[0]}")
        if {f for f, _ in query.flags} <= {"V"}:
            return ""
        return NOT_FOUND  # only state flags (-s, -a, -T ...): IRRd answers so

    results: list[Objects] = []
    if attributes:
        results.append(lookups.by_inverse(sources, attributes, query.key, classes))
    elif modes:
        address_classes = [c for c in ADDRESS_CLASSES if classes is None or c in classes]
        results.append(lookups.addresses(sources, query.key, MODES[modes[0]], address_classes))
    else:
        results.extend(_free_text(query.key, sources, classes, lookups))

    objs = _unique(o for r in results for o in r)
    if not objs:
        return NOT_FOUND
    truncated = any(r.truncated for r in results)
    if query.has("K"):
        blocks = list(dict.fromkeys(_key_fields(o) for o in objs))
    else:
        if not query.has("r"):
            contacts = _contacts(objs, lookups)
            truncated = truncated or contacts.truncated
            objs = _unique([*objs, *contacts])
        blocks = [o.whois_text().rstrip("\n") for o in objs]
    if truncated:
        blocks.append(f"%  Output truncated at {lookups.max_rows} objects; please make the query more specific.")
    return "\n\n".join(blocks) + "\n\n\n"


def _versions(query: Query, sources: list[str], classes: list[str] | None, store) -> str:
    """`--list-versions KEY` and `--show-version N KEY` (RIPE): an object's history from the journal."""
    if not query.key:
        raise QueryError("Missing argument for flag/search: an object key")
    rows = []
    for cls in classes or [c.name for c in CLASSES]:
        rows = store.history(sources, canonical_key(cls, query.key), cls)
        if rows:
            break
    if not rows:
        return NOT_FOUND
    cls, pk = rows[0].object_class, rows[0].pk
    if query.has(SHOW_VERSION):
        arg = query.args(SHOW_VERSION)[-1]
        if not arg.isdigit() or not 1 <= int(arg) <= len(rows):
            raise QueryError(f"There is no version {arg} of {cls} {pk}: versions are 1 to {len(rows)}")
        row = rows[int(arg) - 1]
        op = "DELETE" if row.operation == "DEL" else "UPDATE"
        return (f'% Version {arg} of object "{pk}"\n'
                f"% This version was a {op} operation on {row.created:%Y-%m-%d %H:%M}\n"
                '% You can use "--list-versions" to get a list of versions for an object.\n\n'
                f"{mask_hashes(row.object_text).rstrip()}\n\n\n")
    lines = [f'% Version history for {cls.upper()} object "{pk}"',
             '% You can use "--show-version rev#" to get an exact version of the object.', "",
             "rev#  Date              Op.", ""]
    for i, row in enumerate(rows, 1):
        lines.append(f"{i:<6}{row.created:%Y-%m-%d %H:%M}  {'DEL' if row.operation == 'DEL' else 'ADD/UPD'}")
    return "\n".join(lines) + "\n\n\n"


def _sources(arg: str, session: Session) -> list[str]:
    names = list(dict.fromkeys(s.strip().upper() for s in arg.split(",") if s.strip()))
    unknown = [s for s in names if s not in session.all_sources]
    if not names or unknown:
        raise QueryError("One or more selected sources are unavailable" + (f": {', '.join(unknown)}" if unknown
                                                                           else "."))
    return names


def _classes(args: list[str]) -> list[str]:
    """-T: the selected classes, in schema order."""
    wanted = {c.strip().lower() for a in args for c in a.split(",") if c.strip()}
    if not wanted:
        raise QueryError("Missing object class for flag -T")
    for name in sorted(wanted):
        if name not in SCHEMA:
            raise QueryError(f"Unknown object class: {name}")
    return [c.name for c in CLASSES if c.name in wanted]


def _inverse_attributes(args: list[str]) -> list[str]:
    attributes = list(dict.fromkeys(a.strip().lower() for arg in args for a in arg.split(",") if a.strip()))
    for name in attributes:
        if name not in INVERSE_ATTRIBUTES:
            raise QueryError(f"Inverse attribute search not supported for {name}, only supported for "
                             f"attributes: {', '.join(INVERSE_ATTRIBUTES)}")
    return attributes


def _allowed(classes: Sequence[str] | None, wanted: Iterable[str]) -> list[str]:
    return [c for c in wanted if classes is None or c in classes]


def _free_text(key: str, sources: list[str], classes: list[str] | None, lookups: Lookups) -> list[Objects]:
    """A search key without -i/-l/-L/-M/-x, looked up as RIPE/APNIC do."""
    if m := _AS_RANGE.fullmatch(key):
        first, last, _ = keys.as_range(f"{m.group(1)} - {m.group(2)}")
        return [lookups.as_block(sources, first, last)] if _allowed(classes, ["as-block"]) else []
    if _AS_NUMBER.fullmatch(key):
        asn = keys.as_number(key)
        found = [lookups.by_key(sources, f"AS{asn}", classes)]
        if _allowed(classes, ["as-block"]):
            found.append(lookups.as_block(sources, asn))
        return [_by_source(found, sources)]
    if m := _ROUTE_KEY.fullmatch(key):
        route_classes = _allowed(classes, ROUTE_CLASSES)
        version = keys.prefix(m.group(1))[0]
        cls = "route" if version == 4 else "route6"
        return [lookups.by_key(sources, canonical_key(cls, key), route_classes)] if cls in route_classes else []
    if _ADDRESS.fullmatch(key) and any(ch in key for ch in ".:") and any(ch.isdigit() for ch in key):
        return [lookups.addresses(sources, key, "most-specific", _allowed(classes, ADDRESS_CLASSES))]
    found = [lookups.by_key(sources, keys.name(key.rstrip(".") if "." in key else key), classes)]
    if _allowed(classes, CONTACT_CLASSES):
        found.append(lookups.contacts_by_name(sources, key))
    if inet := _allowed(classes, ("inetnum", "inet6num")):
        found.append(lookups.by_inverse(sources, "netname", key, inet))  # RIPE: network names too
    return found


def _by_source(results: list[Objects], sources: list[str]) -> Objects:
    """Several result lists as one, ordered by source priority (stable within a source)."""
    out = Objects(sorted((o for r in results for o in r), key=lambda o: sources.index(o.source)))
    out.truncated = any(r.truncated for r in results)
    return out


def _unique(objs: Iterable[Obj]) -> list[Obj]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for o in objs:
        k = (o.source, o.object_class, o.pk)
        if k not in seen:
            seen.add(k)
            out.append(o)
    return out


def _contacts(objs: list[Obj], lookups: Lookups) -> Objects:
    """person/role objects referenced (admin-c, tech-c, zone-c) by the results, from the same
    source, one level deep; none for person/role results themselves."""
    wanted: dict[tuple[str, str], None] = {}
    for o in objs:
        if o.object_class not in CONTACT_CLASSES:
            for attr in CONTACT_ATTRIBUTES:
                for handle in o.values(attr):
                    wanted[(o.source, handle)] = None
    if not wanted:
        return Objects()
    sources = list(dict.fromkeys(s for s, _ in wanted))
    found = lookups.by_keys(sources, [h for _, h in wanted], CONTACT_CLASSES)
    out = Objects(o for o in found if (o.source, o.pk) in wanted)
    out.truncated = found.truncated
    return out


def _key_fields(o: Obj) -> str:
    """-K: the primary key attributes, and set members, as `name: value` lines (IRRd's format)."""
    cls = SCHEMA[o.object_class]
    if o.object_class in ROUTE_CLASSES:
        prefix, _, asn = o.pk.rpartition("AS")
        lines = [f"{o.object_class}: {prefix.lower() if o.object_class == 'route6' else prefix}",
                 f"origin: AS{asn}"]
    else:
        key = cls[cls.key[0]]
        lines = [f"{key.name}: {o.pk.lower() if key.syntax in _LOWER_KEY_SYNTAXES else o.pk}"]
    if any(cls.get(a) for a in MEMBER_ATTRIBUTES):
        for a in parse(o.text).attributes:
            if a.name in MEMBER_ATTRIBUTES:
                lines.extend(f"{a.name}: {t}" for t in member_tokens(a.value))
    return "\n".join(lines)


def template(name: str) -> str:
    """The `-t` template of a class in IRRd's format (spec queries.md 4.4), from rpsl.schema."""
    cls = get_class(name)
    if cls is None:
        raise QueryError(f"Unknown object class: {name}")
    attrs = [a for a in cls.attributes if not a.discarded]
    width = max(len(a.name) for a in attrs)
    lines = []
    for a in attrs:
        presence = "[mandatory]" if a.mandatory and not a.generated else "[optional] "
        repeat = "[multiple]" if a.multiple else "[single]  "
        meta = []
        if a.key and a.lookup:
            meta.append("primary/look-up key")
        elif a.key:
            meta.append("primary key")
        elif a.lookup or a.inverse:
            meta.append("look-up key")
        if a.refers:
            meta.append(f"{'strong' if a.strong else 'weak'} references {'/'.join(a.refers)}")
        lines.append(f"{a.name}: {' ' * (width - len(a.name))}  {presence}  {repeat}  [{', '.join(meta)}]")
    return "\n".join(lines) + "\n"


def _q(what: str, session: Session, store) -> str:
    """-q version | sources | types."""
    if what == "version":
        try:
            version = metadata.version("irr-vn")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return f"% irr-vn {version}"
    if what == "types":
        return "\n".join(c.name for c in CLASSES)
    if what == "sources":
        rows = {r.name: r for r in store.sources()}
        lines, status = [], []
        for name in session.all_sources:
            row = rows.get(name)
            # IRRd: the local journal's range (as !j and the status page show it); X when this
            # client may mirror the source (NRTMv3 access list), N otherwise.
            flag = "X" if name in session.mirrorable else "N"
            lines.append(f"{name}:3:{flag}:{(row.serial_range if row else None) or 'Unknown'}")
            if row is not None and (row.last_success or row.last_error):
                success = f"{row.last_success:%Y-%m-%d %H:%M:%S}Z" if row.last_success else "never"
                status.append(f"% {name}: serial {row.serial_newest}, last success {success}"
                              + (f", last error: {row.last_error[:200]}" if row.last_error else ""))
        return "\n".join(lines + status)
    raise QueryError(f"Invalid argument for -q: {what} (use version, sources or types)")
