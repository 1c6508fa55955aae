"""Failed authorisations: counted per client (address for HTTP and the web, sender for e-mail) and
per maintainer, in PostgreSQL so that every process (web workers, `irr submit`) shares the counts.

A failed attempt is a password that did not authenticate as a stored maintainer (or irt) that had
to authorise a change, in a real submission or a dry run alike: each password of the submission
counts once against each such maintainer, and once against the client. Over the limit within the
window (config [updates]), passwords are not checked at all, the right one included: a lockout that
still answered right passwords would still answer guesses. PGP signatures still count, so a
maintainer can always get a change through, and the staff override works (except from a client that
is itself locked out: the override is a password too). Each failure is logged (never the password)
and counted in /metrics; a maintainer's upd-to is told when it becomes locked.

Loopback addresses are not limited as clients: behind a reverse proxy every HTTP client has the
proxy's address, and one guesser must not lock every member out (the per-maintainer limit holds).
"""
from __future__ import annotations

import ipaddress
import logging

from irr.store.security import Crossing, Lockout, SecurityStore

log = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    """3600 -> '1 hour', 900 -> '15 minutes'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


class Limiter:
    def __init__(self, settings: dict, security: SecurityStore):
        self.window = float(settings["failed_auth_window"])
        self.per_client = int(settings["failed_auth_per_client"])
        self.per_mntner = int(settings["failed_auth_per_mntner"])
        self.security = security

    @staticmethod
    def limited(client: str | None) -> str | None:
        """The client as the limit counts it: None for no client or a loopback address (a proxy)."""
        if not client:
            return None
        try:
            return None if ipaddress.ip_address(client).is_loopback else client
        except ValueError:
            return client       # a mail sender

    def limit_of(self, subject: str) -> int:
        return self.per_client if subject.startswith("client ") else self.per_mntner

    # -- before a submission ------------------------------------------------------------------------------
    def lockouts(self, client: str | None) -> tuple[str | None, dict[str, str]]:
        """(why the client's passwords don't count, or None; {maintainer subject: why its passwords
        don't count}) as the shared counts stand now."""
        locked = self.security.lockouts(self.window, self.per_client, self.per_mntner)
        client = self.limited(client)
        client_note = None
        if client is not None and f"client {client}" in locked:
            client_note = self._client_text(client, locked[f"client {client}"])
        subjects = {s: self._subject_text(s, lock) for s, lock in locked.items() if not s.startswith("client ")}
        return client_note, subjects

    def _client_text(self, client: str, lock: Lockout) -> str:
        return (f"Too many failed attempts to authenticate from {client}: {lock.failures} passwords did not match "
                f"within {_duration(self.window)}. Passwords (and the override) from this client are not "
                f"checked until {lock.until:%Y-%m-%d %H:%M} UTC, even right ones; PGP-signed submissions still "
                "work.")

    def _subject_text(self, subject: str, lock: Lockout) -> str:
        kind, _, name = subject.split(" ", 2)
        return (f"Too many failed attempts to authenticate as {kind} {name}: {lock.failures} passwords did not "
                f"match within {_duration(self.window)}. Its passwords are not checked until "
                f"{lock.until:%Y-%m-%d %H:%M} UTC, even the right one, so that nobody can go on guessing; "
                "PGP-signed submissions still work.")

    # -- after a submission ------------------------------------------------------------------------------
    def record(self, requests: list, passwords: list[str], client: str | None, channel: str, dry_run: bool,
               override_failed: bool) -> list[Crossing]:
        """Count the submission's failed attempts; log them; return the maintainers just locked out."""
        guesses = len(set(passwords))
        subjects = sorted({s for r in requests for s in r.failed_credentials})
        failed_requests = sum(1 for r in requests if r.auth_failed)
        if failed_requests:
            self.security.count("irr_failed_authorisations_total", channel, failed_requests)
        failures = dict.fromkeys(subjects, guesses) if guesses else {}
        client_weight = (guesses if failures else 0) + (1 if override_failed else 0)
        if client_weight and self.limited(client) is not None:
            failures[f"client {client}"] = client_weight
        if not failures:
            return []
        log.warning("failed authorisation from %s (%s%s): %d password(s) did not authenticate as %s%s",
                    client or "(unknown client)", channel, ", dry run" if dry_run else "", guesses,
                    ", ".join(subjects) or "-",
                    "; an invalid override password" if override_failed else "")
        crossings = self.security.record_failures(failures, client or "(unknown client)", self.window,
                                                  self.limit_of)
        for crossing in crossings:
            kind = crossing.subject.split(" ", 1)[0]
            self.security.count("irr_auth_lockouts_total", kind)
            log.warning("%s locked out after %d failed attempts within %s (passwords refused until %s UTC)",
                        crossing.subject, crossing.failures, _duration(self.window), f"{crossing.until:%H:%M}")
        return crossings

    def notice(self, crossing: Crossing) -> str:
        """The mail to a locked-out maintainer's upd-to."""
        kind, source, name = crossing.subject.split(" ", 2)
        return "\n".join([
            "This message is auto-generated.", "",
            f"There were {crossing.failures} failed attempts to authenticate as {kind} {name} (source {source}) "
            f"within {_duration(self.window)}: passwords submitted to change objects it maintains did not "
            "match its auth: lines.", "",
            "The attempts came from:", *(f"    {c}" for c in crossing.clients), "",
            f"To stop anyone guessing, its passwords are not accepted until {crossing.until:%Y-%m-%d %H:%M} UTC, "
            "not even the right one. PGP-signed updates still work.", "",
            "If these attempts were not yours, someone may be trying to guess the password: consider replacing it "
            "(submit a new BCRYPT-PW hash) or authenticating with PGP.", ""])
