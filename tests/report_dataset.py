"""A small registry where every report verdict occurs: allocations of two members in an
authoritative source (VNNIC), route objects there and in mirrored APNIC and RADB, ROAs, the NIR
scope, an as-set with a loop and a missing member, and a BGP table (bgpdump -m lines, as Debian's
bgpdump prints an MRT RIB). `build()` writes it all through the store's real write paths and
returns the verdict expected for each line of member MAINT-VN-ALPHA."""
from __future__ import annotations

from pathlib import Path

from irr.bgp import load_bgp
from irr.config import Config, SourceConfig
from irr.rpki.roas import Roa
from irr.rpki.scope import configured
from irr.store import Change, Store
from irr.store.reports import ReportStore
from rpsl.lenient import load

ALPHA, BETA, HOSTMASTER, ORG_ALPHA = "MAINT-VN-ALPHA", "MAINT-VN-BETA", "MAINT-VN-VNNIC", "ORG-ALPHA-VN"
NOW = "2026-11-01T00:00:00Z"


def _obj(cls: str, key: str, source: str = "VNNIC", **attrs) -> str:
    lines = [f"{cls}:".ljust(16) + key]
    for name, value in attrs.items():
        for v in value if isinstance(value, list) else [value]:
            lines.append(f"{name.replace('_', '-')}:".ljust(16) + v)
    lines.append("source:".ljust(16) + source)
    return "\n".join(lines) + "\n"


def _route(prefix: str, origin: str, mnt: str = ALPHA, source: str = "VNNIC", modified: str = NOW) -> str:
    cls = "route6" if ":" in prefix else "route"
    return _obj(cls, prefix, source, descr="test", origin=origin, mnt_by=mnt, last_modified=modified)


def _inetnum(first: str, last: str, name: str, lower: str, org: str | None = None, status="ALLOCATED PORTABLE") -> str:
    attrs = {"netname": name, "descr": "test", "country": "VN", "admin_c": "HM1-VN", "tech_c": "HM1-VN",
             "status": status, "mnt_by": HOSTMASTER, "mnt_lower": lower}
    if org:
        attrs["org"] = org
    return _obj("inetnum", f"{first} - {last}", **attrs)


VNNIC_OBJECTS = [
    _obj("mntner", ALPHA, descr="Alpha", admin_c="HM1-VN", upd_to="noc@alpha.example.vn",
         notify="hostmaster@alpha.example.vn", auth="BCRYPT-PW $2b$04$abcdefghijklmnopqrstuu", mnt_by=ALPHA),
    _obj("mntner", BETA, descr="Beta", admin_c="HM1-VN", upd_to="noc@beta.example.vn", auth="BCRYPT-PW x",
         mnt_by=BETA),
    _obj("organisation", ORG_ALPHA, org_name="Alpha Telecom", e_mail="noc@alpha.example.vn", mnt_by=ALPHA),
    _inetnum("203.119.0.0", "203.119.63.255", "ALPHA-VN", ALPHA, ORG_ALPHA),
    _inetnum("203.119.64.0", "203.119.127.255", "BETA-VN", BETA),
    _inetnum("203.119.128.0", "203.119.143.255", "ALPHA-SPARE-VN", ALPHA),
    _obj("inet6num", "2405:4800::/32", netname="ALPHA-V6", descr="test", country="VN", admin_c="HM1-VN",
         tech_c="HM1-VN", status="ALLOCATED PORTABLE", mnt_by=HOSTMASTER, mnt_lower=ALPHA),
    _obj("aut-num", "AS64500", as_name="ALPHA", mnt_by=HOSTMASTER, mnt_lower=ALPHA),
    _obj("aut-num", "AS64510", as_name="BETA", mnt_by=HOSTMASTER, mnt_lower=BETA),
    _obj("as-set", "AS64500:AS-CUSTOMERS", descr="test", members=["AS64501", "AS64500:AS-MISSING",
                                                                   "AS64500:AS-CUSTOMERS"], mnt_by=ALPHA),
    _route("203.119.0.0/24", "AS64500"),
    _route("203.119.4.0/24", "AS64500"),
    _route("203.119.6.0/24", "AS64499"),
    _route("203.119.8.0/24", "AS64500"),
    _route("203.119.12.0/24", "AS64501"),
    _route("198.51.100.0/24", "AS64500"),
    _route("203.119.65.0/24", "AS64500"),                       # in Beta's allocation, by Alpha
    _route("203.119.20.0/24", "AS64500", modified="2015-03-01T00:00:00Z"),
    _route("203.119.21.0/24", "AS64500"),
    _route("2405:4800::/32", "AS64500"),
    _route("203.119.64.0/24", "AS64510", mnt=BETA),
]
APNIC_OBJECTS = [_route("203.119.16.0/24", "AS64500", "MAINT-AP-OTHER", "APNIC")]
RADB_OBJECTS = [_route("203.119.16.0/24", "AS64500", "MAINT-RADB-OTHER", "RADB")]
ROAS = [Roa("203.119.0.0/22", 24, 64500), Roa("203.119.8.0/22", 22, 64500), Roa("203.119.12.0/22", 24, 64500),
        Roa("203.119.16.0/24", 24, 64500), Roa("203.119.24.0/24", 24, 64500), Roa("203.119.64.0/24", 24, 64510),
        Roa("2405:4800::/32", 48, 64500)]
# (prefix, AS path) as three peers saw them
BGP = [("203.119.0.0/24", "64500"), ("203.119.4.0/24", "64500"), ("203.119.5.0/24", "64500"),
       ("203.119.6.0/24", "64500"), ("203.119.8.0/24", "64500"), ("203.119.16.0/24", "64500"),
       ("203.119.64.0/24", "64510"), ("203.119.200.0/24", "64510"), ("2405:4800::/32", "64500"),
       ("8.8.8.0/24", "15169")]
PEERS = [("192.0.2.1", "3356"), ("192.0.2.2", "1299"), ("192.0.2.3", "6939")]

EXPECTED_ALPHA = {
    ("203.119.0.0/24", 64500): "ok",
    ("203.119.4.0/24", 64500): "no_roa",
    ("203.119.5.0/24", 64500): "no_route_object",
    ("203.119.6.0/24", 64500): "origin_mismatch",
    ("203.119.6.0/24", 64499): "stale_origin",
    ("203.119.8.0/24", 64500): "rpki_invalid",
    ("203.119.12.0/24", 64501): "irr_rpki_invalid",
    ("203.119.16.0/24", 64500): "route_elsewhere",
    ("198.51.100.0/24", 64500): "not_held",
    ("203.119.65.0/24", 64500): "not_held",
    ("203.119.20.0/24", 64500): "stale_route",
    ("203.119.21.0/24", 64500): "not_announced",
    ("203.119.24.0/24", 64500): "roa_only",
    ("203.119.12.0/22", 64500): "roa_only",     # covers only AS64501's route object: authorises nothing seen
    ("203.119.128.0/20", None): "unused",
    ("2405:4800::/32", 64500): "ok",
    ("AS64500:AS-CUSTOMERS", None): "as_set_problem",
}
EXPECTED_BETA = {("203.119.64.0/24", 64510): "ok", ("203.119.200.0/24", 64510): "unallocated",
                 ("203.119.65.0/24", 64500): "not_held"}


def config(tmp_path: Path, **reports) -> Config:
    return Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", authoritative=True),
                                              "APNIC": SourceConfig("APNIC"), "RADB": SourceConfig("RADB")},
                  source_order=("VNNIC", "APNIC", "RADB"),
                  reports={"exclude_members": (HOSTMASTER,), "stale_years": 3} | reports)


def bgp_lines() -> str:
    return "".join(f"TABLE_DUMP2|1764547200|B|{peer}|{peer_as}|{prefix}|{peer_as} {path}|IGP|{peer}|0|0||NAG||\n"
                   for prefix, path in BGP for peer, peer_as in PEERS)


def build(store: Store, tmp_path: Path) -> Path:
    """Write the data set into `store`; returns the BGP table file it loaded."""
    for source, texts in (("VNNIC", VNNIC_OBJECTS), ("APNIC", APNIC_OBJECTS), ("RADB", RADB_OBJECTS)):
        store.apply([Change(source, "ADD", load(t)) for t in texts], origin="test")
    store.replace_scope(configured(("203.119.0.0/16", "2405:4800::/32"), ("AS64500-AS64510",)))
    store.replace_roas(ROAS)
    table = tmp_path / "bgp-table.txt"
    table.write_text(bgp_lines())
    load_bgp(ReportStore(store.engine), table)
    return table
