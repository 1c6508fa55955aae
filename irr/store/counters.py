"""Counters every process adds to (web workers, one `irr submit` per e-mail, `irr serve`), kept in
PostgreSQL so /metrics shows them all, whichever process is scraped, and across restarts."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.engine import Engine

_ADD = sa.text("INSERT INTO submission_counts (channel, outcome, count) VALUES (:channel, :outcome, :n) "
               "ON CONFLICT (channel, outcome) DO UPDATE SET count = submission_counts.count + EXCLUDED.count")


def add_submissions(engine: Engine, counts: Counter) -> None:
    """Add objects submitted, keyed by (channel, outcome), in one short transaction."""
    rows = [{"channel": channel, "outcome": outcome, "n": n} for (channel, outcome), n in sorted(counts.items()) if n]
    if rows:
        with engine.begin() as conn:
            conn.execute(_ADD, rows)


def submission_counts(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        return {(c, o): n for c, o, n in conn.execute(sa.text(
            "SELECT channel, outcome, count FROM submission_counts ORDER BY channel, outcome"))}
