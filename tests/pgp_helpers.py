"""Real OpenPGP keys for tests, made by gpg: a throwaway GNUPGHOME, ed25519 keys without passphrase
(also an expired and a revoked one), armoured public and secret keys, clear-signed text and detached
signatures.

    keys = session_keys()                     # made once per process, removed at exit
    certif = keys.alice.public               # armoured public key for a key-cert
    message = keys.home.clearsign("route: ...\\n", keys.alice)
    signature = keys.home.detach_sign(mime_part_bytes, keys.bob)
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

GPG = "gpg"
_PAST = "20200101T000000!"          # creation time of expired keys (they expire a year later)
_PAST_SIGNING = "20200601T000000!"  # when the expired keys still sign


@dataclass(frozen=True)
class Key:
    """A key in a GpgHome (its secret part stays there)."""

    fingerprint: str                # primary key, 40 upper-case hex digits
    uids: tuple[str, ...]
    public: str                     # ASCII-armoured public key (a key-cert's certif text)
    signing_subkey: str | None = None
    sign_time: str | None = None    # faked signing time (expired keys)

    @property
    def uid(self) -> str:
        return self.uids[0]

    @property
    def key_cert(self) -> str:
        return "PGPKEY-" + self.fingerprint[-8:]


class GpgHome:
    """A throwaway GNUPGHOME with a gpg-agent of its own (killed by close())."""

    def __init__(self) -> None:
        # Short path: the agent's socket lives here when /run/user/<uid> doesn't exist.
        self.path = Path(tempfile.mkdtemp(prefix="irr-gpg-"))
        os.chmod(self.path, 0o700)

    def gpg(self, *args: str, input: bytes | str = b"", time: str | None = None) -> bytes:
        """Run gpg in this home; stdout, or AssertionError with gpg's messages."""
        if isinstance(input, str):
            input = input.encode()
        command = [GPG, "--homedir", str(self.path), "--batch", "--no-tty", "--pinentry-mode", "loopback",
                   "--passphrase", ""]
        if time:
            command += ["--faked-system-time", time]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GNUPG", "GPG_"))}
        proc = subprocess.run([*command, *args], input=input, capture_output=True, env=env, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"gpg {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def _fingerprints(self, uid: str) -> list[str]:
        listing = self.gpg("--with-colons", "--with-subkey-fingerprints", "--list-keys", f"={uid}").decode()
        return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]

    def generate(self, uid: str, *, expired: bool = False, subkey: bool = False,
                 more_uids: tuple[str, ...] = ()) -> Key:
        """A new ed25519 signing key; `expired`: made in 2020, expired since 2021 (signs with 2020 time);
        `subkey`: with a signing subkey that gpg then signs with by default."""
        time = _PAST if expired else None
        self.gpg("--quick-gen-key", uid, "ed25519", "sign", "1y" if expired else "never", time=time)
        fingerprint = self._fingerprints(uid)[0]
        sub = None
        if subkey:
            self.gpg("--quick-add-key", fingerprint, "ed25519", "sign", "never")
            sub = self._fingerprints(uid)[-1]
        for extra in more_uids:
            self.gpg("--quick-add-uid", fingerprint, extra, time=time)
        return Key(fingerprint, (uid, *more_uids), self.export_public(fingerprint), sub,
                   _PAST_SIGNING if expired else None)

    def export_public(self, fingerprint: str) -> str:
        return self.gpg("--armor", "--export", fingerprint).decode()

    def export_secret(self, fingerprint: str) -> str:
        return self.gpg("--armor", "--export-secret-keys", fingerprint).decode()

    def revoked(self, key: Key) -> Key:
        """The key with its public part revoked (gpg's stored revocation certificate applied in a scratch
        home, so this home can still sign with it)."""
        certificate = (self.path / "openpgp-revocs.d" / f"{key.fingerprint}.rev").read_text()
        certificate = certificate.replace(":-----BEGIN PGP", "-----BEGIN PGP")   # gpg's guard against accidents
        scratch = GpgHome()
        try:
            scratch.gpg("--import", input=key.public)
            scratch.gpg("--import", input=certificate)
            return replace(key, public=scratch.export_public(key.fingerprint))
        finally:
            scratch.close()

    def _signers(self, keys: tuple[Key, ...]) -> list[str]:
        args: list[str] = []
        for key in keys:
            args += ["--local-user", f"{key.fingerprint}!" if key.signing_subkey is None else key.fingerprint]
        return args

    def clearsign(self, text: str | bytes, *keys: Key) -> str:
        """`text` clear-signed (RFC 4880 §7) by each of `keys`; the result decoded as latin-1 if not UTF-8."""
        out = self.gpg("--clearsign", *self._signers(keys), input=text, time=keys[0].sign_time)
        try:
            return out.decode()
        except UnicodeDecodeError:
            return out.decode("latin-1")

    def detach_sign(self, data: bytes, *keys: Key) -> str:
        """An armoured detached signature over `data` by each of `keys`."""
        return self.gpg("--armor", "--detach-sign", *self._signers(keys), input=data,
                        time=keys[0].sign_time).decode()

    def close(self) -> None:
        """Stop this home's gpg-agent and remove the home."""
        if self.path.exists():
            subprocess.run(["gpgconf", "--homedir", str(self.path), "--kill", "gpg-agent"],
                           capture_output=True, timeout=30)
            shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True)
class SessionKeys:
    """Keys made once per test process. alice signs with a subkey and has two user ids; mallory's key
    is in no registry keyring; expired signs with a 2020 time; revoked.public carries its revocation."""

    home: GpgHome
    alice: Key
    bob: Key
    mallory: Key
    expired: Key
    revoked: Key


@functools.cache
def session_keys() -> SessionKeys:
    """The session's keys (made on first use, in about a second; removed when the process exits)."""
    home = GpgHome()
    atexit.register(home.close)
    revoked = home.generate("Revoked Key <revoked@example.net>")
    return SessionKeys(
        home=home,
        alice=home.generate("Alice Nguyen <alice@example.net>", subkey=True,
                            more_uids=("Alice at work <alice@work.example.net>",)),
        bob=home.generate("Bob Tran <bob@example.net>"),
        mallory=home.generate("Mallory <mallory@example.net>"),
        expired=home.generate("Expired Key <expired@example.net>", expired=True),
        revoked=home.revoked(revoked),
    )
