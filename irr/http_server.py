"""The HTTP server of `irr serve`: waitress, with irr's bounds on requests and slow clients.

Why waitress: its main loop (one thread, non-blocking sockets) reads each request completely,
headers and body, before a worker thread sees it, and takes each answer into a buffer so the
worker is free before the client has read it. A slow client costs a socket, never a worker. It is
pure Python and runs in-process beside the asyncio whois server and the jobs (gunicorn forks
workers and wants the process to itself; cheroot gives a worker thread to each connection that
starts a request, so slow senders hold workers).

What this module adds (waitress alone has only an idle timeout, which every byte restarts):
- at most `max_connections` requests at once (read completely, waiting for or holding a worker
  thread); more are answered 503 at once;
- a request's headers and body must arrive within `timeout` seconds of its first byte (else 408);
- while an answer waits (in waitress' buffer or the kernel's), the client must receive at least
  MIN_DRAIN_BYTES of it per `timeout` seconds, else the connection is dropped; the next request
  of a pipelining client waits until the answer before has left the buffer, so a client that
  does not read never holds a worker;
- a kept-alive connection idle for `timeout` seconds is closed.
"""
from __future__ import annotations

import logging
import threading
import time

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from irr.sockets import reset_on_close, unsent_bytes

log = logging.getLogger(__name__)
MIN_DRAIN_BYTES = 64 * 1024
MAX_SOCKETS = 1000           # open HTTP connections; beyond it new ones wait in the listen queue
MAX_HEADER_BYTES = 64 * 1024


def _answer(status: str, text: str) -> bytes:
    body = text.encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"Retry-After: 1\r\nConnection: close\r\n\r\n").encode() + body


BUSY = _answer("503 Service Unavailable", "Too many requests at once, try again later\n")
TOO_SLOW = _answer("408 Request Timeout", "The request did not arrive in time\n")
_worker = threading.local()  # handed_on: this worker passed its request slot to the next pipelined request


class _Channel(HTTPChannel):
    """One connection. Runs in the main loop thread except service(), which runs in a worker."""

    request_started: float | None = None   # monotonic time of the first byte of an incomplete request
    drain_mark: tuple[float, int] | None = None  # (since, bytes the client had received then)
    bytes_sent = 0     # handed to the kernel
    service_thread: int | None = None  # the worker serving a request of this connection
    deferred = False   # a pipelined request waits until the previous answer has been read

    def received(self, data):
        partial = self.request
        result = super().received(data)
        if self.request is None:
            self.request_started = None
        elif self.request is not partial:       # a new request began in this chunk
            self.request_started = time.monotonic()
        return result

    def send(self, data, do_close=True):
        sent = super().send(data, do_close=do_close)
        self.bytes_sent += sent or 0
        return sent

    def unsent(self) -> int:
        """Bytes of answers the client has not received: ours and the kernel's (TIOCOUTQ)."""
        return self.total_outbufs_len + unsent_bytes(self.socket)

    def writable(self):
        return super().writable() or (self.deferred and self.service_thread is None)

    def handle_write(self):
        super().handle_write()
        with self.outbuf_lock:
            go = self.deferred and self.service_thread is None and not self.total_outbufs_len and self.connected
            if go:
                self.deferred = False
        if go:
            with self.requests_lock:
                self.server.add_task(self)

    def service(self):
        me = threading.get_ident()
        with self.server.count_lock:
            self.service_thread = me
        _worker.handed_on = False
        try:
            super().service()
        finally:
            if not _worker.handed_on:
                self.server.request_done()
            with self.server.count_lock:  # the next request may already run in another worker
                if self.service_thread == me:
                    self.service_thread = None
            if self.deferred:
                self.server.pull_trigger()  # the main loop adds the next request once the output is read

    def queue_answer(self, data: bytes) -> None:
        """Answer from the main loop (no worker runs for this connection), then close."""
        if not self.close_when_flushed and not self.will_close:
            with self.outbuf_lock:
                self.outbufs[-1].append(data)
                self.total_outbufs_len += len(data)
                self.current_outbuf_count += len(data)
        for request in self.requests:
            request.close()
        self.requests = []
        self.close_when_flushed = True

    def drop(self) -> None:
        """Close now, discarding what the client has not read (reset, nothing left in the kernel);
        a worker waiting to write is woken and stops."""
        reset_on_close(self.socket)
        self.handle_close()


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, app, adj: Adjustments, max_requests: int, timeout: float):
        self.max_requests = max_requests
        self.timeout = timeout
        self.in_flight = 0
        self.count_lock = threading.Lock()
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(max_requests)
        super().__init__(app, map={}, dispatcher=dispatcher, adj=adj)

    def add_task(self, channel: _Channel) -> None:
        """A request has arrived completely: refused with 503 when `max_requests` are in flight.
        The next pipelined request of a connection (added by the worker that served the one
        before) waits until the answer before it has been read: a worker never waits for a
        client that does not read."""
        if channel.service_thread == threading.get_ident():  # the worker that served the one before
            with channel.outbuf_lock:
                if channel.total_outbufs_len:
                    channel.deferred = True   # handle_write adds it once the output has drained
                    return
            _worker.handed_on = True          # it takes over the finished request's slot
            super().add_task(channel)
            return
        with self.count_lock:
            accept = self.in_flight < self.max_requests
            if accept:
                self.in_flight += 1
        if accept:
            super().add_task(channel)
        else:
            channel.queue_answer(BUSY)

    def request_done(self) -> None:
        with self.count_lock:
            self.in_flight -= 1

    def maintenance(self, now):
        """Every second: idle connections, requests past their deadline, answers left unread.
        A connection closed with unread answers is reset (see Channel.drop)."""
        mono = time.monotonic()
        for channel in list(self.active_channels.values()):
            if not channel.requests and channel.last_activity < now - self.timeout:  # idle: nothing in or out
                if channel.unsent():
                    channel.drop()
                else:
                    channel.will_close = True
                continue
            if channel.request_started is not None and mono - channel.request_started > self.timeout:
                channel.request_started = None
                with channel.requests_lock:
                    late = channel.requests or channel.total_outbufs_len
                    if not late:
                        channel.queue_answer(TOO_SLOW)
                if late:  # earlier answers still going out: no room for a 408
                    channel.drop()
                    continue
            unsent = channel.unsent()
            if unsent:
                received = channel.bytes_sent + channel.total_outbufs_len - unsent
                if channel.drain_mark is None:
                    channel.drain_mark = (mono, received)
                elif mono - channel.drain_mark[0] >= self.timeout:
                    if received - channel.drain_mark[1] < MIN_DRAIN_BYTES:
                        log.info("http: dropping %s: answer not read for %s s", channel.addr, self.timeout)
                        channel.drop()
                    else:
                        channel.drain_mark = (mono, received)
            else:
                channel.drain_mark = None


class BoundedHTTPServer:
    """`irr serve`'s HTTP server: serve_forever() in a thread, shutdown() from another."""

    def __init__(self, host: str, port: int, app, max_connections: int = 64, timeout: float = 60):
        body_limit = int(getattr(app, "config", {}).get("MAX_CONTENT_LENGTH") or 1 << 20)
        adj = Adjustments(host=host, port=port, threads=max_connections, connection_limit=MAX_SOCKETS,
                          channel_timeout=timeout, cleanup_interval=1, asyncore_use_poll=True,
                          max_request_header_size=MAX_HEADER_BYTES, max_request_body_size=2 * body_limit,
                          ident="irr")
        self._server = _Server(app, adj, max_connections, timeout)
        self.server_port = int(self._server.effective_port)
        self._stop = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=1, map=self._server._map, use_poll=True, count=1)
        finally:
            self._server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(self._server._map)
            self._stopped.set()

    @property
    def in_flight(self) -> int:
        """Requests read completely and not yet answered (queued or in a worker)."""
        return self._server.in_flight

    def shutdown(self) -> None:
        self._stop.set()
        self._server.pull_trigger()
        self._stopped.wait(15)

    def server_close(self) -> None:
        """Compatibility with socketserver: serve_forever() closes everything when it ends."""
