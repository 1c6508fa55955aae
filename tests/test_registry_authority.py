"""The registry's authority (irr/updates/registry.py): top-level resources belong to its hostmasters.

A stranger with a brand-new maintainer tries every claim on the registry's resources through the
HTTP API, e-mail (`irr submit`, a real process) and the web form in Chromium: each one is refused
with the rule named, and nothing changes (journal and object texts). The hostmaster and the staff
override can do each. A member works inside its allocation and cannot step outside it."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page

from irr.store.lookups import canonical_key
from irr.updates.submission import from_texts
from tests import test_web_ui
from tests.conftest import REPO
from tests.mail_helpers import SmtpSink, mutt_inline
from tests.update_helpers import bcrypt_line, mntner
from tests.web_helpers import OVERRIDE, Site, serve

REGISTRY = ("MAINT-VNNIC", "MAINT-VNNIC-HM2")   # the second is configured but not created yet
CONTACTS = "admin-c:        NVA1-VN\ntech-c:         NVA1-VN\n"


@dataclass(frozen=True)
class Actor:
    mnt: str
    irt: str
    org: str
    passwords: tuple[str, ...]
    override: bool = False


STRANGER = Actor("MAINT-STRANGER", "IRT-STRANGER", "ORG-STR1-VN", ("stranger-pw",))
HOSTMASTER = Actor("MAINT-VNNIC", "IRT-VNNIC-VN", "ORG-VNNIC1-VN", ("vnnic-pw",))
OVERRIDER = Actor("MAINT-STRANGER", "IRT-STRANGER", "ORG-STR1-VN", (), override=True)
MEMBER = Actor("MAINT-MEMBER", "IRT-MEMBER-VN", "ORG-MEM1-VN", ("member-pw", "irt-pw"))


def inet(key: str, status: str, a: Actor, mnt_by: tuple[str, ...] = (), netname: str = "NET") -> str:
    cls = "inet6num" if ":" in key else "inetnum"
    owners = "".join(f"mnt-by:         {m}\n" for m in (mnt_by or (a.mnt,)))
    return (f"{cls + ':':<16}{key}\nnetname:        {netname}\ndescr:          Claimed\ncountry:        VN\n"
            f"{CONTACTS}status:         {status}\n{owners}mnt-irt:        {a.irt}\nsource:         VNNIC\n")


def autnum(asn: str, a: Actor) -> str:
    return (f"aut-num:        {asn}\nas-name:        CLAIM\ndescr:          Claimed\ncountry:        VN\n"
            f"org:            {a.org}\n{CONTACTS}mnt-by:         {a.mnt}\nmnt-irt:        {a.irt}\nsource:         VNNIC\n")


ASSIGNMENT = "203.0.113.192 - 203.0.113.255"   # the member assigned it to the stranger (its customer)


def setup_texts() -> list[str]:
    """The stranger's own maintainer, irt and organisation (self-service), the hostmaster's irt
    and organisation, and an assignment the member made to the stranger."""
    return [
        mntner("MAINT-STRANGER", "stranger-pw", "upd@stranger.example"),
        f"irt:            IRT-STRANGER\naddress:        Hà Nội\ne-mail:         irt@stranger.example\n"
        f"abuse-mailbox:  abuse@stranger.example\n{CONTACTS}auth:           {bcrypt_line('stranger-pw')}\n"
        "mnt-by:         MAINT-STRANGER\nsource:         VNNIC\n",
        "organisation:   ORG-STR1-VN\norg-name:       Stranger Co\norg-type:       OTHER\ncountry:        VN\n"
        "address:        Hà Nội\ne-mail:         org@stranger.example\nmnt-ref:        MAINT-STRANGER\n"
        "mnt-by:         MAINT-STRANGER\nsource:         VNNIC\n",
        f"irt:            IRT-VNNIC-VN\naddress:        Hà Nội\ne-mail:         irt@vnnic.example\n"
        f"abuse-mailbox:  abuse@vnnic.example\n{CONTACTS}auth:           {bcrypt_line('vnnic-pw')}\n"
        "mnt-by:         MAINT-VNNIC\nsource:         VNNIC\n",
        "organisation:   ORG-VNNIC1-VN\norg-name:       VNNIC\norg-type:       NIR\ncountry:        VN\n"
        "address:        Hà Nội\ne-mail:         org@vnnic.example\nmnt-ref:        MAINT-VNNIC\n"
        "mnt-by:         MAINT-VNNIC\nsource:         VNNIC\n",
        inet(ASSIGNMENT, "ASSIGNED NON-PORTABLE", STRANGER, netname="STRANGER-LAN"),
    ]


@dataclass(frozen=True)
class Claim:
    """One claim on the registry's resources: the object (for an actor), the stored object it
    concerns, the phrases the stranger's refusal must contain."""

    name: str
    cls: str
    pk: str
    text: Callable[[Actor], str]
    refused_with: tuple[str, ...]
    delete: bool = False
    modify: bool = False
    hostmaster_also: tuple[str, ...] = ()          # passwords of other holders who agree
    hostmaster_refused_with: str | None = None     # a hierarchy rule holds hostmasters too


def rules(*names: str) -> tuple[str, ...]:
    return tuple(f'rule "{n}"' for n in names)


TOP = ("top-level-address-space", "portable-status", "portable-needs-registry-maintainer")
CLAIMS = [
    Claim("as-block", "as-block", "AS65000 - AS65099",
          lambda a: f"as-block:       AS65000 - AS65099\n{CONTACTS}mnt-by:         {a.mnt}\nsource:         VNNIC\n",
          rules("as-block")),
    Claim("aut-num outside every as-block", "aut-num", "AS65200", lambda a: autnum("AS65200", a),
          rules("aut-num-outside-as-block")),
    Claim("aut-num in the registry's as-block", "aut-num", "AS64505", lambda a: autnum("AS64505", a),
          ('[as-block] AS64496 - AS64511 failed using "mnt-lower:"',)),
    Claim("top-level inetnum", "inetnum", "203.119.0.0 - 203.119.255.255",
          lambda a: inet("203.119.0.0 - 203.119.255.255", "ALLOCATED PORTABLE", a), rules(*TOP)),
    Claim("top-level inet6num", "inet6num", "2402:800::/32",
          lambda a: inet("2402:800::/32", "ALLOCATED PORTABLE", a), rules(*TOP)),
    Claim("portable status inside a member's allocation", "inetnum", "203.0.113.128 - 203.0.113.191",
          lambda a: inet("203.0.113.128 - 203.0.113.191", "ASSIGNED PORTABLE", a),
          rules("portable-status", "portable-needs-registry-maintainer")
          + ('[inetnum] 203.0.113.0 - 203.0.113.255 failed using "mnt-lower:"',), hostmaster_also=("member-pw",)),
    Claim("allocation status at the top", "inetnum", "100.64.0.0 - 100.64.255.255",
          lambda a: inet("100.64.0.0 - 100.64.255.255", "ALLOCATED NON-PORTABLE", a),
          rules("top-level-address-space", "status-needs-allocation"),
          hostmaster_refused_with='rule "status-needs-allocation"'),
    Claim("re-parenting with a new range around an allocation", "inetnum", "203.0.112.0 - 203.0.113.255",
          lambda a: inet("203.0.112.0 - 203.0.113.255", "ALLOCATED PORTABLE", a), rules(*TOP)),
    Claim("status of its own assignment to ALLOCATED PORTABLE", "inetnum", ASSIGNMENT,
          lambda a: inet(ASSIGNMENT, "ALLOCATED PORTABLE", STRANGER, netname="STRANGER-LAN",
                         mnt_by=tuple(dict.fromkeys((a.mnt, STRANGER.mnt)))),
          rules("status-change", "portable-needs-registry-maintainer"), modify=True, hostmaster_also=("stranger-pw",)),
    Claim("route in unallocated space", "route", "100.100.0.0/24AS65299",
          lambda a: f"route:          100.100.0.0/24\ndescr:          Claimed\norigin:         AS65299\n"
                    f"mnt-by:         {a.mnt}\nsource:         VNNIC\n", rules("unallocated-route")),
    Claim("a hostmaster's maintainer name", "mntner", "MAINT-VNNIC-HM2",
          lambda a: mntner("MAINT-VNNIC-HM2", "stranger-pw" if a is STRANGER else "hm2-pw", "hm2@vnnic.example"),
          rules("registry-maintainer-names"), hostmaster_also=("hm2-pw",)),
    Claim("the hostmaster in its own object's mnt-by", "person", "GM1-VN",
          lambda a: "person:         Giả Mạo\naddress:        Hà Nội\ncountry:        VN\nphone:          +84 24 0000 0001\n"
                    "e-mail:         gm@stranger.example\nnic-hdl:        GM1-VN\n"
                    + "".join(f"mnt-by:         {m}\n" for m in dict.fromkeys((a.mnt, "MAINT-VNNIC")))
                    + "source:         VNNIC\n", rules("registry-maintainers")),
    Claim("deleting a registry allocation", "inetnum", "198.51.100.0 - 198.51.100.255", lambda a: "",
          rules("registry-maintained", "top-level-address-space", "portable-status"), delete=True),
    Claim("deleting the registry's as-block", "as-block", "AS64496 - AS64511", lambda a: "",
          rules("as-block", "registry-maintained"), delete=True),
]


# -- the registry and the three channels ----------------------------------------------------------
browser = test_web_ui.browser   # the browser tests' Chromium (a module fixture)


@pytest.fixture
def site(store, tmp_path) -> Iterator[Site]:
    with serve(store, tmp_path, registry_maintainers=REGISTRY) as s:
        outcome = s.pipeline.process(from_texts([("password: stranger-pw\npassword: vnnic-pw\npassword: member-pw\n\n"
                                                  + "\n".join(setup_texts()), frozenset())]), "test setup")
        assert outcome.successful, [r.errors for r in outcome.requests]
        yield s


def stored(site: Site, claim: Claim) -> str | None:
    row = site.store.get("VNNIC", claim.cls, canonical_key(claim.cls, claim.pk))
    return row.object_text if row is not None else None


def claim_text(site: Site, claim: Claim, actor: Actor) -> str:
    return stored(site, claim) if claim.delete else claim.text(actor)


def journal(site: Site) -> list:
    return [(j.serial, j.operation, j.pk) for j in site.store.journal("VNNIC")]


def api(site: Site, text: str, passwords: tuple[str, ...], override: bool = False,
        delete: bool = False) -> tuple[bool, str]:
    """POST (or DELETE) /v1/submit/ over HTTP: (successful, the error messages)."""
    body = {"objects": [{"object_text": text}], "passwords": list(passwords)}
    if override:
        body["override"] = OVERRIDE
    if delete:
        body["delete_reason"] = "claimed"
    request = urllib.request.Request(site.url + "/v1/submit/", data=json.dumps(body).encode(), method=(
        "DELETE" if delete else "POST"), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        [result] = json.load(response)["objects"]
    return result["successful"], "\n".join(result["error_messages"])


def via_api(site: Site, claim: Claim, actor: Actor, passwords: tuple[str, ...]) -> tuple[bool, str]:
    return api(site, claim_text(site, claim, actor), passwords, actor.override, claim.delete)


def email_config(site: Site, sink: SmtpSink, tmp_path) -> str:
    """A configuration file for `irr submit` on the site's database."""
    path = tmp_path / "irr.toml"
    url = site.store.engine.url.render_as_string(hide_password=False)
    path.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "{url}"\n'
                    f'[email]\nsmtp_host = "{sink.host}"\nsmtp_port = {sink.port}\nfrom = "auto-dbm@vnnic.example"\n'
                    f'[auth]\noverride_password_hash = "{site.config.override_hash}"\n'
                    f'registry_maintainers = {json.dumps(list(REGISTRY))}\n'
                    '[sources.VNNIC]\nauthoritative = true\n[sources.APNIC]\ndescription = "mirror"\n')
    return str(path)


def via_email(config: str, site: Site, claim: Claim, actor: Actor) -> tuple[bool, str]:
    """The message as an MTA pipes it to `irr submit`; the acknowledgement it prints."""
    lines = [f"password: {p}" for p in actor.passwords] + ([f"override: {OVERRIDE}"] if actor.override else [])
    text = claim_text(site, claim, actor) + ("delete: claimed\n" if claim.delete else "")
    raw = mutt_inline(("Kẻ Lạ", "stranger@stranger.example"), "auto-dbm@vnnic.example", claim.name,
                      "\n".join(lines) + "\n\n" + text)
    proc = subprocess.run([sys.executable, "-m", "irr.cli", "--config", config, "submit", "--no-reply"],
                          input=raw, capture_output=True, cwd=REPO, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    return out.startswith("Subject: SUCCESS"), out


def via_web(page: Page, site: Site, claim: Claim, actor: Actor) -> tuple[bool, str]:
    """The create, modify (as RPSL text) or delete page, with the stranger's password."""
    key = urllib.parse.quote(canonical_key(claim.cls, claim.pk))
    if claim.delete:
        page.goto(f"{site.url}/delete/VNNIC/{claim.cls}/{key}")
        page.fill("#reason", "claimed")
    else:
        page.goto(f"{site.url}/modify/VNNIC/{claim.cls}/{key}?mode=text" if claim.modify
                  else f"{site.url}/create/{claim.cls}?mode=text")
        page.fill("#rpsl", claim.text(actor))
    page.fill("#password-1", actor.passwords[0])
    with page.expect_navigation():
        page.click("#submit")
    return page.locator(".flash").count() > 0, page.inner_text("body")


# -- the tests -------------------------------------------------------------------------------------
def test_a_stranger_claims_everything_through_every_channel_and_nothing_changes(site, browser, tmp_path):
    before = {c.name: stored(site, c) for c in CLAIMS}
    start = journal(site)
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    with SmtpSink() as sink:
        config = email_config(site, sink, tmp_path)
        for claim in CLAIMS:
            for channel, (ok, answer) in (("api", via_api(site, claim, STRANGER, STRANGER.passwords)),
                                          ("e-mail", via_email(config, site, claim, STRANGER)),
                                          ("web", via_web(page, site, claim, STRANGER))):
                assert not ok, f"{claim.name} accepted through {channel}:\n{answer}"
                for phrase in claim.refused_with:
                    assert phrase in answer, f"{claim.name} through {channel}: no {phrase!r} in\n{answer}"
                assert journal(site) == start, f"{claim.name} through {channel} changed the journal"
                assert stored(site, claim) == before[claim.name], f"{claim.name} through {channel}"
    context.close()
    assert "stranger-pw" not in json.dumps(journal(site))


@pytest.mark.parametrize("actor", [HOSTMASTER, OVERRIDER], ids=["hostmaster", "override"])
def test_the_hostmaster_and_the_override_can_do_each(site, actor):
    for claim in CLAIMS:
        start = journal(site)
        passwords = actor.passwords + (claim.hostmaster_also if actor is HOSTMASTER else ())
        ok, errors = via_api(site, claim, actor, passwords)
        if actor is HOSTMASTER and claim.hostmaster_refused_with:
            assert not ok and claim.hostmaster_refused_with in errors, errors
            assert journal(site) == start
            continue
        assert ok, f"{claim.name} refused to the {'override' if actor.override else 'hostmaster'}:\n{errors}"
        [entry] = journal(site)[len(start):]
        assert entry[1] == ("DEL" if claim.delete else "ADD")
        assert (stored(site, claim) is None) == claim.delete


def test_hostmaster_rights_come_from_the_stored_maintainer_only(site):
    """A mntner named like a hostmaster, created in the same submission, vouches for nothing."""
    start = journal(site)
    # the allocation first: while it is judged, the mntner after it is still a pending change
    text = (inet("203.119.0.0 - 203.119.255.255", "ALLOCATED PORTABLE", STRANGER, ("MAINT-VNNIC-HM2",)) + "\n"
            + mntner("MAINT-VNNIC-HM2", "stranger-pw", "hm2@stranger.example"))
    outcome = site.pipeline.process(from_texts([("password: stranger-pw\n\n" + text, frozenset())]), "test")
    assert [r.ok for r in outcome.requests] == [False, False]
    assert 'rule "top-level-address-space"' in "\n".join(outcome.requests[0].errors)
    assert 'rule "registry-maintainer-names"' in "\n".join(outcome.requests[1].errors)
    assert journal(site) == start


def submit_api(site: Site, text: str, *passwords: str, delete: bool = False) -> tuple[bool, str]:
    return api(site, text, passwords or MEMBER.passwords, delete=delete)


def route(prefix: str, origin: str = "AS64500") -> str:
    return (f"route:          {prefix}\ndescr:          Member route\norigin:         {origin}\n"
            "mnt-by:         MAINT-MEMBER\nsource:         VNNIC\n")


def test_a_member_works_inside_its_allocation_and_not_outside(site):
    """MAINT-MEMBER has mnt-lower and mnt-routes on 203.0.113.0/24 (ALLOCATED PORTABLE)."""
    inside = [inet("203.0.113.0 - 203.0.113.127", "ASSIGNED NON-PORTABLE", MEMBER, netname="MEMBER-LAN"),
              route("203.0.113.0/25"), route("203.0.113.64/26"),
              inet("203.0.113.128 - 203.0.113.191", "ALLOCATED NON-PORTABLE", MEMBER, netname="MEMBER-ISP"),
              inet("203.0.113.128 - 203.0.113.159", "ASSIGNED NON-PORTABLE", MEMBER, netname="ISP-LAN")]
    for text in inside:
        start = journal(site)
        ok, errors = submit_api(site, text)
        assert ok, f"{text}\n{errors}"
        assert len(journal(site)) == len(start) + 1
    start = journal(site)
    outside = [
        (inet("203.0.113.160 - 203.0.114.31", "ASSIGNED NON-PORTABLE", MEMBER),
         rules("top-level-address-space", "status-needs-allocation", "overlapping-range")),
        (route("203.0.114.0/24"), rules("unallocated-route")),
        (inet("203.0.113.0 - 203.0.113.63", "ASSIGNED NON-PORTABLE", MEMBER),
         ('rule "status-hierarchy": ASSIGNED NON-PORTABLE lies only inside ALLOCATED NON-PORTABLE or ALLOCATED '
          'PORTABLE: [inetnum] 203.0.113.0 - 203.0.113.127 above it is ASSIGNED NON-PORTABLE',)),
        (inet("203.0.113.128 - 203.0.113.143", "ASSIGNED PORTABLE", MEMBER),
         rules("portable-status", "portable-needs-registry-maintainer", "status-hierarchy")),
        (inet("198.51.100.0 - 198.51.100.63", "ASSIGNED NON-PORTABLE", MEMBER),
         ('[inetnum] 198.51.100.0 - 198.51.100.255 failed using "mnt-lower:"',)),
        (route("198.51.100.0/25"), ('[inetnum] 198.51.100.0 - 198.51.100.255 failed using "mnt-routes:"',)),
        (inet("203.0.113.0 - 203.0.113.127", "ASSIGNED PORTABLE", MEMBER, netname="MEMBER-LAN"),
         rules("status-change", "portable-needs-registry-maintainer")),
        (inet("203.0.113.0 - 203.0.113.127", "ASSIGNED NON-PORTABLE", MEMBER, ("MAINT-MEMBER", "MAINT-VNNIC"),
              netname="MEMBER-LAN"), rules("registry-maintainers")),
    ]
    for text, phrases in outside:
        ok, errors = submit_api(site, text)
        assert not ok, text
        for phrase in phrases:
            assert phrase in errors, f"{phrase!r} not in\n{errors}"
    assert journal(site) == start
    # the registry's own object: the hostmaster adds the member to its mnt-by; the member may then
    # change the description, but not what the registry owns
    allocation = site.store.get("VNNIC", "inetnum", "203.0.113.0 - 203.0.113.255").object_text
    joint = allocation.replace("mnt-by:         MAINT-VNNIC\n", "mnt-by:         MAINT-VNNIC\nmnt-by:         MAINT-MEMBER\n")
    assert submit_api(site, joint, "vnnic-pw")[0]
    assert submit_api(site, joint.replace("descr:          Member", "descr:          Thành viên"))[0]
    start = journal(site)
    for change, rule in ((("netname:        MEMBER-NET", "netname:        MINE"), "registry-netname"),
                         (("status:         ALLOCATED PORTABLE", "status:         ASSIGNED PORTABLE"), "status-change"),
                         (("mnt-by:         MAINT-VNNIC\n", ""), "registry-maintainers"),
                         (("country:        VN\n", "country:        VN\norg:            ORG-MEM1-VN\n"), "registry-org")):
        ok, errors = submit_api(site, joint.replace(*change))
        assert not ok and f'rule "{rule}"' in errors, errors
    ok, errors = submit_api(site, joint, delete=True)
    assert not ok and 'rule "registry-maintained"' in errors, errors
    assert journal(site) == start


def test_the_hierarchy_counts_the_objects_of_the_same_submission(site):
    """Objects created together are judged as they will stand: an assignment inside an assignment
    of the same submission is refused, a sub-allocation and its assignment are accepted, and of two
    ranges that overlap in part the later one is refused."""
    def together(*texts: str) -> list[tuple[bool, str]]:
        outcome = site.pipeline.process(from_texts([("password: member-pw\npassword: irt-pw\n\n" + "\n".join(texts),
                                                     frozenset())]), "test")
        return [(r.ok, "\n".join(r.errors)) for r in outcome.requests]

    start = journal(site)
    outer = inet("203.0.113.0 - 203.0.113.127", "ASSIGNED NON-PORTABLE", MEMBER)
    inner = inet("203.0.113.0 - 203.0.113.63", "ASSIGNED NON-PORTABLE", MEMBER)
    [(ok_inner, errors), (ok_outer, _)] = together(inner, outer)
    assert not ok_inner and 'rule "status-hierarchy"' in errors and ok_outer
    assert journal(site)[len(start):][0][2] == "203.0.113.0 - 203.0.113.127"
    isp = inet("203.0.113.128 - 203.0.113.191", "ALLOCATED NON-PORTABLE", MEMBER)
    assert [ok for ok, _ in together(inet("203.0.113.128 - 203.0.113.159", "ASSIGNED NON-PORTABLE", MEMBER),
                                      isp)] == [True, True]
    [(ok_first, _), (ok_second, errors)] = together(
        inet("203.0.113.160 - 203.0.113.175", "ASSIGNED NON-PORTABLE", MEMBER),
        inet("203.0.113.168 - 203.0.113.183", "ASSIGNED NON-PORTABLE", MEMBER))
    assert ok_first and not ok_second and 'partly overlaps [inetnum] 203.0.113.160 - 203.0.113.175' in errors
