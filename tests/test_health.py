"""As-set health reports over a real registry."""
from __future__ import annotations

from irr.filters.health import check
from irr.query.memory import RoutingMemory
from irr.query.sets import View
from mirror.importer import load_files

DATA = """
as-set: AS1:AS-ROOT
members: AS1, AS1:AS-A, AS1:AS-B, AS-GONE, AS2
mnt-by: M
source: VNNIC

as-set: AS1:AS-A
members: AS10, AS11, AS1:AS-DEEP
mnt-by: M
source: VNNIC

as-set: AS1:AS-DEEP
members: AS12, AS1:AS-ROOT
mnt-by: M
source: VNNIC

as-set: AS1:AS-B
members: AS20, AS-FOREIGN
mnt-by: M
source: VNNIC

route: 10.0.0.0/24
origin: AS10
mnt-by: M
source: VNNIC

route: 10.0.1.0/24
origin: AS10
mnt-by: M
source: VNNIC

route6: 2001:db8::/32
origin: AS20
mnt-by: M
source: VNNIC
"""
FOREIGN = """
as-set: AS-FOREIGN
members: AS30
mnt-by: M
source: APNIC

route: 192.0.2.0/24
origin: AS30
mnt-by: M
source: APNIC
"""


def test_health_report(store, tmp_path):
    (tmp_path / "v.db").write_text(DATA)
    (tmp_path / "a.db").write_text(FOREIGN)
    load_files(store, "VNNIC", [tmp_path / "v.db"], serial=1)
    load_files(store, "APNIC", [tmp_path / "a.db"], serial=1)
    memory = RoutingMemory(store)
    memory.load_all()
    view = View([memory.snapshots["VNNIC"], memory.snapshots["APNIC"]])
    report = check(view, "as1:as-root")
    assert report.exists and report.source == "VNNIC"
    assert report.depth == 2                       # ROOT -> A -> DEEP
    assert report.sets == 5                        # ROOT, A, DEEP, B, FOREIGN
    assert report.asns == 7                        # AS1 AS2 AS10 AS11 AS12 AS20 AS30
    assert report.cycles == [["AS1:AS-ROOT", "AS1:AS-A", "AS1:AS-DEEP", "AS1:AS-ROOT"]]
    assert report.missing == [("AS1:AS-ROOT", "AS-GONE")]
    assert report.other_sources == [("AS-FOREIGN", "APNIC")]
    assert (report.prefixes_v4, report.prefixes_v6) == (3, 1)
    top = report.contributors[0]
    assert top["member"] == "AS1:AS-A" and top["prefixes"] == 2 and top["asns"] == 3
    text = report.text()
    assert "AS1:AS-ROOT -> AS1:AS-A -> AS1:AS-DEEP -> AS1:AS-ROOT" in text and "AS-GONE (in AS1:AS-ROOT)" in text
    assert report.as_dict()["members_from_other_sources"] == [{"member": "AS-FOREIGN", "source": "APNIC"}]
    assert not check(view, "AS-NOPE").exists
