"""RDAP under /rdap/ of `irr serve`: every response type checked against RFC 9083's rules
(tests/rdap_rules.py), on a generated APNIC-like dump, real APNIC objects and Vietnamese
authoritative records."""
from __future__ import annotations

import ipaddress
import json
import urllib.parse
from pathlib import Path

import pytest

from irr.config import Config, ConfigError, RdapConfig, SourceConfig, load_config
from rpsl.objects import parse
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL
from tests.rdap_helpers import SECRET_BCRYPT, SECRET_MD5, get, registered, serving
from tests.rdap_rules import check, truncated

ANSWERS: list[bytes] = []  # every answer of this module, for the check that no hash ever leaves


@pytest.fixture(scope="module")
def registry(pg_server_url, template_db, tmp_path_factory):
    with registered(pg_server_url, template_db, tmp_path_factory.mktemp("rdap")) as reg:
        yield reg


@pytest.fixture(scope="module")
def server(registry, tmp_path_factory):
    with serving(registry, tmp_path_factory.mktemp("serve")) as s:
        yield s


def rdap(server, path: str, status: int = 200, accept: str = "application/rdap+json"):
    """GET <base>/<path>, check the status and every RFC 9083 rule; the JSON body."""
    answer = get(f"{server.base}/{path}", accept)
    ANSWERS.append(answer.raw)
    assert answer.status == status, (answer.status, answer.body)
    check(answer.body, answer.status, answer.headers)
    return answer.body


def dump_objects(path: Path, cls: str) -> list:
    return [o for o in (parse(p.text) for p in iter_paragraphs(path)) if o.object_class == cls]


def entities_by_role(body: dict, role: str) -> list[dict]:
    return [e for e in body.get("entities", []) if role in e.get("roles", [])]


def vcard(entity: dict, prop: str) -> list[str]:
    return [p[3] for p in entity.get("vcardArray", ["vcard", []])[1] if p[0] == prop]


def link(obj: dict, rel: str) -> str:
    return next(x["href"] for x in obj["links"] if x["rel"] == rel)


def test_ip_vietnamese_authoritative_network(server, registry):
    body = rdap(server, f"ip/{registry.vn_first}")
    assert body["handle"] == f"{registry.vn_first} - {registry.vn_last}"
    assert body["name"] == "HNTT-VN" and body["type"] == "ASSIGNED NON-PORTABLE" and body["country"] == "VN"
    assert body["status"] == ["active"]
    assert body["cidr0_cidrs"] == [{"v4prefix": registry.vn_first, "length": 24}]
    assert body["parentHandle"] == registry.vn_parent
    assert body["port43"] == "whois.vnnic.test"
    assert {"title": "description", "description": ["Công ty Cổ phần Hạ tầng Viễn thông Hà Nội",
                                                    "Mạng lõi tại Hà Nội và Đà Nẵng"]} in body["remarks"]
    assert {"title": "remarks", "description": ["Liên hệ lạm dụng: lamdung@hntt.vn"]} in body["remarks"]
    assert {"title": "Source", "description": ["Objects returned came from source", "VNNIC"]} in body["notices"]
    # registrant, contacts and abuse, as APNIC gives them
    [registrant] = entities_by_role(body, "registrant")
    assert registrant["handle"] == "ORG-HNTT1-VN"
    assert vcard(registrant, "fn") == ["Công ty Cổ phần Hạ tầng Viễn thông Hà Nội"] and vcard(registrant, "kind") == ["org"]
    [person] = entities_by_role(body, "administrative")
    assert person["handle"] == "NVH1-VN" and person["roles"] == ["administrative", "technical"]
    assert vcard(person, "fn") == ["Nguyễn Văn Hùng"] and vcard(person, "kind") == ["individual"]
    assert vcard(person, "email") == [] and vcard(person, "tel") == []  # redacted: [rdap] redact
    assert vcard(person, "adr") and person["vcardArray"][1][3][1]["label"].startswith("Số 18 Nguyễn Chí Thanh\n")
    abuse = {e["handle"]: e for e in entities_by_role(body, "abuse")}
    assert set(abuse) == {"AHN1-VN", "IRT-HNTT-VN"}
    assert "lamdung@hntt.vn" in vcard(abuse["AHN1-VN"], "email")
    assert "irt-lamdung@hntt.vn" in vcard(abuse["IRT-HNTT-VN"], "email")
    # journal events: registered when created, last changed by the later modification
    events = {e["eventAction"]: e["eventDate"] for e in body["events"]}
    assert events["registration"] < events["last changed"]
    # RFC 9537: what was removed, and where
    paths = {(r["name"]["description"], r["prePath"]) for r in body["redacted"]}
    assert ("person e-mail", "$.entities[?(@.handle=='NVH1-VN')].vcardArray[1][?(@[0]=='email' && !@[1].pref)]") \
        in paths
    assert ("person phone", "$.entities[?(@.handle=='NVH1-VN')].vcardArray[1][?(@[0]=='tel' && @[1].type=='voice')]") \
        in paths
    assert any(n["title"] == "Redacted" for n in body["notices"])
    assert any(n["title"] == "Terms of Service" for n in body["notices"])
    raw = ANSWERS[-1]
    assert "Hạ tầng Viễn thông".encode() in raw and b"\\u" not in raw  # UTF-8 as is, nothing escaped
    assert b"hung.nguyen@hntt.vn" not in raw and b"3772-0001" not in raw


def test_ip_prefix_answers_the_most_specific_network_with_links(server, registry):
    """A prefix inside the Vietnamese /24 gets the /24; the links lead to the parent and back."""
    body = rdap(server, f"ip/{registry.vn_first}/25")
    assert body["handle"] == f"{registry.vn_first} - {registry.vn_last}"
    assert link(body, "self").endswith(f"/rdap/ip/{registry.vn_first}/24")
    up = get(link(body, "rdap-up"))
    check(up.body, up.status, up.headers)
    assert up.body["objectClassName"] == "ip network" and up.body["handle"] == registry.vn_parent
    down = get(link(up.body, "rdap-down"))
    check(down.body, down.status, down.headers)
    children = {n["handle"]: n for n in down.body["ipSearchResults"]}
    assert f"{registry.vn_first} - {registry.vn_last}" in children
    assert all(n["parentHandle"] == registry.vn_parent for n in children.values())
    # the children are directly below: none of them inside another
    spans = [(ipaddress.ip_address(n["startAddress"]), ipaddress.ip_address(n["endAddress"])) for n in children.values()]
    assert not any(a != b and b[0] <= a[0] and a[1] <= b[1] for a in spans for b in spans)


def test_ip_apnic_prefixes_v4_and_v6(server, registry):
    for cls, version in (("inetnum", "v4"), ("inet6num", "v6")):
        networks = dump_objects(registry.dump, cls)

        def span(o, cls=cls):
            if cls == "inetnum":
                first, last = (ipaddress.ip_address(x.strip()) for x in o.pk.split("-"))
                return first, last
            net = ipaddress.ip_network(o.pk.lower())
            return net.network_address, net.broadcast_address

        def parent_of(o, networks=networks, span=span):
            """The smallest other network of the dump containing this one (None at the top)."""
            a0, b0 = span(o)
            containing = [(int(b) - int(a), other) for other in networks for a, b in [span(other)]
                          if a <= a0 and b0 <= b and (a, b) != (a0, b0)]
            return min(containing, key=lambda t: t[0])[1] if containing else None

        # a network with a registrant, an abuse contact and a network above it, and a CIDR range
        obj, parent = next((o, p) for o in networks if o.values("org") and o.values("abuse-c")
                           and len(list(ipaddress.summarize_address_range(*span(o)))) == 1
                           for p in [parent_of(o)] if p is not None)
        [prefix] = ipaddress.summarize_address_range(*span(obj))
        body = rdap(server, f"ip/{prefix}")
        assert body["ipVersion"] == version and body["name"] == obj.values("netname")[0]
        assert body["cidr0_cidrs"] == [{f"{version}prefix": str(prefix.network_address), "length": prefix.prefixlen}]
        [registrant] = entities_by_role(body, "registrant")
        assert registrant["handle"] == obj.values("org")[0]
        up = rdap(server, link(body, "rdap-up").split("/rdap/", 1)[1])
        assert up["name"] == parent.values("netname")[0]
        assert body["parentHandle"] == up["handle"]


def test_content_negotiation_cors_and_head(server, registry):
    rdap_json = get(f"{server.base}/ip/{registry.vn_first}")
    assert rdap_json.headers["Content-Type"] == "application/rdap+json"
    plain = get(f"{server.base}/ip/{registry.vn_first}", accept="application/json")
    assert plain.headers["Content-Type"] == "application/json" and plain.body["handle"] == rdap_json.body["handle"]
    browser = get(f"{server.base}/ip/{registry.vn_first}", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser.headers["Content-Type"] == "application/rdap+json"
    assert all(a.headers["Access-Control-Allow-Origin"] == "*" for a in (rdap_json, plain, browser))
    head = get(f"{server.base}/entity/NVH1-VN", method="HEAD")
    assert head.status == 200 and head.raw == b""
    assert get(f"{server.base}/entity/NOBODY-VN", method="HEAD").status == 404


def test_autnum_and_as_block(server, registry):
    autnum = next(o for o in dump_objects(registry.dump, "aut-num") if o.values("org") and o.values("abuse-c"))
    n = int(autnum.pk[2:])
    body = rdap(server, f"autnum/{n}")
    assert (body["handle"], body["startAutnum"], body["endAutnum"]) == (autnum.pk, n, n)
    assert body["name"] == autnum.values("as-name")[0] and body["status"] == ["active"]
    assert [e["handle"] for e in entities_by_role(body, "registrant")] == autnum.values("org")
    assert autnum.values("abuse-c")[0] in [e["handle"] for e in entities_by_role(body, "abuse")]
    assert rdap(server, f"autnum/AS{n}")["handle"] == autnum.pk
    # no aut-num: the innermost as-block of every source (real APNIC block, not TEST's AS1 - AS4294967295)
    blocks = [o for path in (registry.dump, REAL / "apnicnet-whois-grs-apnic.db", REAL / "apnicnet-whois-TEST.db")
              for o in dump_objects(path, "as-block")]
    autnums = {o.pk for o in dump_objects(registry.dump, "aut-num")}
    asn = 7500
    assert f"AS{asn}" not in autnums
    covering = []
    for b in blocks:
        lo, hi = (int(x.strip()[2:]) for x in b.pk.split("-"))
        if lo <= asn <= hi:
            covering.append((hi - lo, lo, hi))
    _, lo, hi = min(covering)
    body = rdap(server, f"autnum/{asn}")
    assert (body["startAutnum"], body["endAutnum"], body["type"]) == (lo, hi, "AS BLOCK")
    assert body["handle"] == f"AS{lo} - AS{hi}"
    # a mirrored object's last change: its last-modified, else its newest `changed:` date
    block = next(b for b in blocks if [int(x.strip()[2:]) for x in b.pk.split("-")] == [lo, hi])
    dates = sorted(v.split()[-1] for v in block.values("changed"))
    changed = block.values("last-modified")[0] if block.values("last-modified") else \
        f"{dates[-1][:4]}-{dates[-1][4:6]}-{dates[-1][6:]}T00:00:00Z"
    assert body["events"] == [{"eventAction": "last changed", "eventDate": changed}]


def test_status_of_space_held_but_not_handed_out(server):
    """The real test data's 10.0.0.0/8 is ALLOCATED UNSPECIFIED: inactive; allocations are active."""
    body = rdap(server, "ip/10.1.2.3")
    assert (body["handle"], body["type"], body["status"]) == ("10.0.0.0 - 10.255.255.255", "ALLOCATED UNSPECIFIED",
                                                              ["inactive"])


def test_entities_of_every_class(server, registry):
    person = rdap(server, "entity/NVH1-VN")
    assert person["handle"] == "NVH1-VN" and vcard(person, "fn") == ["Nguyễn Văn Hùng"]
    assert vcard(person, "email") == [] and "roles" not in person
    assert {r["prePath"] for r in person["redacted"]} == {
        "$.vcardArray[1][?(@[0]=='email' && !@[1].pref)]", "$.vcardArray[1][?(@[0]=='tel' && @[1].type=='voice')]"}
    role = rdap(server, "entity/AHN1-VN")
    assert vcard(role, "kind") == ["group"] and vcard(role, "email") == ["noc@hntt.vn", "lamdung@hntt.vn"]
    assert ["email", {"pref": "1"}, "text", "lamdung@hntt.vn"] in role["vcardArray"][1]
    assert [e["roles"] for e in role["entities"]] == [["administrative", "technical"]]
    org = rdap(server, "entity/ORG-HNTT1-VN")
    assert vcard(org, "kind") == ["org"] and [e["handle"] for e in entities_by_role(org, "abuse")] == ["AHN1-VN"]
    irt = rdap(server, "entity/IRT-HNTT-VN")
    assert vcard(irt, "email") == ["irt@hntt.vn", "irt-lamdung@hntt.vn"]
    mntner = rdap(server, "entity/maint-vn-hntt")  # handles are case-insensitive
    assert mntner["handle"] == "MAINT-VN-HNTT" and vcard(mntner, "fn") == ["MAINT-VN-HNTT"]
    assert mntner["remarks"] == [{"title": "description", "description": ["Bảo trì của Công ty Hạ tầng Viễn thông Hà Nội"]}]
    events = {e["eventAction"] for e in mntner["events"]}
    assert events == {"registration", "last changed"}  # from the journal
    real = rdap(server, "entity/AA1-TEST")  # a real APNIC whois test person (source TEST)
    assert vcard(real, "fn") == ["Test Person"]


def test_domain(server, registry):
    body = rdap(server, f"domain/{registry.vn_zone.upper()}.")
    assert body["ldhName"] == registry.vn_zone
    assert body["nameservers"] == [{"objectClassName": "nameserver", "ldhName": "ns1.hntt.vn"},
                                   {"objectClassName": "nameserver", "ldhName": "ns2.hntt.vn",
                                    "ipAddresses": {"v4": ["203.0.113.53"]}}]
    assert body["secureDNS"] == {"delegationSigned": True, "dsData": [
        {"keyTag": 12345, "algorithm": 8, "digestType": 2, "digest": "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE"}]}
    assert body["network"]["handle"] == f"{registry.vn_first} - {registry.vn_last}"
    assert [e["roles"] for e in body["entities"]] == [["administrative", "technical"]]
    assert rdap(server, "domain/example.com", 404)["description"] == [
        "This registry holds reverse DNS zones (in-addr.arpa, ip6.arpa) only."]


def test_searches(server, registry):
    fn = urllib.parse.quote("Nguyễn Văn*")
    found = rdap(server, f"entities?fn={fn}")["entitySearchResults"]
    assert "NVH1-VN" in [e["handle"] for e in found]
    assert all(vcard(e, "fn")[0].startswith("Nguyễn Văn") for e in found)
    exact = rdap(server, "entities?handle=nvh1-vn")["entitySearchResults"]
    assert [e["handle"] for e in exact] == ["NVH1-VN"]
    assert [e["handle"] for e in rdap(server, "entities?fn=IRT-HNTT*")["entitySearchResults"]] == ["IRT-HNTT-VN"]
    networks = rdap(server, "ips?name=HNTT-VN")["ipSearchResults"]
    assert [n["handle"] for n in networks] == [f"{registry.vn_first} - {registry.vn_last}"]
    handle = urllib.parse.quote(f"{registry.vn_first} - {registry.vn_last}")
    assert len(rdap(server, f"ips?handle={handle}")["ipSearchResults"]) == 1
    autnum = next(o for o in dump_objects(registry.dump, "aut-num"))
    name = autnum.values("as-name")[0]
    by_name = rdap(server, f"autnums?name={name[:5]}*")["autnumSearchResults"]
    assert autnum.pk in [a["handle"] for a in by_name]
    assert all(a["name"].upper().startswith(name[:5].upper()) for a in by_name)
    assert [a["handle"] for a in rdap(server, f"autnums?handle={autnum.pk.lower()}")["autnumSearchResults"]] == \
        [autnum.pk]
    zone = registry.vn_zone.rsplit(".", 3)[0]  # 128.164.14 of 128.164.14.in-addr.arpa
    domains = rdap(server, f"domains?name={zone}*")["domainSearchResults"]
    assert registry.vn_zone in [d["ldhName"] for d in domains]


def test_search_answers_are_bounded_with_a_truncated_notice(server, registry):
    orgs = dump_objects(registry.dump, "organisation")
    assert len(orgs) > 20, "the dump has more organisations than one answer holds"
    body = rdap(server, "entities?handle=ORG-*")
    assert len(body["entitySearchResults"]) == 20 and truncated(body)
    assert all(e["handle"].startswith("ORG-") for e in body["entitySearchResults"])
    assert [e["handle"] for e in body["entitySearchResults"]][0] == "ORG-HNTT1-VN"  # the authoritative source first
    few = rdap(server, "entities?handle=NVH1*")
    assert len(few["entitySearchResults"]) == 1 and not truncated(few)



def test_rdap_down_lists_the_networks_directly_below(server, registry):
    """The children of the Vietnamese allocation holding our /24, worked out from the dump by hand:
    the first 20 by address (and the notice when there are more)."""
    [top] = ipaddress.summarize_address_range(*(ipaddress.ip_address(x.strip()) for x in registry.vn_parent.split("-")))
    spans = {}
    for o in dump_objects(registry.dump, "inetnum"):
        a, b = (ipaddress.ip_address(x.strip()) for x in o.pk.split("-"))
        if top.network_address <= a and b <= top.broadcast_address and (a, b) != (top.network_address,
                                                                                  top.broadcast_address):
            spans[(a, b)] = o
    spans[(ipaddress.ip_address(registry.vn_first), ipaddress.ip_address(registry.vn_last))] = None
    direct = sorted(s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans))
    assert len(direct) >= 2
    body = rdap(server, f"ips/rirSearch1/rdap-down/{top}")
    shown = [(ipaddress.ip_address(n["startAddress"]), ipaddress.ip_address(n["endAddress"]))
             for n in body["ipSearchResults"]]
    assert shown == direct[:20] and truncated(body) == (len(direct) > 20)


def test_errors_are_rdap_error_objects(server):
    cases = [("ip/1.2.3.4/33", 400), ("ip/not-an-address", 400), ("autnum/AS-FOO", 400), ("autnum/4294967296", 400),
             ("frobnicate/1", 400), ("entities", 400), ("entities?fn=a&handle=b", 400), ("", 400),
             ("entity/NOBODY-VN", 404), ("autnum/0", 404), ("domain/9.9.9.9.in-addr.arpa", 404),
             ("entities?fn=*", 422), ("entities?fn=*abc", 422), ("entities?fn=ab*c*", 422), ("ips?name=AB*CD", 422),
             ("nameserver/ns1.hntt.vn", 501)]
    for path, status in cases:
        body = rdap(server, path, status)
        assert body["errorCode"] == status and body["description"], path
    post = get(f"{server.base}/ip/192.0.2.1", method="POST")
    assert post.status == 400 and post.body["errorCode"] == 400
    check(post.body, post.status, post.headers)


def test_help(server):
    body = rdap(server, "help")
    text = " ".join(body["notices"][-1]["description"])
    assert "ip/<address or prefix>" in text and "entities?handle= or ?fn=" in text
    assert body["rdapConformance"][0] == "rdap_level_0"


def test_no_password_hash_ever_leaves(server, registry):
    """mntner and irt entities (ours and the dump's, which carry real hashes) and searches."""
    mntners = [o for o in dump_objects(registry.dump, "mntner") if any("PW" in v for v in o.values("auth"))][:5]
    hashes = [v.split()[1] for o in mntners for v in o.values("auth") if "PW" in v]
    assert hashes
    for path in ["entity/MAINT-VN-HNTT", "entity/IRT-HNTT-VN", "entities?handle=MAINT*",
                 *(f"entity/{o.pk}" for o in mntners)]:
        rdap(server, path)
    everything = b"\n".join(ANSWERS)
    for secret in [SECRET_BCRYPT, SECRET_MD5, *hashes]:
        assert secret.encode() not in everything
    assert b"BCRYPT-PW" not in everything and b"MD5-PW" not in everything


def test_rate_limit_answers_429(registry, tmp_path):
    """Over `rate_limit` requests a minute from one address: 429 with Retry-After, as an RDAP error;
    other addresses are not affected (the real app, through Flask's test client)."""
    from irr.web import create_app

    config = Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", authoritative=True)},
                    source_order=("VNNIC", "APNIC"), rdap=RdapConfig(rate_limit=3))
    client = create_app(config, registry.store).test_client()
    one = {"REMOTE_ADDR": "198.51.100.7"}
    answers = [client.get("/rdap/entity/NVH1-VN", environ_base=one) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    body = json.loads(limited.data)
    check(body, 429, dict(limited.headers))
    assert 1 <= int(limited.headers["Retry-After"]) <= 61 and "Too many requests" in body["description"][0]
    other = client.get("/rdap/entity/NVH1-VN", environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert other.status_code == 200
    # IPv6 clients are counted per /64: another address of the same /64 is the same client
    for _ in range(3):
        assert client.get("/rdap/help", environ_base={"REMOTE_ADDR": "2001:db8:1:2::1"}).status_code == 200
    assert client.get("/rdap/help", environ_base={"REMOTE_ADDR": "2001:db8:1:2::99"}).status_code == 429


def test_rdap_configuration_is_checked(tmp_path):
    path = tmp_path / "irr.toml"
    path.write_text('[rdap]\nport43 = "whois.vnnic.vn"\nredact = ["person.e-mail", "role.phone"]\nmax_results = 50\n')
    config = load_config(path, data_dir=tmp_path)
    assert config.rdap == RdapConfig(port43="whois.vnnic.vn", redact=("person.e-mail", "role.phone"), max_results=50)
    for text, message in (('[rdap]\nredact = ["person.password"]\n', "'person.password' is not \"class.attribute\""),
                          ('[rdap]\nredact = ["inetnum.descr"]\n', "of an entity class"),
                          ("[rdap]\nmax_results = 0\n", "rdap.max_results must be a whole number of at least 1"),
                          ("[rdap]\nrate_limit = -1\n", "rdap.rate_limit must be a whole number of at least 0"),
                          ('[rdap]\nbase_url = "rdap.example"\n', "rdap.base_url must be an http"),
                          ("[rdap]\nport44 = 1\n", "unknown setting rdap.port44")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_config(path, data_dir=tmp_path)


def test_rules_checker_rejects_what_rfc_9083_forbids(server, registry):
    """The checker the tests above rely on fails on broken answers (else they would prove nothing)."""
    import copy

    good = rdap(server, f"ip/{registry.vn_first}")
    breakages = {
        "no rdapConformance": lambda b: b.pop("rdapConformance"),
        "link without href": lambda b: b["links"][0].pop("href"),
        "notice without description": lambda b: b["notices"][0].pop("description"),
        "unregistered event": lambda b: b["events"][0].update(eventAction="created"),
        "date without zone": lambda b: b["events"][0].update(eventDate="2024-01-01 10:00:00"),
        "unregistered status": lambda b: b.update(status=["allocated"]),
        "unregistered role": lambda b: b["entities"][0].update(roles=["owner"]),
        "jCard without version": lambda b: b["entities"][0]["vcardArray"][1].pop(0),
        "cidr0 not covering the range": lambda b: b["cidr0_cidrs"][0].update(length=25),
        "unknown member": lambda b: b.update(netname="X"),
        "wrong class": lambda b: b.update(objectClassName="network"),
        "addresses reversed": lambda b: b.update(startAddress=b["endAddress"], endAddress=b["startAddress"]),
        "redaction without path": lambda b: b["redacted"][0].pop("prePath"),
    }
    for name, breakage in breakages.items():
        body = copy.deepcopy(good)
        breakage(body)
        with pytest.raises(AssertionError):
            check(body)
            pytest.fail(name)
    with pytest.raises(AssertionError):
        check({"rdapConformance": ["rdap_level_0"], "errorCode": 404, "title": "Not Found", "description": ["x"]}, 400)
    with pytest.raises(AssertionError):
        check(good, 200, {"Content-Type": "text/html"})


def test_scans_are_bounded_and_handle_prefixes_use_the_key_index(registry, tmp_path):
    """rdap-down and wildcard name searches read every object of a range or class: at most two run
    at once (then 503 with Retry-After); handle prefixes are ranges on the key index (same answers
    as the plain LIKE a database with another collation gets)."""
    from irr.rdap.service import SCANS
    from irr.store.registration import PK, RegistrationLookups
    from irr.web import create_app

    config = Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", authoritative=True)},
                    source_order=("VNNIC", "APNIC"), rdap=RdapConfig(rate_limit=0))
    app = create_app(config, registry.store)
    client = app.test_client()
    assert client.get("/rdap/help").status_code == 200
    scans = app.extensions["irr_rdap"].scans
    for _ in range(SCANS):
        scans.acquire()
    try:
        wide = ipaddress.ip_network(f"{registry.vn_first}/16", strict=False)
        for path in ("/rdap/entities?fn=Nguy*", f"/rdap/ips/rirSearch1/rdap-down/{wide}"):
            busy = client.get(path)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
            check(json.loads(busy.data), 503, dict(busy.headers))
        assert client.get("/rdap/entities?handle=NVH*").status_code == 200  # an index range, no scan
        assert client.get("/rdap/entities?fn=Nguyễn Văn Hùng").status_code == 200  # exact: indexed
    finally:
        for _ in range(SCANS):
            scans.release()
    assert client.get("/rdap/entities?fn=Nguy*").status_code == 200
    lookups = RegistrationLookups(registry.store.engine, max_rows=1000)
    start = dump_objects(registry.dump, "person")[0].pk[:2]   # a handle prefix the dump holds
    with lookups.snapshot() as indexed:
        assert indexed.byte_order, "the test database sorts by code point (C.UTF-8)"
        ranged = indexed.search(["VNNIC", "APNIC"], ("person", "role", "organisation"), (PK,), start, True)
        indexed.byte_order = False
        scanned = indexed.search(["VNNIC", "APNIC"], ("person", "role", "organisation"), (PK,), start, True)
    assert ranged == scanned and len(ranged) > 0 and all(o.pk.startswith(start) for o in ranged)
