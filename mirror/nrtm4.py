"""NRTMv4 (RFC 10063, draft-ietf-grow-nrtm-v4, as IRRd 4.5 implements it): publisher and client.

Publisher (`Nrtm4Publisher`, one per source): writes gzipped snapshot and delta files (JSON text
sequences) and the signed Update Notification File (UNF, ES256 JWS compact) into a directory
served over HTTPS (irr.web.nrtm4). A session starts with snapshot version 1; each run publishes
the journal entries since the last published serial as the next delta, a snapshot when due and
the UNF. Its state lives in `mirror_state["nrtm4_server"]`.

Client (`Nrtm4Client`): fetches and verifies the UNF (configured key, then the keys it announced),
checks it (payload rules, history, regressions, staleness), reloads from the snapshot when it has
no usable state, and otherwise applies each delta in one transaction. Its state lives in
`mirror_state["nrtm4_client"]`. Any error is recorded and raised; state and data stay as they were
(deltas applied before the error stay applied, with the version they reached).

Spec: ../shared/spec/nrtm.md section 3.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import fcntl
import gzip
import hashlib
import io
import json
import logging
import os
import re
import secrets
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from irr.store import Change
from mirror import jsonseq
from rpsl.lenient import Loaded, load
from rpsl.output import mask_hashes
from rpsl.schema import SCHEMA

log = logging.getLogger(__name__)

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

class Nrtm4Publisher:
    """Publishes one source as an NRTMv4 repository in `directory` (state: mirror_state["nrtm4_server"])."""

    def __init__(self, store, source, directory: Path, private_key_pem: str, next_private_key_pem: str | None = None,
                 *, snapshot_interval: float = SNAPSHOT_INTERVAL, clock: Callable[[], float] = time.time):
        self.store = store
        self.source = source
        self.name = source.name
        self.directory = Path(directory)
        self.private_key = read_pem(private_key_pem)
        _key(self.private_key, private=True)
        self.public_key = public_pem(self.private_key)
        self.next_public_key = public_pem(next_private_key_pem) if next_private_key_pem else None
        self.snapshot_interval = min(max(snapshot_interval, 3600.0), DAY) if snapshot_interval > 0 else 3600.0
        self.clock = clock

    def run_once(self) -> str:
        """Publish what is due; return a status line."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return f"{self.name}: NRTMv4 publisher already running"
            try:
                return self._run()
            except Exception as e:
                self.store.record_error(self.name, f"NRTMv4 publisher: {e}")
                raise

    def _run(self) -> str:
        now = self.clock()
        state = dict(self.store.mirror_state(self.name).get("nrtm4_server") or {})
        notes: list[str] = []
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():  # one consistent view: the serial and the objects at that serial
                row = self.store.source_version(self.name, conn)
                serial = (row[0] if row else None) or 0
                last_load = row[1].isoformat() if row and row[1] else None
                reason = self._restart_reason(state, serial, last_load)
                if reason:
                    if state.get("session_id"):
                        log.warning("%s: NRTMv4 session %s discarded: %s", self.name, state["session_id"], reason)
                    retired = state.get("retired", {})
                    state = {"session_id": str(uuid.uuid4()), "version": 1, "serial": serial,
                             "last_load": last_load, "snapshot": None, "deltas": [], "retired": retired}
                    notes.append(f"new session {state['session_id']} ({reason})")
                else:
                    if serial > state["serial"]:
                        entries = self.store.journal(self.name, state["serial"] + 1, serial)
                        if entries:
                            ref = self._write_delta(state, entries, now)
                            notes.append(f"delta {ref['version']} ({len(entries)} changes)")
                        state["serial"] = serial
                snapshot = state.get("snapshot")
                if snapshot is None or (snapshot["version"] != state["version"]
                                        and now - snapshot["timestamp"] >= self.snapshot_interval):
                    count = self._write_snapshot(state, conn, now)
                    notes.append(f"snapshot {state['version']} ({count} objects)")
        expire_deltas(state, now)
        save_state(self.store, self.name, "nrtm4_server", state)  # before the UNF: it never names unrecorded files
        written = self._write_unf(state, now)
        if written:
            notes.append(written)
        self._clean(state, now)
        # a source imported here reports its imports' success, not ours
        imported = bool(self.source.dump_urls or self.source.nrtm_host or self.source.nrtm4_url)
        save_state(self.store, self.name, "nrtm4_server", state, success=not imported)
        return f"{self.name}: NRTMv4 " + ("; ".join(notes) if notes else f"up to date at version {state['version']}")

    def _restart_reason(self, state: dict, serial: int, last_load: str | None) -> str | None:
        """Why the current session can't go on (None: it can)."""
        if not state.get("session_id") or not state.get("snapshot"):
            return "no session yet"
        if state.get("last_load") != last_load:
            return "the source was reloaded"
        if serial < state.get("serial", 0):
            return "the source's serial went back"
        names = [state["snapshot"]["filename"]] + [d["filename"] for d in state.get("deltas", [])]
        missing = [n for n in names if not (self.directory / n).is_file()]
        if missing:
            return f"published files are missing ({', '.join(missing[:3])})"
        published = self._published()
        if published and published.session_id == state["session_id"] and published.version > state["version"]:
            return f"the published version {published.version} is ahead of the recorded state"
        return None

    def _published(self) -> Notification | None:
        """The UNF currently on disk (ours; read without verifying), or None."""
        try:
            return parse_notification(jws_payload((self.directory / UNF_NAME).read_bytes()), self.name)
        except (OSError, Nrtm4Error):
            return None

    def _filename(self, kind: str, session_id: str, version: int) -> str:
        return f"nrtm-{kind}.{session_id}.{version}.{secrets.token_hex(16)}.json.gz"

    def _write_delta(self, state: dict, entries: list, now: float) -> dict:
        version = state["version"] + 1
        name = self._filename("delta", state["session_id"], version)
        header = file_header("delta", self.name, state["session_id"], version)
        records = (delta_record(e.operation, e.object_class, e.pk, e.object_text) for e in entries)
        digest, _ = write_jsonseq_gz(self.directory, name, _chain(header, records))
        ref = {"version": version, "filename": name, "hash": digest, "timestamp": now,
               "first_serial": entries[0].serial, "last_serial": entries[-1].serial}
        state["deltas"].append(ref)
        state["version"] = version
        return ref

    def _write_snapshot(self, state: dict, conn, now: float) -> int:
        version = state["version"]
        name = self._filename("snapshot", state["session_id"], version)
        header = file_header("snapshot", self.name, state["session_id"], version)
        # what the deltas publish: RPKI-invalid routes are left out (their DEL is in the journal)
        records = ({"object": mask_hashes(text)}
                   for _, _, text in self.store.iter_objects(self.name, conn=conn, visible_only=True))
        digest, count = write_jsonseq_gz(self.directory, name, _chain(header, records))
        state["snapshot"] = {"version": version, "filename": name, "hash": digest, "timestamp": now,
                             "serial": state["serial"]}
        return count - 1

    def _write_unf(self, state: dict, now: float) -> str | None:
        """Sign and write the UNF when its content changed, it is missing, invalid or due; say which."""
        snapshot = FileRef(state["snapshot"]["version"], state["snapshot"]["filename"], state["snapshot"]["hash"])
        deltas = [FileRef(d["version"], d["filename"], d["hash"]) for d in state["deltas"]]
        try:
            current = (self.directory / UNF_NAME).read_bytes()
            payload = verify(current, self.public_key)
            old = parse_notification(payload, self.name) if payload is not None else None
        except (OSError, Nrtm4Error):
            old = None
        same = old is not None and (old.session_id, old.version, old.snapshot, old.deltas, old.next_signing_key) == (
            state["session_id"], state["version"], snapshot, deltas, self.next_public_key)
        if same and now - old.timestamp.timestamp() < UNF_REFRESH:
            return None
        payload = notification_payload(self.name, state["session_id"], state["version"], now, snapshot, deltas,
                                       self.next_public_key)
        parse_notification(payload, self.name)  # the rules hold for what we write, too
        signed = sign(payload, self.private_key)
        write_atomic(self.directory, UNF_NAME, lambda f: f.write(signed))
        state["unf_timestamp"] = now
        return "notification file re-signed" if same else f"notification file version {state['version']}"

    def _clean(self, state: dict, now: float) -> None:
        """Delete files no longer referenced once they have been unreferenced for RETIRED_GRACE."""
        referenced = {state["snapshot"]["filename"]} | {d["filename"] for d in state["deltas"]}
        retired: dict[str, float] = dict(state.get("retired") or {})
        present = set()
        for path in self.directory.iterdir():
            name = path.name
            if not (FILE_NAME.match(name) or name.startswith(TEMP_PREFIX)) or name in referenced:
                continue
            present.add(name)
            since = retired.setdefault(name, now)
            if now - since >= RETIRED_GRACE:
                path.unlink(missing_ok=True)
                present.discard(name)
        state["retired"] = {n: t for n, t in retired.items() if n in present}


def expire_deltas(state: dict, now: float) -> None:
    """Drop delta references older than a day, oldest first, never one newer than the snapshot."""
    deltas = state["deltas"]
    while deltas and now - deltas[0]["timestamp"] > DELTA_RETENTION \
            and deltas[0]["version"] <= state["snapshot"]["version"]:
        deltas.pop(0)


def _chain(first: dict, rest) -> Iterator[dict]:
    yield first
    yield from rest


# -- client -----------------------------------------------------------------------------------------

# RFC 10063 section 5: mirror clients MUST NOT use other protocols than HTTPS (file:// is for a
# repository on the same machine, and tests).
CLIENT_SCHEMES = ("https", "file")


def check_client_url(url: str) -> None:
    """Refuse a URL the client must not fetch: anything but https:// (or file://)."""
    if urllib.parse.urlsplit(url).scheme.lower() not in CLIENT_SCHEMES:
        raise Nrtm4Error(f"{url}: NRTMv4 is only fetched over https:// (or file://), never other protocols "
                         "(RFC 10063 section 5)")


class _HttpsRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """An https server may redirect, but never to plain http (or ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        check_client_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpsRedirectsOnly)


def fetch_url(url: str, max_bytes: int = MAX_FILE_BYTES, timeout: float = 60.0, deadline: float = 1800.0) -> bytes:
    """GET an https or file URL into memory, refusing more than max_bytes or a slow transfer."""
    check_client_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "irr-nrtm4-client"})
    started = time.monotonic()
    data = bytearray()
    with _OPENER.open(request, timeout=timeout) as response:  # scheme checked above, redirects too
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            data += chunk
            if len(data) > max_bytes:
                raise Nrtm4Error(f"{url} is larger than {max_bytes} bytes")
            if time.monotonic() - started > deadline:
                raise Nrtm4Error(f"{url} took longer than {deadline:.0f} s")
    return bytes(data)


class _Limited(io.RawIOBase):
    """A reader that refuses to deliver more than `limit` bytes (decompression bombs)."""

    def __init__(self, stream: IO[bytes], limit: int, what: str):
        self.stream, self.limit, self.what, self.total = stream, limit, what, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.stream.read(size if size and size > 0 else 1 << 20)
        except (OSError, EOFError, zlib.error) as e:
            raise Nrtm4Error(f"{self.what}: broken gzip data: {e}") from None
        self.total += len(data)
        if self.total > self.limit:
            raise Nrtm4Error(f"{self.what}: more than {self.limit} bytes after decompression")
        return data


def _records(data: bytes, url: str, limit: int) -> Iterator[Any]:
    """The records of a downloaded (hash-checked) file, decompressed when its name ends in .gz."""
    path = urllib.parse.urlsplit(url).path
    raw: IO[bytes] = io.BytesIO(data)
    if path.endswith(".gz"):
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    try:
        yield from jsonseq.decode(_Limited(raw, limit, url))
    except jsonseq.JsonSeqError as e:
        raise Nrtm4Error(f"{url}: {e}") from None


def _check_header(header: Any, kind: str, source: str, session_id: str, version: int, url: str) -> None:
    if not isinstance(header, dict):
        raise Nrtm4Error(f"{url}: the first record must be a {kind} header")
    expected = file_header(kind, source, session_id, version)
    for key, value in expected.items():
        got = header.get(key)
        if key == "source" and isinstance(got, str):
            got = got.upper()
        if got != value or isinstance(got, bool):
            raise Nrtm4Error(f"{url}: {kind} header {key} is {header.get(key)!r}, expected {value!r}")


def _clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip("\n")


class Nrtm4Client:
    """Mirrors one source from an NRTMv4 repository (source.nrtm4_url, signed with source.nrtm4_public_key)."""

    def __init__(self, store, source, fetch: Callable[[str], bytes] | None = None, *,
                 clock: Callable[[], float] = time.time, max_bytes: int = MAX_FILE_BYTES,
                 max_decompressed: int = MAX_DECOMPRESSED):
        self.store = store
        self.source = source
        self.name = source.name
        self.fetch = fetch or self._fetch
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_decompressed = max_decompressed
        self.classes = frozenset(source.object_classes) if source.object_classes else None

    def _fetch(self, url: str) -> bytes:
        """The default download: the UNF is small, snapshots and deltas up to max_bytes."""
        return fetch_url(url, MAX_UNF_BYTES if url == self.source.nrtm4_url else self.max_bytes)

    def run_once(self, force: bool = False) -> str:
        """Poll the UNF once and catch up (`force`: reload from the snapshot); errors are recorded
        (store.record_error) and raised."""
        try:
            return self._run(force)
        except Nrtm4Error as e:
            self.store.record_error(self.name, f"NRTMv4: {e}")
            raise
        except (OSError, ValueError) as e:  # downloads (urllib), files
            self.store.record_error(self.name, f"NRTMv4: {e}")
            raise Nrtm4Error(str(e)) from e
        except Exception as e:
            self.store.record_error(self.name, f"NRTMv4: {e}")
            raise

    # -- steps ------------------------------------------------------------------------------------
    def _run(self, force: bool) -> str:
        if not self.source.nrtm4_url or not self.source.nrtm4_public_key:
            raise Nrtm4Error(f"{self.name}: nrtm4_url and nrtm4_public_key must be configured")
        check_client_url(self.source.nrtm4_url)
        t0 = time.monotonic()
        state = dict(self.store.mirror_state(self.name).get("nrtm4_client") or {})
        raw = self._get(self.source.nrtm4_url, MAX_UNF_BYTES)
        payload, used_key, initial = self._verify(raw, state)
        unf = parse_notification(payload, self.name)
        age = self.clock() - unf.timestamp.timestamp()
        if age > UNF_STALE:
            raise Nrtm4Error(f"the update notification file is stale: timestamp {unf.timestamp:%Y-%m-%dT%H:%M:%SZ} "
                             f"is {age / 3600:.1f} hours old")
        same_session = state.get("session_id") == unf.session_id
        refs = [("snapshot", unf.snapshot)] + [("delta", d) for d in unf.deltas]
        previous = dict(state.get("previous_file_hashes") or {}) if same_session else {}
        for kind, ref in refs:
            seen = previous.get(f"{kind}:{ref.version}")
            if seen is not None and seen != [ref.url, ref.hash]:
                raise Nrtm4Error(f"the server is rewriting history: {kind} {ref.version} was {seen[0]} ({seen[1]}), "
                                 f"now {ref.url} ({ref.hash})")
        local = state.get("version") if same_session else None
        if local is not None and unf.version < local:
            if unf.version == local - 1:
                raise Nrtm4Error(f"the update notification file is one version behind ({unf.version}, local "
                                 f"{local}): probably a stale cache, retrying later")
            raise Nrtm4Error(f"the update notification file went back from version {local} to {unf.version} "
                             f"in session {unf.session_id}")
        lowest = min(ref.version for _, ref in refs)
        for kind, ref in refs:
            previous[f"{kind}:{ref.version}"] = [ref.url, ref.hash]
        new_state = dict(state)
        new_state.update(session_id=unf.session_id, current_key=used_key, next_key=unf.next_signing_key,
                         initial_key=initial,
                         previous_file_hashes={k: v for k, v in previous.items()
                                               if int(k.split(":")[1]) >= lowest})
        if state.get("current_key") and state["current_key"] != used_key:
            log.warning("%s: NRTMv4 signing key rotated to the announced next key", self.name)
        notes = []
        if force or local is None or not self._deltas_cover(unf, local):
            if force:
                notes.append("forced reload")
            elif not same_session and state.get("session_id"):
                notes.append(f"session changed from {state['session_id']}")
            elif local is not None:
                notes.append(f"no deltas from version {local + 1}")
            count = self._load_snapshot(unf, new_state)
            notes.append(f"snapshot {unf.snapshot.version} loaded ({count} objects)")
            local = unf.snapshot.version
            if not self._deltas_cover(unf, local):
                raise Nrtm4Error(f"the deltas after snapshot {local} up to version {unf.version} are not listed")
        applied = 0
        for delta in unf.deltas:
            if delta.version > local:
                applied += self._apply_delta(unf, delta, new_state)
                local = delta.version
                notes.append(f"delta {delta.version}")
        new_state["version"] = local
        self._save(new_state)
        seconds = time.monotonic() - t0
        if not notes:
            return f"{self.name}: NRTMv4 up to date at version {local}"
        return f"{self.name}: NRTMv4 {', '.join(notes)}; {applied} changes applied, now at version {local} " \
               f"({seconds:.1f} s)"

    def _get(self, url: str, limit: int) -> bytes:
        check_client_url(url)
        data = self.fetch(url)
        if len(data) > limit:
            raise Nrtm4Error(f"{url} is larger than {limit} bytes")
        return data

    def _verify(self, raw: bytes, state: dict) -> tuple[bytes, str, str]:
        """Payload, the key that verified it and the configured key; the stored keys take over from
        the configured one after the first success (until the configured key is changed)."""
        configured = public_pem(self.source.nrtm4_public_key)
        stored = state.get("current_key") if state.get("initial_key") == configured else None
        candidates = [stored, state.get("next_key")] if stored else [configured]
        for key in candidates:
            if key:
                payload = verify(raw, key)
                if payload is not None:
                    return payload, key, configured
        if stored and configured not in candidates and verify(raw, configured) is not None:
            raise Nrtm4Error("the update notification file is signed with the configured key, but the server "
                             "has since rotated to another key: refusing to go back to the old key (clear "
                             "mirror_state.nrtm4_client to start again)")
        raise Nrtm4Error("no valid signature on the update notification file for the known keys")

    @staticmethod
    def _deltas_cover(unf: Notification, local: int) -> bool:
        """Whether the listed deltas lead from `local` to the UNF version."""
        if unf.version == local:
            return True
        versions = {d.version for d in unf.deltas}
        return all(v in versions for v in range(local + 1, unf.version + 1))

    def _download(self, ref: FileRef) -> tuple[str, bytes]:
        url = urllib.parse.urljoin(self.source.nrtm4_url, ref.url)
        if urllib.parse.urlsplit(url).scheme != urllib.parse.urlsplit(self.source.nrtm4_url).scheme:
            raise Nrtm4Error(f"{ref.url}: files must be fetched like the notification file")
        data = self._get(url, self.max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.hash:
            raise Nrtm4Error(f"{url}: SHA-256 {digest} does not match {ref.hash} in the notification file")
        return url, data

    def _load_snapshot(self, unf: Notification, new_state: dict) -> int:
        """Replace the source with the snapshot (all or nothing), then record its version."""
        from mirror.importer import load_files

        url, data = self._download(unf.snapshot)
        records = _records(data, url, self.max_decompressed)
        _check_header(next(records, None), "snapshot", self.name, unf.session_id, unf.snapshot.version, url)
        skipped = 0
        with tempfile.TemporaryDirectory(prefix="irr-nrtm4-") as tmp:
            path = Path(tmp) / f"{self.name.lower()}.snapshot.db"
            with open(path, "w", encoding="utf-8") as out:
                for i, record in enumerate(records, 1):
                    text = record.get("object") if isinstance(record, dict) else None
                    if not isinstance(text, str):
                        raise Nrtm4Error(f"{url}: record {i} has no object text")
                    text = _clean_text(text)
                    if not text or "\n\n" in text:
                        log.warning("%s: snapshot %d record %d skipped: empty or blank lines inside",
                                    self.name, unf.snapshot.version, i)
                        skipped += 1
                        continue
                    out.write(text + "\n\n")
            del data
            report = load_files(self.store, self.name, [path], classes=self.classes, mirror=True)
        for line in report.summary().splitlines()[1:]:
            log.info("%s snapshot: %s", self.name, line)
        new_state["version"] = unf.snapshot.version
        self._save(new_state)
        return report.objects

    def _changes(self, records: Iterator[Any], url: str) -> tuple[list, int]:
        """Delta records -> store changes; bad objects are skipped (logged), malformed records refused."""
        changes = []
        count = 0
        for record in records:
            count += 1
            action = record.get("action") if isinstance(record, dict) else None
            if action == "add_modify":
                text = record.get("object")
                if not isinstance(text, str):
                    raise Nrtm4Error(f"{url}: record {count} has no object text")
                obj = load(_clean_text(text))
                if obj.error is not None or obj.index is None:
                    log.warning("%s: %s record %d skipped: %s", self.name, url, count, obj.error)
                    continue
                if self.classes is not None and obj.object_class not in self.classes:
                    continue
                if obj.source != self.name:
                    log.warning("%s: %s record %d skipped: %s %s has source %s", self.name, url, count,
                                obj.object_class, obj.pk, obj.source)
                    continue
                changes.append(Change(self.name, "ADD", obj))
            elif action == "delete":
                cls, pk = record.get("object_class"), record.get("primary_key")
                if not isinstance(cls, str) or not isinstance(pk, str) or not pk.strip():
                    raise Nrtm4Error(f"{url}: delete record {count} needs object_class and primary_key")
                cls = cls.strip().lower()
                if cls not in SCHEMA:
                    log.warning("%s: %s record %d skipped: unknown class %s", self.name, url, count, cls)
                    continue
                if self.classes is not None and cls not in self.classes:
                    continue
                obj = Loaded(cls, pk.strip().upper(), "", None, self.name, 0)
                changes.append(Change(self.name, "DEL", obj, missing_ok=True))
            else:
                raise Nrtm4Error(f"{url}: record {count} has an unknown action {action!r}")
        return changes, count

    def _apply_delta(self, unf: Notification, delta: FileRef, new_state: dict) -> int:
        """One delta, all or nothing, with the version it reaches."""
        url, data = self._download(delta)
        records = _records(data, url, self.max_decompressed)
        _check_header(next(records, None), "delta", self.name, unf.session_id, delta.version, url)
        changes, count = self._changes(records, url)
        if count == 0:
            raise Nrtm4Error(f"{url}: delta {delta.version} has no changes")
        new_state["version"] = delta.version
        with self.store.engine.begin() as conn:
            self.store.lock_sources(conn, [self.name])
            # our serials, not the upstream's: invalid routes stay out of our journal, as IRRd does
            self.store.apply(changes, origin=f"mirror nrtm4 {unf.session_id}/D{delta.version}", conn=conn,
                             suppress_invalid=True)
            save_state(self.store, self.name, "nrtm4_client", new_state, conn, success=True)
        if len(changes) < count:
            log.info("%s: delta %d: %d of %d records applied", self.name, delta.version, len(changes), count)
        return len(changes)

    def _save(self, new_state: dict) -> None:
        save_state(self.store, self.name, "nrtm4_client", new_state, success=True)
