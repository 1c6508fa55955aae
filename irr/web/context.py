"""What the web requests share, made once per app: the store, read queries, routing memory and
the update pipeline."""
from __future__ import annotations

from flask import current_app

from irr.database import engine_for
from irr.query.memory import RoutingMemory
from irr.store import Store
from irr.store.lookups import Lookups
from irr.updates.service import build_pipeline


def get_store():
    """The store of the running app (made lazily for WSGI servers)."""
    store = current_app.extensions.get("irr_store")
    if store is None:
        store = current_app.extensions["irr_store"] = Store(engine_for(current_app.config["IRR_CONFIG"]))
    return store


def get_lookups():
    """Read queries for the web pages (a small row limit: people read these results)."""
    lookups = current_app.extensions.get("irr_lookups")
    if lookups is None:
        lookups = current_app.extensions["irr_lookups"] = Lookups(get_store().engine, max_rows=500)
    return lookups


def get_memory():
    """The routing data in memory: the whois server's when `irr serve` runs, else loaded here."""
    memory = current_app.extensions.get("irr_memory")
    if memory is None:
        memory = RoutingMemory(get_store())
        memory.load_all()
        memory.start_listener(get_store().engine.url.render_as_string(hide_password=False))
        current_app.extensions["irr_memory"] = memory
    return memory


def get_pipeline():
    pipeline = current_app.extensions.get("irr_pipeline")
    if pipeline is None:
        # a query front end reads a replica; submissions go to the primary (the write store)
        store = current_app.extensions.get("irr_write_store") or get_store()
        pipeline = current_app.extensions["irr_pipeline"] = build_pipeline(current_app.config["IRR_CONFIG"], store)
    return pipeline
