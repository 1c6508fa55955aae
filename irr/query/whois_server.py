"""The whois server (TCP port 43): connections, line framing, limits; queries go to irr.query.irrd
(`!` commands) or irr.query.ripe (RIPE-style flags).

asyncio, one process: answers from memory are written straight from the event loop; queries that
read PostgreSQL run in a thread pool, so a slow query or a slow client never blocks the others.
Queries of one connection are answered strictly in order, pipelined input included.

Slow clients cannot keep a slot: the idle timer restarts on a complete query line or an answer,
never on a stray byte (a client trickling a line without its newline is closed after the idle
timeout), and answers a client does not read are bounded too: while writing is paused (the
transport's buffer over its high-water mark), at least MIN_DRAIN_BYTES must leave the buffer per
idle timeout, else the connection is aborted.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from irr.config import WhoisLimits
from irr.query.irrd import MEMORY_COMMANDS, IrrdCommands, error
from irr.query.nrtm import NrtmError, is_nrtm, parse_request
from irr.query.session import Session
from irr.query.whois_metrics import count_query
from irr.sockets import reset_on_close, unsent_bytes

log = logging.getLogger(__name__)
ANSWERS_PER_TURN = 64  # memory answers written in one go before other connections get a turn
MIN_DRAIN_BYTES = 64 * 1024  # a paused writer must lose this much per idle timeout, or be dropped


class WhoisServer:
    """Accepts connections and answers queries until stopped."""

    def __init__(self, commands: IrrdCommands, ripe, sources: list[str], authoritative: frozenset[str],
                 limits: WhoisLimits | None = None, nrtm=None):
        limits = limits or WhoisLimits()
        self.commands = commands
        self.ripe = ripe  # callable(line, session) -> str
        self.nrtm = nrtm  # irr.query.nrtm.NrtmServer, or None: -g is refused
        self.streams: set[Connection] = set()  # NRTM keep-alive (-g ... -k) connections
        self._stream_task: asyncio.Task | None = None
        self.default_sources = sources
        self.authoritative = authoritative
        self.limits = limits
        self.executor = ThreadPoolExecutor(limits.threads, thread_name_prefix="whois")
        self.connections: set[Connection] = set()
        self.server: asyncio.AbstractServer | None = None
        self._fresh: asyncio.Future | None = None

    def all_sources(self) -> list[str]:
        known = list(self.default_sources)
        known += sorted(s for s in self.commands.memory.snapshots if s not in known)
        return known

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: Connection(self), host, port, reuse_address=True)
        return self.server.sockets[0].getsockname()[1]

    def stream(self, conn: Connection) -> None:
        """Start feeding a keep-alive NRTM connection with new journal entries (polled each second)."""
        self.streams.add(conn)
        if self._stream_task is None or self._stream_task.done():
            self._stream_task = asyncio.ensure_future(self._feed_streams())

    async def _feed_streams(self) -> None:
        loop = asyncio.get_running_loop()
        while self.streams:
            await asyncio.sleep(1.0)
            for conn in list(self.streams):
                if conn.closing:
                    self.streams.discard(conn)
                    continue
                if conn.writing_paused:  # a mirror that does not read gets nothing more meanwhile
                    continue
                source, since, version = conn.stream_state
                try:
                    text, after = await loop.run_in_executor(self.executor, self.nrtm.more, source, since, version)
                except Exception:
                    log.exception("NRTM stream of %s failed", source)
                    conn.close()
                    continue
                if text:
                    conn.stream_state = (source, after, version)
                    conn._reply(text.encode())

    async def stop(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
        if self.server is not None:
            self.server.close()
            for conn in list(self.connections):
                conn.abort()  # close() would wait for clients that do not read
            await self.server.wait_closed()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def fresh(self) -> asyncio.Future:
        """Make sure the in-memory data matches what is committed. Connections that arrive while
        a check runs share it; a check costs one small query when nothing changed."""
        if self._fresh is None or self._fresh.done():
            loop = asyncio.get_running_loop()
            self._fresh = loop.run_in_executor(self.executor, self.commands.memory.refresh)
        return self._fresh

    def session(self, peer: str) -> Session:
        """A new connection queries the configured source order, or every source when none is set."""
        known = self.all_sources()
        mirrorable = self.nrtm.mirrorable(peer) if self.nrtm is not None else frozenset()
        return Session(list(self.default_sources) or known, known, self.authoritative,
                       timeout=self.limits.idle_timeout, peer=peer, mirrorable=mirrorable,
                       default_sources=list(self.default_sources))


class Connection(asyncio.Protocol):
    def __init__(self, server: WhoisServer):
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()   # received, not yet queued; lines start at buffer_pos
        self.buffer_pos = 0
        self.overlong = False       # an endless line was refused: the rest of the input is ignored
        self.queue: deque[bytes] = deque()
        self.busy = False
        self.closing = False
        self.answered = 0
        self.idle_handle: asyncio.TimerHandle | None = None
        self.idle_since = 0.0       # loop time of the last complete query line or answer
        self.drain_handle: asyncio.TimerHandle | None = None
        self.drain_mark = 0         # bytes waiting in the transport when the drain timer started
        self.writing_paused = False
        self.reading_paused = False
        self.address = "?"
        self.ready = False
        self.eof = False
        self.stream_state: tuple[str, int, int] | None = None

    # -- connection lifecycle ---------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.session = self.server.session(f"{peer[0]}:{peer[1]}" if peer else "?")
        self.address = peer[0] if peer else "?"
        limits = self.server.limits
        same_address = sum(1 for c in self.server.connections if c.address == self.address)
        if len(self.server.connections) >= limits.max_connections or \
                same_address >= limits.max_connections_per_address:
            transport.write(b"%% Too many connections, try again later\n")
            self.closing = True  # input is ignored; closing a moment later lets the answer arrive (no RST)
            asyncio.get_running_loop().call_later(0.5, transport.close)
            return
        self.server.connections.add(self)
        self._touch()
        fresh = self.server.fresh()
        fresh.add_done_callback(self._fresh_done)

    def _fresh_done(self, future: asyncio.Future) -> None:
        if future.exception() is not None:
            log.error("could not refresh routing data: %s", future.exception())
        self.ready = True
        self._process()

    def connection_lost(self, exc) -> None:
        self.server.connections.discard(self)
        for handle in (self.idle_handle, self.drain_handle):
            if handle is not None:
                handle.cancel()
        self.closing = True

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close at once, dropping unsent answers; the peer gets a reset, the kernel keeps nothing."""
        self.closing = True
        if self.transport is None:
            return
        reset_on_close(self.transport.get_extra_info("socket"))
        self.transport.abort()

    def _touch(self, rearm: bool = False) -> None:
        """Restart the idle clock. The timer is armed once and, when it fires early, armed again
        for what is left: a query costs no timer cancel and heap push (`rearm`: the timeout
        itself changed, so the armed timer may be too late)."""
        loop = asyncio.get_running_loop()
        self.idle_since = loop.time()
        if rearm and self.idle_handle is not None:
            self.idle_handle.cancel()
            self.idle_handle = None
        if self.idle_handle is None:
            self.idle_handle = loop.call_at(self.idle_since + self.session.timeout, self._idle)

    def _idle(self) -> None:
        self.idle_handle = None
        left = self.idle_since + self.session.timeout - asyncio.get_running_loop().time()
        if left > 0:  # touched since the timer was armed
            self.idle_handle = asyncio.get_running_loop().call_later(left, self._idle)
            return
        if self.stream_state is not None or self.busy or self.queue or self.writing_paused:
            self._touch()  # NRTM streams stay until the mirror hangs up; queries and paused writes have bounds
        elif self.transport is not None and (self.transport.get_write_buffer_size()
                                             or unsent_bytes(self.transport.get_extra_info("socket"))):
            self.abort()   # answers left unread for an idle timeout: close() would wait for them forever
        else:
            self.close()

    def pause_writing(self) -> None:  # a slow reader: stop answering until it catches up
        self.writing_paused = True
        self._arm_drain()

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.drain_handle is not None:
            self.drain_handle.cancel()
            self.drain_handle = None
        self._process()

    def _arm_drain(self) -> None:
        self.drain_mark = self.transport.get_write_buffer_size()
        self.drain_handle = asyncio.get_running_loop().call_later(self.session.timeout, self._drain_check)

    def _drain_check(self) -> None:
        """Writing has been paused for an idle timeout: the client must have read at least
        MIN_DRAIN_BYTES of what waits meanwhile, else it is holding a slot without reading."""
        self.drain_handle = None
        if not self.writing_paused or self.transport is None:
            return
        if self.drain_mark - self.transport.get_write_buffer_size() < MIN_DRAIN_BYTES:
            log.info("whois: closing %s: answers not read for %s s", self.session.peer, self.session.timeout)
            self.abort()
        else:
            self._arm_drain()

    # -- input ----------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self.closing or self.overlong:
            return
        if b"\n" in data:  # a complete query: stray bytes never restart the idle timer
            self._touch()
        self.buffer += data
        self._fill()
        self._process()

    def eof_received(self) -> bool:
        """The client has sent everything: answer what is queued, then close."""
        self.eof = True
        self._fill()
        self._process()
        return True  # keep the transport open to write pending answers

    def _fill(self) -> None:
        """Move complete lines from the input buffer to the queue, at most max_queued_queries of
        them: while more wait, reading is paused and TCP holds the client back."""
        limits = self.server.limits
        buffer, pos = self.buffer, self.buffer_pos
        while len(self.queue) < limits.max_queued_queries:
            end = buffer.find(b"\n", pos)
            if end < 0:
                break
            self.queue.append(bytes(buffer[pos:end]) if end - pos <= limits.max_line_length else b"\x00too-long")
            pos = end + 1
        if pos and (pos == len(buffer) or pos > 1 << 16):  # compact now and then, not per line
            del buffer[:pos]
            pos = 0
        self.buffer_pos = pos
        complete_waiting = buffer.find(b"\n", pos) >= 0
        if not complete_waiting:
            if len(buffer) - pos > limits.max_line_length:  # an endless line: answered in turn, then closed
                self.queue.append(b"\x00too-long-close")
                self.overlong = True
                buffer.clear()
                self.buffer_pos = 0
            elif self.eof and bytes(buffer[pos:]).strip():  # a last line without its newline
                self.queue.append(bytes(buffer[pos:]))
                buffer.clear()
                self.buffer_pos = 0
        if complete_waiting and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        elif not complete_waiting and self.reading_paused and not self.eof:
            self.reading_paused = False
            self.transport.resume_reading()

    # -- answering ------------------------------------------------------------------------------
    def _process(self) -> None:
        before = self.session.timeout
        self._answer_queued()
        if self.session.timeout != before:  # `!t` changed the idle timeout
            self._touch(rearm=True)
        if self.eof and self.ready and not self.busy and not self.queue and not self.closing \
                and self.stream_state is None:
            self.close()

    def _answer_queued(self) -> None:
        answered = 0
        while self.ready and not self.busy and self.queue and not self.closing and not self.writing_paused:
            if answered == ANSWERS_PER_TURN:  # let other connections have the event loop, then go on
                asyncio.get_running_loop().call_soon(self._process)
                break
            answered += 1
            raw = self.queue.popleft()
            if self.reading_paused and len(self.queue) < self.server.limits.max_queued_queries // 2:
                self._fill()
            if raw.startswith(b"\x00too-long"):
                self._reply(error(f"Query too long (maximum {self.server.limits.max_line_length} bytes)"))
                if raw == b"\x00too-long-close":
                    self.close()
                    return
                continue
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            if b"\x00" in line:
                self._reply(error("Queries may not contain null bytes"))
                self._finish()
                continue
            query = line.decode("utf-8", "backslashreplace")
            if query.startswith("-V ") and "!" in query:  # `-V client !query`: whois clients prepend -V
                client, _, rest = query[3:].partition(" ")
                self.session.client = client
                query = rest.strip()
            if query[:2].lower() == "!q":
                self.close()
                return
            if is_nrtm(query):
                self._nrtm(query)
                continue
            if query.startswith("!") and query[1:2] in MEMORY_COMMANDS:
                # a set resolution the memory does not keep ready can take a while: it runs in a thread
                started = time.perf_counter()
                reply = self.server.commands.ready(query, self.session)
                if reply is not None:
                    self._reply(reply)
                    self._count(query, started)
                    self._finish()
                    continue
            self._run_in_thread(query)

    def _nrtm(self, query: str) -> None:
        """NRTMv3 (`-g`): the whole range in one answer, or a stream that never ends with -k."""
        try:
            request = parse_request(query)
        except NrtmError as e:
            self._reply(f"%% ERROR: {e}\n\n\n".encode())
            self._finish()
            return
        if self.server.nrtm is None:
            self._reply(b"%% ERROR: NRTM is not served here\n\n\n")
            self._finish()
            return
        self.busy = True
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self.server.executor, self.server.nrtm.answer, request, self.session.peer)

        def done(task: asyncio.Future) -> None:
            self.busy = False
            exc = task.exception()
            if isinstance(exc, NrtmError):
                self._reply(f"%% ERROR: {exc}\n\n\n".encode())
            elif exc is not None:
                log.error("NRTM query %r failed", query, exc_info=exc)
                self._reply(b"%% ERROR: An internal error occurred while processing this query.\n\n\n")
            else:
                text, after = task.result()
                self._reply(text.encode())
                if request.keepalive:
                    self.stream_state = (request.source, after, request.version)
                    self.queue.clear()  # a stream carries nothing else
                    self.server.stream(self)
                    return
            self._finish()
            self._touch()
            self._process()

        call.add_done_callback(done)

    def _run_in_thread(self, query: str) -> None:
        self.busy = True
        loop = asyncio.get_running_loop()
        if query.startswith("!"):
            call = loop.run_in_executor(self.server.executor, self.server.commands.handle, query, self.session)
        else:
            call = loop.run_in_executor(self.server.executor, self.server.ripe, query, self.session)
        task = asyncio.ensure_future(asyncio.wait_for(call, self.server.limits.max_answer_seconds))
        started = time.perf_counter()
        task.add_done_callback(lambda t: (self._count(query, started), self._threaded_done(t, query)))

    def _threaded_done(self, task: asyncio.Task, query: str) -> None:
        self.busy = False
        if task.cancelled():
            return
        exc = task.exception()
        ripe = not query.startswith("!")
        if isinstance(exc, asyncio.TimeoutError):
            msg = f"Query took longer than {self.server.limits.max_answer_seconds:g} seconds"
            self._reply(f"%% ERROR: {msg}\n\n\n".encode() if ripe else error(msg))
        elif exc is not None:
            log.error("query %r failed", query, exc_info=exc)
            msg = "An internal error occurred while processing this query."
            self._reply(f"%% ERROR: {msg}\n\n\n".encode() if ripe else error(msg))
        else:
            result = task.result()
            self._reply(result.encode() if isinstance(result, str) else result)
        self._finish()
        self._touch()
        self._process()

    def _count(self, query: str, started: float) -> None:
        count_query(query, time.perf_counter() - started)

    def _reply(self, data: bytes) -> None:
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)  # one write per answer: bgpq4 reads some answers in one read()

    def _finish(self) -> None:
        """After an answer: without `!!`/`-k`, a connection carries one query."""
        self.answered += 1
        if not self.session.keepalive:
            self.queue.clear()
            self.closing = True
            if self.transport is not None:
                self.transport.close()
