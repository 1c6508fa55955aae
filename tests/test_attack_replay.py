"""Attack: replaying an old PGP-signed mail (issue 12, item 4), with real gpg keys and a real SMTP sink.

A signature must be recent (RIPE: within an hour of its making; [updates] pgp_max_age) and not dated
ahead ([updates] pgp_max_future); and within that window each signature is accepted once, remembered
in PostgreSQL (the same signer, signing time and signed bytes), whatever the channel.
"""
from __future__ import annotations

import datetime as dt
import re

from irr.updates.service import handle_email
from tests import test_email_updates
from tests.attack_helpers import snapshot
from tests.mail_helpers import mutt_inline, mutt_pgp_mime
from tests.pgp_helpers import session_keys
from tests.test_email_updates import MEMBER, signer
from tests.update_helpers import ROUTE

MALLORY = ("Mallory", "mallory@other.example")
KEY = ("route", "203.0.113.0/24AS64500")
registry = test_email_updates.registry      # the e-mail suite's registry: alice's key trusted by MAINT-MEMBER


def route(descr: str) -> str:
    return ROUTE.replace("Member prefix", descr)


def stored(registry) -> str:
    return registry.store.get("VNNIC", *KEY).object_text


def test_replayed_inline_signed_mail_is_refused(registry):
    keys = session_keys()
    assert registry.mail(mutt_inline(MEMBER, "x", "create", "password: member-pw\n\n" + route("v0")))[0].successful
    signed = keys.home.clearsign(route("signed by alice"), keys.alice)
    old_mail = mutt_inline(MEMBER, "auto-dbm@vnnic.example", "alice signs", signed)
    outcome, reply = registry.mail(old_mail)
    assert outcome.successful, reply.text
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "later", "password: member-pw\n\n" + route("changed later")))
    assert outcome.successful and "changed later" in stored(registry)
    before = snapshot(registry.store)

    # mallory re-sends alice's mail as it was, and the signed block in a mail of her own
    outcome, reply = registry.mail(old_mail)
    assert not outcome.successful
    assert "that same signature was already submitted" in reply.text and "accepted only once" in reply.text
    outcome, _, text = handle_email(
        mutt_inline(MALLORY, "auto-dbm@vnnic.example", "again", f"Hi,\n\n{signed}\n"), registry.config,
        registry.store, registry.pipeline, reply=False)
    assert not outcome.successful and "already submitted" in text
    assert snapshot(registry.store) == before and "changed later" in stored(registry)


def test_replayed_pgp_mime_mail_is_refused(registry):
    keys = session_keys()
    raw = mutt_pgp_mime(MEMBER, "auto-dbm@vnnic.example", "mime", route("by pgp/mime"), signer(keys.alice))
    outcome, reply = registry.mail(raw)
    assert outcome.successful, reply.text
    assert registry.mail(mutt_inline(MEMBER, "x", "undo", "password: member-pw\n\n" + ROUTE + "delete: undo\n"))[0] \
        .successful
    before = snapshot(registry.store)
    outcome, reply = registry.mail(raw)
    assert not outcome.successful and "already submitted" in reply.text
    assert snapshot(registry.store) == before and registry.store.get("VNNIC", *KEY) is None


def test_old_and_future_signatures_are_refused(registry):
    """Signed two hours ago, or dated tomorrow, by a key the member trusts (made yesterday)."""
    from irr.store.lookups import Lookups
    from tests.pgp_helpers import Key
    from tests.test_email_updates import keycert_text

    keys = session_keys()
    now = dt.datetime.now(dt.UTC)
    uid = f"Alice old key {now:%H%M%S%f} <alice-old@example.net>"
    keys.home.gpg("--quick-gen-key", uid, "ed25519", "sign", "never",
                  time=(now - dt.timedelta(days=1)).strftime("%Y%m%dT%H%M%S!"))
    fingerprint = keys.home._fingerprints(uid)[0]
    old_key = Key(fingerprint, (uid,), keys.home.export_public(fingerprint))
    mntner = Lookups(registry.store.engine).by_key(["VNNIC"], "MAINT-MEMBER", ["mntner"])[0].text
    body = (f"password: member-pw\n\n{keycert_text(old_key)}\n"
            + mntner.replace("mnt-by:", f"auth:           {old_key.key_cert}\nmnt-by:", 1))
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "old key", body))
    assert outcome.successful, reply.text
    before = snapshot(registry.store)
    for when, reason in ((now - dt.timedelta(hours=2), "more than 1 hour ago"),
                         (now + dt.timedelta(days=1), "ahead of the registry's clock")):
        signed = keys.home.gpg("--clearsign", "--local-user", f"{fingerprint}!", input=route("time travel"),
                               time=when.strftime("%Y%m%dT%H%M%S!")).decode()
        outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "old", signed))
        assert not outcome.successful
        assert reason in reply.text and "not authenticated by: MAINT-MEMBER" in reply.text
        assert re.search(r"signature (was made at|is dated) \d{4}-\d\d-\d\d", reply.text)
    assert snapshot(registry.store) == before
    fresh = keys.home.gpg("--clearsign", "--local-user", f"{fingerprint}!", input=route("now")).decode()
    assert registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "now", fresh))[0].successful


def test_replay_through_the_web_form_is_refused(registry):
    """The same memory for a clear-signed text pasted into the web form."""
    from irr.web import create_app

    keys = session_keys()
    signed = keys.home.clearsign(route("signed for the web"), keys.alice)
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "signed", signed))
    assert outcome.successful, reply.text
    before = snapshot(registry.store)
    app = create_app(registry.config, registry.store)
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["irr_pipeline"] = registry.pipeline
    page = app.test_client().post("/create/route", data={"mode": "form", "op": "submit", "attr": ["source"],
                                                         "value": ["VNNIC"], "signed": signed})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "already submitted" in html
    assert snapshot(registry.store) == before


def test_a_preview_does_not_use_the_signature_up(registry):
    """The web form's Preview is a dry run: it does not use the signature, so Submit then works once."""
    from irr.web import create_app

    keys = session_keys()
    signed = keys.home.clearsign(route("previewed first"), keys.alice)
    app = create_app(registry.config, registry.store)
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["irr_pipeline"] = registry.pipeline
    form = {"mode": "form", "attr": ["source"], "value": ["VNNIC"], "signed": signed}
    preview = app.test_client().post("/create/route", data={**form, "op": "preview"})
    assert preview.status_code == 200 and registry.store.get("VNNIC", *KEY) is None
    assert app.test_client().post("/create/route", data={**form, "op": "submit"}).status_code == 303
    assert "previewed first" in stored(registry)
    before = snapshot(registry.store)
    again = app.test_client().post("/create/route", data={**form, "op": "submit"})
    assert again.status_code == 200 and "already submitted" in again.get_data(as_text=True)
    assert snapshot(registry.store) == before
