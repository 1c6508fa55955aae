"""The web app for browser tests: the update_helpers registry behind the real app, served by
werkzeug in a thread on 127.0.0.1, notifications captured at the Notifier's send function."""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from irr.config import Config
from irr.store import Store
from tests.conftest import REPO

SCREENSHOTS = Path(os.environ.get("TEST_ARTIFACTS_DIR") or REPO / "test-artifacts") / "screenshots"  # CI keeps it
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
OVERRIDE = "staff-override"


class Sent:
    """Notifications as the Notifier hands them to its send function."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], str, str]] = []

    def __call__(self, to, subject, body) -> None:
        self.mails.append((list(to), subject, body))

    def to(self, address: str) -> list[str]:
        return [body for rcpt, _, body in self.mails if address in rcpt]


@dataclass
class Site:
    url: str
    store: Store
    config: Config
    sent: Sent
    app: object
    pipeline: object


def registry_pipeline(store: Store, tmp_path: Path, **config_changes):
    """A pipeline over a fresh update_helpers registry, with captured notifications."""
    import dataclasses

    from passlib.hash import bcrypt

    from irr.store.lookups import Lookups
    from irr.updates.notify import Notifier
    from irr.updates.pipeline import Pipeline
    from irr.updates.service import keyring_for
    from tests.update_helpers import registry_config, setup_registry

    setup_registry(store)
    config = registry_config(tmp_path, override_hash=bcrypt.using(rounds=4).hash(OVERRIDE))
    config = dataclasses.replace(config, **config_changes)
    sent = Sent()
    pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config), Notifier(config, sent))
    return config, sent, pipeline


@contextlib.contextmanager
def serve(store: Store, tmp_path: Path, **config_changes) -> Iterator[Site]:
    """The real app (same pipeline as e-mail and the API) on a free port."""
    from irr.query.memory import RoutingMemory
    from irr.web import create_app

    config, sent, pipeline = registry_pipeline(store, tmp_path, **config_changes)
    memory = RoutingMemory(store)
    memory.load_all()
    app = create_app(config, store, memory)
    app.extensions["irr_pipeline"] = pipeline
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="web-test", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", store, config, sent, app, pipeline)
    finally:
        server.shutdown()
        thread.join(5)
