"""The object store against a real PostgreSQL: the single write path, journal serials, the bulk swap."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from irr.store import Change, Store, StoreError, copy_line
from rpsl.lenient import load

ROUTE = """route:          192.0.2.0/24
descr:          test
origin:         AS64500
mnt-by:         MAINT-TEST
member-of:      AS64500:RS-TEST
last-modified:  2026-01-01T00:00:00Z
source:         VNNIC"""

ROUTE6 = """route6:         2001:DB8::/32
origin:         as64501
mnt-by:         MAINT-TEST, MAINT-OTHER
source:         VNNIC"""

INETNUM = """inetnum:        192.0.2.0-192.0.2.127
netname:        TEST-NET
admin-c:        AB1-AP
mnt-by:         MAINT-TEST
source:         VNNIC"""


def loaded(text: str):
    obj = load(text)
    assert obj.error is None, obj.error
    return obj


def test_apply_writes_object_index_and_journal(store: Store):
    serials = store.apply([Change("VNNIC", "ADD", loaded(ROUTE)), Change("VNNIC", "ADD", loaded(ROUTE6)),
                           Change("VNNIC", "ADD", loaded(INETNUM))], origin="test")
    assert serials == [1, 2, 3]
    row = store.get("VNNIC", "route", "192.0.2.0/24AS64500")
    assert row is not None
    assert str(row.prefix) == "192.0.2.0/24" and row.origin == 64500 and row.prefix_length == 24
    assert "mnt-by=MAINT-TEST" in row.lookup_keys and "member-of=AS64500:RS-TEST" in row.lookup_keys
    assert row.last_modified.year == 2026
    r6 = store.get("VNNIC", "route6", "2001:DB8::/32AS64501")
    assert str(r6.prefix) == "2001:db8::/32" and r6.origin == 64501
    assert {"mnt-by=MAINT-TEST", "mnt-by=MAINT-OTHER"} <= set(r6.lookup_keys)
    inet = store.get("VNNIC", "inetnum", "192.0.2.0 - 192.0.2.127")
    assert str(inet.ip_first) == "192.0.2.0" and str(inet.ip_last) == "192.0.2.127"
    assert str(inet.prefix) == "192.0.2.0/25"
    journal = store.journal("VNNIC")
    assert [(j.serial, j.operation, j.object_class) for j in journal] == [
        (1, "ADD", "route"), (2, "ADD", "route6"), (3, "ADD", "inetnum")]
    assert journal[0].object_text == ROUTE + "\n"
    status = {s.name: s for s in store.sources()}["VNNIC"]
    assert status.serial_newest == 3 and status.serial_oldest == 1


def test_modify_and_delete_journal_and_serials(store: Store):
    store.apply([Change("VNNIC", "ADD", loaded(ROUTE))], origin="test")
    changed = ROUTE.replace("descr:          test", "descr:          changed")
    assert store.apply([Change("VNNIC", "ADD", loaded(changed))], origin="test") == [2]
    assert "changed" in store.get("VNNIC", "route", "192.0.2.0/24AS64500").object_text
    assert store.apply([Change("VNNIC", "DEL", loaded(changed))], origin="test") == [3]
    assert store.get("VNNIC", "route", "192.0.2.0/24AS64500") is None
    ops = [(j.serial, j.operation) for j in store.journal("VNNIC")]
    assert ops == [(1, "ADD"), (2, "ADD"), (3, "DEL")]
    # a DEL journals the text of the object as it was deleted
    assert "changed" in store.journal("VNNIC", 3)[0].object_text


def test_failed_transaction_changes_nothing_and_loses_no_serial(store: Store):
    store.apply([Change("VNNIC", "ADD", loaded(ROUTE))], origin="test")
    with pytest.raises(StoreError, match="does not exist"):
        store.apply([Change("VNNIC", "ADD", loaded(ROUTE6)), Change("VNNIC", "DEL", loaded(INETNUM))],
                    origin="test")
    assert store.get("VNNIC", "route6", "2001:DB8::/32AS64501") is None
    assert [j.serial for j in store.journal("VNNIC")] == [1]
    # the next write takes the next serial: none lost, none reused
    assert store.apply([Change("VNNIC", "ADD", loaded(ROUTE6))], origin="test") == [2]


def test_serials_are_per_source(store: Store):
    store.apply([Change("VNNIC", "ADD", loaded(ROUTE))], origin="test")
    other = loaded(ROUTE.replace("VNNIC", "TEST"))
    assert store.apply([Change("TEST", "ADD", other)], origin="test") == [1]
    assert store.apply([Change("VNNIC", "ADD", loaded(ROUTE6))], origin="test") == [2]


def test_concurrent_writers_get_distinct_gapless_serials(store: Store):
    import threading

    texts = [ROUTE.replace("192.0.2.0/24", f"10.{i}.0.0/16") for i in range(40)]
    errors = []

    def write(t):
        try:
            store.apply([Change("VNNIC", "ADD", loaded(t))], origin="test")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [j.serial for j in store.journal("VNNIC")] == list(range(1, 41))


def test_replace_source_swaps_all_or_nothing(store: Store):
    store.apply([Change("APNIC", "ADD", loaded(ROUTE.replace("VNNIC", "APNIC")))], origin="test")
    rows = [copy_line("APNIC", loaded(t.replace("VNNIC", "APNIC"))) for t in (ROUTE6, INETNUM)]
    result = store.replace_source("APNIC", iter(rows), serial=500)
    assert result.objects == 2
    assert store.get("APNIC", "route", "192.0.2.0/24AS64500") is None
    assert store.get("APNIC", "route6", "2001:DB8::/32AS64501") is not None
    assert {s.name: s.serial_newest for s in store.sources()}["APNIC"] == 500

    def broken():
        yield rows[0]
        raise RuntimeError("reader failed half-way")

    with pytest.raises(RuntimeError):
        store.replace_source("APNIC", broken(), serial=600)
    assert store.get("APNIC", "route6", "2001:DB8::/32AS64501") is not None
    assert store.get("APNIC", "inetnum", "192.0.2.0 - 192.0.2.127") is not None
    assert {s.name: s.serial_newest for s in store.sources()}["APNIC"] == 500
    with store.engine.connect() as conn:
        tables = conn.execute(sa.text("SELECT relname FROM pg_class WHERE relname LIKE 'rpsl_objects_apnic%' "
                                      "AND relkind IN ('r', 'p')")).scalars().all()
    assert tables == ["rpsl_objects_apnic"]


def test_replace_source_keeps_last_duplicate(store: Store):
    first = copy_line("APNIC", loaded(ROUTE.replace("VNNIC", "APNIC")))
    second = copy_line("APNIC", loaded(ROUTE.replace("VNNIC", "APNIC").replace("descr:          test",
                                                                               "descr:          second")))
    result = store.replace_source("APNIC", iter([first, second]), serial=1)
    assert result.objects == 1 and result.duplicates == [("route", "192.0.2.0/24AS64500")]
    assert "second" in store.get("APNIC", "route", "192.0.2.0/24AS64500").object_text


def test_replace_refuses_to_reuse_journal_serials(store: Store):
    for i in range(3):
        store.apply([Change("VNNIC", "ADD", loaded(ROUTE.replace("192.0.2.0/24", f"10.{i}.0.0/16")))],
                    origin="test")
    with pytest.raises(StoreError, match="never reused"):
        store.replace_source("VNNIC", iter([]), serial=2)
    assert store.get("VNNIC", "route", "10.0.0.0/16AS64500") is not None


def test_bad_source_names_are_refused(store: Store):
    with pytest.raises(StoreError, match="invalid source name"):
        store.replace_source("apnic; DROP TABLE x", iter([]))


def head_revisions() -> set[str]:
    """Every head: migrations written side by side (each on 0006) are all applied."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from tests.conftest import REPO

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(REPO / "migrations"))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def test_upgrade_is_idempotent(store: Store):
    store.upgrade()
    store.upgrade()
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()) == head_revisions()


def test_migration_0006_collapses_blanks_in_stored_name_keys(store: Store):
    """Rows indexed before 0006 kept a name's double spaces; the migration collapses them in place."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from irr.store.lookups import Lookups
    from tests.conftest import REPO

    person = "person: Tran  Thi\tBinh\nnic-hdl: TTB9-VN\ne-mail: b@example.vn\nsource: VNNIC\n"
    store.apply([Change("VNNIC", "ADD", loaded(person))], origin="test")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(REPO / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        conn.execute(sa.text("UPDATE rpsl_objects SET lookup_keys = :keys WHERE pk = 'TTB9-VN'"),
                     {"keys": ["person=TRAN  THI\tBINH", "e-mail=B@EXAMPLE.VN"]})
    assert Lookups(store.engine).contacts_by_name(["VNNIC"], "Tran Thi Binh") == []
    store.upgrade()
    with store.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT lookup_keys FROM rpsl_objects WHERE pk = 'TTB9-VN'")).scalar()
    assert keys == ["person=TRAN THI BINH", "e-mail=B@EXAMPLE.VN"]
    assert [o.pk for o in Lookups(store.engine).contacts_by_name(["VNNIC"], "tran  thi binh")] == ["TTB9-VN"]
