"""The staff override leaves a trace (issue 12, item 6): the journal origin says who used it, from
where and for which objects; a log line; /metrics; and, as RIPE does, the maintainers concerned are
notified like for any change (their upd-to too: mnt-nfy is optional), told that the override was used."""
from __future__ import annotations

import logging
import re

import pytest

from irr.updates.service import handle_email
from tests.attack_helpers import attacked_site, errors
from tests.mail_helpers import SmtpSink, mutt_inline


@pytest.fixture
def site(store, tmp_path):
    with attacked_site(store, tmp_path) as s:
        s.sent.mails.clear()      # the set-up's own notifications
        yield s


def test_override_through_the_api_is_journalled_logged_counted_and_notified(site, caplog):
    caplog.set_level(logging.INFO)
    route = site.text("route", "203.0.113.0/24AS64500").replace("mnt-by:         MAINT-MEMBER",
                                                                 "mnt-by:         MAINT-OTHER")
    person = site.text("person", "NVA1-VN").replace("Hà Nội", "Hải Phòng")
    body = {"objects": [{"object_text": route}, {"object_text": person}], "override": "staff-override"}
    answer = site.app.test_client().post("/v1/submit/", json=body, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert answer.get_json()["summary"]["successful_modify"] == 2, answer.get_json()
    origins = [j.origin for j in site.store.journal("VNNIC")[-2:]]
    expected = ("api 192.0.2.10 with the staff override (2 object(s): modify [route] 203.0.113.0/24AS64500, "
                "modify [person] NVA1-VN)")
    assert origins == [expected, expected]
    assert f"staff override used: {expected}" in caplog.text and "staff-override" not in caplog.text
    metrics = site.app.test_client().get("/metrics").get_data(as_text=True)
    assert re.search(r'^irr_staff_override_uses_total\{channel="api"\} 1\.0$', metrics, re.M), metrics
    for address in ("upd@member.example", "nfy@member.example", "upd@other.example", "nfy@other.example"):
        told = site.sent.to(address)
        assert told and "made by the registry's staff with the override" in told[0] and expected in told[0], address
    assert "staff-override" not in str(site.sent.mails)


def test_override_dry_run_is_logged_and_notifies_nobody(site, caplog):
    caplog.set_level(logging.INFO)
    route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "preview")
    body = {"objects": [{"object_text": route}], "override": "staff-override", "dry_run": True}
    answer = site.app.test_client().post("/v1/submit/", json=body, environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert answer.get_json()["summary"]["successful"] == 1 and not errors(answer.get_json())
    assert "staff override used (dry run): api 192.0.2.11 with the staff override (1 object(s): modify [route]" \
        in caplog.text
    assert site.sent.mails == []


def test_override_by_mail_names_the_message_and_sender(store, tmp_path):
    with SmtpSink() as sink, attacked_site(store, tmp_path) as site:
        config = sink.configure(site.config)
        route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "fixed by staff")
        raw = mutt_inline(("Hostmaster", "hm@vnnic.example"), "auto-dbm@vnnic.example", "fix",
                          "override: staff-override\n\n" + route, message_id="<fix-1@vnnic.example>")
        outcome, title, reply = handle_email(raw, config, store, site.pipeline, reply=False)
        assert outcome.successful, reply
        assert site.store.journal("VNNIC")[-1].origin == (
            "email <fix-1@vnnic.example> from hm@vnnic.example with the staff override "
            "(1 object(s): modify [route] 203.0.113.0/24AS64500)")


def test_a_wrong_override_counts_as_a_failed_attempt(site):
    from irr.updates.limiter import Limiter

    pipeline = site.pipeline
    pipeline.limiter = Limiter({**pipeline.config.updates, "failed_auth_per_client": 3}, pipeline.security)
    route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "guessing")
    for _ in range(3):
        body = {"objects": [{"object_text": route}], "override": "guess", "dry_run": True}
        site.app.test_client().post("/v1/submit/", json=body, environ_base={"REMOTE_ADDR": "192.0.2.12"})
    body = {"objects": [{"object_text": route}], "override": "staff-override", "dry_run": True}
    answer = site.app.test_client().post("/v1/submit/", json=body, environ_base={"REMOTE_ADDR": "192.0.2.12"})
    reply = answer.get_json()["objects"][0]
    assert not reply["successful"]
    assert any("The override password was not checked: Too many failed attempts" in i for i in reply["info_messages"])
