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


MD5 = "$1$abcdefgh$" + "b" * 22


@pytest.mark.parametrize("auth, shown", [
    # real mirrored shapes: the first word is public, a hash follows somewhere
    (f"auth: PGPKEY-12345678 MD5-PW {MD5}", "PGPKEY-12345678 MD5-PW DummyValue"),
    (f"auth: PGPKEY-12345678\n+               MD5-PW {MD5}", "PGPKEY-12345678 MD5-PW DummyValue"),
    (f"auth: PGPKEY-12345678 # MD5-PW {MD5}", "PGPKEY-12345678"),
    (f"auth: PGPKEY-12345678 # old password\n+ # {MD5}", "PGPKEY-12345678"),
    (f"auth: SSO {MD5}", "SSO DummyValue"),
    (f"auth: X509-1 {MD5}", "X509-1 DummyValue"),
    (f"auth: X509-1 {BCRYPT}", "X509-1 DummyValue"),
    ("auth: SSO $2a$10$" + "d" * 53, "SSO DummyValue"),
    ("auth: SSO $2y$10$" + "d" * 53, "SSO DummyValue"),
    ("auth: PGPKEY-1A2B3C4D $5$rounds=5000$saltsalt$" + "e" * 43, "PGPKEY-1A2B3C4D DummyValue"),
    ("auth: PGPKEY-1A2B3C4D $6$saltsalt$" + "f" * 86, "PGPKEY-1A2B3C4D DummyValue"),
    ("auth: SSO $apr1$saltsalt$" + "g" * 22, "SSO DummyValue"),
    ("auth: PGPKEY-1A2B3C4D CRYPT-PW abcdefghijklm", "PGPKEY-1A2B3C4D CRYPT-PW DummyValue"),
    ("auth: MAIL-FROM x@example.net {SSHA}c2VjcmV0c2VjcmV0", "MAIL-FROM x@example.net DummyValue"),
    (f"auth: # {MD5}", "DummyValue"),
])
def test_a_hash_anywhere_in_an_auth_value_is_masked(auth, shown):
    """The first word decided before: `PGPKEY-... MD5-PW $1$...` (as mirrored from real registries),
    `SSO $1$...`, `X509-1 $1$...` went out as they came."""
    text = f"mntner: M\n{auth}\nmnt-by: M\nsource: TEST\n"
    masked = mask_hashes(text)
    assert masked == f"mntner: M\nauth: {shown}{MASKED.replace('DummyValue', '')}\nmnt-by: M\nsource: TEST\n"
    for secret in ("b" * 22, "d" * 53, "e" * 43, "f" * 86, "g" * 22, "abcdefghijklm", "c2VjcmV0", "$1$", "$2"):
        assert secret not in masked
    assert mask_hashes(masked) == masked                           # masking output again changes nothing
