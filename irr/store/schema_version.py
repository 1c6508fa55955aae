"""Whether a database's schema is the one this code expects, read without changing anything (what
read-only commands such as `irr status` check instead of migrating; a replica can't migrate)."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def expected_heads() -> set[str]:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def schema_problem(engine: Engine) -> str | None:
    """None when the schema is current, else what is wrong (and what to run), without writing."""
    with engine.connect() as conn:
        if conn.execute(sa.select(sa.func.to_regclass("alembic_version"))).scalar() is None:
            return "the database has no registry schema yet: run `irr db upgrade` (or start `irr serve`)"
        applied = set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    expected = expected_heads()
    if applied != expected:
        return (f"the database schema is at {', '.join(sorted(applied)) or 'nothing'}, this version of irr "
                f"expects {', '.join(sorted(expected))}: run `irr db upgrade` on the primary")
    return None
