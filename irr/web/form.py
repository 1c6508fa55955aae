"""The object form, generated from rpsl.schema: one row per attribute line, rows added and removed
by submit buttons (no JavaScript needed), rows to RPSL text and back, and the pipeline's errors
placed beside the rows (or the password fields) they concern."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rpsl.objects import parse
from rpsl.schema import SCHEMA, Attr, ObjectClass

PAD = 16
MAX_ROWS = 2000
_LINE_ERROR = re.compile(r"^(?:attribute ([a-z0-9_-]+), )?line (\d+): ")
_REFERENCE_ERROR = re.compile(r"referenced in attribute ([a-z0-9_-]+) ")
_AUTH_ERROR = re.compile(r"^Authorisation for |not authenticated by|own auth: lines")


@dataclass
class Row:
    """One attribute line of the form."""

    name: str
    value: str = ""
    errors: list[str] = field(default_factory=list)
    readonly: bool = False
    autofocus: bool = False


def to_text(rows: list[Row], cls: ObjectClass) -> str:
    """The rows as text for "edit as RPSL text": mandatory attributes stay, empty, as a template."""
    return rows_to_text(rows, frozenset(cls.mandatory))[0]


def editable(cls: ObjectClass) -> list[Attr]:
    """Attributes a submitter writes (generated and discarded ones are the server's)."""
    return [a for a in cls.attributes if not a.generated and not a.discarded]


def template_rows(cls: ObjectClass, source: str) -> list[Row]:
    """A new object: one row for each attribute in template order, the source filled in."""
    return [Row(a.name, source if a.name == "source" else "") for a in editable(cls)]


def rows_from_text(text: str) -> tuple[ObjectClass | None, list[Row]]:
    """The rows of the first object in `text` (continuation lines joined with newlines)."""
    obj = parse(text.replace("\r\n", "\n").strip("\n"))
    cls = SCHEMA.get(obj.object_class)
    allowed = {a.name for a in editable(cls)} if cls else set()
    rows = [Row(a.name, a.raw_value.strip("\n")) for a in obj.attributes if a.name in allowed]
    return cls, rows


def rows_from_form(names: list[str], values: list[str], cls: ObjectClass) -> tuple[list[Row], list[str]]:
    """Rows posted by the form; names that are no attribute of the class are refused (so that a
    crafted form can't smuggle pseudo-attributes such as `password:` into the text)."""
    allowed = {a.name for a in editable(cls)}
    rows, refused = [], []
    for name, value in list(zip(names, values))[:MAX_ROWS]:
        if name in allowed:
            rows.append(Row(name, value.replace("\r\n", "\n").strip()))
        else:
            refused.append(name)
    return rows, refused


def rows_to_text(rows: list[Row], keep_empty: frozenset[str] = frozenset()) -> tuple[str, dict[int, int]]:
    """RPSL text of the non-empty rows (and of empty ones named in `keep_empty`: a template shows
    what to fill in) and, for each text line (from 1), the row it came from. Newlines in a value
    become continuation lines (`+` for an empty one)."""
    lines: list[str] = []
    line_rows: dict[int, int] = {}
    for i, row in enumerate(rows):
        value = row.value.strip()
        if not value and row.name not in keep_empty:
            continue
        first, *more = [part.strip() for part in value.split("\n")]
        lines.append(f"{row.name + ':':<{PAD}}{first}".rstrip())
        line_rows[len(lines)] = i
        for part in more:
            lines.append(" " * PAD + part if part else "+")
            line_rows[len(lines)] = i
    return ("\n".join(lines) + "\n" if lines else ""), line_rows


def add_row(rows: list[Row], index: int) -> None:
    """Another row of the same attribute, right after row `index`."""
    if 0 <= index < len(rows) and len(rows) < MAX_ROWS:
        rows.insert(index + 1, Row(rows[index].name, autofocus=True))


def remove_row(rows: list[Row], index: int) -> None:
    if 0 <= index < len(rows):
        del rows[index]


def add_attribute(rows: list[Row], cls: ObjectClass, name: str) -> None:
    """A row for `name`, after the rows of the attributes before it in the template."""
    order = [a.name for a in editable(cls)]
    if name not in order or len(rows) >= MAX_ROWS:
        return
    rank = order.index(name)
    at = 0
    for i, row in enumerate(rows):
        if row.name in order and order.index(row.name) <= rank:
            at = i + 1
    rows.insert(at, Row(name, autofocus=True))


def can_remove(rows: list[Row], index: int, cls: ObjectClass) -> bool:
    """Mandatory attributes keep at least one row."""
    attr = cls.get(rows[index].name)
    if attr is None or not attr.mandatory:
        return True
    return sum(1 for r in rows if r.name == rows[index].name) > 1


def place_errors(errors: list[str], rows: list[Row], line_rows: dict[int, int] | None) -> tuple[list[str], list[str]]:
    """Attach each pipeline error to the row it names ("attribute X, line N: ...", "referenced in
    attribute X"); authorisation errors go beside the password fields. Returns (general, auth)."""
    general: list[str] = []
    auth: list[str] = []
    for error in errors:
        if _AUTH_ERROR.search(error):
            auth.append(error)
            continue
        row = _row_for(error, rows, line_rows) if line_rows is not None else None
        if row is None:
            general.append(error)
        else:
            row.errors.append(_LINE_ERROR.sub("", error))
    return general, auth


def _row_for(error: str, rows: list[Row], line_rows: dict[int, int]) -> Row | None:
    name = None
    m = _LINE_ERROR.match(error)
    if m:
        name, line = m.group(1), int(m.group(2))
        index = line_rows.get(line)
        if index is not None and (name is None or rows[index].name == name):
            return rows[index]
        missing = re.search(r"mandatory attribute '([a-z0-9_-]+)' is missing", error)
        if missing:
            name = missing.group(1)
    elif m := _REFERENCE_ERROR.search(error):
        name = m.group(1)
        named = re.match(r"Object (\S+) referenced", error)
        for row in rows:
            if row.name == name and named and named.group(1).upper() in row.value.upper():
                return row
    if name:
        return next((r for r in rows if r.name == name), None)
    return None
