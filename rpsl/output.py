"""What RPSL text looks like when it leaves the registry: password hashes masked in every output."""
from __future__ import annotations

import re

DUMMY = "DummyValue"
FILTERED = "  # Filtered for security"
# A whole `auth:` attribute: its first line and any continuation lines (space, tab or `+`). The
# scheme may sit on a continuation line or after a comment-only first line, so the decision is
# made on the attribute's cleaned value, not on the first line.
_AUTH_ATTRIBUTE = re.compile(r"^(auth[ \t]*:[ \t]*)([^\n]*(?:\n[ \t+][^\n]*)*)", re.MULTILINE | re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z0-9]+-PW", re.IGNORECASE)
# Anything that looks like a password hash, wherever it sits in an auth: value (comments too):
# modular crypt ($1$ md5, $2a$/$2b$/$2y$ bcrypt, $5$/$6$ sha-crypt, $apr1$, $y$ yescrypt, ...),
# LDAP-style {SSHA}..., and the word after any `XX-PW` scheme (a DES crypt has no other mark).
_HASH = re.compile(r"\$[0-9A-Za-z.-]{1,16}\$|\{[A-Za-z0-9-]{2,16}\}[A-Za-z0-9+/=.]", re.IGNORECASE)


def _cleaned_words(value: str) -> list[str]:
    """The words of an attribute value written over several lines, comments dropped."""
    lines = value.split("\n")
    parts = [lines[0]] + [line[1:] for line in lines[1:]]
    return " ".join(p.split("#", 1)[0] for p in parts).split()


def _public(scheme: str) -> bool:
    """Auth values that carry no secret: key-cert references, SSO, and the obsolete schemes."""
    return scheme.startswith(("PGPKEY-", "X509-")) or scheme in ("SSO", "MAIL-FROM", "NONE")


def _has_secret(value: str) -> bool:
    """Does a public-looking auth value hide a hash (after the key id, on a continuation line,
    in a comment) or a password scheme with its hash?"""
    if _HASH.search(value):
        return True
    words = value.replace("#", " ").replace("+", " ").split()
    return any(_SCHEME.fullmatch(w) for w in words[1:])


def _mask(m: re.Match) -> str:
    name = m.group(1) if m.group(1)[-1] in " \t" else m.group(1) + " "
    value = m.group(2)
    words = _cleaned_words(value)
    if not words:  # only a comment: nothing to keep, perhaps something to hide
        return f"{name}{DUMMY}{FILTERED}" if _HASH.search(value) else m.group(0)
    scheme = words[0].upper()
    if _public(scheme):
        if not _has_secret(value):
            return m.group(0)
        # keep the public words, hide every hash and whatever follows a password scheme
        kept: list[str] = []
        hide_next = False
        for word in words:
            if hide_next or _HASH.search(word):
                if not kept or kept[-1] != DUMMY:
                    kept.append(DUMMY)
            else:
                kept.append(word)
            hide_next = bool(_SCHEME.fullmatch(word))
        return f"{name}{' '.join(kept)}{FILTERED}"
    if _SCHEME.fullmatch(scheme):
        return f"{name}{scheme} {DUMMY}{FILTERED}"
    # not a scheme at all: perhaps a password typed in clear (a refused submission echoed back)
    return f"{name}{DUMMY}{FILTERED}"


def mask_hashes(text: str) -> str:
    """Replace password hashes with IRRd's dummy value, as every whois, NRTM and export output does:
    `auth:           MD5-PW DummyValue  # Filtered for security`. An auth value that is no known
    scheme is masked whole; one that starts with a public scheme (PGPKEY-, X509-, SSO) keeps its
    public words and loses any hash found anywhere in it, comments and continuation lines included."""
    if "AUTH" not in text.upper():
        return text
    return _AUTH_ATTRIBUTE.sub(_mask, text)
