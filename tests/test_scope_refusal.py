"""The NIR's scope guards all five classes of resource objects: an authoritative inetnum,
inet6num, route, route6 or aut-num outside the NIR's delegated resources is refused even when
authorised (here by the staff override), with the reason, and nothing is written; the same class
inside the scope is accepted."""
from __future__ import annotations

import pytest
from passlib.hash import bcrypt

from irr.config import Config
from irr.rpki.scope import load_scope
from irr.store.lookups import Lookups
from irr.updates.pipeline import Pipeline
from irr.updates.service import keyring_for
from irr.updates.submission import from_texts
from tests.test_scope import DELEGATED
from tests.update_helpers import registry_config, setup_registry

CONTACTS = "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\n"
TAIL = "mnt-by:         MAINT-MEMBER\nsource:         VNNIC\n"


def inetnum(range_: str) -> str:
    return (f"inetnum:        {range_}\nnetname:        CUSTOMER-NET\ndescr:          Customer\ncountry:        VN\n"
            f"{CONTACTS}status:         ASSIGNED NON-PORTABLE\nmnt-irt:        IRT-MEMBER-VN\n{TAIL}")


def inet6num(prefix: str) -> str:
    return (f"inet6num:       {prefix}\nnetname:        CUSTOMER-V6\ndescr:          Customer\ncountry:        VN\n"
            f"{CONTACTS}status:         ASSIGNED NON-PORTABLE\nmnt-irt:        IRT-MEMBER-VN\n{TAIL}")


def route(prefix: str, cls: str = "route") -> str:
    return f"{cls + ':':<16}{prefix}\ndescr:          Customer route\norigin:         AS64500\n{TAIL}"


def aut_num(asn: str) -> str:
    return (f"aut-num:        {asn}\nas-name:        CUSTOMER\ndescr:          Customer\ncountry:        VN\n"
            f"org:            ORG-MEM1-VN\n{CONTACTS}mnt-irt:        IRT-MEMBER-VN\n{TAIL}")


# (class, key of the object, text outside the scope, what the refusal names, text inside the scope).
# The scope (tests/test_scope.py DELEGATED, country VN): AS64496-AS64511, 203.0.113.0/24,
# 198.51.100.0/25, 2001:db8::/32.
CASES = [
    ("inetnum", "192.0.2.0 - 192.0.2.255", inetnum("192.0.2.0 - 192.0.2.255"), "192.0.2.0 - 192.0.2.255",
     inetnum("203.0.113.0 - 203.0.113.127")),
    ("inet6num", "2001:DB9::/32", inet6num("2001:db9::/32"), "2001:db9::/32", inet6num("2001:db8:1::/48")),
    ("route", "192.0.2.0/24AS64500", route("192.0.2.0/24"), "192.0.2.0/24", route("203.0.113.0/24")),
    ("route6", "2001:DB9::/48AS64500", route("2001:db9::/48", "route6"), "2001:db9::/48",
     route("2001:db8:1::/48", "route6")),
    ("aut-num", "AS64512", aut_num("AS64512"), "AS64512", aut_num("AS64502")),
]


@pytest.fixture
def pipeline(store, tmp_path):
    setup_registry(store)
    stats = tmp_path / "delegated-apnic-extended-latest"
    stats.write_text(DELEGATED)
    base = registry_config(tmp_path, override_hash=bcrypt.using(rounds=4).hash("staff-override"))
    config = Config(**{**base.__dict__, "scope_country": "VN", "scope_delegated_url": f"file://{stats}"})
    assert "ranges" in load_scope(config, store)
    return Pipeline(config, store, Lookups(store.engine), keyring_for(config))


@pytest.mark.parametrize("cls,pk,outside,named,inside", CASES, ids=[c[0] for c in CASES])
def test_out_of_scope_objects_are_refused(pipeline, cls, pk, outside, named, inside):
    store = pipeline.store
    journal = [(e.serial, e.pk) for e in store.journal("VNNIC")]
    req = pipeline.process(from_texts([("override: staff-override\n\n" + outside, frozenset())]), "t").requests[0]
    assert not req.ok and req.object_class == cls and req.pk == pk
    assert any(f"{named} is outside the resources this registry holds" in e for e in req.errors), req.errors
    assert store.get("VNNIC", cls, pk) is None
    assert [(e.serial, e.pk) for e in store.journal("VNNIC")] == journal
    # inside the scope, the same class with the same credentials is accepted
    accepted = pipeline.process(from_texts([("override: staff-override\n\n" + inside, frozenset())]), "t").requests[0]
    assert accepted.ok, accepted.errors
    assert len(store.journal("VNNIC")) == len(journal) + 1
