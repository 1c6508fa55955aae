"""NRTMv3 client: `-g SOURCE:3:<N+1>-LAST` over the whois port, applied batch by batch.

The stream is parsed completely before anything is applied (spec nrtm.md §2.7): a stream without
`%END <SOURCE>`, with serials that go backwards or repeat, with operations before `%START`, with
two `%START` lines or an error reply changes nothing. A valid batch is applied in one
transaction, keeping the upstream's serials (so a restart, even after SIGKILL, resumes exactly
at the source's serial + 1). An error saying the serials are no longer available triggers a
fresh full import when dumps are configured.
"""
from __future__ import annotations

import logging
import re
import socket
import time
from dataclasses import dataclass, field

from irr.store import Change
from rpsl.lenient import Loaded, load
from rpsl.objects import extract_index, parse

log = logging.getLogger(__name__)

_START = re.compile(r"^% *START *Version: *(\d+) +([\w-]+) +(\d+)-(\d+)( FILTERED)?$")
_OPERATION = re.compile(r"^(ADD|DEL)(?: (\d+))?$")
# serials we need are gone: reload from the dumps. ("No journal kept" is not one: reloading would
# not help, and every poll would download the dumps again; the error is shown instead.)
_UNAVAILABLE = re.compile(r"do not exist|invalid range|not within|older than", re.IGNORECASE)
# RIPE/APNIC answer a mirror that is up to date with `%ERROR:401: invalid range: Not within A-N`
_NOT_WITHIN = re.compile(r"not within (\d+) *- *(\d+)", re.IGNORECASE)
_NO_NEWER = ("% Warning: there are no newer updates available", "% Warning (1): there are no newer updates available",
             "% Warning: there are no updates available")


class Nrtm3Error(Exception):
    """The stream was refused; `unavailable` when the server no longer has the serials we need."""

    def __init__(self, message: str, unavailable: bool = False):
        super().__init__(message)
        self.unavailable = unavailable


@dataclass
class Operation:
    operation: str  # ADD | DEL
    serial: int
    text: str


@dataclass
class Stream:
    source: str
    version: int = 3
    first: int = 0
    last: int = 0
    operations: list[Operation] = field(default_factory=list)
    up_to_date: bool = False


def _paragraphs(text: str) -> list[str]:
    """Paragraphs end at an empty line only: a line of blanks inside an object (PGP armour in a
    key-cert) is a continuation line, as in dumps and in IRRd."""
    text = text.replace("\r\n", "\n")
    return [p.strip("\n") for p in re.split(r"\n\n+", text) if p.strip()]


def parse_stream(text: str, source: str, expected_first: int | None = None) -> Stream:
    """A complete NRTMv3 (or v1) answer -> operations; raises Nrtm3Error for an invalid one."""
    stream = Stream(source)
    started = ended = False
    pending: str | None = None
    next_serial = expected_first
    for para in _paragraphs(text):
        first_line = para.split("\n", 1)[0].strip()
        if pending is not None:  # the object of the ADD/DEL line before
            op = _OPERATION.match(pending)
            serial = int(op.group(2)) if op.group(2) else None
            if stream.version == 1 or serial is None:
                if stream.version != 1:
                    raise Nrtm3Error(f"operation without a serial in a version {stream.version} stream: {pending!r}")
                serial = stream.first + len(stream.operations)
                if serial > stream.last:
                    raise Nrtm3Error(f"more operations than the range {stream.first}-{stream.last} allows")
            elif next_serial is not None and serial < next_serial:
                raise Nrtm3Error(f"serial {serial} is out of order or repeated (expected {next_serial} or higher)")
            stream.operations.append(Operation(op.group(1), serial, para + "\n"))
            next_serial = serial + 1
            pending = None
            continue
        if first_line.startswith(("%ERROR", "% ERROR", "%% ERROR", "ERROR:")):
            window = _NOT_WITHIN.search(para)
            if window and expected_first is not None and int(window.group(2)) == expected_first - 1 \
                    and not started:
                stream.up_to_date = True  # we asked for newest+1: nothing new, not a lost history
                return stream
            raise Nrtm3Error(f"server error: {para.strip()}", unavailable=bool(_UNAVAILABLE.search(para)))
        if any(first_line.startswith(w) for w in _NO_NEWER):
            if not started:
                stream.up_to_date = True
                return stream
            continue
        m = _START.match(first_line)
        if m:
            if started:
                raise Nrtm3Error("a second %START line in the stream")
            version, name, first, last = int(m.group(1)), m.group(2).upper(), int(m.group(3)), int(m.group(4))
            if version not in (1, 3):
                raise Nrtm3Error(f"invalid NRTM version {version}")
            if name != source:
                raise Nrtm3Error(f"the stream is for source {name}, expected {source}")
            if expected_first is not None and first != expected_first:  # a gap: serials we need are gone
                raise Nrtm3Error(f"the stream starts at serial {first}, expected {expected_first}",
                                 unavailable=first > expected_first)
            stream.version, stream.first, stream.last = version, first, last
            next_serial = first
            started = True
            continue
        if re.match(r"^% *END", first_line):
            if not started:
                raise Nrtm3Error("%END before %START")
            if first_line.split()[-1].upper() != source:
                raise Nrtm3Error(f"the stream ends for another source: {first_line}")
            ended = True
            continue
        if first_line.startswith(("%", "#")):
            continue  # banners, terms and conditions, remarks
        if _OPERATION.match(first_line):
            if not started:
                raise Nrtm3Error(f"operation before %START: {first_line}")
            if ended:
                raise Nrtm3Error(f"operation after %END: {first_line}")
            pending = first_line
            continue
        raise Nrtm3Error(f"unexpected text in the stream: {first_line[:80]!r}")
    if pending is not None:
        raise Nrtm3Error(f"{pending} without its object")
    if not started:
        raise Nrtm3Error("no %START line in the answer")
    if not ended:
        raise Nrtm3Error(f"the stream has no %END {source}: it was cut off, nothing applied")
    return stream


def _complete(data: str, source: str) -> bool:
    """Has the server sent a whole answer (end marker, error or warning)?"""
    tail = data[-4096:]
    if re.search(rf"(?:^|\n)% ?END {re.escape(source)}[ \t\r]*\n", tail):
        return True
    return "%START" not in data and bool(re.search(r"(?:^|\n)(?:%ERROR|% ERROR|%% ERROR|% Warning)[^\n]*\n", tail))


def query(host: str, port: int, line: str, source: str, timeout: float = 15.0, max_bytes: int = 512 << 20) -> str:
    """Send one NRTM query; read until the answer is complete, the peer closes, or it stalls."""
    data = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.sendall(line.encode() + b"\n")
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except TimeoutError:
                raise Nrtm3Error(f"no data from {host}:{port} for {timeout:g} s: stalled, nothing applied") from None
            if not chunk:
                break
            data += chunk
            if len(data) > max_bytes:
                raise Nrtm3Error(f"answer larger than {max_bytes} bytes")
            if chunk.endswith(b"\n") and _complete(data[-8192:].decode("utf-8", "replace"), source):
                break
    return bytes(data).decode("utf-8", "backslashreplace")


_SOURCE_LINE = re.compile(r"^(source:[ \t]*)([^\s#]*)", re.MULTILINE | re.IGNORECASE)


def _loaded(op: Operation, source: str, classes, other_sources: frozenset[str] = frozenset()) -> Loaded | None:
    """The object of an operation, or None when it is skipped (logged): mirrors never stop on one
    bad object; the next change to it repairs it. An object of another source refuses the whole
    answer (Nrtm3Error), unless the operator listed that source in `nrtm_other_sources`: then it is
    stored under the mirrored source, its `source:` rewritten."""
    obj = load(op.text.rstrip("\n"))
    if op.operation == "DEL" and obj.index is None:
        parsed = parse(op.text)  # DEL objects may lack source: (IRRd accepts them); key is enough
        if parsed.schema is not None and parsed.pk:
            obj = Loaded(parsed.object_class, parsed.pk, parsed.text, extract_index(parsed),
                         parsed.source or source, parsed.line)
    if obj.error is not None or obj.index is None:
        log.warning("%s serial %d: %s skipped: %s", source, op.serial, op.operation, obj.error)
        return None
    if classes and obj.object_class not in classes:
        return None
    if obj.source != source:
        if obj.source not in other_sources:
            raise Nrtm3Error(
                f"serial {op.serial}: {op.operation} {obj.object_class} {obj.pk} has source {obj.source}, but the "
                f"stream is for {source}: nothing of this answer was applied, {source} stays at its serial "
                f"(to store {obj.source} objects of this stream as {source}, set "
                f"sources.{source}.nrtm_other_sources = [\"{obj.source}\"])")
        text = _SOURCE_LINE.sub(lambda m: m.group(1) + source, obj.text, count=1)
        obj = Loaded(obj.object_class, obj.pk, text, obj.index, source, obj.line)
    return obj


class Nrtm3Client:
    """Mirrors one source from an NRTMv3 server."""

    def __init__(self, store, source, full_import=None, timeout: float = 15.0):
        self.store = store
        self.source = source          # SourceConfig
        self.full_import = full_import
        self.timeout = timeout

    def run_once(self) -> str:
        name = self.source.name
        serial = self.store.serial(self.source.name)
        if serial is None:
            if self.full_import is None:
                raise Nrtm3Error(f"{name} has no serial yet: load a dump first (dump_urls or irr load)")
            return self.full_import.run_once(force=True)
        t0 = time.monotonic()
        try:
            text = query(self.source.nrtm_host, self.source.nrtm_port, f"-g {name}:3:{serial + 1}-LAST", name,
                         self.timeout)
            stream = parse_stream(text, name, serial + 1)
        except Nrtm3Error as e:
            if e.unavailable and self.full_import is not None:
                log.warning("%s: %s; reloading from the dumps", name, e)
                return self.full_import.run_once(force=True)
            self.store.record_error(name, str(e))
            raise
        except OSError as e:
            self.store.record_error(name, f"NRTM connection to {self.source.nrtm_host}:{self.source.nrtm_port} "
                                          f"failed: {e}")
            raise Nrtm3Error(str(e)) from e
        if stream.up_to_date or not stream.operations and stream.last <= serial:
            self.store.record_success(name)
            return f"{name}: up to date at serial {serial}"
        try:
            return self.apply(stream, t0)
        except Nrtm3Error as e:
            self.store.record_error(name, str(e))
            raise

    def apply(self, stream: Stream, t0: float | None = None) -> str:
        """One batch, one transaction: the serial reached is the end of the %START range. Raises
        Nrtm3Error, changing nothing, when an object of another source is in it."""
        name = self.source.name
        classes = frozenset(self.source.object_classes) if self.source.object_classes else None
        others = frozenset(self.source.nrtm_other_sources)
        changes = []
        for op in stream.operations:
            obj = _loaded(op, name, classes, others)
            if obj is not None:
                changes.append(Change(name, op.operation, obj, serial=op.serial, missing_ok=True))
        with self.store.engine.begin() as conn:
            self.store.lock_sources(conn, [name])
            self.store.apply(changes, origin="mirror nrtm3", conn=conn, serial_newest={name: stream.last})
            self.store.set_mirror_state(name, self.store_state(), conn, success=True)
        seconds = time.monotonic() - (t0 or time.monotonic())
        return (f"{name}: applied {len(changes)} of {len(stream.operations)} operations, serials "
                f"{stream.first}-{stream.last} ({seconds:.1f} s)")

    def store_state(self) -> dict:
        state = self.store.mirror_state(self.source.name)
        state["nrtm3_host"] = f"{self.source.nrtm_host}:{self.source.nrtm_port}"
        return state
