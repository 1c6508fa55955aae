"""Debian's bgpq4 (1.9) and bgpq3 against our whois server, with the vectors' data set
(tests/bgpq4_dataset.py): bgpq4's output equals the captured vectors (tests/data/bgpq4) byte for byte."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import replace

import pytest

from mirror.importer import load_files
from tests import bgpq4_dataset
from tests.conftest import BGPQ4_VECTORS, DATA, cloned_store
from tests.whois_helpers import config_for, running_whois

VECTORS = BGPQ4_VECTORS
# bgpq4 1.16 output formats and -F placeholders bgpq4 1.9 doesn't have (tests/data/PROVENANCE.md).
ONLY_116 = {15, 16, 19, 20, 25, 26, 39, 40}



def vectors() -> list[tuple[int, list[str], bytes, int]]:
    out = []
    for path in sorted(VECTORS.glob("[0-9][0-9]__*.txt")):
        number = int(path.name[:2])
        if number in ONLY_116:
            continue
        raw = path.read_bytes()
        first, _, rest = raw.partition(b"\n")
        args = shlex.split(first.decode()[len("$ bgpq4 "):])
        m = re.search(rb"\[rc=(\d+)\]\n\[queries:", rest)
        assert m, path
        out.append((number, args, rest[:m.start()], int(m.group(1))))
    return out


@pytest.fixture(scope="module")
def vector_server(pg_server_url, template_db, tmp_path_factory):
    """One server for all vectors (a module-scoped database holding the data set)."""
    with cloned_store(pg_server_url, template_db) as store:
        tmp = tmp_path_factory.mktemp("bgpq4")
        (tmp / "vectors.db").write_text(bgpq4_dataset.dataset_text())
        assert load_files(store, "TEST", [tmp / "vectors.db"], serial=1).objects == bgpq4_dataset.OBJECTS
        # IRRd's layout for RIPE-style queries: test_whois_client pins IRRd's -t template (the vectors
        # themselves are checked on an APNIC-style server too, tests/test_ripe_apnic.py)
        with running_whois(replace(config_for(tmp, ("TEST",)), whois_style="irrd"), store) as server:
            yield server


def run_client(client: str, server, args: list[str]) -> tuple[bytes, int]:
    proc = subprocess.run([client, "-h", f"127.0.0.1:{server.port}", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    return proc.stdout, proc.returncode


@pytest.mark.parametrize("number,args,expected,rc", vectors(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_bgpq4_vector(vector_server, number, args, expected, rc):
    assert shutil.which("bgpq4"), "bgpq4 is installed by ./run.sh test"
    output, returncode = run_client("bgpq4", vector_server, args)
    assert output == expected, f"vector {number}: bgpq4 {' '.join(args)}"
    assert returncode == rc


def test_63_vectors_are_checked():
    assert len(vectors()) == 63


@pytest.mark.parametrize("args,vector", [(["-l", "EX", "AS-TEST"], 1), (["-A", "-l", "EX", "AS-TEST"], 2),
                                         (["-6", "-l", "EX", "AS-TEST"], 3), (["-J", "-l", "EX", "AS-TEST"], 5),
                                         (["-l", "EX", "RS-TEST"], 69), (["-l", "EX", "AS-NOPE"], 48)])
def test_bgpq3_gives_the_same_lists(vector_server, args, vector):
    """bgpq3 never uses !a: it walks !i…,1 and !g/!6 per AS; same prefix lists as bgpq4's vectors."""
    assert shutil.which("bgpq3"), "bgpq3 is installed by ./run.sh test"
    expected = next(v for v in vectors() if v[0] == vector)[2]
    output, returncode = run_client("bgpq3", vector_server, args)
    assert returncode == 0
    assert output == expected


def test_whois_client(vector_server):
    """Debian's whois client, RIPE-style, and IRRd-style through it."""
    port = str(vector_server.port)
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", port, "AS-TEST"], capture_output=True, text=True,
                         timeout=30).stdout
    assert "as-set:" in out and "AS-TEST" in out
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", port, "-i", "origin", "AS20"], capture_output=True,
                         text=True, timeout=30).stdout
    assert out.count("route:") == 4
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", port, "!iAS-TEST,1"], capture_output=True, text=True,
                         timeout=30).stdout
    assert out == "A10\nAS10 AS20\nC\n"
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", port, "-T", "route", "172.16.0.0/17"],
                         capture_output=True, text=True, timeout=30).stdout
    assert 0 < out.index("172.16.0.0/16") < out.index("172.16.0.0/17")  # IRRd: every less specific route
    out = subprocess.run(["whois", "-h", "127.0.0.1", "-p", port, "-t", "route6"], capture_output=True,
                         text=True, timeout=30).stdout
    assert "\nroute6:          [mandatory]  [single]    [primary/look-up key]" in out


def test_vector_files_and_their_provenance_are_here():
    assert len(list(VECTORS.glob("[0-9][0-9]__*.txt"))) == 71
    assert len(list((VECTORS / "upstream-reference-AS112").glob("*.txt"))) >= 40
    assert "bgp/bgpq4" in (DATA / "PROVENANCE.md").read_text()
