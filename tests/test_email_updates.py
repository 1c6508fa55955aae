"""E-mail submissions end to end: `irr submit` reads messages as Thunderbird, mutt, Outlook and
Apple Mail send them, the reply and the notifications arrive at a real SMTP sink, keys are real
gpg keys, and the whois server answers with the new data right after the commit. Then the attack
suite: every attempt changes nothing and the reply says why."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from irr.store import Store
from irr.store.lookups import Lookups
from irr.updates.notify import Notifier
from irr.updates.pipeline import Pipeline
from irr.updates.service import handle_email, keyring_for
from tests.mail_helpers import SmtpSink, mutt_inline, mutt_pgp_mime, outlook_alternative, thunderbird_pgp_mime
from tests.pgp_helpers import session_keys
from tests.update_helpers import ROUTE, ROUTE6, registry_config, setup_registry
from tests.whois_helpers import running_whois

MEMBER = ("Nguyễn Văn An", "an@member.example")


def keycert_text(key) -> str:
    certif = "\n".join(f"certif:         {line}" if line else "certif:" for line in key.public.strip().split("\n"))
    return (f"key-cert:       {key.key_cert}\n{certif}\nadmin-c:        NVA1-VN\ntech-c:         NVA1-VN\n"
            "mnt-by:         MAINT-MEMBER\nsource:         VNNIC\n")


class Registry:
    def __init__(self, store: Store, config, sink: SmtpSink):
        self.store, self.config, self.sink = store, config, sink
        self.pipeline = Pipeline(config, store, Lookups(store.engine), keyring_for(config), Notifier(config))

    def mail(self, raw: bytes):
        """Submit a message; return (outcome, reply received by the sink)."""
        before = len(self.sink.messages)
        outcome, title, body = handle_email(raw, self.config, self.store, self.pipeline)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # notifications may arrive before the reply
            replies = [m for m in self.sink.messages[before:] if MEMBER[1] in m.rcpt_tos]
            if replies:
                return outcome, replies[0]
            time.sleep(0.02)
        raise AssertionError(f"no reply reached the sender; the reply was:\n{title}\n{body}")

    def journal_size(self) -> int:
        return len(self.store.journal("VNNIC"))


@pytest.fixture
def registry(store, tmp_path):
    setup_registry(store)
    with SmtpSink() as sink:
        config = sink.configure(registry_config(tmp_path))
        reg = Registry(store, config, sink)
        keys = session_keys()
        # alice's key becomes a key-cert (created by password) and MAINT-MEMBER trusts it
        outcome, reply = reg.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "new key",
                                              "password: member-pw\n\n" + keycert_text(keys.alice)))
        assert outcome.successful, reply.text
        mntner = Lookups(store.engine).by_key(["VNNIC"], "MAINT-MEMBER", ["mntner"])[0].text
        with_pgp = mntner.replace("mnt-by:", f"auth:           {keys.alice.key_cert}\nmnt-by:", 1)
        from rpsl.output import mask_hashes  # noqa: F401 - hashes stay real: the object is re-submitted as stored
        outcome, reply = reg.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "pgp",
                                              "password: member-pw\n\n" + with_pgp))
        assert outcome.successful, reply.text
        sink.clear()
        yield reg


def signer(key):
    return lambda data: session_keys().home.detach_sign(data, key)


def test_key_cert_generated_attributes(registry):
    keys = session_keys()
    row = registry.store.get("VNNIC", "key-cert", keys.alice.key_cert)
    text = row.object_text
    assert "method:         PGP" in text and "owner:          Alice Nguyen <alice@example.net>" in text
    fingerprint = keys.alice.fingerprint
    groups = [fingerprint[i:i + 4] for i in range(0, 40, 4)]
    assert f"fingerpr:       {' '.join(groups[:5])}  {' '.join(groups[5:])}" in text


def test_thunderbird_pgp_mime_creates_route_and_whois_sees_it(registry):
    keys = session_keys()
    with running_whois(registry.config, registry.store) as whois:
        assert whois.query("!gAS64500") == b"D\n"
        raw = thunderbird_pgp_mime(MEMBER, "auto-dbm@vnnic.example", "route", ROUTE, signer(keys.alice))
        outcome, reply = registry.mail(raw)
        assert outcome.successful, reply.text
        assert reply.message["Subject"] == "SUCCESS: route"
        assert "Create succeeded: [route] 203.0.113.0/24AS64500" in reply.text
        assert whois.query("!gAS64500") == b"A15\n203.0.113.0/24\nC\n"
    notices = [m for m in registry.sink.messages if "nfy@member.example" in m.rcpt_tos]
    assert notices and "Notification of VNNIC database changes" in notices[0].message["Subject"]


def test_mutt_pgp_mime_and_inline(registry):
    keys = session_keys()
    outcome, reply = registry.mail(mutt_pgp_mime(MEMBER, "auto-dbm@vnnic.example", "v6", ROUTE6,
                                                 signer(keys.alice)))
    assert outcome.successful, reply.text
    signed = keys.home.clearsign(ROUTE.replace("Member prefix", "Tiền tố của thành viên"), keys.alice)
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "inline",
                                               f"Chào anh chị,\n\n{signed}\n-- \nAn\n"))
    assert outcome.successful, reply.text
    assert "Tiền tố của thành viên" in registry.store.get("VNNIC", "route", "203.0.113.0/24AS64500").object_text
    assert "NOT PROCESSED" in reply.text  # the greeting and the mail signature were set aside


@pytest.mark.parametrize("charset", ["windows-1258", "utf-8"])
def test_outlook_quoted_printable_vietnamese(registry, charset):
    person = ("person:         Trần Thị Bích Ngọc\naddress:        Số 18 Nguyễn Du, Quận Hai Bà Trưng\n"
              "address:        Hà Nội\ncountry:        VN\nphone:          +84 24 3556 0000\n"
              "e-mail:         ngoc@member.example\nnic-hdl:        TTBN1-VN\nmnt-by:         MAINT-MEMBER\n"
              "source:         VNNIC\n")
    outcome, reply = registry.mail(outlook_alternative(MEMBER, "auto-dbm@vnnic.example", "Thêm người liên hệ",
                                                       "password: member-pw\n\n" + person, charset=charset))
    assert outcome.successful, reply.text
    stored = registry.store.get("VNNIC", "person", "TTBN1-VN").object_text
    assert "Trần Thị Bích Ngọc" in stored and "Quận Hai Bà Trưng" in stored
    assert reply.message["Subject"].startswith("SUCCESS")


def test_reply_lists_every_outcome_and_masks_hashes(registry):
    mntner = Lookups(registry.store.engine).by_key(["VNNIC"], "MAINT-MEMBER", ["mntner"])[0].text
    body = "password: member-pw\n\n" + ROUTE + "\n" + ROUTE.replace("203.0.113.0/24", "198.51.100.0/24") + "\n" + \
        mntner.replace("descr:", "remarks:        x\ndescr:", 1).replace("referral-by", "bogus-attr")
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "mixed", body))
    assert reply.message["Subject"] == "FAILED: mixed"
    text = reply.text
    assert re.search(r"Number of objects found:\s+3", text)
    assert "Create succeeded: [route] 203.0.113.0/24AS64500" in text
    assert "Create FAILED: [route] 198.51.100.0/24AS64500" in text
    assert "$2b$" not in text and "$1$" not in text


# -- the attack suite: each case changes nothing, and the reply says why -------------------------
def unchanged(registry, before: int, key=("route", "203.0.113.0/24AS64500")) -> None:
    assert registry.journal_size() == before, "nothing was written"
    assert registry.store.get("VNNIC", *key) is None


def test_attack_wrong_password(registry):
    before = registry.journal_size()
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", "password: guess\n\n" + ROUTE))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text


def test_attack_another_maintainers_password(registry):
    before = registry.journal_size()
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", "password: other-pw\n\n" + ROUTE))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text


def test_attack_signature_by_a_key_not_in_the_mntner(registry):
    keys = session_keys()
    # bob has a key-cert too, but MAINT-MEMBER lists only alice's key
    outcome, _ = registry.mail(mutt_inline(MEMBER, "x", "bob key", "password: member-pw\n\n" + keycert_text(keys.bob)))
    assert outcome.successful
    before = registry.journal_size()
    outcome, reply = registry.mail(thunderbird_pgp_mime(MEMBER, "x", "a", ROUTE, signer(keys.bob)))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text
    # mallory's key is in no key-cert at all
    outcome, reply = registry.mail(mutt_pgp_mime(MEMBER, "x", "a", ROUTE, signer(keys.mallory)))
    unchanged(registry, before)
    assert "did not verify" in reply.text and "not authenticated by" in reply.text


def test_attack_signature_over_a_different_text(registry):
    keys = session_keys()
    before = registry.journal_size()
    signed = keys.home.clearsign("Hello, this is just a greeting.\n", keys.alice)
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", signed + "\n" + ROUTE))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text


def test_attack_tampered_signed_message(registry):
    keys = session_keys()
    before = registry.journal_size()
    signed = keys.home.clearsign(ROUTE6, keys.alice)
    tampered = signed.replace("2001:db8::/32", "2001:db8::/33")
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", tampered))
    assert registry.journal_size() == before
    assert registry.store.get("VNNIC", "route6", "2001:DB8::/33AS64500") is None
    assert "did not verify" in reply.text or "BAD signature" in reply.text or "not authenticated" in reply.text
    raw = mutt_pgp_mime(MEMBER, "x", "a", ROUTE, signer(keys.alice))
    raw = raw.replace(b"203.0.113.0/24", b"203.0.113.0/25", 1)
    outcome, reply = registry.mail(raw)
    unchanged(registry, before)
    assert registry.store.get("VNNIC", "route", "203.0.113.0/25AS64500") is None
    assert "not authenticated by: MAINT-MEMBER" in reply.text


def test_attack_unsigned_message_claiming_pgp(registry):
    before = registry.journal_size()
    outcome, reply = registry.mail(mutt_pgp_mime(MEMBER, "x", "a", ROUTE, None, with_signature_part=False))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text
    fake = ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + ROUTE +
            "-----BEGIN PGP SIGNATURE-----\n\niHUEARYIAB0WIQTotallyNotASignature=\n=AbCd\n-----END PGP SIGNATURE-----\n")
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", fake))
    unchanged(registry, before)
    assert "not authenticated by: MAINT-MEMBER" in reply.text


def test_attack_route_in_space_the_holder_did_not_approve(registry):
    before = registry.journal_size()
    foreign = ROUTE.replace("203.0.113.0/24", "198.51.100.0/24")
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", "password: member-pw\n\n" + foreign))
    unchanged(registry, before, ("route", "198.51.100.0/24AS64500"))
    assert "parent [inetnum] 198.51.100.0 - 198.51.100.255" in reply.text


def test_attack_delete_a_referenced_object(registry):
    before = registry.journal_size()
    person = registry.store.get("VNNIC", "person", "NVA1-VN").object_text
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", "password: member-pw\n\n" + person + "delete: x\n"))
    assert registry.journal_size() == before
    assert registry.store.get("VNNIC", "person", "NVA1-VN") is not None
    assert "still referenced" in reply.text


def test_attack_override_with_a_wrong_password(registry):
    before = registry.journal_size()
    outcome, reply = registry.mail(mutt_inline(MEMBER, "x", "a", "override: letmein\n\n" + ROUTE))
    unchanged(registry, before)
    assert "override password is not valid" in reply.text and "not authenticated" in reply.text
    assert "letmein" not in reply.text


def test_irr_submit_command_reads_stdin_and_replies(registry, db_url, tmp_path):
    """What an MTA runs: `irr submit` with the message on stdin; the reply goes out by SMTP."""
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[email]\nsmtp_host = "127.0.0.1"\n'
                      f'smtp_port = {registry.sink.port}\nfrom = "irr@vnnic.example"\n\n'
                      '[sources.VNNIC]\nauthoritative = true\n')
    raw = mutt_inline(MEMBER, "auto-dbm@vnnic.example", "cli", "password: member-pw\n\n" + ROUTE6)
    proc = subprocess.run([sys.executable, "-m", "irr.cli", "--config", str(config), "--data-dir",
                           str(registry.config.data_dir), "submit"], input=raw, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().strip() == "SUCCESS: cli"
    assert registry.store.get("VNNIC", "route6", "2001:DB8::/32AS64500") is not None
    deadline = time.monotonic() + 10
    while not [m for m in registry.sink.messages if MEMBER[1] in m.rcpt_tos] and time.monotonic() < deadline:
        time.sleep(0.05)
    reply = [m for m in registry.sink.messages if MEMBER[1] in m.rcpt_tos][0]
    assert reply.message["Subject"] == "SUCCESS: cli" and reply.message["In-Reply-To"]


def test_irr_submit_refuses_a_message_over_the_limit_without_holding_it(registry, db_url, tmp_path):
    """A 3 MB message: only its first megabyte is kept; the sender is told the real size; nothing changes."""
    config = tmp_path / "irr.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[sources.VNNIC]\nauthoritative = true\n')
    raw = mutt_inline(MEMBER, "auto-dbm@vnnic.example", "big", "password: member-pw\n\n" + ROUTE6)
    raw += b"\n" + b"x" * 3_000_000 + b"\n"
    proc = subprocess.run([sys.executable, "-m", "irr.cli", "--config", str(config), "--data-dir",
                           str(registry.config.data_dir), "submit", "--no-reply"], input=raw, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    reply = proc.stdout.decode()
    assert reply.startswith("Subject: FAILED: big")
    assert f"The message is {len(raw)} bytes long, more than the limit of 1000000 bytes" in reply
    assert registry.store.get("VNNIC", "route6", "2001:DB8::/32AS64500") is None


def test_automatic_mail_is_processed_but_never_answered(registry):
    """RFC 3834: no reply to Auto-Submitted or bulk mail, bounces or the registry's own address
    (mail loops, backscatter); the submission itself is still processed."""
    before = len(registry.sink.messages)
    raw = mutt_inline(MEMBER, "auto-dbm@vnnic.example", "auto", "password: member-pw\n\n" + ROUTE6)
    looped = raw.replace(b"Subject: auto", b"Auto-Submitted: auto-replied\nSubject: auto", 1)
    outcome, _, _ = handle_email(looped, registry.config, registry.store, registry.pipeline)
    assert outcome.successful and registry.store.get("VNNIC", "route6", "2001:DB8::/32AS64500") is not None
    for header in (b"Precedence: bulk\n", b"Reply-To: irr@vnnic.example\n", b"Reply-To: MAILER-DAEMON@x.example\n"):
        handle_email(raw.replace(b"Subject: auto", header + b"Subject: auto", 1), registry.config, registry.store,
                     registry.pipeline)
    time.sleep(0.5)
    assert [m for m in registry.sink.messages[before:] if MEMBER[1] in m.rcpt_tos] == []
    # an ordinary message is still answered, and quotes stray text only briefly
    chatter = "\n".join(f"line {i} of a long story" for i in range(40))
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "chat", chatter))
    assert "line 4 of" in reply.text and "line 5 of" not in reply.text and "[... 35 more lines]" in reply.text


def test_one_submission_notifies_at_most_twenty_addresses(registry):
    """Recipients partly come from the submitted object (notify:): bounded, so the registry can't be
    turned into a mailer for chosen addresses."""
    before = len(registry.sink.messages)
    many = "".join(f"notify:         victim{i}@target.example\n" for i in range(60))
    route = ROUTE6.replace("source:", many + "source:", 1)
    outcome, reply = registry.mail(mutt_inline(MEMBER, "auto-dbm@vnnic.example", "many",
                                               "password: member-pw\n\n" + route))
    assert outcome.successful
    assert "Notifications go to at most 20 addresses per submission" in reply.text
    time.sleep(0.5)
    told = {r for m in registry.sink.messages[before:] for r in m.rcpt_tos if r.endswith("@target.example")}
    assert 0 < len(told) <= 20
