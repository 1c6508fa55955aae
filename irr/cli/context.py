"""What the registry's commands share: the configuration and the database, made from the global
options (irr.cli.Options) when a command first needs them."""
from __future__ import annotations

import functools
from collections.abc import Callable

import click

from irr.config import Config, ConfigError, load_config
from irr.database import engine_for
from irr.demo import with_demo
from irr.store import Store


class Context:
    """The configuration and (lazily) the database."""

    def __init__(self, config: Config):
        self.config = config
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(engine_for(self.config))
        return self._store


def _context(ctx: click.Context) -> Context:
    root = ctx.find_root()
    made = root.meta.get("irr.context")
    if made is None:
        options = root.obj
        try:
            config = load_config(options.config_path, options.data_dir)
        except ConfigError as e:
            raise click.ClickException(str(e)) from None
        made = root.meta["irr.context"] = Context(with_demo(config))  # no configuration: the Quick start demo
    return made


def pass_obj(command: Callable) -> Callable:
    """click.pass_obj for the registry's commands: the Context as first argument."""

    @click.pass_context
    def run(ctx: click.Context, /, *args, **kwargs):
        return ctx.invoke(command, _context(ctx), *args, **kwargs)

    return functools.update_wrapper(run, command)


def run_job(obj: Context, job: str, load: Callable[[], str], errors: tuple[type[Exception], ...],
            refused: str) -> None:
    """A load command run by hand (`irr rpki load`, `irr scope load`, `irr bgp load`): the
    database migrated, then `load()`; its message or its error (`refused: <error>`) recorded as
    the job's last run, as the scheduler records it, and printed."""
    obj.store.upgrade()
    try:
        message = load()
    except errors as e:
        obj.store.record_job(job, error=str(e))
        raise click.ClickException(f"{refused}: {e}") from None
    obj.store.record_job(job, status=message)
    click.echo(message)
