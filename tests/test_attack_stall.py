"""Attack: one submission stalling the registry (issue 12, item 2).

A big or hostile submission is checked without any lock held (a snapshot, then a short locked
write), in time near-linear in its size (bench/submission.py measures it), within a deadline on the
whole submission and a bound on password hashing. These tests check the behaviour, never timings.
"""
from __future__ import annotations

import dataclasses
import threading

import pytest

from tests.attack_helpers import ALICE, attacked_site, errors, snapshot
from tests.update_helpers import bcrypt_line


@pytest.fixture
def site(store, tmp_path):
    with attacked_site(store, tmp_path) as s:
        yield s


def mntner_chain(n: int, last: str, password_line: str) -> list[str]:
    """n new mntners, each maintained by the next one; the last one by `last`."""
    out = []
    for i in range(n):
        by = f"MAINT-CHAIN{i + 1}" if i + 1 < n else last
        out.append(f"mntner:         MAINT-CHAIN{i}\ndescr:          chain\nadmin-c:        NVA1-VN\n"
                   f"upd-to:         chain@example.net\nauth:           {password_line}\nmnt-by:         {by}\n"
                   "referral-by:    MAINT-VNNIC\nsource:         VNNIC\n")
    return out


def test_chain_to_a_missing_maintainer_is_refused_whole(site):
    """The shape that cost N^3: every mntner refused (the last one's maintainer does not exist), each
    saying why, nothing written."""
    before = snapshot(site.store)
    answer = site.post(mntner_chain(300, "MAINT-NOWHERE", bcrypt_line("chain-pw")), ["chain-pw"])
    assert answer["summary"]["failed"] == 300 and answer["summary"]["successful"] == 0
    said = errors(answer)
    assert any("MAINT-NOWHERE referenced in attribute mnt-by not found" in e for e in said)
    assert any("MAINT-CHAIN1 referenced in attribute mnt-by not found" in e for e in said)
    assert snapshot(site.store) == before


def test_a_member_update_is_not_delayed_by_a_big_submission(site, monkeypatch):
    """While a big submission (a valid chain of 1,000 mntners) is in the middle of its checks, and is
    held there until the member's update is done, the member's update is checked, locked, written and
    answered: no lock is held while the big submission is reasoned about. The big one then finds the
    source changed, is checked again and written after it."""
    from irr.updates import pipeline as pipeline_module

    original = pipeline_module.validate
    checking_big = threading.Event()
    member_done = threading.Event()

    def validate(requests, contexts, authorisers, deadline, config):
        if len(requests) > 100 and not checking_big.is_set():
            checking_big.set()          # its snapshot is open, its references half checked
            assert member_done.wait(120), "the member's update did not get through"
        return original(requests, contexts, authorisers, deadline, config)

    monkeypatch.setattr(pipeline_module, "validate", validate)
    answers = {}
    chain = mntner_chain(1000, "MAINT-CHAIN999", bcrypt_line("chain-pw"))
    big = threading.Thread(target=lambda: answers.setdefault("big", site.post(chain, ["chain-pw"])))
    big.start()
    assert checking_big.wait(120)
    route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "updated meanwhile")
    answers["member"] = site.post([route], [ALICE], client="203.0.113.9")
    member_done.set()
    big.join(300)
    assert answers["member"]["summary"]["successful_modify"] == 1, answers["member"]
    assert answers["big"]["summary"]["successful_create"] == 1000, errors(answers["big"])[:3]
    journal = site.store.journal("VNNIC")
    member_serial = next(j.serial for j in journal if j.pk == "203.0.113.0/24AS64500" and "meanwhile" in j.object_text)
    assert member_serial < min(j.serial for j in journal if j.pk.startswith("MAINT-CHAIN"))


def test_a_submission_over_its_deadline_changes_nothing_and_says_so(site):
    pipeline = site.pipeline
    pipeline.config = dataclasses.replace(pipeline.config,
                                          updates={**pipeline.config.updates, "submission_timeout": 0.01})
    before = snapshot(site.store)
    answer = site.post(mntner_chain(1000, "MAINT-CHAIN999", bcrypt_line("chain-pw")), ["chain-pw"])
    assert answer["summary"]["successful"] == 0
    said = errors(answer)
    assert said and all("took longer than the limit of 0.01 seconds" in e for e in said[:1])
    assert sum("took longer than the limit" in e for e in said) == 1000
    assert snapshot(site.store) == before


def test_password_hashing_per_submission_is_bounded(site, monkeypatch):
    """The hashes of new mntners are the submitter's choice: beyond the bound, hashes are not checked
    and the answer says so."""
    from irr.updates import authorise

    monkeypatch.setattr(authorise, "MAX_PASSWORD_WORK", 3 / 256)   # three cheap (cost-4) checks
    before = snapshot(site.store)
    lines = [bcrypt_line(f"pw-{i}") for i in range(6)]
    texts = [m.replace("HASH", line) for m, line in zip(mntner_chain(6, "MAINT-CHAIN5", "HASH"), lines)]
    answer = site.post(texts, ["pw-5", "pw-4"])
    assert answer["summary"]["successful"] == 0
    assert any("needs more password checking than one submission may cause" in e for e in errors(answer)), errors(answer)
    assert snapshot(site.store) == before
