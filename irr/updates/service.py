"""The submission channels, wired to the one pipeline: e-mail (`irr submit`), HTTP API, web."""
from __future__ import annotations

import logging

from irr.config import Config
from irr.updates.notify import Notifier
from irr.updates.pipeline import Outcome, Pipeline
from irr.updates.report import email_reply, subject
from irr.updates.submission import Submission, from_texts

log = logging.getLogger(__name__)


def keyring_for(config: Config):
    from irr.auth.pgp import Keyring

    return Keyring(config.data_dir / "gnupg", max_age=config.updates["pgp_max_age"],
                   max_future=config.updates["pgp_max_future"])


def build_pipeline(config: Config, store, notify: bool = True) -> Pipeline:
    from irr.store.lookups import Lookups

    return Pipeline(config, store, Lookups(store.engine), keyring_for(config),
                    Notifier(config) if notify else None)


def handle_email(raw: bytes, config: Config, store, pipeline: Pipeline | None = None,
                 reply: bool = True, size: int | None = None) -> tuple[Outcome | None, str, str]:
    """Process one RFC 822 message as an MTA pipes it; reply to the sender by SMTP.
    `size`: the real size when `raw` is only the beginning of a message over the limit.
    Returns (outcome, reply subject, reply body)."""
    from irr.updates.mail import read_message, send_mail

    pipeline = pipeline or build_pipeline(config, store)
    mail = read_message(raw, pipeline.keyring, size=size)
    meta = {"Message-ID": mail.message_id or "", "From": mail.from_address, "Date": mail.date or "",
            "Subject": mail.subject}
    if mail.problems and not mail.parts:
        outcome = None
        title = f"FAILED: {mail.subject}"
        body = "Your message could not be processed:\n\n" + "\n".join(f"- {p}" for p in mail.problems) + "\n"
    else:
        sub = from_texts([(part.text, frozenset(part.signers)) for part in mail.parts], meta)
        origin = f"email {mail.message_id or ''} from {mail.from_address}".strip()
        outcome = pipeline.process(sub, origin)
        title = subject(outcome, mail.subject)
        body = email_reply(outcome)
        notes = list(mail.problems) + [p for part in mail.parts for p in part.problems]
        if notes:
            body += "\nNotes on your message:\n" + "\n".join(f"- {p}" for p in notes) + "\n"
    refused = mail.no_reply_reason(config.mail_from)
    if reply and refused:
        log.warning("no reply to %s: %s", mail.reply_address or "(nobody)", refused)
    elif reply:
        try:
            send_mail(config, [mail.reply_address], title, body, in_reply_to=mail.message_id,
                      references=mail.message_id)
        except Exception:
            log.exception("could not send the reply to %s", mail.reply_address)
    return outcome, title, body


def handle_api(pipeline: Pipeline, sub: Submission, client: str) -> Outcome:
    return pipeline.process(sub, f"api {client}")
