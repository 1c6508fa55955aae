"""One serial range everywhere (issue 15): after mirroring, `!j` said 0-N while `-q sources` said
first-N. The first serial is the first one the journal holds, the same in `!j`, `!J`, `-q
sources`, the status page and `irr status`."""
from __future__ import annotations

import json
import re

from irr.config import Config, SourceConfig
from irr.store import Change
from irr.web import create_app
from mirror.importer import load_files
from mirror.nrtm3 import Nrtm3Client, parse_stream
from rpsl.lenient import load
from tests.conftest import REAL, run_irr
from tests.whois_helpers import running_whois


def test_every_view_shows_the_first_serial_the_journal_holds(store, db_url, tmp_path):
    """A TEST mirror loaded from a dump at serial 11012600, then IRRd's NRTMv3 sample stream
    (its range ends at 11012703) and one more change of our own (11012704)."""
    dump = tmp_path / "test.db"
    dump.write_text("inetnum: 192.0.2.0 - 192.0.2.255\nnetname: X\nsource: TEST\n\n"
                    "mntner: MAINT-TEST\nsource: TEST\n")
    load_files(store, "TEST", [dump], serial=11012600, mirror=True)
    assert store.sources()[0].serial_range == "0-11012600"  # a dump only: no journal yet (IRRd's 0-N)
    Nrtm3Client(store, SourceConfig("TEST")).apply(
        parse_stream((REAL / "nrtm" / "irrd-nrtm-v3-serial-gap.nrtm").read_text(), "TEST"))
    store.apply([Change("TEST", "ADD", load("route: 192.0.2.0/24\norigin: AS65537\nsource: TEST"))],
                origin="test")
    journal = [e.serial for e in store.journal("TEST")]
    first, newest = journal[0], store.serial("TEST")
    assert first > 11012600 and newest == 11012704
    expected = f"{first}-{newest}"

    config = Config(data_dir=tmp_path, sources={"TEST": SourceConfig("TEST")}, source_order=("TEST",))
    with running_whois(config, store) as whois:
        j = whois.query("!jTEST").decode()
        big_j = whois.query("!JTEST").decode()
        q = whois.query("-q sources").decode()
    assert f"TEST:Y:{expected}\n" in j
    status = json.loads(big_j.split("\n", 1)[1].rsplit("\nC", 1)[0])["TEST"]
    assert (status["serial_oldest_journal"], status["serial_newest_journal"]) == (first, newest)
    assert f"TEST:3:N:{expected}\n" in q

    page = create_app(config, store).test_client().get("/").get_data(as_text=True)
    assert re.search(rf">\s*{expected}\s*<", page), page

    out = run_irr("status", env={"IRR_DATABASE_URL": db_url}).stdout
    assert re.search(rf"^TEST\s+\S+\s+{expected}\s", out, re.MULTILINE), out


def test_j_lists_unknown_sources_last_as_irrd_does(store, tmp_path):
    store.apply([], origin="test", serial_newest={"TEST": 100})
    config = Config(data_dir=tmp_path, sources={"TEST": SourceConfig("TEST")}, source_order=("TEST",))
    with running_whois(config, store) as whois:
        assert whois.query("!jNOPE,TEST") == b"A37\nTEST:Y:0-100\nNOPE:X:Database unknown\nC\n"

