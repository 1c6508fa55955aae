"""The BGP table: real MRT RIB pieces (tests/data/bgp, see PROVENANCE.md) parsed with mrtparse and
checked against Debian's bgpdump; bgpdump -m and pfx2as text; loads are all or nothing."""
from __future__ import annotations

import gzip
import shutil
import subprocess

import pytest

from irr.bgp import BgpTableError, load_bgp, read_table
from irr.bgp.tables import _read_text
from irr.store.reports import ReportStore
from tests.conftest import REPO, run_irr

DATA = REPO / "tests" / "data" / "bgp"
RV4 = DATA / "routeviews2-rib.20140523.0600.first400.mrt.gz"
RV6 = DATA / "routeviews6-rib.20151101.0600.first150.mrt.gz"
RIS = DATA / "ris-bview.20140112.1600.3samples.mrt.bz2"


def test_real_routeviews_rib():
    table = read_table(RV4)
    assert table.format == "MRT" and f"{table.dumped_at:%Y-%m-%d %H:%M}" == "2014-05-23 06:00"
    assert len(table.routes) == 401 and table.prefixes == 399 and table.skipped == 0
    assert table.routes[("1.0.0.0/24", 15169)] == 32            # Google's 1.0.0.0/24 as 32 peers saw it
    assert ("0.0.0.0/0", 16637) not in table.routes              # a peer's default route is not an announcement
    six = read_table(RV6)
    assert six.prefixes == 150 and six.routes[("2001:200::/32", 2500)] == 27


def test_real_ris_bview_skips_the_collectors_own_route():
    table = read_table(RIS)
    assert table.routes == {("1.0.0.0/24", 15169): 1, ("1.0.20.0/23", 2519): 1}
    assert table.skipped == 1 and "empty AS_PATH" in table.examples[0]


@pytest.mark.parametrize("path", [RV4, RV6])
def test_mrtparse_and_debian_bgpdump_agree(path, tmp_path):
    assert shutil.which("bgpdump"), "Debian's bgpdump is installed by ./run.sh test"
    text = subprocess.run(["bgpdump", "-m", str(path)], capture_output=True, text=True, check=True).stdout
    (tmp_path / "table.txt").write_text(text)
    ours, theirs = read_table(path), read_table(tmp_path / "table.txt")
    assert theirs.format == "bgpdump"
    assert ours.routes == theirs.routes


def test_pfx2as_and_prefix_origin_text(tmp_path):
    table = _read_text(iter(["# comment", "1.0.0.0\t24\t13335", "1.0.4.0\t22\t56203_38803", "1.0.8.0\t21\t1,2",
                             "1.0.16.0\t24\tbogus", "10.0.0.1\t24\t1"]))
    assert table.format == "pfx2as"
    assert table.routes == {("1.0.0.0/24", 13335): None, ("1.0.4.0/22", 56203): None, ("1.0.4.0/22", 38803): None}
    assert table.skipped == 3 and any("AS set" in e for e in table.examples)
    other = _read_text(iter(["192.0.2.0/24 AS64500", "2001:db8::/32,64501"]))
    assert other.format == "prefix-origin" and set(other.routes) == {("192.0.2.0/24", 64500), ("2001:db8::/32", 64501)}


def test_not_a_table_is_refused_and_the_old_one_stays(store, tmp_path):
    reports = ReportStore(store.engine)
    load_bgp(reports, RV4)
    junk = tmp_path / "junk.gz"
    junk.write_bytes(gzip.compress(b"<html>not found</html>\n"))
    with pytest.raises(BgpTableError):
        load_bgp(reports, junk)
    binary = tmp_path / "garbage.bin"
    binary.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(BgpTableError):
        load_bgp(reports, binary)
    assert reports.bgp_table().routes == 401 and reports.bgp_table().location == str(RV4)


def test_irr_bgp_load_command(db_url, tmp_path):
    env = {"IRR_DATABASE_URL": db_url, "IRR_DATA_DIR": str(tmp_path)}
    out = run_irr("bgp", "load", f"file://{RV6}", env=env)
    assert "153 routes (150 prefixes) from a MRT table, dumped 2015-11-01 06:00 UTC" in out.stdout
    bad = run_irr("bgp", "load", str(tmp_path / "missing.mrt"), env=env, check=False)
    assert bad.returncode != 0 and "nothing changed" in bad.stderr
    status = run_irr("status", env=env)
    assert "bgp job" in status.stdout
