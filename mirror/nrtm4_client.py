"""NRTMv4 client (`Nrtm4Client`): fetches (https:// or file:// only) and verifies the UNF
(configured key, then the keys it announced), checks it (payload rules, history, regressions,
staleness), reloads from the snapshot when it has no usable state, and otherwise applies each
delta in one transaction. Its state lives in `mirror_state["nrtm4_client"]`. Any error is
recorded and raised; state and data stay as they were (deltas applied before the error stay
applied, with the version they reached)."""
from __future__ import annotations

import gzip
import hashlib
import io
import logging
import tempfile
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from irr.store import Change
from mirror import jsonseq
from mirror.importer import load_files
from mirror.nrtm4_files import (
    MAX_DECOMPRESSED,
    MAX_FILE_BYTES,
    MAX_UNF_BYTES,
    UNF_STALE,
    FileRef,
    Notification,
    Nrtm4Error,
    file_header,
    parse_notification,
    public_pem,
    save_state,
    verify,
)
from rpsl.lenient import Loaded, load
from rpsl.schema import SCHEMA

log = logging.getLogger("mirror.nrtm4")  # one logger for the publisher, the client and their files

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
