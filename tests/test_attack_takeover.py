"""Attack: taking over other people's objects with one's own credentials (issue 12, item 1).

A modification or deletion is authorised by the maintainers of the STORED object (and, when mnt-by
changes, the new ones too); a mntner's stored auth: lines count, never the submitted ones; masked
hashes stand for the stored hashes. Mallory (MAINT-OTHER, her own password) tries every class through
the HTTP API, by e-mail and through the web form; each attempt changes nothing (journal and object
texts) and the answer says why. References that decide authorisation (irt auth:, organisation
mnt-ref, parents of sets and routes) come from stored objects, not from versions sent alongside.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from irr.updates.service import handle_email
from rpsl.output import mask_hashes
from tests.attack_helpers import ALICE, MALLORY, attacked_site, errors, own_hash, snapshot
from tests.mail_helpers import SmtpSink, mutt_inline
from tests.pgp_helpers import session_keys
from tests.web_helpers import CHROMIUM, CHROMIUM_ARGS

NOT_MEMBER = "not authenticated by: MAINT-MEMBER"


@pytest.fixture
def site(store, tmp_path):
    with attacked_site(store, tmp_path) as s:
        yield s


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, (old, text)
    return text.replace(old, new, 1)


def _add(text: str, line: str) -> str:
    """`line` added before source:."""
    return _edit(text, "\nsource:", f"\n{line}\nsource:")


# Each case: the objects Mallory submits (built from the stored ones) and what the answer must say.
def _cases(site) -> dict[str, tuple[list[str], list[str]]]:
    t = site.text
    alice_key = session_keys().alice.key_cert
    mallory_space = ("inetnum:        198.51.100.0 - 198.51.100.63\nnetname:        MALLORY-SUB\ndescr:          Mallory\n"
                     "country:        VN\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\n"
                     "status:         ASSIGNED NON-PORTABLE\nmnt-by:         MAINT-OTHER\nmnt-irt:        IRT-MEMBER-VN\n"
                     "source:         VNNIC\n")
    return {
        "mntner with her own hash": ([own_hash(t("mntner", "MAINT-MEMBER"))], [NOT_MEMBER]),
        "mntner masked as whois shows it": ([mask_hashes(t("mntner", "MAINT-MEMBER"))], [NOT_MEMBER]),
        "mntner masked, then used at once": (
            [mask_hashes(t("mntner", "MAINT-MEMBER")), _add(t("as-set", "AS64500:AS-CUSTOMERS"), "members:        AS64501")],
            [NOT_MEMBER]),
        "the hostmasters' mntner": ([own_hash(t("mntner", "MAINT-VNNIC"))], ["not authenticated by: MAINT-VNNIC"]),
        "person": ([_edit(t("person", "NVA1-VN"), "MAINT-MEMBER", "MAINT-OTHER")], [NOT_MEMBER]),
        "role": ([_edit(t("role", "MNOC1-VN"), "noc@member.example", "noc@mallory.example")], [NOT_MEMBER]),
        "irt, and using it at once": (
            [own_hash(_edit(t("irt", "IRT-MEMBER-VN"), "MAINT-MEMBER", "MAINT-OTHER")), mallory_space],
            [NOT_MEMBER, "Authorisation for [irt] IRT-MEMBER-VN failed"]),
        "key-cert": ([_add(t("key-cert", alice_key), "remarks:        mallory was here")], [NOT_MEMBER]),
        "organisation, and using it at once": (
            [_edit(t("organisation", "ORG-MEM1-VN"), "mnt-ref:        MAINT-MEMBER", "mnt-ref:        MAINT-OTHER"),
             _add(mallory_space, "org:            ORG-MEM1-VN")],
            ["not authenticated by: MAINT-VNNIC", 'failed using "mnt-ref:" not authenticated by: MAINT-MEMBER']),
        "as-set": ([_add(t("as-set", "AS64500:AS-CUSTOMERS"), "members:        AS64501")], [NOT_MEMBER]),
        "as-set below an aut-num changed at once": (
            [_add(t("aut-num", "AS64500"), "mnt-lower:      MAINT-OTHER"),
             _edit(t("as-set", "AS64500:AS-CUSTOMERS"), "AS64500:AS-CUSTOMERS", "AS64500:AS-EVIL")
             .replace("MAINT-MEMBER", "MAINT-OTHER").replace("last-modified", "remarks")],
            [NOT_MEMBER, 'parent [aut-num] AS64500 failed using "mnt-by:" not authenticated by: MAINT-MEMBER']),
        "route-set": ([_add(t("route-set", "AS64500:RS-ROUTES"), "members:        198.51.100.0/24")], [NOT_MEMBER]),
        "aut-num": ([_edit(t("aut-num", "AS64500"), "mnt-by:         MAINT-MEMBER", "mnt-by:         MAINT-OTHER")],
                    [NOT_MEMBER]),
        "route": ([_edit(t("route", "203.0.113.0/24AS64500"), "mnt-by:         MAINT-MEMBER",
                         "mnt-by:         MAINT-OTHER")], [NOT_MEMBER]),
        "route from her space with his origin, his aut-num changed at once": (
            [_edit(t("aut-num", "AS64500"), "mnt-routes:     MAINT-MEMBER", "mnt-routes:     MAINT-OTHER"),
             "route:          198.51.100.0/24\ndescr:          hijack\norigin:         AS64500\n"
             "mnt-by:         MAINT-OTHER\nsource:         VNNIC\n"],
            [NOT_MEMBER, 'parent [aut-num] AS64500 failed using "mnt-routes:" not authenticated by: MAINT-MEMBER']),
        "route6": ([_edit(t("route6", "2001:DB8::/32AS64500"), "mnt-by:         MAINT-MEMBER",
                          "mnt-by:         MAINT-OTHER")], [NOT_MEMBER]),
        "inetnum below his allocation, its mnt-lower changed at once": (
            [_edit(t("inetnum", "203.0.113.0 - 203.0.113.255"), "mnt-lower:      MAINT-MEMBER",
                   "mnt-lower:      MAINT-OTHER"),
             mallory_space.replace("198.51.100.", "203.0.113.").replace("mnt-irt:        IRT-MEMBER-VN\n", "")
             .replace("source:", "mnt-irt:        IRT-MEMBER-VN\nsource:")],
            ["not authenticated by: MAINT-VNNIC", 'failed using "mnt-lower:" not authenticated by: MAINT-MEMBER']),
        "inet6num": ([_add(t("inet6num", "2001:DB8::/32"), "mnt-routes:     MAINT-OTHER")],
                     ["not authenticated by: MAINT-VNNIC"]),
        "domain": ([_edit(t("domain", "113.0.203.IN-ADDR.ARPA"), "ns1.member.example", "ns1.mallory.example")],
                   [NOT_MEMBER]),
        "as-block": ([_add(t("as-block", "AS64496 - AS64511"), "mnt-lower:      MAINT-OTHER")],
                     ["not authenticated by: MAINT-VNNIC"]),
    }


CASES = ["mntner with her own hash", "mntner masked as whois shows it", "mntner masked, then used at once",
         "the hostmasters' mntner", "person", "role", "irt, and using it at once", "key-cert",
         "organisation, and using it at once", "as-set", "as-set below an aut-num changed at once", "route-set",
         "aut-num", "route", "route from her space with his origin, his aut-num changed at once", "route6",
         "inetnum below his allocation, its mnt-lower changed at once", "inet6num", "domain", "as-block"]


@pytest.mark.parametrize("case", CASES)
def test_api_takeover_with_her_own_password_changes_nothing(site, case):
    texts, expected = _cases(site)[case]
    before = snapshot(site.store)
    answer = site.post(texts, [MALLORY, "irt-guess"])
    assert answer["summary"]["successful"] == 0, answer
    said = errors(answer)
    for phrase in expected:
        assert any(phrase in e for e in said), (phrase, said)
    assert snapshot(site.store) == before


def test_api_mntner_takeover_and_then_the_set(site):
    """The attack of the report, step by step: mallory's hash in MAINT-MEMBER, then her AS in the set."""
    before = snapshot(site.store)
    answer = site.post([own_hash(site.text("mntner", "MAINT-MEMBER"))], [MALLORY])
    assert answer["objects"][0]["successful"] is False and NOT_MEMBER in errors(answer)[0]
    answer = site.post([_add(site.text("as-set", "AS64500:AS-CUSTOMERS"), "members:        AS64501")], [MALLORY])
    assert answer["objects"][0]["successful"] is False and NOT_MEMBER in errors(answer)[0]
    assert snapshot(site.store) == before


def test_masked_mntner_kept_by_its_maintainer_and_self_maintained_one_deleted(site):
    """The legitimate side of the rule: alice re-submits her masked mntner with her password (the hashes
    stay as stored, her password still works, mallory's still doesn't), and a self-maintained mntner that
    nothing else references is deleted with its own password."""
    stored = site.text("mntner", "MAINT-MEMBER")
    answer = site.post([_edit(mask_hashes(stored), "descr:          MAINT-MEMBER", "descr:          Alice's")],
                       [ALICE], client="127.0.0.1")
    assert answer["summary"]["successful_modify"] == 1, answer
    now = site.text("mntner", "MAINT-MEMBER")
    assert "Alice's" in now and re.findall(r"^auth:.*$", now, re.M) == re.findall(r"^auth:.*$", stored, re.M)
    route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "still mine")
    assert site.post([route], [ALICE], client="127.0.0.1")["summary"]["successful"] == 1
    assert site.post([route.replace("still mine", "hers")], [MALLORY])["summary"]["successful"] == 0

    alone = own_hash(_edit(stored, "MAINT-MEMBER", "MAINT-ALONE").replace("MAINT-MEMBER", "MAINT-ALONE"), "alone-pw")
    assert site.post([alone], ["alone-pw"], client="127.0.0.1")["summary"]["successful_create"] == 1
    assert site.post([site.text("mntner", "MAINT-ALONE")], [MALLORY], delete="gone")["summary"]["successful"] == 0
    answer = site.post([mask_hashes(site.text("mntner", "MAINT-ALONE"))], ["alone-pw"], delete="not needed",
                       client="127.0.0.1")
    assert answer["summary"]["successful_delete"] == 1, answer
    assert site.store.get("VNNIC", "mntner", "MAINT-ALONE") is None


def test_email_takeover_with_the_masked_text_from_whois(store, tmp_path):
    """By mail (the `irr submit` path): the masked mntner as whois prints it, with mallory's password;
    and with her own hash. Refused, nothing changed, the reply says why."""
    with SmtpSink() as sink, attacked_site(store, tmp_path) as site:
        config = sink.configure(site.config)
        whois_text = site.pipeline.lookups.by_key(["VNNIC"], "MAINT-MEMBER", ["mntner"])[0].whois_text()
        assert "DummyValue" in whois_text
        before = snapshot(store)
        mallory = ("Mallory", "mallory@other.example")
        for body in (whois_text, own_hash(site.text("mntner", "MAINT-MEMBER"))):
            raw = mutt_inline(mallory, "auto-dbm@vnnic.example", "mine now", f"password: {MALLORY}\n\n{body}")
            outcome, title, reply = handle_email(raw, config, store, site.pipeline, reply=False)
            assert title == "FAILED: mine now"
            assert "Modify FAILED: [mntner] MAINT-MEMBER" in reply and NOT_MEMBER in reply
        assert snapshot(store) == before


def test_web_form_takeover_submitting_the_prefilled_masked_form(store, tmp_path):
    """In Chromium: the modify form of MAINT-MEMBER, pre-filled with masked hashes, submitted unchanged
    with mallory's password: refused beside the password field; then alice does it with hers."""
    with attacked_site(store, tmp_path) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            page.set_default_timeout(10000)
            before = snapshot(store)
            page.goto(site.url + "/modify/VNNIC/mntner/MAINT-MEMBER")
            assert "DummyValue" in page.content() and "$2b$" not in page.content()
            page.fill("#password-1", MALLORY)
            with page.expect_navigation():
                page.click("#submit")
            expect(page.locator("#password-error")).to_contain_text(NOT_MEMBER)
            assert snapshot(store) == before
            page.fill("#password-1", ALICE)
            with page.expect_navigation():
                page.click("#submit")
            assert snapshot(store)[0] == before[0]     # unchanged form from alice: nothing to record
            assert site.text("mntner", "MAINT-MEMBER") == before[1][("mntner", "MAINT-MEMBER")]
        finally:
            browser.close()
