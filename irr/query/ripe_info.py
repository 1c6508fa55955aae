"""The RIPE-style queries that describe rather than find: `-t`/`-v` templates (IRRd's and RIPE's
layouts, both read from rpsl.schema), `-q version|sources|types`, and an object's history
(`--list-versions`, `--show-version`)."""
from __future__ import annotations

import textwrap

from irr import version
from irr.query.related import APNIC_ORDER
from irr.query.ripe_parse import SHOW_VERSION, Query, QueryError
from irr.query.session import Session
from irr.store.lookups import canonical_key
from rpsl.output import mask_hashes
from rpsl.schema import CLASSES, Attr, ObjectClass, get_class


def object_class(name: str) -> ObjectClass:
    cls = get_class(name)
    if cls is None:
        raise QueryError(f"Unknown object class: {name}", "class", name)
    return cls


def _shown(cls: ObjectClass) -> list[Attr]:
    return [a for a in cls.attributes if not a.discarded]


def template(name: str) -> str:
    """The `-t` template of a class in IRRd's format (spec queries.md 4.4), from rpsl.schema."""
    attrs = _shown(object_class(name))
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


def ripe_template(name: str) -> str:
    """The `-t` template in RIPE/APNIC's layout (`%-16s%-13s%-13s%s`: name, [presence],
    [cardinality], [primary/lookup/inverse key] or [ ])."""
    lines = []
    for a in _shown(object_class(name)):
        kinds = [k for k, on in (("primary", a.key), ("lookup", a.lookup), ("inverse", a.inverse)) if on]
        key = f"[{'/'.join(kinds)} key]" if kinds else "[ ]"
        lines.append(f"{a.name + ':':<16}{'[' + a.presence + ']':<13}{'[' + a.repeat + ']':<13}{key}")
    return "\n".join(lines) + "\n"


def verbose(name: str) -> str:
    """`-v CLASS`: RIPE's verbose template (description, template, then each attribute with its
    description and syntax), from the same declarations."""
    cls = object_class(name)
    parts = [f"The {cls.name} class:\n\n", _wrap(cls.help), "\n\n", ripe_template(cls.name),
             f"\nThe content of the attributes of the {cls.name} class are defined below:\n\n"]
    for a in _shown(cls):
        parts.append(f"{a.name}\n\n   {_wrap(a.help).replace(chr(10), chr(10) + '   ')}\n\n"
                     f"     Syntax: <{a.syntax.replace('_', '-')}>{', a list' if a.list else ''}"
                     f"{'; references ' + ', '.join(a.refers) if a.refers else ''}\n\n")
    return "".join(parts)


def _wrap(text: str) -> str:
    return textwrap.fill(text or "(no description)", 70)


def q_text(what: str, session: Session, store, apnic: bool = False) -> str:
    """-q version | sources | types (APNIC: its version line and class order)."""
    if what == "version":
        return f"% irr-vn-{version()}" if apnic else f"% irr-vn {version()}"
    if what == "types":
        names = [c.name for c in CLASSES]
        if apnic:
            names.sort(key=lambda n: APNIC_ORDER.index(n) if n in APNIC_ORDER else len(APNIC_ORDER))
        return "\n".join(names)
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
    raise QueryError(f"Invalid argument for -q: {what} (use version, sources or types)", "q", what)


def versions(query: Query, sources: list[str], classes: list[str] | None, store) -> str | None:
    """`--list-versions KEY` and `--show-version N KEY` (RIPE): an object's history from the
    journal, without the framing; None when the object has no history here."""
    if not query.key:
        raise QueryError("Missing argument for flag/search: an object key", "key")
    rows = []
    for cls in classes or [c.name for c in CLASSES]:
        rows = store.history(sources, canonical_key(cls, query.key), cls)
        if rows:
            break
    if not rows:
        return None
    cls, pk = rows[0].object_class, rows[0].pk
    if query.has(SHOW_VERSION):
        arg = query.args(SHOW_VERSION)[-1]
        if not arg.isdigit() or not 1 <= int(arg) <= len(rows):
            raise QueryError(f"There is no version {arg} of {cls} {pk}: versions are 1 to {len(rows)}",
                             "version", str(len(rows)))
        row = rows[int(arg) - 1]
        op = "DELETE" if row.operation == "DEL" else "UPDATE"
        return (f'% Version {arg} of object "{pk}"\n'
                f"% This version was a {op} operation on {row.created:%Y-%m-%d %H:%M}\n"
                '% You can use "--list-versions" to get a list of versions for an object.\n\n'
                f"{mask_hashes(row.object_text).rstrip()}\n")
    lines = [f'% Version history for {cls.upper()} object "{pk}"',
             '% You can use "--show-version rev#" to get an exact version of the object.', "",
             "rev#  Date              Op.", ""]
    for i, row in enumerate(rows, 1):
        lines.append(f"{i:<6}{row.created:%Y-%m-%d %H:%M}  {'DEL' if row.operation == 'DEL' else 'ADD/UPD'}")
    return "\n".join(lines) + "\n"
