"""Errors as values: every problem found in RPSL text, with where it was found."""
from __future__ import annotations

from dataclasses import dataclass


class ValueSyntaxError(ValueError):
    """A single attribute value does not match its syntax.

    ``column`` is the 0-based offset in the value where the problem was seen, when known.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class RPSLError:
    """One problem in one object: which object, which attribute, which line, what is wrong."""

    object_key: str | None
    attribute: str | None
    line: int | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = []
        if self.object_key:
            where.append(f"object {self.object_key}")
        if self.attribute:
            where.append(f"attribute {self.attribute}")
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message
