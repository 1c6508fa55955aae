"""`irr serve`: migrations, demo data on first start, then the HTTP server until Ctrl-C/SIGTERM."""
from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from werkzeug.serving import make_server

from irr.config import Config

log = logging.getLogger(__name__)
DEMO_FILE = Path(__file__).parent / "demo" / "demo.db"
DEMO_SOURCE = "DEMO"


def load_demo_if_empty(store) -> bool:
    """On the first start of an empty registry, load the bundled demo data (source DEMO)."""
    if store.sources():
        return False
    from mirror.importer import load_files

    report = load_files(store, DEMO_SOURCE, [DEMO_FILE], serial=1, workers=1)
    log.info("loaded demo data: %s objects in source %s", report.objects, DEMO_SOURCE)
    return True


def serve(config: Config, store, host: str, http_port: int, demo: bool = True) -> None:
    """Run until interrupted; stops cleanly (connections closed, embedded database stopped)."""
    store.upgrade()
    if demo and load_demo_if_empty(store):
        print(f"irr: loaded demo data into source {DEMO_SOURCE}", flush=True)
    from irr.web import create_app

    app = create_app(config, store)
    httpd = make_server(host, http_port, app, threaded=True)
    stop = threading.Event()

    def on_signal(signum, frame):  # SIGTERM behaves like Ctrl-C
        stop.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    print(f"irr: HTTP on http://{host}:{httpd.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        store.engine.dispose()
        print("irr: stopped", flush=True)
