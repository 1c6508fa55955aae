"""Loading a BGP table into the store, all or nothing (`irr bgp load`, and the `bgp` job of
`irr serve`)."""
from __future__ import annotations

import time
from pathlib import Path

from irr.bgp.tables import read_table
from irr.store.reports import ReportStore


def load_bgp(store: ReportStore, path: str | Path, location: str | None = None) -> str:
    """Read the table at `path` (any supported format) and replace the stored one; returns a
    status line. Raises BgpTableError (nothing changed) when the file is not a routing table."""
    t0 = time.monotonic()
    table = read_table(path)
    store.replace_bgp(table.routes, location or str(path), table.format, table.dumped_at, table.skipped)
    return f"BGP table loaded: {table.summary()} ({time.monotonic() - t0:.1f} s)"
