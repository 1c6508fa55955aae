"""What RPSL text looks like when it leaves the registry: password hashes masked in every output."""
from __future__ import annotations

import re

DUMMY = "DummyValue"
# `auth:` lines with a hash: MD5-PW / BCRYPT-PW / CRYPT-PW (any case, any spacing, continuation).
# The hash may sit on a continuation line: the whole attribute is replaced.
_AUTH_HASH = re.compile(r"^(auth:[ \t]*)((?:MD5|BCRYPT|CRYPT)-PW)\b[^\n]*(?:\n[ \t+][^\n]*)*",
                        re.MULTILINE | re.IGNORECASE)


def mask_hashes(text: str) -> str:
    """Replace password hashes with IRRd's dummy value, as every whois, NRTM and export output does:
    `auth:           MD5-PW DummyValue  # Filtered for security`."""
    if "-PW" not in text.upper():
        return text
    return _AUTH_HASH.sub(lambda m: f"{m.group(1)}{m.group(2).upper()} {DUMMY}  # Filtered for security", text)
