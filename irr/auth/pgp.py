"""OpenPGP for the registry: key-cert keys in a GnuPG keyring, inline clear-signed (RFC 4880 §7)
and detached PGP/MIME (RFC 3156) signature checks, and the generated key-cert attributes.

gpg runs through python-gnupg (`gnupg.GPG`), which acts only on gpg's machine-readable status lines
(`[GNUPG:] ...` on stderr, where it ignores the human-readable messages), with `--no-options`,
`--no-autostart` (no gpg-agent or dirmngr is ever started, no key is fetched from the network) and
`--trust-model always` (a key in this keyring is trusted because a key-cert holds it; which mntner it
satisfies is decided by the key-cert, spec auth.md §3.1). Where python-gnupg's summaries would lose
information, its hooks are used instead: each signature's status lines are kept apart (`_Verify`), key
listings are parsed from gpg's own colon output (`_ColonListing`), and every gpg run has a time limit (`_GPG`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gnupg

GPG = "gpg"
TIMEOUT = 60.0                                # seconds for one gpg run
_OPTIONS = ["--no-options", "--no-autostart", "--no-auto-key-retrieve", "--no-auto-key-locate",
            "--trust-model", "always", "--no-permission-warning", "--display-charset", "utf-8", "--utf8-strings"]
_FPR = re.compile(r"[0-9A-F]{40}")
_HASH_HEADER = re.compile(r"Hash:[ \t]*[A-Za-z0-9-]+(?:[ \t]*,[ \t]*[A-Za-z0-9-]+)*[ \t]*")
_BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = "-----END PGP SIGNATURE-----"
_BAD_STATUSES = frozenset({"BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG"})
_UNCHECKED = "the signature could not be checked (damaged signature or unsupported algorithm)"


class PGPError(Exception):
    """A key that can't be used (no key, several keys, a secret key ...) or gpg failing."""


@dataclass(frozen=True)
class KeyInfo:
    """A public key as a key-cert describes it."""

    fingerprint: str          # 40 upper-case hex digits
    key_cert: str             # "PGPKEY-" + last 8 hex digits
    owners: tuple[str, ...]   # user ids
    method: str = "PGP"

    def fingerpr(self) -> str:
        """IRRd's display format: ten groups of 4 hex digits, two spaces between groups 5 and 6."""
        groups = [self.fingerprint[i:i + 4] for i in range(0, len(self.fingerprint), 4)]
        return " ".join(groups[:5]) + "  " + " ".join(groups[5:])


class Signer(str):
    """A valid signer's primary-key fingerprint (it compares and hashes as the fingerprint), carrying
    when the signature was made and an id of that one signature: the signer, the signing time and the
    signed bytes, so that a signature presented again is recognised however it is wrapped."""

    signed_at: dt.datetime
    signature_id: str

    def __new__(cls, fingerprint: str, signed_at: dt.datetime, signature_id: str) -> Signer:
        signer = super().__new__(cls, fingerprint)
        signer.signed_at = signed_at
        signer.signature_id = signature_id
        return signer

    def __reduce__(self):
        return Signer, (str(self), self.signed_at, self.signature_id)


@dataclass(frozen=True)
class SignedText:
    """One clear-signed block: its text and, when the signature is good, the signer."""

    text: str                 # the signed text, dash-escaping undone, LF line ends
    fingerprint: str | None   # primary-key fingerprint (a Signer) of a valid signer, None when it doesn't verify
    problem: str | None       # why not, in words a user understands


def key_cert_name(fingerprint: str) -> str:
    """The key-cert a key's fingerprint names: PGPKEY- and its last 8 hex digits."""
    return "PGPKEY-" + normalise_fingerprint(fingerprint)[-8:]


def normalise_fingerprint(value: str) -> str:
    """A fingerprint as upper-case hex digits only (a `fingerpr:` value with spaces or colons)."""
    return re.sub(r"[\s:]", "", value).upper()


def same_fingerprint(fingerpr_value: str, fingerprint: str) -> bool:
    """Whether a key-cert's `fingerpr:` value names exactly this key (spec auth.md §3.1 step 3)."""
    return normalise_fingerprint(fingerpr_value) == normalise_fingerprint(fingerprint)


def keycert_attributes(info: KeyInfo) -> list[tuple[str, str]]:
    """The generated attributes of a key-cert, in order: method, owner..., fingerpr."""
    return [("method", info.method), *(("owner", uid) for uid in info.owners), ("fingerpr", info.fingerpr())]


class _Verify(gnupg.Verify):
    """python-gnupg's Verify, also keeping each signature's status lines apart (`signatures`: one list
    per NEWSIG, each line split into words, keyword first). Its own summary can't say which signatures
    are good: `valid`, `status` and `fingerprint` describe the last signature only, and `sig_info`
    reads 'signature valid' for expired and revoked keys too (VALIDSIG follows EXPKEYSIG/REVKEYSIG)."""

    def __init__(self, gpg: gnupg.GPG):
        super().__init__(gpg)
        self.signatures: list[list[list[str]]] = []

    def handle_status(self, key: str, value: str) -> None:
        if key == "NEWSIG":
            self.signatures.append([])
        elif self.signatures:
            self.signatures[-1].append([key, *(value.split(" ") if value else [])])
        try:
            super().handle_status(key, value)
        except (ValueError, IndexError):      # a line python-gnupg can't summarise; `signatures` has it
            pass


class _ColonListing(gnupg.ScanKeys):
    """A key listing (scan_keys, list_keys) kept as gpg wrote it in `data`, for _parse_keys.
    python-gnupg's own parser splits lines with str.splitlines(), which also breaks at U+0085, U+2028
    and U+2029 (and at byte 0x85 under latin-1, inside UTF-8 names such as Nguyễn): a user id could
    forge fpr/pub records or make it raise."""

    def _skip(self, args: list[str]) -> None:
        pass

    pub = sec = fpr = grp = uid = sub = ssb = sig = _skip


class _GPG(gnupg.GPG):
    """gnupg.GPG with a time limit on every gpg run (python-gnupg waits forever) and the result
    types above."""

    result_map = {**gnupg.GPG.result_map, "verify": _Verify, "list": _ColonListing, "scan": _ColonListing}

    def _collect_output(self, process, result, *args, **kwargs):
        expired = threading.Event()

        def stop() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(TIMEOUT, stop)
        timer.daemon = True
        timer.start()
        try:
            return super()._collect_output(process, result, *args, **kwargs)
        finally:
            timer.cancel()
            if expired.is_set():
                raise PGPError(f"{GPG} did not finish within {TIMEOUT:g} s")


def _new_gpg(home: Path) -> _GPG:
    """python-gnupg on `home`; raises PGPError if gpg is missing or hangs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GNUPG", "GPG_"))}
    env.update(LC_ALL="C", LANGUAGE="C")
    try:
        gpg = _GPG(gpgbinary=GPG, gnupghome=str(home), options=list(_OPTIONS), env=env)
    except OSError as exc:
        raise PGPError(f"{GPG} is not installed: PGP keys and signatures can't be checked") from exc
    except ValueError as exc:
        raise PGPError(f"{GPG} could not be run: {exc}") from exc
    gpg.encoding = "latin-1"                  # python-gnupg's default: any stderr byte decodes (status lines are ASCII)
    return gpg


def _unescape_colons(field: str) -> str:
    """A --with-colons field with gpg's \\xNN escapes undone and control characters blanked (an owner is
    one attribute line)."""
    raw = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), field)
    return " ".join("".join(c if c.isprintable() else " " for c in raw).split())


def _parse_keys(listing: bytes) -> list[tuple[str, str, list[str]]]:
    """(record type pub/sec, primary fingerprint, user ids) of each primary key in a colon listing."""
    keys: list[tuple[str, str, list[str]]] = []
    expect_fpr = False
    for line in listing.decode("utf-8", "replace").split("\n"):   # not splitlines(): U+2028 is in a uid
        fields = line.split(":")
        kind = fields[0]
        if kind in ("pub", "sec"):
            keys.append((kind, "", []))
            expect_fpr = True
        elif kind in ("sub", "ssb"):
            expect_fpr = False
        elif kind == "fpr" and expect_fpr and keys and len(fields) > 9:
            kind0, _, uids = keys[-1]
            keys[-1] = (kind0, fields[9].upper(), uids)
            expect_fpr = False
        elif kind == "uid" and keys and len(fields) > 9 and fields[1] != "r":  # not revoked user ids
            uid = _unescape_colons(fields[9])
            if uid:
                keys[-1][2].append(uid)
    return keys


def _armored_bytes(armored: str) -> bytes:
    """The certif text as gpg input, after the checks that need no gpg."""
    if not isinstance(armored, str) or not armored.strip():
        raise PGPError("the key-cert has no key: certif must hold an ASCII-armoured PGP public key")
    upper = armored.upper()
    if "PRIVATE KEY BLOCK" in upper or "SECRET KEY BLOCK" in upper:
        raise PGPError("certif holds a SECRET (private) key: submit only the public key "
                       "(gpg --armor --export), and consider that secret key compromised")
    if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in armored:
        raise PGPError("certif holds no ASCII-armoured public key "
                       "(-----BEGIN PGP PUBLIC KEY BLOCK----- ... -----END PGP PUBLIC KEY BLOCK-----)")
    return armored.replace("\r\n", "\n").encode("utf-8", "replace")


def _inspect(data: bytes) -> KeyInfo:
    """Import `data` into a throwaway keyring and describe the one public key it must hold."""
    with tempfile.TemporaryDirectory(prefix="irr-gpg-") as tmp:
        home, certif = Path(tmp) / "home", Path(tmp) / "certif.asc"
        home.mkdir(mode=0o700)
        certif.write_bytes(data)
        gpg = _new_gpg(home)
        try:
            # First look without importing (--dry-run --import-options import-show): secret key packets
            # under a public armour header are refused here.
            shown = _parse_keys(gpg.scan_keys(str(certif)).data)
            if any(kind == "sec" for kind, _, _ in shown):
                raise PGPError("certif holds a SECRET (private) key: submit only the public key "
                               "(gpg --armor --export), and consider that secret key compromised")
            if len(shown) > 1:
                raise PGPError(f"certif holds {len(shown)} keys: a key-cert must hold exactly one public key")
            result = gpg.import_keys(data)
            # The dry run above fails for an expired or revoked key in a fresh home; gpg's count of
            # secret keys read doesn't (without an agent, no secret part is stored).
            if result.sec_read:
                raise PGPError("certif holds a SECRET (private) key: submit only the public key "
                               "(gpg --armor --export), and consider that secret key compromised")
            imported = {fpr.upper() for fpr in result.fingerprints}
            keys = _parse_keys(gpg.list_keys().data)
        except OSError as exc:                # gpg stopped reading the data (BrokenPipeError)
            raise PGPError("certif holds no usable PGP public key (gpg could not read it)") from exc
    if not keys:
        reason = ""
        for line in (result.stderr or "").encode("latin-1").decode("utf-8", "replace").splitlines():
            if line.startswith("gpg: ") and "Total number processed" not in line and "created" not in line:
                reason = line[5:].strip()
        raise PGPError("certif holds no usable PGP public key" + (f" ({reason})" if reason else ""))
    if len(keys) > 1:
        raise PGPError(f"certif holds {len(keys)} keys: a key-cert must hold exactly one public key")
    _, fingerprint, owners = keys[0]
    if not _FPR.fullmatch(fingerprint):
        raise PGPError("only OpenPGP version 4 keys (40 hex digit fingerprints) are supported")
    if fingerprint not in imported:
        raise PGPError("gpg did not import the key in certif")
    return KeyInfo(fingerprint=fingerprint, key_cert=key_cert_name(fingerprint), owners=tuple(owners))


def _signing_time(value: str) -> dt.datetime | None:
    """VALIDSIG's signature timestamp: seconds since the epoch, or ISO 8601 (19700101T000000)."""
    try:
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _signer(primary: str, timestamp: str, signed: bytes) -> Signer | None:
    signed_at = _signing_time(timestamp)
    if signed_at is None:
        return None
    content = hashlib.sha256(signed.replace(b"\r\n", b"\n")).hexdigest()
    signature_id = hashlib.sha256(f"{primary}\n{timestamp}\n{content}".encode()).hexdigest()
    return Signer(primary, signed_at, signature_id)


def _signatures(groups: list[list[list[str]]], signed: bytes = b"") -> tuple[Signer | None, str | None]:
    """(primary fingerprint of the first good signature, as a Signer, problem) from gpg --verify status
    lines, one group per signature (_Verify.signatures), over the `signed` bytes. A signature counts only
    with GOODSIG and VALIDSIG and none of BADSIG, ERRSIG, EXPSIG, EXPKEYSIG, REVKEYSIG (gpg exits 0 and
    still reports VALIDSIG for expired and revoked keys)."""
    problems: list[str] = []
    for group in groups:
        kinds = {line[0] for line in group}
        valid = next((line for line in group if line[0] == "VALIDSIG"), None)
        if "GOODSIG" in kinds and valid is not None and not kinds & _BAD_STATUSES:
            primary = (valid[10] if len(valid) > 10 else valid[1]).upper()
            signer = _signer(primary, valid[3], signed) if len(valid) > 3 else None
            if _FPR.fullmatch(primary) and signer is not None:
                return signer, None
            problems.append("the signing key is not an OpenPGP version 4 key" if not _FPR.fullmatch(primary)
                            else "the signature carries no readable signing time")
            continue
        key_id = next((line[1] for line in group if line[0] in _BAD_STATUSES and len(line) > 1), "?")
        if "REVKEYSIG" in kinds:
            problems.append(f"the signing key {key_id} has been revoked")
        elif "EXPKEYSIG" in kinds:
            problems.append(f"the signing key {key_id} has expired")
        elif "EXPSIG" in kinds:
            problems.append("the signature has expired")
        elif "BADSIG" in kinds:
            problems.append("the signature does not match the signed text (was the text changed after signing?)")
        elif "NO_PUBKEY" in kinds:
            problems.append(f"the signing key {key_id} is not in any key-cert of this registry")
        else:
            problems.append(_UNCHECKED)
    if not problems:
        problems.append("no PGP signature found")
    return None, "; ".join(dict.fromkeys(problems))


def _canonical(lines: Sequence[str]) -> str:
    """Each line with trailing blanks stripped and an LF: the text a clear signature covers."""
    return "".join(line.rstrip(" \t\r") + "\n" for line in lines)


def _output_lines(output: bytes, charset: str) -> list[str]:
    """The lines gpg wrote for a clear-signed message (it ends every line, the last one too)."""
    text = output.decode(charset, "replace").replace("\r\n", "\n")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


class Keyring:
    """The registry's GnuPG keyring holding the keys of key-cert objects. Thread-safe: gpg calls on the
    keyring are serialised with a lock."""

    def __init__(self, home: Path, max_age: float | None = None, max_future: float | None = None):
        """`max_age`, `max_future`: seconds a signature may be older, or dated ahead, of now (None: any)."""
        self.home = Path(home)
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        self._lock = threading.Lock()
        self._handle: _GPG | None = None
        self.max_age = max_age
        self.max_future = max_future

    def _untimely(self, signer: Signer) -> str | None:
        """Why a good signature is not accepted now (made too long ago, or dated ahead), or None."""
        now = dt.datetime.now(dt.UTC)
        when = signer.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.max_age is not None and now - signer.signed_at > dt.timedelta(seconds=self.max_age):
            return (f"the signature was made at {when}, more than {_duration(self.max_age)} ago: a signed "
                    "message must reach the registry soon after it is signed (sign it again)")
        if self.max_future is not None and signer.signed_at - now > dt.timedelta(seconds=self.max_future):
            return (f"the signature is dated {when}, more than {_duration(self.max_future)} ahead of the "
                    "registry's clock (check the signing computer's clock and sign again)")
        return None

    def _gpg(self) -> _GPG:
        """The keyring's gnupg.GPG, made on first use; call with the lock held."""
        if self._handle is None:
            self._handle = _new_gpg(self.home)
        return self._handle

    def key_info(self, armored: str) -> KeyInfo:
        """The key in a key-cert's certif text, checked as import_key checks it, without importing it."""
        return _inspect(_armored_bytes(armored))

    def import_key(self, armored: str) -> KeyInfo:
        """Import the one public key of a key-cert's certif text into this keyring (again is harmless).
        Raises PGPError, with a message for the user, unless exactly one public key results."""
        data = _armored_bytes(armored)
        info = _inspect(data)
        try:
            with self._lock:
                result = self._gpg().import_keys(data)
        except OSError as exc:
            raise PGPError(f"gpg could not import key {info.fingerprint} into the registry keyring") from exc
        if info.fingerprint not in {fpr.upper() for fpr in result.fingerprints}:
            raise PGPError(f"gpg could not import key {info.fingerprint} into the registry keyring")
        return info

    def delete_key(self, fingerprint: str) -> bool:
        """Remove a public key (its key-cert was deleted); False when it was not in the keyring."""
        fingerprint = normalise_fingerprint(fingerprint)
        if not _FPR.fullmatch(fingerprint):
            return False
        with self._lock:
            result = self._gpg().delete_keys(fingerprint)
        return result.returncode == 0 and result.status == "ok"

    def fingerprints(self) -> list[str]:
        """Primary fingerprints of all keys in the keyring."""
        with self._lock:
            listing = self._gpg().list_keys().data
        return [fpr for _, fpr, _ in _parse_keys(listing)]

    def _verify_clearsigned(self, block: bytes, text: str, charset: str) -> tuple[str | None, str | None]:
        try:
            with self._lock:
                # --output -: gpg writes the text it checked to stdout (result.data).
                result = self._gpg().verify(block, extra_args=["--output", "-"])
        except OSError:                       # gpg stopped reading the block (BrokenPipeError)
            return None, _UNCHECKED
        fingerprint, problem = _signatures(result.signatures, text.encode("utf-8", "replace"))
        if fingerprint is None:
            return None, problem
        untimely = self._untimely(fingerprint)
        if untimely:
            return None, untimely
        # Belt and braces: the text we hand on must be exactly the text gpg checked.
        if _canonical(_output_lines(result.data or b"", charset)) != text:
            return None, "the signed text could not be extracted unambiguously"
        return fingerprint, None

    def verify_inline(self, text: str, charset: str = "utf-8") -> list[SignedText]:
        """Every clear-signed block (-----BEGIN PGP SIGNED MESSAGE-----) in `text`, each verified on
        its own, in order; text outside the blocks is not returned. `charset` is how the signer's
        bytes were encoded (the MIME part's charset)."""
        try:
            text = text.encode(charset, "replace").decode(charset, "replace").replace("\r\n", "\n")
        except LookupError as exc:
            raise PGPError(f"unknown character set {charset!r}") from exc
        lines = text.split("\n")
        results: list[SignedText] = []
        i = 0
        while i < len(lines):
            if lines[i].rstrip() != _BEGIN_SIGNED:
                i += 1
                continue
            start = i
            i += 1
            headers_ok = True
            while i < len(lines) and lines[i].strip():
                headers_ok = headers_ok and bool(_HASH_HEADER.fullmatch(lines[i].rstrip()))
                i += 1
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].rstrip() not in (_BEGIN_SIGNATURE, _BEGIN_SIGNED):
                body.append(lines[i][2:] if lines[i].startswith("- ") else lines[i])
                i += 1
            signed = _canonical(body)
            if i >= len(lines) or lines[i].rstrip() == _BEGIN_SIGNED:
                results.append(SignedText(signed, None, "the signed message has no signature "
                                                        f"({_BEGIN_SIGNATURE} is missing)"))
                continue
            end = i
            while end < len(lines) and lines[end].rstrip() not in (_END_SIGNATURE, _BEGIN_SIGNED):
                end += 1
            if end >= len(lines) or lines[end].rstrip() != _END_SIGNATURE:
                results.append(SignedText(signed, None, f"the signature is incomplete ({_END_SIGNATURE} is missing)"))
                i = end
                continue
            i = end + 1
            if not headers_ok:
                results.append(SignedText(signed, None, "the signed message has an armour header other than "
                                                        "'Hash:' (was it changed after signing?)"))
                continue
            block = ("\n".join(lines[start:end + 1]) + "\n").encode(charset, "replace")
            fingerprint, problem = self._verify_clearsigned(block, signed, charset)
            results.append(SignedText(signed, fingerprint, problem))
        return results

    def verify_detached(self, data: bytes, signature: str | bytes) -> str | None:
        """PGP/MIME: the primary fingerprint of a valid signer of `data` (the exact signed MIME part,
        CRLF line ends) by the detached `signature`, or None."""
        return self.check_detached(data, signature)[0]

    def check_detached(self, data: bytes, signature: str | bytes) -> tuple[str | None, str | None]:
        """verify_detached with the reason: (fingerprint, None) or (None, problem)."""
        if isinstance(signature, str):
            signature = signature.encode("utf-8", "replace")
        if not signature.strip():
            return None, "the PGP/MIME signature part is empty"
        with tempfile.TemporaryDirectory(prefix="irr-gpg-") as tmp:
            signed = Path(tmp) / "signed.bin"
            signed.write_bytes(bytes(data))
            try:
                with self._lock:
                    result = self._gpg().verify_file(io.BytesIO(signature), data_filename=str(signed))
            except OSError:
                return None, _UNCHECKED
        fingerprint, problem = _signatures(result.signatures, bytes(data))
        if fingerprint is not None:
            untimely = self._untimely(fingerprint)
            if untimely:
                return None, untimely
        return fingerprint, problem

    def __repr__(self) -> str:
        return f"Keyring({str(self.home)!r})"


def _duration(seconds: float) -> str:
    """3600 -> '1 hour', 600 -> '10 minutes'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def gpg_available() -> bool:
    """Whether the gpg binary is on PATH."""
    return shutil.which(GPG) is not None
