"""The README's configuration examples load through the real configuration loader and mean what
the README says they mean."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from irr.config import load_config
from tests.conftest import REPO

BLOCKS = re.findall(r"```toml\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_configuration_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("block", BLOCKS, ids=[b.split("\n", 1)[0][:40] for b in BLOCKS])
def test_every_readme_example_loads(block, tmp_path):
    path = tmp_path / "irr.toml"
    path.write_text(block, encoding="utf-8")
    load_config(path, environ={})  # raises ConfigError naming the setting when an example is wrong


def test_the_configuration_section_example_means_what_it_says(tmp_path):
    [block] = [b for b in BLOCKS if "[whois]" in b]
    path = tmp_path / "irr.toml"
    path.write_text(block, encoding="utf-8")
    config = load_config(path, environ={})
    assert config.data_dir == Path("/var/lib/irr")
    assert config.source_order == ("VNNIC", "APNIC")
    assert config.sources["VNNIC"].authoritative and not config.sources["APNIC"].authoritative
    assert config.database_url == "postgresql+psycopg://irr@db.example.vn/irr"
    assert (config.host, config.http_port, config.whois_port) == ("127.0.0.1", 8080, 4343)
    assert config.whois["max_objects"] == 10000 and config.whois["max_set_depth"] == 50
    assert (config.smtp_host, config.smtp_port, config.mail_from) == ("127.0.0.1", 25, "irr@localhost")
    assert config.override_hash.startswith("$2b$12$")
    # data_dir: --data-dir, then IRR_DATA_DIR, then the file
    assert load_config(path, environ={"IRR_DATA_DIR": "/srv/irr"}).data_dir == Path("/srv/irr")
    assert load_config(path, "/opt/irr", environ={"IRR_DATA_DIR": "/srv/irr"}).data_dir == Path("/opt/irr")
