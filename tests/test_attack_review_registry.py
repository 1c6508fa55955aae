"""Attack review of the registry's authority (irr/updates/registry.py) as merged: a stranger with a
maintainer of its own, through the HTTP API and e-mail.

- The registry rules check the hostmasters' credentials: those password checks are failed attempts
  like any other, else a dry run that breaks a rule is a silent, unlimited oracle for the
  hostmasters' password.
- An inetnum created in the same submission is a parent only while its own creation stands: a
  child listed before its (refused) parent must not slip in at the top of the address space.
- A hostmaster who signs with PGP, or anyone who signs a submission that breaks a rule while a
  hostmaster has a PGPKEY- line, gets an answer, not a crash.
"""
from __future__ import annotations

import json
import urllib.request

from irr.store.security import SecurityStore
from tests import test_email_updates, test_registry_authority
from tests.attack_helpers import snapshot
from tests.mail_helpers import mutt_inline
from tests.pgp_helpers import session_keys
from tests.test_email_updates import MEMBER, keycert_text
from tests.test_registry_authority import CONTACTS, STRANGER, inet, journal

registry = test_email_updates.registry      # the e-mail suite's registry (alice's key trusted by MAINT-MEMBER)
site = test_registry_authority.site         # the authority suite's web app (a stranger, hostmasters MAINT-VNNIC)
AS_BLOCK = (f"as-block:       AS65000 - AS65099\n{CONTACTS}mnt-by:         MAINT-STRANGER\n"
            "source:         VNNIC\n")


def submit(web, texts: list[str], passwords: list[str], dry_run: bool = False) -> list[dict]:
    """POST /v1/submit/ over HTTP; each object's result."""
    body = {"objects": [{"object_text": t} for t in texts], "passwords": passwords, "dry_run": dry_run}
    request = urllib.request.Request(web.url + "/v1/submit/", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["objects"]


def test_guessing_the_hostmasters_password_through_a_registry_rule_is_limited(site):
    """The stranger's own password passes the as-block's mnt-by; nine guesses per dry run go to the
    hostmasters' mntner through the registry rule. They count: after 20, even the right one fails."""
    start, objects = journal(site), snapshot(site.store)
    for n in range(2):
        [result] = submit(site, [AS_BLOCK], ["stranger-pw", *(f"guess-{n}-{i}" for i in range(9))], dry_run=True)
        assert not result["successful"]
        assert 'registry rule "as-block"' in "\n".join(result["error_messages"])
    locked = SecurityStore(site.store.engine).lockouts(3600, 30, 20)
    assert "mntner VNNIC MAINT-VNNIC" in locked, locked
    [result] = submit(site, [AS_BLOCK], ["stranger-pw", "vnnic-pw"])
    answer = "\n".join(result["error_messages"])
    assert not result["successful"], "the hostmasters' password was still checked after 20 failed guesses"
    assert 'registry rule "as-block"' in answer
    assert "Too many failed attempts to authenticate as mntner MAINT-VNNIC" in answer
    assert journal(site) == start and snapshot(site.store) == objects
    assert site.store.get("VNNIC", "as-block", "AS65000 - AS65099") is None


def test_a_child_before_its_refused_parent_is_refused_too(site):
    """Child first: while it is checked, its parent (later in the submission) is still pending."""
    start, objects = journal(site), snapshot(site.store)
    for child, parent in (("100.64.0.0 - 100.64.0.255", "100.64.0.0 - 100.64.255.255"),
                          ("2001:db9:1::/48", "2001:db9::/32")):
        results = submit(site, [inet(child, "ASSIGNED NON-PORTABLE", STRANGER),
                                inet(parent, "ALLOCATED PORTABLE", STRANGER)], list(STRANGER.passwords))
        assert [r["successful"] for r in results] == [False, False], results
        assert 'rule "top-level-address-space"' in "\n".join(results[0]["error_messages"])
        assert 'rule "status-needs-allocation"' in "\n".join(results[0]["error_messages"])
        assert 'rule "top-level-address-space"' in "\n".join(results[1]["error_messages"])
    assert journal(site) == start and snapshot(site.store) == objects


def test_pgp_signed_submissions_meet_a_hostmaster_with_a_pgp_key(registry):
    """MAINT-VNNIC authenticates with bob's key. Alice (a member) signs an as-block: refused with the
    rule, not a crash; bob signs it: created."""
    keys = session_keys()
    hostmaster = registry.store.get("VNNIC", "mntner", "MAINT-VNNIC").object_text
    setup = ("password: vnnic-pw\npassword: member-pw\n\n"
             + keycert_text(keys.bob) + "\n" + hostmaster.replace("mnt-by:", f"auth:           {keys.bob.key_cert}\n"
                                                                   "mnt-by:", 1))
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "hostmaster key", setup))
    assert outcome.successful, reply.text
    block = AS_BLOCK.replace("MAINT-STRANGER", "MAINT-VNNIC")
    before = snapshot(registry.store)
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "alice's block",
                                               keys.home.clearsign(block, keys.alice)))
    assert not outcome.successful
    assert 'registry rule "as-block"' in reply.text and "not authenticated by: MAINT-VNNIC" in reply.text
    assert snapshot(registry.store) == before
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "bob's block",
                                               keys.home.clearsign(block, keys.bob)))
    assert outcome.successful, reply.text
    assert registry.store.get("VNNIC", "as-block", "AS65000 - AS65099") is not None


def zone(name: str, mnt: str) -> str:
    return (f"domain:         {name}\ndescr:          Reverse zone\n{CONTACTS}zone-c:         NVA1-VN\n"
            f"nserver:        ns1.stranger.example\nmnt-by:         {mnt}\nsource:         VNNIC\n")


def test_reverse_zones_over_other_peoples_space_are_the_registrys(site):
    """0.203.in-addr.arpa holds the member's 203.0.113.0/24, d.0.1.0.0.2.ip6.arpa its 2001:db8::/32:
    no inetnum/inet6num covers either zone, so nobody's mnt-domains/mnt-lower had a say."""
    start, objects = journal(site), snapshot(site.store)
    for name in ("0.203.in-addr.arpa", "in-addr.arpa", "d.0.1.0.0.2.ip6.arpa"):
        [result] = submit(site, [zone(name, "MAINT-STRANGER")], list(STRANGER.passwords))
        assert not result["successful"], f"{name} was created by a stranger"
        assert 'registry rule "unallocated-domain"' in "\n".join(result["error_messages"])
    assert journal(site) == start and snapshot(site.store) == objects
    [result] = submit(site, [zone("0.203.in-addr.arpa", "MAINT-VNNIC")], ["vnnic-pw"])
    assert result["successful"], result
