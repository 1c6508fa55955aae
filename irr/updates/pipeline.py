"""One pipeline for every submission (e-mail, HTTP API, web): text -> validated changes ->
authorisation -> one transaction (or none, for a dry run) -> notifications.

Validation runs inside the transaction, after the sources' status rows are locked: concurrent
submissions to a source are serialised and each one judges the data as it really is when it
commits (no lost update). The requests of a submission are validated together and repeatedly
until the set of acceptable ones is stable (an object may depend on another one created, or
deleted, in the same submission); then every accepted change is written with its journal entry
in one transaction, and the rejected ones change nothing.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from irr.auth.passwords import hash_password, is_dummy, new_auth_problem, verify_hash
from irr.config import Config
from irr.store import Change, Store
from irr.store.counters import add_submissions
from irr.store.lookups import Lookups, canonical_key
from irr.updates import registry
from irr.updates.authorise import Authoriser, Credentials
from irr.updates.submission import MAX_PASSWORDS, Request, Submission, strip_generated
from rpsl import keys
from rpsl.errors import ValueSyntaxError
from rpsl.lenient import from_object
from rpsl.objects import RPSLObject, parse
from rpsl.schema import CLASSES

log = logging.getLogger(__name__)

# (attribute, classes it must name) of every strong reference, from the schema.
STRONG: dict[str, dict[str, tuple[str, ...]]] = {
    c.name: {a.name: a.refers for a in c.attributes if a.strong and a.refers} for c in CLASSES}
# For deletions: which attributes may point at an object of each class.
REFERRED_BY: dict[str, list[str]] = {}
for _c in CLASSES:
    for _a in _c.attributes:
        if _a.strong:
            for _target in _a.refers:
                if _a.name not in REFERRED_BY.setdefault(_target, []):
                    REFERRED_BY[_target].append(_a.name)
REFERRED_BY.setdefault("key-cert", []).append("auth")


class DryRun(Exception):
    """Raised inside the transaction of a dry run so that nothing is written."""


@dataclass
class Outcome:
    submission: Submission
    dry_run: bool
    override_used: bool
    notes: list[str] = field(default_factory=list)   # about the submission as a whole (notifications)

    @property
    def requests(self) -> list[Request]:
        return self.submission.requests

    @property
    def successful(self) -> bool:
        return bool(self.requests) and all(r.ok for r in self.requests)


class Context:
    """What one source looks like for the requests being validated: the database (read inside the
    update's transaction) with this submission's accepted changes laid over it."""

    def __init__(self, lookups: Lookups, source: str, requests: list[Request]):
        self.lookups = lookups
        self.source = source
        self.requests = requests
        self._db: dict[tuple[str, str], RPSLObject | None] = {}

    def _pending(self, cls: str, pk: str) -> Request | None:
        for r in self.requests:
            if r.ok and r.source == self.source and r.object_class == cls and r.pk == pk:
                return r
        return None

    def stored(self, cls: str, pk: str) -> RPSLObject | None:
        key = (cls, pk)
        if key not in self._db:
            found = self.lookups.by_key([self.source], pk, [cls])
            self._db[key] = parse(found[0].text) if found else None
        return self._db[key]

    def object(self, cls: str, pk: str) -> RPSLObject | None:
        """The object as it will be if the accepted requests commit."""
        pk = pk.upper()
        pending = self._pending(cls, pk)
        if pending is not None:
            if pending.operation == "delete":
                return None
            if pending.new_text is not None:
                return parse(pending.new_text)
        return self.stored(cls, pk)

    def exists_any(self, classes: tuple[str, ...], pk: str) -> bool:
        return any(self.object(c, pk) is not None for c in classes)

    def _first(self, found) -> RPSLObject | None:
        return parse(found[0].text) if found else None

    def parent_address(self, cls: str, key: str, classes: tuple[str, ...], include_exact: bool = False):
        found = self.lookups.addresses([self.source], key, "most-specific" if include_exact else "less-one",
                                       classes)
        return self._first(found)

    def parent_route(self, cls: str, prefix: str) -> RPSLObject | None:
        return self._first(self.lookups.addresses([self.source], prefix, "most-specific", (cls,)))

    def enclosing_block(self, pk: str, cls: str) -> RPSLObject | None:
        if cls == "aut-num":
            first = last = keys.as_number(pk)
        else:
            first, last, _ = keys.as_range(pk)
        blocks = [o for o in self.lookups.as_block([self.source], first, last) if o.pk != pk]
        return parse(blocks[-1].text) if blocks else None  # outermost first: the last is closest

    def parent_domain(self, zone: str) -> RPSLObject | None:
        from rpsl import syntax

        try:
            rng = syntax.parse("domain_name", zone, strict=False).address_range()
        except (ValueSyntaxError, AttributeError):
            return None
        if rng is None:
            return None
        key = str(rng) if rng.version == 4 else str(rng.prefixes()[0])
        return self._first(self.lookups.addresses([self.source], key, "most-specific",
                                                  ("inetnum",) if rng.version == 4 else ("inet6num",)))

    def referencing(self, cls: str, pk: str) -> list[str]:
        """Objects (other than being deleted here) that strongly reference cls/pk."""
        attributes = REFERRED_BY.get(cls, [])
        if not attributes:
            return []
        out = []
        for obj in self.lookups.by_inverse([self.source], attributes, pk):
            if obj.object_class == cls and obj.pk == pk:
                continue  # a mntner maintaining itself
            pending = self._pending(obj.object_class, obj.pk)
            if pending is not None and pending.operation == "delete":
                continue
            if pending is not None and pending.new_text is not None and pk.upper() not in pending.new_text.upper():
                continue  # modified in this submission so that it no longer refers to it
            out.append(f"[{obj.object_class}] {obj.pk}")
        return out


class Pipeline:
    """Processes submissions for the authoritative sources of one registry."""

    def __init__(self, config: Config, store: Store, lookups: Lookups, keyring, notifier=None):
        self.config = config
        self.store = store
        self.lookups = lookups
        self.keyring = keyring
        self.notifier = notifier

    def process(self, sub: Submission, origin: str) -> Outcome:
        creds = Credentials(list(sub.passwords))
        if sub.override:
            if self.config.override_hash and verify_hash(sub.override, self.config.override_hash):
                creds.override = True
            else:
                log.warning("invalid override password in a submission (%s); ignored", origin)
                for r in sub.requests:
                    r.infos.append("The override password is not valid: it was ignored.")
        for req in sub.requests:
            self._prepare(req)
        if len(sub.passwords) > MAX_PASSWORDS:
            for req in sub.requests:
                req.errors.append(f"{len(sub.passwords)} passwords in one submission: at most {MAX_PASSWORDS} "
                                  "are accepted; nothing was changed")
        accepted = [r for r in sub.requests if r.ok]
        if accepted:
            self._verify_passwords_unlocked(sub.requests, creds)
            try:
                with self.store.engine.begin() as conn:
                    sources = sorted({r.source for r in accepted})
                    self.store.lock_sources(conn, sources)
                    lookups = self.lookups.bound(conn)
                    contexts = {s: Context(lookups, s, sub.requests) for s in sources}
                    for req in accepted:
                        self._classify(req, contexts[req.source], creds)
                        if req.ok:
                            self._scope(req, conn)
                        if req.ok:
                            self._rpki(req, conn)
                    self._validate(sub.requests, contexts, creds)
                    changes = [r for r in sub.requests if r.ok and r.operation in ("create", "modify", "delete")]
                    if sub.dry_run:
                        raise DryRun()
                    if changes:
                        self._write(conn, changes, origin)
            except DryRun:
                for r in sub.requests:
                    if r.ok:
                        r.infos.append("Dry run: the change was validated but not saved.")
        outcome = Outcome(sub, sub.dry_run, creds.override)
        self._count(origin.split(" ", 1)[0], sub)
        if self.notifier is not None and not sub.dry_run and not creds.override:
            try:
                self.notifier.notify(outcome, self.lookups)
            except Exception:  # a mail server problem must not undo or hide a committed change
                log.exception("sending notifications failed")
        return outcome

    def _count(self, channel: str, sub: Submission) -> None:
        """irr_submissions_total, kept in the database: `irr submit` is a process of its own."""
        counts = Counter(("dry-run" if sub.dry_run else "success" if req.ok else "failure") for req in sub.requests)
        try:
            add_submissions(self.store.engine, Counter({(channel, o): n for o, n in counts.items()}))
        except Exception:  # a counter must never turn an accepted change into an error
            log.exception("could not count the submission")

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

    def _classify(self, req: Request, ctx: Context, creds: Credentials) -> None:
        """create / modify / delete / noop, and the final text of the object."""
        old = ctx.stored(req.object_class, req.pk)
        req.old_text = _text_of(old)
        if req.delete_reason is not None:
            req.operation = "delete"
            if old is None:
                req.errors.append("Can not delete object: no object found for this key in this database.")
            return
        req.operation = "modify" if old is not None else "create"
        new = parse(req.new_text)
        if req.object_class == "mntner":
            self._mntner_auth(req, new, old, creds)
            if not req.ok:
                return
            new = parse(req.new_text)
        if req.object_class == "key-cert":
            self._keycert(req, new)
            if not req.ok:
                return
            new = parse(req.new_text)
        req.new_text = _set_last_modified(req.new_text)
        if old is not None and _without_last_modified(req.new_text) == _without_last_modified(
                _render(old)):
            req.operation = "noop"
            req.infos.append("Submitted object was identical to current object, no change recorded.")

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

    def _mntner_auth(self, req: Request, new: RPSLObject, old: RPSLObject | None, creds: Credentials) -> None:
        """Masked hashes and credentials a new or changed mntner may carry (spec auth.md §1.2)."""
        lines = new.values("auth")
        dummies = [a for a in lines if is_dummy(a)]
        password_lines = [a for a in lines if a.split(" ", 1)[0].upper().endswith("-PW")]
        if dummies:
            if old is None:
                req.errors.append("A new mntner may not contain masked hashes (DummyValue): submit real "
                                  "BCRYPT-PW or MD5-PW hashes, or PGPKEY- lines")
                return
            if len(dummies) != len(password_lines) or len(creds.passwords) != 1:
                req.errors.append("Masked hashes (DummyValue) can only be submitted when every password "
                                  "hash is masked and exactly one password: is given; that password then "
                                  "replaces them all")
                return
            replaced = False
            rebuilt = []
            for line in req.new_text.split("\n"):
                if line.lower().startswith("auth:") and is_dummy(line.split(":", 1)[1].strip().split("#")[0].strip()):
                    if not replaced:
                        rebuilt.append(f"{'auth:':<16}{hash_password(creds.passwords[0])}")
                        replaced = True
                    continue
                rebuilt.append(line)
            req.new_text = "\n".join(rebuilt)
            req.infos.append("The masked password hashes were replaced by a BCRYPT-PW hash of the submitted "
                             "password.")
            return
        before = set(old.values("auth")) if old is not None else set()
        for line in lines:
            if line not in before:
                problem = new_auth_problem(line)
                if problem:
                    req.errors.append(problem)

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
    def _verify_passwords_unlocked(self, requests: list[Request], creds: Credentials) -> None:
        """Verify the passwords before the sources' write lock is taken: hashes are slow on
        purpose, and a submission full of wrong passwords must not hold every other writer up.
        A trial run of the checks on copies fills `creds.verified` (a result about a hash text,
        true whenever that text is met again); every decision is taken again under the lock."""
        if not creds.passwords or creds.override:
            return
        trial = copy.deepcopy([r for r in requests if r.ok])
        scratch = Credentials(list(creds.passwords), verified=creds.verified)
        try:
            with self.store.engine.connect() as conn:
                lookups = self.lookups.bound(conn)
                contexts = {s: Context(lookups, s, trial) for s in {r.source for r in trial}}
                for req in trial:
                    self._classify(req, contexts[req.source], scratch)
                self._validate(trial, contexts, scratch)
        except Exception:  # only a head start: the locked run checks everything itself
            log.warning("password pre-check failed; passwords are checked under the lock", exc_info=True)

    def _validate(self, requests: list[Request], contexts: dict[str, Context], creds: Credentials) -> None:
        """References and authorisation, until the accepted set no longer changes."""
        authorisers = {s: Authoriser(ctx, creds) for s, ctx in contexts.items()}
        for _ in range(len(requests) + 2):
            changed = False
            for req in requests:
                if not req.ok or req.operation == "noop":
                    continue
                ctx = contexts[req.source]
                errors = self._references(req, ctx)
                if not errors:
                    old = ctx.stored(req.object_class, req.pk)
                    new = parse(req.new_text) if req.new_text else None
                    req.notify_on_failure.clear()
                    errors = authorisers[req.source].check(req, new, old)
                    errors += registry.check(self.config, ctx, creds, req, new, old)  # the registry's authority
                    req.auth_failed = bool(errors)
                if errors:
                    req.errors.extend(errors)
                    changed = True
            if not changed:
                return

    def _references(self, req: Request, ctx: Context) -> list[str]:
        if req.operation == "delete":
            users = ctx.referencing(req.object_class, req.pk)
            if users:
                return [f"Object [{req.object_class}] {req.pk} is still referenced by {', '.join(users[:10])}"
                        + (" and others" if len(users) > 10 else "")]
            return []
        new = parse(req.new_text)
        errors = []
        for attr, classes in STRONG.get(req.object_class, {}).items():
            for value in new.values(attr):
                name = value.split(" ", 1)[0].upper() if attr == "mnt-routes" else value.upper()
                if name == req.pk and req.object_class in classes:
                    continue  # a mntner maintained by itself
                if not ctx.exists_any(classes, canonical_key(classes[0], name)):
                    errors.append(f"Object {name} referenced in attribute {attr} not found in database "
                                  f"{req.source} - must reference one of type {', '.join(classes)}")
        for value in new.values("auth"):
            scheme = value.split(" ", 1)[0].upper()
            if scheme.startswith("PGPKEY-") and ctx.object("key-cert", scheme) is None:
                errors.append(f"Object {scheme} referenced in attribute auth not found in database "
                              f"{req.source} - must reference one of type key-cert")
        return errors

    def _write(self, conn, changes: list[Request], origin: str) -> None:
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
        serials = self.store.apply(store_changes, origin=origin, conn=conn)
        for req, serial in zip(changes, serials):
            req.serial = serial
            if req.key_armored:
                self.keyring.import_key(req.key_armored)


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
