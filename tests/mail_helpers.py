"""Mail for tests: a real SMTP sink (aiosmtpd) and builders of messages as real clients send them.

    with SmtpSink() as sink:
        send_mail(sink.configure(config), ["noc@example.vn"], "subject", "body")
        [received] = sink.wait_for(1)

The builders return raw bytes laid out like Thunderbird, mutt, Outlook and Apple Mail lay out their
messages. Signing is passed in as callables (detached signature over bytes, clear-signing of text),
so any key helper works; the signed bytes are exactly the bytes that go into the message.
"""
from __future__ import annotations

import dataclasses
import itertools
import quopri
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid

from aiosmtpd.controller import Controller

from tests.conftest import free_port

SignDetached = Callable[[bytes], str]      # bytes -> armoured detached signature
ClearSign = Callable[[str], str]           # text -> clear-signed text


# ---------------------------------------------------------------------------------------------
# SMTP sink

@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def text(self) -> str:
        """The decoded plain-text body."""
        part = self.message.get_body(("plain",))
        return part.get_content().replace("\r\n", "\n") if part is not None else ""


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (a free port) that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd hook
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self._changed:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        for _ in range(5):   # the free port may be taken between probing and binding
            port = free_port()
            controller = Controller(self, hostname=self.host, port=port, enable_SMTPUTF8=True)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError("could not start the SMTP sink")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def configure(self, config):
        """A copy of an irr Config that sends its mail here."""
        return dataclasses.replace(config, smtp_host=self.host, smtp_port=self.port)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """The first n messages, waiting up to timeout seconds for them to arrive."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} messages, got {len(self.messages)} in {timeout} s")
                self._changed.wait(left)
            return list(self.messages[:n])

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()


# ---------------------------------------------------------------------------------------------
# message builders (CRLF line ends throughout, as clients hand messages to SMTP)

def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _qp(data: bytes) -> bytes:
    """Quoted-printable with CRLF line ends (trailing spaces encoded, as RFC 3156 asks)."""
    return _crlf(quopri.encodestring(data.replace(b"\r\n", b"\n")).decode("ascii")).encode("ascii")


def _address(name: str, address: str) -> str:
    return formataddr((str(Header(name, "utf-8")) if not name.isascii() else name, address), charset="utf-8")


def _common_headers(sender: tuple[str, str], to: str, subject: str, message_id: str | None) -> list[str]:
    return [
        f"Message-ID: {message_id or make_msgid(domain=sender[1].rpartition('@')[2])}",
        f"Date: {formatdate(localtime=True)}",
        "MIME-Version: 1.0",
        f"From: {_address(*sender)}",
        f"To: {to}",
        f"Subject: {Header(subject, 'utf-8').encode() if not subject.isascii() else subject}",
    ]


def _join(headers: list[str], body: str) -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


def flowed(text: str, width: int = 72) -> str:
    """format=flowed wrapping as Thunderbird does it: soft breaks end in a space, stuffing added."""
    out = []
    for line in text.split("\n"):
        if line.startswith((" ", "From ", ">")):
            line = " " + line
        while len(line) > width and " " in line[1:width]:
            cut = line.rindex(" ", 1, width) + 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return "\n".join(out)


def thunderbird_pgp_mime(sender: tuple[str, str], to: str, subject: str, body: str, sign: SignDetached, *,
                         public_key: str | None = None, message_id: str | None = None) -> bytes:
    """Thunderbird 115 with OpenPGP: multipart/signed around multipart/mixed with protected headers,
    text/plain UTF-8 flowed quoted-printable, optionally the sender's public key attached."""
    mixed = "------------" + "mix0TB8E6e9u5uvsz2Ow3gwK"
    signed = "------------" + "sigCsRZ0A2r5j2KxSUnwqHDw"
    to_line = to
    inner = [
        f'Content-Type: multipart/mixed; boundary="{mixed}";',
        ' protected-headers="v1"',
        f"From: {_address(*sender)}",
        f"To: {to_line}",
        f"Subject: {Header(subject, 'utf-8').encode() if not subject.isascii() else subject}",
        "",
        f"--{mixed}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _qp(_crlf(flowed(body)).encode("utf-8")).decode("ascii").rstrip("\r\n"),
        "",
    ]
    if public_key:
        inner += [
            f"--{mixed}",
            'Content-Type: application/pgp-keys; name="OpenPGP_0xC0FFEE.asc"',
            'Content-Disposition: attachment; filename="OpenPGP_0xC0FFEE.asc"',
            "Content-Description: OpenPGP public key",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _qp(public_key.encode("ascii")).decode("ascii").rstrip("\r\n"),
            "",
        ]
    inner.append(f"--{mixed}--")
    signed_part = "\r\n".join(inner) + "\r\n"
    signature = sign(signed_part.encode("utf-8"))
    headers = _common_headers(sender, to, subject, message_id) + [
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: vi",
        "Content-Type: multipart/signed; micalg=pgp-sha256;",
        ' protocol="application/pgp-signature";',
        f' boundary="{signed}"',
    ]
    body_text = ("This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
                 f"--{signed}\r\n{signed_part}\r\n--{signed}\r\n"
                 'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
                 "Content-Description: OpenPGP digital signature\r\n"
                 'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
                 f"{_crlf(signature).rstrip()}\r\n\r\n--{signed}--\r\n")
    return _join(headers, body_text)


def mutt_pgp_mime(sender: tuple[str, str], to: str, subject: str, body: str, sign: SignDetached | None, *,
                  message_id: str | None = None, signature: str | None = None,
                  with_signature_part: bool = True) -> bytes:
    """mutt with PGP/MIME: multipart/signed around one text/plain part (quoted-printable for 8-bit
    text, as RFC 3156 requires 7-bit under a signature). `signature` overrides the computed one."""
    boundary = "J2SCkAp4GZ/dPZZf"
    data = body.encode("utf-8")
    encoding = "7bit" if body.isascii() else "quoted-printable"
    encoded = _crlf(body) if body.isascii() else _qp(data).decode("ascii")
    part = ("Content-Type: text/plain; charset=" + ("us-ascii" if body.isascii() else "utf-8") + "\r\n"
            "Content-Disposition: inline\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n{encoded}")
    part = part.rstrip("\r\n") + "\r\n"
    headers = _common_headers(sender, to, subject, message_id) + [
        "Content-Type: multipart/signed; micalg=pgp-sha512;",
        f'\tprotocol="application/pgp-signature"; boundary="{boundary}"',
        "Content-Disposition: inline",
        "User-Agent: Mutt/2.2.9 (2022-11-12)",
    ]
    text = f"\r\n--{boundary}\r\n{part}"
    if with_signature_part:
        if signature is None:
            assert sign is not None
            signature = sign(part.encode("ascii"))
        text += (f"\r\n--{boundary}\r\n"
                 'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
                 "Content-Description: Digital signature\r\n\r\n"
                 f"{_crlf(signature).rstrip()}\r\n")
    text += f"\r\n--{boundary}--\r\n"
    return _join(headers, text)


def mutt_inline(sender: tuple[str, str], to: str, subject: str, body: str, *,
                message_id: str | None = None) -> bytes:
    """mutt with traditional (inline) PGP, or any client with a pasted clear-signed block: one
    text/plain UTF-8 8bit part; `body` already contains the clear-signed block(s)."""
    headers = _common_headers(sender, to, subject, message_id) + [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Disposition: inline",
        "Content-Transfer-Encoding: 8bit",
        "User-Agent: Mutt/2.2.9 (2022-11-12)",
    ]
    return _join(headers, _crlf(body))


def to_cp1258(text: str) -> bytes:
    """Vietnamese text as Outlook encodes it in windows-1258: letters with circumflex, breve or horn
    precomposed, tone marks as combining characters (so 'ạ' is 'a' + U+0323)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        # the most marks composed into an encodable base letter (â, ơ ...), the rest (tones) combining
        candidates = (c for n in range(len(marks), -1, -1) for c in itertools.combinations(marks, n))
        for composed in candidates:
            rest = list(marks)
            for mark in composed:
                rest.remove(mark)
            try:
                out += (unicodedata.normalize("NFC", base + "".join(composed)) + "".join(rest)).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(f"{char!r} has no windows-1258 form")
    return bytes(out)


def outlook_alternative(sender: tuple[str, str], to: str, subject: str, body: str, *, charset: str = "windows-1258",
                        message_id: str | None = None) -> bytes:
    """Outlook 365: multipart/alternative, text/plain quoted-printable in windows-1258 (or utf-8)
    beside the HTML version, CRLF throughout."""
    boundary = "_000_SG2PR06MB5237A1B2C3D4E5F6SG2PR06MB5237apcp_"
    data = to_cp1258(_crlf(body)) if charset == "windows-1258" else _crlf(body).encode(charset)
    html = "".join(f"<p class=\"MsoNormal\">{line or '&nbsp;'}</p>\r\n" for line in body.split("\n"))
    headers = _common_headers(sender, to, subject, message_id) + [
        "Thread-Topic: " + (subject if subject.isascii() else Header(subject, "utf-8").encode()),
        "Thread-Index: AdqXyZ1234567890abcdefABCDEF==",
        "Accept-Language: vi-VN, en-US",
        "Content-Language: vi-VN",
        "X-MS-Has-Attach:",
        "X-Mailer: Microsoft Outlook 16.0",
        f'Content-Type: multipart/alternative;\r\n\tboundary="{boundary}"',
    ]
    text = (f"--{boundary}\r\n"
            f'Content-Type: text/plain; charset="{charset}"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"{_qp(data).decode('ascii')}\r\n"
            f"--{boundary}\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"{_qp(('<html><body>' + html + '</body></html>').encode('utf-8')).decode('ascii')}\r\n"
            f"--{boundary}--\r\n")
    return ("\r\n".join(headers) + "\r\n\r\n" + text).encode("ascii")


def apple_mail(sender: tuple[str, str], to: str, subject: str, body: str, sign: SignDetached | None = None, *,
               message_id: str | None = None) -> bytes:
    """Apple Mail: multipart/alternative (text/plain utf-8 quoted-printable + HTML); with GPG Suite
    signing (`sign` given) wrapped in multipart/signed, signature part last."""
    alt = "Apple-Mail=_5A7E3C1D-2B4F-4E6A-9C8D-0F1E2D3C4B5A"
    html = "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>" \
           "<body>" + "<br>".join(body.split("\n")) + "</body></html>"
    alternative = (f'Content-Type: multipart/alternative;\r\n\tboundary="{alt}"\r\n\r\n\r\n'
                   f"--{alt}\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"
                   "Content-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\n"
                   f"{_qp(_crlf(body).encode('utf-8')).decode('ascii')}\r\n"
                   f"--{alt}\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"
                   "Content-Type: text/html;\r\n\tcharset=utf-8\r\n\r\n"
                   f"{_qp(html.encode('utf-8')).decode('ascii')}\r\n"
                   f"--{alt}--\r\n")
    headers = _common_headers(sender, to, subject, message_id) + ["X-Mailer: Apple Mail (2.3731.500.231)"]
    headers[2] = "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.500.231\\))"
    if sign is None:
        head, _, rest = alternative.partition("\r\n\r\n")
        return ("\r\n".join(headers) + "\r\n" + head + "\r\n\r\n" + rest).encode("ascii")
    signed = "Apple-Mail=_0B1C2D3E-4F5A-6B7C-8D9E-AFB0C1D2E3F4"
    signature = sign(alternative.encode("ascii"))
    headers.append(f'Content-Type: multipart/signed;\r\n\tboundary="{signed}";\r\n'
                   '\tprotocol="application/pgp-signature";\r\n\tmicalg=pgp-sha256')
    text = (f"\r\n--{signed}\r\n{alternative}\r\n--{signed}\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "Content-Disposition: attachment;\r\n\tfilename=signature.asc\r\n"
            "Content-Type: application/pgp-signature;\r\n\tname=signature.asc\r\n"
            "Content-Description: Message signed with OpenPGP\r\n\r\n"
            f"{_crlf(signature).rstrip()}\r\n--{signed}--\r\n")
    return ("\r\n".join(headers) + "\r\n\r\n" + text).encode("ascii")
