"""NRTMv4 publisher (`Nrtm4Publisher`, one per source): writes gzipped snapshot and delta files
(JSON text sequences) and the signed Update Notification File into a directory served over HTTPS
(irr.web.nrtm4). A session starts with snapshot version 1; each run publishes the journal entries
since the last published serial as the next delta, a snapshot when due and the UNF. Its state
lives in `mirror_state["nrtm4_server"]`."""
from __future__ import annotations

import fcntl
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from mirror.nrtm4_files import (
    DAY,
    DELTA_RETENTION,
    FILE_NAME,
    RETIRED_GRACE,
    SNAPSHOT_INTERVAL,
    TEMP_PREFIX,
    UNF_NAME,
    UNF_REFRESH,
    FileRef,
    Notification,
    Nrtm4Error,
    _key,
    delta_record,
    file_header,
    jws_payload,
    notification_payload,
    parse_notification,
    public_pem,
    read_pem,
    save_state,
    sign,
    verify,
    write_atomic,
    write_jsonseq_gz,
)
from rpsl.output import mask_hashes

log = logging.getLogger("mirror.nrtm4")  # one logger for the publisher, the client and their files

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
