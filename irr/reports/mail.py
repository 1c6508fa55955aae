"""The monthly report by mail, for the members who asked for it (`irr report mail MEMBER --on`,
kept in the report_mail table, not in the member's objects): each gets its own report, once a
month from `[reports] mail_day` on, at the `upd-to` and `notify` addresses of its mntner (an
organisation's `e-mail` and `notify`). The sender is handed in by the application."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from irr.reports.inputs import Settings
from irr.reports.report import AsSetCheck, member_report
from irr.reports.text import member_text
from irr.reports.verdicts import DANGER, WARNING, severity
from irr.store.reports import ReportStore
from rpsl.objects import parse

log = logging.getLogger(__name__)
Send = Callable[[Sequence[str], str, str], None]
MAX_RECIPIENTS = 10


def recipients(store: ReportStore, settings: Settings, member: str) -> list[str]:
    """Where a member's report goes: its mntner's upd-to and notify, an organisation's e-mail and notify."""
    out: list[str] = []
    for object_class, text in store.contact(settings.sources, member):
        obj = parse(text)
        wanted = ("upd-to", "notify") if object_class == "mntner" else ("e-mail", "notify")
        for attribute in wanted:
            out += [v for v in obj.values(attribute) if v not in out]
    return out[:MAX_RECIPIENTS]


def send_monthly(store: ReportStore, settings: Settings, mail_day: int, send: Send, today: dt.date | None = None,
                 check: AsSetCheck | None = None, force: bool = False) -> str:
    """Mail every subscribed member its report, unless it had this month's already (or it is
    before `mail_day`; 0 switches the mail off). Returns a status line."""
    today = today or dt.datetime.now(dt.UTC).date()
    if not mail_day and not force:
        return "monthly report mail is off (reports.mail_day = 0)"
    if today.day < mail_day and not force:
        return f"monthly report mail: not before day {mail_day} of the month"
    sent, failed, skipped = 0, 0, 0
    for subscription in store.mail_members():
        last = subscription.last_sent
        if not force and last is not None and (last.year, last.month) == (today.year, today.month):
            continue
        to = recipients(store, settings, subscription.member)
        if not to:
            skipped += 1
            log.warning("report mail for %s: no upd-to, notify or e-mail address", subscription.member)
            continue
        report = member_report(store, settings, subscription.member, check, today)
        try:
            send(to, f"Routing report for {subscription.member}: {_headline(report.counts)}", member_text(report))
        except Exception as e:   # the next run tries again: last_sent is not moved
            log.warning("report mail for %s failed: %s", subscription.member, e)
            failed += 1
            continue
        store.mark_sent(subscription.member, today)
        sent += 1
    return f"monthly report mail: {sent} sent, {failed} failed, {skipped} without an address"


def _headline(counts: dict[str, int]) -> str:
    danger = sum(n for c, n in counts.items() if severity(c) == DANGER)
    warning = sum(n for c, n in counts.items() if severity(c) == WARNING)
    return f"{danger} to fix now, {warning} to clean up"
