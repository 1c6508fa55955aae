"""PGP: key-cert keys in a keyring, inline clear-signed and detached signatures, with real gpg keys."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from irr.auth.pgp import (
    KeyInfo,
    Keyring,
    PGPError,
    _unescape_colons,
    key_cert_name,
    keycert_attributes,
    same_fingerprint,
)
from tests.conftest import generate_dump
from tests.pgp_helpers import SessionKeys, session_keys

FINGERPR = re.compile(r"([0-9A-F]{4} ){4}[0-9A-F]{4}  ([0-9A-F]{4} ){4}[0-9A-F]{4}")
MIME_PART = (b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
             b"route:          192.0.2.0/24\r\norigin:         AS64500\r\nsource:         DEMO\r\n")
OBJECT = "route:          192.0.2.0/24\norigin:         AS64500\nmnt-by:         DEMO-MNT\nsource:         DEMO\n"


@pytest.fixture(scope="session")
def keys() -> SessionKeys:
    return session_keys()


@pytest.fixture(scope="module")
def registry(keys, tmp_path_factory) -> Keyring:
    """A keyring holding alice, bob, the expired and the revoked key (not mallory); tests don't change it."""
    ring = Keyring(tmp_path_factory.mktemp("registry") / "gnupg")
    for key in (keys.alice, keys.bob, keys.expired, keys.revoked):
        ring.import_key(key.public)
    return ring


@pytest.fixture
def empty(tmp_path) -> Keyring:
    return Keyring(tmp_path / "gnupg")


# --- keys -----------------------------------------------------------------------------------------------

def test_import_one_key(empty, keys):
    info = empty.import_key(keys.bob.public)
    assert info == KeyInfo(keys.bob.fingerprint, keys.bob.key_cert, ("Bob Tran <bob@example.net>",))
    assert info.method == "PGP" and info.key_cert == "PGPKEY-" + keys.bob.fingerprint[-8:]
    assert re.fullmatch(r"[0-9A-F]{40}", info.fingerprint)
    assert FINGERPR.fullmatch(info.fingerpr()) and info.fingerpr().replace(" ", "") == info.fingerprint
    assert empty.fingerprints() == [keys.bob.fingerprint]
    assert empty.import_key(keys.bob.public) == info          # again: harmless
    assert empty.fingerprints() == [keys.bob.fingerprint]
    assert (empty.home.stat().st_mode & 0o777) == 0o700


def test_key_with_subkey_and_two_uids(empty, keys):
    info = empty.import_key(keys.alice.public)
    assert info.fingerprint == keys.alice.fingerprint         # the primary key, not the signing subkey
    assert sorted(info.owners) == sorted(keys.alice.uids)
    assert keycert_attributes(info) == [("method", "PGP"), *(("owner", uid) for uid in info.owners),
                                        ("fingerpr", info.fingerpr())]


def test_fingerpr_format():
    info = KeyInfo("86261D8DBEBDA4F54692D64DA8383BA780F238C6", "PGPKEY-80F238C6", ())
    assert info.fingerpr() == "8626 1D8D BEBD A4F5 4692  D64D A838 3BA7 80F2 38C6"
    assert key_cert_name(info.fingerpr()) == "PGPKEY-80F238C6"
    assert same_fingerprint("8626 1D8D BEBD A4F5 4692  D64D A838 3BA7 80F2 38C6", info.fingerprint)
    assert same_fingerprint("86:26:1d:8d:be:bd:a4:f5:46:92:d6:4d:a8:38:3b:a7:80:f2:38:c6", info.fingerprint)
    assert not same_fingerprint("8626 1D8D BEBD A4F5 4692  D64D A838 3BA7 80F2 38C7", info.fingerprint)


def test_key_info_does_not_import(empty, keys):
    assert empty.key_info(keys.bob.public).fingerprint == keys.bob.fingerprint
    assert empty.fingerprints() == []


def test_expired_and_revoked_keys_import(empty, keys):
    """A key-cert may hold an expired or revoked key (IRRd accepts them); its signatures just don't count."""
    assert empty.import_key(keys.expired.public).fingerprint == keys.expired.fingerprint
    assert empty.import_key(keys.revoked.public).fingerprint == keys.revoked.fingerprint


@pytest.mark.parametrize("case, message", [
    ("two keys", "exactly one public key"),
    ("secret key", "SECRET"),
    ("secret key under a public armour header", "SECRET"),
    ("garbage", "no ASCII-armoured public key"),
    ("garbage in a public armour", "no usable PGP public key"),
    ("empty", "no key"),
    ("blank", "no key"),
])
def test_import_rejects(empty, keys, case, message):
    certif = {
        "two keys": keys.alice.public + keys.bob.public,
        "secret key": keys.home.export_secret(keys.mallory.fingerprint),
        "secret key under a public armour header": keys.home.export_secret(keys.mallory.fingerprint)
        .replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK"),
        "garbage": "this is not a key\n",
        "garbage in a public armour": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5Cg==\n=AAAA\n"
                                      "-----END PGP PUBLIC KEY BLOCK-----\n",
        "empty": "",
        "blank": "  \n",
    }[case]
    for check in (empty.key_info, empty.import_key):
        with pytest.raises(PGPError, match=message):
            check(certif)
    assert empty.fingerprints() == []
    assert not list(empty.home.glob("S.gpg-agent*"))          # no agent started for a secret key
    assert not (empty.home / "private-keys-v1.d").exists() or not any((empty.home / "private-keys-v1.d").iterdir())


def _dump_keycerts(tmp_path: Path) -> list[dict[str, list[str]]]:
    dump = generate_dump(tmp_path / "dump.db", 10000, 1)     # 4 key-certs (0.04 %): 2 real, 2 synthetic
    objects = []
    for paragraph in dump.read_text().split("\n\n"):
        if paragraph.startswith("key-cert:"):
            attrs: dict[str, list[str]] = {}
            for line in paragraph.splitlines():
                name, _, value = line.partition(":")
                attrs.setdefault(name, []).append(value.strip())
            objects.append(attrs)
    return objects


def test_key_certs_of_a_generated_dump(empty, tmp_path):
    """The dump's real key (RIPE's test key, RSA) gives the dump's own generated attributes; its synthetic
    key material is refused."""
    real, synthetic = [], []
    for attrs in _dump_keycerts(tmp_path):
        (synthetic if "remarks" in attrs and "synthetic" in " ".join(attrs["remarks"]) else real).append(attrs)
    assert real and synthetic
    for attrs in real:
        info = empty.key_info("\n".join(attrs["certif"]) + "\n")
        assert info.key_cert == attrs["key-cert"][0]
        assert info.fingerpr() == attrs["fingerpr"][0]
        assert list(info.owners) == attrs["owner"]
    for attrs in synthetic:
        with pytest.raises(PGPError):
            empty.key_info("\n".join(attrs["certif"]) + "\n")


def test_delete_key(empty, keys):
    empty.import_key(keys.bob.public)
    assert empty.delete_key(keys.bob.fingerprint)
    assert empty.fingerprints() == []
    assert not empty.delete_key(keys.bob.fingerprint)
    assert not empty.delete_key("not a fingerprint")


# --- inline clear-signed -----------------------------------------------------------------------------

def test_inline_valid_subkey_signature_names_primary_key(registry, keys):
    message = "Some text before\n" + keys.home.clearsign(OBJECT, keys.alice) + "password: not signed\n"
    [signed] = registry.verify_inline(message)
    assert signed.fingerprint == keys.alice.fingerprint       # signed by alice's subkey
    assert signed.problem is None
    assert signed.text == OBJECT


def test_inline_tampered(registry, keys):
    message = keys.home.clearsign(OBJECT, keys.bob).replace("AS64500", "AS64501")
    [signed] = registry.verify_inline(message)
    assert signed.fingerprint is None and "does not match" in signed.problem
    assert "AS64501" in signed.text                            # still usable as unsigned text


def test_inline_key_not_in_keyring(registry, keys):
    [signed] = registry.verify_inline(keys.home.clearsign(OBJECT, keys.mallory))
    assert signed.fingerprint is None
    assert "not in any key-cert" in signed.problem and keys.mallory.fingerprint[-16:] in signed.problem


def test_inline_empty_keyring(empty, keys):
    [signed] = empty.verify_inline(keys.home.clearsign(OBJECT, keys.alice))
    assert signed.fingerprint is None and signed.problem


def test_inline_two_blocks_by_different_keys(registry, keys):
    second = OBJECT.replace("192.0.2.0", "198.51.100.0")
    message = ("header text\n" + keys.home.clearsign(OBJECT, keys.alice) + "\nbetween\n"
               + keys.home.clearsign(second, keys.bob) + "\n" + keys.home.clearsign("x\n", keys.mallory))
    first, other, third = registry.verify_inline(message)
    assert (first.text, first.fingerprint) == (OBJECT, keys.alice.fingerprint)
    assert (other.text, other.fingerprint) == (second, keys.bob.fingerprint)
    assert (third.text, third.fingerprint) == ("x\n", None)


def test_inline_several_signers_in_one_block(registry, keys):
    [signed] = registry.verify_inline(keys.home.clearsign(OBJECT, keys.mallory, keys.bob))
    assert signed.fingerprint == keys.bob.fingerprint


def test_inline_dash_escaping(registry, keys):
    text = ("remarks:        x\n-- comment\n- -- comment\n-----BEGIN PGP SIGNATURE-----\n"
            "-----BEGIN PGP SIGNED MESSAGE-----\nFrom the registry\n-\n")
    message = keys.home.clearsign(text, keys.bob)
    assert "\n- -- comment\n" in message and "\n- - -- comment\n" in message
    [signed] = registry.verify_inline(message)
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == text


def test_inline_crlf_and_trailing_blanks(registry, keys):
    message = keys.home.clearsign(OBJECT, keys.bob)
    crlf = message.replace("\n", "\r\n")
    [signed] = registry.verify_inline(crlf)
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == OBJECT
    padded = message.replace("AS64500\n", "AS64500   \t\n")      # trailing blanks are not signed
    [signed] = registry.verify_inline(padded)
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == OBJECT
    # Signed with trailing blanks: they are not part of the signed text either.
    [signed] = registry.verify_inline(keys.home.clearsign("a:  b  \n\n", keys.bob))
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == "a:  b\n\n"


def test_inline_charset(registry, keys):
    text = "remarks:        Hà Nội\n"
    message = keys.home.clearsign(text.encode("latin-1", "replace"), keys.bob)   # "Hà N?i" in latin-1
    [signed] = registry.verify_inline(message, charset="latin-1")
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == "remarks:        Hà N?i\n"
    [signed] = registry.verify_inline(message)               # read as UTF-8: other bytes, bad signature
    assert signed.fingerprint is None
    [signed] = registry.verify_inline(keys.home.clearsign(text, keys.bob))
    assert signed.fingerprint == keys.bob.fingerprint and signed.text == text


@pytest.mark.parametrize("name", ["expired", "revoked"])
def test_inline_expired_and_revoked_keys(registry, keys, name):
    key = getattr(keys, name)
    [signed] = registry.verify_inline(keys.home.clearsign(OBJECT, key))
    assert signed.fingerprint is None and name in signed.problem and signed.text == OBJECT


def test_inline_malformed_blocks(registry, keys):
    message = keys.home.clearsign(OBJECT, keys.bob)
    assert registry.verify_inline(OBJECT) == []
    [truncated] = registry.verify_inline(message.split("-----BEGIN PGP SIGNATURE-----")[0])
    assert truncated.fingerprint is None and "no signature" in truncated.problem and truncated.text == OBJECT + "\n"
    [unended] = registry.verify_inline(message.split("-----END PGP SIGNATURE-----")[0])
    assert unended.fingerprint is None and "incomplete" in unended.problem
    [header] = registry.verify_inline(message.replace("Hash: SHA256\n", "Hash: SHA256\nComment: hi\n"))
    assert header.fingerprint is None
    # A second BEGIN inside an unfinished block starts a new block.
    first, second = registry.verify_inline("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\njunk\n" + message)
    assert first.fingerprint is None and second.fingerprint == keys.bob.fingerprint


def test_inline_hash_header_mismatch(registry, keys):
    message = keys.home.clearsign(OBJECT, keys.bob)
    [signed] = registry.verify_inline(message.replace("Hash: SHA256", "Hash: SHA512"))
    assert signed.fingerprint is None and signed.problem


# --- detached (PGP/MIME) -----------------------------------------------------------------------------

def test_detached_valid(registry, keys):
    signature = keys.home.detach_sign(MIME_PART, keys.alice)
    assert registry.verify_detached(MIME_PART, signature) == keys.alice.fingerprint
    assert registry.verify_detached(MIME_PART, signature.encode()) == keys.alice.fingerprint
    assert registry.check_detached(MIME_PART, signature) == (keys.alice.fingerprint, None)


def test_detached_one_byte_changed(registry, keys):
    signature = keys.home.detach_sign(MIME_PART, keys.bob)
    changed = MIME_PART.replace(b"AS64500", b"AS64501")
    assert registry.verify_detached(changed, signature) is None
    assert registry.verify_detached(MIME_PART.replace(b"\r\n", b"\n"), signature) is None   # not canonical
    fingerprint, problem = registry.check_detached(changed, signature)
    assert fingerprint is None and "does not match" in problem


def test_detached_wrong_keys(registry, keys):
    assert registry.verify_detached(MIME_PART, keys.home.detach_sign(MIME_PART, keys.mallory)) is None
    assert registry.verify_detached(MIME_PART, keys.home.detach_sign(MIME_PART, keys.expired)) is None
    assert registry.verify_detached(MIME_PART, keys.home.detach_sign(MIME_PART, keys.revoked)) is None
    assert registry.verify_detached(MIME_PART, keys.home.detach_sign(MIME_PART, keys.mallory, keys.bob)) \
        == keys.bob.fingerprint


def test_detached_not_a_signature(registry, keys):
    assert registry.verify_detached(MIME_PART, "") is None
    assert registry.verify_detached(MIME_PART, "garbage") is None
    assert registry.verify_detached(MIME_PART, keys.home.clearsign(OBJECT, keys.bob)) is None
    assert registry.verify_detached(MIME_PART, keys.bob.public) is None


def test_concurrent_use(registry, keys):
    message = keys.home.clearsign(OBJECT, keys.bob)
    signature = keys.home.detach_sign(MIME_PART, keys.alice)
    results: list[object] = []

    def work() -> None:
        results.append(registry.verify_inline(message)[0].fingerprint)
        results.append(registry.verify_detached(MIME_PART, signature))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([keys.bob.fingerprint, keys.alice.fingerprint] * 6)


def test_text_must_be_what_gpg_checked(registry, keys):
    """The text handed on is compared with gpg's own output of the signed text."""
    block = keys.home.clearsign(OBJECT, keys.bob).encode()
    assert registry._verify_clearsigned(block, OBJECT, "utf-8") == (keys.bob.fingerprint, None)
    fingerprint, problem = registry._verify_clearsigned(block, OBJECT + "extra\n", "utf-8")
    assert fingerprint is None and "unambiguously" in problem


def test_owner_is_one_printable_line():
    assert _unescape_colons(r"Evil\x3a Name\x0aauth: NONE <e@example.net>") == "Evil: Name auth: NONE <e@example.net>"
    assert _unescape_colons("Nguyễn Văn An <an@example.vn>") == "Nguyễn Văn An <an@example.vn>"
