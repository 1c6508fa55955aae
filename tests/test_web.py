"""The web app: status page in both languages, translation catalogue complete and compiled."""
from __future__ import annotations

import io
import subprocess
import sys

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from irr.config import load_config
from irr.store import Change
from irr.web import create_app
from rpsl.lenient import load
from tests.conftest import REPO

PO = REPO / "irr" / "web" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def test_catalogue_is_complete_and_compiled(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F",
                    str(REPO / "irr" / "web" / "babel.cfg"), "-o", str(pot), str(REPO / "irr" / "web")],
                   check=True, cwd=REPO)
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with open(PO, "rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    assert wanted - translated == set(), "untranslated strings in messages.po"
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    with open(PO.with_suffix(".mo"), "rb") as f:
        shipped = read_mo(f)
    assert {m.id: m.string for m in shipped if m.id} == {m.id: m.string for m in catalog if m.id}, \
        "messages.mo is stale: run pybabel compile -d irr/web/translations"


def test_status_page_lists_sources_and_counts(store, tmp_path):
    text = "route: 192.0.2.0/24\norigin: AS64500\nmnt-by: M\nsource: VNNIC\n"
    store.apply([Change("VNNIC", "ADD", load(text))], origin="test")
    config_file = tmp_path / "irr.toml"
    config_file.write_text("[sources.VNNIC]\nauthoritative = true\n")
    app = create_app(load_config(config_file, tmp_path), store)
    client = app.test_client()
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<th scope=\"row\">VNNIC</th>" in page and "authoritative" in page
    vi = client.get("/?lang=vi").get_data(as_text=True)
    assert "quản lý trực tiếp" in vi and "Số đối tượng theo lớp" in vi
    # the choice is remembered
    again = client.get("/").get_data(as_text=True)
    assert "Số đối tượng theo lớp" in again
