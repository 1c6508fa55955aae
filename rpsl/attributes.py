"""Attribute lines of one object paragraph: names, values with continuation lines and
comments, line numbers; the fast path for ordinary paragraphs and the careful one for the rest."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rpsl.errors import RPSLError

_ATTR_NAME = re.compile(r"[a-z0-9_-]+")
PAD = 16


def joined_value(lines: Iterable[str]) -> str:
    """An attribute's value from the texts of its lines: each line's comment (from `#`) removed,
    the rest stripped, the non-empty ones joined by single spaces."""
    cleaned = []
    for piece in lines:
        if "#" in piece:
            piece = piece[: piece.index("#")]
        piece = piece.strip()
        if piece:
            cleaned.append(piece)
    return " ".join(cleaned)


@dataclass(slots=True)
class Attribute:
    """One attribute as written: lower-case name, the value of its first line and of each
    continuation line (continuation character and surrounding blanks removed), and its line."""

    name: str
    first: str
    continuations: list[tuple[str, str]]  # (continuation character, text)
    line: int

    @property
    def value(self) -> str:
        """The value for parsing: comments removed, lines joined with single spaces."""
        if not self.continuations and "#" not in self.first:
            return self.first  # already stripped
        return joined_value([self.first, *(t for _, t in self.continuations)])

    @property
    def raw_value(self) -> str:
        """The value as written (comments kept), continuation lines joined with newlines."""
        return "\n".join([self.first, *(t for _, t in self.continuations)])

    def render(self, value: str | None = None) -> str:
        """`name:` padded to 16 columns; continuation lines keep their character (`+` when empty)."""
        lines = [f"{self.name + ':':<{PAD}}{self.first if value is None else value}".rstrip()]
        if value is None:
            for char, text in self.continuations:
                char = "+" if not text else char
                lines.append(f"{char:<{PAD}}{text}".rstrip() if text else "+")
        return "\n".join(lines)


# A lower-case attribute line and its continuation lines (each match starts at a line start).
_CLEAN_ATTRIBUTE = re.compile(r"^([a-z0-9_-]+):(.*)((?:\n[ \t+].*)*)", re.MULTILINE)


def _split_clean(text: str, first_line: int) -> list[Attribute] | None:
    """split_attributes for the usual paragraph (what the line loop gives for it, faster), or None
    when it holds anything unusual: comments, CRs, empty lines, upper-case or bad names (then the
    attribute lines found do not account for every line of the text)."""
    if "\r" in text:
        return None
    attrs = []
    line = first_line
    for name, value, more in _CLEAN_ATTRIBUTE.findall(text):
        if more:
            pieces = more[1:].split("\n")
            attrs.append(Attribute(name, value.strip(), [(p[0], p[1:].strip()) for p in pieces], line))
            line += len(pieces) + 1
        else:
            attrs.append(Attribute(name, value.strip(), [], line))
            line += 1
    if line - first_line != text.count("\n") + 1:
        return None
    return attrs


def split_attributes(text: str, first_line: int = 1) -> tuple[list[Attribute], list[RPSLError], bool]:
    """Attribute lines of one paragraph; `#`/`%` comment lines skipped, CR stripped.
    Empty and blank lines before the first attribute and empty lines at the end are ignored (IRRd
    strips the object text). The flag says whether the text held anything the stored text must
    not keep."""
    clean = _split_clean(text, first_line)
    if clean is not None:
        return clean, [], False
    attrs: list[Attribute] = []
    errors: list[RPSLError] = []
    current: Attribute | None = None
    cleanup = False
    empty: list[int] = []  # empty lines seen since the last attribute line: errors if more follows
    for n, line in enumerate(text.split("\n"), first_line):
        if line and line[-1] == "\r":
            line = line[:-1]
            cleanup = True
        if not line:
            cleanup = True
            if attrs:
                empty.append(n)
            continue
        c = line[0]
        if c == "#" or c == "%":
            cleanup = True
            continue
        if empty:
            errors.extend(RPSLError(None, None, e, "empty line in the middle of an object") for e in empty)
            empty.clear()
            current = None
        if c == " " or c == "\t" or c == "+":
            if current is not None:
                current.continuations.append((c, line[1:].strip()))
            elif attrs or errors or line.strip():
                errors.append(RPSLError(None, None, n, "continuation line without an attribute before it"))
            else:
                cleanup = True  # a blank line before the object: IRRd strips it too
            continue
        name, sep, value = line.partition(":")
        lname = name.lower()
        if lname != name:
            cleanup = True
        if not sep or not _ATTR_NAME.fullmatch(lname):
            msg = (f"malformed attribute name {name!r}" if sep else
                   f"line is neither an attribute (name: value) nor a continuation: {line[:60]!r}")
            errors.append(RPSLError(None, name if sep else None, n, msg))
            current = None
            continue
        current = Attribute(lname, value.strip(), [], n)
        attrs.append(current)
    return attrs, errors, cleanup
