"""Password credentials: checking a `password:` against mntner `auth:` lines and the override hash,
making new hashes, and deciding which auth lines a new or changed mntner may carry.

Every comparison goes through the hashing libraries' verify functions (constant time); nothing here
logs, stores or returns a password, and nothing raises on malformed input.
"""
from __future__ import annotations

import re

import bcrypt as _bcrypt
from passlib.hash import des_crypt, md5_crypt

from rpsl.output import DUMMY

PASSWORD_SCHEMES = ("CRYPT-PW", "MD5-PW", "BCRYPT-PW")
LEGACY_SCHEMES = frozenset({"CRYPT-PW"})     # verified (mirrored data) but refused in new submissions
NEW_HASH_COST = 12                            # bcrypt cost of hashes made by hash_password
MAX_BCRYPT_COST = 16                          # dearer hashes are not verified (one cost-31 check takes days)
MAX_NEW_BCRYPT_COST = 13                      # new auth lines: about 0.5 s a check, so a wrong-password
                                              # submission cannot hold the source's write lock for long
MAX_PASSWORD_LENGTH = 1024                    # md5-crypt work grows with the length: refuse absurd passwords
_BCRYPT_MAX_BYTES = 72                        # bcrypt only ever used the first 72 bytes

_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./0-9A-Za-z]{53}")
_SHAPES = {
    "CRYPT-PW": (re.compile(r"[./0-9A-Za-z]{13}"), "13 characters of traditional crypt(3)"),
    "MD5-PW": (re.compile(r"\$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}"), "$1$<salt>$<22 characters>"),
    "BCRYPT-PW": (_BCRYPT, "$2b$<cost>$<53 characters>"),
}
_PGPKEY = re.compile(r"PGPKEY-[0-9A-F]{8}", re.IGNORECASE)


def _split(auth_value: str) -> tuple[str, list[str]]:
    """(upper-case scheme, remaining words) of an auth: value; a `# comment` is dropped."""
    words = auth_value.split("#", 1)[0].split()
    if not words:
        return "", []
    return words[0].upper(), words[1:]


def _usable(password: object) -> bool:
    return (isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD_LENGTH
            and "\x00" not in password)


def _bcrypt_verify(password: str, hashed: str) -> bool:
    match = _BCRYPT.fullmatch(hashed)
    if not match or not 4 <= int(match.group(1)) <= MAX_BCRYPT_COST:
        return False
    return _bcrypt.checkpw(password.encode("utf-8")[:_BCRYPT_MAX_BYTES], hashed.encode("ascii"))


def _verify(scheme: str, password: str, hashed: str) -> bool:
    """Library verification of one hash; any malformed input is "no match"."""
    if not _usable(password) or not isinstance(hashed, str) or not hashed.isascii():
        return False
    try:
        if scheme == "BCRYPT-PW":
            return _bcrypt_verify(password, hashed)
        if scheme == "MD5-PW":
            return bool(md5_crypt.verify(password, hashed))
        if scheme == "CRYPT-PW":
            return bool(des_crypt.verify(password, hashed))
    except Exception:  # ValueError/TypeError from malformed hashes or passwords: no match
        return False
    return False


def verify_auth_line(password: str, auth_value: str) -> bool:
    """Whether `password` matches the hash of one `auth:` value ("MD5-PW $1$...", "bcrypt-pw $2b$...").
    PGPKEY and other schemes, dummies and malformed values give False; never raises."""
    if not isinstance(auth_value, str):
        return False
    scheme, rest = _split(auth_value)
    if scheme not in PASSWORD_SCHEMES or len(rest) != 1:
        return False
    return _verify(scheme, password, rest[0])


def verification_cost(auth_value: str) -> float:
    """What verifying one password against this auth: value costs, in bcrypt cost-12 checks (about
    0.3 s on a small server): bcrypt doubles per cost step; md5-crypt and crypt are cheap; values that
    are never verified (dummies, malformed, too dear) cost nothing."""
    if not isinstance(auth_value, str):
        return 0.0
    scheme, rest = _split(auth_value)
    if scheme not in PASSWORD_SCHEMES or len(rest) != 1:
        return 0.0
    if scheme == "BCRYPT-PW":
        match = _BCRYPT.fullmatch(rest[0])
        if not match or not 4 <= int(match.group(1)) <= MAX_BCRYPT_COST:
            return 0.0
        return 2.0 ** (int(match.group(1)) - NEW_HASH_COST)
    return 1 / 256


def verify_hash(password: str, hashed: str) -> bool:
    """Whether `password` matches a bare bcrypt ($2b$/$2a$/$2y$) or md5-crypt ($1$) hash (the override)."""
    if not isinstance(hashed, str):
        return False
    hashed = hashed.strip()
    if hashed.startswith(("$2a$", "$2b$", "$2y$")):
        return _verify("BCRYPT-PW", password, hashed)
    if hashed.startswith("$1$"):
        return _verify("MD5-PW", password, hashed)
    return False


def hash_password(password: str) -> str:
    """A new auth: value for `password`: "BCRYPT-PW $2b$12$...". Raises ValueError for an empty,
    absurdly long or NUL-containing password (bytes beyond 72 are ignored, as bcrypt always did)."""
    if not _usable(password):
        raise ValueError("a password must be 1 to 1024 characters without NUL characters")
    salt = _bcrypt.gensalt(rounds=NEW_HASH_COST, prefix=b"2b")
    hashed = _bcrypt.hashpw(password.encode("utf-8")[:_BCRYPT_MAX_BYTES], salt).decode("ascii")
    return f"BCRYPT-PW {hashed}"


def is_dummy(auth_value: str) -> bool:
    """Whether an auth: value is a masked hash copied from our output ("MD5-PW DummyValue")."""
    if not isinstance(auth_value, str):
        return False
    scheme, rest = _split(auth_value)
    return scheme in PASSWORD_SCHEMES and rest == [DUMMY]


def new_auth_problem(auth_value: str) -> str | None:
    """Why a new or changed mntner may not carry this auth: line, or None when it may.
    Dummy hashes give None: the caller decides what to do with them (spec auth.md §1.2)."""
    if not isinstance(auth_value, str) or not auth_value.strip():
        return "empty auth: line"
    scheme, rest = _split(auth_value)
    if scheme in PASSWORD_SCHEMES:
        if rest == [DUMMY]:
            return None
        if scheme in LEGACY_SCHEMES:
            return ("CRYPT-PW hashes are no longer accepted (only the first 8 characters of the password "
                    "count): use BCRYPT-PW or MD5-PW")
        if len(rest) != 1 or "," in rest[0]:
            return f"{scheme} must be followed by exactly one hash and nothing else"
        shape, description = _SHAPES[scheme]
        if not shape.fullmatch(rest[0]):
            return f"{scheme} hash is malformed: expected {description}"
        if scheme == "BCRYPT-PW":
            cost = int(_BCRYPT.fullmatch(rest[0]).group(1))
            if not 4 <= cost <= MAX_NEW_BCRYPT_COST:
                return f"BCRYPT-PW cost {cost} is out of range: use 4 to {MAX_NEW_BCRYPT_COST} (12 is usual)"
        return None
    if scheme.startswith("PGPKEY-"):
        if rest or not _PGPKEY.fullmatch(scheme):
            return "PGPKEY- must be followed by the last 8 hex digits of the key fingerprint and nothing else"
        return None
    if scheme == "MAIL-FROM":
        return "MAIL-FROM authentication is obsolete and not accepted: use BCRYPT-PW, MD5-PW or PGPKEY-<id>"
    if scheme == "NONE":
        return "auth: NONE is obsolete and not accepted: a maintainer must have a credential"
    if scheme.startswith("X509-"):
        return "X.509 authentication is not supported by this registry: use BCRYPT-PW, MD5-PW or PGPKEY-<id>"
    if scheme == "SSO":
        return None if len(rest) == 1 else "SSO must be followed by exactly one account name"
    if scheme == "IRRD-INTERNAL-AUTH":
        return "IRRD-INTERNAL-AUTH is reserved for IRRd's web interface"
    # the word is not repeated: it may be a password typed where a scheme belongs
    return "unknown auth scheme: use BCRYPT-PW, MD5-PW or PGPKEY-<8 hex digits>"
