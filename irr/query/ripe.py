"""RIPE-style whois queries (`-i mnt-by X`, `-L 192.0.2.0/24`, `AS65537` ...), answered in one of two
styles chosen per server (`[whois] style`): APNIC's (irr.query.apnic_style) or IRRd 4.5's (here).

IRRd style (spec queries.md section 4): objects joined by a blank line and ended by two blank
lines, errors `%% ERROR: ...`. The default lookups are RIPE/APNIC's (a plain key finds the object
it names, an AS number its aut-num and as-blocks, and unless `-r` the person/role objects the
results reference), except where IRRd 4.5 answers otherwise: an address or prefix finds every less
specific object of every class with an address, and `-i` answers in IRRd's order (by address,
then origin, then key).

`ripe_query` turns one query line into the complete response text. It never raises: bad input is
answered with an error naming the problem. Per-connection state (sources, -k, -V) lives in
`Session`, shared with the IRRd-style `!` handler.
"""
from __future__ import annotations

import logging

from irr.query import apnic_style
from irr.query.apnic_style import WhoisStyle
from irr.query.ripe_info import q_text, template, versions
from irr.query.ripe_parse import (
    FILTER_FLAGS,
    INVERSE_ATTRIBUTES,
    LIST_VERSIONS,
    MODES,
    SHOW_VERSION,
    Query,
    QueryError,
    apply_state,
    check,
    parse_query,
)
from irr.query.ripe_search import allowed, irrd_free_text, unique
from irr.query.ripe_search import free_text as _free_text
from irr.query.session import Session
from irr.store.lookups import ADDRESS_CLASSES, CONTACT_CLASSES, ROUTE_CLASSES, Lookups, LookupTimeout, Obj, Objects
from rpsl.errors import ValueSyntaxError
from rpsl.objects import member_tokens, parse
from rpsl.schema import SCHEMA

log = logging.getLogger(__name__)

__all__ = ["INVERSE_ATTRIBUTES", "NOT_FOUND", "IRRD", "WhoisStyle", "_free_text", "_unique", "parse_query",
           "ripe_query", "template"]
IRRD = WhoisStyle("irrd")
NOT_FOUND = "%  No entries found for the selected source(s).\n\n\n"
CONTACT_ATTRIBUTES = ("admin-c", "tech-c", "zone-c")  # followed unless -r (RIPE/APNIC)
MEMBER_ATTRIBUTES = ("members", "mp-members")
_LOWER_KEY_SYNTAXES = frozenset(("prefix6", "dns_name", "domain_name"))
_unique = unique  # irr.web.ui searches with the default lookup too


def error(message: str) -> str:
    return f"%% ERROR: {message}\n\n\n"


def ripe_query(line: str, session: Session, lookups: Lookups, store, style: WhoisStyle = IRRD) -> str:
    """The complete response to one RIPE-style query line (`store`: irr.store.Store, for -q
    sources and versions), in the server's style."""
    if style.apnic:
        return apnic_style.answer(line, session, lookups, store, style)
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
    checked = check(query, session)
    if apply_state(query, session, checked):
        return ""
    sources, classes, modes = checked.sources, checked.classes, checked.modes
    for letter, arg in query.flags:
        if letter == "t":
            return template(arg or "") + "\n\n"
        if letter == "q":
            return q_text(arg or "", session, store) + "\n\n\n"
        if letter == "g":
            raise QueryError("NRTM queries start with -g: -g SOURCE:3:FIRST-LAST [-k]", "nrtm")
    if query.has(LIST_VERSIONS) or query.has(SHOW_VERSION):
        text = versions(query, sources, classes, store)
        return NOT_FOUND if text is None else text + "\n\n"

    if not query.key:
        if modes:
            raise QueryError(f"Missing argument for flag/search: {modes[0]}", "argument", f"-{modes[0]}")
        if query.letters() <= {"V"}:
            return ""
        return NOT_FOUND  # only state flags (-s, -a, -T ...): IRRd answers so

    results: list[Objects] = []
    if checked.attributes:
        results.append(lookups.by_inverse(sources, checked.attributes, query.key, classes, irrd_order=True))
    elif modes:
        results.append(lookups.addresses(sources, query.key, MODES[modes[0]], allowed(classes, ADDRESS_CLASSES)))
    else:
        results.extend(irrd_free_text(query.key, sources, classes, lookups))

    objs = unique(o for r in results for o in r)
    if not objs:
        return NOT_FOUND
    truncated = any(r.truncated for r in results)
    if query.has("K"):
        blocks = list(dict.fromkeys(_key_fields(o) for o in objs))
    else:
        if not query.has("r"):
            contacts = _contacts(objs, lookups)
            truncated = truncated or contacts.truncated
            objs = unique([*objs, *contacts])
        blocks = [o.whois_text().rstrip("\n") for o in objs]
    if truncated:
        blocks.append(f"%  Output truncated at {lookups.max_rows} objects; please make the query more specific.")
    return "\n\n".join(blocks) + "\n\n\n"


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
