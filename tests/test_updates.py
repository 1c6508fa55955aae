"""The update pipeline against a real PostgreSQL: validation, authorisation rules, references,
journal and serials, dry runs, history, the HTTP API."""
from __future__ import annotations

import threading

import pytest

from irr.store.lookups import Lookups
from irr.updates.pipeline import Pipeline
from irr.updates.submission import from_texts
from tests.update_helpers import ROUTE, ROUTE6, registry_config, setup_registry


class Sent:
    """Notifications, captured at the send function (the e-mail path is tested with a real SMTP sink)."""

    def __init__(self):
        self.mails: list[tuple[list[str], str, str]] = []

    def __call__(self, to, subject, body):
        self.mails.append((list(to), subject, body))

    def to(self, address: str) -> list[str]:
        return [body for rcpt, _, body in self.mails if address in rcpt]


@pytest.fixture
def registry(store, tmp_path):
    from passlib.hash import bcrypt

    from irr.updates.notify import Notifier
    from irr.updates.service import keyring_for

    setup_registry(store)
    config = registry_config(tmp_path, override_hash=bcrypt.using(rounds=4).hash("staff-override"))
    sent = Sent()
    pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config), Notifier(config, sent))
    pipeline.sent = sent
    return pipeline


def submit(pipeline, text: str, signers=frozenset()):
    return pipeline.process(from_texts([(text, signers)]), origin="test")


def one(outcome):
    assert len(outcome.requests) == 1, [r.text for r in outcome.requests]
    return outcome.requests[0]


def journal(pipeline):
    return [(j.serial, j.operation, j.object_class, j.pk) for j in pipeline.store.journal("VNNIC")]


def test_create_route_with_password_sets_last_modified_and_journals(registry):
    before = journal(registry)
    req = one(submit(registry, "password: member-pw\n\n" + ROUTE))
    assert req.ok, req.errors
    assert req.operation == "create" and req.pk == "203.0.113.0/24AS64500"
    row = registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500")
    assert "last-modified:" in row.object_text and row.object_text.startswith("route:          203.0.113.0/24\n")
    assert journal(registry) == before + [(before[-1][0] + 1, "ADD", "route", "203.0.113.0/24AS64500")]
    # the member's mnt-nfy hears of it
    assert any("Create succeeded" in b for b in registry.sent.to("nfy@member.example"))


def test_md5_password_works_too_and_wrong_password_fails(registry):
    assert one(submit(registry, "password: member-md5-pw\n\n" + ROUTE6)).ok
    req = one(submit(registry, "password: wrong\n\n" + ROUTE))
    assert not req.ok and any('not authenticated by: MAINT-MEMBER' in e for e in req.errors)
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    # the failed attempt goes to upd-to
    assert any("FAILED AUTHORISATION" in b for b in registry.sent.to("upd@member.example"))


def test_modify_needs_old_and_new_maintainers(registry):
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE)).ok
    moved = ROUTE.replace("mnt-by:         MAINT-MEMBER", "mnt-by:         MAINT-OTHER")
    req = one(submit(registry, "password: other-pw\n\n" + moved))
    assert not req.ok and req.operation == "modify"
    assert any("MAINT-MEMBER" in e for e in req.errors)
    req = one(submit(registry, "password: other-pw\npassword: member-pw\n\n" + moved))
    assert req.ok and req.operation == "modify"


def test_identical_resubmission_is_a_noop(registry):
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE)).ok
    count = len(journal(registry))
    req = one(submit(registry, "password: member-pw\n\n" + ROUTE))
    assert req.ok and req.operation == "noop"
    assert len(journal(registry)) == count


def test_route_needs_the_address_holder_and_the_origin_holder(registry):
    # 198.51.100.0/24 belongs to MAINT-OTHER's space (mnt-routes MAINT-OTHER)
    foreign = ROUTE.replace("203.0.113.0/24", "198.51.100.0/24")
    req = one(submit(registry, "password: member-pw\n\n" + foreign))
    assert not req.ok and any("parent [inetnum] 198.51.100.0 - 198.51.100.255" in e for e in req.errors)
    assert any("FAILED AUTHORISATION" in b for b in registry.sent.to("upd@other.example"))
    assert one(submit(registry, "password: member-pw\npassword: other-pw\n\n" + foreign)).ok
    # origin AS64501 is MAINT-OTHER's aut-num: its holder must agree (APNIC)
    other_origin = ROUTE.replace("AS64500", "AS64501")
    req = one(submit(registry, "password: member-pw\n\n" + other_origin))
    assert not req.ok and any("[aut-num] AS64501" in e for e in req.errors)


def test_mnt_routes_prefix_lists(registry):
    # MAINT-MEMBER's mnt-routes covers 203.0.113.0/24^+ only; a /25 inside is fine
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE.replace("203.0.113.0/24", "203.0.113.128/25"))).ok


def test_hierarchical_inetnum_needs_mnt_lower(registry):
    child = ("inetnum:        203.0.113.0 - 203.0.113.63\nnetname:        CUSTOMER\ndescr:          Customer\n"
             "country:        VN\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\nstatus:         ASSIGNED NON-PORTABLE\n"
             "mnt-by:         MAINT-OTHER\nmnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n")
    req = one(submit(registry, "password: other-pw\npassword: irt-pw\n\n" + child))
    assert not req.ok and any('using "mnt-lower:"' in e for e in req.errors)
    assert one(submit(registry, "password: other-pw\npassword: member-pw\npassword: irt-pw\n\n" + child)).ok


def test_aut_num_needs_as_block_and_irt_and_org_consent(registry):
    autnum = ("aut-num:        AS64502\nas-name:        NEW\ndescr:          New\ncountry:        VN\n"
              "org:            ORG-MEM1-VN\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\nmnt-by:         MAINT-MEMBER\n"
              "mnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n")
    req = one(submit(registry, "password: member-pw\npassword: irt-pw\n\n" + autnum))
    assert not req.ok and any("[as-block] AS64496 - AS64511" in e for e in req.errors)
    req = one(submit(registry, "password: member-pw\npassword: vnnic-pw\n\n" + autnum))
    assert not req.ok and any("[irt] IRT-MEMBER-VN" in e for e in req.errors)
    assert one(submit(registry, "password: member-pw\npassword: vnnic-pw\npassword: irt-pw\n\n" + autnum)).ok


def test_hierarchical_set_names(registry):
    as_set = ("as-set:         AS64500:AS-CUSTOMERS\ndescr:          Customers\nmembers:        AS64501\n"
              "tech-c:         NVA1-VN\nadmin-c:        NVA1-VN\nmnt-by:         MAINT-OTHER\nsource:         VNNIC\n")
    req = one(submit(registry, "password: other-pw\n\n" + as_set))
    assert not req.ok and any("[aut-num] AS64500" in e for e in req.errors)
    assert one(submit(registry, "password: other-pw\npassword: member-pw\n\n" + as_set)).ok
    orphan = as_set.replace("AS64500:AS-CUSTOMERS", "AS64999:AS-CUSTOMERS")
    req = one(submit(registry, "password: other-pw\n\n" + orphan))
    assert any("does not exist" in e for e in req.errors)


def test_references_must_exist_or_come_in_the_same_submission(registry):
    person = ("person:         Trần Thị Bình\naddress:        Đà Nẵng\ncountry:        VN\nphone:          +84 236 000 000\n"
              "e-mail:         binh@member.example\nnic-hdl:        TTB2-VN\nmnt-by:         MAINT-MEMBER\n"
              "source:         VNNIC\n")
    route = ROUTE6.replace("mnt-by:         MAINT-MEMBER", "mnt-by:         MAINT-NEW")
    req = one(submit(registry, "password: member-pw\n\n" + route))
    assert not req.ok and any("MAINT-NEW referenced in attribute mnt-by not found" in e for e in req.errors)
    new_mntner = ("mntner:         MAINT-NEW\ndescr:          New\nadmin-c:        TTB2-VN\nupd-to:         new@member.example\n"
                  "auth:           BCRYPT-PW $2b$04$QvHV8qzFNdQGTjlg0oISgOTl3eYUA2gq7n8C1VFyU6dN9bLaVg6W.\n"
                  "mnt-by:         MAINT-NEW\nreferral-by:    MAINT-VNNIC\nsource:         VNNIC\n")
    # a new mntner must pass its own auth: with the wrong password nothing of it is created
    outcome = submit(registry, "password: member-pw\npassword: nope\n\n" + person + "\n" + new_mntner + "\n" + route)
    assert [r.ok for r in outcome.requests] == [True, False, False]
    assert registry.store.get("VNNIC", "person", "TTB2-VN") is not None
    assert registry.store.get("VNNIC", "mntner", "MAINT-NEW") is None


def test_delete_refused_while_referenced(registry):
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE)).ok
    person = registry.store.get("VNNIC", "person", "NVA1-VN").object_text
    req = one(submit(registry, "password: member-pw\n\n" + person + "delete: not needed\n"))
    assert not req.ok and any("still referenced" in e for e in req.errors)
    req = one(submit(registry, "password: member-pw\n\n" + ROUTE + "delete: withdrawn\n"))
    assert req.ok and req.operation == "delete"
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert journal(registry)[-1][1] == "DEL"


def test_mirrored_sources_are_read_only(registry):
    req = one(submit(registry, "password: member-pw\n\n" + ROUTE.replace("VNNIC", "APNIC")))
    assert not req.ok and "not authoritative" in req.errors[0]


def test_syntax_errors_name_attribute_and_line(registry):
    bad = ROUTE.replace("origin:         AS64500", "origin:         ASX").replace("descr:          Member prefix\n",
                                                                                     "")
    req = one(submit(registry, "password: member-pw\n\n" + bad))
    assert any("attribute origin, line 4" in e for e in req.errors)
    assert any("mandatory attribute 'descr' is missing" in e for e in req.errors)


def test_dry_run_writes_nothing(registry):
    count = len(journal(registry))
    outcome = submit(registry, "dry-run:\npassword: member-pw\n\n" + ROUTE)
    assert outcome.dry_run and one(outcome).ok
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert len(journal(registry)) == count


def test_override(registry):
    req = one(submit(registry, "override: staff-override\n\n" + ROUTE.replace("203.0.113.0/24", "198.51.100.0/24")))
    assert req.ok
    sent = len(registry.sent.mails)
    before = journal(registry)
    req = one(submit(registry, "override: not-the-password\n\n" + ROUTE))
    assert not req.ok and any("override password is not valid" in i for i in req.infos)
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None and journal(registry) == before
    # the refused attempt is told to the upd-to of the maintainers that did not authorise it, and only there
    refused = registry.sent.mails[sent:]
    assert [to for to, _, _ in refused] == [["upd@member.example"]]
    assert "Create FAILED AUTHORISATION for object below: [route] 203.0.113.0/24AS64500" in refused[0][2]


def test_crypt_pw_refused_and_masked_hashes_kept_as_stored(registry):
    from irr.store.lookups import Lookups
    from rpsl.output import mask_hashes

    current = Lookups(registry.store.engine).by_key(["VNNIC"], "MAINT-OTHER", ["mntner"])[0].text
    masked = mask_hashes(current)
    req = one(submit(registry, "password: other-pw\n\n" + masked))         # unchanged: nothing to do
    assert req.ok and req.operation == "noop", req.errors
    changed = masked.replace("descr:          MAINT-OTHER", "descr:          Other member")
    req = one(submit(registry, "password: other-pw\n\n" + changed))
    assert req.ok and req.operation == "modify" and any("kept as stored" in i for i in req.infos)
    stored = registry.store.get("VNNIC", "mntner", "MAINT-OTHER").object_text
    assert "Other member" in stored and "DummyValue" not in stored
    assert [ln for ln in stored.split("\n") if ln.startswith("auth:")] == \
        [ln for ln in current.split("\n") if ln.startswith("auth:")]
    assert one(submit(registry, "password: other-pw\n\n" + ROUTE.replace("MAINT-MEMBER", "MAINT-OTHER")
                      .replace("203.0.113.0/24", "198.51.100.0/24").replace("AS64500", "AS64501"))).ok
    crypt = current.replace("auth:           BCRYPT", "auth:           CRYPT-PW aaXyZ1234abcd\nauth:           BCRYPT")
    req = one(submit(registry, "password: other-pw\n\n" + crypt))
    assert not req.ok and any("CRYPT-PW" in e for e in req.errors)
    extra = masked.replace("auth:", "auth:           MD5-PW DummyValue\nauth:", 1)   # two masked lines, one hash
    req = one(submit(registry, "password: other-pw\n\n" + extra))
    assert not req.ok and any("stands for no hash of the stored object" in e for e in req.errors)


def test_all_accepted_changes_commit_together(registry):
    outcome = submit(registry, "password: member-pw\n\n" + ROUTE + "\n" + ROUTE6 + "\n"
                     + ROUTE.replace("203.0.113.0/24", "198.51.100.0/24"))
    assert [r.ok for r in outcome.requests] == [True, True, False]
    serials = [r.serial for r in outcome.requests if r.ok]
    assert serials[1] == serials[0] + 1


def test_fifty_concurrent_updates_are_serialised(registry):
    """50 modifications of one object at once: each is journalled once, serials have no gaps, no
    update is lost (the last committed text is the object's text)."""
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE)).ok
    start = journal(registry)[-1][0]
    results = []

    def worker(i):
        text = ROUTE.replace("descr:          Member prefix", f"descr:          version {i}")
        results.append(one(submit(registry, "password: member-pw\n\n" + text)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok and r.operation == "modify" for r in results)
    entries = registry.store.journal("VNNIC", start + 1)
    assert [e.serial for e in entries] == list(range(start + 1, start + 51))
    assert sorted(r.serial for r in results) == list(range(start + 1, start + 51))
    last = entries[-1].object_text
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500").object_text == last


def test_history_over_whois_and_http(registry, tmp_path):
    from irr.query.ripe import ripe_query
    from irr.query.session import Session
    from irr.web import create_app

    assert one(submit(registry, "password: member-pw\n\n" + ROUTE)).ok
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE.replace("Member prefix", "changed"))).ok
    assert one(submit(registry, "password: member-pw\n\n" + ROUTE + "delete: gone\n")).ok
    session = Session(["VNNIC"], ["VNNIC", "APNIC"])
    listing = ripe_query("--list-versions 203.0.113.0/24AS64500", session, registry.lookups, registry.store)
    assert 'Version history for ROUTE object "203.0.113.0/24AS64500"' in listing
    assert listing.count("ADD/UPD") == 2 and "DEL" in listing
    v2 = ripe_query("--show-version 2 203.0.113.0/24 AS64500", session, registry.lookups, registry.store)
    assert "This version was a UPDATE operation" in v2 and "changed" in v2
    assert "no version 9" in ripe_query("--show-version 9 203.0.113.0/24AS64500", session, registry.lookups,
                                        registry.store).replace("There is no", "no")
    app = create_app(registry.config, registry.store)
    reply = app.test_client().get("/v1/history/VNNIC/route/203.0.113.0/24AS64500").get_json()
    assert [v["operation"] for v in reply["versions"]] == ["ADD", "ADD", "DEL"]
    mntner = app.test_client().get("/v1/history/VNNIC/mntner/MAINT-MEMBER").get_json()
    assert "$2b$" not in str(mntner) and "DummyValue" in str(mntner)


def test_http_api_submit(registry):
    from irr.web import create_app

    app = create_app(registry.config, registry.store)
    app.extensions["irr_pipeline"] = registry
    client = app.test_client()
    reply = client.post("/v1/submit/", json={"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"]})
    body = reply.get_json()
    assert reply.status_code == 200 and body["summary"]["successful_create"] == 1, body
    assert body["objects"][0]["rpsl_pk"] == "203.0.113.0/24AS64500"
    attrs = {"objects": [{"attributes": [{"name": "route6", "value": "2001:db8::/32"},
                                         {"name": "descr", "value": "v6"}, {"name": "origin", "value": "AS64500"},
                                         {"name": "mnt-by", "value": ["MAINT-MEMBER"]},
                                         {"name": "source", "value": "VNNIC"}]}],
             "passwords": ["member-pw"], "dry_run": True}
    body = client.post("/v1/submit/", json=attrs).get_json()
    assert body["objects"][0]["successful"] and body["dry_run"]
    assert registry.store.get("VNNIC", "route6", "2001:DB8::/32AS64500") is None
    body = client.delete("/v1/submit/", json={"objects": [{"object_text": ROUTE}], "passwords": ["wrong"],
                                              "delete_reason": "test"}).get_json()
    assert body["summary"]["failed_delete"] == 1
    assert client.post("/v1/submit/", data="not json", content_type="application/json").status_code == 400
    assert client.post("/v1/submit/", json={"objects": "x"}).status_code == 400


def test_reverse_domain_needs_the_address_holder(registry):
    domain = ("domain:         113.0.203.in-addr.arpa\ndescr:          Reverse zone\nadmin-c:        NVA1-VN\n"
              "tech-c:         NVA1-VN\nzone-c:         NVA1-VN\nnserver:        ns1.member.example\n"
              "mnt-by:         MAINT-OTHER\nsource:         VNNIC\n")
    req = one(submit(registry, "password: other-pw\n\n" + domain))
    assert not req.ok and any("parent [inetnum] 203.0.113.0 - 203.0.113.255" in e and "mnt-lower" in e
                              for e in req.errors)
    assert one(submit(registry, "password: other-pw\npassword: member-pw\n\n" + domain)).ok


def test_submissions_are_checked_without_the_write_lock(registry):
    """A submission is reasoned about (parsing, references, bcrypt) without any lock: while another
    writer holds the source's lock, a wrong-password submission and a dry run are answered; a real
    change then waits only for the write itself."""
    done = threading.Event()
    results = []

    def worker():
        results.append(one(submit(registry, "password: not-it\npassword: nor-this\n\n" + ROUTE)))
        results.append(one(submit(registry, "dry-run:\npassword: member-pw\n\n" + ROUTE)))
        done.set()

    with registry.store.engine.begin() as conn:
        registry.store.lock_sources(conn, ["VNNIC"])          # another writer holds VNNIC
        thread = threading.Thread(target=worker)
        thread.start()
        assert done.wait(60), "a submission waited for the write lock"
    thread.join()
    assert not results[0].ok and results[0].auth_failed
    assert results[1].ok and any("Dry run" in i for i in results[1].infos)
    assert registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None


def test_a_change_committed_meanwhile_is_seen(registry):
    """The snapshot a submission was checked in is compared with the source under the lock: when
    another change committed in between, the submission is checked again on the new data."""
    original = registry._check
    calls = []

    def check_then_interfere(trial, creds, deadline):
        versions = original(trial, creds, deadline)
        calls.append((trial[0].pk, versions))
        if len(calls) == 1:   # a member's change commits right after the first check
            other = ROUTE6.replace("descr:          Member IPv6 prefix", "descr:          meanwhile")
            assert one(submit(registry, "password: member-pw\n\n" + other)).ok
        return versions

    registry._check = check_then_interfere
    req = one(submit(registry, "password: member-pw\n\n" + ROUTE))
    route_checks = [v for pk, v in calls if pk == "203.0.113.0/24AS64500"]
    assert req.ok and len(route_checks) == 2 and route_checks[0] != route_checks[1]
    assert [e.pk for e in registry.store.journal("VNNIC")[-2:]] == ["2001:DB8::/32AS64500", "203.0.113.0/24AS64500"]


def test_masked_irt_keeps_its_hash_and_new_irt_lines_are_checked(registry):
    """An irt has auth: lines like a mntner: masked ones stand for the stored hashes (before, they were
    stored as DummyValue and the irt could no longer be referenced), new ones are checked."""
    from rpsl.output import mask_hashes

    stored = registry.store.get("VNNIC", "irt", "IRT-MEMBER-VN").object_text
    changed = mask_hashes(stored).replace("address:        Hà Nội", "address:        Hồ Chí Minh")
    req = one(submit(registry, "password: member-pw\n\n" + changed))
    assert req.ok and req.operation == "modify", req.errors
    now = registry.store.get("VNNIC", "irt", "IRT-MEMBER-VN").object_text
    assert "Hồ Chí Minh" in now and "DummyValue" not in now
    autnum = ("aut-num:        AS64502\nas-name:        NEW\ndescr:          New\ncountry:        VN\n"
              "org:            ORG-MEM1-VN\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\nmnt-by:         MAINT-MEMBER\n"
              "mnt-irt:        IRT-MEMBER-VN\nsource:         VNNIC\n")
    assert one(submit(registry, "password: member-pw\npassword: vnnic-pw\npassword: irt-pw\n\n" + autnum)).ok
    crypt = changed.replace("auth:", "auth:           CRYPT-PW aaXyZ1234abcd\nauth:", 1)
    req = one(submit(registry, "password: member-pw\n\n" + crypt))
    assert not req.ok and any("CRYPT-PW hashes are no longer accepted" in e for e in req.errors)
