"""The README's examples work: its configuration examples load through the real configuration
loader and mean what the README says; its HTTP filter examples answer on the demo data."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from irr.config import load_config
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```toml\n(.*?)```", README, re.S)
FILTER_URLS = re.findall(r"`GET (/v1/filters/[^`]+)`", README)


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


def test_the_readme_filter_examples_answer_on_the_demo_data(store, tmp_path):
    """`?format=juniper&af=6&aggregate=1` answered 422 (Juniper prefix-lists can't aggregate)."""
    from irr.config import Config
    from irr.demo import start as demo_start
    from irr.query.memory import RoutingMemory
    from irr.web import create_app

    assert "irr: loaded demo data into source DEMO" in demo_start(Config(data_dir=tmp_path), store, "http://x")
    memory = RoutingMemory(store)
    memory.load_all()
    client = create_app(Config(data_dir=tmp_path), store, memory).test_client()
    assert len(FILTER_URLS) >= 3
    for url in FILTER_URLS:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
    prefix_set = client.get(FILTER_URLS[0])
    assert FILTER_URLS[0].startswith("/v1/filters/prefix-set/AS64500:AS-CUSTOMERS")
    assert "2001:db8" in prefix_set.text.lower() and "route-filter" in prefix_set.text and prefix_set.headers["ETag"]
