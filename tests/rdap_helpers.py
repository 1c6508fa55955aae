"""An RDAP test registry: a generated APNIC-like dump and real APNIC objects (mirrored sources
APNIC and TEST), Vietnamese authoritative objects written through the store's single write path
(so the journal has their history), and `irr serve` answering over HTTP."""
from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from irr.database import make_engine
from irr.store import Change, Store
from irr.store.lookups import Lookups
from mirror.importer import load_files
from rpsl.lenient import load
from rpsl.reader import iter_paragraphs
from tests.conftest import REAL, REPO, cloned_database, free_port, generate_dump

# Hashes that must never reach an answer (the irt's and mntner's auth lines below).
SECRET_BCRYPT = "$2b$12$Y9nR0x3c8rE6Tq1sJk2uHOm4uJcZk1pQe5wW7bV9aN3dL0fG2hS6y"
SECRET_MD5 = "$1$fK9s2LpQ$Wm3nR8tX1vY5zA7bC9dE0/"

VIETNAMESE = """\
mntner:         MAINT-VN-HNTT
descr:          Bảo trì của Công ty Hạ tầng Viễn thông Hà Nội
country:        VN
admin-c:        NVH1-VN
upd-to:         hostmaster@hntt.vn
auth:           BCRYPT-PW {bcrypt}
auth:           MD5-PW {md5}
mnt-by:         MAINT-VN-HNTT
referral-by:    MAINT-VN-HNTT
source:         VNNIC

person:         Nguyễn Văn Hùng
address:        Số 18 Nguyễn Chí Thanh
address:        Phường Láng Thượng, Quận Đống Đa, Hà Nội
country:        VN
phone:          +84-24-3772-0001
e-mail:         hung.nguyen@hntt.vn
nic-hdl:        NVH1-VN
mnt-by:         MAINT-VN-HNTT
source:         VNNIC

role:           Nhóm Xử lý Lạm dụng HNTT
address:        Số 18 Nguyễn Chí Thanh, Hà Nội
country:        VN
phone:          +84-24-3772-0002
e-mail:         noc@hntt.vn
abuse-mailbox:  lamdung@hntt.vn
admin-c:        NVH1-VN
tech-c:         NVH1-VN
nic-hdl:        AHN1-VN
mnt-by:         MAINT-VN-HNTT
source:         VNNIC

irt:            IRT-HNTT-VN
address:        Số 18 Nguyễn Chí Thanh, Hà Nội
e-mail:         irt@hntt.vn
abuse-mailbox:  irt-lamdung@hntt.vn
admin-c:        NVH1-VN
tech-c:         NVH1-VN
auth:           BCRYPT-PW {bcrypt}
mnt-by:         MAINT-VN-HNTT
source:         VNNIC

organisation:   ORG-HNTT1-VN
org-name:       Công ty Cổ phần Hạ tầng Viễn thông Hà Nội
org-type:       OTHER
country:        VN
address:        Số 18 Nguyễn Chí Thanh, Quận Đống Đa, Hà Nội
phone:          +84-24-3772-0000
e-mail:         lienhe@hntt.vn
abuse-c:        AHN1-VN
mnt-ref:        MAINT-VN-HNTT
mnt-by:         MAINT-VN-HNTT
source:         VNNIC

inetnum:        {v4_first} - {v4_last}
netname:        HNTT-VN
descr:          Công ty Cổ phần Hạ tầng Viễn thông Hà Nội
descr:          Mạng lõi tại Hà Nội
country:        VN
org:            ORG-HNTT1-VN
admin-c:        NVH1-VN
tech-c:         NVH1-VN
abuse-c:        AHN1-VN
status:         ASSIGNED NON-PORTABLE
remarks:        Liên hệ lạm dụng: lamdung@hntt.vn
mnt-by:         MAINT-VN-HNTT
mnt-irt:        IRT-HNTT-VN
source:         VNNIC

domain:         {zone}
descr:          Vùng ngược của HNTT
admin-c:        NVH1-VN
tech-c:         NVH1-VN
zone-c:         NVH1-VN
nserver:        ns1.hntt.vn
nserver:        ns2.hntt.vn 203.0.113.53
ds-rdata:       12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE
mnt-by:         MAINT-VN-HNTT
source:         VNNIC
"""


@dataclass
class Registry:
    db_url: str
    store: Store
    dump: Path
    vn_first: str        # the Vietnamese /24 (authoritative, source VNNIC)
    vn_last: str
    vn_parent: str       # pk of the APNIC allocation it sits in
    vn_zone: str

    @property
    def vn_prefix(self) -> str:
        return f"{self.vn_first}/24"


def apnic_objects(path: Path) -> list[str]:
    return [p.text for p in iter_paragraphs(path)]


def _free_slash24(lookups: Lookups) -> tuple[str, str, str]:
    """A /24 inside a Vietnamese APNIC allocation that no other object overlaps: (first, last,
    allocation pk)."""
    allocations = [t for t in apnic_objects_cache if t.startswith("inetnum:") and "\ncountry:        VN" in t
                   and "ALLOCATED PORTABLE" in t]
    for text in allocations:
        first, last = (ipaddress.IPv4Address(x.strip()) for x in text.split("\n", 1)[0][9:].split("-"))
        for start in range(int(first), int(last) + 1 - 255, 256):
            key = f"{ipaddress.IPv4Address(start)} - {ipaddress.IPv4Address(start + 255)}"
            inner = lookups.addresses(["APNIC"], key, "more", ("inetnum",))
            covering = lookups.addresses(["APNIC"], key, "most-specific", ("inetnum",))
            if not inner and covering and covering[0].pk == f"{first} - {last}":
                return str(ipaddress.IPv4Address(start)), str(ipaddress.IPv4Address(start + 255)), covering[0].pk
    raise AssertionError("no free /24 in the generated dump's Vietnamese allocations")


apnic_objects_cache: list[str] = []


@contextlib.contextmanager
def registered(pg_server_url: str, template_db: str, tmp: Path) -> Iterator[Registry]:
    """A registry (build_registry) in a fresh database, dropped afterwards."""
    with cloned_database(pg_server_url, template_db) as url:
        registry = build_registry(url, tmp)
        try:
            yield registry
        finally:
            registry.store.engine.dispose()


def build_registry(db_url: str, tmp: Path) -> Registry:
    """Load the dump (APNIC), the real APNIC and TEST objects, and write the Vietnamese objects."""
    store = Store(make_engine(db_url))
    dump = generate_dump(tmp / "apnic.db", 3000, 5)
    load_files(store, "APNIC", [dump, REAL / "apnicnet-whois-grs-apnic.db"], serial=1, workers=1)
    load_files(store, "TEST", [REAL / "apnicnet-whois-TEST.db"], serial=1, workers=1)
    apnic_objects_cache[:] = apnic_objects(dump)
    first, last, parent = _free_slash24(Lookups(store.engine))
    a, b, c, _ = first.split(".")
    zone = f"{c}.{b}.{a}.in-addr.arpa"
    text = VIETNAMESE.format(bcrypt=SECRET_BCRYPT, md5=SECRET_MD5, v4_first=first, v4_last=last, zone=zone)
    changes = [Change("VNNIC", "ADD", load(p.text)) for p in iter_paragraphs(text.encode())]
    store.apply(changes, origin="test")
    # a later change of the inetnum: registration and last change differ in the journal
    time.sleep(1.1)
    inetnum = next(p.text for p in iter_paragraphs(text.encode()) if p.text.startswith("inetnum:"))
    store.apply([Change("VNNIC", "ADD", load(inetnum.replace("Mạng lõi tại Hà Nội", "Mạng lõi tại Hà Nội và Đà Nẵng")))],
                origin="test")
    return Registry(db_url, store, dump, first, last, parent, zone)


CONFIG = """\
source_order = ["VNNIC", "APNIC", "TEST"]

[sources.VNNIC]
authoritative = true
description = "VNNIC authoritative data"

[sources.APNIC]
description = "APNIC mirror"

[sources.TEST]
description = "APNIC whois test data"

[rdap]
port43 = "whois.vnnic.test"
redact = ["person.e-mail", "person.phone"]
max_results = {max_results}
rate_limit = 0
terms_url = "https://vnnic.test/terms"
"""


@dataclass
class Server:
    base: str            # http://127.0.0.1:<port>/rdap
    whois_port: int
    config: Path


@contextlib.contextmanager
def serving(registry: Registry, tmp: Path, max_results: int = 20) -> Iterator[Server]:
    """`irr serve` on the registry's database, until the block ends."""
    config = tmp / "irr.toml"
    config.write_text(CONFIG.format(max_results=max_results))
    http_port, whois_port = free_port(), free_port()
    env = dict(os.environ, IRR_DATABASE_URL=registry.db_url, IRR_CONFIG=str(config))
    proc = subprocess.Popen([sys.executable, "-m", "irr.cli", "--data-dir", str(tmp / "data"), "serve", "--no-demo",
                             "--http-port", str(http_port), "--whois-port", str(whois_port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "HTTP on" in line:
                break
        else:
            raise AssertionError("irr serve did not start:\n" + "".join(lines))
        # keep reading: the HTTP server logs every request, and a full pipe would stop it
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield Server(f"http://127.0.0.1:{http_port}/rdap", whois_port, config)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


@dataclass
class Answer:
    status: int
    headers: dict
    body: dict
    raw: bytes


def get(url: str, accept: str = "application/rdap+json", method: str = "GET") -> Answer:
    """One HTTP request; errors are answers too."""
    req = urllib.request.Request(url, headers={"Accept": accept}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        raw, status, headers = e.read(), e.code, dict(e.headers)
    body = json.loads(raw) if raw else {}
    return Answer(status, headers, body, raw)
