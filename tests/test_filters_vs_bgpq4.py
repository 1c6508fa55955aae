"""Our filter exports against Debian's bgpq4 1.9 run on our own whois server, on a generated
100k-object registry: for every as-set (700), the same bytes for -4, -6, -A and two more formats."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from irr.filters.generate import generate
from irr.query.memory import RoutingMemory
from irr.query.sets import View
from mirror.importer import load_files
from tests.conftest import cloned_store, generate_dump
from tests.whois_helpers import config_for, running_whois

VARIANTS = [["-4"], ["-6"], ["-4", "-A"], ["-J", "-A"], ["-b"]]


@pytest.fixture(scope="module")
def registry(pg_server_url, template_db, tmp_path_factory):
    with cloned_store(pg_server_url, template_db) as store:
        tmp = tmp_path_factory.mktemp("exports")
        dump = generate_dump(tmp / "apnic-100k.db", 100_000, 3)
        load_files(store, "APNIC", [dump], serial=1)
        with running_whois(config_for(tmp, ("APNIC",)), store) as server:
            memory = RoutingMemory(store)
            memory.load_all()
            names = sorted(pk for pk, d in memory.snapshots["APNIC"].sets.items() if d.object_class == "as-set")
            yield server, View([memory.snapshots["APNIC"]]), names


def test_every_as_set_matches_bgpq4(registry):
    assert shutil.which("bgpq4"), "bgpq4 is installed by ./run.sh test"
    server, view, names = registry
    sample = names  # every as-set of the dump: 700 sets x 5 variants, about 10 s
    assert len(sample) >= 200
    mismatches = []
    for name in sample:
        for variant in VARIANTS:
            args = [*variant, "-l", "EX", name]
            theirs = subprocess.run(["bgpq4", "-h", f"127.0.0.1:{server.port}", *args], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, timeout=120)
            ours, rc = generate(view, args)
            if ours.encode() != theirs.stdout or rc != theirs.returncode:
                mismatches.append((name, variant))
    assert not mismatches, f"{len(mismatches)} of {len(sample) * len(VARIANTS)} differ, e.g. {mismatches[:5]}"
