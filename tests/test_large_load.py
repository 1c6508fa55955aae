"""The 1M-object generated dump (default oddities, including asdot AS numbers IRRd rejects) loads
completely and is queryable. Timing is measured by bench/load.py, not here."""
from __future__ import annotations

import sqlalchemy as sa

from irr.database import make_engine
from tests.conftest import generate_dump, run_irr
from tests.test_load import summary_counts


def test_million_object_dump_loads_completely(db_url, tmp_path):
    dump = tmp_path / "apnic-1m.db"
    gen = generate_dump(dump, 1_000_000, 1)
    assert gen.exists()
    out = run_irr("load", "--source", "APNIC", "--serial", "1000", "--workers", "2", str(dump),
                  env={"IRR_DATABASE_URL": db_url}, timeout=900)
    assert "1000000 objects loaded" in out.stdout, out.stdout
    assert "skipped" not in out.stdout, out.stdout
    counts = summary_counts(out.stdout)
    assert counts["inetnum"] == 450000 and counts["route"] == 150000 and counts["route6"] == 60000
    engine = make_engine(db_url)
    with engine.connect() as conn:
        # queryable through the indexes right after the load
        plan = "\n".join(conn.execute(sa.text(
            "EXPLAIN SELECT pk FROM rpsl_objects WHERE prefix >>= '103.0.0.1'::inet")).scalars())
        assert "Index" in plan, plan
        route = conn.execute(sa.text("SELECT prefix FROM rpsl_objects WHERE object_class = 'route' "
                                     "ORDER BY pk LIMIT 1")).scalar()
        within = conn.execute(sa.text("SELECT count(*) FROM rpsl_objects WHERE object_class = 'route' "
                                      "AND prefix <<= set_masklen(CAST(:p AS cidr), 8)"), {"p": route}).scalar()
        assert within >= 1
        # the route lies inside a member's allocation: some inetnum covers its first address
        inetnums = conn.execute(sa.text(
            "SELECT count(*) FROM rpsl_objects WHERE object_class = 'inetnum' AND prefix >>= CAST(:p AS cidr) "
            "AND ip_first <= host(CAST(:p AS cidr))::inet AND ip_last >= host(CAST(:p AS cidr))::inet"),
            {"p": route}).scalar()
        assert inetnums >= 1
        by_origin = conn.execute(sa.text("SELECT count(*) FROM rpsl_objects WHERE origin IS NOT NULL")).scalar()
        assert by_origin == 210000
        asdot = conn.execute(sa.text("SELECT count(*) FROM rpsl_objects WHERE object_text ~ 'AS[0-9]+\\.[0-9]+'"
                                     " AND object_class IN ('as-set', 'aut-num')")).scalar()
        assert asdot > 0, "the dump's asdot oddities were loaded too"
    engine.dispose()
