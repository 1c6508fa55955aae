"""RPSL objects: text -> attributes -> validated, normalised object -> rendered text and index data.

Two modes (spec rpsl.md section 9):
- strict, for authoritative data: every attribute is checked against the class template and its
  value syntax; all problems of an object are reported together, each with its line.
- lenient, for mirrored data: only what indexing needs (keys, origin, references) is parsed; other
  attributes are kept as text and never make an object fail.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv6Address

from rpsl import keys, syntax  # syntax loads its Lark grammars at first use only
from rpsl.attributes import Attribute, split_attributes
from rpsl.errors import RPSLError, ValueSyntaxError
from rpsl.schema import SCHEMA, Attr, ObjectClass


class IndexData:
    """What queries need, extracted at write time into indexed columns (a plain slotted class:
    a million of them are made per bulk load)."""

    __slots__ = ("pk", "prefix", "prefix_length", "ip_version", "ip_first", "ip_last", "origin",
                 "asn_first", "asn_last", "members", "lookup_keys", "last_modified")

    def __init__(self, pk: str) -> None:
        self.pk = pk
        self.prefix: str | None = None
        self.prefix_length: int | None = None
        self.ip_version: int | None = None
        self.ip_first: str | None = None
        self.ip_last: str | None = None
        self.origin: int | None = None
        self.asn_first: int | None = None
        self.asn_last: int | None = None
        self.members: list[str] = []
        self.lookup_keys: list[str] = []
        self.last_modified: str | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexData) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return "IndexData(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


@dataclass(slots=True)
class RPSLObject:
    object_class: str
    attributes: list[Attribute]
    line: int = 1
    pk: str = ""
    errors: list[RPSLError] = field(default_factory=list)
    warnings: list[RPSLError] = field(default_factory=list)
    schema: ObjectClass | None = None
    original: str = ""
    cleanup: bool = False  # original holds comment lines, CRs, upper-case names or discarded attributes

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def source(self) -> str | None:
        for a in self.attributes:
            if a.name == "source":
                return a.value.upper() or None
        return None

    def get(self, name: str) -> list[Attribute]:
        return [a for a in self.attributes if a.name == name]

    def values(self, name: str) -> list[str]:
        """Cleaned values of an attribute; list attributes split into their items."""
        attr = self.schema.get(name) if self.schema else None
        out: list[str] = []
        for a in self.attributes:
            if a.name == name:
                v = a.value
                if attr is not None and attr.list:
                    out.extend(i.strip() for i in v.split(",") if i.strip())
                elif v:
                    out.append(v)
        return out

    def first(self, name: str) -> str | None:
        vals = self.values(name)
        return vals[0] if vals else None

    @property
    def text(self) -> str:
        """The object as written, minus CRs, comment lines, blank lines before the first attribute
        and discarded attributes; attribute names in lower case. This is what the store keeps."""
        if not self.cleanup:
            return self.original + "\n"
        out = []
        keep = False  # nothing before the first attribute line is kept
        for line in self.original.split("\n"):
            line = line.rstrip("\r")
            c = line[:1]
            if c in ("#", "%") or not line:
                continue
            if c not in (" ", "\t", "+"):
                name, _, value = line.partition(":")
                attr = self.schema.get(name.lower()) if self.schema else None
                keep = not (attr is not None and attr.discarded)
                line = f"{name.lower()}:{value}"
            if keep:
                out.append(line)
        return "\n".join(out) + "\n"

    def render(self) -> str:
        """Normalised rendering: lower-case names, values aligned at column 16, canonical keys."""
        out = []
        for a in self.attributes:
            attr = self.schema.get(a.name) if self.schema else None
            canonical = _canonical(attr, a) if attr is not None else None
            out.append(a.render(canonical))
        return "\n".join(out) + "\n"

    def key_text(self) -> str:
        """The primary key, or while there is none the value of the class attribute."""
        if self.pk:
            return self.pk
        first = self.attributes[0] if self.attributes else None
        return first.value if first is not None and first.name == self.object_class else ""

    def error(self, message: str, attribute: Attribute | None = None, severity: str = "error",
              name: str | None = None) -> None:
        """Record a problem with ``attribute`` (its line), or with the attribute called ``name``
        that is not there (the object's first line)."""
        e = RPSLError(f"{self.object_class} {self.key_text()}".strip(), attribute.name if attribute else name,
                      attribute.line if attribute else self.line, message, severity)
        (self.errors if severity == "error" else self.warnings).append(e)

    def index(self) -> IndexData:
        """Index columns (spec rpsl.md section 8), read from the schema's key/inverse declarations."""
        return extract_index(self)


def _canonical(attr: Attr, a: Attribute) -> str | None:
    """Canonical text of a key or reference value, or None to keep the value as written."""
    if attr.syntax not in _CANONICAL or a.continuations or "#" in a.first:
        return None
    try:
        if attr.list:
            return ", ".join(_CANONICAL[attr.syntax](v.strip()) for v in a.value.split(",") if v.strip())
        return _CANONICAL[attr.syntax](a.value)
    except ValueSyntaxError:
        return None


def _name(syntax: str):
    return lambda v: keys.checked_name(v, syntax)


_CANONICAL = {
    "as_number": lambda v: f"AS{keys.as_number(v)}",
    "prefix4": lambda v: keys.prefix(v, 4)[3],
    "prefix6": lambda v: keys.prefix(v, 6)[3],
    "inetnum": lambda v: keys.inetnum(v)[2],
    "as_range": lambda v: keys.as_range(v)[2],
    **{syntax: _name(syntax) for syntax in (
        "as_set_name", "route_set_name", "rtr_set_name", "filter_set_name", "peering_set_name",
        "object_name", "irt_name", "nic_handle", "key_cert_name", "source", "dns_name", "domain_name")},
}


def parse(text: str, line: int = 1, *, strict: bool = False) -> RPSLObject:
    """Parse one object's text. Problems are collected in .errors (never raised)."""
    attrs, errors, cleanup = split_attributes(text, line)
    first = errors[0] if errors and (not attrs or errors[0].line < attrs[0].line) else None
    if first is not None and first.attribute:
        # The first line names the class even when it is no valid attribute name: `*xxte:` is
        # a legacy IRRd pseudo object that mirrors skip silently.
        cls_name, obj_line = first.attribute.lower(), first.line
    elif attrs:
        cls_name, obj_line = attrs[0].name, attrs[0].line
    else:  # a paragraph of comments only (a dump header), or junk reported in errors
        return RPSLObject("", [], line, errors=errors, original=text)
    schema = SCHEMA.get(cls_name)
    obj = RPSLObject(cls_name, attrs, obj_line, schema=schema, original=text, cleanup=cleanup)
    if schema is not None and schema.discarded and any(a.name in schema.discarded for a in attrs):
        obj.attributes = [a for a in attrs if a.name not in schema.discarded]
        obj.cleanup = True
    bad_keys = _compute_pk(obj, schema, strict) if schema is not None else set()
    if errors:  # line problems first, with the same object key as every other error of this object
        key = f"{cls_name} {obj.key_text()}".strip()
        obj.errors[:0] = [RPSLError(key, e.attribute, e.line, e.message) for e in errors]
    if schema is None:
        obj.error(f"unknown object class {cls_name!r}")
    elif strict:
        _validate_strict(obj, schema, bad_keys)
    else:
        _validate_lenient(obj)
    return obj


def _compute_pk(obj: RPSLObject, schema: ObjectClass, strict: bool = False) -> set[str]:
    """Set obj.pk from the key attributes (checked as mirrored data is); return the names of
    key attributes found missing or invalid (already reported). When strict, a key value the
    strict check passes gives its canonical text (the same: tests/rpsl/test_keys.py) and is
    not parsed again by _validate_strict."""
    parts = []
    for key in schema.key:
        for found in obj.attributes:
            if found.name == key:
                break
        else:
            found = None
        if found is None:
            obj.error(f"primary key attribute {key!r} is missing", name=key)
            return {key}
        syntax = schema.by_name[key].syntax
        value = found.value
        if not value:
            obj.error(f"primary key attribute {key!r} is empty", found)
            return {key}
        if syntax == "domain_name":  # IRRd takes any text as domain key (RFC 2317 names, ...)
            parts.append(value.upper().rstrip("."))
            continue
        canonical = _strictly_canonical(syntax, value) if strict else None
        if canonical is not None:
            parts.append(canonical)
            continue
        try:
            parts.append(_CANONICAL[syntax](value).upper())
        except ValueSyntaxError as e:
            obj.error(e.message, found)
            return {key}
    obj.pk = "".join(parts)
    return set()


def _validate_lenient(obj: RPSLObject) -> None:
    """Mirrored data: keys were checked by _compute_pk; exactly one valid source must be there
    (IRRd checks the source in non-strict mode too; with two, IRRd's source matches none)."""
    sources = obj.get("source")
    if not sources:
        obj.error("attribute 'source' is missing", name="source")
        return
    if len(sources) > 1:
        obj.error("attribute 'source' may appear only once", sources[1])
    try:
        keys.checked_name(sources[0].value, "source")
    except ValueSyntaxError as e:
        obj.error(e.message, sources[0])


def _validate_strict(obj: RPSLObject, schema: ObjectClass, reported: set[str]) -> None:
    """Authoritative data: the class template and every value's syntax; ``reported`` are key
    attributes whose problem _compute_pk has already reported."""
    checks = _CHECKS
    by_name = schema.by_name
    seen: dict[str, int] = {}
    for a in obj.attributes:
        name = a.name
        attr = by_name.get(name)
        if attr is None:
            obj.error(f"attribute {name!r} is not allowed in class {schema.name}", a)
            continue
        if name in seen:
            count = seen[name] = seen[name] + 1
            if count == 2 and not attr.multiple:
                obj.error(f"attribute {name!r} may appear only once", a)
        else:
            seen[name] = 1
            if reported and name in reported:
                continue
        value = a.first
        if a.continuations or "#" in value:
            value = a.value
        passed = checks.get(attr.syntax) or _passed(attr.syntax)
        if attr.list and "," in value:
            items = [i for i in (i.strip() for i in value.split(",")) if i]
            if not items:
                obj.error(f"attribute {name!r} has no value", a)
            for item in items:
                if item not in passed:
                    _check_new(obj, a, passed, item)
        elif not value:
            if attr.list or attr.syntax not in ("free", "certif"):  # armour holds empty lines
                obj.error(f"attribute {name!r} has no value", a)
                continue
            if value not in passed:
                _check_new(obj, a, passed, value)
        elif value not in passed:
            _check_new(obj, a, passed, value)
    for name in schema.mandatory:
        if name not in seen and name not in reported:
            obj.error(f"mandatory attribute {name!r} is missing", name=name)


def _check_new(obj: RPSLObject, a: Attribute, passed: _Passed, value: str) -> None:
    """Check a value its syntax has not passed yet (an error is the object's), keeping it when it passes."""
    try:
        passed.check(value)
    except ValueSyntaxError as e:
        obj.error(e.message, a)
        return
    if len(passed) >= _PASSED_MAX:
        passed.clear()
    passed.add(value)


class _Passed(set):
    """The values one syntax's strict check has passed (a hit costs no call), and the check."""

    def __init__(self, check) -> None:
        super().__init__()
        self.check = check


_CHECKS: dict[str, _Passed] = {}  # syntax name -> its check and the values it passed
_PASSED_MAX = 1 << 16


def _passed(syntax_name: str) -> _Passed:
    passed = _CHECKS.get(syntax_name)
    if passed is None:
        passed = _CHECKS[syntax_name] = _Passed(syntax.checker(syntax_name))
    return passed


def _strictly_canonical(syntax_name: str, value: str) -> str | None:
    """The canonical (upper-case) text of a value the strict check passes, or None."""
    passed = _passed(syntax_name)
    try:
        canonical = str(passed.check(value)).upper()
    except ValueSyntaxError:
        return None
    if len(passed) >= _PASSED_MAX:
        passed.clear()
    passed.add(value)
    return canonical


def extract_index(obj: RPSLObject) -> IndexData:
    """Index data of a parsed object (keys valid). Lookup keys are `attr=VALUE`, upper case."""
    schema = obj.schema
    assert schema is not None
    idx = IndexData(obj.pk)
    cls = obj.object_class
    key_columns(cls, {k: obj.get(k)[0].value for k in schema.key}, idx)
    lookup: list[str] = []
    for a in obj.attributes:
        attr = schema.get(a.name)
        if attr is None:
            continue
        if attr.name == "last-modified":
            idx.last_modified = a.value or None
        if not (attr.inverse or attr.lookup) or attr.key:
            continue
        for token in index_tokens(attr, a.value):
            lookup.append(f"{attr.name}={token}")
        if attr.name in ("members", "mp-members") and cls in ("as-set", "route-set", "rtr-set"):
            idx.members.extend(member_tokens(a.value))
    idx.lookup_keys = list(dict.fromkeys(lookup))
    return idx


def key_columns(cls: str, values: dict[str, str], idx: IndexData) -> None:
    """Address and AS number columns from the key attribute values (both write paths use this)."""
    if cls == "route" or cls == "route6" or cls == "inet6num":
        version, first, length, canonical = keys.prefix(values[cls], 4 if cls == "route" else 6)
        idx.prefix, idx.prefix_length, idx.ip_version = canonical, length, version
        last = keys.last_address(version, first, length)
        if version == 4:
            idx.ip_first, idx.ip_last = keys.v4_str(first), keys.v4_str(last)
        else:
            idx.ip_first, idx.ip_last = str(IPv6Address(first)), str(IPv6Address(last))
        if cls != "inet6num":
            idx.origin = keys.as_number(values["origin"])
    elif cls == "inetnum":
        first, last, canonical = keys.inetnum(values[cls])
        net, length = keys.covering_prefix(4, first, last)
        idx.prefix, idx.prefix_length, idx.ip_version = f"{keys.v4_str(net)}/{length}", length, 4
        idx.ip_first, _, idx.ip_last = canonical.partition(" - ")
    elif cls == "aut-num":
        idx.asn_first = idx.asn_last = keys.as_number(values[cls])
    elif cls == "as-block":
        idx.asn_first, idx.asn_last, _ = keys.as_range(values[cls])


def member_tokens(value: str) -> list[str]:
    """Set members as written in `members`, normalised (upper case, asplain), operators kept."""
    out = []
    for t in keys.tokens(value):
        name, op = (t.split("^", 1) + [""])[:2] if "^" in t else (t, "")
        if ":" in name and "/" in name or "." in name and name[:1].isdigit():
            try:
                name = keys.prefix(name)[3]
            except ValueSyntaxError:
                pass
            out.append(name + (f"^{op}" if op else ""))
        else:
            name = keys.name(name)
            if name[:2] == "AS" and name[2:].isdigit():  # as00020 -> AS20, as every AS number is indexed
                try:
                    name = f"AS{keys.as_number(name)}"
                except ValueSyntaxError:
                    pass
            out.append(name + (f"^{op}" if op else ""))
    return out


def index_tokens(attr: Attr, value: str) -> list[str]:
    """Values of one attribute as they are indexed for lookups (never password hashes)."""
    syntax = attr.syntax
    if not value:
        return []
    if syntax == "as_number":
        try:
            return [f"AS{keys.as_number(value)}"]
        except ValueSyntaxError:
            return [value.upper()]
    if syntax == "auth":
        first = value.split()[0].upper()
        return [first] if first.startswith("PGPKEY-") else []
    if syntax in ("mnt_routes", "nserver", "ifaddr"):
        return [value.split()[0].upper().rstrip(".")]
    if syntax in ("route_set_member4", "route_set_member", "rtr_set_member4", "rtr_set_member"):
        return [t.split("^", 1)[0] for t in member_tokens(value)]
    if attr.list:
        return [keys.name(t) for t in keys.tokens(value)]
    if syntax == "fingerprint":
        return [value.replace(" ", "").upper()]
    # blanks collapsed: a name typed with two spaces (or continued on a new line) is still found
    return [" ".join(value.split()).upper()]
