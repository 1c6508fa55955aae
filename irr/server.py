"""`irr serve`: migrations, demo data on first start, routing data in memory, then the whois and
HTTP servers until Ctrl-C / SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading

from irr.config import Config
from irr.demo import start as demo_start
from irr.http_server import BoundedHTTPServer

log = logging.getLogger(__name__)
__all__ = ["BoundedHTTPServer", "build_whois", "serve"]


def build_whois(config: Config, store):
    """The whois server with its in-memory routing data loaded (answers are right from the first
    connection) and kept current by a LISTEN thread."""
    from irr.query.apnic_style import DEFAULT_TERMS_URL, WhoisStyle
    from irr.query.irrd import IrrdCommands
    from irr.query.memory import RoutingMemory
    from irr.query.ripe import ripe_query
    from irr.query.server import WhoisLimits, WhoisServer
    from irr.query.sets import Limits
    from irr.store.lookups import Lookups

    memory = RoutingMemory(store, config.scope_hidden_sources)
    memory.load_all()
    memory.start_listener(store.engine.url.render_as_string(hide_password=False))
    w = config.whois
    lookups = Lookups(store.engine, statement_timeout_ms=int(w["max_answer_seconds"] * 1000),
                      max_rows=int(w["max_objects"]), scope_hidden=config.scope_hidden_sources)
    commands = IrrdCommands(memory, lookups, store, Limits(int(w["max_set_depth"]), int(w["max_set_size"])))
    limits = WhoisLimits(max_connections=int(w["max_connections"]),
                         max_connections_per_address=int(w["max_connections_per_address"]),
                         max_queued_queries=int(w["max_queued_queries"]), idle_timeout=int(w["idle_timeout"]),
                         max_line_length=int(w["max_line_length"]), max_answer_seconds=float(w["max_answer_seconds"]),
                         threads=int(w["threads"]))
    authoritative = frozenset(s.name for s in config.sources.values() if s.authoritative)
    host = socket.gethostname()
    # the served-by line names the registry: its first authoritative source, else its first source
    own = [s for s in config.source_order if s in authoritative] or list(config.source_order) or ["IRR"]
    style = WhoisStyle(config.whois_style, config.whois_name or socket.getfqdn(),
                       config.whois_terms_url or DEFAULT_TERMS_URL, own[0], host)

    def ripe(line: str, session) -> str:
        return ripe_query(line, session, lookups, store, style)

    from irr.query.nrtm import NrtmServer

    return WhoisServer(commands, ripe, list(config.source_order), authoritative, limits,
                       NrtmServer(config, store)), memory


def serve(config: Config, store, host: str, http_port: int, whois_port: int, demo: bool = True,
          read_store=None) -> None:
    """Run until interrupted; stops cleanly (connections closed, embedded database stopped).
    With `read_store` (a replica) queries read it; without `store` (a query-only front end with
    no primary) nothing is written: no migrations, no mirroring jobs, no submissions."""
    from irr.web import create_app

    if store is not None and read_store is None:  # the writing instance; front ends never migrate
        store.upgrade()
        if demo:
            for line in demo_start(config, store, f"http://{host}:{http_port}"):  # first start; the password
                print(line, flush=True)
    reads = read_store or store
    whois, memory = build_whois(config, reads)
    from mirror.scheduler import Scheduler

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
