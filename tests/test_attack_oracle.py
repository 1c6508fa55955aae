"""Attack: the dry run as a password oracle (issue 12, item 5).

Failed authorisations, dry run or not, count per client and per maintainer in PostgreSQL (common to
every process); over the limit, passwords are not checked at all, the right one included (a lockout
that answered right passwords would still answer guesses), with a clear "too many failed attempts"
answer. Each failure is logged without the password, counted in /metrics, and the maintainer's
upd-to is told when it becomes locked. PGP signatures still work during a lockout.
"""
from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest

from irr.updates.limiter import Limiter
from irr.updates.submission import from_texts
from tests.attack_helpers import ALICE, attacked_site, errors, snapshot
from tests.mail_helpers import SmtpSink, mutt_inline

GUESSES = [f"guess-{i}" for i in range(10)]
TOO_MANY = "Too many failed attempts to authenticate"


@pytest.fixture
def site(store, tmp_path):
    with attacked_site(store, tmp_path) as s:
        yield s


def dry_run(site, passwords, client="198.51.100.7"):
    route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "probe")
    return site.post([route], passwords, dry_run=True, client=client)


def test_guessing_by_dry_run_locks_the_maintainer_even_for_the_right_password(site, caplog):
    caplog.set_level(logging.INFO)
    before = snapshot(site.store)
    for _ in range(2):                                   # 20 guesses: the maintainer's limit
        answer = dry_run(site, GUESSES)
        assert answer["summary"]["failed"] == 1 and "not authenticated by: MAINT-MEMBER" in errors(answer)[0]
        assert TOO_MANY not in " ".join(errors(answer))
    answer = dry_run(site, GUESSES[:1] + [ALICE])      # the right one is among them: refused all the same
    said = " ".join(errors(answer))
    assert answer["summary"]["failed"] == 1 and f"{TOO_MANY} as mntner MAINT-MEMBER" in said
    assert "not checked until" in said and "PGP-signed submissions still work" in said
    # from another address too (it is the maintainer that is locked), and for a real change
    answer = site.post([site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "x")], [ALICE],
                       client="203.0.113.50")
    assert answer["summary"]["failed"] == 1 and f"{TOO_MANY} as mntner MAINT-MEMBER" in " ".join(errors(answer))
    # other maintainers are not affected
    other = site.text("aut-num", "AS64501").replace("descr:          Other member", "descr:          Other")
    assert site.post([other], ["other-pw"], client="203.0.113.50")["summary"]["successful_modify"] == 1
    assert snapshot(site.store)[1][("route", "203.0.113.0/24AS64500")] == before[1][("route", "203.0.113.0/24AS64500")]
    # logged without the passwords, counted in /metrics, upd-to told once
    assert "failed authorisation from 198.51.100.7 (api, dry run): 10 password(s) did not authenticate as " \
           "mntner VNNIC MAINT-MEMBER" in caplog.text
    assert "guess-" not in caplog.text and ALICE not in caplog.text
    metrics = site.app.test_client().get("/metrics").get_data(as_text=True)
    assert re.search(r'^irr_failed_authorisations_total\{channel="api"\} 4\.0$', metrics, re.M), metrics
    assert re.search(r'^irr_auth_lockouts_total\{kind="mntner"\} 1\.0$', metrics, re.M)
    notices = [body for to, subject, body in site.sent.mails
               if to == ["upd@member.example"] and subject.startswith("Failed attempts to authenticate as MAINT-MEMBER")]
    assert len(notices) == 1 and "There were 20 failed attempts" in notices[0] and "198.51.100.7" in notices[0]
    assert "guess-" not in notices[0]


def test_a_guessing_client_is_locked_out_whatever_it_targets(site):
    pipeline = site.pipeline
    pipeline.limiter = Limiter({**pipeline.config.updates, "failed_auth_per_client": 5, "failed_auth_per_mntner": 100},
                               pipeline.security)
    assert dry_run(site, GUESSES[:5])["summary"]["failed"] == 1
    answer = dry_run(site, [ALICE])
    assert f"{TOO_MANY} from 198.51.100.7" in " ".join(errors(answer))
    other = site.text("aut-num", "AS64501").replace("descr:          Other member", "descr:          Other")
    answer = site.post([other], ["other-pw"], client="198.51.100.7")
    assert answer["summary"]["failed"] == 1 and f"{TOO_MANY} from 198.51.100.7" in " ".join(errors(answer))
    assert dry_run(site, [ALICE], client="198.51.100.8")["summary"]["successful"] == 1   # others: fine
    # a reverse proxy's loopback address stands for every client: not locked as a client
    assert dry_run(site, GUESSES[:5], client="127.0.0.1")["summary"]["failed"] == 1
    assert dry_run(site, [ALICE], client="127.0.0.1")["summary"]["successful"] == 1


def test_the_lockout_holds_for_irr_submit_too(site, db_url, tmp_path):
    """The count lives in PostgreSQL: guesses through the API lock the maintainer for `irr submit`
    (another process) too; a PGP-signed mail still gets through (not a password)."""
    from tests.pgp_helpers import session_keys

    for _ in range(2):
        dry_run(site, GUESSES)
    # MAINT-MEMBER trusts alice's key from now on (added by the hostmasters' override: no password of its own)
    mntner = site.text("mntner", "MAINT-MEMBER").replace(
        "mnt-by:", f"auth:           {session_keys().alice.key_cert}\nmnt-by:", 1)
    assert site.pipeline.process(from_texts([("override: staff-override\n\n" + mntner, frozenset())]),
                                 "test").successful
    with SmtpSink() as sink:
        config = tmp_path / "irr.toml"
        config.write_text(f'[database]\nurl = "{db_url}"\n\n[email]\nsmtp_host = "127.0.0.1"\n'
                          f'smtp_port = {sink.port}\nfrom = "irr@vnnic.example"\n\n'
                          '[sources.VNNIC]\nauthoritative = true\n')
        member = ("Nguyễn Văn An", "an@member.example")

        def submit(body: str) -> str:
            raw = mutt_inline(member, "auto-dbm@vnnic.example", "route", body)
            proc = subprocess.run([sys.executable, "-m", "irr.cli", "--config", str(config), "--data-dir",
                                   str(site.config.data_dir), "submit", "--no-reply"], input=raw, capture_output=True,
                                  timeout=120)
            assert proc.returncode == 0, proc.stderr
            return proc.stdout.decode()

        route = site.text("route", "203.0.113.0/24AS64500").replace("Member prefix", "by mail")
        reply = submit(f"password: {ALICE}\n\n{route}")
        assert reply.startswith("Subject: FAILED") and f"{TOO_MANY} as mntner MAINT-MEMBER" in reply
        assert "by mail" not in site.text("route", "203.0.113.0/24AS64500")
        reply = submit(session_keys().home.clearsign(route, session_keys().alice))
        assert reply.startswith("Subject: SUCCESS"), reply
        assert "by mail" in site.text("route", "203.0.113.0/24AS64500")
