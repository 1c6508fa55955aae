"""Slow clients cannot hold the servers' slots (security issue: slowloris on both ports).

Slow writers trickle a query line or an HTTP request without ever finishing it; slow readers
queue large answers and read them a few bytes at a time. Each test checks another client is
answered while the slow ones are connected, and that the slow ones are closed although they
keep sending or reading (before the fix, every byte restarted the idle timer and unread answers
waited forever)."""
from __future__ import annotations

import select
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from irr.config import load_config
from irr.query.memory import RoutingMemory
from irr.server import BoundedHTTPServer
from irr.web import create_app
from mirror.importer import load_files
from tests.whois_helpers import config_for, running_whois

ROUTES = 10000  # !aAS-BIG and its prefix-set answer are ~150-400 KB


def _dataset(tmp_path) -> str:
    lines = ["mntner: MAINT-TEST\nauth: MD5-PW $1$abcdefgh$0123456789abcdefghijkl\nmnt-by: MAINT-TEST\n"
             "source: TEST\n",
             "as-set: AS-BIG\nmembers: " + ", ".join(f"AS{n}" for n in range(1, 201))
             + "\nmnt-by: MAINT-TEST\nsource: TEST\n"]
    for i in range(ROUTES):
        lines.append(f"route: 10.{i // 256}.{i % 256}.0/24\norigin: AS{1 + i % 200}\nmnt-by: MAINT-TEST\n"
                     "source: TEST\n")
    path = tmp_path / "big.db"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def loaded(store, tmp_path):
    load_files(store, "TEST", [_dataset(tmp_path)], serial=1)
    return store


def _established(sock: socket.socket) -> bool:
    """The connection is still open both ways (Linux TCP_INFO state), whatever waits unread in it."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 1  # TCP_ESTABLISHED


class Tricklers(threading.Thread):
    """Sends `first`, then `each` every `every` seconds on every connection until the server closes it."""

    def __init__(self, port: int, count: int, first: bytes, each: bytes, every: float):
        super().__init__(daemon=True)
        self.socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
        for sock in self.socks:
            sock.sendall(first)
        self.each, self.every = each, every
        self.closed: set[int] = set()
        self.replies: dict[int, bytes] = {}
        self.sent_after_start = 0
        self.stop = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.closed) < len(self.socks):
            for i, sock in enumerate(self.socks):
                if i in self.closed:
                    continue
                try:
                    while select.select([sock], [], [], 0)[0]:
                        data = sock.recv(65536)
                        if not data:
                            raise ConnectionResetError
                        self.replies[i] = self.replies.get(i, b"") + data
                    sock.sendall(self.each)
                    self.sent_after_start += 1
                except OSError:
                    self.closed.add(i)
            time.sleep(self.every)

    def wait_all_closed(self, deadline: float = 60) -> None:
        end = time.monotonic() + deadline
        while len(self.closed) < len(self.socks) and time.monotonic() < end:
            time.sleep(0.1)
        self.stop.set()
        self.join(10)
        for sock in self.socks:
            sock.close()
        assert len(self.closed) == len(self.socks), f"{len(self.socks) - len(self.closed)} slow clients still connected"


class SlowReaders(threading.Thread):
    """Each connection sends `request` and then reads `chunk` bytes every `every` seconds (0: never)."""

    def __init__(self, port: int, count: int, request: bytes, chunk: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.socks = []
        for _ in range(count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little for us
            sock.connect(("127.0.0.1", port))
            sock.sendall(request)
            sock.setblocking(False)
            self.socks.append(sock)
        self.chunk, self.every = chunk, every
        self.closed: set[int] = set()
        self.read = [0] * count
        self.stop = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.closed) < len(self.socks):
            for i, sock in enumerate(self.socks):
                if i in self.closed or not self.chunk:
                    continue
                try:
                    data = sock.recv(self.chunk)
                    if not data:
                        self.closed.add(i)
                    self.read[i] += len(data)
                except BlockingIOError:
                    pass
                except OSError:
                    self.closed.add(i)
            time.sleep(self.every)

    def wait_all_closed(self, deadline: float = 60) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            for i, sock in enumerate(self.socks):
                if not self.chunk and i not in self.closed and not _established(sock):
                    self.closed.add(i)
            if len(self.closed) == len(self.socks):
                break
            time.sleep(0.1)
        self.stop.set()
        self.join(10)
        for sock in self.socks:
            sock.close()
        assert len(self.closed) == len(self.socks), f"{len(self.socks) - len(self.closed)} slow readers still connected"


# -- whois ---------------------------------------------------------------------------------------

def test_whois_slow_writers_are_closed_and_others_served(loaded, tmp_path):
    """A byte every 0.2 s without a newline (idle timeout 3 s): before the fix each byte restarted
    the idle timer and the connection stayed for as long as the client liked."""
    config = config_for(tmp_path, ("TEST",))
    config.whois.update(idle_timeout=3, max_connections=6, max_connections_per_address=6)
    with running_whois(config, loaded) as server:
        slow = Tricklers(server.port, 5, b"!!\n!gAS", b"1", 0.2)
        time.sleep(0.5)
        assert server.query("!gAS1").startswith(b"A")           # the sixth slot answers
        assert not slow.closed, "the slow clients are still connected while another is served"
        assert len(server.whois.connections) == 5
        slow.wait_all_closed()
        assert slow.sent_after_start > 5 * 10                    # they kept trickling meanwhile
        assert not server.whois.connections
        # every slot is free again
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
        try:
            assert server.query("!gAS1").startswith(b"A")
        finally:
            for sock in held:
                sock.close()


def test_whois_slow_readers_are_closed_and_others_served(loaded, tmp_path):
    """Readers that queue big `!a` answers and read 1 KB/s (or nothing): dropped once an idle
    timeout passes with less than 64 KiB read; before the fix they stayed forever."""
    config = config_for(tmp_path, ("TEST",))
    config.whois.update(idle_timeout=3, max_connections=4, max_connections_per_address=4)
    with running_whois(config, loaded) as server:
        expected = server.query("!aAS-BIG")
        assert expected.startswith(b"A") and len(expected) > 100_000
        queries = b"!!\n" + b"!aAS-BIG\n" * 300
        trickling = SlowReaders(server.port, 2, queries, chunk=100, every=0.1)
        silent = SlowReaders(server.port, 1, queries, chunk=0)
        time.sleep(0.5)
        assert server.query("!aAS-BIG") == expected             # the fourth slot answers in full
        assert not trickling.closed and not silent.closed
        assert any(c.writing_paused for c in server.whois.connections)
        trickling.wait_all_closed()
        silent.wait_all_closed()
        assert all(0 < n < 300 * len(expected) for n in trickling.read)
        deadline = time.monotonic() + 10
        while server.whois.connections and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not server.whois.connections
        assert server.query("!gAS1").startswith(b"A")


# -- HTTP ----------------------------------------------------------------------------------------

class _Http:
    def __init__(self, app, max_connections: int, timeout: float):
        self.httpd = BoundedHTTPServer("127.0.0.1", 0, app, max_connections=max_connections, timeout=timeout)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as response:
            return response.status, response.read()

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join(20)


@pytest.fixture
def http(loaded, tmp_path):
    memory = RoutingMemory(loaded)  # as `irr serve` shares it; stopped with the test
    memory.load_all()
    servers = []

    def start(max_connections: int = 64, timeout: float = 4):
        server = _Http(create_app(load_config(None, tmp_path), loaded, memory), max_connections, timeout)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
    memory.stop()


def test_http_slow_headers_and_bodies_do_not_take_the_slots(http):
    """70 connections sending a header line (or a body byte) every 0.5 s with 64 request slots:
    /health still answers 200 (before: 503 for as long as they went on), and each slow request is
    answered 408 and closed when its deadline passes although it keeps sending."""
    server = http(max_connections=64, timeout=4)
    headers = Tricklers(server.port, 35, b"GET /health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n", 0.5)
    bodies = Tricklers(server.port, 35, b"POST /v1/submit/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 100000\r\n\r\n{", b" ", 0.5)
    time.sleep(0.5)
    status, body = server.get("/health")
    assert status == 200 and b'"ok"' in body
    status, body = server.get("/v1/filters/prefix-set/AS-BIG")
    assert status == 200 and body.count(b"\n") > ROUTES // 2
    assert not headers.closed and not bodies.closed, "the slow clients are still connected"
    headers.wait_all_closed()
    bodies.wait_all_closed()
    assert headers.sent_after_start > 35 * 5 and bodies.sent_after_start > 35 * 5
    for replies in (headers.replies, bodies.replies):
        assert all(r.startswith(b"HTTP/1.1 408 ") for r in replies.values()), replies
        assert len(replies) == 35
    assert server.get("/health")[0] == 200


def test_http_slow_readers_are_dropped(http):
    """Clients pipelining requests for a 400 KB answer and reading 10 KB/s (or nothing): dropped
    once a timeout passes with less than 64 KiB read; others are served meanwhile."""
    server = http(max_connections=5, timeout=4)  # one spare: a finished request leaves its slot a moment later
    status, full = server.get("/v1/filters/prefix-set/AS-BIG")
    assert status == 200 and len(full) > 150_000
    request = b"GET /v1/filters/prefix-set/AS-BIG HTTP/1.1\r\nHost: x\r\n\r\n" * 50
    trickling = SlowReaders(server.port, 2, request, chunk=1000, every=0.1)
    silent = SlowReaders(server.port, 1, request, chunk=0)
    assert server.get("/v1/filters/prefix-set/AS-BIG") == (200, full)
    assert server.get("/health")[0] == 200
    assert not trickling.closed and not silent.closed
    trickling.wait_all_closed()
    silent.wait_all_closed()
    assert all(0 < n < 50 * len(full) for n in trickling.read)
    assert server.httpd.in_flight == 0
    assert server.get("/health")[0] == 200


def test_http_a_client_that_does_not_read_holds_no_worker(tmp_path):
    """As many connections as request slots pipeline requests for big answers and read nothing:
    once their first answers are made, every slot is free (the next request of a connection waits
    until the answer before has been read), so another client is served while they are connected."""
    body = b"x" * 12_000_000  # more than the kernel's buffers take, less than waitress's 16 MB high-water mark

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    server = _Http(app, max_connections=2, timeout=60)
    try:
        silent = SlowReaders(server.port, 2, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 50, chunk=0)
        deadline = time.monotonic() + 30

        def answered() -> bool:  # both connections accepted, their first answers made (waiting unread)
            channels = list(server.httpd._server.active_channels.values())
            return len(channels) == 2 and all(c.total_outbufs_len for c in channels)

        while (server.httpd.in_flight or not answered()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answered(), "the silent connections' first answers were not made"
        assert server.httpd.in_flight == 0, "workers wait for clients that do not read"
        assert all(_established(sock) for sock in silent.socks)
        assert server.get("/") == (200, body)
        silent.stop.set()
    finally:
        server.close()


def test_http_requests_beyond_the_bound_get_503_at_once(tmp_path):
    """http_max_connections requests at once; more are answered 503 at once, not queued."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/hold":
            started.release()
            release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]

    server = _Http(app, max_connections=2, timeout=5)
    results = []
    try:
        holders = [threading.Thread(target=lambda: results.append(server.get("/hold"))) for _ in range(2)]
        for t in holders:
            t.start()
        assert started.acquire(timeout=10) and started.acquire(timeout=10)
        with pytest.raises(urllib.error.HTTPError) as refused:
            server.get("/quick")
        assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "1"
        assert b"Too many requests" in refused.value.read()
        release.set()
        for t in holders:
            t.join(10)
        assert results == [(200, b"ok\n")] * 2
        assert server.get("/quick") == (200, b"ok\n")
    finally:
        release.set()
        server.close()
