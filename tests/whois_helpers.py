"""A whois server for tests: the real one (build_whois), on a loopback port, in a thread."""
from __future__ import annotations

import asyncio
import socket
import threading
from contextlib import contextmanager

from irr.config import Config, SourceConfig


class RunningWhois:
    def __init__(self, config: Config, store):
        from irr.server import build_whois

        self.whois, self.memory = build_whois(config, store)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.port = self.loop.run_until_complete(self.whois.start("127.0.0.1", 0))
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.whois.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.memory.stop()

    def query(self, *lines: str | bytes, timeout: float = 20) -> bytes:
        """Send lines (one connection), read until the server closes it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            for line in lines:
                conn.sendall(line if isinstance(line, bytes) else line.encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        return reply


def config_for(tmp_path, sources=("TEST",), authoritative=()) -> Config:
    return Config(data_dir=tmp_path, sources={s: SourceConfig(s, s in authoritative) for s in sources},
                  source_order=tuple(sources))


@contextmanager
def running_whois(config: Config, store):
    server = RunningWhois(config, store)
    try:
        yield server
    finally:
        server.stop()
