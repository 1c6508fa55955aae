"""One stored object as the RDAP renderers read it: its attributes in order, free text as written.

Objects come from the store (irr.store.lookups.Obj); their text is split into attributes here
(rpsl.objects.split_attributes, no validation: mirrored objects are rendered as they are). Free-text
attributes (descr, remarks, address) keep what follows a `#`; other values lose their comments.
Password hashes never reach a renderer: `auth` is no attribute any of them reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from irr.store.lookups import Obj
from rpsl.attributes import split_attributes
from rpsl.schema import SCHEMA

FREE_TEXT = frozenset(("descr", "remarks", "address", "trouble", "person", "role", "org-name"))


@dataclass(frozen=True)
class Record:
    """An object's class, key, source and (name, value) attribute pairs."""

    obj: Obj
    attributes: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, obj: Obj) -> Record:
        attrs, _, _ = split_attributes(obj.text)
        schema = SCHEMA.get(obj.object_class)
        pairs: list[tuple[str, str]] = []
        for a in attrs:
            if a.name in FREE_TEXT:
                value = " ".join(t for t in a.raw_value.split("\n") if t.strip())
                value = " ".join(value.split()) if a.name in ("person", "role", "org-name") else value.strip()
                pairs.append((a.name, value))
                continue
            spec = schema.get(a.name) if schema is not None else None
            if spec is not None and spec.list:
                pairs.extend((a.name, v.strip()) for v in a.value.split(",") if v.strip())
            elif a.value:
                pairs.append((a.name, a.value))
        return cls(obj, tuple(pairs))

    @property
    def object_class(self) -> str:
        return self.obj.object_class

    @property
    def source(self) -> str:
        return self.obj.source

    @property
    def pk(self) -> str:
        return self.obj.pk

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.attributes if n == name]

    def first(self, name: str) -> str | None:
        for n, v in self.attributes:
            if n == name:
                return v
        return None

    @property
    def key_value(self) -> str:
        """The class attribute's value as written (its case kept)."""
        return self.first(self.object_class) or self.pk
