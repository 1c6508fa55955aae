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
from mirror.nrtm4_files import delta_record
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


def every_output(config, store, source: str, key: str) -> dict[str, str]:
    """Everything that shows a mntner: whois (RIPE with and without -B, !m, !o), NRTMv3 and
    NRTMv4, the web pages, the history API."""
    lookups = Lookups(store.engine)
    session = Session([source], [source], frozenset({source}))
    outputs = {"ripe": ripe_query(key, session, lookups, store),
               "ripe -B": ripe_query(f"-B {key}", session, lookups, store),
               "ripe inverse": ripe_query(f"-i mnt-by {key}", session, lookups, store)}
    commands = IrrdCommands(RoutingMemory(store), lookups, store)
    outputs["!m"] = commands.handle(f"!mmntner,{key}", session).decode()
    outputs["!o"] = commands.handle(f"!o{key}", session).decode()
    outputs["nrtm -g"] = operations(store.journal(source), 3)
    outputs["nrtmv4 delta"] = json.dumps(delta_record("ADD", "mntner", key,
                                                      store.get(source, "mntner", key).object_text))
    client = create_app(config, store).test_client()
    pages = [f"/object/{source}/mntner/{key}", f"/history/{source}/mntner/{key}",
             f"/v1/history/{source}/mntner/{key}", f"/search?q={key}"]
    if config.source(source).authoritative:
        pages.append(f"/modify/{source}/mntner/{key}?mode=text")
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        outputs[page] = response.get_data(as_text=True)
    return outputs


def test_a_hash_on_a_continuation_line_is_masked_in_every_output(registry):  # noqa: F811
    outcome = submit(registry, "password: vnnic-pw\npassword: new-maintainer-pw\n\n" + MNTNER)
    assert one(outcome).ok, one(outcome).errors
    store = registry.store
    assert HASH in store.get("VNNIC", "mntner", "MAINT-CONT").object_text      # stored as written
    outputs = {"acknowledgement": email_reply(outcome), "api reply": json.dumps(api_reply(outcome)),
               "notifications": "".join(body for _, _, body in registry.sent.mails)}
    assert registry.sent.to("nfy@cont.example")
    outputs |= every_output(registry.config, store, "VNNIC", "MAINT-CONT")
    for where, text in outputs.items():
        assert SECRET not in text, where
    assert "BCRYPT-PW DummyValue" in outputs["ripe"] and "BCRYPT-PW DummyValue" in outputs["nrtm -g"]



MD5_HASH = "$1$Xy7qaZ3k$Pq9wTn4Lr2Vs8Jd1Hf6Kb0"
MIRRORED_AUTH = {  # auth lines as real registries publish them: a public word first, a hash after
    "MAINT-PGP-MD5": f"auth:           PGPKEY-12345678 MD5-PW {MD5_HASH}",
    "MAINT-PGP-CONT": f"auth:           PGPKEY-12345678\n+               MD5-PW {MD5_HASH}",
    "MAINT-PGP-COMMENT": f"auth:           PGPKEY-12345678 # MD5-PW {MD5_HASH}",
    "MAINT-SSO": f"auth:           SSO {MD5_HASH}",
    "MAINT-X509": f"auth:           X509-1 {MD5_HASH}",
    "MAINT-BCRYPT-SSO": f"auth:           SSO {HASH}",
}


def test_mirrored_hashes_after_a_public_word_are_masked_in_every_output(store, tmp_path):
    """`auth: PGPKEY-12345678 MD5-PW $1$...` and its kin (also on a `+` line or after a `#`), in a
    mirrored source, went out unmasked through -B, !m, !o and the web pages."""
    from irr.config import Config, SourceConfig
    from irr.store import Change
    from rpsl.lenient import load

    store.apply([Change("APNIC", "ADD", load(f"mntner:         {key}\n{auth}\nmnt-by:         {key}\n"
                                              "source:         APNIC\n"))
                 for key, auth in MIRRORED_AUTH.items()], origin="mirror test")
    config = Config(data_dir=tmp_path, sources={"APNIC": SourceConfig("APNIC")}, source_order=("APNIC",))
    for key in MIRRORED_AUTH:
        stored = store.get("APNIC", "mntner", key).object_text
        assert MD5_HASH[3:] in stored or SECRET in stored                   # stored as mirrored
        outputs = every_output(config, store, "APNIC", key)
        for where, text in outputs.items():
            assert MD5_HASH[3:] not in text and SECRET not in text, (key, where)
        assert "# Filtered for security" in outputs["ripe -B"] and "# Filtered for security" in outputs["!m"], key
        assert ("PGPKEY-12345678" if "PGP" in key else "X509-1" if "X509" in key else "SSO") in outputs["!o"]


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
