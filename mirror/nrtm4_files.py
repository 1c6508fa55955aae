"""NRTMv4 (RFC 10063, as IRRd 4.5 implements it): what the publisher and the client share. The
Update Notification File (UNF: ES256 JWS compact, its payload rules), snapshot and delta file
headers and records, file names, limits, atomic writes, and the mirror state kept per source.
The publisher is `mirror.nrtm4_publisher`, the client `mirror.nrtm4_client`."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from mirror import jsonseq
from rpsl.output import mask_hashes

log = logging.getLogger("mirror.nrtm4")  # one logger for the publisher, the client and their files

UNF_NAME = "update-notification-file.jose"
FILE_NAME = re.compile(r"^nrtm-(snapshot|delta)\.([0-9a-f-]{36})\.(\d+)\.([0-9a-f]{32})\.json\.gz$")
TEMP_PREFIX = ".tmp-nrtm4-"
HEADER = {"alg": "ES256"}
DAY = 86400.0
DELTA_RETENTION = DAY            # delta references older than this are dropped (unless newer than the snapshot)
RETIRED_GRACE = 300.0            # files no longer referenced stay this long before deletion
UNF_REFRESH = 3600.0             # the UNF is re-signed at least this often (spec: at least daily)
UNF_STALE = DAY                  # clients reject older UNFs (as IRRd does)
SNAPSHOT_INTERVAL = 4 * 3600.0   # IRRd's default; kept between 1 and 24 hours
MAX_UNF_BYTES = 10 << 20
MAX_FILE_BYTES = 1 << 30
MAX_DECOMPRESSED = 8 << 30
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_SOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$")


class Nrtm4Error(Exception):
    """An NRTMv4 file or the remote repository was refused; nothing was changed by the failed step."""


def publish_directory(config, source: str) -> Path:
    """Where a source's NRTMv4 files are written and served from: <data_dir>/nrtm4/<SOURCE>."""
    return Path(config.data_dir) / "nrtm4" / source.upper()


def save_state(store, source: str, key: str, value: dict, conn=None, success: bool = False) -> None:
    """Set mirror_state[key] of a source, leaving the other keys as they are: read and written
    under the source's row lock, so the publisher and a client of one source never undo each other."""
    if conn is None:
        with store.engine.begin() as c:
            return save_state(store, source, key, value, c, success)
    store.lock_sources(conn, [source])
    full = store.mirror_state(source)  # committed state; writers of this source wait for our lock
    full[key] = value
    store.set_mirror_state(source, full, conn, success=success)


# -- keys and signatures ------------------------------------------------------------------------

def read_pem(value: str) -> str:
    """A PEM given inline or as the path of a PEM file."""
    if "-----BEGIN" in value:
        return value
    return Path(value).expanduser().read_text()


def _key(pem: str, private: bool) -> ECKey:
    try:
        key = ECKey.import_key(read_pem(pem))
    except (ValueError, JoseError, OSError) as e:
        raise Nrtm4Error(f"invalid EC key: {e}") from None
    if key.curve_name != "P-256":
        raise Nrtm4Error(f"NRTMv4 keys are ES256 (P-256) keys, not {key.curve_name}")
    if private and not key.is_private:
        raise Nrtm4Error("a private key is needed to sign the update notification file")
    return key


def public_pem(key_pem: str) -> str:
    """The public key of a (private or public) EC key, as PEM (SubjectPublicKeyInfo)."""
    return _key(key_pem, private=False).as_pem(private=False).decode("ascii")


def _registry() -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=["ES256"])
    registry.max_payload_length = MAX_UNF_BYTES
    return registry


def sign(payload: bytes, private_key_pem: str) -> bytes:
    """JWS compact serialization of payload with ES256, protected header exactly {"alg":"ES256"}."""
    key = _key(private_key_pem, private=True)
    return jws.serialize_compact(HEADER, payload, key, registry=_registry()).encode("ascii")


def _b64decode(part: bytes) -> bytes:
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))


def jws_payload(data: bytes) -> bytes:
    """The payload of a JWS compact serialization, unverified (for our own UNF only)."""
    parts = data.strip().split(b".")
    if len(parts) != 3:
        raise Nrtm4Error("not a JWS compact serialization")
    try:
        return _b64decode(parts[1])
    except (binascii.Error, ValueError):
        raise Nrtm4Error("not a JWS compact serialization") from None


def verify(data: bytes, public_key_pem: str) -> bytes | None:
    """The payload when `data` is an ES256 JWS valid for the key, else None; malformed -> Nrtm4Error."""
    data = data.strip()
    parts = data.split(b".")
    if len(parts) != 3:
        raise Nrtm4Error("the update notification file is not a JWS compact serialization")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (binascii.Error, ValueError):
        raise Nrtm4Error("the update notification file has an unreadable JWS header") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256" or "crit" in header or "b64" in header:
        raise Nrtm4Error(f"the update notification file must be signed with ES256 (header {header!r})")
    key = _key(public_key_pem, private=False)
    try:
        return jws.deserialize_compact(data, key, registry=_registry()).payload
    except (JoseError, ValueError):
        return None


# -- the update notification file ---------------------------------------------------------------

@dataclass(frozen=True)
class FileRef:
    version: int
    url: str
    hash: str


@dataclass
class Notification:
    """A validated UNF payload."""

    source: str
    session_id: str
    version: int
    timestamp: dt.datetime
    snapshot: FileRef
    deltas: list[FileRef] = field(default_factory=list)
    next_signing_key: str | None = None


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Nrtm4Error(f"{what} must be a positive integer, not {value!r}")
    return value


def check_session_id(value: Any, what: str = "session_id") -> str:
    """A UUIDv4 in canonical (lower case, hyphenated) form."""
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4 or parsed.variant != uuid.RFC_4122 or str(parsed) != value:
        raise Nrtm4Error(f"{what} must be a UUIDv4, not {value!r}")
    return value


def _ref(value: Any, what: str) -> FileRef:
    if not isinstance(value, dict):
        raise Nrtm4Error(f"{what} must be an object with version, url and hash")
    version = _positive(value.get("version"), f"{what} version")
    url = value.get("url")
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        raise Nrtm4Error(f"{what} url must be a non-empty string, not {url!r}")
    digest = value.get("hash")
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise Nrtm4Error(f"{what} hash must be 64 lower case hex digits (SHA-256), not {digest!r}")
    return FileRef(version, url, digest)


def parse_notification(payload: bytes, source: str | None = None) -> Notification:
    """Check a UNF payload against every rule of spec §3.2; `source`: the expected source."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Nrtm4Error(f"update notification file payload is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise Nrtm4Error("update notification file payload must be a JSON object")
    if data.get("nrtm_version") != 4 or isinstance(data.get("nrtm_version"), bool):
        raise Nrtm4Error(f"nrtm_version must be 4, not {data.get('nrtm_version')!r}")
    if data.get("type") != "notification":
        raise Nrtm4Error(f"type must be 'notification', not {data.get('type')!r}")
    stamp = data.get("timestamp")
    if not isinstance(stamp, str) or not _TIMESTAMP.match(stamp):
        raise Nrtm4Error(f"timestamp must be an RFC 3339 time in UTC ending in Z, not {stamp!r}")
    try:
        timestamp = dt.datetime.fromisoformat(stamp[:-1] + "+00:00")
    except ValueError:
        raise Nrtm4Error(f"timestamp {stamp!r} is not a valid time") from None
    name = data.get("source")
    if not isinstance(name, str) or not _SOURCE.match(name):
        raise Nrtm4Error(f"source must be an RPSL object name, not {name!r}")
    if source is not None and name.upper() != source.upper():
        raise Nrtm4Error(f"update notification file is for source {name}, expected {source}")
    session_id = check_session_id(data.get("session_id"))
    version = _positive(data.get("version"), "version")
    snapshot = _ref(data.get("snapshot"), "snapshot")
    raw_deltas = data.get("deltas", [])
    if not isinstance(raw_deltas, list):
        raise Nrtm4Error("deltas must be a list")
    deltas = [_ref(d, f"delta {i + 1}") for i, d in enumerate(raw_deltas)]
    if any(d.version < 2 for d in deltas):
        raise Nrtm4Error("there is never a delta with version 1")
    if [d.version for d in deltas] != list(range(deltas[0].version, deltas[0].version + len(deltas)) if deltas
                                          else []):
        raise Nrtm4Error("delta versions are not contiguous")
    expected = max([snapshot.version] + [d.version for d in deltas])
    if version != expected:
        raise Nrtm4Error(f"version {version} should be {expected} (the highest snapshot or delta version)")
    next_key = data.get("next_signing_key")
    if next_key is not None:
        if not isinstance(next_key, str) or "BEGIN PUBLIC KEY" not in next_key:
            raise Nrtm4Error("next_signing_key must be a PEM public key")
        try:
            _key(next_key, private=False)
        except Nrtm4Error as e:
            raise Nrtm4Error(f"next_signing_key is invalid: {e}") from None
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise Nrtm4Error("metadata must be an object")
    return Notification(name.upper(), session_id, version, timestamp, snapshot, deltas, next_key)


def notification_payload(source: str, session_id: str, version: int, timestamp: float, snapshot: FileRef,
                         deltas: list[FileRef], next_signing_key: str | None = None) -> bytes:
    """The UNF payload, compact JSON in IRRd's field order."""
    data: dict[str, Any] = {
        "nrtm_version": 4, "source": source, "session_id": session_id, "version": version,
        "timestamp": dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": "notification",
    }
    if next_signing_key:
        data["next_signing_key"] = next_signing_key
    data["snapshot"] = {"version": snapshot.version, "url": snapshot.url, "hash": snapshot.hash}
    data["deltas"] = [{"version": d.version, "url": d.url, "hash": d.hash} for d in deltas]
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def file_header(kind: str, source: str, session_id: str, version: int) -> dict:
    """Header record of a snapshot or delta file (IRRd's field order)."""
    return {"nrtm_version": 4, "source": source, "session_id": session_id, "version": version, "type": kind}


def delta_record(operation: str, object_class: str, pk: str, text: str) -> dict:
    """One journal entry as a delta record (hashes masked)."""
    if operation == "DEL":
        return {"action": "delete", "object_class": object_class, "primary_key": pk}
    if operation == "ADD":
        return {"action": "add_modify", "object": mask_hashes(text)}
    raise ValueError(f"unknown journal operation {operation!r}")


# -- files ----------------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(directory: Path, name: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file under a temporary name, fsync it and rename it into place: readers see the
    old file or the complete new one, never a partial one."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_jsonseq_gz(directory: Path, name: str, records: Iterator[dict]) -> tuple[str, int]:
    """A gzipped JSON text sequence, written atomically; (SHA-256 of the gzip bytes, records)."""
    count = 0

    def write(f: IO[bytes]) -> None:
        nonlocal count
        with gzip.GzipFile(filename="", fileobj=f, mode="wb", compresslevel=6, mtime=0) as gz:
            count = jsonseq.encode(records, gz)

    write_atomic(directory, name, write)
    return sha256_file(directory / name), count


# -- publisher ----------------------------------------------------------------------------------
