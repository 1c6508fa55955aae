"""rpsl.output.mask_hashes: no password hash leaves the registry, however the auth: attribute is written."""
from __future__ import annotations

import pytest

from rpsl.output import mask_hashes

BCRYPT = "$2b$12$" + "a" * 53
MASKED = "DummyValue  # Filtered for security"


@pytest.mark.parametrize("auth", [
    f"auth:           BCRYPT-PW {BCRYPT}",
    f"AUTH:\tbcrypt-pw {BCRYPT}  # office",
    f"auth:\n                BCRYPT-PW {BCRYPT}",                  # the whole value on a continuation line
    f"auth:   # the members' password\n+BCRYPT-PW\n\t{BCRYPT}",     # comment first, scheme and hash continued
    f"auth :  BCRYPT-PW\n {BCRYPT}",
    "auth:  MD5-PW $1$abcdefgh$" + "b" * 22,
    "auth:  CRYPT-PW abcdefghijklm",
])
def test_every_way_of_writing_a_hash_is_masked(auth):
    text = f"mntner: M\n{auth}\nmnt-by: M\nsource: TEST\n"
    masked = mask_hashes(text)
    for secret in (BCRYPT, "b" * 22, "abcdefghijklm", "password"):
        assert secret not in masked
    assert MASKED in masked and masked.endswith("\nmnt-by: M\nsource: TEST\n")
    assert masked.count("\n") == 4          # continuation lines are gone with the hash


def test_other_auth_lines_and_attributes_are_left_alone():
    text = ("mntner: M\nauth: PGPKEY-1A2B3C4D\nauth: SSO someone@example.net\n"
            "remarks: BCRYPT-PW is what we use\ndescr: auth: MD5-PW in a description\nsource: TEST\n")
    assert mask_hashes(text) == text


def test_an_auth_value_that_is_no_scheme_is_masked_whole():
    text = "mntner: M\nauth: hunter2\nauth:\n  my-secret\nsource: TEST\n"
    assert mask_hashes(text) == ("mntner: M\nauth: DummyValue  # Filtered for security\n"
                                 "auth: DummyValue  # Filtered for security\nsource: TEST\n")
