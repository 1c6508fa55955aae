"""RIPE-style query lines (`-rB -T inetnum -i mnt-by X`, `--one-more 192.0.2.0/24`) split into flags
and a search key; shared by both answer styles (irr.query.ripe: IRRd's layout, irr.query.apnic_style:
APNIC's).

Flags are the RIPE/APNIC whois flags (RIPE-NCC whois QueryFlag) plus IRRd's `-g` and the filter
switches of this registry. A `QueryError` carries both the sentence IRRd-style answers show and a
`kind` the APNIC style turns into APNIC's numbered error text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rpsl.schema import CLASSES, SCHEMA, get_class

# inverse keys, and (as IRRd allows) the names of person and role objects
INVERSE_ATTRIBUTES: tuple[str, ...] = tuple(sorted({a.name for c in CLASSES for a in c.attributes if a.inverse}
                                                   | {"person", "role"}))
# Address lookups by flag: RIPE's match operations (-x exact, -l one less, -L all less, -m one
# more, -M all more) as the mode names of irr.store.lookups.
MODES = {"x": "exact", "l": "less-one", "L": "less", "m": "more-one", "M": "more"}
NO_ARGUMENT = frozenset("kKrBGFaxlLmMbcCd\x01\x03\x04")
WITH_ARGUMENT = frozenset("istTqVgv\x02")
LONG_FLAGS = {
    "--exact": "x", "--one-less": "l", "--all-less": "L", "--one-more": "m", "--all-more": "M",
    "--inverse": "i", "--no-referenced": "r", "--no-filtering": "B", "--no-grouping": "G", "--brief": "F",
    "--primary-keys": "K", "--select-types": "T", "--sources": "s", "--all-sources": "a",
    "--persistent-connection": "k", "--template": "t", "--verbose": "v", "--client": "V",
    "--abuse-contact": "b", "--irt": "c", "--no-irt": "C", "--reverse-domain": "d",
    "--list-versions": "\x01", "--show-version": "\x02", "--no-rpki-filter": "\x03", "--no-scope-filter": "\x04",
}
LIST_VERSIONS, SHOW_VERSION = "\x01", "\x02"  # long-only flags: no letter reaches them
# this query only, like !fno-rpki-filter / !fno-scope-filter for the connection
FILTER_FLAGS = {"\x03": "NO-RPKI-FILTER", "\x04": "NO-SCOPE-FILTER"}
# RIPE's names of the flags, for error messages in APNIC style
FLAG_NAMES = {letter: name for name, letter in LONG_FLAGS.items()}


class QueryError(Exception):
    """The query can't be answered. `str(e)` is the sentence the IRRd style sends as
    `%% ERROR: <message>`; `kind` and `args` let the APNIC style send APNIC's numbered text.

    kinds: flag (unknown flag), argument (flag without its argument), combination (flags that
    exclude each other), ip-flags (two address flags), source, class, attribute, q, key, nrtm."""

    def __init__(self, message: str, kind: str = "flag", *args: str):
        super().__init__(message)
        self.kind = kind
        self.args_ = args


@dataclass
class Query:
    """One parsed query line: flags in the order given, and the search key."""

    flags: list[tuple[str, str | None]] = field(default_factory=list)
    key: str = ""

    def has(self, letter: str) -> bool:
        return any(f == letter for f, _ in self.flags)

    def args(self, letter: str) -> list[str]:
        return [a for f, a in self.flags if f == letter and a is not None]

    def letters(self) -> set[str]:
        return {f for f, _ in self.flags}


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
                raise QueryError(f"Unrecognised flag/search: {token[1:]}", "flag", token)
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
                    raise QueryError(f"Missing argument for flag/search: {letter}", "argument", token)
            elif letter in WITH_ARGUMENT:  # `-sVNNIC`: IRRd reads it as one unknown flag too
                raise QueryError(f"Unrecognised flag/search: {token[1:]}", "flag", token)
            else:
                raise QueryError(f"Unrecognised flag/search: {letter if len(letters) > 1 else token[1:]}",
                                 "flag", token)
    query.key = " ".join(key)
    return query


# Flags APNIC's whois has and IRRd's doesn't: the IRRd style refuses them as IRRd does.
APNIC_ONLY = frozenset("bcCdmv")
# RIPE/APNIC short names of inverse attributes (AttributeTypeBuilderImpl), accepted by -i there.
SHORT_NAMES = {"am": "abuse-mailbox", "au": "abuse-c", "ac": "admin-c", "at": "auth", "ah": "author",
               "em": "e-mail", "fp": "fingerpr", "iy": "irt-nfy", "la": "local-as", "mr": "mbrs-by-ref",
               "ms": "members", "mo": "member-of", "mb": "mnt-by", "md": "mnt-domains", "mi": "mnt-irt",
               "ml": "mnt-lower", "mn": "mnt-nfy", "mz": "mnt-ref", "mu": "mnt-routes", "mm": "mp-members",
               "nh": "nic-hdl", "ny": "notify", "ns": "nserver", "og": "org", "or": "origin",
               "rb": "referral-by", "rn": "ref-nfy", "tc": "tech-c", "dt": "upd-to", "zc": "zone-c",
               "ds": "ds-rdata", "sg": "signature", "en": "encryption", "ir": "irt"}
KNOWN_ATTRIBUTES = frozenset(a.name for c in CLASSES for a in c.attributes)


@dataclass
class Checked:
    """A query checked against the connection: nothing in it is wrong, nothing changed yet."""

    sources: list[str]
    classes: list[str] | None        # -T, schema order
    modes: list[str]                 # address flags given (x l L m M), or i
    attributes: list[str]            # -i attributes


def check(query: Query, session, apnic: bool = False) -> Checked:
    """Check every flag before anything changes: a query with an error changes nothing."""
    if not apnic:
        for letter in query.letters() & APNIC_ONLY:
            raise QueryError(f"Unrecognised flag/search: {letter}", "flag", f"-{letter}")
    sources = session.sources
    for letter, arg in query.flags:
        if letter == "s":
            sources = _sources(arg or "", session)
        elif letter == "a":  # as IRRd: back to the default sources
            sources = session.defaults()
    classes = _classes(query.args("T")) if query.has("T") else None
    modes = [f for f, _ in query.flags if f in MODES or f == "i"]
    if len(set(modes)) > 1:
        raise QueryError(f"Flags -{' -'.join(dict.fromkeys(modes))} cannot be combined", "ip-flags")
    attributes = _inverse_attributes(query.args("i"), apnic) if query.has("i") else []
    for letter, arg in query.flags:
        if letter in "tv" and get_class(arg or "") is None:
            raise QueryError(f"Unknown object class: {arg}", "class", arg or "")
        if letter == "q" and arg not in ("version", "sources", "types"):
            raise QueryError(f"Invalid argument for -q: {arg} (use version, sources or types)", "q", arg or "")
    if apnic and query.has("b"):
        for other in "FBrK":
            if query.has(other):
                raise QueryError(f"Flags -b -{other} cannot be combined", "combination", "-b", f"-{other}")
    return Checked(sources, classes, modes, attributes)


def apply_state(query: Query, session, checked: Checked) -> bool:
    """Apply -s/-a, -V and -k to the connection; True when the query was only a bare -k (the
    first enables keep-alive, a later one ends it, RIPE), which has no answer."""
    session.sources = checked.sources
    if query.has("V"):
        session.client = query.args("V")[-1]
    if query.has("k"):
        if not query.key and query.letters() <= {"k", "V"}:
            session.keepalive = not session.keepalive
            return True
        session.keepalive = True
    return False


def _sources(arg: str, session) -> list[str]:
    names = list(dict.fromkeys(s.strip().upper() for s in arg.split(",") if s.strip()))
    unknown = [s for s in names if s not in session.all_sources]
    if not names or unknown:
        raise QueryError("One or more selected sources are unavailable" + (f": {', '.join(unknown)}" if unknown
                                                                           else "."),
                         "source", *(unknown or [arg]))
    return names


def _classes(args: list[str]) -> list[str]:
    """-T: the selected classes, in schema order."""
    wanted = {c.strip().lower() for a in args for c in a.split(",") if c.strip()}
    if not wanted:
        raise QueryError("Missing object class for flag -T", "argument", "-T")
    for name in sorted(wanted):
        if name not in SCHEMA:
            raise QueryError(f"Unknown object class: {name}", "class", name)
    return [c.name for c in CLASSES if c.name in wanted]


def _inverse_attributes(args: list[str], apnic: bool) -> list[str]:
    attributes = list(dict.fromkeys(a.strip().lower() for arg in args for a in arg.split(",") if a.strip()))
    if apnic:  # RIPE: short names, and `person` means every contact attribute
        expanded: list[str] = []
        for name in attributes:
            name = SHORT_NAMES.get(name, name)
            expanded.extend(("admin-c", "tech-c", "zone-c") if name == "person" else (name,))
        attributes = list(dict.fromkeys(expanded))
    for name in attributes:
        if name not in INVERSE_ATTRIBUTES or (apnic and name == "role"):
            raise QueryError(f"Inverse attribute search not supported for {name}, only supported for "
                             f"attributes: {', '.join(INVERSE_ATTRIBUTES)}",
                             "attribute" if name in KNOWN_ATTRIBUTES or name in SHORT_NAMES.values() else "unknown",
                             name)
    return attributes
