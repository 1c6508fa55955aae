"""`irr serve`: migrations, demo data on first start, routing data in memory, then the whois and
HTTP servers until Ctrl-C / SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import threading

from irr.config import Config
from irr.demo import start as demo_start
from irr.http_server import BoundedHTTPServer
from irr.query.apnic_style import DEFAULT_TERMS_URL, WhoisStyle
from irr.query.irrd import IrrdCommands
from irr.query.memory import RoutingMemory
from irr.query.nrtm import NrtmServer
from irr.query.ripe import ripe_query
from irr.query.sets import Limits
from irr.query.whois_server import WhoisServer
from irr.store.lookups import Lookups
from irr.web import create_app
from mirror.scheduler import Scheduler

log = logging.getLogger(__name__)
__all__ = ["BoundedHTTPServer", "build_whois", "serve"]
# How long a thread holding the GIL may keep it while another asks for it. Whois answers from
# memory are written by the event loop in tens of microseconds, and the loop lets the GIL go at
# every socket call: while a thread that applies a change, resolves sets ahead (irr.query.memory)
# or reads PostgreSQL is busy, it takes the GIL at each of them and keeps it this long before the
# loop gets it back. At 0.5 ms a change's 6 ms of work stalled every answer for 5-10 ms; at 0.1 ms
# (bench/whois.py's churn, 20 clients) a third as many answers took over 5 ms.
SWITCH_INTERVAL = 0.0001


def build_whois(config: Config, store):
    """The whois server with its in-memory routing data loaded (answers are right from the first
    connection) and kept current by a LISTEN thread."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    memory = RoutingMemory(store, config.scope_hidden_sources)
    memory.load_all()
    memory.start_listener(store.engine.url.render_as_string(hide_password=False))
    limits = config.whois_limits
    lookups = Lookups(store.engine, statement_timeout_ms=int(limits.max_answer_seconds * 1000),
                      max_rows=limits.max_objects, scope_hidden=config.scope_hidden_sources)
    set_limits = Limits.of(limits)
    memory.warm(list(config.source_order) or sorted(memory.snapshots), set_limits)  # every set resolved ahead
    commands = IrrdCommands(memory, lookups, store, set_limits, cache_size=limits.answer_cache)
    authoritative = frozenset(s.name for s in config.sources.values() if s.authoritative)
    host = socket.gethostname()
    # the served-by line names the registry: its first authoritative source, else its first source
    own = [s for s in config.source_order if s in authoritative] or list(config.source_order) or ["IRR"]
    style = WhoisStyle(config.whois_style, config.whois_name or socket.getfqdn(),
                       config.whois_terms_url or DEFAULT_TERMS_URL, own[0], host)

    def ripe(line: str, session) -> str:
        return ripe_query(line, session, lookups, store, style)

    return WhoisServer(commands, ripe, list(config.source_order), authoritative, limits,
                       NrtmServer(config, store)), memory


def serve(config: Config, store, host: str, http_port: int, whois_port: int, demo: bool = True,
          read_store=None) -> None:
    """Run until interrupted; stops cleanly (connections closed, embedded database stopped).
    With `read_store` (a replica) queries read it; without `store` (a query-only front end with
    no primary) nothing is written: no migrations, no mirroring jobs, no submissions."""
    if store is not None and read_store is None:  # the writing instance; front ends never migrate
        store.upgrade()
        if demo:
            for line in demo_start(config, store, f"http://{host}:{http_port}"):  # first start; the password
                print(line, flush=True)
    reads = read_store or store
    whois, memory = build_whois(config, reads)  # sets the thread switch interval (SWITCH_INTERVAL)

    scheduler = Scheduler(config, store) if store is not None and read_store is None else None
    if scheduler is not None:
        scheduler.start()
    app = create_app(config, reads, memory)
    if store is not None:
        app.extensions["irr_write_store"] = store
    httpd = BoundedHTTPServer(host, http_port, app, config.http_max_connections, config.http_timeout)
    http_thread = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
    http_thread.start()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        port = await whois.start(host, whois_port)
        print(f"irr: whois on {host}:{port}, HTTP on http://{host}:{httpd.server_port}/ (Ctrl-C to stop)",
              flush=True)
        await stop.wait()
        await whois.stop()

    try:
        asyncio.run(main())
    finally:
        if scheduler is not None:
            scheduler.stop()
        memory.stop()
        httpd.shutdown()
        httpd.server_close()
        reads.engine.dispose()
        if store is not None and store is not reads:
            store.engine.dispose()
        print("irr: stopped", flush=True)
