"""One pipeline for every submission (e-mail, HTTP API, web): text -> validated changes ->
authorisation -> one transaction (or none, for a dry run) -> notifications.

An untrusted submission is reasoned about without holding any lock: its requests are checked on
copies, in one read-only REPEATABLE READ snapshot of the sources (irr.updates.validate: references
and authorisation in time near-linear in the submission's size). Only then are the sources' status
rows locked, just long enough to see that no other change committed since the snapshot (their
serial and load time are unchanged) and to write every accepted change with its journal entry in
one transaction; if another change did commit, the checks run again on a new snapshot. So a big or
hostile submission never keeps a member's update waiting, and each write is judged on the data as
it is when it commits (no lost update). The whole submission has a deadline ([updates]
submission_timeout) and a bound on password hashing; running out of either is a clear error and
changes nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

import psycopg.errors
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from irr.auth.passwords import verify_hash
from irr.config import Config
from irr.store import Change, Store
from irr.store.counters import add_submissions
from irr.store.lookups import Lookups
from irr.store.security import SecurityStore
from irr.updates import auth_lines
from irr.updates.authorise import Authoriser, Credentials
from irr.updates.context import Context
from irr.updates.deadline import Deadline, SubmissionTimeout
from irr.updates.limiter import Limiter
from irr.updates.replay import claim_signatures
from irr.updates.submission import MAX_PASSWORDS, Request, Submission, strip_generated
from irr.updates.validate import validate, wanted_keys
from rpsl import keys
from rpsl.lenient import from_object
from rpsl.objects import RPSLObject, parse

log = logging.getLogger(__name__)
MAX_OVERRIDE_OBJECTS_NAMED = 5   # objects named in an override's journal origin


@dataclass
class Outcome:
    submission: Submission
    dry_run: bool
    override_used: bool
    notes: list[str] = field(default_factory=list)   # about the submission as a whole (notifications)
    origin: str = ""                                 # as journalled (with the override's trace)

    @property
    def requests(self) -> list[Request]:
        return self.submission.requests

    @property
    def successful(self) -> bool:
        return bool(self.requests) and all(r.ok for r in self.requests)


class Pipeline:
    """Processes submissions for the authoritative sources of one registry."""

    def __init__(self, config: Config, store: Store, lookups: Lookups, keyring, notifier=None):
        self.config = config
        self.store = store
        self.lookups = lookups
        self.keyring = keyring
        self.notifier = notifier
        self.security = SecurityStore(store.engine)
        self.limiter = Limiter(config.updates, self.security)

    def process(self, sub: Submission, origin: str) -> Outcome:
        settings = self.config.updates
        deadline = Deadline(settings["submission_timeout"])
        channel = origin.split(" ", 1)[0]
        creds = Credentials(list(sub.passwords), deadline=deadline)
        creds.client_suspended, creds.suspended = self.limiter.lockouts(sub.client)
        override_failed = self._override(sub, creds, origin)
        try:
            for req in sub.requests:
                deadline.check("reading the objects")
                self._prepare(req)
            if len(sub.passwords) > MAX_PASSWORDS:
                for req in sub.requests:
                    req.errors.append(f"{len(sub.passwords)} passwords in one submission: at most {MAX_PASSWORDS} "
                                      "are accepted; nothing was changed")
            claim_signatures(self.security, sub.requests, origin,
                             settings["pgp_max_age"] + settings["pgp_max_future"] + 3600, sub.dry_run)
            if any(r.ok for r in sub.requests):
                self._run(sub, creds, deadline, origin)
        except SubmissionTimeout as e:
            log.warning("submission from %s stopped after %g s while %s", origin, deadline.seconds, e.doing)
            for req in sub.requests:
                if req.ok:
                    req.errors.append(str(e))
        outcome = Outcome(sub, sub.dry_run, creds.override, origin=self._journal_origin(sub, creds, origin))
        self._after(outcome, creds, channel, override_failed)
        return outcome

    def _override(self, sub: Submission, creds: Credentials, origin: str) -> bool:
        """Check the staff override; True when a wrong one was given (a failed attempt)."""
        if not sub.override:
            return False
        if creds.client_suspended:
            for r in sub.requests:
                r.infos.append("The override password was not checked: " + creds.client_suspended)
            return False
        if self.config.override_hash and verify_hash(sub.override, self.config.override_hash):
            creds.override = True
            return False
        log.warning("invalid override password in a submission (%s); ignored", origin)
        for r in sub.requests:
            r.infos.append("The override password is not valid: it was ignored.")
        return True

    def _run(self, sub: Submission, creds: Credentials, deadline: Deadline, origin: str) -> None:
        """Check on copies in a snapshot, then write under the lock if nothing changed meanwhile."""
        prepared = sub.requests
        while True:
            trial = [_copy(r) for r in prepared]
            versions = self._check(trial, creds, deadline)
            changes = [r for r in trial if r.ok and r.operation in ("create", "modify", "delete")]
            if sub.dry_run or not changes:
                sub.requests[:] = trial
                if sub.dry_run:
                    for r in sub.requests:
                        if r.ok:
                            r.infos.append("Dry run: the change was validated but not saved.")
                return
            store_changes = self._prepare_write(changes)
            if self._commit(changes, store_changes, versions, deadline,
                            self._journal_origin(sub, creds, origin, trial)):
                sub.requests[:] = trial
                return
            deadline.check("waiting for other changes of the source to settle")
            log.info("sources changed while a submission was checked (%s): checking it again", origin)

    def _check(self, trial: list[Request], creds: Credentials, deadline: Deadline) -> dict:
        """Classify and validate the requests in one read-only snapshot; the sources' versions seen."""
        accepted = [r for r in trial if r.ok]
        sources = sorted({r.source for r in accepted})
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                versions = {s: self.store.source_version(s, conn) or (None, None) for s in sources}
                lookups = self.lookups.bound(conn)
                contexts = {s: Context(lookups, s, trial) for s in sources}
                for s, ctx in contexts.items():
                    ctx.prefetch({(r.object_class, r.pk) for r in accepted if r.source == s})
                for req in accepted:
                    deadline.check("reading the current objects")
                    self._classify(req, contexts[req.source])
                    if req.ok:
                        self._scope(req, conn)
                    if req.ok:
                        self._rpki(req, conn)
                for s, ctx in contexts.items():
                    ctx.prefetch({k for r in trial if r.ok and r.source == s and r.operation in ("create", "modify")
                                  for k in wanted_keys(r, ctx)})
                validate(trial, contexts, {s: Authoriser(ctx, creds) for s, ctx in contexts.items()}, deadline,
                         self.config)
                for req in trial:
                    if req.ok and req.operation == "modify" and req.object_class in auth_lines.CLASSES_WITH_AUTH:
                        self._restore_masked(req, contexts[req.source])
        return versions

    def _commit(self, changes: list[Request], store_changes: list[Change], versions: dict, deadline: Deadline,
                origin: str) -> bool:
        """Write the changes if no source changed since the snapshot; False when one did."""
        sources = sorted({r.source for r in changes})
        try:
            with self.store.engine.begin() as conn:
                # waiting for the lock counts against the deadline too
                conn.execute(sa.select(sa.func.set_config(
                    "lock_timeout", str(max(1, int(deadline.remaining() * 1000))), True)))
                self.store.lock_sources(conn, sources)
                current = {s: self.store.source_version(s, conn) or (None, None) for s in sources}
                if current != {s: versions.get(s, (None, None)) for s in sources}:
                    return False
                self._write(conn, changes, store_changes, origin)
        except OperationalError as e:
            if isinstance(e.orig, psycopg.errors.LockNotAvailable):
                raise SubmissionTimeout(deadline.seconds, "waiting for the source's write lock") from None
            raise
        return True

    # -- one request ----------------------------------------------------------------------------
    def _prepare(self, req: Request) -> None:
        """Parse (strictly, unless it is a deletion) and check the source; no database needed."""
        text = strip_generated(req.text)
        obj = parse(text, req.line, strict=req.delete_reason is None)
        req.object_class = obj.object_class
        req.pk = obj.pk or (obj.attributes[0].value.upper() if obj.attributes else "")
        req.source = obj.source or ""
        if obj.errors:
            req.errors.extend(_error_text(e) for e in obj.errors)
            return
        source = self.config.sources.get(req.source)
        if source is None or not source.authoritative:
            req.errors.append(f"Source {req.source} is not authoritative in this registry: its objects "
                              "are mirrored and can't be changed here")
            return
        req.new_text = obj.render() if req.delete_reason is None else None

    def _classify(self, req: Request, ctx: Context) -> None:
        """create / modify / delete / noop, and the final text of the object."""
        old = ctx.stored(req.object_class, req.pk)
        req.old_text = _text_of(old)
        if req.delete_reason is not None:
            req.operation = "delete"
            if old is None:
                req.errors.append("Can not delete object: no object found for this key in this database.")
            return
        req.operation = "modify" if old is not None else "create"
        req.new_text = _set_last_modified(req.new_text)
        if req.object_class in auth_lines.CLASSES_WITH_AUTH:
            req.errors.extend(auth_lines.problems(ctx.new_object(req), old))
            if not req.ok:
                return
        if req.object_class == "key-cert":
            self._keycert(req, ctx.new_object(req))
            if not req.ok:
                return
        self._noop(req, old)

    def _noop(self, req: Request, old: RPSLObject | None) -> None:
        if old is not None and _without_last_modified(req.new_text) == _without_last_modified(_render(old)):
            req.operation = "noop"
            req.infos.append("Submitted object was identical to current object, no change recorded.")

    def _restore_masked(self, req: Request, ctx: Context) -> None:
        """Authorised by the stored object's maintainers: masked hashes become the stored ones again."""
        req.new_text, restored = auth_lines.restore(req.new_text, ctx.stored(req.object_class, req.pk))
        if restored:
            req.infos.append(f"{restored} masked password hash(es) kept as stored.")
            self._noop(req, ctx.stored(req.object_class, req.pk))

    def _scope(self, req: Request, conn) -> None:
        """Authoritative address and AS number objects must lie within the NIR's resources."""
        if req.object_class not in ("inetnum", "inet6num", "route", "route6", "aut-num") or \
                req.operation not in ("create", "modify"):
            return
        idx = from_object(parse(req.new_text)).index
        if self.store.scope_of(idx.ip_first, idx.ip_last, idx.asn_first, idx.asn_last, conn) == "out":
            what = f"AS{idx.asn_first}" if idx.asn_first is not None else (
                idx.prefix if req.object_class != "inetnum" else f"{idx.ip_first} - {idx.ip_last}")
            req.errors.append(f"{what} is outside the resources this registry holds (its scope): "
                              "objects for it belong in the registry that delegated it")

    def _rpki(self, req: Request, conn) -> None:
        """An authoritative route must not contradict the RPKI (RFC 6811 invalid is refused)."""
        if req.object_class not in ("route", "route6") or req.operation not in ("create", "modify"):
            return
        new = parse(req.new_text)
        prefix, origin = new.first(req.object_class), new.first("origin")
        state, covering = self.store.rov(prefix, keys.as_number(origin), conn)
        if state == "invalid":
            roas = ", ".join(f"{r.prefix} max length {r.max_length} AS{r.asn}" + (f" ({r.trust_anchor})"
                             if r.trust_anchor else "") for r in covering[:10])
            req.errors.append(f"RPKI invalid: {prefix} with origin {origin} contradicts the ROAs covering it: {roas}")

    def _keycert(self, req: Request, new: RPSLObject) -> None:
        """The key in `certif` must be one public key whose id is the object's name; method,
        owner and fingerpr are generated from it."""
        from irr.auth.pgp import PGPError, keycert_attributes

        armored = "\n".join(a.raw_value for a in new.attributes if a.name == "certif")
        try:
            info = self.keyring.key_info(armored)
        except PGPError as e:
            req.errors.append(f"Invalid key in certif: {e}")
            return
        if info.key_cert != req.pk:
            req.errors.append(f"The key's id is {info.key_cert}, but the object is named {req.pk}")
            return
        generated = [f"{name + ':':<16}{value}" for name, value in keycert_attributes(info)]
        lines = req.new_text.rstrip("\n").split("\n")
        req.new_text = "\n".join(lines[:1] + generated + lines[1:]) + "\n"
        req.key_armored = armored

    # -- the whole submission -------------------------------------------------------------------
    def _prepare_write(self, changes: list[Request]) -> list[Change]:
        """What the store writes, made before the lock is taken (and the keys of new key-certs
        imported: a key in the keyring authorises nothing without its key-cert)."""
        store_changes = []
        for req in changes:
            if req.operation == "delete":
                obj = from_object(parse(req.old_text or ""))
                store_changes.append(Change(req.source, "DEL", obj))
            else:
                obj = from_object(parse(req.new_text))
                if obj.error is not None:  # cannot happen for strictly valid objects; never store junk
                    raise RuntimeError(f"rendered object does not parse: {obj.error}")
                store_changes.append(Change(req.source, "ADD", obj))
            if req.key_armored:
                self.keyring.import_key(req.key_armored)
        return store_changes

    def _write(self, conn, changes: list[Request], store_changes: list[Change], origin: str) -> None:
        for req, serial in zip(changes, self.store.apply(store_changes, origin=origin, conn=conn)):
            req.serial = serial

    @staticmethod
    def _journal_origin(sub: Submission, creds: Credentials, origin: str, requests: list[Request] | None = None) -> str:
        """What the journal says of a change's origin: channel and client, plus the override's trace."""
        if not creds.override:
            return origin
        done = [r for r in (requests if requests is not None else sub.requests)
                if r.ok and r.operation in ("create", "modify", "delete")]
        named = ", ".join(f"{r.operation} [{r.object_class}] {r.pk}" for r in done[:MAX_OVERRIDE_OBJECTS_NAMED])
        more = f" and {len(done) - MAX_OVERRIDE_OBJECTS_NAMED} more" if len(done) > MAX_OVERRIDE_OBJECTS_NAMED else ""
        return f"{origin} with the staff override ({len(done)} object(s): {named}{more})"

    def _count(self, channel: str, sub: Submission) -> None:
        """irr_submissions_total, kept in the database: `irr submit` is a process of its own."""
        counts = Counter(("dry-run" if sub.dry_run else "success" if req.ok else "failure") for req in sub.requests)
        try:
            add_submissions(self.store.engine, Counter({(channel, o): n for o, n in counts.items()}))
        except Exception:  # a counter must never turn an accepted change into an error
            log.exception("could not count the submission")

    def _after(self, outcome: Outcome, creds: Credentials, channel: str, override_failed: bool) -> None:
        """Counts, failed attempts, the override's trace, notifications."""
        sub = outcome.submission
        self._count(channel, sub)
        crossings = self.limiter.record(sub.requests, sub.passwords, sub.client, channel, sub.dry_run,
                                        override_failed)
        if creds.override:
            done = [r for r in sub.requests if r.ok and r.operation in ("create", "modify", "delete")]
            log.warning("staff override used%s: %s", " (dry run)" if sub.dry_run else "",
                        outcome.origin if done else f"{outcome.origin} (nothing changed)")
            self.security.count("irr_staff_override_uses_total", channel)
        if self.notifier is None:
            return
        try:
            for crossing in crossings:
                self.notifier.lockout(crossing, self.limiter.notice(crossing), self.lookups)
            if not sub.dry_run:
                self.notifier.notify(outcome, self.lookups)
        except Exception:  # a mail server problem must not undo or hide a committed change
            log.exception("sending notifications failed")


def _copy(req: Request) -> Request:
    """A request to check again from scratch (its other fields are immutable)."""
    return dataclasses.replace(req, errors=list(req.errors), infos=list(req.infos), notify_on_failure=[],
                               failed_credentials=[], lockouts=[])


def _error_text(e) -> str:
    where = f"attribute {e.attribute}, line {e.line}: " if e.attribute else (f"line {e.line}: " if e.line else "")
    return f"{where}{e.message}"


def _render(obj: RPSLObject) -> str:
    return obj.render()


def _text_of(obj: RPSLObject | None) -> str | None:
    return obj.text if obj is not None else None


def _without_last_modified(text: str) -> str:
    return "\n".join(ln for ln in text.rstrip("\n").split("\n") if not ln.lower().startswith("last-modified:"))


def _set_last_modified(text: str) -> str:
    """last-modified is the server's: set to now, placed before `source:` as RIPE/APNIC do."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [ln for ln in text.rstrip("\n").split("\n") if not ln.lower().startswith("last-modified:")]
    at = next((i for i, ln in enumerate(lines) if ln.lower().startswith("source:")), len(lines))
    lines.insert(at, f"{'last-modified:':<16}{now}")
    return "\n".join(lines) + "\n"
