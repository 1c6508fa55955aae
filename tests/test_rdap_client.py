"""A real RDAP client against our server: the PyPI `rdap` package (20C's), its command line and its
library, pointed at /rdap/ by its configuration (`bootstrap_url`; `self_bootstrap` off, so every
query goes to that server). It looks up IPv4 and IPv6 prefixes, an AS number and entities of the
generated APNIC-like dump and the Vietnamese authoritative records, and finds the registrant, the
abuse e-mail and the parent network."""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdap import RdapClient
from rdap.context import RdapRequestContext

from rpsl.objects import parse
from rpsl.reader import iter_paragraphs
from tests.rdap_helpers import registered, serving

RDAP_CLI = Path(sys.executable).parent / "rdap"


@pytest.fixture(scope="module")
def registry(pg_server_url, template_db, tmp_path_factory):
    with registered(pg_server_url, template_db, tmp_path_factory.mktemp("rdap-client")) as reg:
        yield reg


@pytest.fixture(scope="module")
def server(registry, tmp_path_factory):
    with serving(registry, tmp_path_factory.mktemp("serve")) as s:
        yield s


@pytest.fixture(scope="module")
def home(server, tmp_path_factory) -> Path:
    """The client's configuration directory: our server instead of rdap.org's bootstrap."""
    path = tmp_path_factory.mktemp("rdap-home")
    (path / "config.yaml").write_text(f"rdap:\n  bootstrap_url: {server.base}/\n  self_bootstrap: false\n"
                                      "  timeout: 30\n  output_format: json\n")
    return path


@pytest.fixture(scope="module")
def dump(registry) -> dict[str, dict[str, object]]:
    """The dump's objects by class and key."""
    out: dict[str, dict[str, object]] = {}
    for p in iter_paragraphs(registry.dump):
        o = parse(p.text)
        out.setdefault(o.object_class, {})[o.pk] = o
    return out


def cli(home: Path, *args: str) -> dict:
    proc = subprocess.run([str(RDAP_CLI), "--home", str(home), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def abuse_emails(data: dict) -> set[str]:
    """The preferred (pref 1: abuse-mailbox) e-mail of each entity with the abuse role."""
    return {p[3] for e in data.get("entities", []) if "abuse" in e.get("roles", [])
            for p in e.get("vcardArray", ["vcard", []])[1] if p[0] == "email" and p[1].get("pref") == "1"}


def own_emails(data: dict) -> set[str]:
    """An entity's own e-mail addresses (the client's parsed() reads only related entities')."""
    return {p[3] for p in data["vcardArray"][1] if p[0] == "email"}


def expected_abuse(dump, obj) -> set[str]:
    """abuse-mailbox of the object's abuse-c and mnt-irt, read from the dump."""
    mails = set()
    for handle in obj.values("abuse-c"):
        mails.update(dump["role"][handle].values("abuse-mailbox"))
    for irt in obj.values("mnt-irt"):
        mails.update(dump["irt"][irt].values("abuse-mailbox"))
    return mails


def apnic_network(dump, cls: str):
    obj = next(o for o in dump[cls].values() if o.values("org") and o.values("abuse-c") and o.values("mnt-irt"))
    if cls == "inetnum":
        first, last = (ipaddress.ip_address(x.strip()) for x in obj.pk.split("-"))
        [prefix] = ipaddress.summarize_address_range(first, last)
    else:
        prefix = ipaddress.ip_network(obj.pk.lower())
    return obj, prefix


@pytest.mark.parametrize("cls", ["inetnum", "inet6num"])
def test_library_looks_up_apnic_prefixes(home, dump, cls):
    obj, prefix = apnic_network(dump, cls)
    client = RdapClient(config_dir=str(home))
    with RdapRequestContext(client=client):
        net = client.get_ip(str(prefix))
        assert net.data["handle"] in (obj.pk, str(prefix)) and net.name == obj.values("netname")[0]
        org = dump["organisation"][obj.values("org")[0]]
        assert net.parsed()["org_name"] == org.values("org-name")[0]  # the registrant
        assert abuse_emails(net.data) == expected_abuse(dump, obj)
        assert expected_abuse(dump, obj) <= set(net.parsed()["emails"])
        normalized = net.normalized  # the client's own schema accepts our answer
        assert normalized["prefix"] == str(prefix) and normalized["version"] == prefix.version
        up = next(link["href"] for link in net.data["links"] if link["rel"] == "rdap-up")
        parent = client.get_rdap(up)
        assert parent.data["objectClassName"] == "ip network"
        assert parent.data["handle"] == net.data["parentHandle"]
        assert ipaddress.ip_address(parent.data["startAddress"]) <= prefix.network_address
        assert prefix.broadcast_address <= ipaddress.ip_address(parent.data["endAddress"])


def test_library_looks_up_the_vietnamese_authoritative_network(home, registry):
    client = RdapClient(config_dir=str(home))
    with RdapRequestContext(client=client):
        net = client.get_ip(registry.vn_prefix)
        parsed = net.parsed()
        assert parsed["name"] == "HNTT-VN"
        assert parsed["org_name"] == "Công ty Cổ phần Hạ tầng Viễn thông Hà Nội"
        assert parsed["org_address"] == "Số 18 Nguyễn Chí Thanh, Quận Đống Đa, Hà Nội"
        assert abuse_emails(net.data) == {"lamdung@hntt.vn", "irt-lamdung@hntt.vn"}
        assert "hung.nguyen@hntt.vn" not in parsed["emails"]  # redacted, also where the client follows entities
        assert net.data["parentHandle"] == registry.vn_parent
        parent = client.get_rdap(next(x["href"] for x in net.data["links"] if x["rel"] == "rdap-up"))
        assert parent.data["handle"] == registry.vn_parent
        contacts = {c["name"]: c for c in net.normalized["contacts"]}
        assert "lamdung@hntt.vn" in {c.get("email") for c in contacts.values()}


def test_library_looks_up_an_asn_and_entities(home, dump):
    autnum = next(o for o in dump["aut-num"].values() if o.values("org") and o.values("abuse-c"))
    client = RdapClient(config_dir=str(home))
    with RdapRequestContext(client=client):
        asn = client.get_asn(autnum.pk[2:])
        assert asn.name == autnum.values("as-name")[0]
        assert asn.parsed()["org_name"] == dump["organisation"][autnum.values("org")[0]].values("org-name")[0]
        assert expected_abuse(dump, autnum) <= abuse_emails(asn.data)
        assert asn.normalized["asn"] == int(autnum.pk[2:])
        role = client.get_entity(autnum.values("abuse-c")[0])
        assert set(dump["role"][autnum.values("abuse-c")[0]].values("abuse-mailbox")) <= own_emails(role.data)
        assert role.normalized["name"] == autnum.values("abuse-c")[0]
        vn = client.get_entity("AHN1-VN")
        assert vn.data["vcardArray"][1][1][3] == "Nhóm Xử lý Lạm dụng HNTT"
        assert "lamdung@hntt.vn" in own_emails(vn.data)


def test_command_line(home, registry, dump):
    data = cli(home, f"{registry.vn_first}")
    assert data["handle"] == f"{registry.vn_first} - {registry.vn_last}" and data["parentHandle"] == registry.vn_parent
    parsed = cli(home, "--parse", f"{registry.vn_first}")
    assert parsed["org_name"] == "Công ty Cổ phần Hạ tầng Viễn thông Hà Nội"
    assert {"lamdung@hntt.vn", "irt-lamdung@hntt.vn"} <= set(parsed["emails"])
    _, prefix = apnic_network(dump, "inet6num")
    address = prefix.network_address + 1  # the command line asks for addresses
    containing = [ipaddress.ip_network(pk.lower()) for pk in dump["inet6num"]
                  if address in ipaddress.ip_network(pk.lower())]
    v6 = cli(home, str(address))
    assert v6["handle"] == str(max(containing, key=lambda n: n.prefixlen))  # the most specific one
    autnum = next(o for o in dump["aut-num"].values() if o.values("org"))
    asn = cli(home, autnum.pk)
    assert asn["handle"] == autnum.pk and asn["startAutnum"] == int(autnum.pk[2:])
    entity = cli(home, "ORG-HNTT1-VN")
    assert own_emails(entity) == {"lienhe@hntt.vn"} and entity["vcardArray"][1][1][3].startswith("Công ty")
