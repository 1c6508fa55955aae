"""Maintainer credentials of the generated registry: real hashes for the known-password
maintainers, well-formed random ones for everybody else, and key-certs (two real public keys,
the rest synthetic)."""
from __future__ import annotations

import random

import bcrypt
from passlib.hash import md5_crypt

from rpsl.generate.keys import REAL_KEYS

_B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ARMOUR = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_B64 = bytes(ord(_B64[b % 64]) for b in range(256))
_TO_ARMOUR = bytes(ord(_ARMOUR[b % 64]) for b in range(256))
BCRYPT_COST = 10


def password_for(mntner: str) -> str:
    """The password of a known-password maintainer: "secret-" and its name in lower case."""
    return "secret-" + mntner.lower()


def _chars(rng: random.Random, n: int, table: bytes = _TO_B64) -> str:
    """n characters of the crypt base-64 alphabet."""
    return rng.randbytes(n).translate(table).decode("ascii")


def real_auth(rng: random.Random, mntner: str) -> list[str]:
    """MD5-PW and BCRYPT-PW lines whose hashes verify password_for(mntner); salts from rng."""
    password = password_for(mntner)
    md5 = md5_crypt.using(salt=_chars(rng, 8)).hash(password)
    salt = f"$2b${BCRYPT_COST:02d}${_chars(rng, 21)}{rng.choice('.Oeu')}".encode()
    hashed = bcrypt.hashpw(password.encode(), salt).decode()
    return [f"MD5-PW {md5}", f"BCRYPT-PW {hashed}"]


def fake_bcrypt(rng: random.Random) -> str:
    return f"BCRYPT-PW $2b${BCRYPT_COST:02d}${_chars(rng, 53)}"


def fake_md5(rng: random.Random) -> str:
    return f"MD5-PW $1${_chars(rng, 8)}${_chars(rng, 22)}"


def key_cert_lines(rng: random.Random, key_id: str, owner: str) -> tuple[list[tuple[str, str]], bool]:
    """(attribute, value) pairs from method to certif, and whether the key is real."""
    if key_id in REAL_KEYS:
        real_owner, fingerprint, armour = REAL_KEYS[key_id]
        pairs = [("method", "PGP"), ("owner", real_owner), ("fingerpr", fingerprint)]
        return pairs + [("certif", line) for line in armour], True
    hexdigits = f"{rng.getrandbits(128):032X}" + key_id[-8:]
    fingerprint = " ".join(hexdigits[i:i + 4] for i in range(0, 20, 4)) + "  " + \
        " ".join(hexdigits[i:i + 4] for i in range(20, 40, 4))
    body = [_chars(rng, 64, _TO_ARMOUR) for _ in range(rng.randint(6, 14))]
    armour = ["-----BEGIN PGP PUBLIC KEY BLOCK-----", "", *body, "=" + _chars(rng, 4, _TO_ARMOUR),
              "-----END PGP PUBLIC KEY BLOCK-----"]
    pairs = [("method", "PGP"), ("owner", owner), ("fingerpr", fingerprint)]
    return pairs + [("certif", line) for line in armour], False
