"""Read queries (irr.store.lookups) against a real PostgreSQL holding a small two-source registry:
VNNIC (written through the single write path, with a journal) and an APNIC mirror (bulk loaded)."""
from __future__ import annotations

import random
import re

import pytest

from irr.database import make_engine
from irr.store import Change, Store, copy_line
from irr.store.lookups import Lookups, LookupTimeout, Obj, address_key, canonical_key
from rpsl.errors import ValueSyntaxError
from rpsl.lenient import load
from tests.conftest import cloned_database

MD5_HASH = "$1$SaltSalt$DummyMd5HashValue00000"
BCRYPT_HASH = "$2b$12$abcdefghijklmnopqrstuuVQ9l2Gm0m5rD1p3dQy7Hq1hZbJbXl2S"

VNNIC = f"""
mntner:         MAINT-VNNIC
descr:          VNNIC hostmaster
admin-c:        NVA1-VN
upd-to:         hostmaster@vnnic.vn
auth:           MD5-PW {MD5_HASH}
auth:           BCRYPT-PW {BCRYPT_HASH}
auth:           PGPKEY-1A2B3C4D
mnt-by:         MAINT-VNNIC
referral-by:    APNIC-HM
source:         VNNIC

person:         Nguyen Van An
address:        18 Nguyen Du, Ha Noi
country:        VN
phone:          +84 24 3556 4944
e-mail:         an@vnnic.vn
nic-hdl:        NVA1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

role:           VNNIC Hostmaster
address:        18 Nguyen Du, Ha Noi
country:        VN
phone:          +84 24 3556 4944
e-mail:         hostmaster@vnnic.vn
admin-c:        NVA1-VN
tech-c:         NVA1-VN
nic-hdl:        VH1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

person:         Tran Thi Binh
address:        Ho Chi Minh City
country:        VN
phone:          +84 28 1234 5678
e-mail:         binh@example.vn
nic-hdl:        TTB2-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

inetnum:        203.113.128.0 - 203.113.191.255
netname:        VNNIC-VN
descr:          VNNIC allocation
country:        VN
admin-c:        NVA1-VN
tech-c:         VH1-VN
status:         ALLOCATED PORTABLE
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

inetnum:        203.113.128.0 - 203.113.131.255
netname:        CUSTOMER-NET
descr:          A customer of VNNIC
country:        VN
admin-c:        TTB2-VN
tech-c:         VH1-VN
status:         ASSIGNED PORTABLE
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

inetnum:        203.113.130.10 - 203.113.130.20
netname:        ODD-RANGE
descr:          a range that is not a prefix
country:        VN
admin-c:        TTB2-VN
tech-c:         TTB2-VN
status:         ASSIGNED NON-PORTABLE
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

inet6num:       2001:db8:1000::/36
netname:        VNNIC-V6
descr:          VNNIC IPv6 allocation
country:        VN
admin-c:        NVA1-VN
tech-c:         VH1-VN
status:         ALLOCATED PORTABLE
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

inet6num:       2001:db8:1000::/48
netname:        CUSTOMER-V6
descr:          a customer
country:        VN
admin-c:        TTB2-VN
tech-c:         VH1-VN
status:         ASSIGNED PORTABLE
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

route:          203.113.128.0/18
descr:          VNNIC aggregate
origin:         AS131072
member-of:      AS131072:RS-ROUTES
mnt-by:         MAINT-VNNIC
source:         VNNIC

route:          203.113.128.0/22
descr:          customer route
origin:         AS131072
mnt-by:         MAINT-VNNIC
source:         VNNIC

route:          203.113.128.0/22
descr:          customer route, second origin
origin:         AS131073
mnt-by:         MAINT-VNNIC
source:         VNNIC

route:          203.113.130.0/24
descr:          more specific
origin:         AS131073
mnt-by:         MAINT-VNNIC
source:         VNNIC

route6:         2001:db8:1000::/36
descr:          VNNIC IPv6 aggregate
origin:         AS131072
mnt-by:         MAINT-VNNIC
source:         VNNIC

route6:         2001:db8:1000::/48
descr:          customer IPv6
origin:         AS131073
mnt-by:         MAINT-VNNIC
source:         VNNIC

aut-num:        AS131072
as-name:        VNNIC-AS
descr:          VNNIC
country:        VN
member-of:      AS-VNIX
import:         from AS131073 accept AS131073
export:         to AS131073 announce ANY
org:            ORG-VNNIC-AP
admin-c:        NVA1-VN
tech-c:         VH1-VN
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

aut-num:        AS131073
as-name:        CUSTOMER-AS
descr:          a customer
country:        VN
org:            ORG-CUST-AP
admin-c:        TTB2-VN
tech-c:         TTB2-VN
mnt-by:         MAINT-VNNIC
mnt-irt:        IRT-VNNIC-VN
source:         VNNIC

as-block:       AS131072 - AS131135
descr:          VNNIC AS block
admin-c:        NVA1-VN
tech-c:         VH1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

as-set:         AS131072:AS-CUSTOMERS
descr:          customers of AS131072
members:        AS131073, AS-VNIX
admin-c:        NVA1-VN
tech-c:         VH1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

as-set:         AS-VNIX
descr:          Viet Nam internet exchange members
members:        AS131072
members:        AS131073
mbrs-by-ref:    MAINT-VNNIC
admin-c:        NVA1-VN
tech-c:         VH1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

route-set:      AS131072:RS-ROUTES
descr:          routes of AS131072
members:        203.113.128.0/18^+
mp-members:     2001:db8:1000::/36^48
admin-c:        NVA1-VN
tech-c:         VH1-VN
mnt-by:         MAINT-VNNIC
source:         VNNIC

domain:         128.113.203.in-addr.arpa
descr:          reverse zone
admin-c:        NVA1-VN
tech-c:         VH1-VN
zone-c:         TTB2-VN
nserver:        ns1.vnnic.vn
mnt-by:         MAINT-VNNIC
source:         VNNIC
"""

APNIC = f"""
mntner:         APNIC-HM
descr:          APNIC Hostmaster
admin-c:        AH1-AP
upd-to:         hm@apnic.net
auth:           MD5-PW {MD5_HASH}
mnt-by:         APNIC-HM
referral-by:    APNIC-HM
source:         APNIC

role:           APNIC Hostmaster
address:        Brisbane
country:        AU
phone:          +61 7 3858 3100
e-mail:         helpdesk@apnic.net
admin-c:        AH1-AP
tech-c:         AH1-AP
nic-hdl:        AH1-AP
mnt-by:         APNIC-HM
source:         APNIC

inetnum:        203.113.0.0 - 203.113.255.255
netname:        APNIC-BLOCK
descr:          APNIC block
country:        AP
admin-c:        AH1-AP
tech-c:         AH1-AP
status:         ALLOCATED PORTABLE
mnt-by:         APNIC-HM
mnt-irt:        IRT-APNIC-AP
source:         APNIC

inetnum:        203.113.128.0 - 203.113.191.255
netname:        VNNIC-VN
descr:          delegated to VNNIC
country:        VN
admin-c:        AH1-AP
tech-c:         AH1-AP
status:         ALLOCATED PORTABLE
mnt-by:         APNIC-HM
mnt-irt:        IRT-APNIC-AP
source:         APNIC

inet6num:       2001:db8::/32
netname:        APNIC-V6
descr:          APNIC IPv6 block
country:        AP
admin-c:        AH1-AP
tech-c:         AH1-AP
status:         ALLOCATED PORTABLE
mnt-by:         APNIC-HM
mnt-irt:        IRT-APNIC-AP
source:         APNIC

route:          203.113.0.0/16
descr:          APNIC test route
origin:         AS4608
mnt-by:         APNIC-HM
source:         APNIC

aut-num:        AS131072
as-name:        VNNIC-AS
descr:          APNIC's copy of the VNNIC aut-num
country:        VN
org:            ORG-VNNIC-AP
admin-c:        AH1-AP
tech-c:         AH1-AP
mnt-by:         APNIC-HM
mnt-irt:        IRT-APNIC-AP
source:         APNIC

as-block:       AS131072 - AS132095
descr:          APNIC ASN block
admin-c:        AH1-AP
tech-c:         AH1-AP
mnt-by:         APNIC-HM
source:         APNIC
"""

SOURCES = ["VNNIC", "APNIC"]
APNIC_SERIAL = 5000


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.strip().split("\n\n")]


def loaded(text: str):
    obj = load(text)
    assert obj.error is None, obj.error
    return obj


def load_registry(store: Store) -> None:
    """VNNIC through Store.apply (journal serials 1..n), APNIC as a bulk load with a serial."""
    store.apply([Change("VNNIC", "ADD", loaded(p)) for p in paragraphs(VNNIC)], origin="test")
    store.replace_source("APNIC", iter([copy_line("APNIC", loaded(p)) for p in paragraphs(APNIC)]),
                         serial=APNIC_SERIAL)


@pytest.fixture(scope="module")
def registry_url(pg_server_url, template_db) -> str:
    """One database per module, loaded once: these tests only read."""
    with cloned_database(pg_server_url, template_db) as url:
        engine = make_engine(url)
        load_registry(Store(engine))
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def registry(registry_url) -> Store:
    store = Store(make_engine(registry_url))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def lookups(registry) -> Lookups:
    return Lookups(registry.engine)


def keys_of(objs: list[Obj]) -> list[tuple[str, str, str]]:
    return [(o.source, o.object_class, o.pk) for o in objs]


# -- exact keys ---------------------------------------------------------------------------------
def test_by_key_orders_by_source_priority_then_class(lookups: Lookups):
    assert keys_of(lookups.by_key(SOURCES, "as131072")) == [
        ("VNNIC", "aut-num", "AS131072"), ("APNIC", "aut-num", "AS131072")]
    assert keys_of(lookups.by_key(["APNIC", "VNNIC"], "AS131072")) == [
        ("APNIC", "aut-num", "AS131072"), ("VNNIC", "aut-num", "AS131072")]
    assert keys_of(lookups.by_key(["VNNIC"], "AS131072")) == [("VNNIC", "aut-num", "AS131072")]
    assert lookups.by_key(SOURCES, "AS131072", classes=["as-set"]) == []
    assert keys_of(lookups.by_key(SOURCES, "vh1-vn")) == [("VNNIC", "role", "VH1-VN")]
    assert keys_of(lookups.by_key(SOURCES, "203.113.128.0/22AS131073")) == [
        ("VNNIC", "route", "203.113.128.0/22AS131073")]
    assert lookups.by_key(["NOSUCH"], "AS131072") == []


def test_by_keys_and_obj_values(lookups: Lookups):
    objs = lookups.by_keys(SOURCES, ["TTB2-VN", "nva1-vn", "AH1-AP"], classes=["person", "role"])
    assert keys_of(objs) == [("VNNIC", "person", "TTB2-VN"), ("VNNIC", "person", "NVA1-VN"),
                             ("APNIC", "role", "AH1-AP")]
    role = lookups.by_key(SOURCES, "VH1-VN")[0]
    assert role.values("admin-c") == ["NVA1-VN"] and role.values("role") == ["VNNIC HOSTMASTER"]


def test_canonical_key():
    assert canonical_key("route", "203.113.128.0/22 as131073") == "203.113.128.0/22AS131073"
    assert canonical_key("route", "203.113.128.0/22-AS131073") == "203.113.128.0/22AS131073"
    assert canonical_key("route6", "2001:DB8:1000::/48AS131073") == "2001:DB8:1000::/48AS131073"
    assert canonical_key("inetnum", "203.113.128.0-203.113.131.255") == "203.113.128.0 - 203.113.131.255"
    assert canonical_key("aut-num", "as2.0") == "AS131072"
    assert canonical_key("as-set", "as2.0:as-customers") == "AS131072:AS-CUSTOMERS"
    assert canonical_key("domain", "128.113.203.IN-ADDR.ARPA.") == "128.113.203.IN-ADDR.ARPA"
    assert canonical_key("aut-num", "junk") == "JUNK"


# -- inverse keys -------------------------------------------------------------------------------
def test_by_inverse_uses_lookup_keys_and_origin_column(lookups: Lookups):
    by_origin = lookups.by_inverse(SOURCES, "origin", "as131073")
    assert keys_of(by_origin) == [("VNNIC", "route", "203.113.128.0/22AS131073"),
                                  ("VNNIC", "route", "203.113.130.0/24AS131073"),
                                  ("VNNIC", "route6", "2001:DB8:1000::/48AS131073")]
    with pytest.raises(ValueSyntaxError):
        lookups.by_inverse(SOURCES, "origin", "AS-FOO")
    member_of = lookups.by_inverse(SOURCES, "member-of", "as2.0:rs-routes")  # asdot normalised
    assert keys_of(member_of) == [("VNNIC", "route", "203.113.128.0/18AS131072")]
    zone = lookups.by_inverse(SOURCES, "zone-c", "ttb2-vn")
    assert keys_of(zone) == [("VNNIC", "domain", "128.113.203.IN-ADDR.ARPA")]
    assert keys_of(lookups.by_inverse(SOURCES, "members", "AS-VNIX")) == [
        ("VNNIC", "as-set", "AS131072:AS-CUSTOMERS")]
    assert keys_of(lookups.by_inverse(SOURCES, "mp-members", "2001:db8:1000::/36")) == [
        ("VNNIC", "route-set", "AS131072:RS-ROUTES")]
    assert keys_of(lookups.by_inverse(SOURCES, "nserver", "NS1.VNNIC.VN.")) == [
        ("VNNIC", "domain", "128.113.203.IN-ADDR.ARPA")]
    # several attributes: any of them
    both = lookups.by_inverse(["VNNIC"], ["zone-c", "admin-c"], "TTB2-VN")
    assert ("VNNIC", "domain", "128.113.203.IN-ADDR.ARPA") in keys_of(both)
    assert ("VNNIC", "aut-num", "AS131073") in keys_of(both)


def test_by_inverse_mnt_by_sources_and_classes(lookups: Lookups):
    apnic = lookups.by_inverse(["APNIC"], "mnt-by", "apnic-hm")
    assert len(apnic) == len(paragraphs(APNIC)) and {o.source for o in apnic} == {"APNIC"}
    assert [o.object_class for o in apnic] == sorted(
        (o.object_class for o in apnic), key=["mntner", "role", "aut-num", "as-block", "route", "inetnum",
                                              "inet6num"].index)
    routes = lookups.by_inverse(SOURCES, "mnt-by", "MAINT-VNNIC", classes=["route"])
    assert [o.pk for o in routes] == ["203.113.128.0/18AS131072", "203.113.128.0/22AS131072",
                                      "203.113.128.0/22AS131073", "203.113.130.0/24AS131073"]


def test_password_hashes_are_never_indexed(lookups: Lookups):
    assert lookups.by_inverse(SOURCES, "auth", f"MD5-PW {MD5_HASH}") == []
    assert keys_of(lookups.by_inverse(SOURCES, "auth", "pgpkey-1a2b3c4d")) == [("VNNIC", "mntner", "MAINT-VNNIC")]


def test_contacts_by_name(lookups: Lookups):
    assert keys_of(lookups.contacts_by_name(SOURCES, "  nguyen   van AN ")) == [("VNNIC", "person", "NVA1-VN")]
    assert keys_of(lookups.contacts_by_name(SOURCES, "APNIC hostmaster")) == [("APNIC", "role", "AH1-AP")]
    assert lookups.contacts_by_name(SOURCES, "Nguyen Van") == []
    assert lookups.contacts_by_name(SOURCES, "") == []


# -- addresses ----------------------------------------------------------------------------------
def pks(objs: list[Obj]) -> list[str]:
    return [o.pk for o in objs]


def test_routes_modes(lookups: Lookups):
    v = ["VNNIC"]
    assert pks(lookups.routes(v, "203.113.128.0/22", "exact")) == [
        "203.113.128.0/22AS131072", "203.113.128.0/22AS131073"]
    # one level less: the /18 only (not the APNIC /16: another source, and not selected here)
    assert pks(lookups.routes(v, "203.113.128.0/22", "less-one")) == ["203.113.128.0/18AS131072"]
    assert pks(lookups.routes(SOURCES, "203.113.128.0/18", "less-one")) == ["203.113.0.0/16AS4608"]
    assert pks(lookups.routes(v, "203.113.130.0/24", "less")) == [
        "203.113.128.0/18AS131072", "203.113.128.0/22AS131072", "203.113.128.0/22AS131073",
        "203.113.130.0/24AS131073"]
    assert pks(lookups.routes(v, "203.113.128.0/18", "more")) == [
        "203.113.128.0/22AS131072", "203.113.128.0/22AS131073", "203.113.130.0/24AS131073"]
    assert lookups.routes(v, "203.113.130.0/24", "more") == []
    # an address is a host prefix
    assert pks(lookups.routes(v, "203.113.130.7", "less-one")) == ["203.113.130.0/24AS131073"]
    assert pks(lookups.routes(v, "2001:db8:1000::/48", "less")) == [
        "2001:DB8:1000::/36AS131072", "2001:DB8:1000::/48AS131073"]
    assert pks(lookups.routes(v, "2001:db8::/32", "more")) == [
        "2001:DB8:1000::/36AS131072", "2001:DB8:1000::/48AS131073"]
    with pytest.raises(ValueSyntaxError):
        lookups.routes(v, "203.113.128.1/22", "exact")  # host bits set
    with pytest.raises(ValueError):
        lookups.routes(v, "203.113.128.0/22", "sideways")


def test_addresses_inetnum_ranges(lookups: Lookups):
    v = ["VNNIC"]
    inet = ["inetnum"]
    # an inetnum is matched on its range, not on its covering prefix (ODD-RANGE's is /27)
    assert pks(lookups.addresses(v, "203.113.130.15", "most-specific", inet)) == ["203.113.130.10 - 203.113.130.20"]
    assert pks(lookups.addresses(v, "203.113.130.5", "most-specific", inet)) == ["203.113.128.0 - 203.113.131.255"]
    assert pks(lookups.addresses(v, "203.113.130.10 - 203.113.130.20", "exact", inet)) == [
        "203.113.130.10 - 203.113.130.20"]
    assert lookups.addresses(v, "203.113.130.0/27", "exact", inet) == []
    assert pks(lookups.addresses(v, "203.113.130.10-203.113.130.20", "less-one", inet)) == [
        "203.113.128.0 - 203.113.131.255"]
    assert pks(lookups.addresses(v, "203.113.130.12 - 203.113.130.13", "less", inet)) == [
        "203.113.128.0 - 203.113.191.255", "203.113.128.0 - 203.113.131.255", "203.113.130.10 - 203.113.130.20"]
    assert pks(lookups.addresses(v, "203.113.128.0/18", "more", inet)) == [
        "203.113.128.0 - 203.113.131.255", "203.113.130.10 - 203.113.130.20"]
    assert lookups.addresses(v, "198.51.100.1", "most-specific", inet) == []


def test_addresses_most_specific_per_class_and_all_sources(lookups: Lookups):
    found = lookups.addresses(SOURCES, "203.113.130.15", "most-specific", ["inetnum", "route"])
    assert keys_of(found) == [("VNNIC", "inetnum", "203.113.130.10 - 203.113.130.20"),
                              ("VNNIC", "route", "203.113.130.0/24AS131073")]
    # the APNIC copy of VNNIC's allocation is as specific as VNNIC's own: both are returned
    found = lookups.addresses(SOURCES, "203.113.160.1", "most-specific", ["inetnum", "route"])
    assert keys_of(found) == [("VNNIC", "inetnum", "203.113.128.0 - 203.113.191.255"),
                              ("VNNIC", "route", "203.113.128.0/18AS131072"),
                              ("APNIC", "inetnum", "203.113.128.0 - 203.113.191.255")]
    v6 = lookups.addresses(SOURCES, "2001:db8:1000::1", "most-specific", ["inet6num", "route6"])
    assert keys_of(v6) == [("VNNIC", "inet6num", "2001:DB8:1000::/48"),
                           ("VNNIC", "route6", "2001:DB8:1000::/48AS131073")]
    v6 = lookups.addresses(SOURCES, "2001:db8:ffff::/48", "most-specific", ["inet6num", "route6"])
    assert keys_of(v6) == [("APNIC", "inet6num", "2001:DB8::/32")]


def test_address_key_parsing():
    assert address_key("203.113.130.10 - 203.113.130.20").prefix == "203.113.130.0/27"
    assert address_key("2001:db8::1").prefix == "2001:db8::1/128"
    assert address_key("203.113.128.0/22").exact_prefix
    assert not address_key("203.113.130.10 - 203.113.130.20").exact_prefix
    for bad in ("203.113.130.300", "203.113.130.20 - 203.113.130.10", "2001:db8::/129", "junk", "1.2.3.0/8"):
        with pytest.raises(ValueSyntaxError):
            address_key(bad)


def test_as_block(lookups: Lookups):
    assert keys_of(lookups.as_block(SOURCES, 131100)) == [("VNNIC", "as-block", "AS131072 - AS131135"),
                                                          ("APNIC", "as-block", "AS131072 - AS132095")]
    assert keys_of(lookups.as_block(SOURCES, 131200)) == [("APNIC", "as-block", "AS131072 - AS132095")]
    assert keys_of(lookups.as_block(SOURCES, 131100, 131200)) == [("APNIC", "as-block", "AS131072 - AS132095")]
    assert lookups.as_block(SOURCES, 64500) == []


# -- limits -------------------------------------------------------------------------------------
def test_row_limit_truncates(registry: Store):
    small = Lookups(registry.engine, max_rows=2)
    found = small.by_inverse(["VNNIC"], "mnt-by", "MAINT-VNNIC")
    assert len(found) == 2 and found.truncated
    assert keys_of(found) == [("VNNIC", "mntner", "MAINT-VNNIC"), ("VNNIC", "person", "NVA1-VN")]
    exact = Lookups(registry.engine, max_rows=3).by_inverse(["VNNIC"], "mnt-by", "MAINT-VNNIC", ["inet6num"])
    assert len(exact) == 2 and not exact.truncated


def test_statement_timeout(registry: Store):
    slow = Lookups(registry.engine, statement_timeout_ms=50)
    # a statement that sleeps longer than the timeout stands in for a slow query
    from sqlalchemy import func, select
    with pytest.raises(LookupTimeout):
        slow._execute(select(func.pg_sleep(2)))
    # the timeout ends with the query's transaction: the pooled connection is not left with it
    with registry.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"


# -- index use ----------------------------------------------------------------------------------
class ExplainingLookups(Lookups):
    """Lookups that also record PostgreSQL's plan of every statement they run."""

    plans: list[str]

    def _execute(self, stmt):
        self.plans.append(self.explain(stmt))
        return super()._execute(stmt)


def test_queries_use_the_indexes(store: Store):
    """On a few thousand objects the planner picks the GiST, GIN and btree indexes."""
    rnd = random.Random(7)
    rows = []
    for i in range(3000):
        a, b = divmod(i, 250)
        rows.append(copy_line("APNIC", loaded(
            f"route: 10.{a}.{b}.0/24\norigin: AS{64500 + i % 300}\nmnt-by: MAINT-{i % 50}\nsource: APNIC")))
        rows.append(copy_line("APNIC", loaded(
            f"inetnum: 10.{a}.{b}.0 - 10.{a}.{b}.{rnd.randint(1, 255)}\nnetname: N{i}\nadmin-c: P{i % 97}-AP\n"
            f"mnt-by: MAINT-{i % 50}\nsource: APNIC")))
        rows.append(copy_line("APNIC", loaded(
            f"aut-num: AS{64500 + i}\nas-name: A{i}\nmnt-by: MAINT-1\nsource: APNIC")))
    rows.append(copy_line("APNIC", loaded("as-block: AS64500 - AS70000\nmnt-by: M\nsource: APNIC")))
    store.replace_source("APNIC", iter(rows), serial=1)
    lk = ExplainingLookups(store.engine)
    lk.plans = []
    assert len(lk.by_key(["APNIC"], "AS64600")) == 1
    assert len(lk.by_inverse(["APNIC"], "mnt-by", "MAINT-7")) == 120
    assert len(lk.by_inverse(["APNIC"], "origin", "AS64510")) == 10
    assert len(lk.addresses(["APNIC"], "10.3.7.1", "most-specific", ["inetnum", "route"])) == 2
    assert len(lk.routes(["APNIC"], "10.3.0.0/16", "more")) == 250
    assert len(lk.as_block(["APNIC"], 65000)) == 1
    key, inverse, origin, address, more, as_block = lk.plans
    assert re.search(r"Index (Only )?Scan using \w+_key", key), key
    assert "Bitmap Index Scan on" in inverse and "_lookup" in inverse, inverse
    assert re.search(r"Index Scan using \w+_origin|Bitmap Index Scan on \w+_origin", origin), origin
    assert re.search(r"(Index Scan using|Bitmap Index Scan on) \w+_prefix", address), address
    assert re.search(r"(Index Scan using|Bitmap Index Scan on) \w+_prefix", more), more
    assert re.search(r"(Index Scan using|Bitmap Index Scan on) \w+_asn", as_block), as_block
    assert "Seq Scan" not in "".join(lk.plans)
