"""A submission, whatever its channel (e-mail, HTTP API, web form): change requests plus the
credentials that came with them.

Pseudo-attributes (spec auth.md §4.2, case-insensitive as RIPE): `password:` and `override:`
apply to the whole submission, `delete:` to the object it is in, `dry-run:` makes the whole
submission a validation without writing. Paragraphs that are not RPSL objects (greetings,
signatures) are set aside and reported, as RIPE and APNIC do.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rpsl import reader
from rpsl.schema import SCHEMA

PSEUDO = ("password", "override", "delete", "dry-run")
MAX_PASSWORDS = 10  # each is checked against each hash of each maintainer: bounded work per submission
# Credentials are taken (and removed) even when indented like a continuation line: otherwise they
# would join the previous attribute's value and be echoed in replies, notifications and the object.
_PSEUDO_LINE = re.compile(r"^(?:(password|override)|(delete|dry-run))[ \t]*:[ \t]*(.*?)[ \t]*$|"
                          r"^[ \t+]+(password|override)[ \t]*:[ \t]*(.*?)[ \t]*$", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"^([A-Za-z0-9_-]+)[ \t]*:")
GENERATED = frozenset(a.name for c in SCHEMA.values() for a in c.attributes if a.generated)


@dataclass
class Request:
    """One object of a submission and, once processed, what became of it."""

    text: str                       # as submitted, pseudo-attributes removed
    line: int
    delete_reason: str | None = None
    signers: frozenset[str] = frozenset()   # PGP fingerprints that signed the part it came in
    # outcome (filled by the pipeline)
    object_class: str = ""
    pk: str = ""
    source: str = ""
    operation: str = ""             # create | modify | delete | noop
    errors: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    old_text: str | None = None
    new_text: str | None = None
    serial: int | None = None
    auth_failed: bool = False       # failed because a maintainer did not authorise it
    notify_on_failure: list[str] = field(default_factory=list)  # maintainers whose upd-to hears of it
    failed_credentials: list[str] = field(default_factory=list)  # stored maintainers/irts passwords failed for
    lockouts: list[str] = field(default_factory=list)            # ... and those locked out, not checked
    key_armored: str | None = None  # a key-cert's key, imported into the keyring when written

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Submission:
    requests: list[Request]
    passwords: list[str] = field(default_factory=list)
    override: str | None = None
    dry_run: bool = False
    ignored: list[str] = field(default_factory=list)   # paragraphs that are no objects
    meta: dict[str, str] = field(default_factory=dict)  # From, Subject, Message-ID ... / client address

    @property
    def client(self) -> str | None:
        """Who submitted it, for the rate limit of failed attempts: the HTTP client's address (API,
        web), else the mail sender."""
        return self.meta.get("HTTP-client-IP") or (self.meta.get("From") or "").lower() or None


def from_texts(parts: Iterable[tuple[str, frozenset[str]]], meta: dict[str, str] | None = None,
               delete_reason: str | None = None) -> Submission:
    """Build a submission from text parts, each with the PGP signers of that part."""
    sub = Submission([], meta=dict(meta or {}))
    for text, signers in parts:
        for para in reader.split_paragraphs(text.replace("\r\n", "\n")):
            kept: list[str] = []
            reason = delete_reason
            for line in para.text.split("\n"):
                m = _PSEUDO_LINE.match(line)
                if not m:
                    kept.append(line)
                    continue
                name = (m.group(1) or m.group(2) or m.group(4)).lower()
                value = m.group(3) if m.group(4) is None else m.group(5)
                if name == "password":
                    if value:
                        sub.passwords.append(value)
                elif name == "override":
                    sub.override = value or None
                elif name == "delete":
                    reason = value or "(no reason given)"
                elif name == "dry-run":
                    sub.dry_run = True
            body = "\n".join(kept).strip("\n")
            if not body.strip():
                continue
            first = next((ln for ln in body.split("\n") if ln and ln[0] not in "#%"), "")
            m = _ATTRIBUTE.match(first)
            if m is None:
                sub.ignored.append(body)
                continue
            sub.requests.append(Request(body + "\n", para.line, reason, frozenset(signers)))
    return sub


def from_api(objects: list[dict], passwords: list[str], override: str | None, delete_reason: str | None,
             meta: dict[str, str], dry_run: bool = False) -> Submission:
    """IRRd's /v1/submit/ JSON: objects as `object_text` or as a list of name/value attributes."""
    texts = []
    for obj in objects:
        if isinstance(obj.get("object_text"), str):
            texts.append(obj["object_text"])
        elif isinstance(obj.get("attributes"), list):
            lines = []
            for attr in obj["attributes"]:
                value = attr.get("value", "")
                if isinstance(value, list):
                    value = ", ".join(str(v) for v in value)
                lines.append(f"{attr.get('name', '')}: {value}")
            texts.append("\n".join(lines))
        else:
            raise ValueError("each object needs object_text or attributes")
    sub = from_texts([("\n\n".join(texts), frozenset())], meta, delete_reason)
    sub.passwords.extend(p for p in passwords if isinstance(p, str) and p)
    if override:
        sub.override = override
    sub.dry_run = sub.dry_run or dry_run
    return sub


def strip_generated(text: str) -> str:
    """Remove server-generated attributes (last-modified, key-cert fingerpr ...): they are set anew."""
    out = []
    skipping = False
    for line in text.split("\n"):
        if line[:1] in (" ", "\t", "+") and out is not None:
            if not skipping:
                out.append(line)
            continue
        m = _ATTRIBUTE.match(line)
        skipping = bool(m and m.group(1).lower() in GENERATED)
        if not skipping:
            out.append(line)
    return "\n".join(out)
