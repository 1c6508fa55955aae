"""The data set the bgpq4 vectors (tests/data/bgpq4) were captured against: three sets and fifteen routes,
stated once for every test that serves it."""
from __future__ import annotations

SETS = """
as-set: AS-TEST
members: AS10, AS-SUB
mnt-by: MAINT-TEST
source: TEST

as-set: AS-SUB
members: AS20
mnt-by: MAINT-TEST
source: TEST

route-set: RS-TEST
members: 192.0.2.0/24^+, 198.51.100.0/24^25-26, AS10
mnt-by: MAINT-TEST
source: TEST
"""
ROUTES = [("10.0.0.0/24", "AS10"), ("10.0.1.0/24", "AS10"), ("10.0.2.0/24", "AS10"), ("10.0.3.0/24", "AS10"),
          ("172.16.0.0/16", "AS20"), ("172.16.0.0/17", "AS20"), ("172.16.128.0/17", "AS20"), ("203.0.113.0/24", "AS20"),
          ("192.31.196.0/24", "AS112"), ("192.175.48.0/24", "AS112"), ("2001:db8::/32", "AS10"),
          ("2001:db8::/33", "AS10"), ("2001:db8:8000::/33", "AS10"), ("2001:4:112::/48", "AS112"),
          ("2620:4f:8000::/48", "AS112")]
OBJECTS = 3 + len(ROUTES)


def route_texts(routes, source: str = "TEST") -> str:
    """route/route6 objects for (prefix, origin) pairs, each paragraph preceded by a blank line."""
    return "".join(f"\n{'route6' if ':' in p else 'route'}: {p}\norigin: {a}\nmnt-by: MAINT-TEST\nsource: {source}\n"
                   for p, a in routes)


def dataset_text() -> str:
    return SETS + route_texts(ROUTES)
