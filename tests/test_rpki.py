"""RPKI route origin validation against a real PostgreSQL: ROA files in every format, RFC 6811
states, invalid routes hidden everywhere (and back when valid), refused on creation, maintainers
told once."""
from __future__ import annotations

import json

import pytest

from irr.rpki.roas import RoaFormatError, parse
from irr.rpki.validate import load_roas
from irr.store import Change
from irr.store.lookups import Lookups
from irr.updates.notify import Notifier
from irr.updates.pipeline import Pipeline
from irr.updates.service import keyring_for
from irr.updates.submission import from_texts
from rpsl.lenient import load
from tests.update_helpers import ROUTE, ROUTE6, registry_config, setup_registry
from tests.whois_helpers import running_whois

RPKI_CLIENT = {"metadata": {"buildtime": "2026-11-27T00:00:00Z", "roas": 4}, "roas": [
    {"asn": 64500, "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "apnic", "expires": 1800000000},
    {"asn": 0, "prefix": "198.51.100.0/24", "maxLength": 32, "ta": "apnic", "expires": 1800000000},
    {"asn": 64500, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "apnic", "expires": 1800000000},
    {"asn": 64501, "prefix": "2001:db8::/32", "maxLength": 32, "ta": "apnic", "expires": 1800000000},
]}
ROUTINATOR = {"metadata": {"generated": 1800000000, "generatedTime": "2026-11-27T00:00:00Z"}, "roas": [
    {"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 25,
     "source": [{"type": "roa", "uri": "rsync://x/a.roa", "tal": "apnic", "validity": {}}]}]}
RIPE_VALIDATOR = {"roas": [{"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "APNIC RPKI Root"},
                           {"asn": "AS64999", "prefix": "10.0.0.0/8", "maxLength": 7, "ta": "bad"}]}
CSV = "ASN,IP Prefix,Max Length,Trust Anchor\nAS64501,203.0.113.0/24,24,apnic\nAS64500,2001:db8::/32,48,apnic\n"


def test_every_format_parses():
    rc = parse(json.dumps(RPKI_CLIENT))
    assert rc.format == "rpki-client json" and len(rc.roas) == 4 and rc.roas[1].asn == 0
    rt = parse(json.dumps(RPKI_CLIENT | {"roas": ROUTINATOR["roas"]}))
    assert rt.format == "routinator jsonext" and rt.roas[0].trust_anchor == "apnic" and rt.roas[0].max_length == 25
    rv = parse(json.dumps(RIPE_VALIDATOR))
    assert rv.format == "ripe validator export" and len(rv.roas) == 1
    assert "maxLength 7 is outside 8-32" in rv.rejected[0]  # never fatal, always reported
    csv = parse(CSV)
    assert csv.format == "csv" and [(r.prefix, r.asn) for r in csv.roas] == [("203.0.113.0/24", 64501),
                                                                            ("2001:db8::/32", 64500)]
    with pytest.raises(RoaFormatError):
        parse('{"nothing": []}')


@pytest.fixture
def registry(store, tmp_path):
    setup_registry(store)
    config = registry_config(tmp_path)
    sent = []
    pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config),
                        Notifier(config, lambda to, subject, body: sent.append((list(to), subject, body))))
    pipeline.sent = sent          # the notifications the pipeline sent
    return pipeline


def submit(pipeline, text):
    return pipeline.process(from_texts([(text, frozenset())]), origin="test").requests[0]


def state(store, cls, pk):
    return store.get("VNNIC", cls, pk).rpki_status


def test_rfc6811_states(registry):
    store = registry.store
    assert submit(registry, "password: member-pw\n\n" + ROUTE).ok
    assert submit(registry, "password: member-pw\n\n" + ROUTE6).ok
    longer = ROUTE6.replace("2001:db8::/32", "2001:db8:1::/48")
    assert submit(registry, "password: member-pw\n\n" + longer).ok
    assert state(store, "route", "203.0.113.0/24AS64500") is None  # no ROAs yet: unknown
    load_roas(registry.config, store, json.dumps(RPKI_CLIENT).encode())
    assert state(store, "route", "203.0.113.0/24AS64500") == "valid"
    assert state(store, "route6", "2001:DB8::/32AS64500") == "valid"      # several ROAs for one prefix
    assert state(store, "route6", "2001:DB8:1::/48AS64500") == "valid"    # within maxLength 48
    store.apply([Change("APNIC", "ADD", load("route: 198.51.100.0/25\norigin: AS64500\nsource: APNIC\n")),
                 Change("APNIC", "ADD", load("route: 192.0.2.0/24\norigin: AS64500\nsource: APNIC\n"))], origin="t")
    assert store.get("APNIC", "route", "198.51.100.0/25AS64500").rpki_status == "invalid"  # AS0 ROA
    assert store.get("APNIC", "route", "192.0.2.0/24AS64500").rpki_status == "not_found"


def test_invalid_route_creation_is_refused_naming_the_roas(registry):
    load_roas(registry.config, registry.store, CSV.encode())
    journal = [(e.serial, e.operation, e.pk) for e in registry.store.journal("VNNIC")]
    req = submit(registry, "password: member-pw\n\n" + ROUTE)
    assert not req.ok
    assert "RPKI invalid: 203.0.113.0/24 with origin AS64500" in req.errors[0]
    assert "203.0.113.0/24 max length 24 AS64501 (apnic)" in req.errors[0]
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert [(e.serial, e.operation, e.pk) for e in registry.store.journal("VNNIC")] == journal
    assert registry.sent == []    # refused by the RPKI, not by authorisation: only the submitter is told
    # the same object with a valid origin is accepted (and its maintainers notified as usual)
    assert submit(registry, "password: member-pw\n\n" + ROUTE6).ok
    assert [to for to, _, _ in registry.sent] == [["nfy@member.example"]]


def _status(reply: bytes) -> dict:
    """The JSON of a `!J` answer (the last framed answer of the reply)."""
    body = reply.decode().rsplit("\nC\n", 1)[0]
    return json.loads(body[body.rindex("\nA") + 1:].split("\n", 1)[1] if "\nA" in body else body.split("\n", 1)[1])


def test_valid_invalid_valid_transitions(registry, tmp_path):
    store = registry.store
    config = registry.config.__class__(**{**registry.config.__dict__, "whois_style": "irrd", "sources": {
        **registry.config.sources, "VNNIC": registry.config.sources["VNNIC"].__class__(
            "VNNIC", True, nrtm_access=("127.0.0.1",))}})
    assert submit(registry, "password: member-pw\n\n" + ROUTE).ok
    from irr.store.lookups import Lookups

    route = Lookups(store.engine).routes(["VNNIC"], "203.0.113.0/24", "exact")[0]
    assert "rpki-ov-state" not in route.whois_text()          # no ROAs yet: no state to show
    load_roas(config, store, json.dumps(RPKI_CLIENT).encode())
    sent = []
    with running_whois(config, store) as whois:
        assert whois.query("!gAS64500") == b"A15\n203.0.113.0/24\nC\n"
        # IRRd's rpki-ov-state line on route output, in both query languages (RIPE-style: IRRd's layout)
        assert b"source:         VNNIC\nrpki-ov-state:  valid\n" in whois.query("!r203.0.113.0/24")
        assert b"\nrpki-ov-state:  valid\n\n\n" in whois.query("-r -T route 203.0.113.0/24")
        not_found = route.__class__("VNNIC", "route", route.pk, route.text, rpki_status="not_found")
        assert not_found.whois_text().endswith(
            "\nrpki-ov-state:  not_found # No ROAs found, or RPKI validation not enabled for source\n")
        assert _status(whois.query("!JVNNIC"))["VNNIC"]["rpki_rov_filter"] is True
        assert _status(whois.query("!!", "!fno-rpki-filter", "!JVNNIC"))["VNNIC"]["rpki_rov_filter"] is False
        serial_before = store.journal_range("VNNIC")[1]
        status = load_roas(config, store, CSV.encode(), send=lambda to, s, b: sent.append((to, s, b)))
        assert "1 now invalid" in status
        # gone from filters, queries and NRTM
        assert whois.query("!gAS64500") == b"D\n"
        assert b"203.0.113.0/24" not in whois.query("-T route 203.0.113.0/24")
        assert b"203.0.113.0/24" in whois.query("--no-rpki-filter -T route 203.0.113.0/24")
        assert b"rpki-ov-state:  invalid\n" in whois.query("!!", "!fno-rpki-filter", "!r203.0.113.0/24")
        nrtm = whois.query(f"-g VNNIC:3:{serial_before + 1}-LAST").decode()
        assert f"DEL {serial_before + 1}\n\nroute:          203.0.113.0/24" in nrtm
        # the maintainer's upd-to was told, once
        assert [to for to, _, _ in sent] == [["upd@member.example"]]
        load_roas(config, store, CSV.encode(), send=lambda to, s, b: sent.append((to, s, b)))
        assert len(sent) == 1  # no transition, no new mail
        # back to valid: returns everywhere, with an ADD in the journal
        load_roas(config, store, json.dumps(RPKI_CLIENT).encode())
        assert whois.query("!gAS64500") == b"A15\n203.0.113.0/24\nC\n"
        nrtm = whois.query(f"-g VNNIC:3:{serial_before + 2}-LAST").decode()
        assert f"ADD {serial_before + 2}\n\nroute:          203.0.113.0/24" in nrtm


def test_exports_leave_invalid_routes_out(registry, tmp_path):
    from mirror.exports import Exporter

    store = registry.store
    assert submit(registry, "password: member-pw\n\n" + ROUTE).ok
    other = ROUTE.replace("MAINT-MEMBER", "MAINT-OTHER").replace("203.0.113.0/24", "198.51.100.0/24") \
        .replace("AS64500", "AS64501")
    assert submit(registry, "password: other-pw\n\n" + other).ok          # no ROA covers it: not_found
    assert submit(registry, "password: member-pw\n\n" + ROUTE6).ok         # valid under the CSV's ROA
    load_roas(registry.config, store, CSV.encode())
    assert state(store, "route", "203.0.113.0/24AS64500") == "invalid"
    Exporter(store, "VNNIC", tmp_path / "export").run_once()
    import gzip

    routes = gzip.decompress((tmp_path / "export" / "vnnic.db.route.gz").read_bytes()).decode()
    assert "198.51.100.0/24" in routes and "203.0.113.0/24" not in routes
    assert "2001:db8::/32" in gzip.decompress((tmp_path / "export" / "vnnic.db.route6.gz").read_bytes()).decode()


def test_bulk_loads_validate_their_routes(registry, tmp_path):
    from mirror.importer import load_files

    store = registry.store
    load_roas(registry.config, store, CSV.encode())
    dump = tmp_path / "apnic.db"
    dump.write_text("route: 203.0.113.0/24\norigin: AS64501\nsource: APNIC\n\n"
                    "route: 203.0.113.0/24\norigin: AS64500\nsource: APNIC\n\n"
                    "route: 192.0.2.0/24\norigin: AS64500\nsource: APNIC\n")
    load_files(store, "APNIC", [dump], serial=1)
    assert store.get("APNIC", "route", "203.0.113.0/24AS64501").rpki_status == "valid"
    assert store.get("APNIC", "route", "203.0.113.0/24AS64500").rpki_status == "invalid"
    assert store.get("APNIC", "route", "192.0.2.0/24AS64500").rpki_status == "not_found"


def test_a_failed_notification_is_reported_not_counted(registry):
    """The ROAs load even when mail fails, and the status line says who was not told."""
    store = registry.store
    assert submit(registry, "password: member-pw\n\n" + ROUTE).ok
    load_roas(registry.config, store, json.dumps(RPKI_CLIENT).encode())

    def refused(to, subject, body):
        raise ConnectionRefusedError("SMTP server not reachable")

    status = load_roas(registry.config, store, CSV.encode(), send=refused)
    assert "1 now invalid" in status and "0 maintainers notified, 1 could not be (mail failed)" in status
    assert store.roa_count() == 2


def test_roa_changes_do_not_push_a_dump_mirror_past_its_upstream_serial(store, tmp_path):
    """A dump-mirrored source's serial is its upstream's CURRENTSERIAL: ROA transitions must not add
    local journal entries there, or the next dump (1020 < 1000 + 50) would look old and be skipped."""
    from irr.config import Config, SourceConfig
    from mirror.full_import import FullImport

    routes = "".join(f"route: 10.{i}.0.0/16\norigin: AS65000\nsource: RADB\n\n" for i in range(50))
    (tmp_path / "radb.db").write_text(routes)
    (tmp_path / "RADB.CURRENTSERIAL").write_text("1000\n")
    source = SourceConfig("RADB", dump_urls=(f"file://{tmp_path}/radb.db",),
                          serial_url=f"file://{tmp_path}/RADB.CURRENTSERIAL")
    full = FullImport(store, source, tmp_path / "work")
    full.run_once()
    config = Config(data_dir=tmp_path, sources={"RADB": source}, source_order=("RADB",))
    status = load_roas(config, store, json.dumps(
        {"roas": [{"asn": 64500, "prefix": "10.0.0.0/8", "maxLength": 24, "ta": "x"}]}).encode())
    assert "50 now invalid" in status and store.serial("RADB") == 1000
    (tmp_path / "radb.db").write_text(routes + "route: 192.0.2.0/24\norigin: AS65000\nsource: RADB\n\n")
    (tmp_path / "RADB.CURRENTSERIAL").write_text("1020\n")
    full.run_once()
    assert store.get("RADB", "route", "192.0.2.0/24AS65000") is not None and store.serial("RADB") == 1020


def test_the_object_page_shows_the_rpki_and_scope_state(registry):
    """Valid, invalid (with the covering ROAs) and not found, and in or out of the NIR's scope, in
    both languages; nothing before ROAs and scope are loaded."""
    from irr.config import SourceConfig
    from irr.rpki.scope import configured
    from irr.web import create_app

    store = registry.store
    assert submit(registry, "password: member-pw\n\n" + ROUTE).ok
    store.apply([Change("APNIC", "ADD", load("route: 198.51.100.0/25\norigin: AS64500\nsource: APNIC\n")),
                 Change("APNIC", "ADD", load("route: 192.0.2.0/24\norigin: AS64500\nsource: APNIC\n"))], origin="t")
    config = registry.config.__class__(**{**registry.config.__dict__, "sources": {
        **registry.config.sources, "APNIC": SourceConfig("APNIC", scope_filter="hide")}})
    client = create_app(config, store).test_client()
    pages = {"valid": "/object/VNNIC/route/203.0.113.0/24AS64500", "invalid": "/object/APNIC/route/198.51.100.0/25AS64500",
             "not_found": "/object/APNIC/route/192.0.2.0/24AS64500"}

    def page(state: str, lang: str = "en") -> str:
        response = client.get(pages[state] + f"?lang={lang}")
        assert response.status_code == 200
        return response.text

    assert "RPKI state" not in page("valid") and "NIR scope" not in page("valid")
    load_roas(config, store, json.dumps(RPKI_CLIENT).encode())
    store.replace_scope(configured(("203.0.113.0/24", "198.51.100.0/24"), ()))
    valid, invalid, not_found = page("valid"), page("invalid"), page("not_found")
    assert '<dd id="rpki-state" class="rpki-valid">' in valid and "Valid: a ROA authorises" in valid
    assert "203.0.113.0/24, max length 24, AS64500 (apnic)" in valid
    assert '<dd id="rpki-state" class="rpki-invalid">' in invalid and "none authorises this origin" in invalid
    assert "198.51.100.0/24, max length 32, AS0 (apnic)" in invalid
    assert '<dd id="rpki-state" class="rpki-not_found">' in not_found and "no ROA covers" in not_found
    assert 'class="roas"' not in not_found
    assert "Within the resources this registry holds." in valid and "Within the resources" in invalid
    assert "Outside the resources this registry holds: hidden from whois queries and filters." in not_found
    assert "Không hợp lệ: có ROA bao phủ" in page("invalid", "vi") and "độ dài tối đa 32, AS0" in page("invalid", "vi")
    assert "Hợp lệ: có ROA" in page("valid", "vi") and "Không tìm thấy: không có ROA" in page("not_found", "vi")
    assert "bị ẩn khỏi truy vấn" in page("not_found", "vi")
    assert "RPKI state" not in client.get("/object/VNNIC/mntner/MAINT-MEMBER?lang=en").text


def test_an_nrtmv3_mirror_hides_invalid_routes_from_queries_but_passes_its_stream_through(store, tmp_path):
    """A source mirrored over NRTMv3 keeps its upstream's serials (so mirroring resumes exactly):
    its `-g` stream is the upstream's as it came, invalid routes included, and ROA changes add
    nothing to it (that would skip or invent serials); queries and filters hide invalid routes,
    including ones that turned invalid on a ROA reload (whose serial did not move)."""
    from irr.config import Config, SourceConfig
    from mirror.nrtm3 import Nrtm3Client, parse_stream

    source = SourceConfig("APNIC", nrtm_host="nrtm.example.net", nrtm_access=("127.0.0.1",))
    config = Config(data_dir=tmp_path, sources={"APNIC": source}, source_order=("APNIC",))
    client = Nrtm3Client(store, source)

    def upstream(first: int, *routes: str) -> None:
        body = "".join(f"ADD {first + i}\n\nroute: {r}\norigin: AS64500\nsource: APNIC\n\n" for i, r in enumerate(routes))
        client.apply(parse_stream(f"%START Version: 3 APNIC {first}-{first + len(routes) - 1}\n\n{body}%END APNIC\n",
                                  "APNIC", first))

    upstream(100, "203.0.113.0/24")
    roas = {"roas": [{"asn": 64501, "prefix": "203.0.113.0/24", "maxLength": 25, "ta": "apnic"}]}
    with running_whois(config, store) as whois:
        assert whois.query("!gAS64500") == b"A15\n203.0.113.0/24\nC\n"
        load_roas(config, store, json.dumps(roas).encode())       # the route turns invalid, serial stays 100
        assert store.serial("APNIC") == 100
        assert whois.query("!gAS64500") == b"D\n"                # hidden at once (the data version moved)
        upstream(101, "203.0.113.0/25", "192.0.2.0/24")           # one arrives invalid, one not covered
        assert whois.query("!gAS64500") == b"A13\n192.0.2.0/24\nC\n"
        assert b"203.0.113" not in whois.query("-T route -i origin AS64500")
        nrtm = whois.query("-g APNIC:3:100-LAST").decode()
        assert nrtm.startswith("%START Version: 3 APNIC 100-102\n")
        assert [line for line in nrtm.split("\n") if line[:4] in ("ADD ", "DEL ")] == ["ADD 100", "ADD 101", "ADD 102"]
        assert "route:          203.0.113.0/25" in nrtm or "route: 203.0.113.0/25" in nrtm
        load_roas(config, store, b"ASN,IP Prefix,Max Length\nAS64500,203.0.113.0/24,25\n")  # valid again
        answer = whois.query("!gAS64500").split(b"\n")
        assert set(answer[1].split()) == {b"192.0.2.0/24", b"203.0.113.0/24", b"203.0.113.0/25"}
        assert store.serial("APNIC") == 102 and store.journal_range("APNIC") == (100, 102)
