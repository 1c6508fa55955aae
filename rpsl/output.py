"""What RPSL text looks like when it leaves the registry: password hashes masked in every output."""
from __future__ import annotations

import re

DUMMY = "DummyValue"
# A whole `auth:` attribute: its first line and any continuation lines (space, tab or `+`). The
# scheme may sit on a continuation line or after a comment-only first line, so the decision is
# made on the attribute's cleaned value, not on the first line.
_AUTH_ATTRIBUTE = re.compile(r"^(auth[ \t]*:[ \t]*)([^\n]*(?:\n[ \t+][^\n]*)*)", re.MULTILINE | re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z0-9]+-PW", re.IGNORECASE)


def _cleaned_words(value: str) -> list[str]:
    """The words of an attribute value written over several lines, comments dropped."""
    lines = value.split("\n")
    parts = [lines[0]] + [line[1:] for line in lines[1:]]
    return " ".join(p.split("#", 1)[0] for p in parts).split()


def _public(scheme: str) -> bool:
    """Auth values that carry no secret: key-cert references, SSO, and the obsolete schemes."""
    return scheme.startswith(("PGPKEY-", "X509-")) or scheme in ("SSO", "MAIL-FROM", "NONE")


def _mask(m: re.Match) -> str:
    words = _cleaned_words(m.group(2))
    if not words:
        return m.group(0)
    scheme = words[0].upper()
    if _public(scheme):
        return m.group(0)
    name = m.group(1) if m.group(1)[-1] in " \t" else m.group(1) + " "
    if _SCHEME.fullmatch(scheme):
        return f"{name}{scheme} {DUMMY}  # Filtered for security"
    # not a scheme at all: perhaps a password typed in clear (a refused submission echoed back)
    return f"{name}{DUMMY}  # Filtered for security"


def mask_hashes(text: str) -> str:
    """Replace password hashes with IRRd's dummy value, as every whois, NRTM and export output does:
    `auth:           MD5-PW DummyValue  # Filtered for security`. An auth value that is no known
    scheme is masked whole."""
    if "AUTH" not in text.upper():
        return text
    return _AUTH_ATTRIBUTE.sub(_mask, text)
