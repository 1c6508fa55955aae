"""Passwords and hashes never leave the registry: however a submitter writes them, no reply,
notification, whois answer, mirror stream or web page repeats them."""
from __future__ import annotations

import json

from passlib.hash import bcrypt

from irr.query.irrd import IrrdCommands
from irr.query.memory import RoutingMemory
from irr.query.nrtm import operations
from irr.query.ripe import ripe_query
from irr.query.session import Session
from irr.store.lookups import Lookups
from irr.updates.report import api_reply, email_reply
from irr.web import create_app
from mirror.nrtm4 import delta_record
from tests.test_updates import one, registry, submit  # noqa: F401 - registry is a fixture
from tests.update_helpers import ROUTE

HASH = bcrypt.using(rounds=4).hash("new-maintainer-pw")
SECRET = HASH[7:40]
MNTNER = f"""mntner:         MAINT-CONT
descr:          hash written on a continuation line
admin-c:        NVA1-VN
upd-to:         upd@cont.example
mnt-nfy:        nfy@cont.example
auth:           # the NOC's password
+               BCRYPT-PW
                {HASH}
mnt-by:         MAINT-CONT
referral-by:    MAINT-VNNIC
source:         VNNIC
"""


def test_a_hash_on_a_continuation_line_is_masked_in_every_output(registry):  # noqa: F811
    outcome = submit(registry, "password: vnnic-pw\npassword: new-maintainer-pw\n\n" + MNTNER)
    assert one(outcome).ok, one(outcome).errors
    store = registry.store
    assert HASH in store.get("VNNIC", "mntner", "MAINT-CONT").object_text      # stored as written
    outputs = {"acknowledgement": email_reply(outcome), "api reply": json.dumps(api_reply(outcome)),
               "notifications": "".join(body for _, _, body in registry.sent.mails)}
    assert registry.sent.to("nfy@cont.example")
    lookups = Lookups(store.engine)
    session = Session(["VNNIC"], ["VNNIC"], frozenset({"VNNIC"}))
    outputs["ripe"] = ripe_query("MAINT-CONT", session, lookups, store)
    outputs["ripe inverse"] = ripe_query("-i mnt-by MAINT-CONT", session, lookups, store)
    commands = IrrdCommands(RoutingMemory(store), lookups, store)
    outputs["!m"] = commands.handle("!mmntner,MAINT-CONT", session).decode()
    outputs["!o"] = commands.handle("!oMAINT-CONT", session).decode()
    outputs["nrtm -g"] = operations(store.journal("VNNIC"), 3)
    outputs["nrtmv4 delta"] = json.dumps(delta_record("ADD", "mntner", "MAINT-CONT",
                                                      store.get("VNNIC", "mntner", "MAINT-CONT").object_text))
    client = create_app(registry.config, store).test_client()
    for page in ("/object/VNNIC/mntner/MAINT-CONT", "/history/VNNIC/mntner/MAINT-CONT",
                 "/v1/history/VNNIC/mntner/MAINT-CONT", "/modify/VNNIC/mntner/MAINT-CONT?mode=text",
                 "/search?q=MAINT-CONT"):
        response = client.get(page)
        assert response.status_code == 200, page
        outputs[page] = response.get_data(as_text=True)
    for where, text in outputs.items():
        assert SECRET not in text, where
    assert "BCRYPT-PW DummyValue" in outputs["ripe"] and "BCRYPT-PW DummyValue" in outputs["nrtm -g"]


def test_an_indented_password_is_taken_as_a_password_not_as_text(registry):  # noqa: F811
    """`  password: x` under another attribute would otherwise join its value and be echoed."""
    route = ROUTE.replace("descr:          Member prefix\n", "descr:          Member prefix\n   password: member-pw\n")
    outcome = submit(registry, route)
    assert one(outcome).ok, one(outcome).errors
    assert "member-pw" not in registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500").object_text
    wrong = route.replace("203.0.113.0/24", "203.0.113.0/25").replace("member-pw", "not-my-password")
    outcome = submit(registry, wrong)
    assert not one(outcome).ok and one(outcome).auth_failed
    for text in (email_reply(outcome), json.dumps(api_reply(outcome)),
                 *(body for _, _, body in registry.sent.mails)):
        assert "not-my-password" not in text


def test_a_password_typed_where_its_hash_belongs_is_not_repeated(registry):  # noqa: F811
    for auth in ("MD5-PW hunter2-typed-in-clear", "hunter2-typed-in-clear", "BCRYPT-PW hunter2-typed-in-clear x"):
        text = MNTNER.replace(f"auth:           # the NOC's password\n+               BCRYPT-PW\n                {HASH}",
                              f"auth:           {auth}")
        outcome = submit(registry, "password: vnnic-pw\n\n" + text)
        request = one(outcome)
        assert not request.ok and any("auth" in e for e in request.errors), request.errors
        for reply in (email_reply(outcome), json.dumps(api_reply(outcome))):
            assert "hunter2" not in reply, (auth, reply)


def test_more_than_ten_passwords_are_refused_before_any_check(registry):  # noqa: F811
    """Each password is checked against every hash: their number is bounded."""
    passwords = "".join(f"password: guess-{i}\n" for i in range(10)) + "password: member-pw\n"
    request = one(submit(registry, passwords + "\n" + ROUTE))
    assert not request.ok and any("11 passwords in one submission: at most 10" in e for e in request.errors)
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert one(submit(registry, passwords.replace("password: guess-0\n", "") + "\n" + ROUTE)).ok
