"""Objects reach rpsl_objects two ways: the bulk load COPYs lines made by irr.store.copy_line (in
mirror.importer's workers), single writes bind irr.store.row as parameters. Every object of a generated
dump, quirks included, must end up as the same row either way."""
from __future__ import annotations

import re

import sqlalchemy as sa

from irr.store import COPY_COLUMNS, Change
from mirror.importer import load_files
from rpsl.lenient import load
from rpsl.reader import iter_paragraphs
from tests.conftest import cloned_store, generate_dump


def rows(store) -> list[tuple]:
    columns = ", ".join(COPY_COLUMNS)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM rpsl_objects ORDER BY object_class, pk"))]


def test_bulk_and_single_writes_store_the_same_rows(store, pg_server_url, template_db, tmp_path):
    # quirks on a tenth of the objects: tabs, '+' and comment lines, upper-case names, asdot
    dump = generate_dump(tmp_path / "apnic.db", 4000, 6, "--oddity-rate", "0.1")
    assert load_files(store, "APNIC", [dump], serial=1).objects == 4000          # copy_line, via COPY
    bulk = rows(store)
    with cloned_store(pg_server_url, template_db) as single:
        objects = [load(p.text, p.line) for p in iter_paragraphs(dump) if not p.text.startswith("#")]
        assert len(objects) == 4000 and all(o.error is None for o in objects)
        for i in range(0, len(objects), 1000):                                    # row, via INSERT
            single.apply([Change("APNIC", "ADD", o) for o in objects[i:i + 1000]], origin="test")
        one_by_one = rows(single)
    assert len(bulk) == len(one_by_one) == 4000
    differ = [(a, b) for a, b in zip(bulk, one_by_one) if a != b]
    assert not differ, f"{len(differ)} rows differ, e.g. {differ[:2]}"
    # the quirks really were in the dump: continuation and comment lines, upper-case names, asdot
    raw = dump.read_text()
    assert "\n\t" in raw and "\n+" in raw and "\n# " in raw and re.search(r"\n[A-Z][A-Za-z-]*:", raw)
    assert any(r[1] in ("as-set", "aut-num") and " AS2." in r[3] for r in bulk)
