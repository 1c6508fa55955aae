"""RFC 6811 route origin validation is written twice: in Python (irr.rpki.rov, used when ROAs are
loaded and objects bulk-loaded) and in SQL (rov_state(), used for single writes and the reasons
given to submitters). On a generated registry and ROAs made from it (exact, longer max lengths,
wrong origins, covering less-specifics, AS0), both give every route the same state."""
from __future__ import annotations

import ipaddress
import random
from collections import Counter

import sqlalchemy as sa

from irr.config import Config
from irr.rpki.validate import load_roas
from mirror.importer import load_files
from tests.conftest import generate_dump


def roas_for(routes: list[tuple[str, int]], seed: int) -> str:
    """A CSV of ROAs (rpki-client's csv) that covers the routes in every way RFC 6811 tells apart."""
    rng = random.Random(seed)
    lines = ["ASN,IP Prefix,Max Length,Trust Anchor"]
    for prefix, origin in routes:
        network, length = prefix.split("/")
        length, bits = int(length), 128 if ":" in prefix else 32
        x = rng.random()
        if x < 0.25:        # the route itself: valid
            lines.append(f"AS{origin},{prefix},{min(bits, length + rng.choice((0, 0, 1, 8)))},apnic")
        elif x < 0.35:      # another origin: invalid (unless another ROA says otherwise)
            lines.append(f"AS{origin + 1},{prefix},{length},apnic")
        elif x < 0.45:      # a less-specific with the right origin but too short a max length: invalid
            shorter = max(8, length - rng.randint(1, 4))
            lines.append(f"AS{origin},{_cut(network, shorter, bits)}/{shorter},{shorter},apnic")
        elif x < 0.5:       # a less-specific allowing it: valid
            shorter = max(8, length - rng.randint(1, 4))
            lines.append(f"AS{origin},{_cut(network, shorter, bits)}/{shorter},{length},apnic")
        elif x < 0.53:      # AS0: never valid
            lines.append(f"AS0,{prefix},{bits},apnic")
    return "\n".join(lines) + "\n"


def _cut(network: str, length: int, bits: int) -> str:
    return str(ipaddress.ip_network(f"{network}/{length}", strict=False).network_address)


def test_python_and_sql_validation_agree(store, tmp_path):
    dump = generate_dump(tmp_path / "apnic.db", 60_000, 4)          # 9,000 routes and 3,600 route6
    load_files(store, "APNIC", [dump], serial=1)
    with store.engine.connect() as conn:
        routes = conn.execute(sa.text("SELECT prefix::text, origin FROM rpsl_objects "
                                      "WHERE object_class IN ('route', 'route6') ORDER BY pk")).all()
    assert len(routes) == 9000 + 3600
    config = Config(data_dir=tmp_path)
    load_roas(config, store, roas_for([(p, o) for p, o in routes], 4).encode())   # states set by irr.rpki.rov
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT pk, rpki_status, rov_state(prefix, origin) FROM rpsl_objects "
                                    "WHERE object_class IN ('route', 'route6')")).all()
    disagree = [(pk, python, sql) for pk, python, sql in rows if python != sql]
    assert not disagree, f"{len(disagree)} of {len(rows)} routes differ, e.g. {disagree[:5]}"
    states = Counter(python for _, python, _ in rows)
    assert set(states) == {"valid", "invalid", "not_found"} and min(states.values()) > 400, states
    # the single write path takes the SQL function's word: a route written now gets the same state
    sample = rows[::997]
    for pk, python, _ in sample:
        prefix, origin = pk.rsplit("AS", 1)
        state, _ = store.rov(prefix, int(origin))
        assert state == python, pk
