"""E-mail in and out: messages as Thunderbird, mutt, Outlook and Apple Mail send them, real gpg keys,
a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import base64
import functools
import quopri
import smtplib
import unicodedata
from dataclasses import dataclass

import pytest

from irr.auth.pgp import Keyring
from irr.config import Config
from irr.updates.mail import MailPart, read_message, send_mail
from tests.mail_helpers import (
    SmtpSink,
    apple_mail,
    flowed,
    mutt_inline,
    mutt_pgp_mime,
    outlook_alternative,
    thunderbird_pgp_mime,
    to_cp1258,
)
from tests.pgp_helpers import GpgHome, Key, session_keys

SENDER = ("Nguyễn Văn An", "noc@demo.vn")
TO = "auto-dbm@registry.example.vn"
COMPANY = "Công ty TNHH Mạng Demo"
ROUTE = f"""route:          203.0.113.0/24
descr:          {COMPANY}
descr:          Tầng 5, 18 Nguyễn Du, Hà Nội
origin:         AS64500
remarks:        a long remark line that a mail client would wrap when it sends format=flowed text
mnt-by:         MAINT-DEMO
source:         DEMO
"""


@dataclass(frozen=True)
class Signer:
    """A key of the test keys, signing the way mail clients do."""

    home: GpgHome
    key: Key

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint

    def detached(self, data: bytes) -> str:
        return self.home.detach_sign(data, self.key)

    def clearsign(self, text: str) -> str:
        return self.home.clearsign(text, self.key)


@dataclass(frozen=True)
class PGP:
    alice: Signer      # signs with a subkey: the primary fingerprint must be reported
    bob: Signer
    stranger: Signer   # not in the keyring
    expired: Signer
    revoked: Signer
    keyring: Keyring


@pytest.fixture(scope="module")
def pgp(tmp_path_factory) -> PGP:
    keys = session_keys()
    keyring = Keyring(tmp_path_factory.mktemp("keyring"))
    for key in (keys.alice, keys.bob, keys.expired, keys.revoked):
        keyring.import_key(key.public)
    signer = functools.partial(Signer, keys.home)
    return PGP(signer(keys.alice), signer(keys.bob), signer(keys.mallory), signer(keys.expired),
               signer(keys.revoked), keyring)


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


def texts(parts: list[MailPart]) -> list[str]:
    return [p.text for p in parts]


# ---------------------------------------------------------------------------------------------
# PGP/MIME

def test_thunderbird_pgp_mime(pgp):
    body = f"Chào anh chị,\n\nXin đăng ký route sau:\n\n{ROUTE}\nTrân trọng,\n"
    raw = thunderbird_pgp_mime(SENDER, TO, "Đăng ký route", body, pgp.alice.detached,
                               public_key=pgp.alice.key.public,
                               message_id="<tb-1@demo.vn>")
    assert b"=20\r\n" in raw            # flowed soft breaks really are in the message
    mail = read_message(raw, pgp.keyring)
    assert mail.problems == []
    assert mail.from_address == "noc@demo.vn" and mail.reply_address == "noc@demo.vn"
    assert mail.subject == "Đăng ký route" and mail.message_id == "<tb-1@demo.vn>" and mail.date
    # one text (the attached public key is not a submission), unflowed, Vietnamese intact
    assert mail.parts == [MailPart(body, (pgp.alice.fingerprint,))]


def test_pgp_mime_delivered_with_lf_line_ends(pgp):
    """Local delivery (procmail, pipe) often turns CRLF into LF and prepends an mbox From line."""
    raw = thunderbird_pgp_mime(SENDER, TO, "route", ROUTE, pgp.alice.detached)
    raw = b"From noc@demo.vn Thu Jan  1 00:00:00 2026\n" + raw.replace(b"\r\n", b"\n")
    mail = read_message(raw, pgp.keyring)
    assert mail.parts == [MailPart(ROUTE, (pgp.alice.fingerprint,))]
    assert mail.from_address == "noc@demo.vn"


def test_mutt_pgp_mime(pgp):
    raw = mutt_pgp_mime(SENDER, TO, "route", ROUTE, pgp.bob.detached)
    mail = read_message(raw, pgp.keyring)
    assert mail.problems == []
    assert mail.parts == [MailPart(ROUTE, (pgp.bob.fingerprint,))]


def test_apple_mail_signed_alternative(pgp):
    """GPG Suite in Apple Mail signs the whole multipart/alternative; the HTML half is skipped."""
    raw = apple_mail(SENDER, TO, "route", ROUTE, pgp.alice.detached)
    mail = read_message(raw, pgp.keyring)
    assert mail.problems == []
    assert mail.parts == [MailPart(ROUTE, (pgp.alice.fingerprint,))]


def test_tampered_pgp_mime_is_unsigned(pgp):
    raw = mutt_pgp_mime(SENDER, TO, "route", ROUTE.replace("AS64500", "AS64500"), pgp.alice.detached)
    tampered = raw.replace(b"AS64500", b"AS64501")   # one byte of the signed part
    assert len(tampered) == len(raw) and tampered != raw
    mail = read_message(tampered, pgp.keyring)
    [part] = mail.parts
    assert part.signers == () and "AS64501" in part.text
    assert any("did not verify" in p for p in part.problems)
    # the untampered message does verify
    assert read_message(raw, pgp.keyring).parts[0].signers == (pgp.alice.fingerprint,)


def test_pgp_mime_by_unknown_key_is_unsigned(pgp):
    mail = read_message(thunderbird_pgp_mime(SENDER, TO, "route", ROUTE, pgp.stranger.detached), pgp.keyring)
    assert [(p.text, p.signers) for p in mail.parts] == [(ROUTE, ())]
    assert mail.parts[0].problems


@pytest.mark.parametrize("who", ["expired", "revoked"])
def test_pgp_mime_by_expired_or_revoked_key_is_unsigned(pgp, who):
    signer = getattr(pgp, who)
    mail = read_message(mutt_pgp_mime(SENDER, TO, "route", ROUTE, signer.detached), pgp.keyring)
    [part] = mail.parts
    assert part.text == ROUTE and part.signers == () and who in part.problems[0]
    inline = read_message(mutt_inline(SENDER, TO, "route", signer.clearsign(ROUTE)), pgp.keyring)
    assert [(p.text, p.signers) for p in inline.parts] == [(ROUTE, ())]


def test_multipart_signed_without_signature_part(pgp):
    mail = read_message(mutt_pgp_mime(SENDER, TO, "route", ROUTE, None, with_signature_part=False), pgp.keyring)
    [part] = mail.parts
    assert part.text == ROUTE and part.signers == ()
    assert any("no PGP signature part" in p for p in part.problems)


@pytest.mark.parametrize("signature", [
    "-----BEGIN PGP SIGNATURE-----\n\niHUEARYIAB0WIQRnotavalidsignatureatall\n=AbCd\n-----END PGP SIGNATURE-----\n",
    "this is not a signature\n",
])
def test_corrupt_signature_part(pgp, signature):
    mail = read_message(mutt_pgp_mime(SENDER, TO, "route", ROUTE, None, signature=signature), pgp.keyring)
    [part] = mail.parts
    assert part.text == ROUTE and part.signers == () and part.problems


def test_pgp_mime_without_keyring_is_unsigned(pgp):
    mail = read_message(mutt_pgp_mime(SENDER, TO, "route", ROUTE, pgp.alice.detached), None)
    assert [(p.text, p.signers) for p in mail.parts] == [(ROUTE, ())]


# ---------------------------------------------------------------------------------------------
# inline PGP

def test_mutt_inline_with_text_outside(pgp):
    signed = ROUTE + "\n- a line starting with a dash (dash-escaped by the signer)\n"
    body = ("Chào anh,\n\npassword: s3cret\n\n" + pgp.alice.clearsign(signed)
            + "\n-- \nNguyễn Văn An\n" + COMPANY + "\n")
    mail = read_message(mutt_inline(SENDER, TO, "route", body), pgp.keyring)
    assert mail.problems == []
    assert [(p.text, p.signers) for p in mail.parts] == [
        ("Chào anh,\n\npassword: s3cret\n\n", ()),
        (signed, (pgp.alice.fingerprint,)),
        (f"\n-- \nNguyễn Văn An\n{COMPANY}\n", ()),
    ]


def test_several_inline_blocks_each_with_its_signer(pgp):
    first, second, third, fourth = (ROUTE.replace("203.0.113.0/24", f"198.51.100.{i * 64}/26") for i in range(4))
    tampered = pgp.alice.clearsign(third).replace("AS64500", "AS64501")
    body = "\n".join([pgp.alice.clearsign(first), pgp.bob.clearsign(second), tampered,
                      pgp.stranger.clearsign(fourth)])
    mail = read_message(mutt_inline(SENDER, TO, "routes", body), pgp.keyring)
    assert [(p.text, p.signers) for p in mail.parts] == [
        (first, (pgp.alice.fingerprint,)),
        (second, (pgp.bob.fingerprint,)),
        (third.replace("AS64500", "AS64501"), ()),
        (fourth, ()),
    ]
    assert [bool(p.problems) for p in mail.parts] == [False, False, True, True]


def test_inline_block_inside_pgp_mime_has_both_signers(pgp):
    raw = mutt_pgp_mime(SENDER, TO, "route", pgp.alice.clearsign(ROUTE), pgp.bob.detached)
    mail = read_message(raw, pgp.keyring)
    assert mail.parts == [MailPart(ROUTE, (pgp.bob.fingerprint, pgp.alice.fingerprint))]


def _inline_single(charset: str, body: bytes, flowed: bool = False) -> bytes:
    content_type = f"text/plain; charset={charset}" + ("; format=flowed" if flowed else "")
    return (f"From: noc@demo.vn\r\nSubject: route\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body.replace(b"\n", b"\r\n")


def test_inline_signed_in_windows_1258(pgp):
    """The signature covers the signer's windows-1258 bytes, not their UTF-8 form."""
    signed = pgp.alice.clearsign(to_cp1258(ROUTE)).encode("latin-1")   # the helper decodes non-UTF-8 as latin-1
    mail = read_message(_inline_single("windows-1258", b"password: x\n\n" + signed), pgp.keyring)
    assert [(p.text, p.signers) for p in mail.parts] == [("password: x\n\n", ()), (ROUTE, (pgp.alice.fingerprint,))]


def test_inline_signed_then_flowed(pgp):
    """The client wrapped the long line after signing: the unflowed text verifies."""
    body = flowed(pgp.alice.clearsign(ROUTE))
    assert " \n" in body   # soft line breaks inside the signed text
    mail = read_message(_inline_single("utf-8", body.encode(), flowed=True), pgp.keyring)
    assert [(p.text, p.signers) for p in mail.parts] == [(ROUTE, (pgp.alice.fingerprint,))]


def test_inline_flowed_then_signed(pgp):
    """The signer signed the wrapped lines as sent: those verify, and are what was signed."""
    wrapped = flowed(ROUTE)
    mail = read_message(_inline_single("utf-8", pgp.alice.clearsign(wrapped).encode(), flowed=True), pgp.keyring)
    expected = "".join(line.rstrip() + "\n" for line in wrapped.splitlines())
    assert [(p.text, p.signers) for p in mail.parts] == [(expected, (pgp.alice.fingerprint,))]


def test_signature_checks_per_message_are_bounded(pgp, monkeypatch):
    monkeypatch.setattr("irr.updates.mail.MAX_SIGNATURES", 2)
    body = "".join(pgp.bob.clearsign(f"remarks: {i}\n") for i in range(3))
    mail = read_message(mutt_inline(SENDER, TO, "x", body), pgp.keyring)
    assert [len(p.signers) for p in mail.parts] == [1, 1, 0] and mail.parts[2].text == "remarks: 2\n"


def test_truncated_inline_block_is_unsigned(pgp):
    body = "password: x\n\n" + pgp.alice.clearsign(ROUTE).split("-----BEGIN PGP SIGNATURE-----")[0]
    mail = read_message(mutt_inline(SENDER, TO, "route", body), pgp.keyring)
    assert mail.parts[0] == MailPart("password: x\n\n")
    assert mail.parts[1].signers == () and mail.parts[1].problems and "AS64500" in mail.parts[1].text


# ---------------------------------------------------------------------------------------------
# unsigned clients and encodings

@pytest.mark.parametrize("charset", ["windows-1258", "utf-8"])
def test_outlook_alternative(charset):
    body = f"Kính gửi VNNIC,\n\npassword: Mật-khẩu-1\n\n{ROUTE}\nTrân trọng,\n{COMPANY}\n"
    raw = outlook_alternative(SENDER, TO, "Đăng ký route cho " + COMPANY, body, charset=charset)
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    if charset == "windows-1258":
        assert "ạ".encode("cp1258", "ignore") == b"" and to_cp1258("ạ") == b"a\xf2"   # tone mark combining
    mail = read_message(raw, None)
    assert mail.problems == []
    assert mail.subject == "Đăng ký route cho " + COMPANY
    assert texts(mail.parts) == [body]   # NFC, as typed; the HTML alternative is skipped
    assert unicodedata.is_normalized("NFC", mail.parts[0].text)


def test_apple_mail_unsigned():
    mail = read_message(apple_mail(SENDER, TO, "route", ROUTE), None)
    assert mail.parts == [MailPart(ROUTE)] and mail.problems == []


def _single(content_type: str | None, body: bytes, encoding: str | None = None, newline: bytes = b"\n") -> bytes:
    headers = [b"From: noc@demo.vn", b"To: " + TO.encode(), b"Subject: test", b"MIME-Version: 1.0"]
    if content_type:
        headers.append(b"Content-Type: " + content_type.encode())
    if encoding:
        headers.append(b"Content-Transfer-Encoding: " + encoding.encode())
    return newline.join(headers) + newline + newline + body.replace(b"\n", newline)


@pytest.mark.parametrize("raw, expected", [
    # webmail: base64 UTF-8, LF only
    (_single("text/plain; charset=UTF-8", base64.encodebytes(ROUTE.encode()), "base64"), ROUTE),
    # latin-1, quoted-printable, CRLF
    (_single("text/plain; charset=iso-8859-1", quopri.encodestring("descr: Café\n".encode("latin-1")),
             "quoted-printable", b"\r\n"), "descr: Café\n"),
    # no MIME headers at all, UTF-8 bytes: read as UTF-8
    (_single(None, f"descr: {COMPANY}\n".encode()), f"descr: {COMPANY}\n"),
    # declared us-ascii but 8-bit UTF-8 (sloppy clients)
    (_single("text/plain; charset=us-ascii", f"descr: {COMPANY}\n".encode(), "8bit"), f"descr: {COMPANY}\n"),
    # bytes that are no UTF-8: escaped, never a crash
    (_single("text/plain", b"descr: \xff\xfe ok\n"), "descr: \\xff\\xfe ok\n"),
    # unknown charset: read as UTF-8
    (_single("text/plain; charset=x-no-such-charset", b"descr: ok\n"), "descr: ok\n"),
    # format=flowed with delsp=yes
    (_single("text/plain; charset=utf-8; format=flowed; delsp=yes", b"remarks: one \n two\n"), "remarks: onetwo\n"),
])
def test_single_part_encodings(raw, expected):
    mail = read_message(raw, None)
    assert texts(mail.parts) == [expected]


def test_mixed_with_attachments():
    raw = (b"From: \"=?UTF-8?Q?Nguy=E1=BB=85n_V=C4=83n_An?=\" <noc@demo.vn>\r\n"
           b"Reply-To: hostmaster@demo.vn\r\n"
           b"Subject: =?UTF-8?B?" + base64.b64encode("Đăng ký".encode()) + b"?=\r\n"
           b"Message-ID: <m-1@demo.vn>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npassword: x\r\n"
           b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
           b"--b1\r\nContent-Type: text/plain; name=\"objects.txt\"\r\nContent-Disposition: attachment\r\n\r\n"
           + ROUTE.encode() + b"--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: fwd\r\n\r\nroute: 1.2.3.0/24\r\n"
           b"--b1--\r\nepilogue\r\n")
    mail = read_message(raw, None)
    assert texts(mail.parts) == ["password: x\n", ROUTE]
    assert mail.subject == "Đăng ký" and mail.from_address == "noc@demo.vn"
    assert mail.reply_to == "hostmaster@demo.vn" and mail.reply_address == "hostmaster@demo.vn"


def test_headers_as_sent():
    raw = ("From: Nguyễn Văn An <noc@demo.vn>\r\nDate: Thu, 1 Jan 2026 07:00:00 +0700 (ICT)\r\n"
           "Subject: Đăng ký\r\n route\r\nMessage-ID:\r\n <x-1@demo.vn>\r\n\r\npassword: x\r\n").encode()
    mail = read_message(raw, None)
    assert (mail.from_address, mail.subject, mail.date, mail.message_id) == (
        "noc@demo.vn", "Đăng ký route", "Thu, 1 Jan 2026 07:00:00 +0700 (ICT)", "<x-1@demo.vn>")
    assert mail.reply_to is None and mail.reply_address == "noc@demo.vn"


def test_html_only_message_has_no_parts():
    raw = _single("text/html; charset=utf-8", b"<p>route: 203.0.113.0/24</p>\n")
    mail = read_message(raw, None)
    assert mail.parts == [] and any("no text/plain" in p for p in mail.problems)


def test_message_over_size_limit(pgp):
    raw = _single("text/plain", ROUTE.encode() * 1_500)
    assert 100_000 < len(raw) < 1_000_000
    mail = read_message(raw, pgp.keyring, max_size=100_000)
    assert mail.parts == [] and "limit" in mail.problems[0]
    assert mail.from_address == "noc@demo.vn" and mail.subject == "test"   # so that a reply can still go out
    assert read_message(raw, None).parts[0].text.startswith("route:")      # the default limit is 1 MB


@pytest.mark.parametrize("raw", [
    b"",
    b"\x00\xff garbage without headers",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\ntrunc",
    b"Content-Type: multipart/signed; boundary=x\r\n\r\n--x\r\n",
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notbase64=\r\n",
    b"From: <>\r\nSubject: =?bogus?Q?x?=\r\nContent-Type: text/plain; charset=\"\"\r\n\r\nx\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
    + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 50,
])
def test_malformed_messages_never_crash(raw):
    mail = read_message(raw, None)
    assert isinstance(mail.parts, list) and isinstance(mail.problems, list)


def test_truncated_multipart_keeps_its_text():
    raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\npassword: x\r\n"
    assert texts(read_message(raw, None).parts) == ["password: x\n"]


# ---------------------------------------------------------------------------------------------
# sending

def test_send_mail_delivers_utf8(smtp_sink, pgp, tmp_path):
    config = smtp_sink.configure(Config(data_dir=tmp_path, mail_from="irr@registry.example.vn"))
    body = f"SUMMARY OF UPDATE:\n\ndescr:          {COMPANY}\n" + "x" * 200 + "\n"
    send_mail(config, ["noc@demo.vn", "hostmaster@demo.vn"], f"SUCCESS: Đăng ký route {COMPANY}", body,
              in_reply_to="<tb-1@demo.vn>", references="<tb-0@demo.vn> <tb-1@demo.vn>")
    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "irr@registry.example.vn"
    assert received.rcpt_tos == ["noc@demo.vn", "hostmaster@demo.vn"]
    message = received.message
    assert message["From"] == "irr@registry.example.vn"
    assert message["To"] == "noc@demo.vn, hostmaster@demo.vn"
    assert message["Subject"] == f"SUCCESS: Đăng ký route {COMPANY}"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == "<tb-1@demo.vn>"
    assert message["References"] == "<tb-0@demo.vn> <tb-1@demo.vn>"
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@registry.example.vn>")
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert all(len(line) <= 78 for line in received.raw.split(b"\r\n"))
    assert received.text == body
    # and our own reader reads the reply back exactly
    back = read_message(received.raw, pgp.keyring)
    assert back.parts == [MailPart(body)] and back.subject == f"SUCCESS: Đăng ký route {COMPANY}"


def test_send_mail_plain_ascii_and_header_injection(smtp_sink, tmp_path):
    config = smtp_sink.configure(Config(data_dir=tmp_path, mail_from="irr@registry.example.vn"))
    send_mail(config, ["noc@demo.vn"], "FAILED: x\r\nBcc: victim@example.com", "route: 1\n", in_reply_to="<a@b>")
    [received] = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ["noc@demo.vn"] and received.message["Bcc"] is None
    assert received.message["Subject"] == "FAILED: x Bcc: victim@example.com"
    assert received.message["References"] == "<a@b>"
    assert received.message["Content-Transfer-Encoding"] == "7bit" and received.text == "route: 1\n"


def test_send_mail_connection_error_raises(tmp_path):
    sink = SmtpSink().start()
    port = sink.port
    sink.stop()   # nothing listens there any more
    config = Config(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    with pytest.raises((OSError, smtplib.SMTPException)):
        send_mail(config, ["noc@demo.vn"], "x", "y")
