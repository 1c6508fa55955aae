"""Outgoing mail: one UTF-8 plain-text message (replies, notifications, reports) through the
configured SMTP server."""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irr.config import Config

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 30


def send_mail(config: Config, to: Sequence[str], subject: str, body: str, *, in_reply_to: str | None = None,
              references: str | None = None) -> None:
    """Send one plain-text UTF-8 mail from config.mail_from through config.smtp_host:smtp_port.

    Connection and SMTP errors raise (the caller logs them); recipients refused individually are
    logged here. Nothing is sent when `to` is empty.
    """
    recipients = [addr.strip() for addr in to if addr and addr.strip()]
    if not recipients:
        return
    message = build_mail(config, recipients, subject, body, in_reply_to=in_reply_to, references=references)
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        refused = smtp.send_message(message, from_addr=config.mail_from, to_addrs=recipients)
    for address, (code, reason) in refused.items():
        log.warning("mail to %s refused: %s %s", address, code, reason.decode("utf-8", "replace"))


def build_mail(config: Config, to: Sequence[str], subject: str, body: str, *, in_reply_to: str | None = None,
               references: str | None = None) -> EmailMessage:
    """The message send_mail sends (separate so that it can be inspected)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = config.mail_from
    message["To"] = ", ".join(_one_line(a) for a in to)
    message["Subject"] = _one_line(subject)
    message["Date"] = formatdate(localtime=True)
    domain = _domain(config.mail_from)
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: marks the mail as automatic so that vacation responders and list servers stay quiet.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        message["In-Reply-To"] = _one_line(in_reply_to)
    if references or in_reply_to:
        message["References"] = _one_line(references or in_reply_to or "")
    body = body.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    ascii_only = body.isascii() and all(len(line) <= 998 for line in body.split("\n"))
    # Quoted-printable keeps UTF-8 (Vietnamese) text intact through any relay, 8BITMIME or not.
    message.set_content(body, charset="utf-8", cte="7bit" if ascii_only else "quoted-printable")
    return message


def _one_line(value: str) -> str:
    """Header values never carry line breaks (user text such as subjects ends up here)."""
    return " ".join(value.split())


def _domain(address: str) -> str | None:
    try:
        return Address(addr_spec=address).domain or None
    except Exception:
        return address.rpartition("@")[2] or None
