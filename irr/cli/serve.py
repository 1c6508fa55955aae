"""`irr serve`: the whois and HTTP servers."""
from __future__ import annotations

import click

from irr.cli.context import Context, pass_obj
from irr.database import make_engine
from irr.server import serve as run
from irr.store import Store


@click.command()
@click.option("--host", help="Interface to listen on (default from configuration: 127.0.0.1).")
@click.option("--http-port", type=int, help="HTTP port (default from configuration: 8080).")
@click.option("--whois-port", type=int, help="Whois port (default from configuration: 4343; 43 in production).")
@click.option("--demo/--no-demo", default=True, help="Load the bundled demo data on first start.")
@click.option("--query-only", is_flag=True, help="A query front end: answer whois and HTTP queries from "
              "database.readonly_url (a streaming replica); no migrations or mirroring jobs here.")
@pass_obj
def serve(obj: Context, host: str | None, http_port: int | None, whois_port: int | None, demo: bool,
          query_only: bool) -> None:
    """Run the whois and HTTP servers (applies migrations first). Ctrl-C stops them."""
    read_store = None
    write_store = obj.store if (not query_only or obj.config.database_url) else None
    if query_only:
        if not obj.config.readonly_url:
            raise click.UsageError("--query-only needs database.readonly_url (or IRR_DATABASE_READONLY_URL)")
        read_store = Store(make_engine(obj.config.readonly_url))
    run(obj.config, write_store, host=host or obj.config.host,
        http_port=obj.config.http_port if http_port is None else http_port,
        whois_port=obj.config.whois_port if whois_port is None else whois_port, demo=demo and not query_only,
        read_store=read_store)
