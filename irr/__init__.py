"""The registry: store, queries, updates, filters, mirrors' jobs and the application."""
from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def version() -> str:
    """This package's version, read once (whois answers print it; reading the installed metadata
    costs a directory scan): "0" when run from a checkout that is not installed."""
    try:
        return metadata.version("irr-vn")
    except metadata.PackageNotFoundError:
        return "0"
