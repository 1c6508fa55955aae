"""What every RDAP object shares (RFC 9083 section 4): links, remarks, events, status, port43,
notices, the top-level envelope, and error objects (section 6)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from irr.config import RdapConfig
from irr.rdap import CONFORMANCE, MEDIA_TYPE
from irr.rdap.record import Record
from irr.store.registration import JournalTimes


class RdapError(Exception):
    """An answer that is an RDAP error object: 400 bad request, 404 not found, 422 unprocessable
    search, 429 too many requests, 501 not implemented."""

    TITLES = {400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity", 429: "Too Many Requests",
              500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}

    def __init__(self, code: int, *description: str):
        super().__init__(description[0] if description else self.TITLES[code])
        self.code = code
        self.description = list(description)


@dataclass
class Context:
    """One request: where links point (`base`: the service's URL, ending in /rdap), the URL asked
    for (a link's `value`), the configuration and what was redacted so far."""

    base: str
    url: str
    config: RdapConfig
    authoritative: frozenset[str] = frozenset()
    redacted: list[dict] = field(default_factory=list)

    def href(self, *parts: str) -> str:
        return self.base + "/" + "/".join(quote(p, safe=":") for p in parts)

    def link(self, rel: str, *parts: str) -> dict:
        return {"value": self.url, "rel": rel, "href": self.href(*parts), "type": MEDIA_TYPE}


def remarks(record: Record, hidden: frozenset[str] = frozenset()) -> list[dict]:
    """`descr` as a remark titled description, `remarks` as one titled remarks (APNIC's layout)."""
    out = []
    for attribute, title in (("descr", "description"), ("remarks", "remarks")):
        lines = record.all(attribute)
        if lines and attribute not in hidden:
            out.append({"title": title, "description": lines})
    return out


_CHANGED_DATE = re.compile(r"\b(\d{4})(\d{2})(\d{2})\s*$")


def _timestamp(value: str | None) -> str | None:
    """An RPSL timestamp (last-modified, created) in RFC 3339, or None when it isn't one."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return rfc3339(t if t.tzinfo else t.replace(tzinfo=dt.UTC))


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _changed(record: Record) -> str | None:
    """The newest date of the legacy `changed: e-mail YYYYMMDD` lines."""
    dates = []
    for value in record.all("changed"):
        m = _CHANGED_DATE.search(value)
        if m:
            try:
                dates.append(dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=dt.UTC))
            except ValueError:
                continue
    return rfc3339(max(dates)) if dates else None


def events(record: Record, times: JournalTimes | None, authoritative: bool) -> list[dict]:
    """registration and last changed. Our own (authoritative) objects: the journal, which saw
    their whole history (the object's `created` and `last-modified` when it has no entries, e.g.
    after a bulk load). Mirrored ones: the upstream's `created` and `last-modified` (or `changed`);
    their last change from the journal only when they carry no date (our journal of a mirror
    starts with our first import, so it never tells when an object was registered)."""
    journal_reg = rfc3339(times.registered) if times and times.registered else None
    journal_changed = rfc3339(times.changed) if times and times.changed else None
    own_reg = _timestamp(record.first("created"))
    own_changed = _timestamp(record.first("last-modified")) or _changed(record)
    if authoritative:
        registered, changed = journal_reg or own_reg, journal_changed or own_changed
    else:
        registered, changed = own_reg, own_changed or journal_changed
    out = []
    if registered:
        out.append({"eventAction": "registration", "eventDate": registered})
    if changed:
        out.append({"eventAction": "last changed", "eventDate": changed})
    return out


def needs_journal(record: Record, authoritative: bool) -> bool:
    """Whether `events` could use the journal for this object (else it need not be read)."""
    return authoritative or not (record.first("last-modified") or record.first("changed"))


def described(ctx: Context, out: dict, record: Record, times: JournalTimes | None, links: list[dict],
              entities: list[dict] = (), hidden: frozenset[str] = frozenset()) -> dict:
    """`out` with what every object class has, in APNIC's order: remarks, links, events, entities."""
    rem = remarks(record, hidden)
    if rem:
        out["remarks"] = rem
    out["links"] = links
    ev = events(record, times, record.source in ctx.authoritative)
    if ev:
        out["events"] = ev
    if entities:
        out["entities"] = list(entities)
    return out


# RPSL inetnum/inet6num status -> RDAP status (RFC 9083 section 10.2.2). Space handed out is
# active; space the registry holds without handing it out is inactive.
_INACTIVE = ("UNSPECIFIED", "NOT-SET", "RESERVED", "AVAILABLE", "UNALLOCATED")


def status(rpsl_status: str | None) -> list[str]:
    if rpsl_status and any(word in rpsl_status.upper() for word in _INACTIVE):
        return ["inactive"]
    return ["active"]


def notices(ctx: Context, sources: list[str]) -> list[dict]:
    """Notices of every answer: where the objects came from, and the terms of service."""
    out = []
    if sources:
        out.append({"title": "Source", "description": ["Objects returned came from source", *sources]})
    if ctx.config.terms_url:
        out.append({"title": "Terms of Service", "description": ["Use of this data is subject to the registry's "
                                                                 "terms of service."],
                    "links": [{"value": ctx.url, "rel": "terms-of-service", "href": ctx.config.terms_url,
                               "type": "text/html"}]})
    if ctx.redacted:
        out.append({"title": "Redacted", "description": [
            "Some registration data is not shown by the registry's policy: the redacted member lists it "
            "(RFC 9537)."]})
    return out


def envelope(ctx: Context, body: dict, sources: list[str], extra_notices: list[dict] = ()) -> dict:
    """The top-level answer: conformance, notices, the object (or search results), port43 and
    the redactions made while rendering it."""
    out = {"rdapConformance": list(CONFORMANCE), "notices": notices(ctx, sources) + list(extra_notices)}
    out.update(body)
    if ctx.redacted:
        out["redacted"] = list(ctx.redacted)
    return out


def port43(ctx: Context, body: dict) -> dict:
    if ctx.config.port43:
        body["port43"] = ctx.config.port43
    return body


def error(code: int, description: list[str]) -> dict:
    """An RDAP error object (RFC 9083 section 6)."""
    return {"rdapConformance": list(CONFORMANCE), "errorCode": code, "title": RdapError.TITLES.get(code, "Error"),
            "description": description or [RdapError.TITLES.get(code, "Error")]}
