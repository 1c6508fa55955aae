"""A small authoritative registry (source VNNIC) for update tests: maintainers with real bcrypt
hashes, the member's address space and AS number, written through the store."""
from __future__ import annotations

from pathlib import Path

from passlib.hash import bcrypt, md5_crypt

from irr.config import Config, SourceConfig
from irr.store import Change, Store
from rpsl.lenient import load


def bcrypt_line(password: str) -> str:
    return "BCRYPT-PW " + bcrypt.using(rounds=4).hash(password)  # cheap rounds: tests verify many times


def md5_line(password: str) -> str:
    return "MD5-PW " + md5_crypt.hash(password)


def mntner(name: str, password: str, upd_to: str, mnt_nfy: str | None = None, extra: str = "") -> str:
    nfy = f"mnt-nfy:        {mnt_nfy}\n" if mnt_nfy else ""
    return (f"mntner:         {name}\ndescr:          {name}\nadmin-c:        NVA1-VN\nupd-to:         {upd_to}\n"
            f"{nfy}auth:           {bcrypt_line(password)}\n{extra}mnt-by:         {name}\n"
            f"referral-by:    MAINT-VNNIC\nsource:         VNNIC\n")


def base_objects() -> list[str]:
    return [
        mntner("MAINT-VNNIC", "vnnic-pw", "hostmaster@vnnic.example"),
        mntner("MAINT-MEMBER", "member-pw", "upd@member.example", "nfy@member.example",
               extra=f"auth:           {md5_line('member-md5-pw')}\n"),
        mntner("MAINT-OTHER", "other-pw", "upd@other.example", "nfy@other.example"),
        "person:         Nguyễn Văn An\naddress:        Hà Nội\ncountry:        VN\nphone:          +84 24 0000 0000\n"
        "e-mail:         an@member.example\nnic-hdl:        NVA1-VN\nmnt-by:         MAINT-MEMBER\nsource:         VNNIC\n",
        f"irt:            IRT-MEMBER-VN\naddress:        Hà Nội\ne-mail:         csirt@member.example\n"
        f"abuse-mailbox:  abuse@member.example\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\n"
        f"auth:           {bcrypt_line('irt-pw')}\nmnt-by:         MAINT-MEMBER\nsource:         VNNIC\n",
        "organisation:   ORG-MEM1-VN\norg-name:       Công ty TNHH Thành Viên\norg-type:       LIR\ncountry:        VN\n"
        "address:        Hà Nội\ne-mail:         org@member.example\nmnt-ref:        MAINT-MEMBER\n"
        "mnt-by:         MAINT-VNNIC\nsource:         VNNIC\n",
        "as-block:       AS64496 - AS64511\ntech-c:         NVA1-VN\nadmin-c:        NVA1-VN\nmnt-by:         MAINT-VNNIC\n"
        "mnt-lower:      MAINT-VNNIC\nsource:         VNNIC\n",
        "aut-num:        AS64500\nas-name:        MEMBER\ndescr:          Member\ncountry:        VN\norg:            ORG-MEM1-VN\n"
        "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\nmnt-by:         MAINT-MEMBER\nmnt-routes:     MAINT-MEMBER\n"
        "mnt-irt:        IRT-MEMBER-VN\nnotify:         autnum-watch@member.example\nsource:         VNNIC\n",
        "aut-num:        AS64501\nas-name:        OTHER\ndescr:          Other member\ncountry:        VN\n"
        "org:            ORG-MEM1-VN\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\nmnt-by:         MAINT-OTHER\n"
        "mnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n",
        "inetnum:        203.0.113.0 - 203.0.113.255\nnetname:        MEMBER-NET\ndescr:          Member\ncountry:        VN\n"
        "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\nstatus:         ALLOCATED PORTABLE\nmnt-by:         MAINT-VNNIC\n"
        "mnt-lower:      MAINT-MEMBER\nmnt-routes:     MAINT-MEMBER {203.0.113.0/24^+}\nmnt-irt:        IRT-MEMBER-VN\n"
        "source:         VNNIC\n",
        "inetnum:        198.51.100.0 - 198.51.100.255\nnetname:        OTHER-NET\ndescr:          Other\ncountry:        VN\n"
        "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\nstatus:         ALLOCATED PORTABLE\nmnt-by:         MAINT-VNNIC\n"
        "mnt-lower:      MAINT-OTHER\nmnt-routes:     MAINT-OTHER\nmnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n",
        "inet6num:       2001:db8::/32\nnetname:        MEMBER-V6\ndescr:          Member\ncountry:        VN\n"
        "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\nstatus:         ALLOCATED PORTABLE\nmnt-by:         MAINT-VNNIC\n"
        "mnt-lower:      MAINT-MEMBER\nmnt-routes:     MAINT-MEMBER\nmnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n",
    ]


def setup_registry(store: Store) -> None:
    store.apply([Change("VNNIC", "ADD", load(text)) for text in base_objects()], origin="test setup")


def registry_config(tmp_path: Path, smtp_port: int = 25, override_hash: str | None = None) -> Config:
    return Config(data_dir=tmp_path, sources={"VNNIC": SourceConfig("VNNIC", True), "APNIC": SourceConfig("APNIC")},
                  source_order=("VNNIC", "APNIC"), smtp_host="127.0.0.1", smtp_port=smtp_port,
                  mail_from="irr@vnnic.example", override_hash=override_hash, registry_maintainers=("MAINT-VNNIC",))


ROUTE = """route:          203.0.113.0/24
descr:          Member prefix
origin:         AS64500
mnt-by:         MAINT-MEMBER
source:         VNNIC
"""

ROUTE6 = """route6:         2001:db8::/32
descr:          Member IPv6 prefix
origin:         AS64500
mnt-by:         MAINT-MEMBER
source:         VNNIC
"""
